"""Audit log: every write anyone made in the app or the command line, filterable by user, action and date."""

from __future__ import annotations

import streamlit as st

from sla_model.access import Role
from sla_model.exports import safe_csv
from sla_model.store.audit import audit_actions, audit_entries, audit_people
from ui import fmt
from ui.audit_log import SHOWN, csv_name, date_bounds
from ui.data import get_engine
from ui.identity import current_actor
from ui.lead_history import ACTION_WORDS, AUDIT_COLUMNS, audit_table

actor = current_actor()
engine = get_engine()
st.title("Audit log")
if actor.role is not Role.MANAGER:
    st.info("The audit log is for managers.", icon=":material/lock:")
    st.stop()

people = audit_people(engine=engine)
actions = audit_actions(engine=engine)
left, middle, right = st.columns([2, 2, 2])
who = left.multiselect("Who", list(people), format_func=lambda k: people[k], key="audit_who",
                       placeholder="Everyone")  # fmt: skip
what = middle.multiselect("Action", actions, format_func=lambda a: ACTION_WORDS.get(a, a.replace("_", " ")),
                          key="audit_what", placeholder="Every action")  # fmt: skip
days = right.date_input("Dates", value=(), key="audit_days", format="YYYY-MM-DD")
start, end = date_bounds(days)

entries, total = audit_entries(engine=engine, actor_ids=who, actions=what, start=start, end=end, limit=SHOWN)
if total == 0:
    st.info("No audit entry matches these filters.")
    st.stop()
shown = audit_table(entries)
more = (
    f", the latest {fmt.count(len(entries))} shown: narrow the filters to see the rest" if total > len(entries) else ""
)
st.markdown(f"**{fmt.plural(total, 'entry', 'entries')}**, newest first{more}.")
st.dataframe(
    shown, hide_index=True, width="stretch", height=min(38 + 35 * len(shown), 720), column_config=AUDIT_COLUMNS
)
st.download_button("Download as CSV", safe_csv(shown), file_name=csv_name(start, end), mime="text/csv",
                   icon=":material/download:")  # fmt: skip
