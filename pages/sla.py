"""The SLA: the version in force as a readable contract, the version history, and a diff of two versions."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from sla_model.agreement.sla import diff_slas, in_force
from ui import fmt
from ui.controls import no_data_notice
from ui.data import get_dataset
from ui.sla_form import FLASH, draft_sla
from ui.sla_page import contract, diff_table, history_table, status

e = fmt.md_escape  # every piece of stored text goes through this before st.markdown

data = get_dataset()
if not data.versions:
    if data.leads.empty:
        st.title("The SLA")
        no_data_notice(data)
    else:
        draft_sla(data)
    st.stop()
if flash := st.session_state.pop(FLASH, None):
    st.success(e(flash), icon=":material/check_circle:")

by_number = {s.meta.version: s for s in data.versions}
today = pd.Timestamp(data.as_of).date()
current = in_force(data.versions, today)
numbers = sorted(by_number, reverse=True)
with st.sidebar:
    chosen = st.selectbox(
        "SLA version",
        numbers,
        index=numbers.index(current.meta.version),
        key="sla_version",
        format_func=lambda n: f"Version {n}" + (" (in force)" if n == current.meta.version else ""),
        bind="query-params",
    )
sla = by_number[chosen]
st.title(f"The SLA · version {sla.meta.version}")
st.markdown(
    f"**{status(sla, current, today).capitalize()}** · effective from **{sla.meta.effective_from:%d %B %Y}** · "
    f"agreed by {e(sla.meta.author)}"
)
if sla.meta.change_note:
    st.caption("What changed: " + e(sla.meta.change_note))

contract(sla)

st.header("Version history")
# a table wraps its text: every change note is read whole
st.table(history_table(data.versions), border="horizontal", hide_index=True)

st.header("Compare two versions")
if len(numbers) < 2:
    st.info("Only one version is stored: there is nothing to compare yet.")
else:
    a_col, b_col = st.columns(2)
    old = a_col.selectbox("From version", sorted(numbers), index=len(numbers) - 2, key="diff_from")
    new = b_col.selectbox("To version", sorted(numbers), index=len(numbers) - 1, key="diff_to")
    changes = diff_slas(by_number[old], by_number[new])
    if old == new:
        st.info("Pick two different versions to compare.")
    elif not changes:
        st.success(f"Versions {old} and {new} agree on every term.")
    else:
        st.markdown(f"**{len(changes)} terms differ** between version {old} and version {new}:")
        st.table(diff_table(changes, old, new), border="horizontal", hide_index=True)
