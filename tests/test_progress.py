import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from sla_model.metrics.progress import (
    attainment_trend,
    cumulative_by_day,
    elapsed_share,
    measure_in,
    measure_progress,
    monthly_actuals,
    period_bounds,
    progress,
    quota_for,
    sla_for_period,
)
from tests.factories import leads_frame, make_lead, make_sla

NOV = pd.Period("2026-11", "M")  # 30 days
FEB = pd.Period("2026-02", "M")  # 28 days


def _ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)


def _nan_equal(got: float, expected: float) -> bool:
    return (math.isnan(got) and math.isnan(expected)) or got == pytest.approx(expected)


# --- the calendar ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("period", "start", "end"),
    [
        (FEB, "2026-02-01", "2026-03-01"),
        (pd.Period("2026-12", "M"), "2026-12-01", "2027-01-01"),  # year end
        (pd.Period("2028-02", "M"), "2028-02-01", "2028-03-01"),  # leap year
    ],
)
def test_period_bounds(period, start, end):
    assert period_bounds(period) == (_ts(start), _ts(end))


@pytest.mark.parametrize(
    ("period", "as_of", "share"),
    [
        (NOV, "2026-10-20", 0.0),  # before the period
        (NOV, "2026-11-01 00:00", 0.0),  # at its first instant
        (NOV, "2026-11-16 00:00", 0.5),  # 15 of 30 days
        (NOV, "2026-11-18 12:00", 17.5 / 30),  # the sample snapshot: 17.5 of 30 days
        (FEB, "2026-02-15 00:00", 0.5),  # 14 of 28 days
        (NOV, "2026-12-01 00:00", 1.0),  # the period is over
        (NOV, "2027-06-01", 1.0),
    ],
)
def test_elapsed_share(period, as_of, share):
    assert elapsed_share(period, _ts(as_of)) == pytest.approx(share)


def test_elapsed_share_accepts_a_datetime():
    assert elapsed_share(NOV, dt.datetime(2026, 11, 16)) == 0.5


# --- progress against quota ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actual", "quota", "as_of", "pace", "projection", "delta", "status"),
    [
        # open, half way: pace = 100 * 0.5 = 50, projection = 60 / 0.5 = 120 >= 100
        (60, 100, "2026-11-16", 50.0, 120.0, 10.0, "on track"),
        # 40 / 0.5 = 80 < 100; 40 - 50 = -10
        (40, 100, "2026-11-16", 50.0, 80.0, -10.0, "behind"),
        # exactly on pace: 50 / 0.5 = 100 >= 100
        (50, 100, "2026-11-16", 50.0, 100.0, 0.0, "on track"),
        # already over quota early on
        (120, 100, "2026-11-04", 10.0, 1200.0, 110.0, "on track"),
        # closed: share 1, pace = quota, projection = actual
        (100, 100, "2026-12-01", 100.0, 100.0, 0.0, "met"),
        (99, 100, "2026-12-15", 100.0, 99.0, -1.0, "missed"),
        # not started: share 0, no projection
        (0, 100, "2026-10-20", 0.0, math.nan, 0.0, "not started"),
        # no quota beats everything else
        (7, 0, "2026-11-16", 0.0, 14.0, 7.0, "no quota"),
        (7, 0, "2026-12-02", 0.0, 7.0, 7.0, "no quota"),
    ],
)
def test_progress(actual, quota, as_of, pace, projection, delta, status):
    p = progress(actual, quota, NOV, _ts(as_of))
    assert p.pace == pytest.approx(pace)
    assert _nan_equal(p.projection, projection)
    assert p.delta_vs_pace == pytest.approx(delta)
    assert p.status == status


@pytest.mark.parametrize(
    ("actual", "quota", "as_of", "attainment", "projected"),
    [
        (60, 100, "2026-11-16", 0.6, 1.2),  # 60/100; 120/100
        (0, 100, "2026-10-20", 0.0, math.nan),  # no projection before the period starts
        (5, 0, "2026-11-16", math.nan, math.nan),  # no quota: NaN, not ZeroDivisionError
    ],
)
def test_attainment(actual, quota, as_of, attainment, projected):
    p = progress(actual, quota, NOV, _ts(as_of))
    assert _nan_equal(p.attainment, attainment)
    assert _nan_equal(p.projected_attainment, projected)


def test_progress_closed_flag_and_elapsed():
    open_ = progress(1, 10, NOV, _ts("2026-11-30 23:59"))
    closed = progress(1, 10, NOV, _ts("2026-12-01"))
    assert (open_.closed, closed.closed) == (False, True)
    assert closed.elapsed == 1.0


# --- quotas and the SLA that judges a period --------------------------------------------------------


@pytest.mark.parametrize(
    ("measure", "channel", "expected"),
    [
        ("mqls", None, 650.0),
        ("sqls", None, 220.0),
        ("won", None, 50.0),
        ("revenue", None, 600_000.0),
        ("mqls", "Webinar", 85.0),
        ("mqls", "TikTok", 0.0),  # no per-channel quota set
    ],
)
def test_quota_for(measure, channel, expected):
    assert quota_for(make_sla(), measure, channel) == expected


def test_only_mqls_have_channel_quotas():
    with pytest.raises(ValueError, match="only MQLs have per-channel quotas"):
        quota_for(make_sla(), "sqls", "Webinar")


def test_sla_for_period_uses_the_version_in_force_on_the_first_day():
    jan = make_sla(meta={"version": 1, "effective_from": dt.date(2026, 1, 1)})
    mid_march = make_sla(meta={"version": 2, "effective_from": dt.date(2026, 3, 15)})
    assert sla_for_period([jan, mid_march], pd.Period("2026-03", "M")).meta.version == 1
    assert sla_for_period([jan, mid_march], pd.Period("2026-04", "M")).meta.version == 2
    assert sla_for_period([jan, mid_march], pd.Period("2025-06", "M")).meta.version == 1  # before any version


# --- counting events -------------------------------------------------------------------------------


def _nov_leads() -> pd.DataFrame:
    return leads_frame(
        make_lead("at-start", mql_at="2026-11-01 00:00", won_at="2026-11-03 10:00", amount=1000.0),
        make_lead("inside", mql_at="2026-11-15 08:00", won_at="2026-11-10 10:00", amount=None),
        make_lead("at-end", mql_at="2026-12-01 00:00", won_at="2026-12-01 00:00", amount=5.0),
        make_lead("before", mql_at="2026-10-31 23:59"),
        make_lead("never"),
    )


@pytest.mark.parametrize(
    ("measure", "expected"),
    [
        ("mqls", 2.0),  # [Nov 1, Dec 1): the start is in, the end is out, NaT never counts
        ("won", 2.0),
        ("revenue", 1000.0),  # 1000 + NaN (skipped)
        ("sqls", 2.0),  # no SQL dates, but at-start and inside were won in November: they reached SQL
    ],
)
def test_measure_in(measure, expected):
    start, end = period_bounds(NOV)
    assert measure_in(_nov_leads(), measure, start, end) == expected


def test_measure_in_empty_frame():
    start, end = period_bounds(NOV)
    assert measure_in(leads_frame(), "revenue", start, end) == 0.0
    assert measure_in(leads_frame(), "mqls", start, end) == 0.0


def test_measure_progress_overall_and_by_channel():
    leads = leads_frame(
        make_lead("e1", channel="Email", mql_at="2026-11-02 09:00"),
        make_lead("e2", channel="Email", mql_at="2026-11-03 09:00"),
        make_lead("e3", channel="Email", mql_at="2026-11-10 09:00"),
        make_lead("w1", channel="Webinar", mql_at="2026-11-11 09:00"),
        make_lead("e-oct", channel="Email", mql_at="2026-10-30 09:00"),
    )
    as_of = _ts("2026-11-16")  # half of November
    overall = measure_progress(leads, [make_sla()], NOV, as_of, "mqls")
    # 4 MQLs against 650: pace 325, projection 8
    assert (overall.actual, overall.quota, overall.pace, overall.projection) == (4.0, 650.0, 325.0, 8.0)
    email = measure_progress(leads, [make_sla()], NOV, as_of, "mqls", channel="Email")
    # 3 Email MQLs against v1's Email quota 55: pace 27.5, projection 6 -> behind
    assert (email.actual, email.quota, email.pace, email.projection) == (3.0, 55.0, 27.5, 6.0)
    assert email.status == "behind"
    unknown = measure_progress(leads, [make_sla()], NOV, as_of, "mqls", channel="TikTok")
    assert (unknown.actual, unknown.quota, unknown.status) == (0.0, 0.0, "no quota")


# --- day by day ------------------------------------------------------------------------------------


def _daily_leads() -> pd.DataFrame:
    return leads_frame(
        make_lead("d1", mql_at="2026-11-01 10:00"),
        make_lead("d2", mql_at="2026-11-01 23:59"),
        make_lead("d5", mql_at="2026-11-05 12:00"),
        make_lead("d15", mql_at="2026-11-15 08:00"),
        make_lead("oct", mql_at="2026-10-31 23:59"),  # before the period
        make_lead("dec", mql_at="2026-12-01 00:00"),  # after it
        make_lead("none"),
    )


def test_cumulative_by_day_open_period():
    # November, quota 30 (pace 1 a day), seen at Nov 16 00:00 = half way with 4 MQLs
    frame = cumulative_by_day(_daily_leads(), NOV, 30, _ts("2026-11-16 00:00"))
    assert frame.columns.tolist() == ["day", "actual", "pace", "projection"]
    assert len(frame) == 30
    assert frame["day"].iloc[0] == dt.date(2026, 11, 1)
    assert frame["day"].iloc[-1] == dt.date(2026, 11, 30)
    # cumulative: Nov 1-4 -> 2, Nov 5-14 -> 3, Nov 15-16 -> 4, after the snapshot day -> NaN
    expected_actual = [2.0] * 4 + [3.0] * 10 + [4.0] * 2 + [np.nan] * 14
    np.testing.assert_array_equal(frame["actual"].to_numpy(), expected_actual)
    # pace at the end of day k is 30 * k / 30 = k; it reaches the quota at month end
    np.testing.assert_allclose(frame["pace"].to_numpy(), np.arange(1, 31, dtype=float))
    assert frame["pace"].iloc[-1] == 30.0
    # projection: NaN for days over before the snapshot (Nov 1-15); from Nov 16 it runs from the 4 MQLs
    # at a rate of 4 / 0.5 = 8 a month: Nov 16 -> 4 + 8 * (16/30 - 0.5) = 4.2667; Nov 30 -> 4 / 0.5 = 8
    projection = frame["projection"].to_numpy()
    assert np.isnan(projection[:15]).all()
    assert projection[15] == pytest.approx(4 + 8 / 30)
    assert projection[-1] == pytest.approx(8.0)
    assert np.all(np.diff(projection[15:]) > 0)


def test_cumulative_by_day_projection_ends_at_actual_over_elapsed_share():
    # the sample snapshot, Nov 18 12:00: share 17.5 / 30; 4 MQLs so far -> 4 / (17.5 / 30) = 6.857
    frame = cumulative_by_day(_daily_leads(), NOV, 30, _ts("2026-11-18 12:00"))
    assert frame["projection"].iloc[-1] == pytest.approx(4 / (17.5 / 30))
    assert frame["actual"].iloc[17] == 4.0  # the snapshot day itself is shown
    assert np.isnan(frame["actual"].iloc[18])  # Nov 19 has not begun
    assert np.isnan(frame["projection"].iloc[16]) and not np.isnan(frame["projection"].iloc[17])


def test_cumulative_by_day_revenue_weights_by_amount():
    leads = leads_frame(
        make_lead("w1", won_at="2026-11-02 10:00", amount=1000.0),
        make_lead("w2", won_at="2026-11-03 10:00", amount=None),  # a win without amount adds nothing
        make_lead("w3", won_at="2026-11-10 10:00", amount=2500.5),
    )
    frame = cumulative_by_day(leads, NOV, 600_000, _ts("2026-11-16"), measure="revenue")
    assert frame["actual"].iloc[:10].tolist() == [0.0, 1000.0] + [1000.0] * 7 + [3500.5]
    assert frame["pace"].iloc[-1] == 600_000.0
    assert frame["projection"].iloc[-1] == pytest.approx(3500.5 / 0.5)


def test_cumulative_by_day_closed_period():
    frame = cumulative_by_day(_daily_leads(), NOV, 30, _ts("2026-12-05"))
    assert not frame["actual"].isna().any()
    assert frame["actual"].iloc[-1] == 4.0
    assert frame["projection"].isna().all()


def test_cumulative_by_day_not_started():
    frame = cumulative_by_day(_daily_leads(), NOV, 30, _ts("2026-10-20"))
    assert frame["actual"].isna().all()
    assert frame["projection"].isna().all()
    assert frame["pace"].iloc[-1] == 30.0


def test_cumulative_by_day_february_and_empty_frame():
    frame = cumulative_by_day(leads_frame(), FEB, 56, _ts("2026-02-15"))
    assert len(frame) == 28
    assert frame["pace"].iloc[13] == pytest.approx(28.0)  # 56 * 14 / 28
    np.testing.assert_array_equal(frame["actual"].to_numpy(), [0.0] * 15 + [np.nan] * 13)
    assert frame["projection"].iloc[-1] == 0.0


# --- month by month -------------------------------------------------------------------------------


def test_monthly_actuals():
    leads = leads_frame(
        make_lead("a", mql_at="2026-10-05", sql_at="2026-11-02", won_at="2026-11-20", amount=12_000.0),
        make_lead("b", mql_at="2026-11-01", won_at="2026-11-21", amount=None),
        make_lead("c", mql_at="2026-11-30 23:59"),
        make_lead("d", mql_at="2026-09-30", sql_at="2026-09-30"),  # outside the months asked
        make_lead("e"),
    )
    months = pd.period_range("2026-10", "2026-12", freq="M")
    frame = monthly_actuals(leads, months)
    assert frame.index.tolist() == list(months)
    assert frame.columns.tolist() == ["mqls", "sqls", "won", "revenue"]
    assert frame["mqls"].tolist() == [1.0, 2.0, 0.0]
    assert frame["sqls"].tolist() == [0.0, 2.0, 0.0]  # a (SQL 2 Nov) and b (won 21 Nov without an SQL date)
    assert frame["won"].tolist() == [0.0, 2.0, 0.0]
    assert frame["revenue"].tolist() == [0.0, 12_000.0, 0.0]  # 12 000 + NaN


def test_monthly_actuals_empty():
    months = pd.period_range("2026-10", "2026-11", freq="M")
    frame = monthly_actuals(leads_frame(), months)
    assert frame.to_numpy().tolist() == [[0.0] * 4, [0.0] * 4]


def test_attainment_trend_uses_the_quota_in_force_on_each_months_first_day():
    small = {"mqls_by_channel": {}}
    versions = [
        make_sla(
            meta={"version": 1, "effective_from": dt.date(2026, 1, 1)},
            quotas={"mqls": 4, "sqls": 2, "won": 1} | small,
            goal={"monthly_revenue": 10_000},
        ),
        make_sla(
            meta={"version": 2, "effective_from": dt.date(2026, 2, 1)},
            quotas={"mqls": 2, "sqls": 1, "won": 1} | small,
            goal={"monthly_revenue": 20_000},
        ),
        # takes effect mid-March: March is still judged by version 2
        make_sla(meta={"version": 3, "effective_from": dt.date(2026, 3, 10)}, quotas={"mqls": 100} | small),
    ]
    leads = leads_frame(
        make_lead("j1", mql_at="2026-01-05", sql_at="2026-01-20", won_at="2026-01-25", amount=12_000.0),
        make_lead("j2", mql_at="2026-01-10"),
        make_lead("j3", mql_at="2026-01-20"),
        make_lead("j4", mql_at="2026-01-31 23:00"),
        make_lead("f1", mql_at="2026-02-03"),
    )
    months = pd.period_range("2026-01", "2026-03", freq="M")
    trend = attainment_trend(leads, versions, months, _ts("2026-02-15"))  # half of February
    assert len(trend) == 12
    rows = trend.set_index(["month", "measure"])

    def row(month: str, measure: str) -> pd.Series:
        return rows.loc[(pd.Period(month, "M"), measure)]

    # January (v1, closed): 4/4 MQLs met, 1/2 SQLs missed, 1/1 won met, 12 000 / 10 000 revenue met
    assert row("2026-01", "mqls")[["actual", "quota", "attainment", "status"]].tolist() == [4.0, 4.0, 1.0, "met"]
    assert row("2026-01", "sqls")[["actual", "quota", "attainment", "status"]].tolist() == [1.0, 2.0, 0.5, "missed"]
    assert row("2026-01", "revenue")[["quota", "attainment", "status"]].tolist() == [10_000.0, 1.2, "met"]
    # February (v2, half way): 1 MQL of 2 -> attainment 0.5, projection 1 / 0.5 = 2 -> 100%, on track
    feb = row("2026-02", "mqls")
    assert feb[["actual", "quota", "attainment", "projected_attainment", "status"]].tolist() == [
        1.0,
        2.0,
        0.5,
        1.0,
        "on track",
    ]
    assert row("2026-02", "sqls")["status"] == "behind"  # 0 / 0.5 = 0 < 1
    assert row("2026-02", "revenue")["quota"] == 20_000.0
    # March: not started, still judged by v2 (v3 only starts on the 10th)
    mar = row("2026-03", "mqls")
    assert mar[["quota", "status", "sla_version"]].tolist() == [2.0, "not started", 2]
    assert math.isnan(mar["projected_attainment"])
    assert trend["sla_version"].tolist() == [1] * 4 + [2] * 8


def test_a_won_lead_without_an_sql_date_counts_as_an_sql_in_the_month_of_its_earliest_stage():
    from tests.factories import decided_leads

    leads = decided_leads()
    months = pd.period_range("2026-10", "2026-11", freq="M")
    got = monthly_actuals(leads, months)
    # W (won 11 Oct), L (lost 21 Oct), O (opportunity 31 Oct, won 5 Nov): three SQLs, all in October.
    assert got["sqls"].tolist() == [3.0, 0.0]
    assert got["won"].tolist() == [1.0, 1.0]
    october = pd.Period("2026-10", "M")
    assert measure_progress(leads, [make_sla()], october, "2026-11-10", "sqls").actual == 3.0
    daily = cumulative_by_day(leads, october, 220, "2026-11-10", measure="sqls")
    assert daily["actual"].iloc[-1] == 3.0
