"""Business hours: the clock an SLA's follow-up rules count in.

An SLA names its working hours per weekday, a time zone (per team, optionally per rep) and its holidays.
"First touch within 8 business hours" then means 8 hours of working time: a lead handed over on Friday
at 16:00 with hours 09:00–17:00 gets one hour on Friday and seven on Monday, so it is due Monday 16:00;
one handed over at 17:00 (or on Saturday) starts its clock on Monday 09:00 and is due Monday 17:00.

Every timestamp in the data is naive UTC. A :class:`WorkClock` holds the working intervals of one calendar
in one time zone as naive-UTC arrays, from :data:`FIRST_DAY` to :data:`LAST_DAY`, and the working hours
before each interval, so both directions are one vectorised ``searchsorted`` over those arrays:

- :meth:`WorkClock.worked` — working hours from the calendar's origin to each moment;
- :meth:`WorkClock.hours_between` — working hours between two moments (negative when the second is earlier);
- :meth:`WorkClock.add_hours` — the moment a number of working hours after each start;
- :meth:`WorkClock.add_days` — the close of the D-th business day after the day of each start.

Local hours become UTC through :mod:`zoneinfo` day by day, so a day on which daylight saving time starts or
ends keeps its local 09:00–17:00 and is one UTC hour shifted. A 24/7 calendar is wall-clock time.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

#: The days the working intervals cover; moments outside are clamped to them.
FIRST_DAY, LAST_DAY = dt.date(1990, 1, 1), dt.date(2100, 12, 31)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SPAN = re.compile(r"^\s*([01]\d|2[0-3]):([0-5]\d)\s*-\s*([01]\d|2[0-3]|24):([0-5]\d)\s*$")
_NS_PER_HOUR = 3_600_000_000_000


def _spans(text: str) -> list[tuple[int, int]]:
    """``"09:00-12:00, 13:00-17:00"`` as minutes after midnight, checked to be ordered and not overlapping."""
    out: list[tuple[int, int]] = []
    for part in text.split(","):
        match = _SPAN.match(part)
        if not match:
            raise ValueError(f"{part.strip()!r} is not a span like 09:00-17:00")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        start, end = h1 * 60 + m1, h2 * 60 + m2
        if end > 24 * 60 or end <= start:
            raise ValueError(f"{part.strip()!r} must end after it starts, by 24:00 at the latest")
        if out and start < out[-1][1]:
            raise ValueError(f"{part.strip()!r} overlaps or comes before the span before it")
        out.append((start, end))
    return out


def _zone(name: str) -> str:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{name!r} is not a time zone name such as Europe/Berlin or America/New_York") from None
    return name


class Calendar(BaseModel):
    """The working hours follow-up rules count in. No hours at all means 24/7 (wall-clock time).

    ``hours`` maps a weekday (``mon`` … ``sun``) to its spans, e.g. ``"09:00-17:00"`` or
    ``"09:00-12:00, 13:00-17:00"``; a weekday left out is a day off. ``owner_timezones`` gives a rep
    their own time zone (the team's ``timezone`` otherwise).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    timezone: Annotated[str, Field(min_length=1)] = "UTC"
    hours: dict[str, str] = {}
    holidays: list[dt.date] = []
    owner_timezones: dict[str, str] = {}

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return _zone(value)

    @field_validator("owner_timezones")
    @classmethod
    def _known_zones(cls, value: dict[str, str]) -> dict[str, str]:
        return {owner: _zone(zone) for owner, zone in value.items()}

    @field_validator("hours")
    @classmethod
    def _weekday_spans(cls, value: dict[str, str]) -> dict[str, str]:
        for day, text in value.items():
            if day not in WEEKDAYS:
                raise ValueError(f"{day!r} is not a weekday; use {', '.join(WEEKDAYS)}")
            _spans(text)
        return value

    @field_validator("holidays")
    @classmethod
    def _sorted_days(cls, value: list[dt.date]) -> list[dt.date]:
        return sorted(set(value))

    @model_validator(mode="after")
    def _some_hours(self) -> Calendar:
        if self.hours == {} and (self.holidays or self.owner_timezones or self.timezone != "UTC"):
            # A time zone or holidays without hours would silently mean nothing.
            raise ValueError("a calendar with a time zone, holidays or rep time zones needs working hours")
        return self

    @property
    def always(self) -> bool:
        """True for a 24/7 calendar: every hour counts."""
        return not self.hours

    @property
    def hour_unit(self) -> str:
        """How a rule's hours are written beside a number: ``h``, or ``business h`` on working hours."""
        return "h" if self.always else "business h"

    @property
    def day_unit(self) -> str:
        """How a rule's days are written: ``days``, or ``business days`` on working hours."""
        return "days" if self.always else "business days"

    def describe(self) -> str:
        """The calendar as people say it.

        Examples:
            >>> Calendar().describe()
            '24/7 (every hour counts)'
            >>> Calendar(timezone="Europe/Berlin", hours={d: "09:00-17:00" for d in WEEKDAYS[:5]},
            ...          holidays=[dt.date(2026, 12, 25)]).describe()
            'Mon–Fri 09:00-17:00, Europe/Berlin, 1 holiday'
        """
        if self.always:
            return "24/7 (every hour counts)"
        groups: list[tuple[list[str], str]] = []
        for day in WEEKDAYS:
            if day not in self.hours:
                continue
            text = ", ".join(
                f"{a // 60:02d}:{a % 60:02d}-{b // 60:02d}:{b % 60:02d}" for a, b in _spans(self.hours[day])
            )
            if groups and groups[-1][1] == text and WEEKDAYS.index(groups[-1][0][-1]) + 1 == WEEKDAYS.index(day):
                groups[-1][0].append(day)
            else:
                groups.append(([day], text))
        days = [f"{g[0].title()}–{g[-1].title()}" if len(g) > 1 else g[0].title() for g, _ in groups]
        parts = ["; ".join(f"{d} {t}" for d, (_, t) in zip(days, groups, strict=True)), self.timezone]
        if self.holidays:
            parts.append(f"{len(self.holidays)} holiday{'s' if len(self.holidays) != 1 else ''}")
        return ", ".join(parts)


def as_calendar(value: object) -> object:
    """``"24/7"`` (as an SLA file may write it) as the 24/7 calendar; anything else unchanged."""
    if isinstance(value, str):
        if value.strip().lower() in {"24/7", "24x7", "always"}:
            return {}
        raise ValueError(f'calendar must be "24/7" or a table with timezone, hours and holidays (got {value!r})')
    return value


@dataclass(frozen=True, eq=False)
class WorkClock:
    """One calendar's working intervals in one time zone, as naive-UTC nanoseconds (see the module's text)."""

    starts: np.ndarray  # int64 ns, sorted
    ends: np.ndarray  # int64 ns
    before: np.ndarray  # float hours worked before each interval starts
    day_close: np.ndarray  # int64 ns: each business day's last closing time, in order
    day_local: np.ndarray  # datetime64[D]: each business day's local date
    zone: str
    always: bool

    def _ns(self, when: np.ndarray | pd.Series | pd.Timestamp) -> tuple[np.ndarray, np.ndarray]:
        arr = np.atleast_1d(np.asarray(when, dtype="datetime64[ns]"))
        return arr.view("int64"), np.isnat(arr)

    def worked(self, when: np.ndarray | pd.Series | pd.Timestamp) -> np.ndarray:
        """Working hours from the start of :data:`FIRST_DAY` to each moment (NaN for NaT)."""
        ns, missing = self._ns(when)
        if self.always:
            out = ns / _NS_PER_HOUR
        else:
            i = np.clip(np.searchsorted(self.starts, ns, side="right") - 1, 0, None)
            inside = np.clip(ns - self.starts[i], 0, self.ends[i] - self.starts[i])
            out = self.before[i] + inside / _NS_PER_HOUR
        return np.where(missing, np.nan, out)

    def hours_between(self, start, end) -> np.ndarray:
        """Working hours from each ``start`` to each ``end`` (negative when ``end`` is earlier; NaN with a NaT)."""
        return self.worked(end) - self.worked(start)

    def add_hours(self, start, hours) -> np.ndarray:
        """The moment ``hours`` working hours after each ``start`` (datetime64[ns]; NaT for NaT)."""
        ns, missing = self._ns(start)
        hours = np.broadcast_to(np.asarray(hours, dtype=float), ns.shape)
        if self.always:
            out = ns + np.round(hours * _NS_PER_HOUR).astype("int64")
        else:
            target = self.worked(np.where(missing, 0, ns).view("datetime64[ns]")) + hours
            after = self.before + (self.ends - self.starts) / _NS_PER_HOUR
            j = np.clip(np.searchsorted(after, target - 1e-9, side="left"), 0, len(self.starts) - 1)
            out = self.starts[j] + np.round((target - self.before[j]) * _NS_PER_HOUR).astype("int64")
            out = np.maximum(out, ns)
        return np.where(missing, np.datetime64("NaT"), out.view("datetime64[ns]"))

    def add_days(self, start, days) -> np.ndarray:
        """The close of the ``days``-th business day after the (local) day of each ``start``.

        On a 24/7 calendar this is ``start`` + ``days`` × 24 hours, as before business hours existed.
        """
        ns, missing = self._ns(start)
        days = np.broadcast_to(np.asarray(days, dtype="int64"), ns.shape)
        if self.always:
            out = ns + days * 24 * _NS_PER_HOUR
        else:
            local = _local_dates(np.where(missing, 0, ns).view("datetime64[ns]"), self.zone)
            k = np.searchsorted(self.day_local, local, side="right") + days - 1
            out = self.day_close[np.clip(k, 0, len(self.day_close) - 1)]
        return np.where(missing, np.datetime64("NaT"), out.view("datetime64[ns]"))


def _local_dates(utc: np.ndarray, zone: str) -> np.ndarray:
    stamps = (
        pd.DatetimeIndex(np.asarray(utc, dtype="datetime64[ns]")).tz_localize("UTC").tz_convert(zone).tz_localize(None)
    )
    return stamps.to_numpy().astype("datetime64[D]")


def _to_utc(local: pd.DatetimeIndex, zone: str) -> np.ndarray:
    """Local wall times as naive-UTC ns; a time skipped by a DST change moves forward, a repeated one is the first."""
    aware = local.tz_localize(zone, ambiguous=np.ones(len(local), dtype=bool), nonexistent="shift_forward")
    return aware.tz_convert("UTC").tz_localize(None).to_numpy().astype("datetime64[ns]").view("int64")


@functools.lru_cache(maxsize=64)
def _clock(calendar_json: str, zone: str) -> WorkClock:
    calendar = Calendar.model_validate_json(calendar_json)
    if calendar.always:
        empty = np.array([], dtype="int64")
        return WorkClock(empty, empty, np.array([]), empty, np.array([], "datetime64[D]"), zone, True)
    days = pd.date_range(FIRST_DAY, LAST_DAY, freq="D")
    holidays = np.isin(days.to_numpy().astype("datetime64[D]"), np.array(calendar.holidays, dtype="datetime64[D]"))
    local_starts, local_ends, day_of = [], [], []
    for weekday, name in enumerate(WEEKDAYS):
        if name not in calendar.hours:
            continue
        on = days[(days.day_of_week == weekday) & ~holidays]
        for a, b in _spans(calendar.hours[name]):
            local_starts.append(on + pd.Timedelta(minutes=a))
            local_ends.append(on + pd.Timedelta(minutes=b))
            day_of.append(on.to_numpy().astype("datetime64[D]"))
    starts = _to_utc(pd.DatetimeIndex(np.concatenate([s.to_numpy() for s in local_starts])), zone)
    ends = _to_utc(pd.DatetimeIndex(np.concatenate([e.to_numpy() for e in local_ends])), zone)
    local_day = np.concatenate(day_of)
    order = np.argsort(starts, kind="stable")
    starts, ends, local_day = starts[order], ends[order], local_day[order]
    lengths = (ends - starts) / _NS_PER_HOUR
    before = np.concatenate([[0.0], np.cumsum(lengths)[:-1]])
    last = np.r_[local_day[1:] != local_day[:-1], True]  # the last span of each business day
    return WorkClock(starts, ends, before, ends[last], local_day[last], zone, False)


def work_clock(calendar: Calendar, zone: str | None = None) -> WorkClock:
    """The :class:`WorkClock` of ``calendar`` in ``zone`` (its own time zone by default); built once, then cached."""
    return _clock(calendar.model_dump_json(), zone or calendar.timezone)


def clock_keys(calendars: Sequence[Calendar]) -> list[tuple[int, str]]:
    """Every (calendar index, time zone) a lead can be judged in: each calendar's team zone, then its reps' zones."""
    keys: list[tuple[int, str]] = []
    for i, calendar in enumerate(calendars):
        for zone in [calendar.timezone, *sorted(set(calendar.owner_timezones.values()))]:
            if (i, zone) not in keys:
                keys.append((i, zone))
    return keys


def lead_clocks(calendars: Sequence[Calendar], which: np.ndarray, owners: np.ndarray) -> tuple[np.ndarray, list]:
    """For each lead judged by ``calendars[which[i]]``, the code of its clock, and the clocks by code.

    A rep with their own time zone in that calendar is judged in it; everyone else in the team's zone.
    """
    keys = clock_keys(calendars)
    code = {key: n for n, key in enumerate(keys)}
    out = np.empty(len(which), dtype="int16")
    owners = pd.Series(owners, dtype=object).to_numpy()
    for i, calendar in enumerate(calendars):
        mine = which == i
        if not calendar.owner_timezones:
            out[mine] = code[(i, calendar.timezone)]
            continue
        own = {owner: code[(i, zone)] for owner, zone in calendar.owner_timezones.items()}
        out[mine] = (
            pd.Series(owners[mine], dtype=object).map(own).fillna(code[(i, calendar.timezone)]).to_numpy("int16")
        )
    return out, clocks_of(calendars)


def clocks_of(calendars: Sequence[Calendar]) -> list[WorkClock]:
    """The clocks of :func:`clock_keys`, by code (what :func:`lead_clocks` numbers each lead's clock by)."""
    return [work_clock(calendars[i], zone) for i, zone in clock_keys(calendars)]


def per_clock(codes: np.ndarray, clocks: Sequence[WorkClock], method: str, *columns) -> np.ndarray:
    """Apply one :class:`WorkClock` method to each lead with its own clock; ``columns`` are per-lead arrays."""
    codes = np.asarray(codes)
    arrays = [np.broadcast_to(np.asarray(c), codes.shape) for c in columns]
    result = None
    for n in np.unique(codes):
        mine = codes == n
        part = getattr(clocks[n], method)(*(a[mine] for a in arrays))
        if result is None:
            result = np.empty(codes.shape, dtype=part.dtype)
        result[mine] = part
    if result is None:
        kind = "datetime64[ns]" if method.startswith("add") else float
        result = np.empty(codes.shape, dtype=kind)
    return result
