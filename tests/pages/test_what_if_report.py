"""AppTest: the what-if page after a user report: publish, proposals, quotas, follow-up rules, formats, uploads."""

from __future__ import annotations

import datetime as dt
import os
import re

import pytest
import tomli_w

from sla_model.agreement.sla import sla_to_dict
from sla_model.generator import sample_slas
from sla_model.review.decisions import list_proposals
from sla_model.store.db import make_engine
from tests.pages.conftest import metric

PAGE = "pages/what_if.py"


def _texts(at) -> str:
    kinds = ("caption", "markdown", "info", "warning", "success", "error")
    parts = [e.value for kind in kinds for e in getattr(at, kind)]
    return "\n".join(str(p).replace("\\", "") for p in parts)


def _stored(*, title_only: bool = True):
    stored = list_proposals(engine=make_engine(os.environ["DATABASE_URL"]))
    return [p.title for p in stored] if title_only else stored


def _publish(at, day: dt.date, note: str = "Threshold 60 after the review"):
    at.slider(key="wi_score_threshold").set_value(60).run()
    at.date_input(key="wi_effective").set_value(day)
    at.text_area(key="wi_note").input(note)
    next(b for b in at.button if b.label == "Publish").click().run()
    assert not at.exception


# --- 1. after a publish the page shows the new version at once ---------------------------------------


def test_a_version_in_force_at_once_is_shown_after_publishing(writable_app):
    at = writable_app(PAGE)
    _publish(at, dt.date(2026, 11, 1))  # on or before the snapshot (18 Nov 2026): in force now
    text = _texts(at)
    assert "Published SLA version 3" in text
    assert "beside SLA version 3 in force" in text, text
    assert "version 2 in force" not in text
    # The controls now start from version 3 (score 60), so the candidate equals the baseline.
    assert at.slider(key="wi_score_threshold").value == 60
    assert metric(at, "MQLs").delta == "no change"


def test_a_version_effective_later_is_shown_as_upcoming_after_publishing(writable_app):
    at = writable_app(PAGE)
    _publish(at, dt.date(2026, 12, 1))
    text = _texts(at)
    assert "beside SLA version 2 in force" in text
    assert "SLA version 3 is upcoming: in force from 01 Dec 2026" in text, text


# --- 2. nothing typed is dropped; a double submit stores one proposal --------------------------------


def test_a_refused_proposal_keeps_its_text_and_a_second_try_stores_it(writable_app):
    at = writable_app(PAGE)
    at.selectbox(key="identity").set_value("Ana Souza").run()
    at.text_input(key="wi_proposal_title").input("Score 65: fewer, better MQLs")
    at.text_area(key="wi_proposal_note").input("Reps drown in junk")
    next(b for b in at.button if b.label == "Propose").click().run()
    assert any("may not propose" in e.value for e in at.error), [e.value for e in at.error]
    assert at.text_input(key="wi_proposal_title").value == "Score 65: fewer, better MQLs"
    at.selectbox(key="identity").set_value("Manager").run()
    next(b for b in at.button if b.label == "Propose").click().run()
    assert _stored() == ["Score 65: fewer, better MQLs"]
    assert _stored(title_only=False)[0].note == "Reps drown in junk"


def test_a_proposal_submitted_while_the_page_reloads_is_stored(writable_app, monkeypatch):
    """The run a click starts may be cut short (a publish's reload, another click): the proposal is kept."""
    import streamlit as st

    import ui.data

    at = writable_app(PAGE)
    at.text_input(key="wi_proposal_title").input("Score 65: fewer, better MQLs")
    real = ui.data.get_whatif_arrays
    monkeypatch.setattr(ui.data, "get_whatif_arrays", lambda: st.stop())  # the run ends before the page's end
    next(b for b in at.button if b.label == "Propose").click().run()
    monkeypatch.setattr(ui.data, "get_whatif_arrays", real)
    at.run()
    assert _stored() == ["Score 65: fewer, better MQLs"]
    assert "Proposed “Score 65: fewer, better MQLs” for the next review" in _texts(at)


def test_the_same_proposal_submitted_twice_is_stored_once(writable_app):
    at = writable_app(PAGE)
    for _ in range(2):  # a double click sends the same text twice
        at.text_input(key="wi_proposal_title").input("Score 65: fewer, better MQLs")
        next(b for b in at.button if b.label == "Propose").click().run()
        assert not at.exception
    assert _stored() == ["Score 65: fewer, better MQLs"]
    assert "already proposed" in _texts(at).lower()


# --- 3. every control moves a figure -----------------------------------------------------------------


@pytest.mark.parametrize("quota", [300, 420, 600])
def test_the_mql_quota_moves_the_gap_and_attainment(sample_app, quota):
    at = sample_app(PAGE)
    expected = int(metric(at, "MQLs").value.replace(",", ""))
    at.number_input(key="wi_quota_mqls").set_value(quota).run()
    diff = expected - quota
    words = f"{abs(diff):,} short" if diff < 0 else (f"{diff:,} over" if diff > 0 else "exactly on quota")
    want = f"Expected {expected:,} MQLs a month against a quota of {quota:,}: {words}"
    assert want in _texts(at), _texts(at)


def _follow_up_rows(at) -> dict:
    table = next(d.value for d in at.dataframe if "Rule" in d.value.columns)
    return table.set_index("Rule").to_dict("index")


def test_a_tighter_first_touch_rule_changes_the_share_within_and_the_breaches(sample_app):
    at = sample_app(PAGE)
    before = _follow_up_rows(at)
    at.number_input(key="wi_first_touch_hours").set_value(2).run()
    after = _follow_up_rows(at)
    rule = next(k for k in after if k.startswith("First touch"))
    assert rule == "First touch within 2 h"
    old = next(v for k, v in before.items() if k.startswith("First touch"))
    assert after[rule]["Within the rule"] != old["Within the rule"]
    assert after[rule]["Breaches a month"] != old["Breaches a month"]


# --- 4. display ----------------------------------------------------------------------------------


def test_unchanged_figures_read_no_change_and_the_revenue_miss_is_red(sample_app):
    at = sample_app(PAGE)
    from streamlit.proto.Metric_pb2 import Metric

    for label in ("MQLs", "SQLs", "Won deals", "Acceptance"):
        assert metric(at, label).delta == "no change", (label, metric(at, label).delta)
        assert metric(at, label).proto.color == Metric.MetricColor.GRAY
    revenue = metric(at, "Revenue")
    gap = re.fullmatch(r"(\d+)% short of goal", revenue.delta)  # a miss reads as a positive share, in red
    assert gap and int(gap.group(1)) > 0, revenue.delta
    assert revenue.proto.color == Metric.MetricColor.RED


@pytest.mark.parametrize(("threshold", "colour"), [(40, "GREEN"), (70, "RED")])
def test_more_mqls_are_green_and_fewer_red(sample_app, threshold, colour):
    from streamlit.proto.Metric_pb2 import Metric

    at = sample_app(PAGE)
    at.slider(key="wi_score_threshold").set_value(threshold).run()
    tile = metric(at, "MQLs")
    assert tile.proto.color == Metric.MetricColor.Value(colour)
    assert tile.delta[0] == ("+" if colour == "GREEN" else "−"), tile.delta


def test_the_tables_show_formatted_numbers_and_stage_names(sample_app):
    at = sample_app(PAGE)
    funnel = next(d.value for d in at.dataframe if "Stage" in d.value.columns)
    assert funnel["Stage"].tolist() == ["Revenue", "Customers", "SQLs", "MQLs", "Leads"]
    assert funnel.loc[0, "Needed"] == "$650k"
    assert all(isinstance(v, str) for v in funnel.drop(columns="Stage").to_numpy().ravel())
    for frame in (d.value for d in at.dataframe):
        assert not frame.isna().to_numpy().any()
        assert "None" not in frame.astype(str).to_numpy()


def test_number_inputs_show_whole_numbers(sample_app):
    at = sample_app(PAGE)
    for key in ("wi_revenue_goal", "wi_average_deal_size", "wi_first_touch_hours", "wi_decision_hours"):
        assert at.number_input(key=key).proto.format in {"%d", "%g"}, key
    assert at.number_input(key="wi_revenue_goal").value == 650_000


def test_a_tiny_extrapolation_reads_under_one_percent_not_zero(sample_app):
    at = sample_app(PAGE)
    at.multiselect(key="wi_personas").set_value([]).run()  # any persona: a few demo requests score under 20
    warnings = [w.value for w in at.warning if "Extrapolation" in w.value]
    assert warnings and warnings[0].startswith("Extrapolation: under 1% of these MQLs"), warnings


# --- 5. uploads load exactly or are refused ----------------------------------------------------------


def _upload(at, doc: dict):
    at.file_uploader(key="wi_upload").set_value(("scenario.toml", tomli_w.dumps(doc).encode(), "application/toml"))
    at.run()


@pytest.mark.parametrize(
    ("section", "key", "value", "field"),
    [
        ("quotas", "mqls", 2_000_000, "quotas.mqls"),
        ("goal", "monthly_revenue", 1e308, "goal.monthly_revenue"),
        ("mql", None, 10**12, "mql.fit.min_company_size"),
        ("follow_up", "first_touch_hours", 0.0001, "follow_up.first_touch_hours"),
        ("goal", "average_deal_size", 12_000.5, "goal.average_deal_size"),  # the money inputs hold whole amounts
    ],
)
def test_an_upload_outside_the_controls_is_refused_naming_the_field(sample_app, section, key, value, field):
    at = sample_app(PAGE)
    before = {k: at.session_state[k] for k in ("wi_quota_mqls", "wi_revenue_goal", "wi_min_company_size")}
    doc = sla_to_dict(sample_slas()[-1])
    if section == "mql":
        doc["mql"]["fit"]["min_company_size"] = value
    else:
        doc[section][key] = value
    _upload(at, doc)
    text = _texts(at)
    assert "Loaded the scenario" not in text
    assert field in text and "allowed" in text, text
    assert {k: at.session_state[k] for k in before} == before


def test_an_upload_inside_the_controls_loads_exactly(sample_app):
    at = sample_app(PAGE)
    doc = sla_to_dict(sample_slas()[-1])
    doc["quotas"]["mqls"] = 777
    doc["goal"]["monthly_revenue"] = 123_456
    doc["follow_up"]["first_touch_hours"] = 0.75
    doc["mql"]["fit"]["min_company_size"] = 35
    _upload(at, doc)
    assert "Loaded the scenario" in _texts(at)
    candidate = at.session_state["wi_candidate"]
    assert (candidate.quota_mqls, candidate.revenue_goal, candidate.first_touch_hours, candidate.min_company_size) == (
        777, 123_456, 0.75, 35)  # fmt: skip


def test_a_loaded_scenario_is_published_as_the_file_states_it(writable_app):
    from sqlmodel import Session

    from sla_model.store.repository import list_sla_versions

    at = writable_app(PAGE)
    doc = sla_to_dict(sample_slas()[-1])
    doc["quotas"]["mqls"] = 777
    doc["quotas"]["mqls_by_channel"] = {"Email": 300, "Webinar": 200}
    doc["follow_up"]["first_touch_hours"] = 0.75
    doc["mql"]["fit"]["personas"] = ["Chief Llama Officer"]  # a persona no lead has
    _upload(at, doc)
    assert at.multiselect(key="wi_personas").value == ["Chief Llama Officer"]
    at.text_area(key="wi_note").input("From the prepared scenario")
    next(b for b in at.button if b.label == "Publish").click().run()
    assert not at.exception
    with Session(make_engine(os.environ["DATABASE_URL"])) as session:
        v3 = next(s for s in list_sla_versions(session=session) if s.meta.version == 3)
    assert (v3.quotas.mqls, dict(v3.quotas.mqls_by_channel), v3.follow_up.first_touch_hours) == (
        777, {"Email": 300, "Webinar": 200}, 0.75)  # fmt: skip
    assert v3.mql.fit.personas == ["Chief Llama Officer"]
