"""Why revenue is off: the revenue gap split into volume, conversion and deal-size effects, in money.

Revenue in a period is the product of four factors, each counted by the month of its own event (as the
goal-progress tiles count them, :data:`sla_model.metrics.progress.MEASURES`)::

    revenue = MQLs × (SQLs ÷ MQLs) × (won ÷ SQLs) × (revenue ÷ won)
            = volume × MQL→SQL × SQL→won × deal size

The gap between a period and a baseline (its goal, or the same days of a comparison period) is split with
the **additive log-mean Divisia index, LMDI-I** (Ang 2004)::

    effect_k = L(V₁, V₀) · ln(x_k,₁ ÷ x_k,₀),     L(a, b) = (a − b) ÷ (ln a − ln b),  L(a, a) = a

Why LMDI-I and not sequential substitution (swap one factor at a time from baseline to actual):

* **exact**: ``Σ_k ln(x_k,₁ ÷ x_k,₀) = ln(V₁ ÷ V₀)``, so the effects add up to the gap with **no residual**
  (no "interaction" term left over to explain away);
* **order-independent**: sequential substitution gives a different answer for each order in which the factors
  are swapped (the first factor swapped takes the interaction); LMDI treats every factor alike;
* **additive across subgroups**: a decomposition per channel (:func:`channel_gaps`) adds up to the total gap.

Zeros follow the standard limit convention (Ang & Liu 2007: replace 0 by δ and let δ → 0, which converges):

* a factor that is 0 on one side only (no SQLs at all, or wins without amounts) takes the **whole** gap, the
  other factors none (several such factors share it equally); both sides 0 → every effect is 0;
* a rate that is undefined (0 ÷ 0: no won deals, so no deal size) takes the other side's value, so it gets no
  effect; undefined on both sides → 1;
* a broken chain (a later stage has events but the stage before it has none in the period, e.g. wins from
  earlier months' SQLs in a month without SQLs) cannot be a product of finite rates: the stage with nothing
  in it and the one after are merged into one factor, whose effect the stage with nothing in it takes.

Against the goal, the goal's implied factors come from the SLA: the MQL quota, SQL quota ÷ MQL quota, won
quota ÷ SQL quota and revenue goal ÷ won quota (so the four multiply to exactly the revenue goal; the SLA's
``average_deal_size`` is what the reverse funnel plans with). An open month is judged month to date: against
the goal's pace (every quota × the elapsed share) and against the same number of days of the comparison.

A speed-to-lead effect is not included: speed is not a factor of this product, and splitting it out of the
MQL→SQL rate needs a model of how speed changes conversion, not an accounting identity.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sla_model.agreement.sla import Sla
from sla_model.metrics.progress import MEASURES, measure_times

#: The four factors of revenue, in product order, and how the pages name them.
FACTORS = ("volume", "mql_to_sql", "sql_to_won", "deal_size")
FACTOR_LABELS = {
    "volume": "MQL volume",
    "mql_to_sql": "MQL → SQL rate",
    "sql_to_won": "SQL → won rate",
    "deal_size": "Deal size",
}
#: The factors as a sentence names them ("most of it is the deal size").
FACTOR_WORDS = FACTOR_LABELS | {"deal_size": "deal size"}
#: What a period can be compared with: the same month a quarter before, or a year before.
COMPARISONS = {"quarter": 3, "year": 12}
COMPARISON_LABELS = {"goal": "the goal", "quarter": "the same month last quarter", "year": "the same month last year"}


def log_mean(a: float, b: float) -> float:
    """The logarithmic mean ``(a − b) ÷ (ln a − ln b)`` of two positive numbers (``a`` when they are equal).

    Examples:
        >>> log_mean(4.0, 4.0), round(log_mean(np.e, 1.0), 6)
        (4.0, 1.718282)
    """
    if a == b:
        return float(a)
    d = float(np.log(a) - np.log(b))
    if abs(d) < 1e-9:  # equal up to rounding: the mean's series, L = b·(1 + d/2 + d²/6)
        return float(b * (1 + d / 2 + d * d / 6))
    return float((a - b) / d)


def _merged_groups(c0: np.ndarray, c1: np.ndarray) -> list[tuple[int, int]]:
    """Factor groups ``(first, last)`` over the stage counts [MQLs, SQLs, won, revenue] of both sides.

    Factor ``j`` is ``count_j ÷ count_{j-1}``; where ``count_{j-1}`` is 0 but the group that ``j`` ends has a
    positive count (on either side), ``j`` merges into the group before it.
    """
    groups: list[tuple[int, int]] = []
    end = len(c0) - 1
    for j in range(len(c0) - 1, 0, -1):
        broken = any(c[j - 1] == 0 and c[end] > 0 for c in (c0, c1))
        if not broken:
            groups.append((j, end))
            end = j - 1
    groups.append((0, end))
    return groups[::-1]


def factors(base_counts: Sequence[float], actual_counts: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """The four factors of each side from its counts ``[MQLs, SQLs, won, revenue]``, zeros handled as documented.

    Returns ``(baseline factors, actual factors)``; each side's factors multiply to its revenue.

    Examples:
        >>> b, a = factors([100, 20, 5, 50_000], [80, 20, 4, 48_000])
        >>> b.tolist(), a.tolist()
        ([100.0, 0.2, 0.25, 10000.0], [80.0, 0.25, 0.2, 12000.0])
    """
    c0, c1 = np.asarray(base_counts, dtype=float), np.asarray(actual_counts, dtype=float)
    if (c0 < 0).any() or (c1 < 0).any() or not (np.isfinite(c0).all() and np.isfinite(c1).all()):
        raise ValueError("counts and revenue must be finite and not negative")
    x0, x1 = np.ones(len(c0)), np.ones(len(c1))
    for first, last in _merged_groups(c0, c1):
        values = []
        for c in (c0, c1):
            den = 1.0 if first == 0 else c[first - 1]
            values.append(c[last] / den if den > 0 else np.nan)  # NaN: 0 ÷ 0, undefined
        v0, v1 = values
        x0[first] = v0 if v0 == v0 else (v1 if v1 == v1 else 1.0)
        x1[first] = v1 if v1 == v1 else (v0 if v0 == v0 else 1.0)
    return x0, x1


def lmdi(x0: np.ndarray, x1: np.ndarray) -> np.ndarray:
    """LMDI-I additive effects of each factor going from ``x0`` to ``x1``; they sum to ``Π x1 − Π x0``.

    Examples:
        >>> e = lmdi(np.array([100.0, 0.5]), np.array([100.0, 0.25]))  # rate halves: revenue 50 → 25
        >>> e.round(6).tolist()
        [0.0, -25.0]
        >>> lmdi(np.array([10.0, 2.0]), np.array([0.0, 2.0])).tolist()  # a factor hits 0: it takes the gap
        [-20.0, 0.0]
    """
    x0, x1 = np.asarray(x0, dtype=float), np.asarray(x1, dtype=float)
    v0, v1 = float(np.prod(x0)), float(np.prod(x1))
    if v0 > 0 and v1 > 0:
        return log_mean(v1, v0) * np.log(x1 / x0)
    if v0 == 0 and v1 == 0:
        return np.zeros(len(x0))
    zero = (x1 == 0) if v1 == 0 else (x0 == 0)
    return np.where(zero, (v1 - v0) / zero.sum(), 0.0)


@dataclass(frozen=True)
class Gap:
    """A revenue gap and its split: ``actual − baseline = Σ effects`` (money)."""

    baseline: tuple[float, float, float, float]  # MQLs, SQLs, won, revenue
    actual: tuple[float, float, float, float]
    effects: dict[str, float]
    against: str  # a key of COMPARISON_LABELS
    start: pd.Timestamp  # the period judged, [start, end)
    end: pd.Timestamp

    @property
    def gap(self) -> float:
        """Actual revenue minus baseline revenue."""
        return self.actual[3] - self.baseline[3]

    @property
    def main(self) -> str:
        """The factor with the largest effect in the gap's direction (the biggest in size when there is none)."""
        sign = np.sign(self.gap) or 1.0
        return max(self.effects, key=lambda k: (sign * self.effects[k], abs(self.effects[k])))


def decompose(base_counts: Sequence[float], actual_counts: Sequence[float], **where: object) -> Gap:
    """The LMDI-I split of the revenue gap between two sides given as ``[MQLs, SQLs, won, revenue]``.

    ``where`` fills :class:`Gap`'s ``against``, ``start`` and ``end`` (defaults: goal, NaT, NaT).

    Examples:
        >>> g = decompose([100, 20, 5, 50_000], [100, 10, 5, 25_000])  # SQLs halve, win rate doubles, deal halves
        >>> round(g.gap), {k: round(v) for k, v in g.effects.items()}
        (-25000, {'volume': 0, 'mql_to_sql': -25000, 'sql_to_won': 25000, 'deal_size': -25000})
    """
    x0, x1 = factors(base_counts, actual_counts)
    effects = lmdi(x0, x1)
    return Gap(
        baseline=tuple(float(v) for v in base_counts),
        actual=tuple(float(v) for v in actual_counts),
        effects=dict(zip(FACTORS, (float(e) for e in effects), strict=True)),
        against=str(where.get("against", "goal")),
        start=pd.Timestamp(where.get("start", pd.NaT)),
        end=pd.Timestamp(where.get("end", pd.NaT)),
    )


# --- Counting the four stages in a period ---------------------------------------------------------------------


def _codes(leads: pd.DataFrame, column: str | None) -> tuple[np.ndarray, list[str]]:
    if column is None:
        return np.zeros(len(leads), dtype=np.int64), ["All"]
    values = leads[column].astype("category")
    return values.cat.codes.to_numpy().astype(np.int64), [str(c) for c in values.cat.categories]


def stage_times(leads: pd.DataFrame) -> dict[str, np.ndarray]:
    """Each lead's stage times and amount (0 where none) as arrays, worked out once for several periods.

    The times are :func:`sla_model.metrics.progress.measure_times`; pass the result as ``times`` below.
    """
    out = {m: measure_times(leads, m).to_numpy(dtype="datetime64[ns]") for m in MEASURES}
    return out | {"amount": np.nan_to_num(leads["amount"].to_numpy(dtype=float))}


def stage_counts(
    leads: pd.DataFrame,
    start: pd.Timestamp,
    end: pd.Timestamp,
    by: str | None = None,
    times: dict[str, np.ndarray] | None = None,
) -> pd.DataFrame:
    """MQLs, SQLs, won deals and won revenue in ``[start, end)``, in total or per value of column ``by``.

    Each stage counts by its own event's time (:func:`sla_model.metrics.progress.measure_times`); one row per
    group (index: the group's value), columns ``mqls``, ``sqls``, ``won``, ``revenue``. ``times``: the leads'
    :func:`stage_times`, when already worked out.
    """
    times = stage_times(leads) if times is None else times
    codes, names = _codes(leads, by)
    known = codes >= 0
    lo, hi = np.datetime64(pd.Timestamp(start), "ns"), np.datetime64(pd.Timestamp(end), "ns")
    out = {}
    for measure in MEASURES:
        inside = (times[measure] >= lo) & (times[measure] < hi) & known
        weights = times["amount"] if measure == "revenue" else None
        out[measure] = np.bincount(
            codes[inside], weights=None if weights is None else weights[inside], minlength=len(names)
        ).astype(float)
    return pd.DataFrame(out, index=pd.Index(names, name=by or "group"))


def judged_window(
    start: pd.Timestamp, end: pd.Timestamp, as_of: dt.datetime | pd.Timestamp
) -> tuple[pd.Timestamp, float]:
    """The part of ``[start, end)`` known at ``as_of`` (its end) and the share of the period it covers."""
    start, end, as_of = pd.Timestamp(start), pd.Timestamp(end), pd.Timestamp(as_of)
    stop = min(max(as_of, start), end)
    return stop, float((stop - start) / (end - start))


def goal_counts(sla: Sla, share: float = 1.0) -> list[float]:
    """The goal's ``[MQLs, SQLs, won, revenue]`` from the SLA's quotas and revenue goal, times ``share`` (pace)."""
    q = sla.quotas
    return [q.mqls * share, q.sqls * share, q.won * share, sla.goal.monthly_revenue * share]


def gap_vs_goal(
    leads: pd.DataFrame,
    sla: Sla,
    start: pd.Timestamp,
    end: pd.Timestamp,
    as_of: dt.datetime | pd.Timestamp,
    times: dict[str, np.ndarray] | None = None,
) -> Gap:
    """The period's revenue gap against the SLA's goal (its pace while the period is open), split by factor."""
    stop, share = judged_window(start, end, as_of)
    actual = stage_counts(leads, start, stop, times=times).iloc[0].tolist()
    return decompose(goal_counts(sla, share), actual, against="goal", start=start, end=stop)


def comparison_window(start: pd.Timestamp, stop: pd.Timestamp, months_back: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The comparison period: ``[start, stop)`` moved back by whole months (same length of a month-to-date).

    Examples:
        >>> comparison_window(pd.Timestamp("2026-11-01"), pd.Timestamp("2026-11-18 12:00"), 3)
        (Timestamp('2026-08-01 00:00:00'), Timestamp('2026-08-18 12:00:00'))
    """
    back = pd.DateOffset(months=months_back)
    return pd.Timestamp(start) - back, pd.Timestamp(start) - back + (pd.Timestamp(stop) - pd.Timestamp(start))


def gap_vs_period(
    leads: pd.DataFrame,
    start: pd.Timestamp,
    end: pd.Timestamp,
    as_of: dt.datetime | pd.Timestamp,
    against: str = "quarter",
    times: dict[str, np.ndarray] | None = None,
) -> Gap:
    """The period's revenue gap against the same days ``against`` (``quarter`` / ``year``) before, split by factor."""
    stop, _ = judged_window(start, end, as_of)
    c_start, c_stop = comparison_window(start, stop, COMPARISONS[against])
    base = stage_counts(leads, c_start, c_stop, times=times).iloc[0].tolist()
    actual = stage_counts(leads, start, stop, times=times).iloc[0].tolist()
    return decompose(base, actual, against=against, start=start, end=stop)


def channel_gaps(
    leads: pd.DataFrame,
    start: pd.Timestamp,
    end: pd.Timestamp,
    as_of: dt.datetime | pd.Timestamp,
    against: str = "quarter",
    by: str = "channel",
    times: dict[str, np.ndarray] | None = None,
) -> pd.DataFrame:
    """The comparison gap split per channel (or any column ``by``), each channel by its own four factors.

    One row per channel with ``gap`` and one column per factor (money); the rows add up to the total revenue
    gap, since revenue adds up across channels (LMDI's additivity across subgroups). Leads without a channel
    are left out, so the rows then add up to the gap of the leads that have one.
    """
    stop, _ = judged_window(start, end, as_of)
    c_start, c_stop = comparison_window(start, stop, COMPARISONS[against])
    base = stage_counts(leads, c_start, c_stop, by, times)
    actual = stage_counts(leads, start, stop, by, times)
    rows = []
    for name in actual.index:
        g = decompose(base.loc[name].tolist(), actual.loc[name].tolist(), against=against, start=start, end=stop)
        rows.append({by: name, "revenue": g.actual[3], "baseline": g.baseline[3], "gap": g.gap, **g.effects})
    return pd.DataFrame(rows, columns=[by, "revenue", "baseline", "gap", *FACTORS])


def waterfall_steps(gap: Gap, baseline_label: str = "Baseline", actual_label: str = "Actual") -> pd.DataFrame:
    """The gap as waterfall steps: the baseline bar, one floating bar per factor, the actual bar.

    Columns ``step`` (label), ``order``, ``kind`` (``total``, ``up``, ``down``), ``start``, ``end`` and
    ``value`` (the bar's amount: the total, or the effect).

    Examples:
        >>> g = decompose([100, 20, 5, 50_000], [100, 10, 5, 25_000])
        >>> waterfall_steps(g)[["kind", "start", "end"]].round(0).values.tolist()[-1]
        ['total', 0.0, 25000.0]
    """
    rows = [{"step": baseline_label, "kind": "total", "start": 0.0, "end": gap.baseline[3]}]
    level = gap.baseline[3]
    for factor in FACTORS:
        effect = gap.effects[factor]
        kind = "up" if effect > 0 else "down" if effect < 0 else "none"
        rows.append({"step": FACTOR_LABELS[factor], "kind": kind, "start": level, "end": level + effect})
        level += effect
    rows.append({"step": actual_label, "kind": "total", "start": 0.0, "end": gap.actual[3]})
    out = pd.DataFrame(rows)
    out["order"] = range(len(out))
    out["value"] = out["end"] - out["start"]
    return out[["step", "order", "kind", "start", "end", "value"]]


def gap_sentence(gap: Gap, money: Callable[[float], str], baseline: str | None = None) -> str:
    """The gap in one sentence: how far revenue is from the baseline and which factor explains most of it.

    ``money`` formats an amount (a positive one); ``baseline`` names what is compared with (default: from
    ``gap.against``).

    Examples:
        >>> g = decompose([100, 20, 5, 50_000], [100, 16, 4, 40_000])
        >>> gap_sentence(g, lambda x: f"${x:,.0f}")
        'Revenue is $10,000 below the goal; most of it is the MQL → SQL rate ($10,000 lower).'
    """
    what = baseline or COMPARISON_LABELS[gap.against]
    if gap.gap == 0 and not any(gap.effects.values()):
        return f"Revenue is level with {what}."
    main = gap.main
    effect = gap.effects[main]
    where = "above" if gap.gap > 0 else "below" if gap.gap < 0 else "level with"
    size = f"{money(abs(gap.gap))} " if gap.gap else ""
    most = "most of it is" if gap.gap else "the biggest shift is"
    return (
        f"Revenue is {size}{where} {what}; {most} the {FACTOR_WORDS[main]} "
        f"({money(abs(effect))} {'higher' if effect > 0 else 'lower'})."
    )
