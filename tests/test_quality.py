import math

import numpy as np
import pandas as pd
import pytest

from sla_model.metrics.quality import (
    acceptance,
    acceptance_by,
    conversions,
    decision_status,
    latest_notes,
    loop_counts,
    mql_cohort,
    rejection_reasons,
    score_band,
)
from tests.factories import feedback_frame, leads_frame, make_feedback, make_lead, make_sla

T = "2026-11-05 10:00"
EVENTS = "Événements 🎪"


def test_mql_cohort_is_half_open():
    leads = leads_frame(
        make_lead("first", mql_at="2026-11-01 00:00"),
        make_lead("last", mql_at="2026-11-30 23:59"),
        make_lead("next", mql_at="2026-12-01 00:00"),
        make_lead("before", mql_at="2026-10-31 23:59"),
        make_lead("none"),
    )
    cohort = mql_cohort(leads, pd.Timestamp("2026-11-01"), pd.Timestamp("2026-12-01"))
    assert cohort["lead_id"].tolist() == ["first", "last"]


def _decisions() -> pd.DataFrame:
    return leads_frame(
        make_lead("acc1", mql_at=T, accepted_at=T),
        make_lead("acc2", mql_at=T, accepted_at=T),
        make_lead("acc-then-rej", mql_at=T, accepted_at=T, rejected_at=T),  # accepted wins
        make_lead("rej", mql_at=T, rejected_at=T, recycled_at=T, rejection_reason="no_budget"),
        make_lead("stale", mql_at=T, recycled_at=T),
        make_lead("pending", mql_at=T),
    )


def test_decision_status():
    assert decision_status(_decisions()).tolist() == [
        "accepted",
        "accepted",
        "accepted",
        "rejected",
        "stale",
        "pending",
    ]


def test_acceptance():
    result = acceptance(_decisions())
    counts = {k: result[k] for k in ("mqls", "accepted", "rejected", "stale", "pending", "decided")}
    assert counts == {"mqls": 6, "accepted": 3, "rejected": 1, "stale": 1, "pending": 1, "decided": 4}
    # 3 / (3 + 1); stale and pending are not in the rate
    assert result["rate"] == 0.75
    # Wilson, 3 of 4: denom = 1 + 3.841459/4 = 1.960365, centre = (0.75 + 0.480182) / 1.960365 = 0.627528,
    # half = 1.959964 * sqrt(0.046875 + 0.060023) / 1.960365 = 0.326886
    assert result["low"] == pytest.approx(0.300642, abs=1e-5)
    assert result["high"] == pytest.approx(0.954413, abs=1e-5)


@pytest.mark.parametrize(
    "leads",
    [
        pytest.param(leads_frame(), id="empty"),
        pytest.param(leads_frame(make_lead("p", mql_at=T), make_lead("s", mql_at=T, recycled_at=T)), id="undecided"),
    ],
)
def test_acceptance_without_decisions_is_nan(leads):
    result = acceptance(leads)
    assert result["decided"] == 0
    assert math.isnan(result["rate"]) and math.isnan(result["low"]) and math.isnan(result["high"])
    assert result["mqls"] == len(leads)


def test_acceptance_by_channel():
    leads = leads_frame(
        make_lead("e1", channel="Email", accepted_at=T),
        make_lead("e2", channel="Email", accepted_at=T),
        make_lead("e3", channel="Email", rejected_at=T, rejection_reason="no_budget"),
        make_lead("e4", channel="Email"),  # pending: not decided
        make_lead("v1", channel=EVENTS),  # pending only: 0 decided
        make_lead("w1", channel="Webinar", rejected_at=T, rejection_reason="not_icp"),
    )
    frame = acceptance_by(leads, "channel")
    assert sorted(frame.index) == sorted(["Email", EVENTS, "Webinar"])
    assert frame.loc["Email", ["accepted", "decided", "rejected"]].tolist() == [2, 3, 1]
    assert frame.loc["Email", "rate"] == pytest.approx(2 / 3)
    # Wilson, 2 of 3: denom = 1 + 3.841459/3 = 2.280486, centre = 1.306910 / 2.280486 = 0.573083,
    # half = 1.959964 * sqrt(0.074074 + 0.106707) / 2.280486 = 0.365424
    assert frame.loc["Email", "low"] == pytest.approx(0.207660, abs=1e-5)
    assert frame.loc["Email", "high"] == pytest.approx(0.938508, abs=1e-5)
    assert frame.loc[EVENTS, ["accepted", "decided", "rejected"]].tolist() == [0, 0, 0]
    assert math.isnan(frame.loc[EVENTS, "rate"])  # 0 / 0
    assert frame.loc["Webinar", "rate"] == 0.0  # 0 / 1
    assert frame["small_sample"].all()


def test_acceptance_by_a_series_of_months():
    leads = leads_frame(
        make_lead("o1", mql_at="2026-10-10", accepted_at="2026-10-11"),
        make_lead("o2", mql_at="2026-10-20", rejected_at="2026-11-02", rejection_reason="no_budget"),
        make_lead("n1", mql_at="2026-11-10", accepted_at="2026-11-11"),
    )
    frame = acceptance_by(leads, leads["mql_at"].dt.to_period("M"))
    assert frame.index.tolist() == [pd.Period("2026-10", "M"), pd.Period("2026-11", "M")]
    assert frame["rate"].tolist() == [0.5, 1.0]  # 1 of 2 in October, 1 of 1 in November


def test_rejection_reasons_pareto():
    rejected = [
        ("no_interest", 3),
        ("no_budget", 2),
        ("bad_data", 2),
        (None, 1),  # rejected without a reason
        ("legacy_code", 1),  # a code no SLA version labels
    ]
    rows = [make_lead(f"{code}-{i}", rejected_at=T, rejection_reason=code) for code, n in rejected for i in range(n)]
    rows.append(make_lead("accepted-with-reason", accepted_at=T, rejection_reason="no_budget"))  # not rejected
    frame = rejection_reasons(leads_frame(*rows), make_sla().reason_labels())
    # most frequent first; ties by code: bad_data before no_budget, "(no reason)" before "legacy_code"
    assert frame["reason"].tolist() == ["no_interest", "bad_data", "no_budget", "(no reason)", "legacy_code"]
    assert frame["label"].tolist() == [
        "No real interest",
        "Bad contact data",
        "No budget",
        "(no reason)",
        "legacy_code",
    ]
    assert frame["count"].tolist() == [3, 2, 2, 1, 1]
    # total 9: 3/9, 2/9, 2/9, 1/9, 1/9; cumulative 3/9, 5/9, 7/9, 8/9, 9/9
    np.testing.assert_allclose(frame["share"].to_numpy(), np.array([3, 2, 2, 1, 1]) / 9)
    np.testing.assert_allclose(frame["cumulative_share"].to_numpy(), np.array([3, 5, 7, 8, 9]) / 9)


def test_rejection_reasons_without_labels_keeps_codes():
    leads = leads_frame(make_lead("a", rejected_at=T, rejection_reason="no_budget"))
    frame = rejection_reasons(leads)
    assert frame[["reason", "label", "count", "share", "cumulative_share"]].values.tolist() == [
        ["no_budget", "no_budget", 1, 1.0, 1.0]
    ]


def test_rejection_reasons_empty():
    frame = rejection_reasons(leads_frame(make_lead("a", accepted_at=T)), {"x": "y"})
    assert frame.empty
    assert frame.columns.tolist() == ["reason", "label", "count", "share", "cumulative_share"]


@pytest.mark.parametrize(
    ("score", "band"),
    [
        (0, "0–19"),
        (19, "0–19"),
        (20, "20–39"),
        (39, "20–39"),
        (40, "40–49"),
        (49, "40–49"),
        (50, "50–59"),
        (89, "80–89"),
        (90, "90–100"),
        (100, "90–100"),
        (-1, None),  # out of range
        (101, None),
        (np.nan, None),
    ],
)
def test_score_band(score, band):
    got = score_band(pd.Series([score], dtype=float)).iloc[0]
    if band is None:
        assert pd.isna(got)
    else:
        assert got == band


def test_score_band_is_ordered():
    bands = score_band(pd.Series([55, 5, 95]))
    assert bands.cat.ordered
    assert bands.cat.categories.tolist() == ["0–19", "20–39", "40–49", "50–59", "60–69", "70–79", "80–89", "90–100"]
    assert bands.sort_values().tolist() == ["0–19", "50–59", "90–100"]


def test_conversions():
    mql = "2026-11-02"
    rows = [
        make_lead("a1", channel="Email", mql_at=mql, sql_at="2026-11-05", won_at="2026-11-20"),
        make_lead("a2", channel="Email", mql_at=mql, sql_at="2026-11-06"),
        make_lead("a3", channel="Email", mql_at=mql),
        make_lead("a4", channel="Email", mql_at=mql),
        make_lead("not-mql", channel="Email", sql_at="2026-11-06", won_at="2026-11-20"),  # not in the cohort
        # won without an SQL time: a won lead reached SQL (sla_model.metrics.lifecycle.reached_sql)
        make_lead("b1", channel=EVENTS, mql_at=mql, won_at="2026-11-20"),
    ]
    # 30 Webinar MQLs: 15 SQLs, 3 of them won
    for i in range(30):
        sql = "2026-11-05" if i < 15 else None
        won = "2026-11-25" if i < 3 else None
        rows.append(make_lead(f"w{i}", channel="Webinar", mql_at=mql, sql_at=sql, won_at=won))
    frame = conversions(leads_frame(*rows), "channel")
    assert frame.columns.tolist() == ["group", "stage", "successes", "n", "rate", "low", "high", "small_sample"]
    assert len(frame) == 9  # 3 groups x 3 stages
    table = frame.set_index(["group", "stage"])

    def cell(group: str, stage: str) -> list:
        return table.loc[(group, stage), ["successes", "n", "rate", "small_sample"]].tolist()

    assert cell("Email", "MQL→SQL") == [2, 4, 0.5, True]  # 2 / 4
    assert cell("Email", "SQL→won") == [1, 2, 0.5, True]  # 1 / 2
    assert cell("Email", "MQL→won") == [1, 4, 0.25, True]  # 1 / 4
    assert cell(EVENTS, "MQL→SQL") == [1, 1, 1.0, True]
    assert cell(EVENTS, "SQL→won") == [1, 1, 1.0, True]
    assert cell(EVENTS, "MQL→won") == [1, 1, 1.0, True]
    assert cell("Webinar", "MQL→SQL") == [15, 30, 0.5, False]  # 30 is not a small sample
    assert cell("Webinar", "SQL→won") == [3, 15, 0.2, True]
    assert cell("Webinar", "MQL→won") == [3, 30, 0.1, False]


def test_conversions_by_series_and_empty():
    leads = leads_frame(
        make_lead("a", mql_at="2026-10-02", sql_at="2026-10-05"),
        make_lead("b", mql_at="2026-11-02"),
        make_lead("c"),  # not an MQL, with no month
    )
    frame = conversions(leads, leads["mql_at"].dt.to_period("M"))
    mql_to_sql = frame[frame["stage"] == "MQL→SQL"]
    assert mql_to_sql["group"].tolist() == [pd.Period("2026-10", "M"), pd.Period("2026-11", "M")]
    assert mql_to_sql["rate"].tolist() == [1.0, 0.0]
    assert conversions(leads_frame(), "channel").empty


def test_loop_counts():
    leads = leads_frame(
        make_lead("nurtured-1", rejected_at=T, recycled_at=T, rejection_reason="no_budget"),
        make_lead("nurtured-2", rejected_at=T, recycled_at=T, rejection_reason="bad_timing"),
        make_lead("out", rejected_at=T, disqualified_at=T, rejection_reason="student"),
        make_lead("stale", recycled_at=T),
        make_lead("rejected-not-yet-routed", rejected_at=T),
        make_lead("accepted", accepted_at=T),
    )
    assert loop_counts(leads) == {"recycled": 2, "disqualified": 1, "stale": 1}
    assert loop_counts(leads_frame()) == {"recycled": 0, "disqualified": 0, "stale": 0}


HTML_NOTE = "<b>x</b> & <script>alert(1)</script>"
RTL_NOTE = "لا توجد ميزانية 🚫 — call back in Q3"


def _notes_data() -> tuple[pd.DataFrame, pd.DataFrame]:
    leads = leads_frame(
        make_lead("L1", company="Acme Analytics", channel="Email"),
        make_lead("L2", company="Société Générale", channel=EVENTS),
        make_lead("L3", company="Beta", channel="Webinar"),
    )
    feedback = feedback_frame(
        make_feedback("L1", "reject", "2026-11-05 10:00", reason="no_budget", note=HTML_NOTE, by="Grace Kim"),
        make_feedback("L2", "reject", "2026-11-06 10:00", reason="no_interest", note=RTL_NOTE, by="Zoë Ångström"),
        make_feedback("L3", "reject", "2026-11-07 10:00", reason="not_icp", note="   "),  # blank
        make_feedback("L3", "reject", "2026-11-07 11:00", reason="not_icp", note=None),  # missing
        make_feedback("L3", "accept", "2026-11-08 10:00", note="great lead"),  # not a rejection
        make_feedback("GHOST", "reject", "2026-11-09 10:00", reason="bad_data", note="unknown lead"),
        make_feedback("L1", "reject", "2026-11-03 10:00", reason="legacy_code", note="first line\nsecond line"),
        make_feedback("L3", "reject", "2026-11-02 10:00", reason=None, note="  no reason given  "),
    )
    return feedback, leads


def test_latest_notes_verbatim_newest_first():
    feedback, leads = _notes_data()
    notes = latest_notes(feedback, leads, make_sla().reason_labels())
    assert notes.columns.tolist() == ["at", "by", "lead_id", "reason", "note", "company", "channel"]
    assert notes["lead_id"].tolist() == ["L2", "L1", "L1", "L3"]
    assert notes["note"].tolist() == [RTL_NOTE, HTML_NOTE, "first line\nsecond line", "  no reason given  "]
    assert notes["reason"].tolist() == ["No real interest", "No budget", "legacy_code", ""]
    assert notes["company"].tolist() == ["Société Générale", "Acme Analytics", "Acme Analytics", "Beta"]
    assert notes["channel"].tolist() == [EVENTS, "Email", "Email", "Webinar"]
    assert notes["by"].tolist()[:2] == ["Zoë Ångström", "Grace Kim"]
    assert notes["at"].iloc[0] == pd.Timestamp("2026-11-06 10:00")


def test_latest_notes_limit_and_lead_filter():
    feedback, leads = _notes_data()
    assert latest_notes(feedback, leads, {}, n=2)["lead_id"].tolist() == ["L2", "L1"]
    only_l1 = latest_notes(feedback, leads[leads["lead_id"] == "L1"], {})
    assert only_l1["note"].tolist() == [HTML_NOTE, "first line\nsecond line"]
    assert only_l1["reason"].tolist() == ["no_budget", "legacy_code"]  # no labels: codes


def test_latest_notes_empty():
    notes = latest_notes(feedback_frame(), leads_frame(), {})
    assert notes.empty
    assert notes.columns.tolist() == ["at", "by", "lead_id", "reason", "note", "company", "channel"]


# --- decided leads: a won or lost lead was accepted by sales and reached SQL -------------------------


def test_won_and_lost_leads_without_an_accepted_date_count_as_accepted_not_pending():
    from tests.factories import decided_leads

    got = acceptance(decided_leads())
    # W, L, O converted (accepted); R rejected; D closed without a sales decision (stale); P pending.
    assert {k: got[k] for k in ("mqls", "accepted", "rejected", "stale", "pending", "decided")} == {
        "mqls": 6, "accepted": 3, "rejected": 1, "stale": 1, "pending": 1, "decided": 4,
    }  # fmt: skip
    assert got["rate"] == 0.75


def test_acceptance_by_group_counts_converted_leads_as_accepted():
    from tests.factories import decided_leads

    got = acceptance_by(decided_leads(), "owner")
    assert (int(got["accepted"].iloc[0]), int(got["decided"].iloc[0]), int(got["rejected"].iloc[0])) == (3, 4, 1)


def test_conversions_count_won_and_lost_leads_as_sqls():
    from tests.factories import decided_leads

    leads = decided_leads()
    got = conversions(leads, pd.Series("all", index=leads.index)).set_index("stage")
    assert (got.at["MQL→SQL", "successes"], got.at["MQL→SQL", "n"]) == (3, 6)
    assert (got.at["SQL→won", "successes"], got.at["SQL→won", "n"]) == (2, 3)
    assert (got.at["MQL→won", "successes"], got.at["MQL→won", "n"]) == (2, 6)


def test_many_rejection_reasons_fold_into_one_other_row_that_keeps_the_counts():
    """Before: a Pareto of 15 reasons squeezed its labels until they were cut."""
    from sla_model.metrics.quality import top_reasons

    leads = leads_frame(
        *[
            make_lead(f"R{i}-{j}", mql_at="2026-11-02", rejected_at="2026-11-03", rejection_reason=f"reason_{i:02d}")
            for i in range(15)
            for j in range(15 - i)
        ]
    )
    full = rejection_reasons(leads)
    cut = top_reasons(full)
    assert len(full) == 15 and len(cut) == 9
    assert cut["label"].iloc[-1] == "Other reasons (7)"
    assert cut["count"].sum() == full["count"].sum() == len(leads)
    assert cut["cumulative_share"].iloc[-1] == pytest.approx(1.0)
    assert top_reasons(full.head(9)).equals(full.head(9))  # nothing to fold
