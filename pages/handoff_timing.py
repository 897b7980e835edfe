"""Placeholder."""

import streamlit as st

from ui.controls import view_controls

view = view_controls()
st.title("handoff_timing")
