"""The shared controls: month picker and filters, kept in the URL so a link opens the same view."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from sla_model.agreement.sla import Sla
from sla_model.metrics.filters import filter_leads
from sla_model.metrics.progress import period_bounds, sla_for_period
from ui import fmt
from ui.data import Dataset, get_dataset
from ui.fmt import md_escape
from ui.links import page_link


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


CLOCK_HELP = (
    "Every figure is judged as of this one moment. Imported history and the sample data are judged as of a "
    "fixed moment (the latest event in the data, or when the sample was loaded), so clicks and later visits "
    "never change what a past month says; live data is judged as of now. Choose on the Import page."
)


def clock_caption(data: Dataset) -> str:
    """The sidebar's line about the clock, e.g. ``Data as of 18 Nov 2026, 12:00 UTC (fixed)``."""
    when = f"{pd.Timestamp(data.as_of):%d %b %Y, %H:%M} UTC"
    return f"Live data · as of {when}" if data.live else f"Data as of {when} (fixed)"


def no_data_notice(data: Dataset) -> None:
    """What a page says when there is nothing to show yet, and the way out (leads, or an SLA to judge them)."""
    if data.leads.empty:
        st.info(
            "There is no data yet. Import your leads on the Import page, or start the app on the "
            "sample data (see the README).",
            icon=":material/inbox:",
        )
        page_link("pages/import_data.py", "Import leads", ":material/upload_file:")
    else:
        st.info(
            f"{fmt.plural(len(data.leads), 'lead')} stored, but there is no SLA yet to judge them against. "
            "Create your SLA on The SLA page: it suggests goals and quotas from your own history.",
            icon=":material/contract:",
        )
        page_link("pages/sla.py", "Create the SLA", ":material/contract:")


def _month_label(value: str) -> str:
    return pd.Period(value, "M").strftime("%B %Y")


_run = threading.local()  # set while app.py runs a page with the shared controls drawn


def _url_month(value: str | None, months: list[str]) -> str | None:
    """A month from the URL, as ``2026-03`` or ``March 2026``; None when it is not one of ``months``."""
    try:
        month = str(pd.Period(value, "M")) if value else None
    except ValueError:
        return None
    return month if month in months else None


def _draw_controls(data: Dataset) -> None:
    """The sidebar month picker and filters, seeded from the URL on first sight and written back to it.

    The URL is rewritten on every run, so it always carries the view, on every page.
    """
    months = [str(m) for m in data.months][::-1]  # newest first
    latest = data.latest_month
    options = {key: data.values_of(key) for key in ("channel", "persona", "owner")}
    state, url = st.session_state, st.query_params
    if "month" not in state or state["month"] not in months:
        state["month"] = _url_month(url.get("month"), months) or (latest if latest in months else months[0])
    for key, allowed in options.items():
        if key not in state:
            state[key] = [v for v in dict.fromkeys(url.get_all(key)) if v in allowed]
        else:
            state[key] = [v for v in state[key] if v in allowed]
    with st.sidebar:
        st.selectbox("Month", months, key="month", format_func=_month_label)
        st.multiselect("Channel", options["channel"], key="channel", placeholder="All channels")
        st.multiselect("Persona", options["persona"], key="persona", placeholder="All personas")
        st.multiselect("Rep", options["owner"], key="owner", placeholder="All reps")
        st.caption(clock_caption(data), help=CLOCK_HELP)
    wanted = {"month": state["month"], **{key: list(state[key]) for key in options}}
    for key, value in wanted.items():
        if value:
            if url.get_all(key) != ([value] if isinstance(value, str) else value):
                url[key] = value
        elif key in url:
            del url[key]


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
        no_data_notice(data)
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
            f"No leads match these filters ({md_escape(view.describe())}). Remove a filter in the sidebar to see data.",
            icon=":material/filter_alt_off:",
        )
        st.stop()
    return view
