"""One lead's whole story: its stages, touches, decisions and undos, the SLA it was judged by, and how it fared."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sla_model.agreement.calendar import Calendar, work_clock
from sla_model.agreement.sla import STANDARD, Sla, in_force
from sla_model.metrics.lifecycle import DECISION_COLUMNS, is_open
from sla_model.metrics.quality import decision_status
from sla_model.metrics.timing import HOUR, speed_to_lead, touch_compliance, touch_summary

#: The lead's own stage dates, in lifecycle order, with the words the timeline uses.
STAGES = (
    ("created_at", "Created"),
    ("mql_at", "Became an MQL, handed to sales"),
    ("accepted_at", "Accepted by sales"),
    ("rejected_at", "Rejected by sales"),
    ("recycled_at", "Back to marketing for nurturing"),
    ("disqualified_at", "Disqualified"),
    ("sql_at", "Sales qualified (SQL)"),
    ("opportunity_at", "Opportunity opened"),
    ("won_at", "Won"),
    ("lost_at", "Lost"),
)
#: Timeline columns: when, what kind of event, what happened, who did it, and the rest in words.
EVENT_COLUMNS = ("at", "kind", "what", "who", "detail")
#: How each check of the SLA ended for the lead.
CHECK_COLUMNS = ("rule", "due", "result", "detail")


@dataclass(frozen=True)
class LeadHistory:
    """Everything known about one lead, as of one moment."""

    lead: pd.Series
    events: pd.DataFrame  # EVENT_COLUMNS, oldest first
    checks: pd.DataFrame  # CHECK_COLUMNS: the follow-up rules the lead was judged by, and how each ended
    sla: Sla | None  # the version in force at the handoff (None: the lead never became an MQL, or no SLA)
    status: str  # accepted, rejected, stale, pending (an open MQL) or "not an MQL"
    as_of: pd.Timestamp


def _when(value: object) -> pd.Timestamp | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value)


def _stage_events(lead: pd.Series, sla: Sla | None) -> list[dict]:
    labels = sla.reason_labels() if sla else {}
    rows = []
    for column, what in STAGES:
        at = _when(lead.get(column))
        if at is None:
            continue
        detail = ""
        if column == "created_at":
            detail = " · ".join(str(v) for v in (lead.get("channel"), lead.get("campaign")) if v and not pd.isna(v))
        elif column == "mql_at":
            detail = f"score {int(lead.get('score') or 0)}"
        elif column == "rejected_at" and lead.get("rejection_reason"):
            reason = str(lead["rejection_reason"])
            detail = labels.get(reason, reason)
        elif column == "won_at" and lead.get("amount") is not None and not pd.isna(lead.get("amount")):
            detail = f"amount {float(lead['amount']):,.0f}"
        who = str(lead.get("owner") or "") if column == "mql_at" else ""
        rows.append({"at": at, "kind": "stage", "what": what, "who": who, "detail": detail})
    return rows


def _touch_events(touches: pd.DataFrame) -> list[dict]:
    return [
        {
            "at": pd.Timestamp(t.at),
            "kind": "touch",
            "what": f"{str(t.kind).capitalize()} logged",
            "who": str(t.rep),
            "detail": str(t.outcome or ""),
        }  # fmt: skip
        for t in touches.itertuples(index=False)
    ]


def _decision_events(feedback: pd.DataFrame, sla: Sla | None) -> list[dict]:
    labels = sla.reason_labels() if sla else {}
    rows = []
    for f in feedback.itertuples(index=False):
        reason = "" if f.reason is None or pd.isna(f.reason) else labels.get(str(f.reason), str(f.reason))
        what = "Decision: accept" if f.decision == "accept" else "Decision: reject"
        detail = " · ".join(p for p in (reason, str(f.note or "")) if p)
        rows.append({"at": pd.Timestamp(f.at), "kind": "decision", "what": what, "who": str(f.by), "detail": detail})
    return rows


def _audit_events(audit: pd.DataFrame, sla: Sla | None) -> list[dict]:
    """Undos only: the decisions and touches themselves are on the timeline from the data.

    An undone decision or touch is gone from the data, so the undo names what it removed.
    """
    labels = sla.reason_labels() if sla else {}
    rows = []
    for a in audit.itertuples(index=False):
        if a.action != "undo":
            continue
        detail = json.loads(a.detail or "{}")
        if detail.get("undid") == "decide":
            reason = detail.get("reason")
            said = str(detail.get("decision", ""))
            said += f": {labels.get(str(reason), str(reason))}" if reason else ""
            what = f"The decision ({said}) was undone" if said else "The decision was undone"
        else:
            what = f"The touch ({detail['kind']}) was undone" if detail.get("kind") else "The touch was undone"
        rows.append({"at": pd.Timestamp(a.at), "kind": "undo", "what": what, "who": str(a.actor), "detail": ""})
    return rows


def _check(rule: str, due: pd.Timestamp, result: str, detail: str) -> dict:
    return {"rule": rule, "due": due, "result": result, "detail": detail}


def _checks(lead: pd.Series, touches: pd.DataFrame, versions: Sequence[Sla], as_of: pd.Timestamp) -> list[dict]:
    """The lead against each follow-up rule in force at its handoff, with the same functions the pages use."""
    frame = lead.to_frame().T.infer_objects()
    for column, _ in STAGES:
        frame[column] = pd.to_datetime(frame[column])
    summary = touch_summary(frame, touches, versions)
    if summary.empty:
        return []
    row = summary.iloc[0]
    speed = speed_to_lead(summary, as_of).iloc[0]
    cadence = touch_compliance(summary, frame, as_of).iloc[0]
    mql_at = pd.Timestamp(row["mql_at"])
    calendar = in_force(versions, mql_at.date()).calendar
    always, hours, days = calendar.always, calendar.hour_unit, calendar.day_unit
    policy = "" if row["policy"] == STANDARD else f" ({row['policy']})"
    first_due = pd.Timestamp(row["first_touch_due"])
    first = {
        "within": ("met", f"first touch after {_hours(row['hours_to_first_touch'])}"),
        "late": ("broken", f"first touch after {_hours(row['hours_to_first_touch'])}"),
        "missed": ("broken", "no touch yet"),
        "open": ("running", "no touch yet"),
        "untracked": ("not judged", "decided without a touch recorded"),
    }[speed["status"]]
    out = [_check(f"First touch within {row['first_touch_hours']:g} {hours}{policy}", first_due, *first)]
    window_end = pd.Timestamp(row["window_due"])
    n = int(row["touches_in_window"])
    touched = f"{n} touch{'' if n == 1 else 'es'} in the window, {int(row['min_touches'])} needed"
    cadence_result = "met" if cadence["complies"] else ("broken" if cadence["judged"] else "running")
    out.append(_check(f"{int(row['min_touches'])} touches within {int(row['window_days'])} {days}{policy}", window_end,
                      cadence_result, touched))  # fmt: skip
    decision_due = pd.Timestamp(row["decision_due"])
    decided_at = pd.Series([_when(lead.get(c)) for c in DECISION_COLUMNS], dtype="datetime64[ns]").min()
    if pd.isna(decided_at):
        result = "broken" if as_of > decision_due else "running"
        detail = "no decision yet"
    else:
        result = "met" if decided_at <= decision_due else "broken"
        detail = f"decided after {_hours((decided_at - mql_at) / HOUR)}"
        if not always:
            detail += (
                f" ({work_clock(calendar, _zone(calendar, row)).hours_between(mql_at, decided_at)[0]:g} business h)"
            )
    out.append(
        _check(f"Accept or reject within {row['decision_hours']:g} {hours}{policy}", decision_due, result, detail)
    )
    return out


def _zone(calendar: Calendar, row: pd.Series) -> str:
    """The time zone a lead's clock runs in: its rep's own, else the team's."""
    return calendar.owner_timezones.get(str(row.get("owner")), calendar.timezone)


def _hours(h: float) -> str:
    if h is None or np.isnan(h):
        return "—"
    return f"{h:.1f} h" if h < 48 else f"{h / 24:.1f} days"


def lead_history(
    lead: pd.Series,
    *,
    touches: pd.DataFrame,
    feedback: pd.DataFrame,
    audit: pd.DataFrame,
    versions: Sequence[Sla],
    as_of: dt.datetime | pd.Timestamp,
) -> LeadHistory:
    """The lead's story: every event recorded on it, and the follow-up rules judged as of ``as_of``.

    Every event is listed, also those after ``as_of`` (a decision made in the app after a fixed snapshot's
    moment: the record shows it, as the lead's columns do); a rule still running is judged at ``as_of``, as the
    pages judge it. ``touches``/``feedback`` are the lead's own rows (any others are ignored), ``audit`` its audit
    entries (:func:`sla_model.store.audit.lead_audit`); ``versions`` every stored SLA version.
    """
    as_of = pd.Timestamp(as_of)
    lead_id = lead["lead_id"]
    touches = touches[touches["lead_id"] == lead_id]
    feedback = feedback[feedback["lead_id"] == lead_id]
    mql_at = _when(lead.get("mql_at"))
    sla = in_force(versions, mql_at.date()) if versions and mql_at is not None else None
    rows = (
        _stage_events(lead, sla) + _touch_events(touches) + _decision_events(feedback, sla) + _audit_events(audit, sla)
    )
    order = {"stage": 0, "decision": 1, "touch": 2, "undo": 3}
    events = pd.DataFrame(rows, columns=list(EVENT_COLUMNS))
    if len(events):
        events["rank"] = events["kind"].map(order)
        events = events.sort_values(["at", "rank"], kind="stable").drop(columns="rank").reset_index(drop=True)
    checks = pd.DataFrame(
        _checks(lead, touches, versions, as_of) if sla is not None else [], columns=list(CHECK_COLUMNS)
    )  # fmt: skip
    frame = lead.to_frame().T
    for column in DECISION_COLUMNS:
        frame[column] = pd.to_datetime(frame[column])
    if mql_at is None:
        status = "not an MQL"
    else:
        for column in ("sql_at", "opportunity_at", "won_at", "lost_at", "mql_at"):
            frame[column] = pd.to_datetime(frame[column])
        status = str(decision_status(frame).iloc[0])
        if status == "pending" and not bool(is_open(frame).iloc[0]):
            status = "decided"
    return LeadHistory(lead=lead, events=events, checks=checks, sla=sla, status=status, as_of=as_of)
