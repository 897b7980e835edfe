"""The shared controls: period, comparison and filters, kept in the URL so a link opens the same view.

The period is a month, week, quarter, year to date or custom range. A month travels as
``?month=2026-11`` (links made before other periods existed keep working); any other period as
``?period=2026-W45``, ``2026-Q3``, ``2026-YTD`` or ``2026-05-20..2026-06-10``
(:func:`sla_model.metrics.periods.parse_span`), and the comparison as ``?compare=last_year`` or ``none`` when
it is not the previous period. A value that is not one of these, or lies outside the data, falls back to the
default with a message.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from sla_model.agreement.sla import Sla
from sla_model.metrics.filters import filter_leads
from sla_model.metrics.periods import COMPARISONS, DAY, Span, comparison_of, month_of, parse_span, span_of
from sla_model.metrics.progress import sla_for_period
from ui import fmt
from ui.data import Dataset, get_dataset
from ui.fmt import md_escape
from ui.links import page_link


@dataclass(frozen=True)
class View:
    """What the user chose to look at, and the data it selects."""

    data: Dataset
    period: pd.Period  # the month: the chosen one, or the month a longer span stands for in monthly sections
    channels: tuple[str, ...]
    personas: tuple[str, ...]
    owners: tuple[str, ...]
    leads: pd.DataFrame  # filtered by channel / persona / owner, all months
    span: Span | None = None  # the chosen period; None = the month
    compare: str = "previous"  # a key of periods.COMPARISONS

    def __post_init__(self) -> None:
        if self.span is None:
            object.__setattr__(self, "span", parse_span(str(self.period), self.data.as_of))

    @property
    def start(self) -> pd.Timestamp:
        """First instant of the chosen period."""
        return self.span.start

    @property
    def end(self) -> pd.Timestamp:
        """First instant after the chosen period."""
        return self.span.end

    @property
    def label(self) -> str:
        """The chosen period as a title says it: ``November 2026``, ``Q3 2026``, ``Week 45 · 2–8 Nov 2026``."""
        return self.span.label()

    @property
    def monthly(self) -> bool:
        """True when the chosen period is a month."""
        return self.span.kind == "month"

    @property
    def comparison(self) -> Span | None:
        """The whole comparison period; None without one, or when it starts before the data does."""
        other = comparison_of(self.span, self.compare)
        if other is None or other.start < data_start(self.data):
            return None
        return other

    @property
    def comparison_to_date(self) -> Span | None:
        """The comparison cut as far into it as the clock is into the chosen period (like for like)."""
        other = self.comparison
        return None if other is None else self.span.compare(other, self.data.as_of)

    def comparison_note(self) -> str | None:
        """Why a comparison was asked for and is not shown; None when it is shown or none was asked for."""
        other = comparison_of(self.span, self.compare)
        if other is None or self.comparison is not None:
            return None
        return (
            f"No comparison with {other.label()}: the data starts on {data_start(self.data):%d %b %Y}, so it "
            "would count only part of that period."
        )

    @property
    def sla(self) -> Sla:
        """The SLA version in force for the month the view stands for."""
        return sla_for_period(self.data.versions, self.period)

    @property
    def filtered(self) -> bool:
        """True when any filter is set."""
        return bool(self.channels or self.personas or self.owners)

    def describe(self) -> str:
        """A short caption of the view, e.g. ``November 2026 · Email, Events · all personas``."""
        parts = [self.label]
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


def data_start(data: Dataset) -> pd.Timestamp:
    """The first day of the data (the day the first lead was created)."""
    if "_data_start" not in data.__dict__:
        data.__dict__["_data_start"] = pd.Timestamp(data.leads["created_at"].min()).normalize()
    return data.__dict__["_data_start"]


def _month_label(value: str) -> str:
    return pd.Period(value, "M").strftime("%B %Y")


#: The period kinds in the sidebar, in order, with their names.
KIND_LABELS = {"month": "Month", "week": "Week", "quarter": "Quarter", "ytd": "Year to date", "custom": "Custom range"}
_KIND_KEYS = {"week": "week", "quarter": "quarter", "ytd": "year"}  # the selectbox of each listed kind


def _span_options(data: Dataset, kind: str) -> list[str]:
    """The keys of every span of ``kind`` from the data's first day to the clock, newest first (once per data set)."""
    cache = data.__dict__.setdefault("_span_options", {})
    if kind not in cache:
        cache[kind] = _all_spans(data, kind)
    return cache[kind]


def _all_spans(data: Dataset, kind: str) -> list[str]:
    first, as_of = data_start(data), pd.Timestamp(data.as_of)
    keys: list[str] = []
    span = span_of(kind, as_of)
    while span.end > first:
        keys.append(span.key())
        span = span_of(kind, span.start - DAY) if kind != "ytd" else parse_span(f"{span.start.year - 1}-YTD", as_of)
    return keys


def _span_label(key: str) -> str:
    return parse_span(key, pd.Timestamp("2000-01-01")).label() if not key.endswith("YTD") else f"{key[:4]} to date"


def _url_span(text: str, data: Dataset) -> tuple[Span | None, str | None]:
    """A non-month span from ``?period=``, or None and the reason it cannot be shown."""
    as_of = pd.Timestamp(data.as_of)
    try:
        span = parse_span(text, as_of)
    except ValueError as exc:
        return None, str(exc)
    if span.kind == "custom":
        if span.start < data_start(data) or span.end - DAY > as_of.normalize():
            return None, (
                f"the range {span.label()} goes outside the data ({data_start(data):%d %b %Y} to {as_of:%d %b %Y})"
            )
        return span, None
    if span.kind != "month" and span.key() not in _span_options(data, span.kind):
        return None, f"there is no data in {span.label()}"
    return span, None


def _seed_period(data: Dataset, months: list[str]) -> str | None:
    """Seed the period widgets from the URL on first sight; returns a message when the URL's period is not shown."""
    state, url = st.session_state, st.query_params
    notice = None
    if "period_kind" not in state:
        state["period_kind"] = "month"
        text = url.get("period")
        if text:
            span, problem = _url_span(text, data)
            if span is None or span.kind == "month":
                notice = problem and f"The link's period ({text}) cannot be shown: {problem}."
                if span is not None:
                    state["month"] = _url_month(span.key(), months)
            else:
                state["period_kind"] = span.kind
                state[_KIND_KEYS.get(span.kind, "range")] = (
                    span.key() if span.kind != "custom" else (span.start.date(), (span.end - DAY).date())
                )
        compare = url.get("compare")
        state["compare"] = compare if compare in COMPARISONS else "previous"
        if compare and compare not in COMPARISONS:
            notice = (notice + " " if notice else "") + (
                f"The link's comparison ({compare}) is not one of last_year or none: comparing with the previous "
                "period."
            )
    if "month" not in state or state["month"] not in months:
        wanted = url.get("month")
        state["month"] = _url_month(wanted, months) or (data.latest_month if data.latest_month in months else months[0])
        if wanted and _url_month(wanted, months) is None and notice is None:
            notice = f"The link's month ({wanted}) is not a month in the data: showing {_month_label(state['month'])}."
    for kind, key in _KIND_KEYS.items():
        if key not in state or state[key] not in _span_options(data, kind):
            state[key] = _span_options(data, kind)[0]
    if "range" not in state:
        as_of = pd.Timestamp(data.as_of).date()
        state["range"] = (max(as_of - dt.timedelta(days=29), data_start(data).date()), as_of)
    return notice


def chosen_span(data: Dataset) -> Span:
    """The span the period widgets hold (a one-day range while the second day of a custom range is not picked)."""
    state = st.session_state
    kind = state.get("period_kind", "month")
    as_of = pd.Timestamp(data.as_of)
    if kind == "custom":
        days = tuple(state.get("range") or ())
        if not days:
            return parse_span(state["month"], as_of)
        return parse_span(f"{days[0]:%Y-%m-%d}..{days[-1]:%Y-%m-%d}", as_of)
    if kind in _KIND_KEYS:
        return parse_span(state[_KIND_KEYS[kind]], as_of)
    return parse_span(state["month"], as_of)


def _period_widgets(data: Dataset, months: list[str]) -> None:
    """The sidebar's period kind, the period of that kind and the comparison."""
    state = st.session_state
    st.radio("Period", list(KIND_LABELS), key="period_kind", format_func=KIND_LABELS.get)
    kind = state["period_kind"]
    if kind == "month":
        st.selectbox("Month", months, key="month", format_func=_month_label)
    elif kind == "custom":
        st.date_input(
            "Days", key="range", min_value=data_start(data).date(), max_value=pd.Timestamp(data.as_of).date(),
            format="YYYY-MM-DD",
        )  # fmt: skip
        if len(tuple(state.get("range") or ())) == 1:
            st.caption("Pick the last day of the range (a single day for now).")
    else:
        st.selectbox(KIND_LABELS[kind], _span_options(data, kind), key=_KIND_KEYS[kind], format_func=_span_label)
    st.selectbox("Compare with", list(COMPARISONS), key="compare", format_func=COMPARISONS.get)


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
    options = {key: data.values_of(key) for key in ("channel", "persona", "owner")}
    state, url = st.session_state, st.query_params
    notice = _seed_period(data, months)
    if notice:
        state["_period_notice"] = notice
    for key, allowed in options.items():
        if key not in state:
            state[key] = [v for v in dict.fromkeys(url.get_all(key)) if v in allowed]
        else:
            state[key] = [v for v in state[key] if v in allowed]
    with st.sidebar:
        _period_widgets(data, months)
        st.multiselect("Channel", options["channel"], key="channel", placeholder="All channels")
        st.multiselect("Persona", options["persona"], key="persona", placeholder="All personas")
        st.multiselect("Rep", options["owner"], key="owner", placeholder="All reps")
        st.caption(clock_caption(data), help=CLOCK_HELP)
    span = chosen_span(data)
    monthly = state["period_kind"] == "month"
    wanted = {
        "month": state["month"] if monthly else None,
        "period": None if monthly else span.key(),
        "compare": None if state["compare"] == "previous" else state["compare"],
        **{key: list(state[key]) for key in options},
    }
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
    notice = state.pop("_period_notice", None)
    if notice:
        st.warning(md_escape(notice), icon=":material/event_busy:")
    channels, personas, owners = (tuple(state.get(k) or ()) for k in ("channel", "persona", "owner"))
    span = chosen_span(data)
    view = View(
        data=data,
        period=pd.Period(state["month"], "M") if span.kind == "month" else month_of(span, data.as_of),
        span=span,
        compare=state.get("compare", "previous"),
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
