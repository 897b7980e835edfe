"""A lead's history: stages, touches, decisions and undos in order, the SLA it was judged by, and every check."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlmodel import Session

from sla_model.access import Actor, Role
from sla_model.actions import decide, log_touch, undo_last
from sla_model.review.history import lead_history
from sla_model.store.audit import audit_actions, audit_entries, audit_people, lead_audit
from sla_model.store.repository import (
    add_sla_version,
    bulk_insert,
    find_leads,
    load_feedback,
    load_leads,
    load_touches,
)
from tests.conftest import versions_of
from tests.factories import leads_frame, make_lead, make_sla, make_touch, touches_frame

ANA = Actor("Ana Souza", Role.REP, rep="Ana Souza", id="ana@example.com")
BOSS = Actor("Maya Chen", Role.MANAGER, id="maya@example.com")
RULES = {"first_touch_hours": 8, "min_touches": 2, "touch_window_days": 3, "decision_hours": 48}
AS_OF = pd.Timestamp("2026-11-06 12:00")


@pytest.fixture
def story(engine):
    """L1: handed over Mon 2 Nov 10:00, first touch 10 h later, a second the next morning, accepted after 46 h.
    L2: handed over the same hour, rejected by Ana, who undoes it; L3: a lead marketing still nurtures."""
    v1 = make_sla(meta={"version": 1, "effective_from": "2025-11-01"}, follow_up=RULES)
    v2 = make_sla(meta={"version": 2, "effective_from": "2026-12-01"}, follow_up=RULES | {"first_touch_hours": 2})
    leads = leads_frame(
        make_lead(
            "L1",
            created_at="2026-11-02 09:00",
            mql_at="2026-11-02 10:00",
            owner="Ana Souza",
            first_name="Grace",
            last_name="Hopper",
            company="Navy Compilers",
            score=71,
        ),
        make_lead("L2", created_at="2026-11-02 09:30", mql_at="2026-11-02 10:00", owner="Ana Souza"),
        make_lead("L3", created_at="2026-11-03 09:00", company="Quartz_%Labs"),
    )
    touches = touches_frame(
        make_touch("L1", "2026-11-02 20:00", rep="Ana Souza", kind="call", outcome="voicemail"),
        make_touch("L1", "2026-11-03 09:00", rep="Ana Souza", kind="email", outcome=""),
    )
    with Session(engine) as session:
        add_sla_version(session=session, sla=v1, actor="test")
        add_sla_version(session=session, sla=v2, actor="test")
        bulk_insert(session.connection(), "lead", leads)
        bulk_insert(session.connection(), "touch", touches)
        session.commit()
    decide(
        engine=engine,
        actor=ANA,
        lead_ids=["L1"],
        accept=True,
        note="budget confirmed",
        now=dt.datetime(2026, 11, 4, 8, 0),
    )
    decide(
        engine=engine, actor=ANA, lead_ids=["L2"], accept=False, reason="no_budget", now=dt.datetime(2026, 11, 3, 11, 0)
    )
    undo_last(engine=engine, actor=ANA)
    return engine


def _history(engine, lead_id, as_of=AS_OF):
    return lead_history(
        load_leads(engine=engine, lead_ids=[lead_id]).iloc[0],
        touches=load_touches(engine=engine, lead_ids=[lead_id]),
        feedback=load_feedback(engine=engine, lead_ids=[lead_id]),
        audit=lead_audit(engine=engine, lead_id=lead_id),
        versions=versions_of(engine),
        as_of=as_of,
    )


def test_a_leads_timeline_lists_every_stage_touch_and_decision_in_order(story):
    h = _history(story, "L1")
    events = [(f"{e.at:%d %H:%M}", e.kind, e.what, e.who, e.detail) for e in h.events.itertuples()]
    assert events == [
        ("02 09:00", "stage", "Created", "", "Email · Newsletter"),
        ("02 10:00", "stage", "Became an MQL, handed to sales", "Ana Souza", "score 71"),
        ("02 20:00", "touch", "Call logged", "Ana Souza", "voicemail"),
        ("03 09:00", "touch", "Email logged", "Ana Souza", ""),
        ("04 08:00", "stage", "Accepted by sales", "", ""),
        ("04 08:00", "decision", "Decision: accept", "Ana Souza", "budget confirmed"),
    ]
    assert h.status == "accepted"


def test_the_lead_is_judged_by_the_version_in_force_at_its_handoff_on_every_rule(story):
    h = _history(story, "L1")
    assert h.sla.meta.version == 1  # v2 (2 h) takes effect in December, after the handoff
    checks = [(c.rule, f"{c.due:%d %H:%M}", c.result, c.detail) for c in h.checks.itertuples()]
    assert checks == [
        ("First touch within 8 h", "02 18:00", "broken", "first touch after 10.0 h"),
        ("2 touches within 3 days", "05 10:00", "met", "2 touches in the window, 2 needed"),
        ("Accept or reject within 48 h", "04 10:00", "met", "decided after 46.0 h"),
    ]


def test_an_undone_decision_stays_in_the_history_and_the_lead_reads_open(story):
    h = _history(story, "L2")
    assert [(e.kind, e.what, e.detail) for e in h.events.itertuples() if e.kind != "stage"] == [
        ("undo", "The decision (reject: No budget) was undone", ""),
    ]
    assert h.status == "pending"
    checks = {c.rule: (c.result, c.detail) for c in h.checks.itertuples()}
    assert checks["Accept or reject within 48 h"] == ("broken", "no decision yet")  # 74 h after the handoff


def test_rules_still_running_are_judged_as_of_the_moment_given(story):
    h = _history(story, "L2", as_of=pd.Timestamp("2026-11-03 12:00"))  # 26 h after the handoff, no decision
    checks = {c.rule: (c.result, c.detail) for c in h.checks.itertuples()}
    assert checks == {
        "First touch within 8 h": ("broken", "no touch yet"),
        "2 touches within 3 days": ("running", "0 touches in the window, 2 needed"),
        "Accept or reject within 48 h": ("running", "no decision yet"),
    }


def test_a_lead_still_with_marketing_has_no_sla_checks(story):
    h = _history(story, "L3")
    assert h.sla is None and h.checks.empty and h.status == "not an MQL"
    assert [e.what for e in h.events.itertuples()] == ["Created"]


def test_a_touch_logged_in_the_app_and_undone_shows_as_undone(story):
    log_touch(engine=story, actor=ANA, lead_id="L2", kind="meeting", at=dt.datetime(2026, 11, 5, 9, 0))
    undo_last(engine=story, actor=ANA)
    h = _history(story, "L2")
    assert [e.what for e in h.events.itertuples() if e.kind == "undo"] == [
        "The decision (reject: No budget) was undone",
        "The touch (meeting) was undone",
    ]
    assert "touch" not in set(h.events["kind"])


def test_the_lead_audit_holds_exactly_the_entries_about_that_lead(story):
    log_touch(engine=story, actor=ANA, lead_id="L1", kind="call", at=dt.datetime(2026, 11, 5, 9, 0))
    assert lead_audit(engine=story, lead_id="L1")["action"].tolist() == ["decide", "log_touch"]
    assert lead_audit(engine=story, lead_id="L2")["action"].tolist() == ["decide", "undo"]
    assert lead_audit(engine=story, lead_id="L").empty  # a prefix of an id is not that lead


def test_audit_entries_filter_by_person_action_and_dates(story):
    decide(engine=story, actor=BOSS, lead_ids=["L2"], accept=True, now=dt.datetime(2026, 11, 5, 9, 0))
    every, total = audit_entries(engine=story)
    assert total == len(every) == 6  # two versions published, three decisions, one undo
    assert every["id"].is_monotonic_decreasing
    mine, n = audit_entries(engine=story, actor_ids=["ana@example.com"])
    assert n == 3 and set(mine["actor"]) == {"Ana Souza"}
    decided, n = audit_entries(engine=story, actions=["decide"], limit=2)
    assert n == 3 and len(decided) == 2
    people = audit_people(engine=story)
    assert people == {"ana@example.com": "Ana Souza", "maya@example.com": "Maya Chen", "test": "test"}
    assert audit_actions(engine=story) == ["decide", "publish_sla", "undo"]
    today = dt.datetime.combine(dt.date.today(), dt.time())
    assert audit_entries(engine=story, end=today - dt.timedelta(days=3650))[1] == 0
    assert audit_entries(engine=story, start=today - dt.timedelta(days=1))[1] == 6


@pytest.mark.parametrize(("text", "expected"), [
    ("L1", ["L1"]), ("grace hopper", ["L1"]), ("NAVY", ["L1"]), ("quartz_%", ["L3"]), ("_", ["L3"]),
    ("navy_compilers", []), ("ada@acme", ["L3", "L2", "L1"]), ("  ", []),
])  # fmt: skip
def test_find_leads_matches_id_name_company_and_email_literally(story, text, expected):
    assert find_leads(engine=story, text=text)["lead_id"].tolist() == expected
