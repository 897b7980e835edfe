"""The meeting's sections: figures and sentences checked against a small hand-made month."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from sla_model.agreement.sla import parse_sla
from sla_model.metrics.timing import touch_summary
from sla_model.review import meeting
from tests.factories import feedback_frame, leads_frame, make_feedback, make_mql, sla_document, touches_frame

OCT, NOV = pd.Period("2026-10", "M"), pd.Period("2026-11", "M")
AS_OF = pd.Timestamp("2026-11-16 00:00")  # half of November has passed: 15 days gone, 15 left


def small_sla():
    """Quotas: 4 MQLs (Email 3, Webinar 1), 2 SQLs, 1 won deal, $30k revenue."""
    doc = sla_document(quotas={"mqls": 4, "sqls": 2, "won": 1}, goal={"monthly_revenue": 30_000})
    doc["quotas"]["mqls_by_channel"] = {"Email": 3, "Webinar": 1}
    return parse_sla(doc, source="test")


def small_world(**extra_leads) -> meeting.MeetingInputs:
    """October: 3 Email MQLs (won $12k, SQL, accepted), 2 Webinar MQLs rejected for no budget.

    November so far: one accepted Email MQL and one untouched, undecided Webinar MQL.
    """
    no_budget = {"outcome": "rejected", "reason": "no_budget", "channel": "Webinar"}
    leads = leads_frame(
        make_mql("E1", "2026-10-05 09:00", outcome="won", amount=12_000, channel="Email", owner="Ana Souza"),
        make_mql("E2", "2026-10-06 09:00", outcome="sql", channel="Email", owner="Ana Souza"),
        make_mql("E3", "2026-10-07 09:00", outcome="accepted", channel="Email", owner="Ben Carter"),
        make_mql("W1", "2026-10-08 09:00", owner="Ben Carter", **no_budget),
        make_mql("W2", "2026-10-09 09:00", owner="Ana Souza", **no_budget),
        make_mql("E4", "2026-11-02 09:00", outcome="accepted", channel="Email", owner="Ana Souza"),
        make_mql("O1", "2026-11-10 09:00", channel="Webinar", owner="Ben Carter", company="Oldest Corp"),
    )  # fmt: skip
    versions = [small_sla()]
    feedback = feedback_frame(make_feedback("W1", "reject", at="2026-10-09 09:00", reason="no_budget", note="No money"))
    return meeting.MeetingInputs(leads, touch_summary(leads, touches_frame(), versions), feedback, versions, AS_OF)


@pytest.fixture
def world():
    return small_world()


def test_scorecard_of_a_closed_month(world):
    card = meeting.scorecard(world, OCT).set_index("measure")
    assert card["actual"].tolist() == [5, 2, 1, 12_000]
    assert card["quota"].tolist() == [4, 2, 1, 30_000]
    assert card["status"].tolist() == ["met", "met", "met", "missed"]
    assert card.loc["mqls", "attainment"] == 1.25
    assert card["needed_per_day"].isna().all() and (card["days_left"] == 0).all()


def test_scorecard_of_an_open_month_says_what_each_day_must_bring(world):
    card = meeting.scorecard(world, NOV).set_index("measure")
    mqls = card.loc["mqls"]
    assert (mqls["actual"], mqls["pace"], mqls["projection"], mqls["status"]) == (2, 2, 4, "on track")
    assert mqls["days_left"] == 15
    assert mqls["needed_per_day"] == pytest.approx(2 / 15)
    assert mqls["run_rate_per_day"] == pytest.approx(2 / 15)
    assert card.loc["revenue", "needed_per_day"] == pytest.approx(30_000 / 15)


def test_channel_scorecard(world):
    channels = meeting.channel_scorecard(world, OCT).set_index("channel")
    assert channels.loc["Email", ["mqls", "quota", "status"]].tolist() == [3, 3, "met"]
    assert channels.loc["Webinar", ["mqls", "quota", "status"]].tolist() == [2, 1, "met"]


@pytest.mark.parametrize(
    ("metric", "period", "expected"),
    [
        ("mqls", OCT, 5),
        ("sqls", OCT, 2),
        ("won", OCT, 1),
        ("revenue", OCT, 12_000),
        ("acceptance", OCT, 3 / 5),
        ("acceptance", NOV, 1.0),  # O1 is not decided yet: it is not in the rate
        ("late_first_touch", OCT, 0),  # nobody logged a touch, but all five were decided: not judged
        ("late_first_touch", NOV, 1),  # O1: undecided, its first-touch window ran out (E4 was accepted)
        ("speed_within", NOV, 0.0),
    ],
)
def test_decision_metrics(world, metric, period, expected):
    assert meeting.metric_value(metric, world, period) == pytest.approx(expected)


def test_an_unknown_metric_is_refused(world):
    with pytest.raises(ValueError, match="unknown metric 'nps'"):
        meeting.metric_value("nps", world, OCT)


def test_scorecard_sentences(world):
    lines = meeting.scorecard_lines(meeting.scorecard(world, OCT), "USD")
    assert lines[0] == "MQLs: 5 of 4 quota (125%) — met."
    assert lines[3] == "Revenue: $12k of $30k quota (40%) — missed."


def test_wins_and_misses_name_the_numbers(world):
    wins = meeting.wins(world, OCT)
    assert "MQLs quota beaten: 5 of 4 (125%)." in wins.lines
    assert "Webinar: 2 MQLs against a quota of 1 (200%)." in wins.lines
    misses = meeting.misses(world, OCT)
    assert misses.lines[0] == "Revenue missed: $12k of $30k, $18k short."


def test_voice_of_sales_counts_and_reasons(world):
    voice = meeting.voice_of_sales(world, OCT)
    assert (
        voice.lines[0] == "5 MQLs handed over: 3 accepted, 2 rejected, 0 waiting for a decision, 0 recycled unworked."
    )
    assert "“No budget”: 2 rejections (100%)." in voice.lines
    assert voice.tables["notes"]["note"].tolist() == ["No money"]


def test_breaches_list_the_open_mqls_past_a_rule(world):
    section = meeting.breaches(world)
    assert section.tables["breaches"]["lead_id"].tolist() == ["O1"]
    assert section.lines[0].startswith(
        "Broken: 1 open MQLs break a follow-up rule: 1 never touched, 1 without a decision"
    )
    assert "Oldest: O1 (Oldest Corp)" in section.lines[2]


def test_pace_lines_for_the_check_in(world):
    lines = meeting.pace_lines(world, NOV)
    assert lines[0] == "MQLs: 2 to go in 15 days — 0.1 a day against 0.1 a day so far: keep the pace."
    assert lines[2] == "Won deals: 1 to go in 15 days — 0.1 a day against 0.0 a day so far: speed up."
    assert lines[3] == "Revenue: $30k to go in 15 days — $2,000 a day against $0 a day so far: speed up."


@pytest.mark.parametrize(
    ("metric", "target", "expected"),
    [
        ("acceptance", 0.7, "MQL acceptance rate: 60% in October 2026 → 100% in November 2026 (target 70%): "
                            "target met."),
        ("mqls", None, "MQLs: 5 in October 2026 → 2 in November 2026: worse."),
        ("late_first_touch", None, "MQLs touched late or never: 0 in October 2026 → 1 in November 2026: worse."),
        ("late_first_touch", 0, "MQLs touched late or never: 0 in October 2026 → 1 in November 2026 (target 0): "
                                "target not met yet."),
        (None, None, "No metric was named."),
    ],
)  # fmt: skip
def test_decision_results_compare_the_month_decided_with_the_month_reviewed(world, metric, target, expected):
    assert meeting.decision_result(world, metric=metric, target=target, decided_in=OCT, judged_in=NOV) == expected


def _log(*rows):
    columns = ["id", "month", "text", "owner", "due", "metric", "target", "status", "outcome"]
    return pd.DataFrame([dict(zip(columns, r, strict=True)) for r in rows], columns=columns)


def test_decisions_are_carried_to_the_next_meeting():
    log = _log(
        (1, "2026-09", "old and done", "A", pd.Timestamp("2026-09-30"), None, None, "done", ""),
        (2, "2026-09", "old and open", "B", pd.Timestamp("2026-10-30"), None, None, "open", ""),
        (3, "2026-10", "last month, done", "C", pd.Timestamp("2026-11-10"), "acceptance", 0.7, "done", "worked"),
        (4, "2026-11", "today", "D", pd.Timestamp("2026-12-10"), None, None, "open", ""),
    )
    now, carried = meeting.split_decisions(log, NOV)
    assert now["id"].tolist() == [4]
    assert carried["id"].tolist() == [2, 3]


def test_the_monthly_review_has_six_sections_and_the_check_in_four(world):
    log = _log((3, "2026-10", "Tighten the fit criteria", "Maya", pd.Timestamp("2026-11-10"), "acceptance", 0.7,
                "done", "Shipped"))  # fmt: skip
    proposals = pd.DataFrame({"title": ["Score 60"], "status": ["proposed"], "proposed_by": ["Maya"], "summary": ["x"]})
    review = meeting.review(world, NOV, variant="monthly", decisions=log, proposals=proposals)
    assert [s.key for s in review.sections] == ["scorecard", "wins", "misses", "voice", "breaches", "changes"]
    assert review.title == "Monthly review · November 2026"
    changes = review.section("changes").lines
    assert changes[0] == "Proposal “Score 60” by Maya: x"
    assert changes[1] == (
        "Agreed in October: Tighten the fit criteria (Maya, due 10 Nov 2026; done) — MQL acceptance rate: 60% in "
        "October 2026 → 100% in November 2026 (target 70%): target met. Outcome: Shipped"
    )
    checkin = meeting.review(world, NOV, variant="checkin", decisions=log.iloc[:0], proposals=proposals.iloc[:0])
    assert [s.key for s in checkin.sections] == ["pace", "breaches", "actions", "voice"]
    assert checkin.section("actions").lines == ["No open action items."]
    with pytest.raises(ValueError, match="unknown meeting variant"):
        meeting.review(world, NOV, variant="weekly", decisions=log, proposals=proposals)


def test_the_check_ins_action_items_show_their_metrics_progress(world):
    log = _log(
        (3, "2026-10", "Tighten the fit criteria", "Maya", pd.Timestamp("2026-11-20"), "acceptance", 0.7, "open", ""),
        (4, "2026-11", "Call every webinar MQL", "Ben", pd.Timestamp("2026-11-25"), "mqls", 4.0, "open", ""),
        (5, "2026-11", "Clean the CRM", "Ana", pd.Timestamp("2026-11-28"), None, None, "open", ""),
    )
    checkin = meeting.review(world, NOV, variant="checkin", decisions=log, proposals=pd.DataFrame(
        columns=["title", "status", "proposed_by", "summary"]))  # fmt: skip
    # November so far: acceptance 1 of 1 decided = 100%; 2 MQLs against the target 4.
    assert checkin.section("actions").lines == [
        "Tighten the fit criteria (Maya, due 20 Nov 2026; open) — MQL acceptance rate so far in November 2026: "
        "100% (target 70%): target met.",
        "Call every webinar MQL (Ben, due 25 Nov 2026; open) — MQLs so far in November 2026: 2 (target 4): "
        "target not met yet.",
        "Clean the CRM (Ana, due 28 Nov 2026; open)",
    ]


def test_a_decisions_metric_and_target_as_text():
    assert meeting.target_text("revenue", 40_000.0) == ("Revenue", "$40k")
    assert meeting.target_text("late_first_touch", 0.0) == ("MQLs touched late or never", "0")
    assert meeting.target_text("mqls", float("nan")) == ("MQLs", "")


def test_an_empty_month_gives_sentences_not_errors(world):
    empty = pd.Period("2026-06", "M")
    review = meeting.review(world, empty, decisions=_log(), proposals=pd.DataFrame(columns=["title", "status"]))
    assert review.scorecard["actual"].tolist() == [0, 0, 0, 0]
    assert review.section("voice").lines[0].startswith("0 MQLs handed over")
    assert math.isnan(meeting.metric_value("acceptance", world, empty))


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [(0.998, "share", "99.8%"), (1.0, "share", "100%"), (1.003, "share", "100.3%"), (0.5, "share", "50%"),
     (float("nan"), "share", "—"), (-5_000, "money", "$-5,000"), (2_500_000, "money", "$2.50M"), (12, "count", "12")],
)  # fmt: skip
def test_value_formats(value, unit, expected):
    assert meeting.fmt_value(value, unit) == expected


def test_without_touch_data_the_breaches_are_judged_on_decisions_only(world):
    import dataclasses

    section = meeting.breaches(dataclasses.replace(world, touches_recorded=False))
    assert section.tables["breaches"]["breach"].tolist() == ["no decision after 72 h"]
    assert section.lines[0].startswith(
        "Broken: 1 open MQLs break a follow-up rule: 0 never touched, 1 without a decision"
    )


def test_breaches_separate_the_broken_from_those_at_risk_within_the_meeting_horizon():
    base = small_world()
    h = small_sla().follow_up.first_touch_hours
    handoff = AS_OF - pd.Timedelta(hours=h) + pd.Timedelta(hours=2)  # its first touch falls due in 2 h
    created = handoff - pd.Timedelta(hours=1)  # make_mql hands a lead over an hour after its creation
    soon = make_mql("R1", f"{created:%Y-%m-%d %H:%M}", channel="Email", owner="Ana Souza")
    later = make_mql("R2", f"{AS_OF - pd.Timedelta(hours=2):%Y-%m-%d %H:%M}", channel="Email", owner="Ana Souza")
    leads = pd.concat([base.leads, leads_frame(soon, later)], ignore_index=True)
    world = meeting.MeetingInputs(
        leads, touch_summary(leads, touches_frame(), base.versions), base.feedback, base.versions, AS_OF
    )
    section = meeting.breaches(world)
    assert section.tables["breaches"]["lead_id"].tolist() == ["O1"]
    assert section.lines[0].startswith("Broken: 1 open MQLs")
    assert section.tables["at_risk"]["lead_id"].tolist() == (["R1", "R2"] if h <= meeting.RISK_HOURS else ["R1"])
    assert section.tables["at_risk"]["hours_left"].iloc[0] == pytest.approx(2.0)
    assert section.lines[-1].startswith("At risk: ") and "Ana Souza" in section.lines[-1]
