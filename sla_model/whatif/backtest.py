"""Backtest: each SLA version replayed by the what-if engine over the months it was in force, against what happened."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sla_model.agreement.sla import in_force_index
from sla_model.metrics.progress import monthly_actuals
from sla_model.whatif.arrays import WhatIfArrays
from sla_model.whatif.candidate import Candidate
from sla_model.whatif.criteria import mql_mask
from sla_model.whatif.evaluation import replay_months

#: The measures a backtest compares, in the order the page shows them.
BACKTEST_MEASURES = ("mqls", "sqls", "won", "revenue")
#: Columns of :func:`backtest`'s frame.
BACKTEST_COLUMNS = (
    "version",
    "first_month",
    "last_month",
    "n_months",
    "measure",
    "replayed",
    "low",
    "high",
    "observed",
    "error",
    "inside",
)


def governed_months(arrays: WhatIfArrays) -> np.ndarray:
    """For each complete month of the history, the index of the version in force all month (-1 if it changed).

    Indexes point into ``arrays.versions`` (oldest first).

    Examples:
        >>> from sla_model.whatif.arrays import prepare
        >>> from sla_model.generator import generate, sample_slas
        >>> data = generate(n_leads=500)
        >>> governed_months(prepare(data.leads, sample_slas(), as_of=data.as_of)).tolist()
        [0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1]
    """
    if not arrays.versions or not arrays.n_months:
        return np.full(arrays.n_months, -1, dtype=np.int64)
    first = in_force_index(arrays.versions, arrays.months.start_time.to_numpy())
    last = in_force_index(arrays.versions, arrays.months.end_time.to_numpy())
    return np.where(first == last, first, -1).astype(np.int64)


def backtest(leads: pd.DataFrame, arrays: WhatIfArrays) -> pd.DataFrame:
    """Replay each SLA version over the complete months it was in force and compare with what happened.

    The replay is the what-if page's engine (:func:`sla_model.whatif.replay_months`): every month's
    leads qualified by the version in force at their creation, the history's conversion rates per
    channel × score band, the recorded delays to SQL and win, and the version's average deal size.
    *Observed* is what those months recorded, by the month of each event
    (:func:`sla_model.metrics.progress.monthly_actuals`, as Goal progress counts them), so a version's
    first months count SQLs and wins of MQLs the version before handed over, in the replay as in
    the data. Figures are per average month. A version in force over no complete month of the
    history has no rows.

    Args:
        leads: the leads frame ``arrays`` was prepared from.
        arrays: from :func:`sla_model.whatif.prepare`.

    Returns:
        One row per version and measure (:data:`BACKTEST_MEASURES`), oldest version first, with the
        columns :data:`BACKTEST_COLUMNS`: the SLA ``version`` number, its ``first_month``,
        ``last_month`` and ``n_months``, the ``replayed`` value with its 95% interval (``low``,
        ``high``; NaN for MQLs, which the replay counts exactly), the ``observed`` value, the relative
        ``error`` (replayed ÷ observed − 1; NaN when nothing was observed) and ``inside`` (the observed
        value lies within the interval; NA for MQLs).
    """
    governed = governed_months(arrays)
    actual = monthly_actuals(leads, arrays.months) if arrays.n_months else None
    candidates = [Candidate.from_sla(sla, team_size=1, capacity_per_rep_week=1) for sla in arrays.versions]
    history = np.zeros(len(arrays.month), dtype=bool)  # each lead under the version in force at its creation
    for i, candidate in enumerate(candidates):
        history |= (arrays.version == i) & mql_mask(arrays, candidate)
    rows = []
    for i, sla in enumerate(arrays.versions):
        chosen = governed == i
        if not chosen.any():
            continue
        months = arrays.months[chosen]
        r = replay_months(arrays, history, months, average_deal_size=sla.goal.average_deal_size)
        observed = actual.loc[months].mean()
        for measure in BACKTEST_MEASURES:
            if measure == "mqls":
                value, low, high = r.mqls, np.nan, np.nan
            else:
                estimate = getattr(r, measure)
                value, low, high = estimate.expected, estimate.low, estimate.high
            seen = float(observed[measure])
            rows.append(
                {
                    "version": sla.meta.version,
                    "first_month": months[0],
                    "last_month": months[-1],
                    "n_months": len(months),
                    "measure": measure,
                    "replayed": value,
                    "low": low,
                    "high": high,
                    "observed": seen,
                    "error": value / seen - 1 if seen > 0 else np.nan,
                    "inside": pd.NA if np.isnan(low) else bool(low <= seen <= high),
                }
            )
    frame = pd.DataFrame(rows, columns=list(BACKTEST_COLUMNS))
    frame["inside"] = frame["inside"].astype("boolean")
    return frame
