"""Lead history: one lead's whole story (stages, touches, decisions, undos), the SLA it was judged by, and its audit."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from sla_model.access import Role
from sla_model.review.history import lead_history
from sla_model.store.audit import lead_audit
from sla_model.store.repository import data_as_of, find_leads, load_feedback, load_leads, load_touches
from ui import fmt
from ui.data import get_dataset, get_engine
from ui.identity import current_actor
from ui.lead_history import (
    AUDIT_COLUMNS,
    LEAD_PARAM,
    STATUS_WORDS,
    TIMELINE_COLUMNS,
    audit_table,
    checks_table,
    facts,
    judged_by,
    matches_table,
    result_style,
    timeline_table,
    title,
)

actor = current_actor()
data = get_dataset()
engine = get_engine()
st.title("Lead history")

wanted = st.query_params.get(LEAD_PARAM, "")
search = st.text_input("Find a lead by id, name, company or email", value=wanted, key="lead_search",
                       placeholder="e.g. L0019264, Quartz or jane@")  # fmt: skip
lead_id = None
if search.strip():
    found = find_leads(engine=engine, text=search)
    exact = found[found["lead_id"] == search.strip()]
    if len(exact):
        lead_id = search.strip()
    elif found.empty:
        st.info(f"No lead matches “{fmt.md_escape(search.strip())}”.")
    else:
        st.caption(f"{fmt.plural(len(found), 'lead')} match{'es' if len(found) == 1 else ''}"
                   f"{' (the first 20)' if len(found) == 20 else ''}: pick one.")  # fmt: skip
        picked = st.dataframe(matches_table(found), hide_index=True, width="stretch", on_select="rerun",
                              selection_mode="single-row", key="lead_matches")  # fmt: skip
        rows = picked.selection.rows
        lead_id = str(found["lead_id"].iloc[rows[0]]) if rows else None
else:
    st.caption("Open a lead from My leads, or search for one here.")

if lead_id is None:
    st.stop()
if st.query_params.get(LEAD_PARAM) != lead_id:
    st.query_params[LEAD_PARAM] = lead_id

as_of = pd.Timestamp(data_as_of(engine=engine))
lead = load_leads(engine=engine, lead_ids=[lead_id]).iloc[0]
trail = lead_audit(engine=engine, lead_id=lead_id)
history = lead_history(
    lead,
    touches=load_touches(engine=engine, lead_ids=[lead_id]),
    feedback=load_feedback(engine=engine, lead_ids=[lead_id]),
    audit=trail,
    versions=data.versions,
    as_of=as_of,
)

st.subheader(title(history))
st.markdown(f"`{fmt.md_escape(lead_id)}` · **{STATUS_WORDS[history.status]}** · as of {as_of:%d %b %Y %H:%M} UTC")
columns = st.columns(4)
for i, (label, value) in enumerate(facts(history)):
    columns[i % 4].markdown(f"**{label}**  \n{fmt.md_escape(value)}")

st.subheader("Against the SLA")
st.markdown(judged_by(history))
if len(history.checks):
    st.dataframe(checks_table(history).style.apply(result_style, subset=["Result"]), hide_index=True,
                 width="stretch")  # fmt: skip

st.subheader("Timeline")
if history.events.empty:
    st.caption("Nothing recorded on this lead yet.")
else:
    st.dataframe(timeline_table(history), hide_index=True, width="stretch", height="content",
                 column_config=TIMELINE_COLUMNS)  # fmt: skip

if actor.role is Role.MANAGER:
    st.subheader("Audit trail")
    if trail.empty:
        st.caption("No one has acted on this lead in the app: what is shown came from the data.")
    else:
        st.dataframe(
            audit_table(trail), hide_index=True, width="stretch", height="content", column_config=AUDIT_COLUMNS
        )
