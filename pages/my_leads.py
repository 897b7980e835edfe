"""My leads: a rep's open MQLs, oldest first, to accept or reject with a reason, log touches, and undo."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from sla_model.access import PermissionDenied, Role
from sla_model.actions import TOUCH_KINDS, ActionError, decide, log_touch, undo_last
from sla_model.agreement.sla import in_force
from sla_model.metrics.timing import follow_up_rules
from sla_model.store.repository import data_as_of, open_mqls
from ui import fmt
from ui.data import get_dataset, get_engine
from ui.identity import current_actor
from ui.selection import RowSelection

ALL_REPS = "All reps"
OVERDUE, DUE_SOON, ON_TIME = "Overdue", "Due soon", "On time"

selection = RowSelection(st.session_state, "queue")


def flash(kind: str, text: str) -> None:
    """Queue a message; it stays on screen until the next action (a rerun that is cut short never loses it)."""
    st.session_state.setdefault("flash", []).append((kind, text))


def run(action, *args, **kwargs):
    try:
        return action(*args, **kwargs)
    except (ActionError, PermissionDenied) as exc:
        flash("error", str(exc))
    return None


def fresh_click(key: str) -> list[str] | None:
    """The lead IDs the user ticked in the table they clicked on, or None when the click is a repeat.

    A repeat is a click on a table that was acted on already: the second click of a double click, sent before
    the page refreshed. It does nothing and keeps the first action's confirmation on screen. (Once the page
    has refreshed, the buttons are disabled until something is ticked, and Streamlit drops clicks on them.)
    """
    return None if selection.acted(key) else selection.ids(key)


def stored(key: str, note: str = "") -> None:
    """Note a stored action: its table is done with, and its note is cleared (once, if the browser echoes it)."""
    selection.act(key)
    st.session_state["stored_note"] = note
    st.session_state["note"] = ""


def drop_echoed_note(ticked: list[str]) -> None:
    """Empty the note box when a click sent before the refresh brings back the note that was just stored.

    The stored note is forgotten as soon as the user moves on: ticks a lead or types another note.
    """
    echo = st.session_state.get("stored_note", "")
    note = st.session_state.get("note", "")
    if echo and note == echo and not ticked:
        st.session_state["note"] = ""
    if ticked or note:
        st.session_state.pop("stored_note", None)


def on_decide(accept: bool, key: str) -> None:
    ids = fresh_click(key)
    if ids is None:
        return
    if not ids:
        flash("warning", "Select one or more leads in the table first.")
        return
    note = st.session_state.get("note", "")
    st.session_state["flash"] = []
    results = run(
        decide, engine=get_engine(), actor=actor, lead_ids=ids, accept=accept,
        reason=None if accept else st.session_state.get("reason"), note=note,
    )  # fmt: skip
    for r in results or []:
        flash("success" if r.ok else "error", r.message)
    if results and any(r.ok for r in results):
        stored(key, note)


def on_touch(key: str) -> None:
    ids = fresh_click(key)
    if ids is None:
        return
    if not ids:
        flash("warning", "Select the lead(s) you contacted in the table first.")
        return
    kind, outcome = st.session_state.get("touch_kind") or "call", st.session_state.get("touch_outcome", "")
    st.session_state["flash"] = []
    for lead_id in ids:
        if run(log_touch, engine=get_engine(), actor=actor, lead_id=lead_id, kind=kind, outcome=outcome):
            flash("success", f"{kind} logged on lead {lead_id}")
            stored(key)


def on_undo() -> None:
    st.session_state["flash"] = []
    what = run(undo_last, engine=get_engine(), actor=actor)
    if what:
        flash("success", f"Undone: {what}")
        if selection.key:
            selection.act(selection.key)  # the table changes under the ticks: clear them


def unticked(gone: list[str], still_open: set[str]) -> None:
    """Say which ticked leads left the table, and why; they are no longer selected."""
    for lead_id in gone:
        why = "it was decided elsewhere and is no longer open" if lead_id not in still_open else "the search hides it"
        flash("warning", f"lead {lead_id} is no longer selected: {why}. Nothing was done to it.")


def due_text(hours: float) -> str:
    if np.isnan(hours):
        return "done"
    return f"overdue by {fmt.hours(-hours)}" if hours < 0 else f"in {fmt.hours(hours)}"


actor = current_actor()
data = get_dataset()
engine = get_engine()
st.title("My leads" if actor.role is Role.REP else "Open MQLs")

messages = st.container()  # filled last, with whatever this run adds

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
still_open = set(queue["lead_id"])
search = st.text_input("Search by lead id, name or company", key="search", placeholder="e.g. L0019264 or Quartz")
if search.strip():
    needle = search.strip().lower()
    text = (
        queue["lead_id"] + " " + queue["first_name"] + " " + queue["last_name"] + " " + queue["company"]
    ).str.lower()
    queue = queue[text.str.contains(needle, regex=False)]


if queue.empty:
    unticked(selection.show([])[1], still_open)
    if search.strip():
        st.success("No open lead matches that search.")
    elif actor.role is Role.REP:
        st.success("Nothing waiting: every MQL of yours has a decision.")
    elif owner:
        st.success(f"Nothing waiting: every MQL owned by {fmt.md_escape(owner)} has a decision.")
    else:
        st.success("Nothing waiting: every MQL has a decision.")
else:
    rules = follow_up_rules(queue, data.versions)
    hours_since = (as_of - queue["mql_at"]) / pd.Timedelta(hours=1)
    decide_left = rules["decision_hours"].to_numpy(float) - hours_since.to_numpy()
    touch_left = np.where(queue["touches"] > 0, np.nan, rules["first_touch_hours"].to_numpy(float) - hours_since)
    overdue = (decide_left < 0) | (np.nan_to_num(touch_left, nan=1) < 0)
    soon = ~overdue & ((decide_left < 8) | (np.nan_to_num(touch_left, nan=99) < 2))
    # what the rep must act on comes first (status, lead, time left), so it is in view at 1280×720
    table = pd.DataFrame(
        {
            "Status": np.select([overdue, soon], [f"⚠ {OVERDUE}", DUE_SOON], ON_TIME),
            "Lead": queue["lead_id"].to_numpy(),
            "Decide": [due_text(h) for h in decide_left],
            "First touch": [due_text(h) for h in touch_left],
            "Name": (queue["first_name"] + " " + queue["last_name"]).to_numpy(),
            "Company": queue["company"].to_numpy(),
            "Channel": queue["channel"].to_numpy(),
            "Score": queue["score"].to_numpy(),
            "Handed over": queue["mql_at"].dt.strftime("%d %b %H:%M").to_numpy(),
            "Touches": queue["touches"].to_numpy(),
        }
    )
    if owner is None:
        table.insert(4, "Owner", queue["owner"].to_numpy())
    n_over = int(overdue.sum())
    st.markdown(
        f"**{fmt.plural(len(table), 'open MQL')}**, oldest first · "
        f"**{fmt.count(n_over)} overdue** against the SLA "
        f"(times as of {as_of:%d %b %H:%M} UTC). Select rows, then accept or reject below."
    )
    table_key, gone = selection.show(table["Lead"].tolist())
    unticked(gone, still_open)
    styled = table.style.apply(
        lambda col: ["background-color: #FBE3D6; font-weight: 600" if o else "" for o in overdue], subset=["Status"]
    )
    st.dataframe(
        styled, hide_index=True, width="stretch", on_select="rerun", selection_mode="multi-row",
        key=table_key, height=min(36 * (len(table) + 1) + 3, 420),
        column_config={"Decide": st.column_config.TextColumn(width=132, help="Time left to accept or reject"),
                       "First touch": st.column_config.TextColumn(width=132, help="Time left to the first touch")},
    )  # fmt: skip
    chosen = selection.ids(table_key)
    names = dict(zip(table["Lead"], table["Name"], strict=True))
    shown = ", ".join(
        lead_id if pd.isna(names[lead_id]) else f"{lead_id} ({names[lead_id]})" for lead_id in chosen[:8]
    ) + (" …" if len(chosen) > 8 else "")
    st.caption(fmt.md_escape(f"{fmt.count(len(chosen))} selected" + (f": {shown}" if chosen else "")))

    sla = in_force(data.versions, as_of.date())
    labels = sla.reason_labels()
    accept_col, reject_col, touch_col = st.columns(3, gap="small")  # "Accept selected" on one line at 1280×720
    with accept_col, st.container(border=True):
        st.markdown("**Accept**")
        st.button("Accept selected", key="accept", type="primary", on_click=on_decide, args=(True, table_key),
                  icon=":material/thumb_up:", disabled=not chosen)  # fmt: skip
    with reject_col, st.container(border=True):
        st.markdown("**Reject** — the SLA's recycle rules decide where the lead goes")
        st.selectbox(
            "Reason", list(labels), key="reason", format_func=lambda c: f"{labels[c]} → "
            + ("nurture" if sla.reason_action()[c] == "nurture" else "disqualify"),
        )  # fmt: skip
        drop_echoed_note(chosen)
        st.text_area("Note (optional, stored as written)", key="note", max_chars=20_000, height=80)
        st.button("Reject selected", key="reject", on_click=on_decide, args=(False, table_key),
                  icon=":material/thumb_down:", disabled=not chosen)  # fmt: skip
    with touch_col, st.container(border=True):
        st.markdown("**Log a touch**")
        st.segmented_control("Kind", list(TOUCH_KINDS), default="call", key="touch_kind")
        st.text_input("Outcome", key="touch_outcome", max_chars=200, placeholder="e.g. voicemail, connected")
        st.button(
            "Log touch",
            key="log_touch",
            on_click=on_touch,
            args=(table_key,),
            icon=":material/call:",
            disabled=not chosen,
        )

st.button("Undo my last action", key="undo", on_click=on_undo, icon=":material/undo:")
st.caption(f"Acting as {fmt.md_escape(actor.name)} ({actor.role}). Every action is stored at once with who and "
           "when, and audited; undo reverts your latest decision or touch.")  # fmt: skip

with messages:
    for kind, text in st.session_state.get("flash", []):
        getattr(st, kind)(fmt.md_escape(text))
