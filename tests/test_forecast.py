"""The month-end forecast: hand-checked pieces, its ranges' coverage over generated history with known rates, and
the backtest seeing only what was known at each forecast moment."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sla_model.metrics.forecast import (
    backtest,
    closed_months,
    coverage,
    fingerprint,
    forecast_arrays,
    level_drift,
    mid_month_moment,
    month_forecast,
    remaining_days,
    timeline,
    weekday_rates,
    win_curves,
    win_within,
)

TIME_COLUMNS = ("mql_at", "sql_at", "opportunity_at", "won_at", "lost_at", "rejected_at", "disqualified_at",
                "recycled_at")  # fmt: skip
NAT = np.datetime64("NaT", "ns")


def _frame(**columns: np.ndarray) -> pd.DataFrame:
    """A leads frame with just the columns the forecast reads (unset timestamps NaT, no amounts)."""
    n = len(next(iter(columns.values())))
    out = {c: columns.get(c, np.full(n, NAT)) for c in TIME_COLUMNS}
    out = {c: pd.Series(v).astype("datetime64[ns]") for c, v in out.items()}
    out["amount"] = pd.Series(columns.get("amount", np.full(n, np.nan)), dtype=float)
    return pd.DataFrame(out)


def _history(first: str, months: int, rates: list[float], seed: int) -> pd.DataFrame:
    """MQLs arriving as Poisson counts with known weekday ``rates`` (Monday first), uniform within each day.

    Each MQL becomes an SQL with chance 0.4 after an exponential 6 days; an SQL wins with chance 0.3 after an
    exponential 15 days (a $10,000 to $20,000 deal), else is lost after 20; MQLs that never become SQL are
    rejected after 3 days.
    """
    rng = np.random.default_rng(seed)
    days = pd.date_range(first, (pd.Period(first, "M") + months).start_time, freq="D", inclusive="left")
    counts = rng.poisson(np.array(rates)[days.day_of_week])
    day = np.repeat(days.to_numpy(dtype="datetime64[ns]"), counts)
    n = len(day)
    unit = np.timedelta64(86_400_000_000_000, "ns")

    def after(start: np.ndarray, mean_days: float) -> np.ndarray:
        return start + (rng.exponential(mean_days, n) * unit).astype("timedelta64[ns]")

    mql = day + (rng.random(n) * unit).astype("timedelta64[ns]")
    is_sql = rng.random(n) < 0.4
    sql = np.where(is_sql, after(mql, 6), NAT)
    wins = is_sql & (rng.random(n) < 0.3)
    return _frame(
        mql_at=mql,
        sql_at=sql,
        won_at=np.where(wins, after(sql, 15), NAT),
        lost_at=np.where(is_sql & ~wins, after(sql, 20), NAT),
        rejected_at=np.where(~is_sql, after(mql, 3), NAT),
        amount=np.where(wins, rng.uniform(10_000, 20_000, n).round(-2), np.nan),
    )


@pytest.fixture(scope="module")
def long_history():
    """210 months (from January 2008) of MQLs at 6 a weekday and 2 a weekend day."""
    return _history("2008-01-01", 210, [6, 6, 6, 6, 6, 2, 2], seed=11)


def test_the_80_percent_range_covers_about_80_percent_of_months_with_known_rates(long_history):
    """Mid-month forecasts of 200 months of planted Poisson history: each range holds about as often as it says."""
    tl = timeline(long_history)
    months = pd.period_range("2008-06", periods=200, freq="M")  # to January 2025
    hits = {"mqls": [], "won": [], "revenue": []}
    hits95 = {"mqls": [], "won": []}
    for k, month in enumerate(months):
        moment = month.start_time + pd.Timedelta(days=14, hours=12)
        f = forecast_arrays(tl, month, moment, n_sims=1000, seed=k)
        lo, hi = np.datetime64(month.start_time, "ns"), np.datetime64((month + 1).start_time, "ns")
        won = (tl.won >= lo) & (tl.won < hi)
        actual = {"mqls": ((tl.mql >= lo) & (tl.mql < hi)).sum(), "won": won.sum(),
                  "revenue": np.nansum(tl.amount[won])}  # fmt: skip
        for measure in hits:
            hits[measure].append(f.bands[measure].covers(actual[measure], 80))
        for measure in hits95:
            hits95[measure].append(f.bands[measure].covers(actual[measure], 95))
    for measure, held in hits.items():
        assert 0.65 <= np.mean(held) <= 0.92, (measure, np.mean(held))
    for measure, held in hits95.items():
        assert 0.85 <= np.mean(held) <= 0.995, (measure, np.mean(held))


def test_weekday_rates_and_dispersion_by_hand():
    # 14 days from Monday 2 Nov 2026: two MQLs each Monday, one every other day → Monday mean 2, others 1;
    # every day matches its weekday's mean, so the dispersion is 0 (below 1: Poisson).
    days = pd.date_range("2026-11-02", periods=14, freq="D")
    times = np.concatenate([np.repeat(d.to_datetime64(), 2 if d.day_of_week == 0 else 1) for d in days])
    means, dispersion = weekday_rates(times.astype("datetime64[ns]") + np.timedelta64(9, "h"),
                                      pd.Timestamp("2026-11-16 12:00"), days=14)  # fmt: skip
    assert means.tolist() == [2, 1, 1, 1, 1, 1, 1]
    assert dispersion == 0


def test_the_rest_of_the_month_by_day():
    # From Sunday 29 Nov 2026 18:00: a quarter of Sunday left (middle at 21:00, 27 h before 1 Dec) and Monday.
    weekday, share, to_end = remaining_days(pd.Timestamp("2026-11-29 18:00"), pd.Timestamp("2026-11-01"),
                                            pd.Timestamp("2026-12-01"))  # fmt: skip
    assert weekday.tolist() == [6, 0]
    assert share.tolist() == [0.25, 1.0]
    assert to_end.tolist() == [27 / 24, 0.5]
    after = remaining_days(pd.Timestamp("2026-12-02"), pd.Timestamp("2026-11-01"), pd.Timestamp("2026-12-01"))
    assert len(after[0]) == 0  # the month is over


def test_win_chances_by_age_by_hand():
    # Four SQLs from 1 Nov: one won at age 0.5 days, one lost at 1.5, two still open at as_of (age 3).
    # Day 0: 4 at risk, 1 win → h_win 1/4; day 1: 3 at risk, 1 loss → h_out 1/3; day 2: 2 at risk, none.
    # S = [1, 3/4, 1/2, 1/2, ...]; F = [0, 1/4, 1/4, ...]. An SQL open at age 0 wins within 2 days with chance 1/4.
    start = np.array(["2026-11-01"] * 4, dtype="datetime64[ns]")
    won = np.array(["2026-11-01T12:00", "NaT", "NaT", "NaT"], dtype="datetime64[ns]")
    lost = np.array(["NaT", "2026-11-02T12:00", "NaT", "NaT"], dtype="datetime64[ns]")
    survival, incidence = win_curves(start, won, lost, np.datetime64("2026-11-04", "ns"), ages=5)
    assert survival[:4].tolist() == [1.0, 0.75, 0.5, 0.5]
    assert incidence[:4].tolist() == [0.0, 0.25, 0.25, 0.25]
    assert win_within(np.array([0.0, 1.0]), 2.0, (survival, incidence)).tolist() == [0.25, 0.0]


def test_a_simple_month_by_hand():
    # Ten MQLs a day at 12:00 through November 2026 up to 21 Nov (no pipeline: nothing ever wins).
    # Weekday means over the 56 days before 21 Nov: 10 on every weekday (October and November days), dispersion 0.
    # Month so far: 20 days × 10 = 200 MQLs, as expected, so the level stays 1: 10 days left × 10 = 100 more.
    # No month before has 56 days of history before its cut, so there is no drift term.
    # The total is 200 + Poisson(100 × a Gamma(220, 220) level): mean 300, sd ≈ √(100 + 100²/220) ≈ 12.1,
    # so the 80% range is about 300 ± 1.2816 × 12.1 = 284.5 to 315.5.
    days = pd.date_range("2026-09-20", "2026-11-20", freq="D") + pd.Timedelta(hours=12)
    leads = _frame(mql_at=np.repeat(days.to_numpy(dtype="datetime64[ns]"), 10))
    f = month_forecast(leads, pd.Period("2026-11", "M"), pd.Timestamp("2026-11-21"))
    band = f.bands["mqls"]
    assert band.actual == 200 and f.noise == "Poisson" and f.dispersion == 0
    assert band.mean == pytest.approx(300, abs=1)
    assert band.lo80 == pytest.approx(284.5, abs=3) and band.hi80 == pytest.approx(315.5, abs=3)
    assert band.lo95 < band.lo80 < band.median < band.hi80 < band.hi95
    assert f.bands["won"].hi95 == 0 and f.bands["revenue"].hi95 == 0  # no wins ever seen: none forecast
    # A closed month: the forecast is what happened.
    closed = month_forecast(leads, pd.Period("2026-10", "M"), pd.Timestamp("2026-11-21")).bands["mqls"]
    assert closed.lo95 == closed.hi95 == closed.actual == 310


def test_the_backtest_sees_only_what_was_known_at_each_forecast_moment(long_history):
    """Cutting every event after a forecast moment out of the data changes nothing about that forecast."""
    as_of = pd.Timestamp("2025-06-18 12:00")
    month = pd.Period("2025-03", "M")
    moment = mid_month_moment(month, as_of)
    assert moment == pd.Timestamp("2025-03-18 12:00")
    cut = long_history.copy()
    for c in TIME_COLUMNS:
        cut[c] = cut[c].where(cut[c] < moment)
    cut["amount"] = cut["amount"].where(cut["won_at"].notna())
    full = forecast_arrays(timeline(long_history), month, moment, n_sims=500)
    known = forecast_arrays(timeline(cut), month, moment, n_sims=500)
    assert full.bands == known.bands


def test_backtest_reports_how_often_each_range_held(long_history):
    as_of = pd.Timestamp("2025-06-18 12:00")
    result = backtest(long_history, as_of, n_sims=500)
    assert sorted(set(result["month"].astype(str))) == [str(m) for m in pd.period_range("2024-06", "2025-05", freq="M")]
    assert (result["forecast_at"].dt.day == 18).all()
    row = result[(result["measure"] == "mqls") & (result["month"] == pd.Period("2025-01", "M"))].iloc[0]
    month_mqls = ((long_history["mql_at"] >= "2025-01-01") & (long_history["mql_at"] < "2025-02-01")).sum()
    assert row["actual"] == month_mqls
    assert row["in80"] == (row["lo80"] <= month_mqls <= row["hi80"])
    cover = coverage(result).set_index("measure")
    assert cover.loc["mqls", "months"] == 12
    assert cover.loc["mqls", "held80"] == result[result["measure"] == "mqls"]["in80"].sum()
    assert cover.loc["mqls", "held80"] <= cover.loc["mqls", "held95"]


def test_the_backtest_reads_only_the_complete_months_before_the_open_one(long_history):
    """A decision or a new lead in the open month leaves the backtest's input (its fingerprint) and result as they
    were; a change inside a complete month changes the fingerprint."""
    as_of = pd.Timestamp("2025-06-18 12:00")
    digest = fingerprint(closed_months(timeline(long_history), as_of))
    before = backtest(long_history, as_of, n_sims=300)
    june = long_history[(long_history["mql_at"] >= "2025-06-01") & (long_history["mql_at"] < as_of)].index
    written = long_history.copy()
    written.loc[june[0], "rejected_at"] = as_of - pd.Timedelta(hours=1)  # a rejection today
    written.loc[june[1], "sql_at"] = as_of - pd.Timedelta(hours=2)  # an acceptance taken to SQL today
    new_lead = _frame(mql_at=np.array([np.datetime64(as_of - pd.Timedelta(hours=3), "ns")]))
    written = pd.concat([written, new_lead], ignore_index=True)
    assert fingerprint(closed_months(timeline(written), as_of)) == digest
    pd.testing.assert_frame_equal(backtest(written, as_of, n_sims=300), before)

    may = long_history[(long_history["won_at"] >= "2025-05-01") & (long_history["won_at"] < "2025-06-01")].index
    for column, value in (("amount", 99_999.0), ("won_at", pd.NaT), ("lost_at", pd.Timestamp("2025-05-20"))):
        changed = long_history.copy()
        changed.loc[may[0], column] = value
        assert fingerprint(closed_months(timeline(changed), as_of)) != digest, column


def test_months_without_enough_history_are_left_out_of_the_backtest():
    leads = _history("2025-01-01", 6, [5] * 7, seed=3)  # January to June 2025
    result = backtest(leads, pd.Timestamp("2025-06-20"))
    # 20 March is the first forecast moment with 56 days of MQLs before it (from 23 January); June is still open.
    assert sorted(set(result["month"].astype(str))) == ["2025-03", "2025-04", "2025-05"]


def test_the_level_drift_is_measured_beyond_the_counts_own_noise():
    # Steady history (Poisson at known rates): the rest of each month strays from its first part only by noise.
    steady = _history("2024-01-01", 18, [8] * 7, seed=5)
    mql = timeline(steady).mql
    assert level_drift(mql, pd.Timedelta(days=15), pd.Timestamp("2025-06-16")) < 0.08  # noise alone: sd ≈ 0.13
    # The same history with every month's second half at 1.5× or 0.6× its first half, alternating: drift is large.
    rng = np.random.default_rng(1)
    rows = []
    for k, month in enumerate(pd.period_range("2024-01", "2025-05", freq="M")):
        for day in pd.date_range(month.start_time, month.end_time.normalize(), freq="D"):
            rate = 8 * ((1.5 if k % 2 else 0.6) if day.day > 15 else 1.0)
            rows.append(np.repeat(np.datetime64(day + pd.Timedelta(hours=12), "ns"), rng.poisson(rate)))
    drifting = np.concatenate(rows)
    assert level_drift(drifting, pd.Timedelta(days=15), pd.Timestamp("2025-06-16")) > 0.3
    # Too little history (fewer than three months with 56 days before their cut): no drift.
    assert level_drift(timeline(_history("2025-03-01", 3, [8] * 7, seed=2)).mql, pd.Timedelta(days=15),
                       pd.Timestamp("2025-06-16")) == 0  # fmt: skip
