"""What-if: a candidate SLA replayed over the lead history, vectorised so sliders recompute at once."""

from __future__ import annotations

import datetime as dt
import math
import threading
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, fields
from typing import Annotated, Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator

from sla_model.agreement.qualify import QUALIFY_COLUMNS
from sla_model.agreement.sla import (
    Hours,
    MqlDefinition,
    NonNegInt,
    PositiveFloat,
    Sla,
    in_force_index,
    ordered,
    parse_sla,
    sla_to_dict,
)
from sla_model.metrics.funnel import STAGES, FunnelRates, reverse_funnel
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
#: Baseline masks kept per prepared data set (the SLA in force rarely changes while sliders move).
_BASELINE_CACHE = 4
_CACHE_LOCK = threading.Lock()
#: Above this many code comparisons, a persona/country test is a table lookup instead.
_MAX_COMPARISONS = 8
_MINUS = "\N{MINUS SIGN}"


# --- the controls --------------------------------------------------------------------------------


class Candidate(BaseModel):
    """Every control of the what-if page: an MQL definition, quotas, goal, team and follow-up rules.

    Personas and countries: an empty tuple admits any value. Triggers: 0 (or False) is off.
    ``team_size`` and ``capacity_per_rep_week`` (MQLs one rep can work in a week) describe the
    sales team; they are not part of an SLA document. Candidates are immutable and hashable;
    :meth:`replace` gives a validated copy with some controls changed.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    score_threshold: Annotated[int, Field(ge=0, le=100)]
    personas: tuple[str, ...] = ()
    min_company_size: NonNegInt = 0
    countries: tuple[str, ...] = ()
    demo_request: bool = False
    min_page_views: NonNegInt = 0
    min_form_submissions: NonNegInt = 0
    quota_mqls: NonNegInt
    quota_sqls: NonNegInt
    quota_won: NonNegInt
    mqls_by_channel: tuple[tuple[str, NonNegInt], ...] = ()
    revenue_goal: PositiveFloat
    average_deal_size: PositiveFloat
    team_size: Annotated[int, Field(ge=1)]
    capacity_per_rep_week: PositiveFloat
    first_touch_hours: Hours
    min_touches: Annotated[int, Field(ge=1, le=50)]
    touch_window_days: Annotated[int, Field(ge=1, le=90)]
    decision_hours: Hours

    @field_validator("mqls_by_channel", mode="before")
    @classmethod
    def _channel_items(cls, value: Any) -> Any:
        return tuple(value.items()) if isinstance(value, dict) else value

    @classmethod
    def from_sla(cls, sla: Sla, *, team_size: int, capacity_per_rep_week: float) -> Candidate:
        """The controls set to an SLA version's values, with a sales team of the given size and capacity."""
        mql, quotas, follow_up = sla.mql, sla.quotas, sla.follow_up
        return cls(
            score_threshold=mql.score_threshold,
            personas=tuple(mql.fit.personas),
            min_company_size=mql.fit.min_company_size,
            countries=tuple(mql.fit.countries),
            demo_request=mql.triggers.demo_request,
            min_page_views=mql.triggers.min_page_views,
            min_form_submissions=mql.triggers.min_form_submissions,
            quota_mqls=quotas.mqls,
            quota_sqls=quotas.sqls,
            quota_won=quotas.won,
            mqls_by_channel=quotas.mqls_by_channel,
            revenue_goal=sla.goal.monthly_revenue,
            average_deal_size=sla.goal.average_deal_size,
            team_size=team_size,
            capacity_per_rep_week=capacity_per_rep_week,
            first_touch_hours=follow_up.first_touch_hours,
            min_touches=follow_up.min_touches,
            touch_window_days=follow_up.touch_window_days,
            decision_hours=follow_up.decision_hours,
        )

    def replace(self, **changes: Any) -> Candidate:
        """A validated copy with ``changes`` applied (e.g. a slider's new value).

        Raises:
            pydantic.ValidationError: when a changed control is out of range.
        """
        return type(self).model_validate(self.model_dump() | changes)

    @property
    def channel_quotas(self) -> dict[str, int]:
        """The per-channel monthly MQL quotas."""
        return dict(self.mqls_by_channel)

    @property
    def definition(self) -> MqlDefinition:
        """The candidate's MQL definition, as an SLA states it."""
        return MqlDefinition(
            score_threshold=self.score_threshold,
            fit={
                "personas": list(self.personas),
                "min_company_size": self.min_company_size,
                "countries": list(self.countries),
            },
            triggers={
                "demo_request": self.demo_request,
                "min_page_views": self.min_page_views,
                "min_form_submissions": self.min_form_submissions,
            },
        )

    def to_sla(self, base: Sla, *, version: int, effective_from: dt.date, author: str, change_note: str) -> Sla:
        """A new SLA version: ``base`` with this candidate's definition, quotas, goal and follow-up rules.

        Everything the candidate does not control (SQL criteria, rejection reasons, recycling,
        review) is kept from ``base``; the team size and capacity are not part of an SLA.

        Raises:
            SlaError: naming the field and the problem (e.g. per-channel quotas above the total).
        """
        doc = sla_to_dict(base)
        doc["meta"] = {
            "version": version,
            "effective_from": effective_from,
            "author": author,
            "change_note": change_note,
        }
        doc["goal"] |= {"monthly_revenue": self.revenue_goal, "average_deal_size": self.average_deal_size}
        doc["quotas"] = {
            "mqls": self.quota_mqls,
            "sqls": self.quota_sqls,
            "won": self.quota_won,
            "mqls_by_channel": dict(self.mqls_by_channel),
        }
        doc["mql"] = self.definition.model_dump(mode="json")
        doc["follow_up"] = {
            "first_touch_hours": self.first_touch_hours,
            "min_touches": self.min_touches,
            "touch_window_days": self.touch_window_days,
            "decision_hours": self.decision_hours,
        }
        return parse_sla(doc, source=f"SLA version {version}")

    def _mask_key(self) -> tuple:
        return (
            self.score_threshold,
            frozenset(self.personas),
            self.min_company_size,
            frozenset(self.countries),
            self.demo_request,
            self.min_page_views,
            self.min_form_submissions,
        )


# --- arrays prepared once per data version -------------------------------------------------------


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


# --- the MQL mask --------------------------------------------------------------------------------


def _member(codes: np.ndarray, categories: tuple[str, ...], wanted: tuple[str, ...]) -> np.ndarray:
    """True where a lead's code is one of the ``wanted`` categories (a missing value never is).

    A few code comparisons where the wanted (or unwanted) categories are few, else a table lookup.
    """
    wanted_set = set(wanted)
    allowed = [i for i, name in enumerate(categories) if name in wanted_set]
    refused = [i for i, name in enumerate(categories) if name not in wanted_set]
    if not refused:
        return codes >= 0
    if len(allowed) <= min(len(refused), _MAX_COMPARISONS):
        out = np.zeros(codes.shape, dtype=bool)
        for i in allowed:
            out |= codes == i
        return out
    if len(refused) <= _MAX_COMPARISONS:
        out = codes >= 0
        for i in refused:
            out &= codes != i
        return out
    table = np.zeros(len(categories) + 1, dtype=bool)  # the last entry serves code -1 (missing)
    table[allowed] = True
    return np.take(table, codes)


def mql_mask(arrays: WhatIfArrays, candidate: Candidate) -> np.ndarray:
    """True where a lead is an MQL under the candidate's definition, for every lead prepared.

    The same rule as :func:`sla_model.agreement.qualify.mql_mask`: the lead fits (persona, company size,
    country) and it reaches the score threshold or fires an enabled trigger.
    """
    mask = arrays.score >= candidate.score_threshold
    if candidate.demo_request:
        mask |= arrays.demo_request
    if candidate.min_page_views > 0:
        mask |= arrays.page_views >= candidate.min_page_views
    if candidate.min_form_submissions > 0:
        mask |= arrays.form_submissions >= candidate.min_form_submissions
    mask &= arrays.company_size >= candidate.min_company_size
    for codes, categories, wanted in (
        (arrays.persona, arrays.personas, candidate.personas),
        (arrays.country, arrays.countries, candidate.countries),
    ):
        if wanted:
            mask &= _member(codes, categories, wanted)
    return mask


#: The lead field each MQL-definition control reads (see :func:`sla_model.metrics.coverage.empty_fields`).
CRITERION_FIELDS = {
    "score_threshold": "score",
    "personas": "persona",
    "min_company_size": "company_size",
    "countries": "country",
    "demo_request": "demo_request",
    "min_page_views": "page_views",
    "min_form_submissions": "form_submissions",
}


def unmeetable_criteria(candidate: Candidate, empty: Collection[str]) -> list[str]:
    """The candidate's MQL criteria no lead can meet because the field they read is empty in the data.

    ``empty`` names the empty lead fields (:func:`sla_model.metrics.coverage.empty_fields`). A criterion that
    asks nothing (a threshold of 0, no persona or country list, a trigger that is off) is never
    named. A fit criterion named here rules out every lead; a named score threshold leaves only the
    triggers. Returns control names (keys of :data:`CRITERION_FIELDS`) in the order of the controls.

    Examples:
        >>> c = Candidate(score_threshold=50, min_company_size=20, quota_mqls=1, quota_sqls=1, quota_won=1,
        ...               revenue_goal=1, average_deal_size=1, team_size=1, capacity_per_rep_week=1,
        ...               first_touch_hours=1, min_touches=1, touch_window_days=1, decision_hours=1)
        >>> unmeetable_criteria(c, {"score", "persona", "page_views"})
        ['score_threshold']
    """
    asks = {
        "score_threshold": candidate.score_threshold > 0,
        "personas": bool(candidate.personas),
        "min_company_size": candidate.min_company_size > 0,
        "countries": bool(candidate.countries),
        "demo_request": candidate.demo_request,
        "min_page_views": candidate.min_page_views > 0,
        "min_form_submissions": candidate.min_form_submissions > 0,
    }
    return [name for name, field_name in CRITERION_FIELDS.items() if asks[name] and field_name in empty]


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


def _signed(value: float, unit: str) -> str:
    sign = "+" if value > 0 else _MINUS if value < 0 else "±"
    return f"{sign}{abs(value):.0f}{unit}"


def _amount(value: float) -> str:
    return f"{value:.3g}" if abs(value) < 10 else f"{value:,.0f}"


def _verdict(r: dict[str, Any]) -> str:
    """The one-line summary a meeting can read, e.g. ``+18% MQLs, −6 pts acceptance, revenue goal ...``."""
    if not r["n_months"]:
        return "No complete month of history to replay the candidate on."
    parts = []
    if r["mqls"] == r["baseline_mqls"]:
        parts.append("same MQLs")
    elif r["baseline_mqls"] > 0:
        parts.append(f"{_signed(100 * (r['mqls'] / r['baseline_mqls'] - 1), '%')} MQLs")
    else:
        parts.append(f"{_amount(r['mqls'])} MQLs a month (none before)")
    pts = 100 * (r["acceptance_rate"] - r["baseline_acceptance_rate"])
    if not math.isnan(pts):
        parts.append("acceptance unchanged" if round(pts) == 0 else f"{_signed(pts, ' pts')} acceptance")
    gap, before = r["revenue_gap"], r["baseline_revenue_gap"]
    if math.isnan(gap):
        parts.append("no revenue estimate")
    else:
        was_met = not math.isnan(before) and before >= 0
        if gap >= 0:
            parts.append(f"revenue goal {'still' if was_met else 'now'} met ({_signed(100 * gap, '%')})")
        else:
            parts.append(f"revenue goal {'now' if was_met else 'still'} missed by {100 * -gap:.0f}%")
    if r["over_capacity"]:
        parts.append(f"reps over capacity ({_amount(r['load'])} vs {_amount(r['capacity'])} MQLs a week each)")
    if r["extrapolated_share"] >= 0.005:
        parts.append(f"{100 * r['extrapolated_share']:.0f}% of MQLs extrapolated")
    return ", ".join(parts)


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
        verdict=_verdict(summary),
    )


# --- follow-up rules replayed over the history's touches -----------------------------------------

#: The follow-up rules :func:`follow_up_replay` judges, in the order the SLA states them.
FOLLOW_UP_RULES = ("first_touch", "touches", "decision")
#: Columns of :func:`follow_up_replay`.
FOLLOW_UP_COLUMNS = ("judged", "within", "share_within", "breaches_per_month")


def follow_up_replay(
    leads: pd.DataFrame,
    touches: pd.DataFrame,
    *,
    months: pd.PeriodIndex,
    as_of: dt.datetime | pd.Timestamp,
    first_touch_hours: float,
    min_touches: int,
    touch_window_days: int,
    decision_hours: float,
) -> pd.DataFrame:
    """How the history's MQLs would have fared under candidate follow-up rules, from their recorded touches.

    The MQLs are the leads handed to sales in one of ``months`` (the history). Per rule:

    - ``first_touch``: the first touch at or after the handoff came within ``first_touch_hours``.
      Late touches and untouched, undecided MQLs whose window is over are breaches; an untouched
      MQL that sales decided anyway is not judged (its touches were not recorded), nor is one
      whose window is still running.
    - ``touches``: at least ``min_touches`` touches within ``touch_window_days`` of the handoff,
      or a decision inside that window (accepted, rejected for a reason other than no response,
      or reached SQL), as :func:`sla_model.metrics.timing.touch_compliance` judges it. Judged once it
      complies or its window is over.
    - ``decision``: accepted, rejected or taken to SQL within ``decision_hours``; judged once
      decided or once the window is over.

    Without a single touch in ``touches`` the two touch rules judge nothing (the data says nothing
    about the reps). ``breaches_per_month`` is the judged MQLs outside the rule ÷ months.

    Returns:
        One row per rule of :data:`FOLLOW_UP_RULES`, columns :data:`FOLLOW_UP_COLUMNS`
        (``share_within`` NaN where nothing is judged).
    """
    as_of64 = pd.Timestamp(as_of).to_datetime64()
    mql_at = leads["mql_at"].to_numpy(dtype="datetime64[ns]")
    month = pd.PeriodIndex(leads["mql_at"].dt.to_period("M"))
    in_history = ~np.isnat(mql_at) & np.asarray(month.isin(months))
    rows = leads[in_history]
    mql_at = mql_at[in_history]
    n = len(rows)
    hour = np.timedelta64(3600, "s").astype("timedelta64[ns]")

    pos = pd.Index(rows["lead_id"]).get_indexer(touches["lead_id"]) if n else np.full(len(touches), -1)
    at = touches["at"].to_numpy(dtype="datetime64[ns]")
    known = pos >= 0
    pos, at = pos[known], at[known]
    after = at >= mql_at[pos]
    pos, offset = pos[after], (at[after] - mql_at[pos[after]]) / hour
    first = np.full(n, np.inf)
    np.minimum.at(first, pos, offset)
    recorded = len(touches) > 0

    decided_at = _decided_at(rows)
    is_decided = ~np.isnat(decided_at)

    # First touch.
    touched = np.isfinite(first)
    ft_within = touched & (first <= first_touch_hours)
    ft_judged = (touched | (~is_decided & (mql_at + first_touch_hours * hour <= as_of64))) & recorded

    # K touches within D days, or a decision inside the window.
    window_end = mql_at + np.timedelta64(touch_window_days, "D").astype("timedelta64[ns]")
    in_window = np.bincount(pos[offset < touch_window_days * 24], minlength=n)
    accepted_in = rows["accepted_at"].to_numpy(dtype="datetime64[ns]") < window_end
    reason = rows["rejection_reason"].astype(object).to_numpy()
    rejected_in = (rows["rejected_at"].to_numpy(dtype="datetime64[ns]") < window_end) & (reason != "no_response")
    converted_in = sql_reached_at(rows).to_numpy(dtype="datetime64[ns]") < window_end
    t_within = (in_window >= min_touches) | accepted_in | rejected_in | converted_in
    t_judged = (t_within | (window_end <= as_of64)) & recorded

    # Decision within A hours.
    d_hours = (decided_at - mql_at) / hour
    d_within = is_decided & (d_hours <= decision_hours)
    d_judged = is_decided | (mql_at + decision_hours * hour <= as_of64)

    div = max(len(months), 1)
    out = []
    for within, judged in ((ft_within, ft_judged), (t_within & t_judged, t_judged), (d_within, d_judged)):
        j, w = int(judged.sum()), int((within & judged).sum())
        out.append((j, w, float(safe_rate(w, j)), (j - w) / div))
    return pd.DataFrame(out, index=pd.Index(FOLLOW_UP_RULES, name="rule"), columns=list(FOLLOW_UP_COLUMNS))


def _decided_at(leads: pd.DataFrame) -> np.ndarray:
    """When sales decided on each lead: the earliest of accepted, rejected and reaching SQL (NaT if never).

    Examples:
        >>> f = pd.DataFrame({"accepted_at": [pd.NaT, pd.Timestamp("2026-01-02")],
        ...                   "rejected_at": [pd.Timestamp("2026-01-05"), pd.NaT],
        ...                   "sql_at": [pd.NaT, pd.Timestamp("2026-01-01")], "opportunity_at": pd.NaT,
        ...                   "won_at": pd.NaT, "lost_at": pd.NaT})
        >>> [str(t)[:10] for t in _decided_at(f)]
        ['2026-01-05', '2026-01-01']
    """
    stack = np.stack(
        [
            leads["accepted_at"].to_numpy(dtype="datetime64[ns]"),
            leads["rejected_at"].to_numpy(dtype="datetime64[ns]"),
            sql_reached_at(leads).to_numpy(dtype="datetime64[ns]"),
        ]
    )
    filled = np.where(np.isnat(stack), np.datetime64("2262-01-01", "ns"), stack)
    low = filled.min(axis=0)
    return np.where(low == np.datetime64("2262-01-01", "ns"), np.datetime64("NaT", "ns"), low)
