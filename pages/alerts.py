"""Alerts: who gets breach warnings, breaches, digests and the review report, when, and what was sent."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from sla_model.access import Role
from sla_model.agreement.sla import in_force
from sla_model.alerts import load_settings
from ui.alerts import channel_status, digest_switch, outbox_section, settings_form
from ui.data import get_dataset, get_engine
from ui.identity import current_actor

actor = current_actor()
engine = get_engine()
data = get_dataset()
st.title("Alerts")
st.caption(
    "Breach warnings and breaches reach the rep by email, escalations the managers, every rep gets a daily digest "
    "and the attendees the review's report. `python -m sla_model notify` sends them (see the README)."
)
settings, version = load_settings(engine=engine)

if actor.role is Role.VIEWER:
    st.info("The alert settings are for managers; reps can turn their own digest off here.", icon=":material/lock:")
    st.stop()
if actor.role is Role.REP:
    digest_switch(engine, actor, settings)
    st.stop()

channel_status()
attendees = in_force(data.versions, pd.Timestamp(data.as_of).date()).review.attendees if data.versions else []
settings_form(engine, actor, settings, version, [*data.values_of("owner"), *attendees])
outbox_section(engine)
