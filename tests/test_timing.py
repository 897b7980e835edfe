import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from sla_model.metrics.timing import (
    breach_list,
    compliance_by,
    follow_up_rules,
    speed_by,
    speed_summary,
    speed_to_lead,
    time_in_stage,
    touch_compliance,
    touch_summary,
)
from tests.factories import leads_frame, make_lead, make_sla, make_touch, touches_frame

# Two versions with different follow-up rules: 24 h / 3 touches in 7 days / decide in 72 h from January,
# 8 h / 2 touches in 5 days / decide in 48 h from March.
VA = make_sla(meta={"version": 1, "effective_from": dt.date(2026, 1, 1)})
VB = make_sla(
    meta={"version": 2, "effective_from": dt.date(2026, 3, 1)},
    follow_up={"first_touch_hours": 8, "min_touches": 2, "touch_window_days": 5, "decision_hours": 48},
)
VERSIONS = [VB, VA]  # deliberately unsorted

GRACE, ZOE = "Grace Kim", "Zoë Ångström"


def _ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)


# --- rules and touches per MQL ---------------------------------------------------------------------


def test_follow_up_rules_by_handoff_time():
    leads = leads_frame(
        make_lead("before-any", mql_at="2025-06-01"),  # before the first version: judged by it
        make_lead("feb", mql_at="2026-02-28 23:59"),
        make_lead("on-the-day", mql_at="2026-03-01 00:00"),
    )
    rules = follow_up_rules(leads, VERSIONS)
    assert rules["sla_version"].tolist() == [1, 1, 2]
    assert rules["first_touch_hours"].tolist() == [24.0, 24.0, 8.0]
    assert rules["min_touches"].tolist() == [3, 3, 2]
    assert rules["window_days"].tolist() == [7, 7, 5]
    assert rules["decision_hours"].tolist() == [72.0, 72.0, 48.0]


def test_touch_summary():
    leads = leads_frame(
        make_lead("L1", mql_at="2026-02-27 10:00", owner=GRACE, channel="Email"),  # VA: 7-day window
        make_lead("L2", mql_at="2026-03-02 09:00", owner=ZOE, channel="Webinar"),  # VB, never touched
        make_lead("L3"),  # not an MQL: its touches are not summarised
        make_lead("L4", mql_at="2026-03-01 00:00", owner=GRACE, channel="Email"),  # VB: 5-day window
        make_lead("L5", mql_at="2026-02-28 23:00", owner=None, channel="Events"),  # touched before the handoff only
    )
    touches = touches_frame(
        # logged out of order on purpose
        make_touch("L1", "2026-03-06 10:00"),  # exactly at the window end (Feb 27 10:00 + 7 d): outside
        make_touch("L1", "2026-02-28 10:00"),
        make_touch("L1", "2026-02-27 09:00"),  # before the MQL time: ignored
        make_touch("L1", "2026-03-06 09:59"),  # last minute of the window
        make_touch("L1", "2026-02-27 12:00"),  # the first touch after the handoff: 2 h
        make_touch("L3", "2026-03-01 10:00"),
        make_touch("GHOST", "2026-03-01 10:00"),  # unknown lead: ignored
        make_touch("L4", "2026-03-06 00:00", rep=ZOE),  # window end (Mar 1 + 5 d): outside
        make_touch("L4", "2026-03-01 09:30", rep="Zoë"),  # 9.5 h
        make_touch("L5", "2026-02-28 22:00"),
    )
    summary = touch_summary(leads, touches, VERSIONS)
    assert summary.index.tolist() == [0, 1, 3, 4]  # the leads frame's index, MQLs only
    assert summary["lead_id"].tolist() == ["L1", "L2", "L4", "L5"]
    assert summary["owner"].tolist()[:3] == [GRACE, ZOE, GRACE]
    assert pd.isna(summary["owner"].iloc[3])
    assert summary["first_touch_at"].tolist()[:1] == [_ts("2026-02-27 12:00")]
    assert summary["first_touch_at"].iloc[2] == _ts("2026-03-01 09:30")
    assert summary["first_touch_at"].iloc[[1, 3]].isna().all()
    np.testing.assert_array_equal(summary["hours_to_first_touch"].to_numpy(), [2.0, np.nan, 9.5, np.nan])
    # L1: Feb 27 12:00, Feb 28 10:00, Mar 6 09:59 inside; Mar 6 10:00 after -> 3 of 4
    assert summary["touches_in_window"].tolist() == [3, 0, 1, 0]
    assert summary["touches_total"].tolist() == [4, 0, 2, 0]
    assert summary["sla_version"].tolist() == [1, 2, 2, 1]
    assert summary["window_days"].tolist() == [7, 5, 5, 7]


def test_touch_summary_empty_inputs():
    empty = touch_summary(leads_frame(), touches_frame(), VERSIONS)
    assert empty.empty
    assert "hours_to_first_touch" in empty.columns
    untouched = touch_summary(leads_frame(make_lead("L1", mql_at="2026-03-02")), touches_frame(), VERSIONS)
    assert untouched[["touches_in_window", "touches_total"]].values.tolist() == [[0, 0]]
    assert math.isnan(untouched["hours_to_first_touch"].iloc[0])


# --- speed to lead ---------------------------------------------------------------------------------

SPEED_AS_OF = _ts("2026-03-01 12:00")


def _speed_data() -> tuple[pd.DataFrame, pd.DataFrame]:
    leads = leads_frame(
        make_lead("A", mql_at="2026-02-20 10:00", owner=GRACE),  # VA, touched after exactly 24 h
        make_lead("B", mql_at="2026-03-01 00:30", owner=ZOE),  # VB, touched after 9.5 h > 8 h
        make_lead("C", mql_at="2026-02-25 10:00", owner=GRACE),  # VA, touched after 9.5 h <= 24 h
        make_lead("D", mql_at="2026-02-28 20:00", owner=GRACE),  # VA, deadline Mar 1 20:00: still open
        make_lead("E", mql_at="2026-03-01 02:00", owner=ZOE),  # VB, deadline 10:00: missed
        make_lead("G", mql_at="2026-03-01 04:00", owner=ZOE),  # VB, deadline 12:00 = as_of: missed
        make_lead("I", mql_at="2026-03-01 06:00", owner=None),  # VB, deadline 14:00: open
    )
    touches = touches_frame(
        make_touch("A", "2026-02-21 10:00"),
        make_touch("B", "2026-03-01 10:00"),
        make_touch("C", "2026-02-25 19:30"),
    )
    return leads, touches


def test_speed_to_lead_statuses_use_the_version_in_force_at_the_handoff():
    leads, touches = _speed_data()
    judged = speed_to_lead(touch_summary(leads, touches, VERSIONS), SPEED_AS_OF)
    assert judged["status"].tolist() == ["within", "late", "within", "open", "missed", "missed", "open"]
    assert judged["judged"].tolist() == [True, True, True, False, True, True, False]


def test_speed_to_lead_with_a_single_version_judges_differently():
    # the same leads under VA alone: B (9.5 h) is within 24 h; E and G are still open
    leads, touches = _speed_data()
    judged = speed_to_lead(touch_summary(leads, touches, [VA]), SPEED_AS_OF)
    assert judged["status"].tolist() == ["within", "within", "within", "open", "open", "open", "open"]


def test_speed_summary_of_judged_leads():
    leads, touches = _speed_data()
    summary = speed_summary(speed_to_lead(touch_summary(leads, touches, VERSIONS), SPEED_AS_OF))
    # touched: 24, 9.5, 9.5 -> median 9.5; p90 at position 0.9 * 2 = 1.8 -> 9.5 + 0.8 * (24 - 9.5) = 21.1
    assert summary["median_hours"] == 9.5
    assert summary["p90_hours"] == pytest.approx(21.1)
    assert (summary["touched"], summary["within"], summary["judged"]) == (3, 2, 5)
    assert summary["share_within"] == pytest.approx(0.4)  # 2 / 5 (open D and I not judged)
    # Wilson, 2 of 5: denom 1.768292, centre 0.784146 / 1.768292 = 0.443448,
    # half = 1.959964 * sqrt(0.048 + 0.038415) / 1.768292 = 0.325827
    assert summary["low"] == pytest.approx(0.117621, abs=1e-5)
    assert summary["high"] == pytest.approx(0.769275, abs=1e-5)


def test_speed_summary_hand_table():
    frame = pd.DataFrame(
        {
            "hours_to_first_touch": [1.0, 2.0, 3.0, 10.0, np.nan, np.nan],
            "status": ["within", "within", "within", "late", "missed", "open"],
            "judged": [True, True, True, True, True, False],
        }
    )
    s = speed_summary(frame)
    # median of 1, 2, 3, 10 = 2.5; p90 at 0.9 * 3 = 2.7 -> 3 + 0.7 * 7 = 7.9; 3 within of 5 judged
    assert (s["median_hours"], s["touched"], s["within"], s["judged"]) == (2.5, 4, 3, 5)
    assert s["p90_hours"] == pytest.approx(7.9)
    assert s["share_within"] == pytest.approx(0.6)


def test_speed_summary_nothing_judged():
    frame = pd.DataFrame({"hours_to_first_touch": [np.nan], "status": ["open"], "judged": [False]})
    s = speed_summary(frame)
    assert (s["touched"], s["within"], s["judged"]) == (0, 0, 0)
    assert all(math.isnan(s[k]) for k in ("median_hours", "p90_hours", "share_within", "low", "high"))


def test_speed_by_owner():
    leads, touches = _speed_data()
    judged = speed_to_lead(touch_summary(leads, touches, VERSIONS), SPEED_AS_OF)
    frame = speed_by(judged).set_index("owner")
    assert sorted(frame.index) == [GRACE, ZOE]  # lead I has no owner
    # Grace: A 24 h and C 9.5 h within, D open -> median 16.75, 2 of 2
    assert frame.loc[GRACE, ["median_hours", "touched", "within", "judged", "share_within"]].tolist() == [
        16.75,
        2,
        2,
        2,
        1.0,
    ]
    # Zoë: B late at 9.5 h, E and G missed -> 0 of 3
    assert frame.loc[ZOE, ["median_hours", "touched", "within", "judged", "share_within"]].tolist() == [
        9.5,
        1,
        0,
        3,
        0.0,
    ]


def test_speed_by_empty():
    judged = speed_to_lead(touch_summary(leads_frame(), touches_frame(), VERSIONS), SPEED_AS_OF)
    frame = speed_by(judged, by="channel")
    assert frame.empty
    assert frame.columns.tolist()[:3] == ["channel", "median_hours", "p90_hours"]


# --- touch compliance ------------------------------------------------------------------------------

COMPLIANCE_AS_OF = _ts("2026-03-20 12:00")
M1 = "2026-03-01 10:00"  # window (VA: 7 days) over on Mar 8 10:00


def _hours_after(start: str, *hours: float) -> list[dict]:
    return [make_touch(lead, _ts(start) + pd.Timedelta(hours=h)) for lead, h in hours]


def test_touch_compliance():
    leads = leads_frame(
        make_lead("k3", mql_at=M1, owner=GRACE),
        make_lead("k2-over", mql_at=M1, owner=GRACE),
        make_lead("k2-accepted", mql_at=M1, owner=GRACE, accepted_at="2026-03-04"),
        make_lead("k2-accepted-late", mql_at=M1, owner=ZOE, accepted_at="2026-03-09"),
        make_lead("no-response", mql_at=M1, owner=ZOE, rejected_at="2026-03-03", rejection_reason="no_response"),
        make_lead("no-budget", mql_at=M1, owner=ZOE, rejected_at="2026-03-03", rejection_reason="no_budget"),
        make_lead("running", mql_at="2026-03-18 10:00", owner=ZOE),
        make_lead("running-done", mql_at="2026-03-18 10:00", owner=ZOE),
        make_lead("window-edge", mql_at="2026-03-13 12:00", owner=ZOE),  # window ends exactly at as_of
    )
    touches = touches_frame(
        *_hours_after(M1, ("k3", 1), ("k3", 30), ("k3", 160)),  # 160 h < 168 h
        *_hours_after(M1, ("k2-over", 1), ("k2-over", 30), ("k2-over", 170)),  # the third is too late
        *_hours_after(M1, ("k2-accepted", 1), ("k2-accepted", 30)),
        *_hours_after(M1, ("k2-accepted-late", 1), ("k2-accepted-late", 30)),
        *_hours_after(M1, ("no-response", 1), ("no-budget", 1)),
        *_hours_after("2026-03-18 10:00", ("running-done", 1), ("running-done", 2), ("running-done", 3)),
    )
    summary = touch_summary(leads, touches, [VA])
    result = touch_compliance(summary, leads, COMPLIANCE_AS_OF).set_index("lead_id")
    assert result["complies"].to_dict() == {
        "k3": True,  # 3 touches in 7 days
        "k2-over": False,
        "k2-accepted": True,  # accepted inside the window ends the attempts
        "k2-accepted-late": False,
        "no-response": False,  # "no response" does not excuse missing touches
        "no-budget": True,
        "running": False,
        "running-done": True,
        "window-edge": False,
    }
    assert result["judged"].to_dict() == {
        "k3": True,
        "k2-over": True,
        "k2-accepted": True,
        "k2-accepted-late": True,
        "no-response": True,
        "no-budget": True,
        "running": False,  # window still running and not compliant yet
        "running-done": True,  # already compliant
        "window-edge": True,
    }
    by_owner = compliance_by(result.reset_index()).set_index("owner")
    # Grace: k3, k2-over, k2-accepted -> 2 of 3; Zoë: 2 of 5 judged (no-budget, running-done)
    assert by_owner.loc[GRACE, ["complies", "judged"]].tolist() == [2, 3]
    assert by_owner.loc[GRACE, "share"] == pytest.approx(2 / 3)
    assert by_owner.loc[ZOE, ["complies", "judged"]].tolist() == [2, 5]
    assert by_owner.loc[ZOE, "share"] == pytest.approx(0.4)
    assert by_owner.loc[ZOE, "low"] == pytest.approx(0.117621, abs=1e-5)


def test_compliance_by_nothing_judged():
    leads = leads_frame(make_lead("running", mql_at="2026-03-18 10:00", owner=GRACE))
    result = touch_compliance(touch_summary(leads, touches_frame(), [VA]), leads, COMPLIANCE_AS_OF)
    assert result["judged"].tolist() == [False]
    assert compliance_by(result).empty


# --- the breach list ------------------------------------------------------------------------------

BREACH_AS_OF = _ts("2026-03-10 12:00")


def test_breach_list():
    old = "2026-02-20 12:00"
    leads = leads_frame(
        make_lead("N1", mql_at="2026-03-10 08:00", company="Fresh"),  # VB, 4 h old, untouched: fine
        make_lead("N2", mql_at="2026-03-10 02:00", company="Nord Ålesund AS", owner=ZOE),  # VB, 10 h, untouched
        make_lead("N3", mql_at="2026-03-04 12:00", company="Three"),  # VB, 144 h, 1 touch
        make_lead("N4", mql_at=old, company="Four", owner=GRACE),  # VA, 18 d = 432 h, untouched
        make_lead("N5", mql_at="2026-03-08 12:00", company="Five"),  # VB, 48 h, 2 touches: not yet late
        make_lead("N6", mql_at="2026-03-08 11:00", company="Six"),  # VB, 49 h, 2 touches, no decision
        make_lead("N7", mql_at="2026-03-09 12:00", company="Seven"),  # VB, 24 h, touched before the handoff only
        make_lead("N8", mql_at="2026-02-25 12:00", company="Eight"),  # VA, 13 d = 312 h, 2 touches in the window
        # decided or routed away: never breaches, however old and untouched
        make_lead("D1", mql_at=old, accepted_at="2026-02-21"),
        make_lead("D2", mql_at=old, rejected_at="2026-02-21", rejection_reason="no_budget"),
        make_lead("D3", mql_at=old, recycled_at="2026-03-05"),
        make_lead("D4", mql_at=old, disqualified_at="2026-03-05"),
        make_lead("not-mql", created_at=old),
    )
    touches = touches_frame(
        make_touch("N3", "2026-03-05 12:00"),
        make_touch("N5", "2026-03-08 13:00"),
        make_touch("N5", "2026-03-08 14:00"),
        make_touch("N6", "2026-03-08 13:00"),
        make_touch("N6", "2026-03-08 14:00"),
        make_touch("N7", "2026-03-09 11:00"),
        make_touch("N8", "2026-02-26 12:00"),
        make_touch("N8", "2026-02-27 12:00"),
    )
    summary = touch_summary(leads, touches, VERSIONS)
    breaches = breach_list(summary, leads, BREACH_AS_OF)
    assert breaches.columns.tolist() == [
        "lead_id",
        "company",
        "owner",
        "channel",
        "mql_at",
        "touches_total",
        "age_hours",
        "breach",
        "policy",
    ]
    # oldest first
    assert breaches["lead_id"].tolist() == ["N4", "N8", "N3", "N6", "N7", "N2"]
    # Feb 20 -> Mar 10 = 18 d = 432 h; Feb 25 -> Mar 10 = 13 d = 312 h (February has 28 days)
    assert breaches["age_hours"].tolist() == [432.0, 312.0, 144.0, 49.0, 24.0, 10.0]
    assert breaches["touches_total"].tolist() == [0, 2, 1, 2, 0, 0]
    assert breaches["breach"].tolist() == [
        "no touch after 24 h; no decision after 72 h",  # VA rules
        "2 of 3 touches in 7 days; no decision after 72 h",
        "1 of 2 touches in 5 days; no decision after 48 h",  # VB rules
        "no decision after 48 h",
        "no touch after 8 h",  # a touch before the MQL time does not count
        "no touch after 8 h",
    ]
    assert breaches["company"].tolist()[-1] == "Nord Ålesund AS"
    assert breaches["owner"].tolist()[0] == GRACE


def test_breach_list_empty():
    breaches = breach_list(touch_summary(leads_frame(), touches_frame(), VERSIONS), leads_frame(), BREACH_AS_OF)
    assert breaches.empty
    assert "breach" in breaches.columns


# --- time in stage --------------------------------------------------------------------------------


def test_time_in_stage():
    leads = leads_frame(
        make_lead("t1", mql_at="2026-02-01", sql_at="2026-02-03", won_at="2026-03-05"),  # 2 d; 30 d
        make_lead("t2", mql_at="2026-01-30", sql_at="2026-02-03"),  # 4 d
        make_lead("t3", mql_at="2026-02-10", sql_at="2026-02-19", won_at="2026-02-10"),  # 9 d; won before SQL
        make_lead("t4", mql_at="2026-02-20", sql_at="2026-02-18"),  # SQL before MQL: -2 d, left out
        make_lead("t5", mql_at="2026-03-01", sql_at="2026-03-02", won_at="2026-03-12"),  # 1 d; 10 d
        make_lead("t6", mql_at="2026-03-05 00:00", sql_at="2026-03-05 12:00"),  # 0.5 d
        make_lead("t7", sql_at="2026-01-15 09:00", won_at="2026-01-15 09:00"),  # no MQL; 0 d to won
        make_lead("t8", mql_at="2026-03-20", sql_at="2026-04-02"),  # April: not asked for
        make_lead("t9"),
    )
    months = pd.period_range("2026-01", "2026-03", freq="M")
    frame = time_in_stage(leads, months)
    assert frame.columns.tolist() == ["month", "transition", "median_days", "n"]
    assert frame["transition"].tolist() == ["MQL→SQL"] * 3 + ["SQL→won"] * 3
    assert frame["month"].tolist() == list(months) * 2
    # MQL->SQL: Jan none; Feb 2, 4, 9 -> 4; Mar 1, 0.5 -> 0.75
    # SQL->won: Jan 0; Feb only a negative one -> none; Mar 30, 10 -> 20
    np.testing.assert_array_equal(frame["median_days"].to_numpy(), [np.nan, 4.0, 0.75, 0.0, np.nan, 20.0])
    assert frame["n"].tolist() == [0, 3, 2, 1, 0, 2]


def test_time_in_stage_empty():
    frame = time_in_stage(leads_frame(), pd.period_range("2026-01", "2026-02", freq="M"))
    assert frame["n"].tolist() == [0, 0, 0, 0]
    assert frame["median_days"].isna().all()


# --- decided leads (won, lost, converted) are never open, never breaches ------------------------------

DECIDED_AS_OF = pd.Timestamp("2026-11-10")


def test_won_lost_and_converted_leads_are_not_breaches():
    from tests.factories import decided_leads

    leads = decided_leads()
    summary = touch_summary(leads, touches_frame(), [VA])
    breaches = breach_list(summary, leads, DECIDED_AS_OF)
    assert breaches["lead_id"].tolist() == ["P"]  # only the pending MQL: no touch after 24 h, no decision after 72 h
    assert breaches["breach"].tolist() == ["no touch after 24 h; no decision after 72 h"]


def test_a_decided_lead_without_any_touch_is_not_judged_on_speed_to_lead():
    from tests.factories import decided_leads

    leads = decided_leads()
    judged = speed_to_lead(touch_summary(leads, touches_frame(), [VA]), DECIDED_AS_OF)
    status = dict(zip(judged["lead_id"], judged["status"], strict=True))
    assert status == {"W": "untracked", "L": "untracked", "O": "untracked", "P": "missed", "R": "untracked",
                      "D": "untracked"}  # fmt: skip
    assert judged.loc[judged["status"] == "untracked", "judged"].eq(False).all()
    s = speed_summary(judged)
    assert (s["judged"], s["within"], s["share_within"]) == (1, 0, 0.0)


def test_a_touched_decided_lead_is_still_judged_on_its_first_touch():
    from tests.factories import decided_leads

    leads = decided_leads()
    touches = touches_frame(make_touch("W", "2026-10-01 12:00"), make_touch("L", "2026-10-03 10:00"))
    judged = speed_to_lead(touch_summary(leads, touches, [VA]), DECIDED_AS_OF).set_index("lead_id")
    assert (judged.at["W", "status"], judged.at["L", "status"]) == ("within", "late")


def test_a_conversion_inside_the_touch_window_ends_the_attempts():
    leads = leads_frame(
        make_lead("S", mql_at="2026-10-01 10:00", sql_at="2026-10-03 10:00"),  # SQL on day 2 of 7
        make_lead("W", mql_at="2026-10-01 10:00", won_at="2026-10-20 10:00"),  # won after the window
    )
    got = touch_compliance(touch_summary(leads, touches_frame(), [VA]), leads, DECIDED_AS_OF)
    assert got["complies"].tolist() == [True, False]


def test_time_in_stage_counts_won_and_lost_leads_as_having_reached_sql():
    from tests.factories import decided_leads

    months = pd.period_range("2026-10", "2026-11", freq="M")
    got = time_in_stage(decided_leads(), months).set_index(["transition", "month"])
    # MQL→SQL at the earliest of sql/opportunity/won/lost: W 10 d, L 20 d, O 30 d, all in October.
    assert got.loc[("MQL→SQL", months[0]), "median_days"] == 20.0
    assert got.loc[("MQL→SQL", months[0]), "n"] == 3
    # SQL→won needs a known SQL (or opportunity) date: only O, 31 Oct → 5 Nov. W's win invents no 0-day stage.
    assert got.loc[("SQL→won", months[1]), "median_days"] == 5.0
    assert got.loc[("SQL→won", months[1]), "n"] == 1
    assert got.loc[("SQL→won", months[0]), "n"] == 0


def test_without_any_touch_recorded_only_the_decision_rule_is_judged():
    from tests.factories import decided_leads

    leads = decided_leads()
    summary = touch_summary(leads, touches_frame(), [VA])
    breaches = breach_list(summary, leads, DECIDED_AS_OF, touches_recorded=False)
    assert breaches["breach"].tolist() == ["no decision after 72 h"]  # P; no touch rule without touch data
    early = pd.Timestamp("2026-10-02 12:00")  # 26 h after the handoff: past 24 h, not past 72 h
    assert breach_list(summary, leads, early, touches_recorded=False).empty
    assert breach_list(summary, leads, early)["breach"].tolist() == ["no touch after 24 h"]
