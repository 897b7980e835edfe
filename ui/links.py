"""Links between pages that also work when a page runs on its own (tests, a deep link before navigation)."""

from __future__ import annotations

import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError


def page_link(page: str, label: str, icon: str, query_params: dict[str, str] | None = None) -> None:
    """``st.page_link`` to another page of the app; plain text naming the page where navigation is not set up."""
    try:
        st.page_link(page, label=label, icon=icon, query_params=query_params)
    except StreamlitPageNotFoundError:
        st.caption(f"{label} (see the sidebar).")
