"""AppTest: the lead history page (search, timeline, SLA checks, audit trail) and the audit log page."""

from __future__ import annotations

import os

import pandas as pd
from sqlmodel import Session, func, select
from streamlit.testing.v1 import AppTest

from sla_model.access import Actor, Role
from sla_model.actions import decide
from sla_model.store.db import PROJECT_ROOT, make_engine
from sla_model.store.models import AuditEntry
from sla_model.store.repository import load_feedback, load_leads, load_touches, open_mqls

LEAD = "pages/lead.py"
AUDIT = "pages/audit_log.py"
BOSS = Actor("Maya Chen", Role.MANAGER, id="maya@example.com")


def _engine():
    return make_engine(os.environ["DATABASE_URL"])


def _open(path: str, **query: str) -> AppTest:
    at = AppTest.from_file(str(PROJECT_ROOT / path), default_timeout=120)
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


def _frame(at, columns: set[str]) -> pd.DataFrame:
    found = [d.value for d in at.dataframe if columns <= set(d.value.columns)]
    assert found, f"no table with {columns}; have {[list(d.value.columns) for d in at.dataframe]}"
    return found[0]


def _busy_lead(engine) -> str:
    """A sample lead with a decision and several touches."""
    touches = load_touches(engine=engine)
    decided = set(load_feedback(engine=engine)["lead_id"])
    counts = touches[touches["lead_id"].isin(decided)]["lead_id"].value_counts()
    return str(counts.index[0])


def test_a_link_opens_a_leads_whole_history_counted_from_the_database(writable_app):
    engine = _engine()
    lead_id = _busy_lead(engine)
    lead = load_leads(engine=engine, lead_ids=[lead_id]).iloc[0]
    stages = sum(pd.notna(lead[c]) for c in lead.index if c.endswith("_at"))
    touches = len(load_touches(engine=engine, lead_ids=[lead_id]))
    decisions = len(load_feedback(engine=engine, lead_ids=[lead_id]))
    at = _open(LEAD, lead=lead_id)
    assert not at.exception
    timeline = _frame(at, {"When", "Event", "What"})
    assert timeline["Event"].value_counts().to_dict() == {
        k: v for k, v in {"Stage": stages, "Touch": touches, "Decision": decisions}.items() if v
    }
    checks = _frame(at, {"Rule", "Due", "Result"})
    assert len(checks) == 3 and set(checks["Result"]) <= {"Met", "Broken", "Clock running", "Not judged"}
    assert any("Judged by **SLA version" in m.value for m in at.markdown)
    assert [s.value for s in at.subheader][-1] == "Audit trail"  # a manager sees it (local mode's default)


def test_search_lists_matches_and_a_pick_opens_the_lead(writable_app):
    engine = _engine()
    lead = load_leads(engine=engine).sort_values("created_at").iloc[-1]  # the newest: listed first for its company
    at = _open(LEAD)
    at.text_input(key="lead_search").set_value(str(lead["company"])).run()
    matches = _frame(at, {"Lead", "Name", "Company"})
    assert lead["lead_id"] in set(matches["Lead"]) and set(matches["Company"]) == {lead["company"]}
    row = matches["Lead"].tolist().index(lead["lead_id"])
    at.session_state["lead_matches"] = {"selection": {"rows": [row], "columns": []}}
    at.run()
    assert at.query_params["lead"] == lead["lead_id"]  # a link to this view opens the lead
    assert _frame(at, {"When", "Event", "What"})["What"].iloc[0] == "Created"


def test_a_decision_made_in_the_app_shows_at_once_with_its_audit_entry(writable_app):
    engine = _engine()
    lead_id = str(open_mqls(engine=engine)["lead_id"].iloc[0])
    at = _open(LEAD, lead=lead_id)
    assert "Decision" not in set(_frame(at, {"When", "Event"})["Event"])
    decide(engine=engine, actor=BOSS, lead_ids=[lead_id], accept=False, reason="no_budget", note="**not bold**")
    at.run()
    timeline = _frame(at, {"When", "Event", "What", "Detail"})
    decision = timeline[timeline["Event"] == "Decision"]
    assert decision["What"].tolist() == ["Decision: reject"]
    assert decision["Detail"].tolist() == ["No budget · **not bold**"]  # a table cell shows text as written
    trail = _frame(at, {"When", "Who", "Action", "Record"})
    assert trail["Who"].tolist()[-1] == "Maya Chen" and trail["Action"].tolist()[-1] == "Decided a lead"


def test_a_rep_sees_the_history_but_not_the_audit_trail(writable_app):
    engine = _engine()
    lead_id = _busy_lead(engine)
    at = _open(LEAD, lead=lead_id)
    rep = str(load_leads(engine=engine, lead_ids=[lead_id])["owner"].iloc[0])
    at.selectbox(key="identity").set_value(rep).run()
    assert not at.exception
    assert "Audit trail" not in [s.value for s in at.subheader]


def test_an_unknown_lead_says_so(writable_app):
    at = _open(LEAD, lead="NO-SUCH-LEAD**")
    assert [i.value for i in at.info] == ["No lead matches “NO\\-SUCH\\-LEAD\\*\\*”."]


def test_the_audit_log_counts_and_filters_every_entry(writable_app):
    engine = _engine()
    open_ids = open_mqls(engine=engine)["lead_id"].head(3).tolist()
    decide(engine=engine, actor=BOSS, lead_ids=open_ids, accept=True)
    with Session(engine) as session:
        total = session.exec(select(func.count()).select_from(AuditEntry)).one()
    at = _open(AUDIT)
    assert not at.exception
    assert at.markdown[0].value.startswith(f"**{total:,} entries**, newest first")
    shown = _frame(at, {"When", "Who", "Action", "Record", "Detail"})
    assert shown["Who"].iloc[0] == "Maya Chen" and shown["Record"].iloc[0] == f"Lead {open_ids[-1]}"
    at.multiselect(key="audit_who").set_value(["maya@example.com"]).run()
    assert at.markdown[0].value.startswith("**3 entries**")
    at.multiselect(key="audit_what").set_value(["publish_sla"]).run()
    assert [i.value for i in at.info] == ["No audit entry matches these filters."]


def test_the_audit_log_is_for_managers_only(writable_app):
    at = _open(AUDIT)
    rep = at.selectbox(key="identity").options[1]
    at.selectbox(key="identity").set_value(rep).run()
    assert [i.value for i in at.info] == ["The audit log is for managers."]
    assert not at.dataframe
