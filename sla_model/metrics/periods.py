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
from sla_model.metrics.progress import quota_for

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
    if span.days <= 0:
        return 0.0
    by_date = ordered(versions)
    days = pd.date_range(span.start, span.end - DAY, freq="D")
    monthly = np.array([quota_for(s, measure, channel) for s in by_date])[in_force_index(by_date, days.to_numpy())]
    return float((monthly / days.days_in_month.to_numpy()).sum())
