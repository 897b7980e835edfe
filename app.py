"""Smarketing SLA: the router and frame of the app (pages live in pages/)."""

import streamlit as st

from sla_model.memory import release_free_memory
from ui.controls import shared_controls

st.set_page_config(page_title="Smarketing SLA", page_icon=":material/handshake:", layout="wide")

pages = {
    "Monthly review": [
        # the default page lives at /; /goal_progress (its script's name) is the same page, so a link or bookmark
        # to it finds it instead of "Page not found"
        st.Page(
            "pages/goal_progress.py", title="Goal progress", icon=":material/flag:", default=True, url_path="review"
        ),  # fmt: skip
        st.Page("pages/goal_progress.py", title="Goal progress", url_path="goal_progress", visibility="hidden"),
        st.Page("pages/lead_quality.py", title="Lead quality", icon=":material/thumbs_up_down:"),
        st.Page("pages/handoff_timing.py", title="Handoff timing", icon=":material/timer:"),
        st.Page("pages/meeting.py", title="Meeting", icon=":material/groups:"),
    ],
    "Sales desk": [
        st.Page("pages/my_leads.py", title="My leads", icon=":material/inbox:"),
        st.Page("pages/lead.py", title="Lead history", icon=":material/history:", url_path="lead"),
        st.Page("pages/alerts.py", title="Alerts", icon=":material/notifications:", url_path="alerts"),
    ],
    "Agreement": [
        st.Page("pages/sla.py", title="The SLA", icon=":material/contract:"),
        st.Page("pages/what_if.py", title="What if…", icon=":material/tune:"),
    ],
    "Data": [
        st.Page("pages/import_data.py", title="Import", icon=":material/upload_file:"),
        st.Page("pages/audit_log.py", title="Audit log", icon=":material/manage_search:"),
    ],
}
page = st.navigation(pages)
try:
    with shared_controls():  # the month and filters, shared by every page and kept in the URL
        page.run()
finally:  # what the run's aggregates freed goes back to the system (after st.stop() or st.rerun() too, though what
    # the stopped run still holds through the exception goes back only after the next run)
    release_free_memory()
