"""The lead history as numpy arrays and conversion tables, prepared once per data version for the what-if engine."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, fields

import numpy as np
import pandas as pd

from sla_model.agreement.qualify import QUALIFY_COLUMNS
from sla_model.agreement.sla import Sla, in_force_index, ordered
from sla_model.metrics.lifecycle import SQL_COLUMNS, is_accepted, reached_sql, sql_reached_at
from sla_model.metrics.quality import SCORE_BAND_EDGES, score_band
from sla_model.metrics.stats import SMALL_SAMPLE, Z95, safe_rate

#: Lead columns :func:`prepare` reads.
WHATIF_COLUMNS = (
    *QUALIFY_COLUMNS,
    "created_at",
    "channel",
    "owner",
    "mql_at",
    "accepted_at",
    "rejected_at",
    "rejection_reason",
    *SQL_COLUMNS,
    "amount",
)
#: The label of rejections recorded without a reason.
NO_REASON = "(no reason)"
#: The label of leads without a channel.
NO_CHANNEL = "(no channel)"


@dataclass(frozen=True)
class _Model:
    """Per (channel, band) cell: rates and variance terms, with each cell's rate source."""

    #: Rates per lead handed over, columns: SQL, won, accepted, rejected.
    rates: np.ndarray
    #: Binomial variance per lead for SQL and won (Agresti–Coull centre).
    outcome_var: np.ndarray
    #: One-hot map from cells to the source their rates come from (own cell, band pool, no data).
    source: np.ndarray
    #: Variance of each source's SQL and won rates.
    source_var: np.ndarray
    #: Share of MQLs rejected for each reason, per cell.
    reason_rates: np.ndarray
    #: True where the history never handed a lead of that cell to sales.
    unobserved: np.ndarray
    #: True where the cell's rates rest on fewer than ``SMALL_SAMPLE`` MQLs.
    small: np.ndarray


@dataclass(frozen=True, eq=False)
class WhatIfArrays:
    """Everything the what-if engine reads, as numpy arrays built once per data version by :func:`prepare`.

    Per-lead arrays are positional, aligned with the rows of the prepared frame. Codes index the
    category tuples; ``-1`` is a missing value (persona, country, owner, reason, version, month).

    The *history* is every complete calendar month: from the month of the first lead to the month
    before ``as_of`` (the month in progress is left out). ``months`` lists those months; a lead's
    ``month`` is its creation month's index, ``n_months`` or more for leads created later (kept for
    :func:`mql_mask`, ignored by :func:`evaluate`). The conversion tables count the leads of the
    history that were handed to sales (MQLs), per channel × score band.
    """

    score: np.ndarray
    company_size: np.ndarray
    page_views: np.ndarray
    form_submissions: np.ndarray
    demo_request: np.ndarray
    persona: np.ndarray
    country: np.ndarray
    channel: np.ndarray
    owner: np.ndarray
    month: np.ndarray
    version: np.ndarray
    band: np.ndarray
    #: Days from each lead's handover to sales (its creation if it never was) to the snapshot.
    handover_age: np.ndarray
    is_mql: np.ndarray
    accepted: np.ndarray
    rejected: np.ndarray
    sql: np.ndarray
    won: np.ndarray
    reason: np.ndarray
    amount: np.ndarray
    personas: tuple[str, ...]
    countries: tuple[str, ...]
    channels: tuple[str, ...]
    owners: tuple[str, ...]
    reasons: tuple[str, ...]
    reason_labels: dict[str, str]
    bands: tuple[str, ...]
    months: pd.PeriodIndex
    versions: tuple[Sla, ...]
    as_of: pd.Timestamp
    #: Leads created per history month.
    leads_per_month: np.ndarray
    #: Conversion tables over the history's MQLs, shape (channels, bands) (reasons: × reasons).
    hist_mqls: np.ndarray
    hist_accepted: np.ndarray
    hist_rejected: np.ndarray
    hist_sqls: np.ndarray
    hist_won: np.ndarray
    hist_amount: np.ndarray
    hist_priced: np.ndarray  #: won deals with an amount
    hist_reasons: np.ndarray
    _model: _Model = field(repr=False)
    #: Per outcome (SQL, won): the delays from handover and the share of outcomes reached by each.
    _curves: tuple = field(repr=False)
    _key0: np.ndarray = field(repr=False)
    _key_actual: np.ndarray = field(repr=False)
    _actual_counts: np.ndarray = field(repr=False)
    _weeks: np.ndarray = field(repr=False)
    _month_index: pd.PeriodIndex = field(repr=False)
    _channel_index: pd.Index = field(repr=False)
    _reason_index: pd.MultiIndex = field(repr=False)
    _cache: dict = field(default_factory=dict, init=False, repr=False)

    @property
    def n_months(self) -> int:
        """How many complete months the history holds."""
        return len(self.months)

    @property
    def observed_deal_size(self) -> float:
        """The mean amount of the deals won from the history's MQLs that have an amount (NaN without any)."""
        return float(safe_rate(self.hist_amount.sum(), self.hist_priced.sum()))

    def conversion_table(self) -> pd.DataFrame:
        """The history's MQLs per channel × score band with their outcomes (counts), for display.

        Columns: ``channel``, ``band``, ``mqls``, ``accepted``, ``rejected``, ``sqls``, ``won``.
        """
        n_channels, n_bands = self.hist_mqls.shape
        return pd.DataFrame(
            {
                "channel": np.repeat(np.array(self.channels, dtype=object), n_bands),
                "band": np.tile(np.array(self.bands, dtype=object), n_channels),
                "mqls": self.hist_mqls.ravel(),
                "accepted": self.hist_accepted.ravel(),
                "rejected": self.hist_rejected.ravel(),
                "sqls": self.hist_sqls.ravel(),
                "won": self.hist_won.ravel(),
            }
        )


def _numbers(col: pd.Series, *, missing: float, low: float) -> np.ndarray:
    """A numeric column as the smallest integer dtype that holds it; comparisons with integers unchanged.

    Flooring keeps ``x >= k`` for every integer ``k``; values below ``low`` become ``low``.
    """
    values = np.floor(col.to_numpy(dtype=float, na_value=missing))
    values = np.maximum(values, low)
    top = values.max(initial=0)
    for dtype in (np.int16, np.int32):
        if top <= np.iinfo(dtype).max:
            return values.astype(dtype)
    return np.minimum(values, np.iinfo(np.int64).max).astype(np.int64)


def _codes(col: pd.Series) -> tuple[np.ndarray, tuple[str, ...]]:
    """Category codes (-1 = missing) and the category names, without touching per-row strings twice."""
    cat = col if isinstance(col.dtype, pd.CategoricalDtype) else col.astype("category")
    return cat.cat.codes.to_numpy(), tuple(str(c) for c in cat.cat.categories)


def _band_names() -> tuple[str, ...]:
    return tuple(str(c) for c in score_band(pd.Series([], dtype=float)).cat.categories)


def _default_as_of(leads: pd.DataFrame) -> pd.Timestamp | None:
    latest = [leads[c].max() for c in leads.columns if c.endswith("_at") and len(leads)]
    latest = [t for t in latest if pd.notna(t)]
    return pd.Timestamp(max(latest)) if latest else None


def prepare(
    leads: pd.DataFrame, versions: Sequence[Sla], *, as_of: dt.datetime | pd.Timestamp | None = None
) -> WhatIfArrays:
    """Turn the leads frame into the arrays and conversion tables the what-if engine reads.

    Run once per data version (the result is read-only and can be shared); :func:`evaluate` never
    touches the frame again.

    Args:
        leads: the analysis frame (``repository.load_leads``); it needs :data:`WHATIF_COLUMNS`.
        versions: the SLA versions, for the version in force at each lead's creation and the
            rejection reason labels.
        as_of: the snapshot time; its month is in progress and left out of the history. Defaults
            to the latest timestamp in the frame.

    Raises:
        ValueError: when the frame lacks a column the engine reads.
    """
    missing = [c for c in WHATIF_COLUMNS if c not in leads.columns]
    if missing:
        raise ValueError(f"the leads frame lacks the column(s) the what-if engine reads: {', '.join(missing)}")
    versions = tuple(ordered(versions))
    as_of = pd.Timestamp(as_of) if as_of is not None else _default_as_of(leads)

    score = _numbers(leads["score"], missing=-1, low=-1)
    company_size = _numbers(leads["company_size"], missing=0, low=-1)
    page_views = _numbers(leads["page_views"], missing=0, low=-1)
    form_submissions = _numbers(leads["form_submissions"], missing=0, low=-1)
    demo_request = leads["demo_request"].to_numpy(dtype=bool, na_value=False)
    persona, personas = _codes(leads["persona"])
    country, countries = _codes(leads["country"])
    channel, channels = _codes(leads["channel"])
    if (channel < 0).any():
        channel = np.where(channel < 0, len(channels), channel)
        channels = (*channels, NO_CHANNEL)
    owner, owners = _codes(leads["owner"])
    reason, reasons = _codes(leads["rejection_reason"])
    reasons = (*reasons, NO_REASON)
    labels: dict[str, str] = {NO_REASON: NO_REASON}
    for sla in versions:
        labels |= sla.reason_labels()

    created = leads["created_at"].to_numpy(dtype="datetime64[ns]")
    created_month = created.astype("datetime64[M]")
    valid = ~np.isnat(created_month)
    if valid.any() and as_of is not None:
        first = created_month[valid].min()
        current = np.datetime64(as_of, "M")
        months = pd.period_range(pd.Period(str(first), "M"), pd.Period(str(current), "M"), freq="M")[:-1]
        month = np.where(valid, (created_month - first).astype(np.int64), -1)
    else:
        months = pd.PeriodIndex([], freq="M")
        month = np.full(len(leads), -1, dtype=np.int64)
    n_months = len(months)
    month = month.astype(np.int16 if month.max(initial=0) < np.iinfo(np.int16).max else np.int32)
    version = in_force_index(versions, created).astype(np.int16) if versions else np.full(len(leads), -1, np.int16)
    version[~valid] = -1

    bands = _band_names()
    band_of_score = np.searchsorted(np.array(SCORE_BAND_EDGES), np.arange(101), side="right") - 1
    band = band_of_score[np.clip(score, 0, 100)].astype(np.int8)

    is_mql = leads["mql_at"].notna().to_numpy()
    accepted = is_accepted(leads).to_numpy()  # a converted lead was accepted by sales
    rejected = leads["rejected_at"].notna().to_numpy()
    sql = reached_sql(leads).to_numpy()  # a won or lost lead reached SQL
    won = leads["won_at"].notna().to_numpy()
    amount = leads["amount"].to_numpy(dtype=float, na_value=np.nan)

    n_channels, n_bands, n_reasons = len(channels), len(bands), len(reasons)
    n_cells, n_classes = n_channels * n_bands, 2 + n_reasons
    bins = n_months * n_cells * n_classes * 2
    cell = channel.astype(np.int64) * n_bands + band
    reason_slot = np.where(reason < 0, n_reasons - 1, reason.astype(np.int64))
    klass = np.where(is_mql, np.where(rejected, 2 + reason_slot, 1), 0)
    in_history = (month >= 0) & (month < n_months)
    key0 = np.where(in_history, ((month.astype(np.int64) * n_cells + cell) * n_classes + klass) * 2, bins)
    key_actual = key0 + is_mql
    actual_counts = _counts(key_actual, is_mql, bins).reshape(n_months, n_cells, n_classes, 2)[..., 1]

    handed = in_history & is_mql

    def _table(flag: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        sel = handed & flag
        w = None if weights is None else np.nan_to_num(weights[sel])
        return np.bincount(cell[sel], weights=w, minlength=n_cells).reshape(n_channels, n_bands)

    hist_mqls = _table(np.True_)
    hist = {
        "hist_mqls": hist_mqls,
        "hist_accepted": _table(accepted),
        "hist_rejected": _table(rejected),
        "hist_sqls": _table(sql),
        "hist_won": _table(won),
        "hist_amount": _table(won, amount),
        "hist_priced": _table(won & ~np.isnan(amount)),
        "hist_reasons": actual_counts.sum(axis=0)[:, 2:].reshape(n_channels, n_bands, n_reasons).astype(np.int64),
    }
    leads_per_month = np.bincount(month[in_history], minlength=n_months)[:n_months]
    # A young MQL may still reach SQL or win: it counts as the share of those outcomes its age has seen.
    exposure = np.zeros((n_channels, n_bands, 2))
    handover = leads["mql_at"].fillna(leads["created_at"]).to_numpy(dtype="datetime64[ns]")
    now = np.datetime64(as_of, "ns") if as_of is not None else np.datetime64("NaT", "ns")
    handover_age = np.maximum((now - handover) / np.timedelta64(1, "D"), 0.0)
    curves = []
    for k, (flag, at) in enumerate(((sql, sql_reached_at(leads)), (won, leads["won_at"]))):
        age = handover_age[handed]
        reached = flag & handed
        delay = (at.to_numpy(dtype="datetime64[ns]")[reached] - handover[reached]) / np.timedelta64(1, "D")
        curve = _delay_curve(np.clip(np.nan_to_num(delay, nan=0.0), 0.0, handover_age[reached]), age)
        seen = _share_by(curve, age)
        exposure[..., k] = np.bincount(cell[handed], weights=seen, minlength=n_cells).reshape(n_channels, n_bands)
        curves.append(curve)
    model = _fit_model(
        np.stack([hist["hist_sqls"], hist["hist_won"], hist["hist_accepted"], hist["hist_rejected"]], axis=-1),
        hist["hist_reasons"],
        hist_mqls,
        exposure,
    )
    arrays = WhatIfArrays(
        score=score,
        company_size=company_size,
        page_views=page_views,
        form_submissions=form_submissions,
        demo_request=demo_request,
        persona=persona,
        country=country,
        channel=channel,
        owner=owner,
        month=month,
        version=version,
        band=band,
        handover_age=handover_age,
        is_mql=is_mql,
        accepted=accepted,
        rejected=rejected,
        sql=sql,
        won=won,
        reason=reason,
        amount=amount,
        personas=personas,
        countries=countries,
        channels=channels,
        owners=owners,
        reasons=reasons,
        reason_labels={r: labels.get(r, r) for r in reasons},
        bands=bands,
        months=months,
        versions=versions,
        as_of=as_of if as_of is not None else pd.NaT,
        leads_per_month=leads_per_month,
        **hist,
        _model=model,
        _curves=tuple(curves),
        _key0=key0,
        _key_actual=key_actual,
        _actual_counts=actual_counts,
        _weeks=months.days_in_month.to_numpy(dtype=float) / 7,
        _month_index=pd.PeriodIndex(months, name="month"),
        _channel_index=pd.Index(channels, name="channel"),
        _reason_index=pd.MultiIndex.from_arrays(
            [list(reasons), [labels.get(r, r) for r in reasons]], names=["reason", "label"]
        ),
    )
    for f in fields(arrays):  # shared by every session: nobody may write to it
        value = getattr(arrays, f.name)
        if isinstance(value, np.ndarray):
            value.flags.writeable = False
    return arrays


def completion(delays: np.ndarray, ages: np.ndarray) -> np.ndarray:
    """Per MQL, the share of its eventual outcomes of one kind (e.g. wins) an MQL of its age has shown.

    ``delays`` are the days from handover to each outcome the history recorded; ``ages`` the days
    from each MQL's handover to the snapshot. A long delay can only be seen on old MQLs, so each
    recorded delay counts once for every MQL too young to show it: it is weighted by the inverse
    of the share of MQLs at least that old. The result is that weighted distribution of delays,
    read at each MQL's age; all ones without a recorded outcome.

    Examples:
        >>> completion(np.array([10.0, 30.0]), np.array([5.0, 20.0, 40.0, 60.0])).tolist()
        [0.0, 0.4, 1.0, 1.0]
    """
    ages = np.asarray(ages, dtype=float)
    return _share_by(_delay_curve(delays, ages), ages)


def _delay_curve(delays: np.ndarray, ages: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The recorded delays, sorted, and the share of outcomes reached by each (see :func:`completion`)."""
    delays = np.asarray(delays, dtype=float)
    if not len(delays) or not len(ages):
        return np.array([0.0]), np.array([1.0])  # nothing recorded: nothing left to wait for
    old_enough = (len(ages) - np.searchsorted(np.sort(ages), delays, side="left")) / len(ages)
    weight = 1 / np.maximum(old_enough, 1 / len(ages))
    order = np.argsort(delays, kind="stable")
    return delays[order], np.cumsum(weight[order]) / weight.sum()


def _share_by(curve: tuple[np.ndarray, np.ndarray], days: np.ndarray) -> np.ndarray:
    """The share of outcomes reached within ``days`` of handover (0 before it)."""
    delays, share = curve
    at = np.searchsorted(delays, days, side="right") - 1
    return np.where(at >= 0, share[np.maximum(at, 0)], 0.0)


def _fit_model(outcomes: np.ndarray, reasons: np.ndarray, mqls: np.ndarray, exposure: np.ndarray) -> _Model:
    """Rates per (channel, band) cell from the history's counts, with the fallback for empty cells.

    SQL and won rates divide by ``exposure`` (channels × bands × 2): the MQLs counted by how much of
    their outcomes their age has seen (:func:`completion`), so young cohorts do not pull them down.
    A cell the history handed no lead of takes its band's rate pooled over channels; a band with no
    MQL at all takes the nearest observed band's pooled rate (the lower one on a tie).
    """
    n_channels, n_bands = mqls.shape
    n_cells = n_channels * n_bands
    pooled_n = mqls.sum(axis=0)
    observed_bands = np.flatnonzero(pooled_n > 0)
    # Sources: the cells, then one pool per band, then "no data" (NaN).
    source_of = np.full(n_cells, n_cells + n_bands, dtype=np.int64)
    for c in range(n_cells):
        b = c % n_bands
        if mqls.flat[c] > 0:
            source_of[c] = c
        elif len(observed_bands):
            nearest = observed_bands[np.argmin(np.abs(observed_bands - b))]
            source_of[c] = n_cells + nearest
    src_n = np.concatenate([mqls.ravel(), pooled_n, [0]]).astype(float)
    src_outcomes = np.concatenate(
        [outcomes.reshape(n_cells, outcomes.shape[-1]), outcomes.sum(axis=0), np.zeros((1, outcomes.shape[-1]))]
    ).astype(float)
    src_reasons = np.concatenate(
        [reasons.reshape(n_cells, reasons.shape[-1]), reasons.sum(axis=0), np.zeros((1, reasons.shape[-1]))]
    ).astype(float)
    src_exposure = np.concatenate([exposure.reshape(n_cells, 2), exposure.sum(axis=0), np.zeros((1, 2))]).astype(float)
    src_exposure = np.where(src_n[:, None] > 0, np.maximum(src_exposure, src_outcomes[:, :2]), 0.0)
    rates = safe_rate(src_outcomes, src_n[:, None])
    rates[:, :2] = np.where(src_exposure > 0, src_outcomes[:, :2] / np.where(src_exposure > 0, src_exposure, 1), 0.0)
    rates[src_n == 0] = np.nan
    # Agresti–Coull: the centre and the sampling variance of each source's SQL and won rates.
    z2 = Z95**2
    centre = (src_outcomes[:, :2] + z2 / 2) / (src_exposure + z2)
    var = centre * (1 - centre)
    var[src_n == 0] = np.nan
    used, column = np.unique(source_of, return_inverse=True)  # sources some cell reads
    one_hot = np.zeros((n_cells, len(used)))
    one_hot[np.arange(n_cells), column] = 1.0
    return _Model(
        rates=rates[source_of],
        outcome_var=var[source_of],
        source=one_hot,
        source_var=var[used] / (src_exposure[used] + z2),
        reason_rates=safe_rate(src_reasons, src_n[:, None])[source_of],
        unobserved=mqls.ravel() == 0,
        small=src_n[source_of] < SMALL_SAMPLE,
    )


def _counts(keys: np.ndarray, mask: np.ndarray, bins: int) -> np.ndarray:
    """How many masked leads fall in each of ``bins`` bins (keys at or past ``bins`` are dropped)."""
    return np.bincount(keys, weights=mask, minlength=bins + 2)[:bins]


def observed_team_size(arrays: WhatIfArrays) -> int:
    """How many reps owned MQLs created in the history's last month (0 without any): a starting point."""
    if not arrays.n_months:
        return 0
    last = (arrays.month == arrays.n_months - 1) & arrays.is_mql & (arrays.owner >= 0)
    return int(np.unique(arrays.owner[last]).size)
