"""The shared controls: month picker and filters, kept in the URL so a link opens the same view."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from sla_model.filters import filter_leads
from sla_model.progress import period_bounds, sla_for_period
from sla_model.sla import Sla
from ui.data import Dataset, get_dataset


@dataclass(frozen=True)
class View:
    """What the user chose to look at, and the data it selects."""

    data: Dataset
    period: pd.Period
    channels: tuple[str, ...]
    personas: tuple[str, ...]
    owners: tuple[str, ...]
    leads: pd.DataFrame  # filtered by channel / persona / owner, all months

    @property
    def start(self) -> pd.Timestamp:
        """First instant of the chosen month."""
        return period_bounds(self.period)[0]

    @property
    def end(self) -> pd.Timestamp:
        """First instant after the chosen month."""
        return period_bounds(self.period)[1]

    @property
    def sla(self) -> Sla:
        """The SLA version in force for the chosen month."""
        return sla_for_period(self.data.versions, self.period)

    @property
    def filtered(self) -> bool:
        """True when any filter is set."""
        return bool(self.channels or self.personas or self.owners)

    def describe(self) -> str:
        """A short caption of the view, e.g. ``November 2026 · Email, Events · all personas``."""
        parts = [self.period.strftime("%B %Y")]
        for chosen, everyone in ((self.channels, "all channels"), (self.personas, "all personas"),
                                 (self.owners, "all reps")):  # fmt: skip
            parts.append(", ".join(chosen) if chosen else everyone)
        return " · ".join(parts)


def _month_label(value: str) -> str:
    return pd.Period(value, "M").strftime("%B %Y")


_run = threading.local()  # set while app.py runs a page with the shared controls drawn


def _draw_controls(data: Dataset) -> None:
    months = [str(m) for m in data.months][::-1]  # newest first
    leads = data.leads
    latest = str(leads["created_at"].max().to_period("M"))
    default = months.index(latest) if latest in months else 0  # the latest month with data
    with st.sidebar:
        st.selectbox("Month", months, index=default, key="month", format_func=_month_label, bind="query-params")
        st.multiselect(
            "Channel",
            sorted(leads["channel"].astype(str).unique()),
            key="channel",
            bind="query-params",
            placeholder="All channels",
        )
        st.multiselect(
            "Persona",
            sorted(leads["persona"].astype(str).unique()),
            key="persona",
            bind="query-params",
            placeholder="All personas",
        )
        st.multiselect(
            "Rep",
            sorted(leads["owner"].dropna().astype(str).unique()),
            key="owner",
            bind="query-params",
            placeholder="All reps",
        )
        st.caption(f"Data as of {pd.Timestamp(data.as_of):%d %b %Y, %H:%M} UTC")


@contextmanager
def shared_controls() -> Iterator[None]:
    """Draw the month and filters once in ``app.py``, around ``page.run()``.

    Widgets drawn by the entry script keep their values (and their URL parameters) when the user
    switches pages; a page run on its own (tests) draws them itself through :func:`view_controls`.
    """
    data = get_dataset()
    if not data.leads.empty and data.versions:
        _draw_controls(data)
    _run.drawn = True
    try:
        yield
    finally:
        _run.drawn = False


def view_controls() -> View:
    """The chosen view (drawing the sidebar controls if app.py did not); stops the page without data."""
    data = get_dataset()
    if data.leads.empty or not data.versions:
        st.info(
            "There is no data yet. Import your leads on the Import page, or start the app on the "
            "sample data (see the README).",
            icon=":material/inbox:",
        )
        st.stop()
    if not getattr(_run, "drawn", False):
        _draw_controls(data)
    state = st.session_state
    channels, personas, owners = (tuple(state.get(k) or ()) for k in ("channel", "persona", "owner"))
    view = View(
        data=data,
        period=pd.Period(state["month"], "M"),
        channels=channels,
        personas=personas,
        owners=owners,
        leads=filter_leads(data.leads, channels=channels, personas=personas, owners=owners),
    )
    if view.leads.empty:
        st.info(
            f"No leads match these filters ({view.describe()}). Remove a filter in the sidebar to see data.",
            icon=":material/filter_alt_off:",
        )
        st.stop()
    return view
