"""Progress against quota within a period: actuals, the pace line and the month-end projection."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sla_model.agreement.sla import Sla, in_force
from sla_model.metrics.lifecycle import sql_reached_at

#: What the goal-progress pages count, by the lead timestamp that marks it. An SQL counts at
#: :func:`sla_model.metrics.lifecycle.sql_reached_at`: a won or lost lead without an SQL date counts in the
#: month of its opportunity, or else of its win or loss.
MEASURES = {"mqls": "mql_at", "sqls": "sql_at", "won": "won_at", "revenue": "won_at"}


def measure_times(leads: pd.DataFrame, measure: str) -> pd.Series:
    """When each lead counted for a measure (NaT where it never did), per :data:`MEASURES`."""
    return sql_reached_at(leads) if measure == "sqls" else leads[MEASURES[measure]]


def period_bounds(period: pd.Period) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The period's start (inclusive) and end (exclusive) as timestamps.

    Examples:
        >>> period_bounds(pd.Period("2026-02", "M"))
        (Timestamp('2026-02-01 00:00:00'), Timestamp('2026-03-01 00:00:00'))
    """
    return period.start_time, (period + 1).start_time


def elapsed_share(period: pd.Period, as_of: dt.datetime | pd.Timestamp) -> float:
    """How much of the period has passed at ``as_of``, from 0 (not started) to 1 (over).

    Examples:
        >>> elapsed_share(pd.Period("2026-11", "M"), pd.Timestamp("2026-11-16"))
        0.5
    """
    start, end = period_bounds(period)
    share = (pd.Timestamp(as_of) - start) / (end - start)
    return float(min(max(share, 0.0), 1.0))


def sla_for_period(versions: Sequence[Sla], period: pd.Period) -> Sla:
    """The SLA that judges a period: the version in force on its first day."""
    return in_force(versions, period.start_time.date())


def quota_for(sla: Sla, measure: str, channel: str | None = None) -> float:
    """The monthly quota of a measure (``mqls``, ``sqls``, ``won``, ``revenue``) in an SLA.

    With ``channel``, the channel's MQL quota (0 where the SLA sets none).
    """
    if channel is not None:
        if measure != "mqls":
            raise ValueError("only MQLs have per-channel quotas")
        return float(sla.quotas.mqls_by_channel.get(channel, 0))
    if measure == "revenue":
        return float(sla.goal.monthly_revenue)
    return float(getattr(sla.quotas, measure))


def measure_in(leads: pd.DataFrame, measure: str, start: pd.Timestamp, end: pd.Timestamp) -> float:
    """The value of a measure over ``[start, end)``: a count of events, or won revenue."""
    times = measure_times(leads, measure)
    inside = ((times >= start) & (times < end)).to_numpy()
    if measure == "revenue":
        return float(np.nansum(leads["amount"].to_numpy(dtype=float)[inside]))
    return float(inside.sum())


@dataclass(frozen=True)
class Progress:
    """Where a measure stands in a period against its quota."""

    actual: float
    quota: float
    elapsed: float
    pace: float
    projection: float
    closed: bool

    @property
    def delta_vs_pace(self) -> float:
        """Actual minus pace: positive = ahead of where the quota says we should be by now."""
        return self.actual - self.pace

    @property
    def attainment(self) -> float:
        """Actual as a share of quota (NaN without a quota)."""
        return self.actual / self.quota if self.quota > 0 else float("nan")

    @property
    def projected_attainment(self) -> float:
        """Projection as a share of quota (NaN without a quota or projection)."""
        return self.projection / self.quota if self.quota > 0 else float("nan")

    @property
    def status(self) -> str:
        """``met``/``missed`` for a closed period, ``on track``/``behind`` for an open one.

        ``not started`` before the period begins; ``no quota`` where the quota is 0.
        """
        if self.quota <= 0:
            return "no quota"
        if self.closed:
            return "met" if self.actual >= self.quota else "missed"
        if self.elapsed <= 0:
            return "not started"
        return "on track" if self.projection >= self.quota else "behind"


def progress(actual: float, quota: float, period: pd.Period, as_of: dt.datetime | pd.Timestamp) -> Progress:
    """Progress of ``actual`` against ``quota`` in ``period`` as seen at ``as_of``.

    Pace is the quota times the elapsed share of the period; the projection extends the run rate
    so far to the end of the period (NaN before the period starts).

    Examples:
        >>> p = progress(60, 100, pd.Period("2026-11", "M"), pd.Timestamp("2026-11-16"))
        >>> p.pace, p.projection, p.delta_vs_pace, p.status
        (50.0, 120.0, 10.0, 'on track')
    """
    share = elapsed_share(period, as_of)
    projection = actual / share if share > 0 else float("nan")
    return Progress(
        actual=float(actual),
        quota=float(quota),
        elapsed=share,
        pace=float(quota) * share,
        projection=float(projection),
        closed=share >= 1.0,
    )


def measure_progress(
    leads: pd.DataFrame,
    versions: Sequence[Sla],
    period: pd.Period,
    as_of: dt.datetime | pd.Timestamp,
    measure: str,
    channel: str | None = None,
) -> Progress:
    """Progress of one measure in a period, against the quota of the SLA in force then."""
    start, end = period_bounds(period)
    rows = leads if channel is None else leads[leads["channel"] == channel]
    quota = quota_for(sla_for_period(versions, period), measure, channel)
    return progress(measure_in(rows, measure, start, end), quota, period, as_of)


def cumulative_by_day(
    leads: pd.DataFrame,
    period: pd.Period,
    quota: float,
    as_of: dt.datetime | pd.Timestamp,
    measure: str = "mqls",
) -> pd.DataFrame:
    """Day by day through the period: cumulative actual (to ``as_of``), pace and projection.

    Columns: ``day`` (date), ``actual`` (NaN after ``as_of``), ``pace``, ``projection``
    (NaN before ``as_of``, straight from today's actual to the month-end projection).
    """
    start, end = period_bounds(period)
    as_of = pd.Timestamp(as_of)
    days = pd.date_range(start, end - pd.Timedelta(days=1), freq="D")
    ends = days + pd.Timedelta(days=1)
    times = measure_times(leads, measure).to_numpy(dtype="datetime64[ns]")
    inside = (times >= start.to_datetime64()) & (times < end.to_datetime64())
    weights = leads["amount"].to_numpy(dtype=float)[inside] if measure == "revenue" else None
    day_index = ((times[inside] - start.to_datetime64()) // np.timedelta64(1, "D")).astype(np.int64)
    per_day = np.bincount(
        day_index, weights=np.nan_to_num(weights) if weights is not None else None, minlength=len(days)
    )[: len(days)]
    actual = np.cumsum(per_day).astype(float)
    span = (end - start).total_seconds()
    day_share = np.clip((ends - start).total_seconds() / span, 0, 1)
    actual[days > as_of] = np.nan  # days that have not begun at the snapshot
    now_share = elapsed_share(period, as_of)
    projection = np.full(len(days), np.nan)
    if 0 < now_share < 1:
        actual_now = measure_in(leads, measure, start, as_of)
        rate = actual_now / now_share
        projection = np.where(ends > as_of, actual_now + rate * (day_share - now_share), np.nan)
    return pd.DataFrame({"day": days.date, "actual": actual, "pace": quota * day_share, "projection": projection})


def monthly_actuals(leads: pd.DataFrame, months: pd.PeriodIndex) -> pd.DataFrame:
    """MQLs, SQLs, won deals and revenue per month (by the month of each event, see :func:`measure_times`)."""
    out = {}
    for measure in MEASURES:
        stamp = measure_times(leads, measure).dt.to_period("M")
        if measure == "revenue":
            series = leads["amount"].groupby(stamp).sum(min_count=1)
        else:
            series = stamp.value_counts()
        out[measure] = series.reindex(months).fillna(0).astype(float)
    frame = pd.DataFrame(out, index=months)
    frame.index.name = "month"
    return frame


def attainment_trend(
    leads: pd.DataFrame, versions: Sequence[Sla], months: pd.PeriodIndex, as_of: dt.datetime | pd.Timestamp
) -> pd.DataFrame:
    """Per month and measure: actual, quota (SLA in force that month), attainment and status.

    One row per (month, measure).
    """
    actuals = monthly_actuals(leads, months)
    rows = []
    for month in months:
        sla = sla_for_period(versions, month)
        for measure in MEASURES:
            p = progress(actuals.at[month, measure], quota_for(sla, measure), month, as_of)
            rows.append(
                {
                    "month": month,
                    "measure": measure,
                    "actual": p.actual,
                    "quota": p.quota,
                    "attainment": p.attainment,
                    "projected_attainment": p.projected_attainment,
                    "status": p.status,
                    "sla_version": sla.meta.version,
                }
            )
    return pd.DataFrame(rows)


#: How the goal-progress page names each measure, in the order it shows them.
MEASURE_LABELS = {"mqls": "MQLs", "sqls": "SQLs", "won": "Won deals", "revenue": "Revenue"}
#: How the reverse funnel names each stage, from the goal down to the leads it takes.
FUNNEL_LABELS = {"revenue": "Revenue", "customers": "Customers", "sqls": "SQLs", "mqls": "MQLs", "leads": "Leads"}


def view_quota(
    sla: Sla,
    measure: str,
    *,
    channels: Sequence[str] = (),
    personas: Sequence[str] = (),
    owners: Sequence[str] = (),
) -> float:
    """The quota that applies to a filtered view: per-channel MQL quotas add up; other filters have none.

    Quotas are team-wide: a persona or rep filter has no quota, and under a channel filter only MQLs have one
    (the sum of the chosen channels' quotas).
    """
    if personas or owners:
        return 0.0
    if channels:
        if measure != "mqls":
            return 0.0
        return float(sum(quota_for(sla, "mqls", channel=c) for c in channels))
    return quota_for(sla, measure)


def gap_to_target(p: Progress) -> float | None:
    """How far the actual is from quota (a closed month) or from pace (an open one); None without a quota."""
    if p.quota <= 0:
        return None
    return p.actual - p.quota if p.closed else p.delta_vs_pace


def channel_progress(
    leads: pd.DataFrame,
    sla: Sla,
    channels: Sequence[str],
    start: pd.Timestamp,
    end: pd.Timestamp,
    elapsed: float,
) -> pd.DataFrame:
    """MQLs per channel in ``[start, end)`` with each channel's quota and pace (quota × elapsed share).

    Columns ``channel``, ``MQLs``, ``Quota`` and ``Pace``, one row per channel in the order given.
    """
    in_month = leads[(leads["mql_at"] >= start) & (leads["mql_at"] < end)]
    per = in_month["channel"].astype(str).value_counts()
    out = pd.DataFrame({"channel": list(channels)})
    out["MQLs"] = out["channel"].map(per).fillna(0).astype(int)
    out["Quota"] = [quota_for(sla, "mqls", channel=c) for c in channels]
    out["Pace"] = out["Quota"] * elapsed
    return out


def funnel_progress(funnel: pd.DataFrame, target: float) -> pd.DataFrame:
    """The reverse funnel (``funnel.funnel_vs_actual``) with each stage's share of its need and whether it is on pace.

    Adds ``Stage`` (:data:`FUNNEL_LABELS`), ``share`` (actual ÷ needed, NaN where nothing is needed or the need
    is unknown) and ``on_pace`` (share at least ``target``: 1 for a closed month, the elapsed share for an open one).
    """
    out = funnel.copy()
    out["Stage"] = out["stage"].map(FUNNEL_LABELS)
    out["share"] = [a / n if n and n == n else float("nan") for a, n in zip(out["actual"], out["needed"], strict=True)]
    out["on_pace"] = out["share"] >= target
    return out


def trend_values(trend: pd.DataFrame) -> pd.DataFrame:
    """The attainment trend (:func:`attainment_trend`) as charted: a month that is still running shows its projection.

    Adds ``Measure`` (:data:`MEASURE_LABELS`), ``month_start``, ``Status`` and ``value`` (the attainment, or the
    projected attainment where the status is ``on track`` or ``behind``).
    """
    out = trend.copy()
    out["Measure"] = out["measure"].map(MEASURE_LABELS)
    out["month_start"] = out["month"].dt.start_time
    out["Status"] = out["status"]
    out["value"] = out["attainment"].where(out["status"] != "on track", out["projected_attainment"])
    out["value"] = out["value"].where(out["status"] != "behind", out["projected_attainment"])
    return out
