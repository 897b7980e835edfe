"""My leads' queue and its callbacks: the open MQLs with their time left, and accept, reject, touch and undo.

Every action runs in a button's callback, before the page reruns; messages are queued in the session and stay
on screen until the next action (a rerun that is cut short never loses them).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
import streamlit as st
from sqlalchemy.exc import OperationalError

from sla_model.access import Actor, PermissionDenied
from sla_model.actions import DB_BUSY, ActionError, decide, log_touch, undo_last
from sla_model.agreement.calendar import clocks_of
from sla_model.agreement.sla import Sla, ordered
from sla_model.metrics.timing import follow_up_rules, working_hours_left
from sla_model.store.db import database_url
from sla_model.store.repository import open_mqls
from ui import fmt
from ui.data import Dataset, get_engine
from ui.selection import RowSelection

ALL_REPS = "All reps"
OVERDUE, DUE_SOON, ON_TIME = "Overdue", "Due soon", "On time"


def queue_selection() -> RowSelection:
    """The leads ticked in the queue table, kept by ID in the session."""
    return RowSelection(st.session_state, "queue")


# --- The queue ---------------------------------------------------------------------------------------------------


def due_text(hours: float, *, late: float = 0.0, working: bool = False) -> str:
    """Time left to a deadline as text: ``in 3h``, ``overdue by 2h``, or ``done`` when there is none (NaN).

    ``late`` is the wall-clock hours since the deadline passed (overdue when above 0); ``working`` says ``hours`` are
    business hours, shown as hours (a working day is not 24 of them).

    Examples:
        >>> due_text(3.0), due_text(-2.0), due_text(float("nan"))
        ('in 3.0 h', 'overdue by 2.0 h', 'done')
        >>> due_text(0.0, late=15.0, working=True), due_text(60.0, working=True), due_text(2.5, working=True)
        ('overdue by 15.0 h', 'in 60 business h', 'in 2.5 business h')
    """
    if np.isnan(hours):
        return "done"
    if late > 0:
        return f"overdue by {fmt.hours(late)}"
    if working:
        return f"in {fmt.number(hours, 1) if hours % 1 else fmt.count(hours)} business h"
    return f"overdue by {fmt.hours(-hours)}" if hours < 0 else f"in {fmt.hours(hours)}"


def search_queue(queue: pd.DataFrame, search: str) -> np.ndarray:
    """Which open MQLs' lead id, name or company holds ``search`` (any case; all of them when it is blank)."""
    needle = search.strip().lower()
    if not needle:
        return np.ones(len(queue), dtype=bool)
    text = (
        queue["lead_id"] + " " + queue["first_name"] + " " + queue["last_name"] + " " + queue["company"]
    ).str.lower()
    return text.str.contains(needle, regex=False).to_numpy(dtype=bool, na_value=False)


@st.cache_data(max_entries=32, show_spinner=False)
def _open_mqls(url: str, version: int, owner: str | None) -> pd.DataFrame:
    return open_mqls(engine=get_engine(), owner=owner)


@st.cache_data(max_entries=32, show_spinner=False)
def _queue(
    url: str, version: int, owner: str | None, as_of: pd.Timestamp, _versions: Sequence[Sla]
) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    queue = _open_mqls(url, version, owner)
    return queue, *queue_table(queue, _versions, as_of, with_owner=owner is None)


def open_queue(data: Dataset, owner: str | None, as_of: pd.Timestamp) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """The open MQLs (all, or ``owner``'s), their :func:`queue_table` at ``as_of`` and which are overdue.

    Read from the database once per data version and owner, shared by every session (any write moves the data
    version, so the next run reads the queue afresh); the table is worked out once per as-of time too, unless the
    clock is live (then the as-of time is now, new at every run).
    """
    if data.live:
        queue = _open_mqls(database_url(), data.version, owner)
        return queue, *queue_table(queue, data.versions, as_of, with_owner=owner is None)
    return _queue(database_url(), data.version, owner, as_of, data.versions)


def queue_table(
    queue: pd.DataFrame, versions: Sequence[Sla], as_of: pd.Timestamp, *, with_owner: bool
) -> tuple[pd.DataFrame, np.ndarray]:
    """The queue as the rep sees it, and which rows are overdue against the SLA's follow-up rules at ``as_of``.

    A lead is overdue when its decision or first touch is late; due soon when the decision is due within 8 hours
    or the first touch within 2. What the rep must act on comes first (status, lead, time left), so it is in
    view at 1280×720; ``with_owner`` adds the owner after them.
    """
    rules = follow_up_rules(queue, versions)
    decide_left = working_hours_left(rules, "decision_due", as_of, versions)
    touch_left = np.where(queue["touches"] > 0, np.nan, working_hours_left(rules, "first_touch_due", as_of, versions))
    # Overdue once the due moment has passed on the wall clock (a rule due at Friday's close is late on Saturday).
    decide_late = (as_of - rules["decision_due"]).to_numpy() / pd.Timedelta(hours=1)
    touch_late = np.where(
        queue["touches"] > 0, np.nan, (as_of - rules["first_touch_due"]).to_numpy() / pd.Timedelta(hours=1)
    )
    overdue = (decide_late > 0) | (np.nan_to_num(touch_late, nan=-1) > 0)
    soon = ~overdue & ((decide_left < 8) | (np.nan_to_num(touch_left, nan=99) < 2))
    clocks = clocks_of([s.calendar for s in ordered(versions)])
    working = ~np.array([c.always for c in clocks], dtype=bool)[rules["clock"].to_numpy()]
    table = pd.DataFrame(
        {
            "Status": np.select([overdue, soon], [f"⚠ {OVERDUE}", DUE_SOON], ON_TIME),
            "Lead": queue["lead_id"].to_numpy(),
            "Decide": [
                due_text(h, late=d, working=w) for h, d, w in zip(decide_left, decide_late, working, strict=True)
            ],
            "First touch": [
                due_text(h, late=0 if np.isnan(d) else d, working=w)
                for h, d, w in zip(touch_left, touch_late, working, strict=True)
            ],  # fmt: skip
            "Name": (queue["first_name"] + " " + queue["last_name"]).to_numpy(),
            "Company": queue["company"].to_numpy(),
            "Channel": queue["channel"].to_numpy(),
            "Score": queue["score"].to_numpy(),
            "Handed over": queue["mql_at"].dt.strftime("%d %b %H:%M").to_numpy(),
            "Touches": queue["touches"].to_numpy(),
        }
    )
    if with_owner:
        table.insert(4, "Owner", queue["owner"].to_numpy())
    return table, overdue


def chosen_text(chosen: list[str], names: dict[str, object]) -> str:
    """The caption under the table: how many leads are ticked, and the first eight by id and name."""
    shown = ", ".join(
        lead_id if pd.isna(names[lead_id]) else f"{lead_id} ({names[lead_id]})" for lead_id in chosen[:8]
    ) + (" …" if len(chosen) > 8 else "")
    return f"{fmt.count(len(chosen))} selected" + (f": {shown}" if chosen else "")


# --- Messages and callbacks -------------------------------------------------------------------------------------


def flash(kind: str, text: str) -> None:
    """Queue a message; it stays on screen until the next action (a rerun that is cut short never loses it)."""
    st.session_state.setdefault("flash", []).append((kind, text))


def run(action: Callable, *args, **kwargs):
    """Call ``action``; a refusal, or a database that gave up on the write, is queued as an error and gives None."""
    try:
        return action(*args, **kwargs)
    except (ActionError, PermissionDenied) as exc:
        flash("error", str(exc))
    except OperationalError:  # a database error outside the library's own write transactions
        flash("error", DB_BUSY)
    return None


def fresh_click(key: str) -> list[str] | None:
    """The lead IDs the user ticked in the table they clicked on, or None when the click is a repeat.

    A repeat is a click on a table that was acted on already: the second click of a double click, sent before
    the page refreshed. It does nothing and keeps the first action's confirmation on screen. (Once the page
    has refreshed, the buttons are disabled until something is ticked, and Streamlit drops clicks on them.)
    """
    selection = queue_selection()
    return None if selection.acted(key) else selection.ids(key)


def stored(key: str, note: str = "") -> None:
    """Note a stored action: its table is done with, and its note is cleared (once, if the browser echoes it)."""
    queue_selection().act(key)
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


def on_decide(accept: bool, key: str, actor: Actor) -> None:
    """Accept, or reject with the chosen reason and note, the leads ticked in the table under ``key``."""
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


def on_touch(key: str, actor: Actor) -> None:
    """Log a touch of the chosen kind and outcome on each lead ticked in the table under ``key``."""
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


def on_undo(actor: Actor) -> None:
    """Undo the actor's latest decision or touch; the ticks are cleared, as the table changes under them."""
    st.session_state["flash"] = []
    what = run(undo_last, engine=get_engine(), actor=actor)
    if what:
        flash("success", f"Undone: {what}")
        selection = queue_selection()
        if selection.key:
            selection.act(selection.key)  # the table changes under the ticks: clear them


def unticked(gone: list[str], still_open: set[str]) -> None:
    """Say which ticked leads left the table, and why; they are no longer selected."""
    for lead_id in gone:
        why = "it was decided elsewhere and is no longer open" if lead_id not in still_open else "the search hides it"
        flash("warning", f"lead {lead_id} is no longer selected: {why}. Nothing was done to it.")
