"""Where a lead stands in the lifecycle: decided or open, accepted (said or implied), reached SQL and when.

The one definition every metric, the repository's queue query, the breach list and the what-if engine use.

A lead is **decided** once any of :data:`DECISION_COLUMNS` is set: sales accepted or rejected it, it was
recycled to nurture or disqualified, or it converted (SQL, opportunity, won or lost). A decided lead is
never open, never a follow-up breach and never pending. An **open** MQL is an MQL that is not decided.

A lead **reached SQL** when any of :data:`SQL_COLUMNS` is set: a won or lost deal went through SQL even
when the export carries no SQL date. It reached SQL at its ``sql_at``; without one, at the earliest of its
opportunity, won and lost dates. So a month count of SQLs counts a won lead without ``sql_at`` in the month
of its opportunity, or else of its win or loss, and a recorded SQL date is never moved.

A lead is **accepted** when sales accepted it (``accepted_at``), or when it reached SQL without being
rejected: sales took it on, even if nobody logged the acceptance. A rejected lead that later converted
(after recycling) stays rejected, as sales judged it at the handoff.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: The stages that take a lead past SQL, earliest first, with SQL itself.
SQL_COLUMNS = ("sql_at", "opportunity_at", "won_at", "lost_at")
#: Any of these set, and the lead is decided: no longer waiting on sales.
DECISION_COLUMNS = ("accepted_at", "rejected_at", "recycled_at", "disqualified_at", *SQL_COLUMNS)


def _times(leads: pd.DataFrame, column: str) -> np.ndarray:
    return leads[column].to_numpy(dtype="datetime64[ns]")


def earliest(leads: pd.DataFrame, columns: tuple[str, ...]) -> pd.Series:
    """Per lead, the earliest of the given timestamp columns (NaT where none is set).

    Examples:
        >>> f = pd.DataFrame({"a": pd.to_datetime(["2026-01-05", None, None]),
        ...                   "b": pd.to_datetime(["2026-01-02", "2026-01-03", None])})
        >>> earliest(f, ("a", "b")).dt.day.tolist()
        [2.0, 3.0, nan]
    """
    out = np.full(len(leads), np.datetime64("NaT"), dtype="datetime64[ns]")
    for c in columns:
        out = np.fmin(out, _times(leads, c))
    return pd.Series(out, index=leads.index, name="at")


def _any_set(leads: pd.DataFrame, columns: tuple[str, ...]) -> pd.Series:
    out = np.zeros(len(leads), dtype=bool)
    for c in columns:
        out |= ~np.isnat(_times(leads, c))
    return pd.Series(out, index=leads.index)


def decided(leads: pd.DataFrame) -> pd.Series:
    """True where a lead is decided: accepted, rejected, recycled, disqualified or converted."""
    return _any_set(leads, DECISION_COLUMNS).rename("decided")


def is_open(leads: pd.DataFrame) -> pd.Series:
    """True where an MQL is open: handed to sales and not decided (waiting for sales to act)."""
    return (leads["mql_at"].notna() & ~decided(leads)).rename("open")


def sql_reached_at(leads: pd.DataFrame) -> pd.Series:
    """When each lead reached SQL: its SQL date, else the earliest of its opportunity, won and lost dates.

    NaT where the lead never reached SQL.
    """
    later = earliest(leads, SQL_COLUMNS[1:]).to_numpy()
    sql = _times(leads, "sql_at")
    return pd.Series(np.where(np.isnat(sql), later, sql), index=leads.index, name="sql_reached_at")


def reached_sql(leads: pd.DataFrame) -> pd.Series:
    """True where a lead reached SQL (a won or lost lead did, with or without an SQL date)."""
    return _any_set(leads, SQL_COLUMNS).rename("reached_sql")


def is_accepted(leads: pd.DataFrame) -> pd.Series:
    """True where sales accepted a lead: said so, or took it to SQL and beyond without rejecting it."""
    said = leads["accepted_at"].notna()
    implied = reached_sql(leads) & leads["rejected_at"].isna()
    return (said | implied).rename("accepted")
