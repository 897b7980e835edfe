"""Writes: decisions, touches, undo and publishing — roles checked server side, nothing lost, nothing overwritten."""

from __future__ import annotations

import datetime as dt
import re
import threading

import pandas as pd
import pytest
from sqlmodel import Session, func, select

from sla_model.access import Actor, PermissionDenied, Role, actor_for_email, set_user
from sla_model.actions import ActionError, decide, log_touch, publish_sla, undo_last
from sla_model.generator import sample_slas
from sla_model.store.models import AuditEntry, Feedback, Lead, Touch
from sla_model.store.repository import add_sla_version, bulk_insert, data_version, load_feedback, load_leads

ANA = Actor("Ana Souza", Role.REP, rep="Ana Souza")
BEN = Actor("Ben Carter", Role.REP, rep="Ben Carter")
BOSS = Actor("Maya Chen", Role.MANAGER)
WATCHER = Actor("Wall screen", Role.VIEWER)
NOW = dt.datetime(2026, 11, 20, 9, 30)


@pytest.fixture
def db(engine):
    """Two SLA versions and 40 open MQLs: even ones Ana's, odd ones Ben's."""
    t = pd.Timestamp("2026-11-10 10:00")
    n = 40
    leads = pd.DataFrame(
        {
            "lead_id": [f"M{i:02d}" for i in range(n)],
            "created_at": [t] * n,
            "channel": ["Email"] * n,
            "owner": ["Ana Souza" if i % 2 == 0 else "Ben Carter" for i in range(n)],
            "mql_at": [t + pd.Timedelta(hours=1)] * n,
            "score": [70] * n,
        }
    )
    with Session(engine) as session:
        for sla in sample_slas():
            add_sla_version(session=session, sla=sla, actor="test")
        bulk_insert(session.connection(), "lead", leads)
        bulk_insert(
            session.connection(),
            "lead",
            pd.DataFrame({"lead_id": ["NOTMQL"], "created_at": [t], "channel": ["Email"], "owner": ["Ana Souza"]}),
        )
        session.commit()
    return engine


def _lead(engine, lead_id) -> Lead:
    with Session(engine) as session:
        return session.get(Lead, lead_id)


def test_a_rep_accepts_their_own_lead(db):
    before = data_version(engine=db)
    [result] = decide(engine=db, actor=ANA, lead_ids=["M00"], accept=True, now=NOW)
    assert result.ok and result.went == "accepted"
    lead = _lead(db, "M00")
    assert lead.accepted_at == NOW and lead.rejected_at is None and lead.row_version == 1
    feedback = load_feedback(engine=db)
    assert feedback[["lead_id", "decision", "by"]].values.tolist() == [["M00", "accept", "Ana Souza"]]
    assert data_version(engine=db) == before + 1


@pytest.mark.parametrize(
    ("reason", "went", "column"),
    [("no_budget", "nurture", "recycled_at"), ("competitor", "disqualify", "disqualified_at")],
)
def test_the_recycle_rules_decide_where_a_rejected_lead_goes(db, reason, went, column):
    [result] = decide(engine=db, actor=ANA, lead_ids=["M02"], accept=False, reason=reason, note="x", now=NOW)
    assert result.ok and result.went == went
    assert ("nurtur" if went == "nurture" else "disqualified") in result.message
    lead = _lead(db, "M02")
    assert lead.rejected_at == NOW and lead.rejection_reason == reason and getattr(lead, column) == NOW


@pytest.mark.parametrize(
    "note",
    [
        "x" * 10_000,
        "Budget frozen 🚫💸 until Q3 — call back",
        "לא מעוניין כרגע · لا ميزانية",
        "<b>bold</b> **md** =1+1",
    ],
)
def test_notes_are_stored_verbatim(db, note):
    decide(engine=db, actor=ANA, lead_ids=["M04"], accept=False, reason="no_budget", note=note, now=NOW)
    assert load_feedback(engine=db)["note"].tolist() == [note]


def test_a_decided_lead_is_refused_not_overwritten(db):
    decide(engine=db, actor=ANA, lead_ids=["M06"], accept=True, now=NOW)
    [again] = decide(engine=db, actor=BOSS, lead_ids=["M06"], accept=False, reason="no_budget", now=NOW)
    assert not again.ok
    assert again.message == "lead M06 was already accepted by Ana Souza at 2026-11-20 09:30 UTC"
    assert _lead(db, "M06").rejected_at is None
    assert len(load_feedback(engine=db)) == 1


def test_several_leads_at_once_with_per_lead_outcomes(db):
    results = decide(engine=db, actor=ANA, lead_ids=["M08", "M10", "M01", "NOTMQL", "NOPE"], accept=True, now=NOW)
    assert [r.ok for r in results] == [True, True, False, False, False]
    assert "belongs to Ben Carter" in results[2].message
    assert "not an MQL" in results[3].message
    assert results[4].message == "lead NOPE does not exist"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"accept": False, "reason": None}, "a rejection needs a reason from the SLA"),
        ({"accept": False, "reason": "made_up"}, "got 'made_up'"),
        ({"accept": True, "note": "x" * 20_001}, "at most 20,000 are kept"),
    ],
)
def test_bad_decisions_are_refused_and_nothing_is_written(db, kwargs, message):
    with pytest.raises(ActionError, match=message):
        decide(engine=db, actor=ANA, lead_ids=["M12"], now=NOW, **kwargs)
    assert load_feedback(engine=db).empty
    assert _lead(db, "M12").row_version == 0


# --- roles: every write path, allowed and refused ------------------------------------------------------------


def test_a_rep_cannot_decide_another_reps_lead(db):
    [result] = decide(engine=db, actor=ANA, lead_ids=["M01"], accept=True, now=NOW)
    assert not result.ok and "belongs to Ben Carter, not to Ana Souza" in result.message
    assert _lead(db, "M01").accepted_at is None


def test_a_manager_can_decide_any_lead(db):
    assert decide(engine=db, actor=BOSS, lead_ids=["M01", "M02"], accept=True, now=NOW)[1].ok


@pytest.mark.parametrize(
    "call",
    [
        lambda e: decide(engine=e, actor=WATCHER, lead_ids=["M00"], accept=True),
        lambda e: log_touch(engine=e, actor=WATCHER, lead_id="M00", kind="call"),
        lambda e: undo_last(engine=e, actor=WATCHER),
        lambda e: publish_sla(engine=e, actor=WATCHER, sla=sample_slas()[-1]),
        lambda e: set_user(engine=e, actor=WATCHER, email="x@y.z", role=Role.MANAGER),
    ],
    ids=["decide", "touch", "undo", "publish", "set_user"],
)
def test_a_viewer_cannot_write_at_all(db, call):
    with pytest.raises(PermissionDenied):
        call(db)
    with Session(db) as session:
        assert session.exec(select(func.count()).select_from(AuditEntry)).one() == 2  # the two seeded versions


@pytest.mark.parametrize("actor", [ANA, WATCHER], ids=["rep", "viewer"])
def test_only_managers_publish_an_sla(db, actor):
    v3 = _v3()
    with pytest.raises(PermissionDenied, match="only managers"):
        publish_sla(engine=db, actor=actor, sla=v3)
    publish_sla(engine=db, actor=BOSS, sla=v3)
    with Session(db) as session:
        assert session.exec(select(AuditEntry.actor).where(AuditEntry.action == "publish_sla")).all()[-1] == "Maya Chen"


def _v3():
    v2 = sample_slas()[-1]
    return v2.model_copy(
        update={"meta": v2.meta.model_copy(update={"version": 3, "effective_from": dt.date(2026, 12, 1)})}
    )


def test_touches_follow_the_same_rules(db):
    touch = log_touch(engine=db, actor=ANA, lead_id="M00", kind="call", outcome="voicemail", at=NOW)
    assert (touch.rep, touch.kind, touch.outcome) == ("Ana Souza", "call", "voicemail")
    with pytest.raises(PermissionDenied, match="belongs to Ben Carter"):
        log_touch(engine=db, actor=ANA, lead_id="M01", kind="call")
    with pytest.raises(ActionError, match="one of call, email, meeting, linkedin"):
        log_touch(engine=db, actor=ANA, lead_id="M00", kind="fax")
    with pytest.raises(ActionError, match="lead GHOST does not exist"):
        log_touch(engine=db, actor=BOSS, lead_id="GHOST", kind="call")
    assert log_touch(engine=db, actor=BOSS, lead_id="M01", kind="email").rep == "Ben Carter"


def test_roles_come_from_the_user_table_and_strangers_are_viewers(db):
    set_user(engine=db, actor=BOSS, email="Ana@Example.com", role=Role.REP, name="Ana Souza", rep="Ana Souza")
    assert actor_for_email(engine=db, email="ana@example.com") == Actor(**{**vars(ANA), "id": "ana@example.com"})
    assert actor_for_email(engine=db, email="stranger@example.com", name="S").role is Role.VIEWER
    with pytest.raises(PermissionDenied):
        set_user(engine=db, actor=ANA, email="ana@example.com", role=Role.MANAGER)


# --- undo ------------------------------------------------------------------------------------------------------


def test_undo_reopens_the_last_decision_once_and_never_steps_back_to_an_earlier_action(db):
    """Before: a second undo went on to revert the action before the last one (an earlier accept)."""
    log_touch(engine=db, actor=ANA, lead_id="M14", kind="call", at=NOW)
    decide(engine=db, actor=ANA, lead_ids=["M14"], accept=False, reason="no_budget", now=NOW)
    assert undo_last(engine=db, actor=ANA) == "decision on lead M14 undone: it is open again"
    lead = _lead(db, "M14")
    assert lead.rejected_at is None and lead.recycled_at is None and lead.rejection_reason is None
    assert load_feedback(engine=db).empty
    with pytest.raises(ActionError, match="your last action, the decision on lead M14, was undone already"):
        undo_last(engine=db, actor=ANA)
    with Session(db) as session:
        assert session.exec(select(func.count()).select_from(Touch)).one() == 1  # the earlier touch stays


def test_undo_removes_a_touch_when_it_is_the_last_action(db):
    log_touch(engine=db, actor=ANA, lead_id="M14", kind="call", at=NOW)
    assert "touch (call) on lead M14 removed" in undo_last(engine=db, actor=ANA)
    with Session(db) as session:
        assert session.exec(select(func.count()).select_from(Touch)).one() == 0
    with pytest.raises(ActionError, match="the touch on lead M14, was undone already"):
        undo_last(engine=db, actor=ANA)


def test_undo_is_refused_on_a_lead_the_rep_may_no_longer_act_on(db):
    decide(engine=db, actor=ANA, lead_ids=["M14"], accept=True, now=NOW)
    with Session(db) as session:  # the lead moves to another rep
        lead = session.get(Lead, "M14")
        lead.owner = BEN.rep
        session.add(lead)
        session.commit()
    with pytest.raises(PermissionDenied, match="may not undo a decision on lead M14"):
        undo_last(engine=db, actor=ANA)
    assert _lead(db, "M14").accepted_at == NOW


def test_undo_with_nothing_done_says_so(db):
    with pytest.raises(ActionError, match="nothing of yours to undo"):
        undo_last(engine=db, actor=ANA)


def test_undo_only_touches_the_actors_own_actions(db):
    decide(engine=db, actor=BEN, lead_ids=["M01"], accept=True, now=NOW)
    with pytest.raises(ActionError, match="nothing of yours"):
        undo_last(engine=db, actor=ANA)
    assert _lead(db, "M01").accepted_at == NOW


def test_undo_matches_the_actor_by_identity_not_by_display_name(db):
    """Before: undo matched the audit log by display name, so a second "Maya Chen" undid the first one's decision."""
    maya = Actor("Maya Chen", Role.MANAGER, id="maya.chen@acme.example")
    namesake = Actor("Maya Chen", Role.MANAGER, id="maya.chen@partner.example")
    decide(engine=db, actor=maya, lead_ids=["M01"], accept=True, now=NOW)
    with pytest.raises(ActionError, match="nothing of yours to undo"):
        undo_last(engine=db, actor=namesake)
    assert _lead(db, "M01").accepted_at == NOW
    assert undo_last(engine=db, actor=maya) == "decision on lead M01 undone: it is open again"


def test_the_audit_log_keeps_each_actors_identity_beside_the_name_shown(db):
    maya = Actor("Maya Chen", Role.MANAGER, id="maya.chen@acme.example")
    decide(engine=db, actor=maya, lead_ids=["M01"], accept=True, now=NOW)
    log_touch(engine=db, actor=ANA, lead_id="M14", kind="call", at=NOW)
    with Session(db) as session:
        query = select(AuditEntry.action, AuditEntry.actor, AuditEntry.actor_id).order_by(AuditEntry.id)
        rows = session.exec(query.where(AuditEntry.action.in_(("decide", "log_touch")))).all()
    assert [tuple(r) for r in rows] == [
        ("decide", "Maya Chen", "maya.chen@acme.example"),
        ("log_touch", "Ana Souza", "name:Ana Souza"),
    ]


def test_undo_refuses_when_the_lead_changed_since(db):
    decide(engine=db, actor=ANA, lead_ids=["M16"], accept=True, now=NOW)
    # A later decision by someone else (logged directly) means the lead is no longer as Ana left it.
    with Session(db) as session:
        session.add(Feedback(lead_id="M16", decision="reject", reason="no_budget", by="Maya Chen", at=NOW))
        session.commit()
    with pytest.raises(ActionError, match="has changed since your decision"):
        undo_last(engine=db, actor=ANA)


# --- concurrency -------------------------------------------------------------------------------------------------


def _at_once(work, n: int) -> None:
    """Run ``work(0)`` … ``work(n - 1)`` in ``n`` threads and wait for them all (``work`` meets at a barrier)."""
    threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def test_twenty_concurrent_writers_lose_nothing(db):
    """20 threads decide and log touches at once; every write lands, no 'database is locked' escapes."""
    errors: list[BaseException] = []
    start = threading.Barrier(20)

    def work(i: int) -> None:
        actor = Actor(f"writer {i}", Role.MANAGER)
        try:
            start.wait()
            for j in range(5):
                log_touch(engine=db, actor=actor, lead_id=f"M{(i + j) % 40:02d}", kind="call", outcome=f"{i}-{j}")
            [result] = decide(engine=db, actor=actor, lead_ids=[f"M{i:02d}"], accept=i % 2 == 0,
                              reason=None if i % 2 == 0 else "bad_timing", note=f"writer {i}")  # fmt: skip
            assert result.ok, result.message
        except BaseException as exc:  # noqa: BLE001  (collected and re-raised in the main thread)
            errors.append(exc)

    _at_once(work, 20)
    assert errors == []
    with Session(db) as session:
        assert session.exec(select(func.count()).select_from(Touch)).one() == 100
        assert session.exec(select(func.count()).select_from(Feedback)).one() == 20
        assert session.exec(select(func.count()).select_from(AuditEntry)).one() == 2 + 100 + 20
    leads = load_leads(engine=db).set_index("lead_id")
    assert leads.loc[[f"M{i:02d}" for i in range(0, 20, 2)], "accepted_at"].notna().all()
    assert leads.loc[[f"M{i:02d}" for i in range(1, 20, 2)], "rejected_at"].notna().all()
    assert data_version(engine=db) == 120


def test_racing_decisions_on_one_lead_store_exactly_one(db):
    start = threading.Barrier(10)
    results = []

    def work(i: int) -> None:
        start.wait()
        results.extend(decide(engine=db, actor=Actor(f"m{i}", Role.MANAGER), lead_ids=["M20"], accept=True))

    _at_once(work, 10)
    assert sum(r.ok for r in results) == 1
    assert all("already accepted" in r.message for r in results if not r.ok)
    assert len(load_feedback(engine=db)) == 1


def test_managers_publishing_the_same_version_at_once_are_told_who_won(db):
    """Before: on PostgreSQL the losers got an uncaught IntegrityError (a traceback on the page)."""
    from sla_model.generator import sample_slas

    v3 = sample_slas()[-1].model_copy(update={"meta": sample_slas()[-1].meta.model_copy(update={"version": 3})})
    results: list[object] = []
    start = threading.Barrier(8)

    def publish(i: int) -> None:
        start.wait()
        try:
            results.append(publish_sla(engine=db, actor=Actor(f"Manager {i}", Role.MANAGER), sla=v3).version)
        except Exception as exc:  # noqa: BLE001  (every outcome is checked below)
            results.append(exc)

    _at_once(publish, 8)
    won = [r for r in results if r == 3]
    lost = [r for r in results if r != 3]
    assert len(won) == 1, results
    assert all(isinstance(r, ValueError) for r in lost), results
    assert all(re.search(r"SLA version 3 (already exists|was just published by Manager \d)", str(r)) for r in lost)


def test_a_won_lead_without_an_accepted_date_cannot_be_accepted_or_rejected(db):
    with Session(db) as session:
        lead = session.get(Lead, "M00")
        lead.won_at, lead.amount = dt.datetime(2026, 11, 15, 12, 0), 9_000.0
        session.add(lead)
        session.commit()
    [accepted] = decide(engine=db, actor=ANA, lead_ids=["M00"], accept=True, now=NOW)
    [rejected] = decide(engine=db, actor=ANA, lead_ids=["M00"], accept=False, reason="no_budget", now=NOW)
    assert not accepted.ok and not rejected.ok
    assert accepted.message == "lead M00 is already won (since 2026-11-15 12:00 UTC)"
    lead = _lead(db, "M00")
    assert lead.accepted_at is None and lead.rejected_at is None


def test_the_same_decision_sent_twice_by_its_author_is_confirmed_and_stored_once(db):
    """Before: a double-clicked Reject stored once but answered the second click 'already rejected by <you>',
    replacing the confirmation."""
    [first] = decide(engine=db, actor=ANA, lead_ids=["M20"], accept=False, reason="no_budget", now=NOW)
    [again] = decide(engine=db, actor=ANA, lead_ids=["M20"], accept=False, reason="no_budget",
                     now=NOW + dt.timedelta(seconds=1))  # fmt: skip
    assert first.ok and again.ok and again.message == first.message
    assert len(load_feedback(engine=db)) == 1
    [other] = decide(engine=db, actor=ANA, lead_ids=["M20"], accept=True, now=NOW + dt.timedelta(seconds=2))
    assert not other.ok and "already rejected by Ana Souza" in other.message  # a different decision is refused
    later = NOW + dt.timedelta(minutes=10)
    [stale] = decide(engine=db, actor=ANA, lead_ids=["M20"], accept=False, reason="no_budget", now=later)
    assert not stale.ok  # long after, it is a new attempt on a decided lead


@pytest.mark.parametrize("write", ["decide", "touch", "publish"])
def test_a_database_that_gives_up_on_a_write_is_a_clear_refusal_and_stores_nothing(db, monkeypatch, write):
    import sqlite3

    from sqlalchemy.exc import OperationalError

    from sla_model.actions import DB_BUSY

    def locked(self):
        raise OperationalError("COMMIT", {}, sqlite3.OperationalError("database is locked"))

    before = (data_version(engine=db), len(load_feedback(engine=db)))
    monkeypatch.setattr(Session, "commit", locked)
    with pytest.raises(ActionError, match="nothing was stored"):
        if write == "decide":
            decide(engine=db, actor=ANA, lead_ids=["M00"], accept=True, now=NOW)
        elif write == "touch":
            log_touch(engine=db, actor=ANA, lead_id="M00", kind="call", outcome="no answer", at=NOW)
        else:
            publish_sla(
                engine=db,
                actor=BOSS,
                sla=sample_slas()[1].model_copy(
                    update={"meta": sample_slas()[1].meta.model_copy(update={"version": 9})}
                ),
            )
    monkeypatch.undo()
    assert (data_version(engine=db), len(load_feedback(engine=db))) == before
    assert _lead(db, "M00").accepted_at is None
    assert DB_BUSY.startswith("The database did not take this in time")
