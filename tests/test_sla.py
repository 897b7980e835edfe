import datetime as dt

import numpy as np
import pandas as pd
import pytest

from sla_model.agreement.sla import (
    SlaError,
    in_force,
    in_force_index,
    load_sla_file,
    ordered,
    parse_sla,
    sla_to_dict,
)
from tests.factories import SLA_DIR, make_sla, sla_document

# --- the shipped files ---------------------------------------------------------------------------


def test_v1_loads_with_its_numbers():
    sla = load_sla_file(SLA_DIR / "v1.toml")
    assert sla.meta.version == 1
    assert sla.meta.effective_from == dt.date(2025, 11, 1)
    assert (sla.quotas.mqls, sla.quotas.sqls, sla.quotas.won) == (650, 220, 50)
    assert sla.goal.monthly_revenue == 600_000
    # 120 + 100 + 55 + 85 + 120 + 55 + 40 + 55 = 630 <= 650
    assert sum(sla.quotas.mqls_by_channel.values()) == 630
    assert sla.mql.score_threshold == 50
    assert sla.mql.fit.personas == []
    assert sla.follow_up.first_touch_hours == 24
    assert sla.follow_up.decision_hours == 40
    assert [(p.name, p.demo_request, p.first_touch_hours) for p in sla.follow_up.policies] == [
        ("Demo requests", True, 1)
    ]
    assert sla.calendar.describe() == "Mon–Fri 09:00-17:00, America/New_York, 2 holidays"
    assert len(sla.rejection_reasons) == 9


def test_v2_loads_with_its_stricter_numbers():
    sla = load_sla_file(SLA_DIR / "v2.toml")
    assert sla.meta.version == 2
    assert sla.meta.effective_from == dt.date(2026, 6, 1)
    assert sla.quotas.mqls == 420
    # 85 + 70 + 35 + 65 + 60 + 35 + 30 + 35 = 415 <= 420
    assert sum(sla.quotas.mqls_by_channel.values()) == 415
    assert sla.mql.score_threshold == 55
    assert sla.mql.fit.min_company_size == 50
    assert sla.mql.fit.personas == ["IT Director", "Operations Manager", "Finance Lead"]
    assert (sla.follow_up.first_touch_hours, sla.follow_up.decision_hours) == (8, 24)
    assert [p.name for p in sla.follow_up.policies] == ["Demo requests"]
    assert sla.calendar.holidays == [dt.date(2026, 7, 3), dt.date(2026, 11, 26)]


@pytest.mark.parametrize(
    ("code", "action", "label"),
    [
        ("no_budget", "nurture", "No budget"),
        ("no_response", "nurture", "No response after all attempts"),
        ("not_icp", "disqualify", "Not our ideal customer"),
        ("bad_data", "disqualify", "Bad contact data"),
    ],
)
def test_reason_action_and_label(code, action, label):
    sla = make_sla()
    assert sla.reason_action()[code] == action
    assert sla.reason_labels()[code] == label


def test_sla_to_dict_is_json_data_and_round_trips():
    sla = make_sla()
    data = sla_to_dict(sla)
    assert data["meta"]["effective_from"] == "2025-11-01"
    assert parse_sla(data) == sla


def test_unicode_text_is_kept():
    sla = make_sla(meta={"author": "Zoë Ångström & محمد 🚀"}, review={"attendees": ["Ünal", "李雷"]})
    assert sla.meta.author == "Zoë Ångström & محمد 🚀"
    assert sla.review.attendees == ["Ünal", "李雷"]


def test_make_sla_empty_dict_clears_channel_quotas():
    sla = make_sla(quotas={"mqls": 4, "mqls_by_channel": {}})
    assert sla.quotas.mqls == 4
    assert sla.quotas.mqls_by_channel == {}


# --- validation messages: source, dotted path, problem -----------------------------------------


def _extra_reason(doc: dict) -> dict:
    doc["rejection_reasons"].append({"code": "no_budget", "label": "Again", "then": "nurture"})
    return doc


def _drop(section: str):
    def edit(doc: dict) -> dict:
        del doc[section]
        return doc

    return edit


def _set_reason(index: int, **fields):
    def edit(doc: dict) -> dict:
        doc["rejection_reasons"][index] |= fields
        return doc

    return edit


@pytest.mark.parametrize(
    ("overrides", "edit", "expected"),
    [
        pytest.param(
            {"quotas": {"mqls": -1}},
            None,
            "bad.toml: quotas.mqls: Input should be greater than or equal to 0 (got -1)",
            id="negative-quota",
        ),
        pytest.param(
            # the v1 channel quotas add up to 630
            {"quotas": {"mqls": 600}},
            None,
            "bad.toml: quotas: per-channel MQL quotas add up to 630, more than the overall quota 600",
            id="channels-exceed-total",
        ),
        pytest.param(
            {"sql": {"min_criteria": 5}},
            None,
            "bad.toml: sql: min_criteria is 5 but only 4 criteria are listed",
            id="min-criteria-above-criteria",
        ),
        pytest.param(
            {},
            _extra_reason,
            "bad.toml: (document): rejection reason codes must be unique; repeated: no_budget",
            id="duplicate-reason-code",
        ),
        pytest.param(
            {"meta": {"colour": "red"}},
            None,
            "bad.toml: meta.colour: Extra inputs are not permitted (got 'red')",
            id="unknown-field",
        ),
        pytest.param(
            {"follow_up": {"first_touch_hours": 0}},
            None,
            "bad.toml: follow_up.first_touch_hours: Input should be greater than 0 (got 0)",
            id="zero-hours",
        ),
        pytest.param(
            {"follow_up": {"decision_hours": 24 * 90 + 1}},
            None,
            "bad.toml: follow_up.decision_hours: Input should be less than or equal to 2160 (got 2161)",
            id="hours-too-large",
        ),
        pytest.param(
            {"mql": {"score_threshold": 101}},
            None,
            "bad.toml: mql.score_threshold: Input should be less than or equal to 100 (got 101)",
            id="threshold-above-100",
        ),
        pytest.param(
            {"goal": {"currency": "US"}},
            None,
            "bad.toml: goal.currency: String should have at least 3 characters (got 'US')",
            id="short-currency",
        ),
        pytest.param(
            {},
            _set_reason(0, then="delete"),
            "bad.toml: rejection_reasons.0.then: Input should be 'nurture' or 'disqualify' (got 'delete')",
            id="unknown-reason-action",
        ),
        pytest.param(
            {},
            _set_reason(1, code="Bad Timing"),
            "bad.toml: rejection_reasons.1.code: String should match pattern '^[a-z][a-z0-9_]*$' (got 'Bad Timing')",
            id="reason-code-pattern",
        ),
        pytest.param(
            {"rejection_reasons": []},
            None,
            "bad.toml: rejection_reasons: List should have at least 1 item after validation, not 0",
            id="no-reasons",
        ),
        pytest.param({}, _drop("review"), "bad.toml: review: Field required", id="missing-section"),
    ],
)
def test_invalid_document_message(overrides, edit, expected):
    doc = sla_document(**overrides)
    if edit is not None:
        doc = edit(doc)
    with pytest.raises(SlaError) as info:
        parse_sla(doc, source="bad.toml")
    assert str(info.value) == expected


def test_every_problem_gets_its_own_line():
    doc = sla_document(quotas={"sqls": -5}, follow_up={"min_touches": 0}, meta={"version": 0})
    with pytest.raises(SlaError) as info:
        parse_sla(doc, source="multi.toml")
    assert str(info.value).splitlines() == [
        "multi.toml: meta.version: Input should be greater than or equal to 1 (got 0)",
        "multi.toml: quotas.sqls: Input should be greater than or equal to 0 (got -5)",
        "multi.toml: follow_up.min_touches: Input should be greater than or equal to 1 (got 0)",
    ]


def test_sla_error_is_a_value_error():
    with pytest.raises(ValueError, match="quotas.won"):
        parse_sla(sla_document(quotas={"won": -1}))


# --- reading files ---------------------------------------------------------------------------------


def test_file_error_names_the_file_and_field(tmp_path):
    text = (SLA_DIR / "v1.toml").read_text(encoding="utf-8").replace("mqls = 650", "mqls = -650")
    path = tmp_path / "v9.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SlaError) as info:
        load_sla_file(path)
    assert str(info.value) == "v9.toml: quotas.mqls: Input should be greater than or equal to 0 (got -650)"


def test_bad_toml_is_reported(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text("[meta\nversion = 1\n", encoding="utf-8")
    with pytest.raises(SlaError) as info:
        load_sla_file(path)
    assert str(info.value).startswith("broken.toml: not valid TOML: ")


def test_missing_file_is_reported(tmp_path):
    with pytest.raises(SlaError) as info:
        load_sla_file(tmp_path / "missing.toml")
    assert str(info.value).startswith("missing.toml: cannot read the file (FileNotFoundError: ")


def test_non_utf8_file_is_reported(tmp_path):
    path = tmp_path / "latin1.toml"
    path.write_bytes("author = 'Zoë'".encode("latin-1"))
    with pytest.raises(SlaError) as info:
        load_sla_file(path)
    assert str(info.value).startswith("latin1.toml: cannot read the file (UnicodeDecodeError: ")


def test_unicode_file_loads(tmp_path):
    text = (SLA_DIR / "v1.toml").read_text(encoding="utf-8").replace('change_note = "', 'change_note = "Ünïcödé ✓ ')
    path = tmp_path / "ünï.toml"
    path.write_text(text, encoding="utf-8")
    assert load_sla_file(path).meta.change_note.startswith("Ünïcödé ✓ First SLA")


# --- which version is in force -------------------------------------------------------------------

V1 = make_sla(meta={"version": 1, "effective_from": dt.date(2026, 1, 1)})
V2 = make_sla(meta={"version": 2, "effective_from": dt.date(2026, 3, 1)})


@pytest.mark.parametrize(
    ("day", "version"),
    [
        (dt.date(2025, 12, 31), 1),  # before the first version: judged by the first
        (dt.date(2026, 1, 1), 1),  # on v1's day
        (dt.date(2026, 2, 28), 1),  # the day before v2
        (dt.date(2026, 3, 1), 2),  # on v2's day
        (dt.date(2030, 1, 1), 2),  # long after
    ],
)
@pytest.mark.parametrize("versions", [[V1, V2], [V2, V1]], ids=["sorted", "unsorted"])
def test_in_force(versions, day, version):
    assert in_force(versions, day).meta.version == version


def test_in_force_same_day_takes_the_higher_version():
    v3 = make_sla(meta={"version": 3, "effective_from": dt.date(2026, 3, 1)})
    assert in_force([v3, V1, V2], dt.date(2026, 3, 1)).meta.version == 3
    assert in_force_index([v3, V1, V2], np.array(["2026-03-01"], dtype="datetime64[ns]")).tolist() == [2]


def test_in_force_without_versions():
    with pytest.raises(SlaError, match="no SLA version is stored"):
        in_force([], dt.date(2026, 1, 1))


def test_ordered_by_date_then_version():
    v0 = make_sla(meta={"version": 7, "effective_from": dt.date(2025, 6, 1)})
    assert [s.meta.version for s in ordered([V2, V1, v0])] == [7, 1, 2]


@pytest.mark.parametrize("versions", [[V1, V2], [V2, V1]], ids=["sorted", "unsorted"])
def test_in_force_index(versions):
    when = pd.Series(
        pd.to_datetime(
            [
                "2025-12-31 23:59",  # before the first version -> 0
                "2026-01-01 00:00",  # on the day -> 0
                "2026-02-28 23:59:59",  # last second of v1 -> 0
                "2026-03-01 00:00",  # v2 starts -> 1
                "2026-07-01 12:00",  # after -> 1
            ],
            format="ISO8601",
        )
    )
    assert in_force_index(versions, when).tolist() == [0, 0, 0, 1, 1]


def test_in_force_index_empty():
    assert in_force_index([V1, V2], np.array([], dtype="datetime64[ns]")).tolist() == []
