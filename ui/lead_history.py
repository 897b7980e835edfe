"""The lead history page's sections: finding a lead, its facts, the SLA checks, the timeline and its audit trail."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from sla_model.review.history import LeadHistory
from ui import fmt

#: The query parameter that names the lead shown (a link from any page opens it).
LEAD_PARAM = "lead"
KIND_WORDS = {"stage": "Stage", "touch": "Touch", "decision": "Decision", "undo": "Undo"}
RESULT_WORDS = {"met": "Met", "broken": "Broken", "running": "Clock running", "not judged": "Not judged"}
STATUS_WORDS = {
    "accepted": "Accepted by sales",
    "rejected": "Rejected by sales",
    "stale": "Closed without a sales decision",
    "pending": "Open: waiting on sales",
    "decided": "Decided",
    "not an MQL": "Not an MQL (still with marketing)",
}
ACTION_WORDS = {
    "decide": "Decided a lead",
    "log_touch": "Logged a touch",
    "undo": "Undid an action",
    "publish_sla": "Published an SLA version",
    "propose": "Proposed an SLA change",
    "decide_proposal": "Decided on a proposal",
    "record_decision": "Recorded a meeting decision",
    "close_decision": "Closed a meeting decision",
    "import": "Imported data",
    "seed": "Loaded the sample data",
    "set_user": "Set a user's role",
    "save_mapping": "Saved an import mapping",
    "save_alert_settings": "Changed the alert settings",
    "mute_digest": "Turned their daily digest off",
    "unmute_digest": "Turned their daily digest on",
}
#: The record an audit entry is about, in words.
ENTITY_WORDS = {
    "lead": "Lead",
    "touch": "Touch",
    "audit_log": "Audit entry",
    "sla_version": "SLA version",
    "database": "Database",
    "app_user": "User",
    "saved_mapping": "Import mapping",
    "decision": "Meeting decision",
    "proposal": "Proposal",
    "alert_settings": "Alert settings",
}
#: Audit table column widths.
AUDIT_COLUMNS = {
    "When": st.column_config.TextColumn(width=170),
    "Who": st.column_config.TextColumn(width=150),
    "Action": st.column_config.TextColumn(width=210),
    "Record": st.column_config.TextColumn(width=150),
    "Detail": st.column_config.TextColumn(width="large"),
}
#: Timeline column widths: the words get the room, the time and kind stay narrow.
TIMELINE_COLUMNS = {
    "When": st.column_config.TextColumn(width=170),
    "Event": st.column_config.TextColumn(width=80),
    "What": st.column_config.TextColumn(width=250),
    "Who": st.column_config.TextColumn(width=130),
    "Detail": st.column_config.TextColumn(width="large"),
}


def when(value: object) -> str:
    """A timestamp as the timeline shows it: ``Tue 03 Mar 2026 14:05``; a dash when unknown."""
    return "—" if value is None or pd.isna(value) else f"{pd.Timestamp(value):%a %d %b %Y %H:%M}"


def matches_table(found: pd.DataFrame) -> pd.DataFrame:
    """Search results as the page lists them."""
    name = (found["first_name"].fillna("") + " " + found["last_name"].fillna("")).str.strip()
    return pd.DataFrame({
        "Lead": found["lead_id"], "Name": name, "Company": found["company"], "Email": found["email"],
        "Owner": found["owner"].fillna("—"), "Created": found["created_at"].map(when),
    })  # fmt: skip


def facts(history: LeadHistory) -> list[tuple[str, str]]:
    """The lead's facts as label/value pairs (what the MQL definition and the pages group by)."""
    lead = history.lead
    size = lead.get("company_size")
    return [
        ("Owner", str(lead.get("owner") or "—")),
        ("Channel", str(lead.get("channel") or "—")),
        ("Campaign", str(lead.get("campaign") or "—")),
        ("Persona", str(lead.get("persona") or "—")),
        ("Country", str(lead.get("country") or "—")),
        ("Company size", fmt.count(float(size)) if size else "—"),
        ("Score", fmt.count(float(lead.get("score") or 0))),
        ("Demo request", "yes" if bool(lead.get("demo_request")) else "no"),
    ]


def title(history: LeadHistory) -> str:
    """The lead's name and company (markdown-safe)."""
    lead = history.lead
    name = f"{lead.get('first_name') or ''} {lead.get('last_name') or ''}".strip() or str(lead["lead_id"])
    company = str(lead.get("company") or "")
    return fmt.md_escape(name) + (f" · {fmt.md_escape(company)}" if company else "")


def judged_by(history: LeadHistory) -> str:
    """Which SLA version judged the lead, in words."""
    if history.sla is None:
        return "Not judged by the SLA: the lead was never handed to sales."
    meta = history.sla.meta
    return (f"Judged by **SLA version {meta.version}**, in force from {fmt.day(meta.effective_from)} "
            f"when the lead was handed over on {when(history.lead.get('mql_at'))}.")  # fmt: skip


def checks_table(history: LeadHistory) -> pd.DataFrame:
    """The follow-up rules and how each ended."""
    c = history.checks
    return pd.DataFrame({"Rule": c["rule"], "Due": c["due"].map(when), "Result": c["result"].map(RESULT_WORDS),
                         "Detail": c["detail"]})  # fmt: skip


def timeline_table(history: LeadHistory) -> pd.DataFrame:
    """Every event, oldest first."""
    e = history.events
    return pd.DataFrame({"When": e["at"].map(when), "Event": e["kind"].map(KIND_WORDS), "What": e["what"],
                         "Who": e["who"].replace("", "—"), "Detail": e["detail"].replace("", "—")})  # fmt: skip


def detail_words(action: str, detail: str) -> str:
    """An audit entry's detail as readable ``key: value`` pairs instead of JSON."""
    try:
        data = json.loads(detail or "{}")
    except ValueError:
        return str(detail)
    if not isinstance(data, dict):
        return str(data)
    parts = [f"{k.replace('_', ' ')}: {v}" for k, v in data.items() if v not in (None, "", [], {})]
    return " · ".join(parts) or "—"


def audit_table(entries: pd.DataFrame) -> pd.DataFrame:
    """Audit entries as the page lists them, in the order given."""
    return pd.DataFrame({
        "When": entries["at"].map(when),
        "Who": entries["actor"],
        "Action": entries["action"].map(lambda a: ACTION_WORDS.get(a, a.replace("_", " ").capitalize())),
        "Record": (entries["entity"].map(lambda e: ENTITY_WORDS.get(e, e.replace("_", " ").capitalize())) + " "
                   + entries["entity_id"].fillna("")).str.strip(),
        "Detail": [detail_words(a, d) for a, d in zip(entries["action"], entries["detail"], strict=True)],
    })  # fmt: skip


def result_style(column: pd.Series) -> list[str]:
    """Broken checks stand out; met ones are quiet."""
    return ["background-color: #FBE3D6; font-weight: 600" if v == "Broken" else "" for v in column]
