"""The audit log page's filters: who, what and when, in words."""

from __future__ import annotations

import datetime as dt

import pandas as pd

#: The most entries the page lists at once (the count of all that match is shown beside).
SHOWN = 1000


def date_bounds(picked: object) -> tuple[dt.datetime | None, dt.datetime | None]:
    """A date-range picker's value as ``[start, end)`` datetimes (the end day included); None where open.

    Examples:
        >>> date_bounds((dt.date(2026, 3, 1), dt.date(2026, 3, 31)))
        (datetime.datetime(2026, 3, 1, 0, 0), datetime.datetime(2026, 4, 1, 0, 0))
        >>> date_bounds((dt.date(2026, 3, 1),))  # only the first day picked so far
        (datetime.datetime(2026, 3, 1, 0, 0), None)
    """
    days = list(picked) if isinstance(picked, tuple | list) else [picked] if picked else []
    start = dt.datetime.combine(days[0], dt.time()) if days else None
    end = dt.datetime.combine(days[1], dt.time()) + dt.timedelta(days=1) if len(days) > 1 else None
    return start, end


def csv_name(start: dt.datetime | None, end: dt.datetime | None) -> str:
    """The download's file name, naming the dates it covers."""
    a = f"{start:%Y-%m-%d}" if start else "start"
    b = f"{end - dt.timedelta(days=1):%Y-%m-%d}" if end else "now"
    return f"audit-log_{a}_{b}.csv"


def empty_frame() -> pd.DataFrame:
    """The table when nothing matches."""
    return pd.DataFrame(columns=["When", "Who", "Action", "Record", "Detail"])
