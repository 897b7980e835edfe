"""A candidate replayed over the prepared history: what it would deliver beside a baseline, per month and cell."""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sla_model.metrics.funnel import STAGES, FunnelRates, reverse_funnel
from sla_model.metrics.stats import Z95, safe_rate
from sla_model.whatif.arrays import WhatIfArrays, _counts, _Model, _share_by
from sla_model.whatif.candidate import Candidate
from sla_model.whatif.criteria import mql_mask
from sla_model.whatif.verdict import verdict_text

#: Baseline masks kept per prepared data set (the SLA in force rarely changes while sliders move).
_BASELINE_CACHE = 4
_CACHE_LOCK = threading.Lock()


def _baseline_counts(arrays: WhatIfArrays, baseline: Candidate | None) -> tuple[np.ndarray, np.ndarray]:
    """Per-lead keys marking the baseline's MQLs, and its MQL counts per (month, cell, class); cached."""
    if baseline is None:
        return arrays._key_actual, arrays._actual_counts
    key = baseline._mask_key()
    hit = arrays._cache.get(key)
    if hit is None:
        mask = mql_mask(arrays, baseline)
        keys = arrays._key0 + mask
        shape = arrays._actual_counts.shape
        counts = _counts(keys, mask, 2 * math.prod(shape)).reshape(*shape, 2)[..., 1]
        keys.flags.writeable = counts.flags.writeable = False
        with _CACHE_LOCK:  # sessions share the arrays; the oldest baseline goes first
            while len(arrays._cache) >= _BASELINE_CACHE:
                arrays._cache.pop(next(iter(arrays._cache)))
            hit = arrays._cache.setdefault(key, (keys, counts))
    return hit


# --- the result ----------------------------------------------------------------------------------

#: Columns of :attr:`WhatIfResult.monthly`.
MONTHLY_COLUMNS = (
    "mqls",
    "baseline_mqls",
    "actual_mqls",
    "extrapolated_mqls",
    "sqls",
    "sqls_low",
    "sqls_high",
    "won",
    "won_low",
    "won_high",
    "revenue",
    "revenue_low",
    "revenue_high",
    "baseline_sqls",
    "baseline_won",
    "baseline_revenue",
    "load_per_rep_week",
    "baseline_load_per_rep_week",
)
#: Columns of :attr:`WhatIfResult.by_channel`.
CHANNEL_COLUMNS = ("mqls", "baseline_mqls", "change", "change_share", "quota")
#: Columns of :attr:`WhatIfResult.reasons`.
REASON_COLUMNS = ("removed", "added", "net")
#: Columns of :attr:`WhatIfResult.funnel`.
FUNNEL_COLUMNS = ("needed", "rate_in", "quota", "expected", "gap")
_COLUMN_INDEX = {cols: pd.Index(cols) for cols in (MONTHLY_COLUMNS, CHANNEL_COLUMNS, REASON_COLUMNS, FUNNEL_COLUMNS)}
_STAGE_INDEX = pd.Index(STAGES, name="stage")


@dataclass(frozen=True)
class Estimate:
    """An expected value with its 95% interval."""

    expected: float
    low: float
    high: float


@dataclass(frozen=True)
class WhatIfResult:
    """What a candidate SLA would have done over the history, beside the baseline.

    Per-month figures are for each complete month of the history (see :class:`WhatIfArrays`);
    scalar figures are for an *average month*: totals over the history divided by its months.
    MQLs are counted in the month the lead was created. The baseline is the leads actually handed
    to sales (``baseline=None``) or a baseline candidate applied to every month.
    """

    months: pd.PeriodIndex
    #: Per month (index ``month``), the columns :data:`MONTHLY_COLUMNS`: candidate, baseline and
    #: actual MQLs, extrapolated MQLs, expected SQLs, wins and revenue with 95% bounds
    #: (``_low``/``_high``), the baseline's expected SQLs, wins and revenue, and MQLs per rep a week.
    monthly: pd.DataFrame
    #: Per channel (index ``channel``), average month: ``mqls``, ``baseline_mqls``, ``change``,
    #: ``change_share`` (NaN without baseline MQLs), ``quota`` (NaN where the candidate sets none).
    by_channel: pd.DataFrame
    #: Per rejection reason (index ``reason``, ``label``), average month, most movement first:
    #: ``removed`` (rejections of baseline MQLs the candidate drops: their recorded reasons, or the
    #: expected ones for baseline MQLs never handed over), ``added`` (rejections expected from the
    #: leads the candidate adds; recorded reasons for those that were handed over), ``net``.
    reasons: pd.DataFrame
    #: The reverse funnel for the candidate's goal (index ``stage``): ``needed`` and ``rate_in``
    #: from :func:`sla_model.metrics.funnel.reverse_funnel` with the candidate's rates, the candidate's
    #: ``quota``, its ``expected`` average month and ``gap`` = expected − needed.
    funnel: pd.DataFrame
    mqls: float
    baseline_mqls: float
    sqls: Estimate
    won: Estimate
    revenue: Estimate
    baseline_sqls: Estimate
    baseline_won: Estimate
    baseline_revenue: Estimate
    #: Expected accepted / (accepted + rejected) among the MQLs.
    acceptance_rate: float
    baseline_acceptance_rate: float
    #: True when some candidate MQLs fall in channel × band cells the history never handed to sales.
    extrapolated: bool
    #: The share of candidate MQLs whose estimates are extrapolated.
    extrapolated_share: float
    #: Score bands holding extrapolated MQLs.
    extrapolated_bands: tuple[str, ...]
    #: The share of candidate MQLs whose rates rest on fewer than ``stats.SMALL_SAMPLE`` MQLs.
    small_sample_share: float
    load_per_rep_week: float
    baseline_load_per_rep_week: float
    peak_load_per_rep_week: float
    capacity_per_rep_week: float
    #: True when the candidate's average week exceeds the reps' capacity.
    over_capacity: bool
    months_over_capacity: int
    #: Contact attempts a rep must make a week to give every MQL the minimum touches.
    touches_per_rep_week: float
    #: MQLs per rep a week the goal needs (from the reverse funnel).
    needed_load_per_rep_week: float
    revenue_goal: float
    #: Expected revenue over the goal, minus one (−0.09 = missed by 9%).
    revenue_gap: float
    baseline_revenue_gap: float
    #: The expected revenue meets the goal and the reps are within capacity.
    goal_reachable: bool
    verdict: str

    @property
    def mql_change(self) -> float:
        """Relative change in MQLs against the baseline (NaN when the baseline has none)."""
        return float(safe_rate(self.mqls - self.baseline_mqls, self.baseline_mqls))

    @property
    def acceptance_change_pts(self) -> float:
        """Change in the expected acceptance rate, in percentage points."""
        return 100 * (self.acceptance_rate - self.baseline_acceptance_rate)

    @property
    def rejection_rate(self) -> float:
        """Expected rejections among decided MQLs: one minus the acceptance rate."""
        return 1 - self.acceptance_rate

    @property
    def baseline_rejection_rate(self) -> float:
        """The baseline's rejections among decided MQLs."""
        return 1 - self.baseline_acceptance_rate


def _expected(model: _Model, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Expected SQL, won, accepted, rejected per row of MQL ``counts`` (rows × cells), with SQL/won bounds.

    The bounds are a 95% normal-approximation predictive interval: binomial noise of each lead's
    outcome plus the sampling error of the observed rates (cells sharing a source move together).
    """
    mean = counts @ model.rates
    per_source = counts @ model.source
    var = counts @ model.outcome_var + per_source**2 @ model.source_var
    half = Z95 * np.sqrt(var)
    low = np.clip(mean[:, :2] - half, 0, None)
    high = np.minimum(mean[:, :2] + half, counts.sum(axis=1, keepdims=True))
    return mean, low, high


@dataclass(frozen=True)
class Replay:
    """What a set of MQLs gives in an average month of some history months (see :func:`replay_months`)."""

    months: pd.PeriodIndex
    mqls: float
    sqls: Estimate
    won: Estimate
    revenue: Estimate


def replay_months(
    arrays: WhatIfArrays, mask: np.ndarray, months: Sequence[pd.Period], *, average_deal_size: float
) -> Replay:
    """The SQLs, wins and revenue ``mask``'s MQLs would record in an average month of ``months``, with 95% intervals.

    A backtest's replay: the rates :func:`evaluate` applies (per channel × score band) give each
    MQL's eventual SQL and win; the delays the history recorded from handover to each outcome
    spread them over the months after its handover. So a month's SQLs include those of MQLs
    handed over the months before, as the month's actual count does. MQLs are counted in the month
    of their creation (as :func:`evaluate` does), outcomes in the month they fall in; nothing after
    the snapshot. The interval adds each MQL's binomial noise and the rates' sampling error.

    Args:
        arrays: from :func:`prepare`.
        mask: per lead, True for the MQLs to replay (e.g. each month's leads under the version in
            force, :func:`mql_mask`); leads outside the history are left out.
        months: months of the history; others are ignored.
        average_deal_size: revenue per win.
    """
    chosen = arrays.months[arrays.months.isin(list(months))]
    n = max(len(chosen), 1)
    model, n_bands = arrays._model, len(arrays.bands)
    sel = np.flatnonzero(np.asarray(mask, dtype=bool) & (arrays.month >= 0) & (arrays.month < arrays.n_months))
    age, cell = arrays.handover_age[sel], arrays.channel[sel].astype(np.int64) * n_bands + arrays.band[sel]
    n_cells = model.rates.shape[0]
    now = arrays.as_of
    values = []
    for k, curve in enumerate(arrays._curves):
        within = np.zeros(len(sel))  # the chance the outcome, if it comes, falls in one of the months
        for period in chosen:
            start = (now - period.start_time) / pd.Timedelta(days=1)
            end = max((now - (period + 1).start_time) / pd.Timedelta(days=1), 0.0)
            within += _share_by(curve, age - end) - _share_by(curve, age - start)
        w = np.bincount(cell, weights=within, minlength=n_cells)
        w2 = np.bincount(cell, weights=within**2, minlength=n_cells)
        used = w > 0
        p = model.rates[used, k]
        mean = float(w[used] @ p)
        binomial = float(w[used] @ p - w2[used] @ p**2)
        sampling = float(((w[used] @ model.source[used]) ** 2) @ model.source_var[:, k])
        half = Z95 * math.sqrt(max(binomial + sampling, 0.0)) if not math.isnan(mean) else math.nan
        values.append(Estimate(mean / n, max(mean - half, 0.0) / n, (mean + half) / n))
    sqls, won = values
    deal = average_deal_size
    revenue = Estimate(won.expected * deal, won.low * deal, won.high * deal)
    mqls = float(np.isin(arrays.month[sel], np.flatnonzero(arrays.months.isin(list(chosen)))).sum()) / n
    return Replay(months=chosen, mqls=mqls, sqls=sqls, won=won, revenue=revenue)


def _ratio(a: float, b: float) -> float:
    return a / b if b > 0 else float("nan")


def evaluate(arrays: WhatIfArrays, candidate: Candidate, *, baseline: Candidate | None = None) -> WhatIfResult:
    """Replay a candidate SLA over the history and estimate what it would deliver, beside a baseline.

    The history is every complete month before the snapshot (:class:`WhatIfArrays`); the
    candidate's definition is applied to every month of it, and scalar results describe an average
    month (history totals ÷ months). Expected SQLs, wins, acceptance and rejection reasons apply
    the rates observed per channel × score band among the history's MQLs to the candidate's MQLs;
    a cell the history never handed to sales borrows its band's rate pooled over channels, or the
    nearest observed band's, and its MQLs count as extrapolated. MQLs too young to have reached SQL
    or a win yet count as the share of those outcomes their age has seen (:func:`completion`), so
    the youngest cohorts do not pull the rates down. Revenue is expected wins × the candidate's
    average deal size.
    Load per rep is MQLs ÷ weeks ÷ team size; the candidate is over capacity when its average week
    exceeds ``capacity_per_rep_week``.

    Per slider move this is one mask, one ``bincount`` over all leads and arithmetic on small
    tables; the baseline's mask is computed once per prepared data set and cached.

    Args:
        arrays: from :func:`prepare`.
        candidate: the controls.
        baseline: the SLA to compare with, applied to every month, with its own deal size, goal and
            team; ``None`` compares with the leads actually handed to sales, valued with the
            candidate's deal size, goal and team.

    Examples:
        >>> from sla_model.generator import generate, sample_slas
        >>> from sla_model.whatif.arrays import prepare
        >>> data = generate(n_leads=2_000)
        >>> arrays = prepare(data.leads, sample_slas(), as_of=data.as_of)
        >>> now = Candidate.from_sla(sample_slas()[-1], team_size=8, capacity_per_rep_week=5)
        >>> looser = evaluate(arrays, now.replace(score_threshold=45), baseline=now)
        >>> looser.mqls > looser.baseline_mqls, len(looser.monthly) == arrays.n_months
        (True, True)
    """
    model, n_months, n_bands = arrays._model, arrays.n_months, len(arrays.bands)
    base = baseline if baseline is not None else candidate
    shape = arrays._actual_counts.shape  # months × cells × classes
    keys, base_counts = _baseline_counts(arrays, baseline)
    joint = _counts(keys, mql_mask(arrays, candidate), 2 * math.prod(shape)).reshape(*shape, 2)

    # MQLs per month and cell: candidate, baseline; then both for the average month.
    cand = joint.sum(axis=(2, 3))
    ref = base_counts.sum(axis=2)
    div = max(n_months, 1)
    rows = np.concatenate([cand, ref, cand.sum(axis=0, keepdims=True) / div, ref.sum(axis=0, keepdims=True) / div])
    mean, low, high = _expected(model, rows)
    m, avg, b_avg = slice(0, n_months), 2 * n_months, 2 * n_months + 1
    mqls, baseline_mqls = float(rows[avg].sum()), float(rows[b_avg].sum())
    deal, b_deal = candidate.average_deal_size, base.average_deal_size

    def _estimates(row: int, deal: float) -> tuple[Estimate, Estimate, Estimate]:
        sqls = Estimate(float(mean[row, 0]), float(low[row, 0]), float(high[row, 0]))
        won = Estimate(float(mean[row, 1]), float(low[row, 1]), float(high[row, 1]))
        return sqls, won, Estimate(won.expected * deal, won.low * deal, won.high * deal)

    sqls, won, revenue = _estimates(avg, deal)
    b_sqls, b_won, b_revenue = _estimates(b_avg, b_deal)
    acceptance = _ratio(mean[avg, 2], mean[avg, 2] + mean[avg, 3])
    b_acceptance = _ratio(mean[b_avg, 2], mean[b_avg, 2] + mean[b_avg, 3])

    cand_total = cand.sum(axis=0)
    extra_m = cand[:, model.unobserved].sum(axis=1)
    extrapolated_share = _ratio(float(extra_m.sum()), float(cand_total.sum()))
    small_share = _ratio(float(cand_total[model.small].sum()), float(cand_total.sum()))
    extra_cells = np.flatnonzero((cand_total > 0) & model.unobserved)
    extrapolated_bands = tuple(arrays.bands[b] for b in np.unique(extra_cells % n_bands))

    weeks = arrays._weeks
    weeks_avg = float(weeks.sum()) / n_months if n_months else float("nan")
    load_m = cand.sum(axis=1) / weeks / candidate.team_size
    b_load_m = ref.sum(axis=1) / weeks / base.team_size
    load, b_load = mqls / weeks_avg / candidate.team_size, baseline_mqls / weeks_avg / base.team_size
    capacity = candidate.capacity_per_rep_week
    over = bool(load > capacity)

    # Rejections removed (baseline MQLs dropped) and added (candidate MQLs outside the baseline):
    # recorded reasons for leads that were handed over (classes 2+), expected ones for the rest.
    kept, added = joint[..., 1].sum(axis=0), joint[..., 0].sum(axis=0)  # cells × classes
    removed = base_counts.sum(axis=0) - kept
    removed_r = (removed[:, 2:].sum(axis=0) + removed[:, 0] @ model.reason_rates) / div
    added_r = (added[:, 2:].sum(axis=0) + added[:, 0] @ model.reason_rates) / div
    movement = np.nan_to_num(removed_r) + np.nan_to_num(added_r)
    order = np.lexsort((np.arange(len(movement)), -movement))
    reasons = pd.DataFrame(
        np.column_stack([removed_r, added_r, added_r - removed_r])[order],
        index=arrays._reason_index.take(order),
        columns=_COLUMN_INDEX[REASON_COLUMNS],
    )

    ch_cand = rows[avg].reshape(-1, n_bands).sum(axis=1)
    ch_ref = rows[b_avg].reshape(-1, n_bands).sum(axis=1)
    quotas = candidate.channel_quotas
    by_channel = pd.DataFrame(
        np.column_stack(
            [
                ch_cand,
                ch_ref,
                ch_cand - ch_ref,
                safe_rate(ch_cand - ch_ref, ch_ref),
                [quotas.get(c, np.nan) for c in arrays.channels],
            ]
        ),
        index=arrays._channel_index,
        columns=_COLUMN_INDEX[CHANNEL_COLUMNS],
    )

    b_m = slice(n_months, 2 * n_months)
    monthly = pd.DataFrame(
        np.column_stack(
            [
                cand.sum(axis=1),
                ref.sum(axis=1),
                arrays._actual_counts.sum(axis=(1, 2)),
                extra_m,
                mean[m, 0],
                low[m, 0],
                high[m, 0],
                mean[m, 1],
                low[m, 1],
                high[m, 1],
                mean[m, 1] * deal,
                low[m, 1] * deal,
                high[m, 1] * deal,
                mean[b_m, 0],
                mean[b_m, 1],
                mean[b_m, 1] * b_deal,
                load_m,
                b_load_m,
            ]
        ),
        index=arrays._month_index,
        columns=_COLUMN_INDEX[MONTHLY_COLUMNS],
    )

    leads_avg = float(arrays.leads_per_month.sum()) / div
    rates = FunnelRates(
        lead_to_mql=_ratio(mqls, leads_avg),
        mql_to_sql=_ratio(sqls.expected, mqls),
        sql_to_won=_ratio(won.expected, sqls.expected),
        average_deal_size=deal,
        leads=int(arrays.leads_per_month.sum()),
        mqls=round(mqls * n_months),
        sqls=round(np.nan_to_num(sqls.expected) * n_months),
        won=round(np.nan_to_num(won.expected) * n_months),
    )
    needed = reverse_funnel(candidate.revenue_goal, deal, rates)
    needed_n, rate_in = needed["needed"].to_numpy(dtype=float), needed["rate_in"].to_numpy(dtype=float)
    quota = [candidate.revenue_goal, candidate.quota_won, candidate.quota_sqls, candidate.quota_mqls, np.nan]
    expected = np.array([revenue.expected, won.expected, sqls.expected, mqls, leads_avg])
    funnel = pd.DataFrame(
        np.column_stack([needed_n, rate_in, quota, expected, expected - needed_n]),
        index=_STAGE_INDEX,
        columns=_COLUMN_INDEX[FUNNEL_COLUMNS],
    )
    needed_load = needed_n[STAGES.index("mqls")] / weeks_avg / candidate.team_size

    revenue_gap = _ratio(revenue.expected, candidate.revenue_goal) - 1
    b_revenue_gap = _ratio(b_revenue.expected, base.revenue_goal) - 1
    summary = {
        "n_months": n_months,
        "mqls": mqls,
        "baseline_mqls": baseline_mqls,
        "acceptance_rate": acceptance,
        "baseline_acceptance_rate": b_acceptance,
        "revenue_gap": revenue_gap,
        "baseline_revenue_gap": b_revenue_gap,
        "over_capacity": over,
        "load": load,
        "capacity": capacity,
        "extrapolated_share": extrapolated_share,
    }
    return WhatIfResult(
        months=arrays.months,
        monthly=monthly,
        by_channel=by_channel,
        reasons=reasons,
        funnel=funnel,
        mqls=mqls,
        baseline_mqls=baseline_mqls,
        sqls=sqls,
        won=won,
        revenue=revenue,
        baseline_sqls=b_sqls,
        baseline_won=b_won,
        baseline_revenue=b_revenue,
        acceptance_rate=acceptance,
        baseline_acceptance_rate=b_acceptance,
        extrapolated=bool(extra_m.sum() > 0),
        extrapolated_share=extrapolated_share,
        extrapolated_bands=extrapolated_bands,
        small_sample_share=small_share,
        load_per_rep_week=load,
        baseline_load_per_rep_week=b_load,
        peak_load_per_rep_week=float(load_m.max()) if n_months else float("nan"),
        capacity_per_rep_week=capacity,
        over_capacity=over,
        months_over_capacity=int((load_m > capacity).sum()),
        touches_per_rep_week=load * candidate.min_touches,
        needed_load_per_rep_week=float(needed_load),
        revenue_goal=candidate.revenue_goal,
        revenue_gap=revenue_gap,
        baseline_revenue_gap=b_revenue_gap,
        goal_reachable=bool(revenue_gap >= 0 and not over),
        verdict=verdict_text(summary),
    )
