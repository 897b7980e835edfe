"""My leads: a rep's open MQLs, oldest first, to accept or reject with a reason, log touches, and undo."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from sla_model.access import PermissionDenied, Role
from sla_model.actions import TOUCH_KINDS, ActionError, decide, log_touch, undo_last
from sla_model.repository import data_as_of, open_mqls
from sla_model.sla import in_force
from sla_model.timing import follow_up_rules
from ui import fmt
from ui.data import get_dataset, get_engine
from ui.identity import current_actor

ALL_REPS = "All reps"
OVERDUE, DUE_SOON, ON_TIME = "Overdue", "Due soon", "On time"


def flash(kind: str, text: str) -> None:
    st.session_state.setdefault("flash", []).append((kind, text))


def selected_ids() -> list[str]:
    event = st.session_state.get(f"queue_{st.session_state.get('queue_gen', 0)}")
    ids = st.session_state.get("queue_ids", [])
    rows = event["selection"]["rows"] if event else []  # a selection state is a dict
    return [ids[i] for i in rows if i < len(ids)]


def after_write() -> None:
    st.session_state["queue_gen"] = st.session_state.get("queue_gen", 0) + 1  # clears the table selection


def run(action, *args, **kwargs) -> None:
    try:
        return action(*args, **kwargs)
    except (ActionError, PermissionDenied) as exc:
        flash("error", str(exc))
    return None


def on_decide(accept: bool) -> None:
    ids = selected_ids()
    if not ids:
        flash("warning", "Select one or more leads in the table first.")
        return
    results = run(
        decide, engine=get_engine(), actor=actor, lead_ids=ids, accept=accept,
        reason=None if accept else st.session_state.get("reason"), note=st.session_state.get("note", ""),
    )  # fmt: skip
    for r in results or []:
        flash("success" if r.ok else "error", r.message)
    if results and any(r.ok for r in results):
        st.session_state["note"] = ""
        after_write()


def on_touch() -> None:
    ids = selected_ids()
    if not ids:
        flash("warning", "Select the lead(s) you contacted in the table first.")
        return
    kind, outcome = st.session_state.get("touch_kind", "call"), st.session_state.get("touch_outcome", "")
    for lead_id in ids:
        if run(log_touch, engine=get_engine(), actor=actor, lead_id=lead_id, kind=kind, outcome=outcome):
            flash("success", f"{kind} logged on lead {lead_id}")
    after_write()


def on_undo() -> None:
    what = run(undo_last, engine=get_engine(), actor=actor)
    if what:
        flash("success", f"Undone: {what}")
        after_write()


def due_text(hours: float) -> str:
    if np.isnan(hours):
        return "done"
    return f"overdue by {fmt.hours(-hours)}" if hours < 0 else f"in {fmt.hours(hours)}"


actor = current_actor()
data = get_dataset()
engine = get_engine()
st.title("My leads" if actor.role is Role.REP else "Open MQLs")

for kind, text in st.session_state.pop("flash", []):
    getattr(st, kind)(fmt.md_escape(text))

if actor.role is Role.VIEWER:
    st.info("This is the read-only meeting screen: sign in as a rep or manager to decide leads.",
            icon=":material/visibility:")  # fmt: skip
    st.stop()
if not data.versions:
    st.info("No SLA is stored yet, so there are no follow-up rules to work to.")
    st.stop()

owner = actor.rep
if actor.role is Role.MANAGER:
    reps = data.values_of("owner")
    choice = st.selectbox("Whose leads", [ALL_REPS, *reps], key="whose")
    owner = None if choice == ALL_REPS else choice

as_of = pd.Timestamp(data_as_of(engine=engine))
queue = open_mqls(engine=engine, owner=owner)
search = st.text_input("Search by lead id, name or company", key="search", placeholder="e.g. L0019264 or Quartz")
if search.strip():
    needle = search.strip().lower()
    text = (
        queue["lead_id"] + " " + queue["first_name"] + " " + queue["last_name"] + " " + queue["company"]
    ).str.lower()
    queue = queue[text.str.contains(needle, regex=False)]

if queue.empty:
    st.success("Nothing waiting: every MQL " + ("of yours " if owner else "") + "has a decision."
               if not search.strip() else "No open lead matches that search.")  # fmt: skip
else:
    rules = follow_up_rules(queue, data.versions)
    hours_since = (as_of - queue["mql_at"]) / pd.Timedelta(hours=1)
    decide_left = rules["decision_hours"].to_numpy(float) - hours_since.to_numpy()
    touch_left = np.where(queue["touches"] > 0, np.nan, rules["first_touch_hours"].to_numpy(float) - hours_since)
    overdue = (decide_left < 0) | (np.nan_to_num(touch_left, nan=1) < 0)
    soon = ~overdue & ((decide_left < 8) | (np.nan_to_num(touch_left, nan=99) < 2))
    table = pd.DataFrame(
        {
            "Status": np.select([overdue, soon], [f"⚠ {OVERDUE}", DUE_SOON], ON_TIME),
            "Lead": queue["lead_id"].to_numpy(),
            "Name": (queue["first_name"] + " " + queue["last_name"]).to_numpy(),
            "Company": queue["company"].to_numpy(),
            "Channel": queue["channel"].to_numpy(),
            "Score": queue["score"].to_numpy(),
            "Handed over": queue["mql_at"].dt.strftime("%d %b %H:%M").to_numpy(),
            "Touches": queue["touches"].to_numpy(),
            "First touch": [due_text(h) for h in touch_left],
            "Decide": [due_text(h) for h in decide_left],
        }
    )
    if owner is None:
        table.insert(2, "Owner", queue["owner"].to_numpy())
    st.session_state["queue_ids"] = table["Lead"].tolist()
    n_over = int(overdue.sum())
    st.markdown(
        f"**{fmt.count(len(table))} open MQL{'' if len(table) == 1 else 's'}**, oldest first · "
        f"**{fmt.count(n_over)} overdue** against the SLA "
        f"(times as of {as_of:%d %b %H:%M} UTC). Select rows, then accept or reject below."
    )
    styled = table.style.apply(
        lambda col: ["background-color: #FBE3D6; font-weight: 600" if o else "" for o in overdue], subset=["Status"]
    )
    st.dataframe(
        styled, hide_index=True, width="stretch", on_select="rerun", selection_mode="multi-row",
        key=f"queue_{st.session_state.get('queue_gen', 0)}", height=min(36 * (len(table) + 1) + 3, 420),
    )  # fmt: skip
    chosen = selected_ids()
    st.caption(f"{len(chosen)} selected" + (f": {', '.join(chosen[:8])}" + (" …" if len(chosen) > 8 else "")
                                              if chosen else ""))  # fmt: skip

    sla = in_force(data.versions, as_of.date())
    labels = sla.reason_labels()
    accept_col, reject_col, touch_col = st.columns([1, 2, 2], gap="large")
    with accept_col, st.container(border=True):
        st.markdown("**Accept**")
        st.button("Accept selected", key="accept", type="primary", on_click=on_decide, args=(True,),
                  icon=":material/thumb_up:", disabled=not chosen)  # fmt: skip
    with reject_col, st.container(border=True):
        st.markdown("**Reject** — the SLA's recycle rules decide where the lead goes")
        st.selectbox(
            "Reason", list(labels), key="reason", format_func=lambda c: f"{labels[c]} → "
            + ("nurture" if sla.reason_action()[c] == "nurture" else "disqualify"),
        )  # fmt: skip
        st.text_area("Note (optional, stored as written)", key="note", max_chars=20_000, height=80)
        st.button("Reject selected", key="reject", on_click=on_decide, args=(False,), icon=":material/thumb_down:",
                  disabled=not chosen)  # fmt: skip
    with touch_col, st.container(border=True):
        st.markdown("**Log a touch**")
        st.segmented_control("Kind", list(TOUCH_KINDS), default="call", key="touch_kind")
        st.text_input("Outcome", key="touch_outcome", max_chars=200, placeholder="e.g. voicemail, connected")
        st.button("Log touch", key="log_touch", on_click=on_touch, icon=":material/call:", disabled=not chosen)

st.button("Undo my last action", key="undo", on_click=on_undo, icon=":material/undo:")
st.caption(f"Acting as {fmt.md_escape(actor.name)} ({actor.role}). Every action is stored at once with who and "
           "when, and audited; undo reverts your latest decision or touch.")  # fmt: skip
