"""Periods beyond a month: week, quarter, year to date and a custom range, their comparisons and their quotas.

A :class:`Span` is a half-open range of whole days ``[start, end)``. Its comparisons are the period just before
(:meth:`Span.previous`: the previous week, month or quarter, the same days of the previous year for year to date,
as many days just before for a custom range) and the same period a year earlier (:meth:`Span.last_year`; a week
goes back 52 weeks so it starts on the same weekday). A span still running is compared to date:
:meth:`Span.to_date` cuts it at the clock, and :meth:`Span.compare` cuts a comparison after as many days.

Quotas are monthly in the SLA. :func:`span_quota` scales them to a span day by day: each day counts
1 / (days in its month) of the monthly quota of the version in force that day, so a quarter spanning an SLA
change sums the right quotas, and a whole month counts exactly its own quota.

A span travels in the URL as text (:meth:`Span.key`, :func:`parse_span`): ``2026-11`` (month), ``2026-W47``
(ISO week), ``2026-Q4``, ``2026-YTD`` and ``2026-11-03..2026-11-17`` (a custom range, both days included).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from sla_model.agreement.sla import Sla, in_force_index, ordered
from sla_model.metrics.progress import Progress, measure_in, measure_times, quota_for, view_quota

Kind = Literal["week", "month", "quarter", "ytd", "custom"]
KINDS: tuple[Kind, ...] = ("week", "month", "quarter", "ytd", "custom")
DAY = pd.Timedelta(days=1)
#: The longest custom range, in days (ten years), so a typo in a URL cannot ask for a century of days.
MAX_DAYS = 3660


@dataclass(frozen=True)
class Span:
    """Whole days ``[start, end)`` of one kind of period."""

    kind: Kind
    start: pd.Timestamp
    end: pd.Timestamp

    @property
    def days(self) -> int:
        """How many days the span holds."""
        return int((self.end - self.start) / DAY)

    def label(self) -> str:
        """The span as a title says it.

        Examples:
            >>> [span_of(k, pd.Timestamp("2026-11-18 12:00")).label() for k in ("week", "month", "quarter", "ytd")]
            ['Week 47 · 16–22 Nov 2026', 'November 2026', 'Q4 2026', '2026 to date']
            >>> parse_span("2026-10-28..2026-11-03", pd.Timestamp("2026-11-18")).label()
            '28 Oct – 3 Nov 2026'
        """
        last = self.end - DAY
        if self.kind == "month":
            return f"{self.start:%B %Y}"
        if self.kind == "quarter":
            return f"Q{self.start.quarter} {self.start.year}"
        if self.kind == "ytd":
            return f"{self.start.year} to date"
        if self.kind == "week":
            same_month = self.start.month == last.month
            first = f"{self.start.day}" if same_month else f"{self.start.day} {self.start:%b}"
            first += "" if self.start.year == last.year else f" {self.start.year}"
            return f"Week {self.start.isocalendar().week} · {first}–{last.day} {last:%b %Y}"
        first = f"{self.start.day} {self.start:%b}" + ("" if self.start.year == last.year else f" {self.start.year}")
        return f"{first} – {last.day} {last:%b %Y}"

    def key(self) -> str:
        """The span as the URL keeps it (:func:`parse_span` reads it back).

        Examples:
            >>> span_of("week", pd.Timestamp("2026-11-18")).key(), span_of("quarter", pd.Timestamp("2026-11-18")).key()
            ('2026-W47', '2026-Q4')
        """
        if self.kind == "month":
            return f"{self.start:%Y-%m}"
        if self.kind == "quarter":
            return f"{self.start.year}-Q{self.start.quarter}"
        if self.kind == "ytd":
            return f"{self.start.year}-YTD"
        if self.kind == "week":
            iso = self.start.isocalendar()
            return f"{iso.year}-W{iso.week:02d}"
        return f"{self.start:%Y-%m-%d}..{self.end - DAY:%Y-%m-%d}"

    def previous(self) -> Span:
        """The period just before: the previous week, month or quarter.

        Year to date compares with last year's same days, a custom range with as many days just before it.
        """
        if self.kind == "month":
            return _month(self.start - pd.DateOffset(months=1))
        if self.kind == "quarter":
            return _quarter(self.start - pd.DateOffset(months=3))
        if self.kind == "week":
            return Span("week", self.start - 7 * DAY, self.start)
        if self.kind == "ytd":
            return self.last_year()
        return Span("custom", self.start - self.days * DAY, self.start)

    def last_year(self) -> Span:
        """The same period a year earlier (a week: 52 weeks earlier, so it starts on a Monday too)."""
        if self.kind == "week":
            return Span("week", self.start - 364 * DAY, self.end - 364 * DAY)
        year = pd.DateOffset(years=1)
        if self.kind == "ytd":  # 1 Jan to the same day of the year before (29 Feb ends on 28 Feb)
            return Span("ytd", self.start - year, self.end - year)
        return Span(self.kind, self.start - year, self.end - year)

    def to_date(self, as_of: dt.datetime | pd.Timestamp) -> Span:
        """The part of the span before ``as_of`` (the whole span once it is over; empty before it starts)."""
        cut = min(max(pd.Timestamp(as_of), self.start), self.end)
        return Span(self.kind, self.start, cut)

    def compare(self, other: Span, as_of: dt.datetime | pd.Timestamp) -> Span:
        """``other`` cut as far into it as ``as_of`` is into this span, so a running span meets a like-for-like one."""
        elapsed = min(max(pd.Timestamp(as_of), self.start), self.end) - self.start
        return Span(other.kind, other.start, min(other.start + elapsed, other.end))

    def elapsed_share(self, as_of: dt.datetime | pd.Timestamp) -> float:
        """How much of the span has passed at ``as_of``, from 0 to 1."""
        share = (pd.Timestamp(as_of) - self.start) / (self.end - self.start)
        return float(min(max(share, 0.0), 1.0))


def _month(day: pd.Timestamp) -> Span:
    start = pd.Timestamp(day.year, day.month, 1)
    return Span("month", start, start + pd.DateOffset(months=1))


def _quarter(day: pd.Timestamp) -> Span:
    start = pd.Timestamp(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return Span("quarter", start, start + pd.DateOffset(months=3))


def span_of(kind: Kind, as_of: dt.datetime | pd.Timestamp) -> Span:
    """The span of ``kind`` that holds ``as_of`` (year to date: 1 January to the end of ``as_of``'s day).

    Examples:
        >>> s = span_of("ytd", pd.Timestamp("2026-11-18 12:00"))
        >>> s.start, s.end, s.days
        (Timestamp('2026-01-01 00:00:00'), Timestamp('2026-11-19 00:00:00'), 322)
    """
    day = pd.Timestamp(as_of).normalize()
    if kind == "month":
        return _month(day)
    if kind == "quarter":
        return _quarter(day)
    if kind == "week":
        start = day - day.weekday() * DAY
        return Span("week", start, start + 7 * DAY)
    if kind == "ytd":
        return Span("ytd", pd.Timestamp(day.year, 1, 1), day + DAY)
    raise ValueError(f"a {kind!r} span needs its own dates; use custom_span")


def custom_span(first: dt.date, last: dt.date) -> Span:
    """The days from ``first`` to ``last``, both included.

    Raises:
        ValueError: when ``last`` is before ``first`` or the range is longer than :data:`MAX_DAYS`.
    """
    start, end = pd.Timestamp(first), pd.Timestamp(last) + DAY
    if end <= start:
        raise ValueError(f"the range ends ({last:%d %b %Y}) before it starts ({first:%d %b %Y})")
    if (end - start) / DAY > MAX_DAYS:
        raise ValueError(f"a range may hold at most {MAX_DAYS:,} days")
    return Span("custom", start, end)


_KEYS = [
    (re.compile(r"^(\d{4})-(\d{2})$"), lambda m: _month(pd.Timestamp(int(m[1]), int(m[2]), 1))),
    (re.compile(r"^(\d{4})-W(\d{2})$"),
     lambda m: Span("week", pd.Timestamp(dt.date.fromisocalendar(int(m[1]), int(m[2]), 1)),
                    pd.Timestamp(dt.date.fromisocalendar(int(m[1]), int(m[2]), 1)) + 7 * DAY)),
    (re.compile(r"^(\d{4})-Q([1-4])$"), lambda m: _quarter(pd.Timestamp(int(m[1]), 3 * int(m[2]) - 2, 1))),
    (re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$"),
     lambda m: custom_span(dt.date.fromisoformat(m[1]), dt.date.fromisoformat(m[2]))),
]  # fmt: skip


def parse_span(text: str, as_of: dt.datetime | pd.Timestamp) -> Span:
    """A span from its URL text (:meth:`Span.key`); ``YYYY-YTD`` runs to ``as_of``'s day in that year.

    Raises:
        ValueError: naming the text and the forms it may take.

    Examples:
        >>> parse_span("2026-Q2", pd.Timestamp("2026-11-18")).days
        91
        >>> parse_span("2026-13", pd.Timestamp("2026-11-18"))
        Traceback (most recent call last):
        ...
        ValueError: '2026-13' is not a period; use 2026-11, 2026-W47, 2026-Q4, 2026-YTD or 2026-11-03..2026-11-17
    """
    text = str(text).strip()
    hint = "use 2026-11, 2026-W47, 2026-Q4, 2026-YTD or 2026-11-03..2026-11-17"
    ytd = re.match(r"^(\d{4})-YTD$", text, flags=re.IGNORECASE)
    try:
        if ytd:
            day = pd.Timestamp(as_of).normalize()
            year = int(ytd[1])
            last = min(day.day, calendar.monthrange(year, day.month)[1])  # 29 Feb in a year without one: the 28th
            end = day + DAY if year == day.year else pd.Timestamp(year, day.month, last) + DAY
            return Span("ytd", pd.Timestamp(year, 1, 1), end)
        for pattern, build in _KEYS:
            match = pattern.match(text)
            if match:
                return build(match)
    except ValueError as exc:
        if "range" in str(exc):
            raise
    raise ValueError(f"{text!r} is not a period; {hint}")


def span_quota(versions: Sequence[Sla], measure: str, span: Span, channel: str | None = None) -> float:
    """The quota of a measure over a span: each day 1 / (days in its month) of the day's version's monthly quota.

    The version in force on a day is :func:`sla_model.agreement.sla.in_force_index`'s (days before the first
    version count under it).
    """
    return round(float(_daily(versions, span, lambda s: quota_for(s, measure, channel)).sum()), 9)


def daily_quotas(
    versions: Sequence[Sla],
    measure: str,
    span: Span,
    *,
    channels: Sequence[str] = (),
    personas: Sequence[str] = (),
    owners: Sequence[str] = (),
) -> np.ndarray:
    """Each day's share of the quota that applies to a filtered view (``progress.view_quota``), one per day.

    The sum is the span's quota; a running sum is the pace line through the span.
    """
    filters = {"channels": channels, "personas": personas, "owners": owners}
    return _daily(versions, span, lambda s: view_quota(s, measure, **filters))


def _daily(versions: Sequence[Sla], span: Span, monthly_quota) -> np.ndarray:
    if span.days <= 0 or not versions:
        return np.zeros(max(span.days, 0))
    by_date = ordered(versions)
    days = pd.date_range(span.start, span.end - DAY, freq="D")
    monthly = np.array([monthly_quota(s) for s in by_date], dtype=float)[in_force_index(by_date, days.to_numpy())]
    return monthly / days.days_in_month.to_numpy()


def pace_at(daily: np.ndarray, span: Span, as_of: dt.datetime | pd.Timestamp) -> float:
    """The quota due by ``as_of``: the whole days before it, and the passed share of its own day."""
    position = min(max((pd.Timestamp(as_of) - span.start) / DAY, 0.0), float(span.days))
    return float(np.interp(position, np.arange(len(daily) + 1), np.concatenate([[0.0], np.cumsum(daily)])))


def span_progress(actual: float, daily: np.ndarray, span: Span, as_of: dt.datetime | pd.Timestamp) -> Progress:
    """``progress.progress`` over a span: the quota summed day by day, the pace the quota due by ``as_of``.

    Examples:
        >>> nov = parse_span("2026-11", pd.Timestamp("2026-11-16"))
        >>> p = span_progress(60, np.full(30, 100 / 30), nov, pd.Timestamp("2026-11-16"))
        >>> round(p.pace, 6), round(p.projection, 6), p.status
        (50.0, 120.0, 'on track')
    """
    share = span.elapsed_share(as_of)
    return Progress(
        actual=float(actual),
        quota=round(float(np.sum(daily)), 9),  # a whole month adds up to its quota exactly
        elapsed=share,
        pace=pace_at(daily, span, as_of),
        projection=float(actual / share) if share > 0 else float("nan"),
        closed=share >= 1.0,
    )


def cumulative_by_span(
    leads: pd.DataFrame,
    span: Span,
    daily: np.ndarray,
    as_of: dt.datetime | pd.Timestamp,
    measure: str = "mqls",
    comparison: Span | None = None,
) -> pd.DataFrame:
    """Day by day through the span: cumulative actual (to ``as_of``), pace, projection and the comparison.

    Columns: ``day`` (date), ``actual`` (NaN on days after ``as_of``), ``pace`` (the running sum of ``daily``),
    ``projection`` (NaN before ``as_of``, from today's actual to the run rate's end of span) and ``comparison``
    (the comparison span's cumulative actual on its day of the same number, NaN past its end or without one).
    """
    as_of = pd.Timestamp(as_of)
    days = pd.date_range(span.start, span.end - DAY, freq="D")
    ends = days + DAY
    actual = _cumulative(leads, measure, span.start, len(days))
    actual[days > as_of] = np.nan  # days that have not begun at the snapshot
    share = span.elapsed_share(as_of)
    day_share = np.clip((ends - span.start) / (span.end - span.start), 0, 1)
    projection = np.full(len(days), np.nan)
    if 0 < share < 1:
        actual_now = measure_in(leads, measure, span.start, as_of)
        projection = np.where(ends > as_of, actual_now + actual_now / share * (day_share - share), np.nan)
    ghost = np.full(len(days), np.nan)
    if comparison is not None:
        n = min(comparison.days, len(days))
        ghost[:n] = _cumulative(leads, measure, comparison.start, comparison.days)[:n]
    pace = np.cumsum(daily) if len(daily) == len(days) else np.zeros(len(days))
    return pd.DataFrame(
        {"day": days.date, "actual": actual, "pace": pace, "projection": projection, "comparison": ghost}
    )


def _cumulative(leads: pd.DataFrame, measure: str, start: pd.Timestamp, n_days: int) -> np.ndarray:
    """The measure's running total at the end of each of ``n_days`` days from ``start``."""
    times = measure_times(leads, measure).to_numpy(dtype="datetime64[ns]")
    first, end = start.to_datetime64(), (start + n_days * DAY).to_datetime64()
    inside = (times >= first) & (times < end)
    weights = np.nan_to_num(leads["amount"].to_numpy(dtype=float)[inside]) if measure == "revenue" else None
    index = ((times[inside] - first) // np.timedelta64(1, "D")).astype(np.int64)
    return np.cumsum(np.bincount(index, weights=weights, minlength=n_days)[:n_days]).astype(float)


def month_of(span: Span, as_of: dt.datetime | pd.Timestamp) -> pd.Period:
    """The month a span stands for where a section is monthly: the month of its last day, or of ``as_of``'s.

    Examples:
        >>> str(month_of(parse_span("2026-Q2", pd.Timestamp("2026-11-18")), pd.Timestamp("2026-11-18")))
        '2026-06'
        >>> str(month_of(parse_span("2026-Q4", pd.Timestamp("2026-11-18")), pd.Timestamp("2026-11-18")))
        '2026-11'
    """
    last = min(span.end - DAY, max(pd.Timestamp(as_of).normalize(), span.start))
    return last.to_period("M")


#: How a comparison is named in the sidebar, the URL (``compare=``) and beside a figure.
COMPARISONS = {"previous": "Previous period", "last_year": "Same period last year", "none": "No comparison"}


def comparison_of(span: Span, compare: str) -> Span | None:
    """The whole span ``compare`` (a key of :data:`COMPARISONS`) sets beside ``span``; None for ``none``."""
    if compare == "previous":
        return span.previous()
    if compare == "last_year":
        return span.last_year()
    return None
