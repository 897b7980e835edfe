"""Where the month will land: a Monte Carlo forecast of MQLs, won deals and revenue with 80% and 95% ranges.

The run-rate projection (:func:`sla_model.metrics.progress.progress`) carries the month so far to its end.
The forecast instead adds to what is already in:

* **MQLs still to come**: each remaining day's expected count is the mean for that weekday over the
  :data:`RATE_DAYS` days before ``as_of`` (today's remaining hours pro rata), scaled by the month's own level
  so far (MQLs so far ÷ what those weekday rates expected, shrunk towards 1 by a Gamma prior worth
  :data:`PRIOR_MQLS` MQLs, and drawn from its posterior, so the range includes the doubt about the level).
  The level also drifts within a month: how far the rest of each of the :data:`DRIFT_MONTHS` months before
  strayed from the level its first part showed (beyond what the counts' own noise explains) widens the
  range by a log-normal factor (:func:`level_drift`). Day-to-day noise is negative binomial with the day
  counts' dispersion (Pearson variance ÷ mean around the weekday means), or Poisson when that dispersion is
  at most 1.
* **Wins still to come**, from three sources: open SQLs, each with the observed probability that an SQL of
  its age wins before month end; open MQLs not yet SQL, likewise by their age since MQL; and the MQLs still
  to come, by the observed chance that a new MQL wins within the days left. The probabilities come from
  daily win and loss hazards by age over the :data:`PIPELINE_DAYS` days before ``as_of`` (Kaplan–Meier style,
  with losses, rejections and recycling as competing exits and leads still open censored at ``as_of``).
* **Revenue still to come**: each simulated win is worth a deal drawn from the amounts won over the same
  history (a bootstrap).

Everything is judged at ``as_of``: an event counts only when its time is before ``as_of``, so a forecast made
for a past moment (the backtest, :func:`backtest`) sees only what was known then. Simulations are vectorised
numpy draws from a fixed seed, so a page shows the same range on every run.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sla_model.metrics.lifecycle import sql_reached_at

#: Days of history the weekday MQL rates are taken from.
RATE_DAYS = 56
#: How many MQLs' worth of evidence the weekday rates weigh against the month's own MQLs so far (its level).
PRIOR_MQLS = 20
#: Past months the level's drift within a month is measured over.
DRIFT_MONTHS = 12
#: Days of history the win probabilities by age and the deal amounts are taken from.
PIPELINE_DAYS = 365
#: Simulated months per forecast.
N_SIMS = 4000
SEED = 7
#: The forecast's measures and how they are named.
FORECAST_LABELS = {"mqls": "MQLs", "won": "Won deals", "revenue": "Revenue"}
DAY = np.timedelta64(86_400_000_000_000, "ns")
_NAT = np.datetime64("NaT", "ns")


@dataclass(frozen=True)
class Timeline:
    """The lead timestamps the forecast reads, as numpy arrays (computed once, reused for every ``as_of``)."""

    mql: np.ndarray
    sql: np.ndarray  # when the lead reached SQL (lifecycle.sql_reached_at)
    won: np.ndarray
    lost: np.ndarray
    dropped: np.ndarray  # earliest of rejected, disqualified, recycled: the MQL left sales' pipeline
    amount: np.ndarray


def timeline(leads: pd.DataFrame) -> Timeline:
    """The timestamps of ``leads`` as :class:`Timeline` arrays."""

    def t(column: str) -> np.ndarray:
        return leads[column].to_numpy(dtype="datetime64[ns]")

    dropped = np.fmin(np.fmin(t("rejected_at"), t("disqualified_at")), t("recycled_at"))
    return Timeline(
        mql=t("mql_at"),
        sql=sql_reached_at(leads).to_numpy(dtype="datetime64[ns]"),
        won=t("won_at"),
        lost=t("lost_at"),
        dropped=dropped,
        amount=leads["amount"].to_numpy(dtype=float),
    )


def _known(times: np.ndarray, as_of: np.datetime64) -> np.ndarray:
    """``times`` as known at ``as_of``: later ones are not known yet (NaT)."""
    return np.where(times < as_of, times, _NAT)


@dataclass(frozen=True)
class Band:
    """One measure's forecast for the month: so far, the middle and the 80% and 95% ranges of the total."""

    actual: float
    median: float
    mean: float
    lo80: float
    hi80: float
    lo95: float
    hi95: float

    def covers(self, value: float, level: int = 80) -> bool:
        """True when ``value`` lies in the 80% (or 95%) range."""
        lo, hi = (self.lo80, self.hi80) if level == 80 else (self.lo95, self.hi95)
        return bool(lo <= value <= hi)


@dataclass(frozen=True)
class Forecast:
    """The month's forecast per measure (:data:`FORECAST_LABELS`), as seen at ``as_of``."""

    period: pd.Period
    as_of: pd.Timestamp
    bands: dict[str, Band]
    dispersion: float  # the MQL day counts' variance ÷ mean around their weekday means
    noise: str  # "Poisson" or "negative binomial"


def _band(actual: float, totals: np.ndarray) -> Band:
    q = np.quantile(totals, [0.5, 0.1, 0.9, 0.025, 0.975])
    return Band(float(actual), float(q[0]), float(totals.mean()), *(float(v) for v in q[1:]))


def weekday_rates(mql: np.ndarray, as_of: pd.Timestamp, days: int = RATE_DAYS) -> tuple[np.ndarray, float]:
    """Mean MQLs per weekday (Monday first) over the ``days`` whole days before ``as_of``, and the dispersion.

    The dispersion is the Pearson statistic ``Σ (count − mean)² ÷ mean`` over the days, divided by its degrees
    of freedom (days − 7): about 1 for Poisson counts, more for bursty ones.
    """
    day0 = np.datetime64(pd.Timestamp(as_of).normalize(), "ns")
    lo = day0 - days * DAY
    inside = (mql >= lo) & (mql < day0)
    counts = np.bincount(((mql[inside] - lo) // DAY).astype(np.int64), minlength=days)[:days].astype(float)
    weekday = (pd.Timestamp(lo).day_of_week + np.arange(days)) % 7
    per = np.bincount(weekday, weights=counts, minlength=7)
    n = np.bincount(weekday, minlength=7)
    means = np.where(n > 0, per / np.maximum(n, 1), 0.0)
    expected = means[weekday]
    used = expected > 0
    dof = max(int(used.sum()) - 7, 1)
    dispersion = float(((counts[used] - expected[used]) ** 2 / expected[used]).sum() / dof) if used.any() else 1.0
    return means, dispersion


def remaining_days(
    as_of: pd.Timestamp, start: pd.Timestamp, end: pd.Timestamp
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The rest of ``[start, end)`` after ``as_of`` by day: weekday, share of the day left, days to the end.

    The first day can be a part (``as_of`` mid-day); days to the end are measured from the middle of what is
    left of each day.
    """
    begin = max(pd.Timestamp(as_of), pd.Timestamp(start))
    end = pd.Timestamp(end)
    if begin >= end:
        return np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0)
    days = pd.date_range(begin.normalize(), end - pd.Timedelta(1, "ns"), freq="D")
    lo = np.maximum(days.to_numpy(dtype="datetime64[ns]"), np.datetime64(begin, "ns"))
    hi = np.minimum((days + pd.Timedelta(days=1)).to_numpy(dtype="datetime64[ns]"), np.datetime64(end, "ns"))
    share = (hi - lo) / DAY
    to_end = (np.datetime64(end, "ns") - (lo + (hi - lo) / 2)) / DAY
    return days.day_of_week.to_numpy(), share.astype(float), to_end.astype(float)


def _expected(means: np.ndarray, start: pd.Timestamp, stop: pd.Timestamp) -> float:
    """The MQLs the weekday ``means`` expect over ``[start, stop)``."""
    weekday, share, _ = remaining_days(start, start, stop)
    return float((means[weekday] * share).sum())


def _count(times: np.ndarray, start: pd.Timestamp, stop: pd.Timestamp) -> float:
    return float(((times >= np.datetime64(start, "ns")) & (times < np.datetime64(stop, "ns"))).sum())


def level_drift(mql: np.ndarray, into: pd.Timedelta, as_of: pd.Timestamp, months: int = DRIFT_MONTHS) -> float:
    """How much a month's MQL level drifts after its first ``into`` of time, as a log standard deviation.

    Over the complete months before ``as_of``'s (with :data:`RATE_DAYS` days of history before their cut): the
    rest of each month against the weekday rates as of its cut, divided by the level its first part showed
    (estimated as the forecast does), in logs. Its variance beyond what the counts' own noise explains
    (``1 ÷ MQLs so far + 1 ÷ MQLs expected after``) is the drift; 0 with fewer than 3 such months. Only MQLs
    before ``as_of`` are in ``mql``.
    """
    as_of = pd.Timestamp(as_of)
    first = mql[~np.isnat(mql)].min() if (~np.isnat(mql)).any() else None
    logs, noise = [], []
    for k in range(1, months + 1):
        month = as_of.to_period("M") - k
        start, end = month.start_time, (month + 1).start_time
        cut = min(start + into, end - pd.Timedelta(hours=1))
        if first is None or np.datetime64(cut, "ns") - RATE_DAYS * DAY < first:
            break
        means, _ = weekday_rates(mql, cut)
        so_far, after = _count(mql, start, cut), _count(mql, cut, end)
        level = (PRIOR_MQLS + so_far) / (PRIOR_MQLS + _expected(means, start, cut))
        rest = _expected(means, cut, end) * level
        if rest <= 0 or after <= 0:
            continue
        logs.append(np.log(after / rest))
        noise.append(1 / (PRIOR_MQLS + so_far) + 1 / rest)
    if len(logs) < 3:
        return 0.0
    return float(np.sqrt(max(np.var(logs, ddof=1) - np.mean(noise), 0.0)))


def win_curves(
    start: np.ndarray, won: np.ndarray, exits: np.ndarray, as_of: np.datetime64, ages: int = PIPELINE_DAYS + 40
) -> tuple[np.ndarray, np.ndarray]:
    """Survival ``S`` and cumulative win incidence ``F`` by age in whole days (arrays of ``ages + 1`` points).

    ``start`` is when each lead entered the stage (NaT: not in it), ``won`` when it won and ``exits`` when it
    left otherwise, all as known at ``as_of``; leads still open at ``as_of`` are censored there. Only leads that
    entered in the :data:`PIPELINE_DAYS` days before ``as_of`` count. ``S[k]`` is the share still open at age
    ``k`` days, ``F[k]`` the share won before age ``k``.
    """
    inside = (start >= as_of - PIPELINE_DAYS * DAY) & (start < as_of)
    s, w, x = start[inside], won[inside], exits[inside]
    w = np.where(w < s, s, w)  # a win recorded before the stage began counts at age 0
    stop = np.fmin(np.fmin(w, x), np.full(len(s), as_of))
    age = np.clip(((stop - s) // DAY).astype(np.int64), 0, ages - 1)
    is_win = ~np.isnat(w) & (w == stop)
    is_exit = ~is_win & ~np.isnat(x) & (x == stop)
    at_risk = np.cumsum(np.bincount(age, minlength=ages)[::-1])[::-1].astype(float)
    wins = np.bincount(age[is_win], minlength=ages).astype(float)
    outs = np.bincount(age[is_exit], minlength=ages).astype(float)
    h_win = np.divide(wins, at_risk, out=np.zeros(ages), where=at_risk > 0)
    h_out = np.divide(outs, at_risk, out=np.zeros(ages), where=at_risk > 0)
    survival = np.concatenate([[1.0], np.cumprod(1.0 - h_win - h_out)])
    incidence = np.concatenate([[0.0], np.cumsum(h_win * survival[:-1])])
    return survival, incidence


def win_within(age: np.ndarray, horizon: np.ndarray | float, curves: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """The chance that a lead open at ``age`` days wins within ``horizon`` more days, from :func:`win_curves`.

    Examples:
        >>> S = np.array([1.0, 0.5, 0.25]); F = np.array([0.0, 0.25, 0.375])  # daily: win ¼ of open, lose ¼
        >>> win_within(np.array([0.0, 1.0]), 1.0, (S, F)).tolist()
        [0.25, 0.25]
    """
    survival, incidence = curves
    grid = np.arange(len(survival), dtype=float)
    open_share = np.interp(age, grid, survival)
    gained = np.interp(np.asarray(age) + horizon, grid, incidence) - np.interp(age, grid, incidence)
    return np.clip(np.divide(gained, open_share, out=np.zeros(len(np.atleast_1d(age))), where=open_share > 0), 0, 1)


def win_via_sql(
    age: np.ndarray,
    horizon: np.ndarray | float,
    to_sql: tuple[np.ndarray, np.ndarray],
    sql_wins: tuple[np.ndarray, np.ndarray],
) -> np.ndarray:
    """The chance that an MQL not yet SQL, open at ``age`` days, reaches SQL and then wins within ``horizon``.

    Day by day over the horizon: the chance it becomes an SQL that day (``to_sql``, from :func:`win_curves`
    with SQL as the event) times the chance a new SQL wins in the time then left (``sql_wins``).
    """
    age = np.atleast_1d(np.asarray(age, dtype=float))[:, None]
    horizon = np.broadcast_to(np.asarray(horizon, dtype=float), (age.shape[0],))[:, None]
    steps = np.arange(int(np.ceil(horizon.max())) if horizon.size else 0, dtype=float)[None, :]
    survival, incidence = to_sql
    grid = np.arange(len(survival), dtype=float)
    lo, hi = np.minimum(steps, horizon), np.minimum(steps + 1, horizon)
    open_share = np.interp(age, grid, survival)
    became = np.interp(age + hi, grid, incidence) - np.interp(age + lo, grid, incidence)
    became = np.divide(became, open_share, out=np.zeros_like(became), where=open_share > 0)
    left = np.maximum(horizon - (lo + hi) / 2, 0.0)
    then = win_within(np.zeros(left.size), left.ravel(), sql_wins).reshape(left.shape)
    return np.clip((became * then).sum(axis=1), 0, 1)


def _by_age(ages: np.ndarray, chance: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """``chance(ages)`` computed once per distinct age to the hour (a pipeline holds many leads of each age)."""
    distinct, where = np.unique(np.round(np.asarray(ages, dtype=float) * 24) / 24, return_inverse=True)
    return chance(distinct)[where] if len(distinct) else np.zeros(0)


def _binomial_sum(rng: np.random.Generator, p: np.ndarray, n_sims: int) -> np.ndarray:
    """Per simulation, how many of the leads with win chances ``p`` win (leads grouped by p to 0.001)."""
    if len(p) == 0:
        return np.zeros(n_sims, dtype=np.int64)
    levels, counts = np.unique(np.round(p, 3), return_counts=True)
    return rng.binomial(counts, levels, size=(n_sims, len(levels))).sum(axis=1)


def forecast_arrays(
    tl: Timeline, period: pd.Period, as_of: dt.datetime | pd.Timestamp, *, n_sims: int = N_SIMS, seed: int = SEED
) -> Forecast:
    """The forecast for ``period`` from :class:`Timeline` arrays, using only what is known at ``as_of``."""
    as_of = pd.Timestamp(as_of)
    now = np.datetime64(as_of, "ns")
    start, end = period.start_time, (period + 1).start_time
    lo, hi = np.datetime64(start, "ns"), np.datetime64(end, "ns")
    mql, sql, won, lost, dropped = (_known(a, now) for a in (tl.mql, tl.sql, tl.won, tl.lost, tl.dropped))
    rng = np.random.default_rng(seed)

    # MQLs: so far, and the rest of the month by weekday with Poisson or negative binomial noise.
    mqls_now = float(((mql >= lo) & (mql < hi)).sum())
    means, dispersion = weekday_rates(mql, as_of)
    weekday, share, to_end = remaining_days(as_of, start, end)
    mu = means[weekday] * share
    # The month's own level so far, shrunk towards the history's (Gamma–Poisson), drawn per simulation so the
    # level's uncertainty widens the range, times the drift within a month seen in past months.
    expected = _expected(means, start, min(max(as_of, start), end))
    level = rng.gamma(PRIOR_MQLS + mqls_now, 1.0 / (PRIOR_MQLS + expected), n_sims)
    drift = level_drift(mql, as_of - start if as_of > start else pd.Timedelta(0), as_of)
    level *= rng.lognormal(-(drift**2) / 2, drift, n_sims) if drift > 0 else 1.0
    mu = level[:, None] * mu[None, :]
    noise = "negative binomial" if dispersion > 1 else "Poisson"
    if noise == "Poisson":
        new = rng.poisson(mu)
    else:
        r = np.maximum(mu / (dispersion - 1.0), 1e-9)
        new = rng.negative_binomial(r, 1.0 / dispersion) * (mu > 0)

    # Wins: so far, then open SQLs and open MQLs by age, and the new MQLs by the days they have left.
    won_in = (won >= lo) & (won < hi)
    wins_now = float(won_in.sum())
    revenue_now = float(np.nansum(tl.amount[won_in]))
    left = max((end - max(as_of, start)) / pd.Timedelta(days=1), 0.0)
    closed = ~np.isnat(won) | ~np.isnat(lost)
    open_sql = ~np.isnat(sql) & ~closed
    open_mql = ~np.isnat(mql) & np.isnat(sql) & ~closed & np.isnat(dropped)
    sql_curves = win_curves(sql, won, lost, now)
    to_sql = win_curves(mql, sql, dropped, now)
    p_sql = _by_age((now - sql[open_sql]) / DAY, lambda a: win_within(a, left, sql_curves))
    p_mql = _by_age((now - mql[open_mql]) / DAY, lambda a: win_via_sql(a, left, to_sql, sql_curves))
    p_new = win_via_sql(np.zeros(len(to_end)), to_end, to_sql, sql_curves)
    future = (
        _binomial_sum(rng, p_sql, n_sims)
        + _binomial_sum(rng, p_mql, n_sims)
        + (rng.binomial(new, p_new) if len(p_new) else np.zeros((n_sims, 1), dtype=np.int64)).sum(axis=1)
    )

    # Revenue: each future win is a deal drawn from the amounts won over the history.
    recent = (won >= now - PIPELINE_DAYS * DAY) & ~np.isnan(tl.amount)
    amounts = tl.amount[recent]
    extra = np.zeros(n_sims)
    if len(amounts) and future.sum():
        draws = rng.choice(amounts, size=int(future.sum()))
        extra = np.bincount(np.repeat(np.arange(n_sims), future), weights=draws, minlength=n_sims)

    bands = {
        "mqls": _band(mqls_now, mqls_now + new.sum(axis=1)),
        "won": _band(wins_now, wins_now + future),
        "revenue": _band(revenue_now, revenue_now + extra),
    }
    return Forecast(period=period, as_of=as_of, bands=bands, dispersion=dispersion, noise=noise)


def month_forecast(
    leads: pd.DataFrame, period: pd.Period, as_of: dt.datetime | pd.Timestamp, **options: int
) -> Forecast:
    """The forecast for ``period`` as seen at ``as_of`` (see the module docstring); ``options``: n_sims, seed."""
    return forecast_arrays(timeline(leads), period, as_of, **options)


def mid_month_moment(month: pd.Period, as_of: dt.datetime | pd.Timestamp) -> pd.Timestamp:
    """The moment in ``month`` as far in as ``as_of`` is into its own month (clipped to the month's last hour).

    Examples:
        >>> mid_month_moment(pd.Period("2026-02", "M"), pd.Timestamp("2026-11-30 12:00"))
        Timestamp('2026-02-28 23:00:00')
    """
    as_of = pd.Timestamp(as_of)
    into = as_of - as_of.to_period("M").start_time
    start, end = month.start_time, (month + 1).start_time
    return min(start + into, end - pd.Timedelta(hours=1))


def backtest(
    leads: pd.DataFrame, as_of: dt.datetime | pd.Timestamp, months: int = 12, *, n_sims: int = 2000
) -> pd.DataFrame:
    """The forecast backtested on each of the last ``months`` complete months, from what was known then.

    Each month is forecast as far into it as ``as_of`` is into its own month, and compared with how the month
    ended (as known at ``as_of``).

    Months with less than :data:`RATE_DAYS` days of MQL history before their forecast moment are left out.
    One row per month and measure: ``month``, ``measure``, ``forecast_at``, ``actual``, ``median``, ``lo80``,
    ``hi80``, ``lo95``, ``hi95``, ``in80``, ``in95``.
    """
    as_of = pd.Timestamp(as_of)
    full = closed_months(timeline(leads), as_of)
    first_mql = full.mql[~np.isnat(full.mql)].min() if (~np.isnat(full.mql)).any() else None
    rows = []
    current = as_of.to_period("M")
    for k in range(months, 0, -1):
        month = current - k
        moment = mid_month_moment(month, as_of)
        if first_mql is None or np.datetime64(moment, "ns") - RATE_DAYS * DAY < first_mql:
            continue
        f = forecast_arrays(full, month, moment, n_sims=n_sims, seed=SEED + k)
        lo, hi = np.datetime64(month.start_time, "ns"), np.datetime64((month + 1).start_time, "ns")
        won_in = (full.won >= lo) & (full.won < hi)
        actual = {
            "mqls": float(((full.mql >= lo) & (full.mql < hi)).sum()),
            "won": float(won_in.sum()),
            "revenue": float(np.nansum(full.amount[won_in])),
        }
        for measure, band in f.bands.items():
            rows.append(
                {"month": month, "measure": measure, "forecast_at": moment, "actual": actual[measure],
                 "median": band.median, "lo80": band.lo80, "hi80": band.hi80, "lo95": band.lo95, "hi95": band.hi95,
                 "in80": band.covers(actual[measure], 80), "in95": band.covers(actual[measure], 95)}
            )  # fmt: skip
    columns = ["month", "measure", "forecast_at", "actual", "median", "lo80", "hi80", "lo95", "hi95", "in80", "in95"]
    return pd.DataFrame(rows, columns=columns)


def closed_months(tl: Timeline, as_of: dt.datetime | pd.Timestamp) -> Timeline:
    """What :func:`backtest` at ``as_of`` reads: the complete months before ``as_of``'s own, and nothing later.

    Every time from the start of ``as_of``'s month on is NaT (not known yet), an amount counts only for a deal won
    before it (else NaN), and only leads with a time left are kept, in their order. A backtest forecasts each past
    month from a moment inside it and compares it with how it ended, so it reads nothing of the open month: a
    decision or a touch written in it leaves this timeline as it was.
    """
    cut = np.datetime64(pd.Timestamp(as_of).to_period("M").start_time, "ns")
    times = [_known(a, cut) for a in (tl.mql, tl.sql, tl.won, tl.lost, tl.dropped)]
    keep = ~np.logical_and.reduce([np.isnat(a) for a in times])
    amount = np.where(np.isnat(times[2]), np.nan, tl.amount)
    return Timeline(*(a[keep] for a in times), amount[keep])


def fingerprint(tl: Timeline) -> str:
    """A digest of every array of ``tl`` (their values and order): equal digests, equal timelines."""
    digest = hashlib.blake2b(digest_size=16)
    for a in (tl.mql, tl.sql, tl.won, tl.lost, tl.dropped, tl.amount):
        digest.update(np.ascontiguousarray(a).view(np.uint8).tobytes())
        digest.update(str(a.shape).encode())
    return digest.hexdigest()


def coverage(backtested: pd.DataFrame) -> pd.DataFrame:
    """Per measure: months backtested and in how many the 80% and 95% ranges held (from :func:`backtest`)."""
    grouped = backtested.groupby("measure", sort=False)
    out = pd.DataFrame(
        {"months": grouped.size(), "held80": grouped["in80"].sum(), "held95": grouped["in95"].sum()}
    ).reset_index()
    return out.astype({"months": int, "held80": int, "held95": int})
