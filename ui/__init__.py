"""Streamlit-side helpers shared by the pages: cached data, shared controls, chart styling."""
