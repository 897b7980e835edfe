"""A first SLA drafted from the team's own history: goals the team has reached before, broken down backwards."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from sla_model.metrics.funnel import FunnelRates, reverse_funnel, trailing_rates
from sla_model.metrics.progress import monthly_actuals

Level = Literal["median", "best_quartile"]
#: The quantile of the monthly history each level starts from.
LEVELS: dict[str, float] = {"median": 0.5, "best_quartile": 0.75}
LEVEL_LABELS = {
    "median": "a typical month (the median)",
    "best_quartile": "a good month (the best quarter of months)",
}
_QUOTA_NAMES = {"won": "won-deal", "sqls": "SQL", "mqls": "MQL"}
#: At most this many complete months before the clock's month are read.
HISTORY_MONTHS = 12

#: Where a first agreement starts when the data cannot say (every value is editable before publishing).
TEMPLATE_FOLLOW_UP = {"first_touch_hours": 24.0, "min_touches": 3, "touch_window_days": 7, "decision_hours": 72.0}
TEMPLATE_REASONS = [
    {"code": "no_budget", "label": "No budget", "then": "nurture", "description": ""},
    {"code": "bad_timing", "label": "Bad timing", "then": "nurture", "description": ""},
    {"code": "not_decision_maker", "label": "Not a decision maker", "then": "nurture", "description": ""},
    {"code": "no_response", "label": "No response after all attempts", "then": "nurture", "description": ""},
    {"code": "not_icp", "label": "Not our ideal customer", "then": "disqualify", "description": ""},
    {"code": "competitor", "label": "Competitor or partner", "then": "disqualify", "description": ""},
    {"code": "bad_data", "label": "Bad contact data", "then": "disqualify", "description": ""},
]


@dataclass(frozen=True)
class Suggestion:
    """A first SLA document drafted from history, and the history it was drafted from."""

    document: dict  #: an SLA document (see :func:`sla_model.agreement.sla.parse_sla`), every field filled
    history: pd.DataFrame  #: per month read: mqls, sqls, won, revenue (index: month)
    rates: FunnelRates  #: conversion over the months read
    level: str
    notes: list[str]  #: what the data could not say, and what was assumed instead


def history_months(
    leads: pd.DataFrame, as_of: dt.datetime | pd.Timestamp, months: int = HISTORY_MONTHS
) -> pd.PeriodIndex:
    """The complete months before the clock's month that hold leads, the latest ``months`` of them.

    With no complete month yet, the clock's own month (in progress).

    Examples:
        >>> leads = pd.DataFrame({"created_at": pd.to_datetime(["2026-01-10", "2026-05-02"])})
        >>> [str(m) for m in history_months(leads, pd.Timestamp("2026-05-20"), months=3)]
        ['2026-02', '2026-03', '2026-04']
    """
    current = pd.Timestamp(as_of).to_period("M")
    if leads.empty:
        return pd.PeriodIndex([current], freq="M")
    first = leads["created_at"].min().to_period("M")
    if first >= current:
        return pd.PeriodIndex([current], freq="M")
    start = max(first, current - months)
    return pd.period_range(start, current - 1, freq="M")


def split_quota(total: int, weights: dict[str, float]) -> dict[str, int]:
    """Share a whole quota out by weight so that the parts add up to exactly ``total`` (largest remainder).

    Examples:
        >>> split_quota(500, {"Email": 1, "Events": 1, "Webinar": 1})
        {'Email': 167, 'Events': 167, 'Webinar': 166}
        >>> split_quota(10, {"A": 0, "B": 0})
        {'A': 5, 'B': 5}
    """
    if not weights:
        return {}
    names = list(weights)
    w = np.array([max(float(weights[n]), 0.0) for n in names])
    w = np.ones_like(w) if w.sum() <= 0 else w
    exact = w / w.sum() * total
    parts = np.floor(exact).astype(int)
    short = total - int(parts.sum())
    order = np.argsort(-(exact - parts), kind="stable")
    parts[order[:short]] += 1
    return {n: int(p) for n, p in zip(names, parts, strict=True)}


def rescale_channel_quotas(by_channel: dict[str, int], old_total: int, new_total: int) -> dict[str, int]:
    """Channel MQL quotas for a new overall quota: each keeps its share, and they add up exactly as before.

    Channels that added up to the old total add up to the new one; channels that left part of the old total
    unassigned leave the same share of the new one (rounded once, never floored channel by channel).

    Examples:
        >>> rescale_channel_quotas({"A": 250, "B": 250}, 500, 490)
        {'A': 245, 'B': 245}
        >>> v2 = {"A": 85, "B": 70, "C": 35, "D": 65, "E": 60, "F": 35, "G": 30, "H": 35}
        >>> q = rescale_channel_quotas(v2, 420, 500)
        >>> sum(q.values())  # 415 of 420 before: 494 of 500 (floors per channel gave 490)
        494
    """
    if not by_channel:
        return {}
    scale = new_total / old_total if old_total else 1.0
    return split_quota(min(round(sum(by_channel.values()) * scale), new_total), by_channel)


def _nice(x: float, digits: int = 2) -> float:
    """``x`` rounded to ``digits`` significant digits (a goal people say out loud): 523,417 -> 520,000."""
    if not math.isfinite(x) or x <= 0:
        return 0.0
    scale = 10 ** (math.floor(math.log10(x)) - digits + 1)
    return float(round(x / scale) * scale)


def suggest_sla(
    leads: pd.DataFrame,
    *,
    as_of: dt.datetime | pd.Timestamp,
    level: Level = "median",
    author: str = "",
    currency: str = "USD",
    reason_codes: list[str] | None = None,
) -> Suggestion:
    """Draft version 1 of the SLA from the leads' own history.

    The revenue goal is the ``level`` month of the last (up to) 12 complete months' won revenue, rounded to two
    significant digits. Quotas come from the reverse funnel of that goal at the deal size and conversion rates
    Goal progress uses for the month after the history (:func:`sla_model.metrics.funnel.trailing_rates`: customers =
    goal / deal size, SQLs = customers / SQL-to-won, MQLs = SQLs / MQL-to-SQL), so the two agree; channel MQL
    quotas share the MQL quota by each channel's share of the months' MQLs and add up to it exactly. Where the
    data says nothing (no won amounts, no SQLs), the quota is the ``level`` month of that measure, and ``notes``
    says so. The version takes effect on the first day of the first month with leads, so the whole history is
    judged by it.

    Args:
        leads: the analysis frame (see :func:`sla_model.store.repository.load_leads`).
        as_of: the clock.
        level: ``median`` (a month the team reaches half the time) or ``best_quartile`` (one in four months).
        author: who drafts it.
        currency: the goal's currency.
        reason_codes: rejection reason codes found in the data, added to the template's reasons.
    """
    months = history_months(leads, as_of)
    q = LEVELS[level]
    history = monthly_actuals(leads, months)
    start, end = months[0].start_time, months[-1].end_time + pd.Timedelta(1, "ns")
    # the rates Goal progress will break the goal down with in the month the agreement starts being used
    rates = trailing_rates(leads, months[-1] + 1)
    notes: list[str] = []
    typical = {m: float(history[m].quantile(q)) if len(history) else 0.0 for m in history.columns}

    deal = rates.average_deal_size
    revenue = _nice(typical["revenue"])
    if not (math.isfinite(deal) and deal > 0) or revenue <= 0:
        notes.append("no won deal in these months has an amount: enter the revenue goal and the deal size yourself")
        deal = deal if math.isfinite(deal) and deal > 0 else 1_000.0
        revenue = revenue if revenue > 0 else _nice(max(typical["won"], 1.0) * deal)
    funnel = reverse_funnel(revenue, deal, rates).set_index("stage")["needed"]
    quota = {}
    for measure, stage in (("won", "customers"), ("sqls", "sqls"), ("mqls", "mqls")):
        needed = funnel.get(stage, float("nan"))
        if math.isfinite(needed):
            quota[measure] = int(needed)
        else:
            quota[measure] = math.ceil(typical[measure])
            notes.append(f"the {_QUOTA_NAMES[measure]} quota is {LEVEL_LABELS[level]} of history: the conversion "
                         "rate the reverse funnel needs is unknown")  # fmt: skip

    window = leads[(leads["mql_at"] >= start) & (leads["mql_at"] < end)]
    shares = window["channel"].astype(str).value_counts().sort_index()
    by_channel = split_quota(quota["mqls"], shares.to_dict()) if len(shares) > 1 else {}

    mqls_scores = window["score"].to_numpy(dtype=float) if "score" in window else np.array([])
    if len(mqls_scores) and np.nanmax(mqls_scores) > 0:
        threshold = int(5 * math.floor(np.nanquantile(mqls_scores, 0.1) / 5))
    else:
        threshold = 0
        notes.append("no lead has a score: the MQL definition starts with no score threshold (your CRM's MQL "
                     "dates say who is an MQL)")  # fmt: skip
    demo = bool(leads["demo_request"].any()) if "demo_request" in leads else False

    reasons = [dict(r) for r in TEMPLATE_REASONS]
    known = {r["code"] for r in reasons}
    for code in sorted(set(reason_codes or []) - known):
        reasons.append({"code": code, "label": code.replace("_", " ").capitalize(), "then": "nurture",
                        "description": "found in the imported data"})  # fmt: skip

    first_day = leads["created_at"].min().to_period("M").start_time.date() if not leads.empty else dt.date.today()
    document = {
        "meta": {
            "version": 1,
            "effective_from": first_day.isoformat(),
            "author": author or "Sales and marketing",
            "change_note": f"First version, drafted from {len(months)} month{'s' if len(months) != 1 else ''} of "
            f"history, at {LEVEL_LABELS[level]}.",
        },
        "goal": {"monthly_revenue": revenue, "average_deal_size": round(deal, 2), "currency": currency},
        "quotas": {"mqls": quota["mqls"], "sqls": quota["sqls"], "won": quota["won"], "mqls_by_channel": by_channel},
        "mql": {
            "score_threshold": min(max(threshold, 0), 100),
            "fit": {"personas": [], "min_company_size": 0, "countries": []},
            "triggers": {"demo_request": demo, "min_page_views": 0, "min_form_submissions": 0},
        },
        "sql": {"framework": "BANT", "criteria": ["Budget", "Authority", "Need", "Timeline"], "min_criteria": 3},
        "follow_up": dict(TEMPLATE_FOLLOW_UP),
        "rejection_reasons": reasons,
        "recycle": {"stale_after_days": 30},
        "review": {"monthly": "First Tuesday of the month, 45 minutes", "mid_month_checkin": "", "attendees": []},
    }
    return Suggestion(document=document, history=history, rates=rates, level=level, notes=notes)


def channel_quota_problem(total: int, by_channel: dict[str, int]) -> str | None:
    """Why per-channel MQL quotas do not fit the overall quota, or None when they add up to it exactly.

    Examples:
        >>> channel_quota_problem(500, {"Email": 240, "Events": 250})
        'the channel MQL quotas add up to 490, not the MQL quota of 500: change a channel or the total by 10'
        >>> channel_quota_problem(500, {"Email": 250, "Events": 250}) is None
        True
    """
    if not by_channel:
        return None
    got = sum(by_channel.values())
    if got == total:
        return None
    return (
        f"the channel MQL quotas add up to {got:,}, not the MQL quota of {total:,}: change a channel or the "
        f"total by {abs(total - got):,}"
    )
