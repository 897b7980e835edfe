"""The reverse funnel: from the revenue goal back to the customers, SQLs, MQLs and leads it takes."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from sla_model.metrics.lifecycle import sql_reached_at
from sla_model.metrics.stats import safe_rate

STAGES = ["revenue", "customers", "sqls", "mqls", "leads"]


@dataclass(frozen=True)
class FunnelRates:
    """Conversion rates between adjacent stages, and the observed average deal size."""

    lead_to_mql: float
    mql_to_sql: float
    sql_to_won: float
    average_deal_size: float = float("nan")
    #: Counts the rates were computed from: leads, MQLs, SQLs and won deals in the window.
    leads: int = 0
    mqls: int = 0
    sqls: int = 0
    won: int = 0


def observed_rates(leads: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> FunnelRates:
    """Stage-to-stage rates over ``[start, end)`` as ratios of event counts in the window.

    Counting events (leads created, MQLs, SQLs, wins) in the same window avoids the bias of
    young cohorts whose outcomes are not in yet. SQLs count at :func:`sla_model.metrics.lifecycle.sql_reached_at`
    (a won or lost lead without an SQL date is an SQL). A rate without a denominator is NaN.
    """

    def _count(t: pd.Series) -> int:
        return int(((t >= start) & (t < end)).sum())

    n_leads, n_mqls, n_sqls, n_won = (
        _count(leads["created_at"]),
        _count(leads["mql_at"]),
        _count(sql_reached_at(leads)),
        _count(leads["won_at"]),
    )
    won_mask = (leads["won_at"] >= start) & (leads["won_at"] < end)
    amounts = leads.loc[won_mask, "amount"]
    return FunnelRates(
        lead_to_mql=float(safe_rate(n_mqls, n_leads)),
        mql_to_sql=float(safe_rate(n_sqls, n_mqls)),
        sql_to_won=float(safe_rate(n_won, n_sqls)),
        average_deal_size=float(safe_rate(float(amounts.sum()), int(amounts.notna().sum()))),  # deals with an amount
        leads=n_leads,
        mqls=n_mqls,
        sqls=n_sqls,
        won=n_won,
    )


#: The conversion rates behind a period's reverse funnel are those of this many months before it.
TRAILING_MONTHS = 6


def trailing_rates(leads: pd.DataFrame, period: pd.Period, months: int = TRAILING_MONTHS) -> FunnelRates:
    """The rates a period's reverse funnel uses: :func:`observed_rates` over the ``months`` months before it.

    Goal progress and the first SLA draft both break the goal down with these, so they agree.
    """
    return observed_rates(leads, (period - months).start_time, period.start_time)


def _needed(count: float, rate: float) -> float:
    if math.isnan(count) or math.isnan(rate) or rate <= 0:
        return float("nan")
    return float(math.ceil(round(count / rate, 9)))


def customers_needed(revenue_goal: float, average_deal_size: float) -> float:
    """The won deals a revenue goal takes at a deal size, rounded up (NaN without a deal size).

    The one figure The SLA page, Goal progress' reverse funnel and What if… all show.

    Examples:
        >>> customers_needed(650_000, 12_000), customers_needed(100_000, 10_000)
        (55.0, 10.0)
    """
    return _needed(revenue_goal, average_deal_size) if average_deal_size > 0 else float("nan")


def reverse_funnel(revenue_goal: float, average_deal_size: float, rates: FunnelRates) -> pd.DataFrame:
    """What each stage must deliver to reach ``revenue_goal``, working backwards.

    customers = goal / deal size; SQLs = customers / SQL→won; MQLs = SQLs / MQL→SQL;
    leads = MQLs / lead→MQL; each rounded up. A stage behind a zero or unknown rate is NaN.
    ``rate_in`` is the conversion from the stage below into each stage.

    Examples:
        >>> r = FunnelRates(lead_to_mql=0.5, mql_to_sql=0.25, sql_to_won=0.2)
        >>> reverse_funnel(100_000, 10_000, r)["needed"].tolist()
        [100000.0, 10.0, 50.0, 200.0, 400.0]
    """
    customers = customers_needed(revenue_goal, average_deal_size)
    sqls = _needed(customers, rates.sql_to_won)
    mqls = _needed(sqls, rates.mql_to_sql)
    leads = _needed(mqls, rates.lead_to_mql)
    return pd.DataFrame(
        {
            "stage": STAGES,
            "needed": [float(revenue_goal), customers, sqls, mqls, leads],
            "rate_in": [float("nan"), rates.sql_to_won, rates.mql_to_sql, rates.lead_to_mql, float("nan")],
        }
    )


def funnel_vs_actual(
    revenue_goal: float,
    average_deal_size: float,
    rates: FunnelRates,
    leads: pd.DataFrame,
    start: pd.Timestamp,
    end: pd.Timestamp,
) -> pd.DataFrame:
    """The reverse funnel beside what the period actually delivered at each stage.

    Adds ``actual`` and ``gap`` (actual minus needed) to :func:`reverse_funnel`.
    """
    frame = reverse_funnel(revenue_goal, average_deal_size, rates)
    got = observed_rates(leads, start, end)
    won_mask = (leads["won_at"] >= start) & (leads["won_at"] < end)
    revenue = float(leads.loc[won_mask, "amount"].sum())
    frame["actual"] = [revenue, float(got.won), float(got.sqls), float(got.mqls), float(got.leads)]
    frame["gap"] = frame["actual"] - frame["needed"]
    return frame
