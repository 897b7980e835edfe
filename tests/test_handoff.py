"""Systems vs human delay, MQLs at risk of a breach, and conversion by speed to lead, on hand-built leads."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from sla_model.metrics.handoff import at_risk, delay_split, delay_summary, hours_left, speed_bucket, speed_pays
from sla_model.metrics.timing import breach_list, touch_summary
from tests.factories import leads_frame, make_lead, make_sla, make_touch, touches_frame

# 8 h first touch, 2 touches in 5 days, decision in 48 h.
SLA = make_sla(
    meta={"version": 1, "effective_from": dt.date(2026, 1, 1)},
    follow_up={"first_touch_hours": 8, "min_touches": 2, "touch_window_days": 5, "decision_hours": 48},
)
AS_OF = pd.Timestamp("2026-03-10 12:00")


def test_due_times_are_the_handoff_plus_the_rule():
    leads = leads_frame(make_lead("A", mql_at="2026-03-01 09:00"))
    s = touch_summary(leads, touches_frame(), [SLA]).iloc[0]
    assert s["first_touch_due"] == pd.Timestamp("2026-03-01 17:00")
    assert s["decision_due"] == pd.Timestamp("2026-03-03 09:00")


def test_delay_split_separates_routing_from_the_rep():
    leads = leads_frame(
        make_lead("A", created_at="2026-03-01 06:00", mql_at="2026-03-01 09:00", owner="Ann"),  # 3 h routing
        make_lead("B", created_at="2026-03-01 00:00", mql_at="2026-03-02 00:00", owner="Bob"),  # 24 h routing
        make_lead("C", created_at="2026-03-02 00:00", mql_at="2026-03-01 00:00", owner="Bob"),  # out of order
    )
    touches = touches_frame(make_touch("A", "2026-03-01 10:00"), make_touch("B", "2026-03-02 05:00"))
    split = delay_split(touch_summary(leads, touches, [SLA]), leads)
    assert split["systems_hours"].tolist()[:2] == [3.0, 24.0]
    assert np.isnan(split["systems_hours"].iloc[2])
    assert split["human_hours"].tolist()[:2] == [1.0, 5.0]
    overall = delay_summary(split).iloc[0]
    assert (overall["systems_n"], overall["human_n"], overall["mqls"]) == (2, 2, 3)
    assert overall["systems_median"] == pytest.approx(13.5)
    assert overall["human_median"] == pytest.approx(3.0)
    assert overall["systems_share"] == pytest.approx(13.5 / 16.5)
    by_rep = delay_summary(split, "owner").set_index("owner")
    assert by_rep.loc["Bob", "systems_median"] == 24.0 and by_rep.loc["Bob", "human_median"] == 5.0


def test_hours_left_is_negative_once_overdue():
    due = pd.Series(pd.to_datetime(["2026-03-10 14:30", "2026-03-10 11:00"]))
    assert hours_left(due, AS_OF).tolist() == [2.5, -1.0]


def test_at_risk_lists_what_breaks_soon_and_leaves_the_broken_to_the_breach_list():
    leads = leads_frame(
        make_lead("touch-soon", company="T", mql_at="2026-03-10 06:00", owner="Ann"),  # due 14:00: 2 h left
        make_lead("decide-soon", company="D", mql_at="2026-03-08 15:00", owner="Bob"),  # due 3-10 15:00: 3 h
        make_lead("far", company="F", mql_at="2026-03-10 11:00", owner="Ann"),  # first touch due in 7 h
        make_lead("broken", company="B", mql_at="2026-03-09 00:00", owner="Ann"),  # no touch after 8 h
        make_lead("decided", company="X", mql_at="2026-03-10 06:00", accepted_at="2026-03-10 07:00"),
    )
    touches = touches_frame(make_touch("decide-soon", "2026-03-08 16:00"), make_touch("decide-soon", "2026-03-09"))
    summary = touch_summary(leads, touches, [SLA])
    risk = at_risk(summary, leads, AS_OF, 4)
    assert risk["lead_id"].tolist() == ["touch-soon", "decide-soon"]
    assert risk["rule"].tolist() == ["first touch", "decision"]
    assert risk["hours_left"].tolist() == [2.0, 3.0]
    assert risk["due"].iloc[0] == pd.Timestamp("2026-03-10 14:00")
    assert "far" in at_risk(summary, leads, AS_OF, 8)["lead_id"].tolist()
    broken = breach_list(summary, leads, AS_OF)["lead_id"].tolist()
    assert broken == ["broken"] and "broken" not in at_risk(summary, leads, AS_OF, 1000)["lead_id"].tolist()


def test_at_risk_without_touches_judges_the_decision_only():
    leads = leads_frame(make_lead("A", mql_at="2026-03-10 06:00"))
    summary = touch_summary(leads, touches_frame(), [SLA])
    risk = at_risk(summary, leads, AS_OF, 48, touches_recorded=False)
    assert risk["rule"].tolist() == ["decision"] and risk["hours_left"].tolist() == [42.0]


def test_speed_bucket_edges_belong_to_the_faster_bucket():
    rule, fixed = speed_bucket(np.array([8.0, 16.0, 16.5, 1.0, 72.0, 73.0]), np.full(6, 8.0))
    assert rule.tolist() == ["Within rule", "Up to 2× rule", "Later", "Within rule", "Later", "Later"]
    assert fixed.tolist() == ["4–24 h", "4–24 h", "4–24 h", "≤1 h", "24–72 h", ">72 h"]


def test_speed_pays_counts_conversions_per_bucket_with_intervals():
    leads = leads_frame(
        make_lead("fast-won", mql_at="2026-01-05", sql_at="2026-01-10", won_at="2026-02-01"),
        make_lead("fast-sql", mql_at="2026-01-05", sql_at="2026-01-12"),
        make_lead("fast-no", mql_at="2026-01-05"),
        make_lead("slow-no", mql_at="2026-01-05"),
        make_lead("never", mql_at="2026-01-05"),
        make_lead("future-sql", mql_at="2026-01-05", sql_at="2026-03-20"),  # fast, SQL after as-of: not yet
        make_lead("young", mql_at="2026-03-01", sql_at="2026-03-02"),  # under 30 days old: not judged
    )
    touches = touches_frame(
        *(make_touch(i, "2026-01-05 02:00") for i in ("fast-won", "fast-sql", "fast-no", "future-sql", "young")),
        make_touch("slow-no", "2026-01-06 06:00"),  # 30 h: later than twice the 8 h rule
    )
    pays = speed_pays(touch_summary(leads, touches, [SLA]), leads, AS_OF).set_index(["kind", "bucket"])
    fast = pays.loc[("rule", "Within rule")]
    assert (fast["mqls"], fast["sql"], fast["won"]) == (4, 2, 1)
    assert fast["sql_rate"] == 0.5 and fast["won_rate"] == 0.25
    assert fast["sql_low"] < 0.5 < fast["sql_high"] and bool(fast["small_sample"])
    assert pays.loc[("rule", "Later"), "mqls"] == 1 and pays.loc[("rule", "Never touched"), "mqls"] == 1
    assert pays.loc[("rule", "Up to 2× rule"), "mqls"] == 0
    assert np.isnan(pays.loc[("rule", "Up to 2× rule"), "sql_rate"])
    assert pays.loc[("hours", "1–4 h"), "mqls"] == 4 and pays.loc[("hours", "24–72 h"), "mqls"] == 1
    assert pays.xs("hours")["mqls"].sum() == 6
