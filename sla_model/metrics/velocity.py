"""The full funnel and its speed: lead → MQL → SAL → SQL → opportunity → won (and lost), by cohort month.

A lead's cohort is the month it was created. Each stage is reached at:

- **MQL**: ``mql_at``;
- **SAL** (sales accepted): ``accepted_at``; a lead that reached SQL unrejected was accepted
  (:func:`sla_model.metrics.lifecycle.is_accepted`) — then at the time it reached SQL;
- **SQL**: :func:`sla_model.metrics.lifecycle.sql_reached_at` (a won or lost deal went through SQL);
- **Opportunity**: ``opportunity_at``; a won or lost deal without one was an opportunity at its close;
- **Won** / **Lost**: ``won_at`` / ``lost_at``.

A later stage counts even where an export skipped the one before: a closed deal without intermediate stages
counts at every stage it implies. The one exception is the project's own: a lead sales rejected stays rejected
even if it converted later, after nurturing, so it is an SQL without being a SAL. Days per stage are the
median days from one stage to the next among the leads with both dates, never negative (a later stage dated
before the earlier one is an export's error and is left out of the median, not of the counts).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sla_model.metrics.lifecycle import earliest, is_accepted, sql_reached_at

#: The funnel's stages, in order; "Won" is the last, "Lost" is reported beside it.
STAGES = ("Lead", "MQL", "SAL", "SQL", "Opportunity", "Won")


def stage_times(leads: pd.DataFrame) -> pd.DataFrame:
    """When each lead reached each stage (NaT = not reached), one column per stage plus ``Lost``."""
    sql = sql_reached_at(leads)
    accepted = leads["accepted_at"].where(leads["accepted_at"].notna(), sql.where(is_accepted(leads)))
    closed = earliest(leads, ("won_at", "lost_at"))
    opportunity = leads["opportunity_at"].where(leads["opportunity_at"].notna(), closed)
    return pd.DataFrame(
        {
            "Lead": leads["created_at"],
            "MQL": leads["mql_at"],
            "SAL": accepted,
            "SQL": sql,
            "Opportunity": opportunity,
            "Won": leads["won_at"],
            "Lost": leads["lost_at"],
        },
        index=leads.index,
    ).astype("datetime64[ns]")


def reached(times: pd.DataFrame) -> pd.DataFrame:
    """Which stages each lead reached: a closed deal was an opportunity, and anything from SAL on was an MQL."""
    flags = times.notna()
    flags["Opportunity"] |= flags["Won"] | flags["Lost"]
    flags["MQL"] |= flags["SAL"] | flags["SQL"]
    return flags


def _median_days(later: np.ndarray, earlier: np.ndarray) -> float:
    """The median of the non-negative days from ``earlier`` to ``later`` (datetime64[ns]; NaT pairs left out)."""
    gap = later - earlier
    gap = gap[~np.isnat(gap) & (gap >= np.timedelta64(0, "ns"))]
    return float(np.median(gap / np.timedelta64(1, "D"))) if len(gap) else float("nan")


def funnel_stages(leads: pd.DataFrame) -> pd.DataFrame:
    """The funnel of ``leads``, one row per stage (and ``Lost``, the opportunities lost).

    Columns: stage, count, of_previous (share of the stage before), of_leads (share of all leads), median_days
    (from the stage before).
    """
    times = stage_times(leads)
    return _funnel(*_arrays(times, reached(times)))


def _arrays(times: pd.DataFrame, flags: pd.DataFrame) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Each stage's times and reached flags as NumPy arrays (what :func:`_funnel` counts and measures)."""
    return ({c: times[c].to_numpy("datetime64[ns]") for c in times}, {c: flags[c].to_numpy(bool) for c in flags})


def _funnel(times: dict[str, np.ndarray], flags: dict[str, np.ndarray]) -> pd.DataFrame:
    """:func:`funnel_stages` from the leads' stage times and reached flags (:func:`_arrays`)."""
    total = len(times["Lead"])
    rows = []
    for i, stage in enumerate((*STAGES, "Lost")):
        previous = "Opportunity" if stage == "Lost" else (STAGES[i - 1] if i else None)
        n = int(flags[stage].sum())
        before = int(flags[previous].sum()) if previous else n
        rows.append(
            {
                "stage": stage,
                "count": n,
                "of_previous": n / before if previous and before else float("nan"),
                "of_leads": n / total if total else float("nan"),
                "median_days": _median_days(times[stage], times[previous]) if previous else float("nan"),
            }
        )
    return pd.DataFrame(rows)


def cohort_funnel(leads: pd.DataFrame, months: pd.PeriodIndex) -> pd.DataFrame:
    """One row per cohort month (by creation) in ``months``: :func:`funnel_stages` of that month's leads.

    Columns: month, the count at each stage and ``Lost``, each step's conversion (``<stage> %``, the share of the
    stage before) and median days (``<stage> days``).
    """
    times = stage_times(leads)  # once for every lead; each month's rows are then picked out of it
    times, flags = _arrays(times, reached(times))
    created = leads["created_at"].dt.to_period("M").array.asi8  # month ordinals (NaT: never a month's)
    rows = []
    for month in months:
        rows_of = np.flatnonzero(created == month.ordinal)
        picked = ({c: a[rows_of] for c, a in times.items()}, {c: a[rows_of] for c, a in flags.items()})
        funnel = _funnel(*picked).set_index("stage")
        row: dict[str, object] = {"month": month}
        for stage in (*STAGES, "Lost"):
            row[stage] = int(funnel.at[stage, "count"])
        for stage in (*STAGES[1:], "Lost"):
            row[f"{stage} %"] = float(funnel.at[stage, "of_previous"])
            row[f"{stage} days"] = float(funnel.at[stage, "median_days"])
        rows.append(row)
    return pd.DataFrame(rows)


def cycle_days(leads: pd.DataFrame, share: float = 0.9) -> float:
    """Days from creation within which ``share`` of the won leads were won: how long a cohort takes to mature."""
    won, created = (leads[c].to_numpy("datetime64[ns]") for c in ("won_at", "created_at"))  # stage_times' Won, Lead
    gap = won - created
    days = gap[~np.isnat(gap) & (gap >= np.timedelta64(0, "ns"))] / np.timedelta64(1, "D")
    return float(np.quantile(days, share)) if len(days) else float("nan")
