"""The meeting's record on SQLite and PostgreSQL: decisions with owners and metrics, proposals, no lost updates."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlmodel import Session, select

from sla_model.access import Actor, PermissionDenied, Role
from sla_model.actions import ActionError
from sla_model.review import decisions
from sla_model.store.models import AuditEntry
from sla_model.whatif import Candidate
from tests.factories import make_sla

MAYA = Actor("Maya Chen", Role.MANAGER)
LUIS = Actor("Luis Ortega", Role.MANAGER)
ANA = Actor("Ana Souza", Role.REP, rep="Ana Souza")
WALL = Actor("Wall screen", Role.VIEWER)
DUE = dt.date(2026, 12, 15)


def _record(engine, **overrides):
    args = {"month": "2026-11", "text": "Raise the score threshold to 60", "owner": "Maya Chen", "due": DUE,
            "metric": "acceptance", "target": 0.7} | overrides  # fmt: skip
    return decisions.record_decision(engine=engine, actor=MAYA, **args)


def test_a_decision_is_stored_with_owner_due_date_and_metric_and_audited(engine):
    row = _record(engine, text="  Raise the score threshold to 60 ✓  ")
    log = decisions.list_decisions(engine=engine)
    assert log[["id", "month", "text", "owner", "metric", "target", "status"]].values.tolist() == [
        [row.id, "2026-11", "Raise the score threshold to 60 ✓", "Maya Chen", "acceptance", 0.7, "open"]
    ]
    assert log["due"].tolist() == [DUE]
    with Session(engine) as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "record_decision")).one()
    assert (entry.actor, entry.entity_id) == ("Maya Chen", str(row.id))


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"text": "   "}, "the decision is empty"),
        ({"owner": ""}, "the owner is empty"),
        ({"text": "x" * 2_001}, "the decision is 2,001 characters long; the limit is 2,000"),
        ({"metric": "nps"}, "metric 'nps' is not one the meeting tracks"),
        ({"metric": None, "target": 5}, "a target needs a metric"),
        ({"month": "Novembre"}, "month 'Novembre' is not a month"),
    ],
)
def test_bad_decisions_are_refused_with_the_reason_and_nothing_is_stored(engine, overrides, message):
    with pytest.raises(ActionError, match=message):
        _record(engine, **overrides)
    assert decisions.list_decisions(engine=engine).empty


@pytest.mark.parametrize("actor", [ANA, WALL])
def test_only_managers_record_and_close_decisions(engine, actor):
    with pytest.raises(PermissionDenied, match="only managers"):
        decisions.record_decision(engine=engine, actor=actor, month="2026-11", text="x", owner="y", due=DUE)
    row = _record(engine)
    with pytest.raises(PermissionDenied):
        decisions.close_decision(engine=engine, actor=actor, decision_id=row.id, status="done", row_version=1)


def test_closing_a_decision_records_who_and_the_outcome(engine):
    row = _record(engine)
    done = decisions.close_decision(engine=engine, actor=LUIS, decision_id=row.id, status="done",
                                    outcome="Shipped on 2 Dec", row_version=row.row_version)  # fmt: skip
    assert (done.status, done.outcome, done.closed_by, done.row_version) == (
        "done",
        "Shipped on 2 Dec",
        "Luis Ortega",
        2,
    )
    reopened = decisions.close_decision(engine=engine, actor=MAYA, decision_id=row.id, status="open", row_version=2)
    assert (reopened.status, reopened.closed_by, reopened.closed_at) == ("open", None, None)
    with pytest.raises(ActionError, match="status 'maybe' is not one of open, done, dropped"):
        decisions.close_decision(engine=engine, actor=MAYA, decision_id=row.id, status="maybe", row_version=3)
    with pytest.raises(ActionError, match="decision 999 does not exist"):
        decisions.close_decision(engine=engine, actor=MAYA, decision_id=999, status="done", row_version=1)


def test_a_stale_close_is_refused_so_no_update_is_lost(engine):
    row = _record(engine)
    decisions.close_decision(engine=engine, actor=LUIS, decision_id=row.id, status="done", outcome="Done by Luis",
                             row_version=1)  # fmt: skip
    with pytest.raises(ActionError, match="was changed by Luis Ortega since you opened it \\(now done\\)"):
        decisions.close_decision(engine=engine, actor=MAYA, decision_id=row.id, status="dropped", row_version=1)
    assert decisions.list_decisions(engine=engine)["outcome"].tolist() == ["Done by Luis"]


def test_two_managers_closing_at_once_one_wins_the_other_is_told(engine):
    row = _record(engine)
    results, barrier = {}, threading.Barrier(2)

    def close(actor, status):
        barrier.wait()
        try:
            decisions.close_decision(engine=engine, actor=actor, decision_id=row.id, status=status,
                                     outcome=actor.name, row_version=1)  # fmt: skip
            results[actor.name] = "ok"
        except ActionError as exc:
            results[actor.name] = str(exc)

    threads = [threading.Thread(target=close, args=(a, s)) for a, s in ((MAYA, "done"), (LUIS, "dropped"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(v == "ok" for v in results.values()) == [False, True]
    winner = next(k for k, v in results.items() if v == "ok")
    stored = decisions.list_decisions(engine=engine).iloc[0]
    assert (stored["outcome"], stored["row_version"]) == (winner, 2)


def test_the_log_is_read_through_a_month(engine):
    for month in ("2026-09", "2026-10", "2026-11"):
        _record(engine, month=month, text=f"agreed in {month}")
    assert decisions.list_decisions(engine=engine, through="2026-10")["month"].tolist() == ["2026-09", "2026-10"]


def test_a_proposal_keeps_its_scenario_and_is_decided_once(engine):
    candidate = Candidate.from_sla(make_sla(), team_size=10, capacity_per_rep_week=15).replace(score_threshold=65)
    row = decisions.propose(engine=engine, actor=MAYA, title="Score 65 for fewer, better MQLs", candidate=candidate,
                            note="Sales asked for it")  # fmt: skip
    stored = decisions.list_proposals(engine=engine)
    assert [(p.title, p.status, p.proposed_by) for p in stored] == [
        ("Score 65 for fewer, better MQLs", "proposed", "Maya Chen")
    ]
    assert decisions.candidate_of(stored[0]) == candidate
    adopted = decisions.decide_proposal(engine=engine, actor=LUIS, proposal_id=row.id, status="adopted", row_version=1)
    assert (adopted.status, adopted.decided_by) == ("adopted", "Luis Ortega")
    with pytest.raises(ActionError, match="changed by Luis Ortega"):
        decisions.decide_proposal(engine=engine, actor=MAYA, proposal_id=row.id, status="declined", row_version=1)
    with pytest.raises(PermissionDenied):
        decisions.propose(engine=engine, actor=ANA, title="x", candidate=candidate)
    with pytest.raises(ActionError, match="the proposal's title is empty"):
        decisions.propose(engine=engine, actor=MAYA, title=" ", candidate=candidate)


# --- a double click, a resent form: the same change sent again moments later is the one stored ----------------


def test_the_same_decision_recorded_twice_by_its_author_is_stored_once_and_returned(engine):
    """Before: a resent Record stored the decision twice."""
    first = _record(engine)
    again = _record(engine, text="  Raise the score threshold to 60 ")  # the same text as typed, spaces and all
    assert again.id == first.id
    assert len(decisions.list_decisions(engine=engine)) == 1
    with Session(engine) as session:
        assert len(session.exec(select(AuditEntry).where(AuditEntry.action == "record_decision")).all()) == 1


@pytest.mark.parametrize(
    "overrides",
    [{"text": "Raise the score threshold to 65"}, {"owner": "Luis Ortega"}, {"due": DUE + dt.timedelta(days=1)},
     {"metric": "sqls", "target": 0.7}, {"target": 0.8}, {"metric": None, "target": None}, {"month": "2026-12"}],
)  # fmt: skip
def test_a_decision_that_differs_in_anything_is_a_new_one(engine, overrides):
    _record(engine)
    _record(engine, **overrides)
    assert len(decisions.list_decisions(engine=engine)) == 2


def test_the_same_decision_by_someone_else_or_long_after_is_a_new_one(engine):
    first = _record(engine)
    args = {"month": "2026-11", "text": first.text, "owner": first.owner, "due": DUE, "metric": "acceptance",
            "target": 0.7}  # fmt: skip
    decisions.record_decision(engine=engine, actor=LUIS, **args)
    later = first.created_at + decisions.REPEAT_WINDOW + dt.timedelta(seconds=1)
    decisions.record_decision(engine=engine, actor=MAYA, now=later, **args)
    assert decisions.list_decisions(engine=engine)["created_by"].tolist() == ["Maya Chen", "Luis Ortega", "Maya Chen"]


def test_the_same_close_sent_twice_is_confirmed_and_written_once(engine):
    """Before: the second Update of a double click was refused as 'changed by <you> since you opened it'."""
    row = _record(engine)
    done = decisions.close_decision(engine=engine, actor=LUIS, decision_id=row.id, status="done",
                                    outcome="Shipped on 2 Dec", row_version=1)  # fmt: skip
    again = decisions.close_decision(engine=engine, actor=LUIS, decision_id=row.id, status="done",
                                     outcome="Shipped on 2 Dec ", row_version=1)  # fmt: skip
    assert (again.status, again.outcome, again.row_version, again.closed_at) == ("done", "Shipped on 2 Dec", 2,
                                                                                 done.closed_at)  # fmt: skip
    with Session(engine) as session:
        assert len(session.exec(select(AuditEntry).where(AuditEntry.action == "close_decision")).all()) == 1
    with pytest.raises(ActionError, match="changed by Luis Ortega"):  # another update is still refused
        decisions.close_decision(engine=engine, actor=LUIS, decision_id=row.id, status="dropped", row_version=1)
    with pytest.raises(ActionError, match="changed by Luis Ortega"):  # so is the same one by someone else
        decisions.close_decision(engine=engine, actor=MAYA, decision_id=row.id, status="done",
                                 outcome="Shipped on 2 Dec", row_version=1)  # fmt: skip
    later = done.closed_at + decisions.REPEAT_WINDOW + dt.timedelta(seconds=1)
    with pytest.raises(ActionError, match="changed by Luis Ortega"):  # and the same one long after
        decisions.close_decision(engine=engine, actor=LUIS, decision_id=row.id, status="done",
                                 outcome="Shipped on 2 Dec", row_version=1, now=later)  # fmt: skip


def test_the_same_proposal_decision_sent_twice_is_confirmed_and_written_once(engine):
    candidate = Candidate.from_sla(make_sla(), team_size=10, capacity_per_rep_week=15)
    row = decisions.propose(engine=engine, actor=MAYA, title="Score 65", candidate=candidate)
    adopted = decisions.decide_proposal(engine=engine, actor=LUIS, proposal_id=row.id, status="adopted", row_version=1)
    again = decisions.decide_proposal(engine=engine, actor=LUIS, proposal_id=row.id, status="adopted", row_version=1)
    assert (again.status, again.decided_by, again.row_version) == ("adopted", "Luis Ortega", 2)
    with Session(engine) as session:
        assert len(session.exec(select(AuditEntry).where(AuditEntry.action == "decide_proposal")).all()) == 1
    with pytest.raises(ActionError, match="changed by Luis Ortega"):
        decisions.decide_proposal(engine=engine, actor=LUIS, proposal_id=row.id, status="declined", row_version=1)
    later = adopted.decided_at + decisions.REPEAT_WINDOW + dt.timedelta(seconds=1)
    with pytest.raises(ActionError, match="changed by Luis Ortega"):
        decisions.decide_proposal(engine=engine, actor=LUIS, proposal_id=row.id, status="adopted", row_version=1,
                                  now=later)  # fmt: skip
