"""My leads: a rep's open MQLs, oldest first, to accept or reject with a reason, log touches, and undo."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from sla_model.access import Role
from sla_model.actions import TOUCH_KINDS
from sla_model.agreement.sla import in_force
from sla_model.store.repository import data_as_of
from ui import fmt
from ui.data import get_dataset, get_engine
from ui.handoff_speed import at_risk_section
from ui.identity import current_actor
from ui.lead_history import LEAD_PARAM
from ui.links import page_link
from ui.my_leads import (
    ALL_REPS,
    chosen_text,
    drop_echoed_note,
    on_decide,
    on_touch,
    on_undo,
    open_queue,
    queue_selection,
    search_queue,
    unticked,
)

selection = queue_selection()
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
queue, table, overdue = open_queue(data, owner, as_of)
still_open = set(queue["lead_id"])
search = st.text_input("Search by lead id, name or company", key="search", placeholder="e.g. L0019264 or Quartz")
if search.strip():
    found = search_queue(queue, search)
    table, overdue = table[found].reset_index(drop=True), overdue[found]

if table.empty:
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
    n_over = int(overdue.sum())
    st.markdown(
        f"**{fmt.plural(len(table), 'open MQL')}**, oldest first · "
        f"**{fmt.count(n_over)} overdue** against the SLA "
        f"(times as of {as_of:%d %b %H:%M} UTC). Select rows, then accept or reject below."
    )
    table_key, gone = selection.show(table["Lead"].tolist())
    unticked(gone, still_open)
    st.dataframe(
        table, hide_index=True, width="stretch", on_select="rerun", selection_mode="multi-row",
        key=table_key, height=min(36 * (len(table) + 1) + 3, 420),
        column_config={"Decide": st.column_config.TextColumn(width=132, help="Time left to accept or reject"),
                       "First touch": st.column_config.TextColumn(width=132, help="Time left to the first touch")},
    )  # fmt: skip
    chosen = selection.ids(table_key)
    names = dict(zip(table["Lead"], table["Name"], strict=True))
    st.caption(fmt.md_escape(chosen_text(chosen, names)))
    if len(chosen) == 1:
        page_link("pages/lead.py", f"Open the history of {chosen[0]}", ":material/history:", {LEAD_PARAM: chosen[0]})

    sla = in_force(data.versions, as_of.date())
    labels = sla.reason_labels()
    accept_col, reject_col, touch_col = st.columns(3, gap="small")  # "Accept selected" on one line at 1280×720
    with accept_col, st.container(border=True):
        st.markdown("**Accept**")
        st.button("Accept selected", key="accept", type="primary", on_click=on_decide, args=(True, table_key, actor),
                  icon=":material/thumb_up:", disabled=not chosen)  # fmt: skip
    with reject_col, st.container(border=True):
        st.markdown("**Reject** — the SLA's recycle rules decide where the lead goes")
        st.selectbox(
            "Reason", list(labels), key="reason", format_func=lambda c: f"{labels[c]} → "
            + ("nurture" if sla.reason_action()[c] == "nurture" else "disqualify"),
        )  # fmt: skip
        drop_echoed_note(chosen)
        st.text_area("Note (optional, stored as written)", key="note", max_chars=20_000, height=80)
        st.button("Reject selected", key="reject", on_click=on_decide, args=(False, table_key, actor),
                  icon=":material/thumb_down:", disabled=not chosen)  # fmt: skip
    with touch_col, st.container(border=True):
        st.markdown("**Log a touch**")
        st.segmented_control("Kind", list(TOUCH_KINDS), default="call", key="touch_kind")
        st.text_input("Outcome", key="touch_outcome", max_chars=200, placeholder="e.g. voicemail, connected")
        st.button(
            "Log touch",
            key="log_touch",
            on_click=on_touch,
            args=(table_key, actor),
            icon=":material/call:",
            disabled=not chosen,
        )

st.button("Undo my last action", key="undo", on_click=on_undo, args=(actor,), icon=":material/undo:")
st.caption(f"Acting as {fmt.md_escape(actor.name)} ({actor.role}). Every action is stored at once with who and "
           "when, and audited; undo reverts your latest decision or touch.")  # fmt: skip

if still_open:  # an empty queue has nothing at risk
    st.subheader("At risk: breaking a follow-up rule soon")
    at_risk_section(data.summary, data, "my_risk", owner)

with messages:
    for kind, text in st.session_state.get("flash", []):
        getattr(st, kind)(fmt.md_escape(text))
