import math

import numpy as np
import pandas as pd
import pytest

from sla_model.metrics.funnel import STAGES, FunnelRates, funnel_vs_actual, observed_rates, reverse_funnel
from tests.factories import leads_frame, make_lead

NAN = math.nan
NOV_START, NOV_END = pd.Timestamp("2026-11-01"), pd.Timestamp("2026-12-01")


@pytest.mark.parametrize(
    ("goal", "deal", "rates", "needed"),
    [
        pytest.param(
            # 100 000 / 10 000 = 10 customers; 10 / 0.2 = 50 SQLs; 50 / 0.25 = 200 MQLs; 200 / 0.5 = 400 leads
            100_000,
            10_000,
            (0.5, 0.25, 0.2),
            [100_000, 10, 50, 200, 400],
            id="exact",
        ),
        pytest.param(
            # 100 000 / 12 000 = 8.33 -> 9; 9 / 0.3 = 30; 30 / 0.4 = 75; 75 / 0.1 = 750
            100_000,
            12_000,
            (0.1, 0.4, 0.3),
            [100_000, 9, 30, 75, 750],
            id="customers-round-up",
        ),
        pytest.param(
            # 10 customers; 10 / 0.3 = 33.3 -> 34; 34 / 0.25 = 136; 136 / 0.2 = 680
            100_000,
            10_000,
            (0.2, 0.25, 0.3),
            [100_000, 10, 34, 136, 680],
            id="sqls-round-up",
        ),
        pytest.param(
            # 21 / 0.7 is 30.000000000000004 in floating point: still 30, not 31; 30 / 0.5 = 60; 60 / 0.25 = 240
            21_000,
            1_000,
            (0.25, 0.5, 0.7),
            [21_000, 21, 30, 60, 240],
            id="float-noise-does-not-round-up",
        ),
        pytest.param(
            # 600 000 / 12 000 = 50; 50 / 1 = 50; 50 / 1 = 50; 50 / 1 = 50
            600_000,
            12_000,
            (1.0, 1.0, 1.0),
            [600_000, 50, 50, 50, 50],
            id="perfect-conversion",
        ),
        pytest.param(0, 12_000, (0.5, 0.5, 0.5), [0, 0, 0, 0, 0], id="no-goal"),
        pytest.param(
            # a zero SQL->won rate: no number of SQLs reaches the goal, so everything behind it is unknown
            100_000,
            10_000,
            (0.5, 0.25, 0.0),
            [100_000, 10, NAN, NAN, NAN],
            id="zero-rate",
        ),
        pytest.param(100_000, 10_000, (0.5, NAN, 0.2), [100_000, 10, 50, NAN, NAN], id="nan-rate"),
        pytest.param(100_000, 10_000, (NAN, 0.25, 0.2), [100_000, 10, 50, 200, NAN], id="nan-lead-rate"),
        pytest.param(100_000, 10_000, (0.5, -0.1, 0.2), [100_000, 10, 50, NAN, NAN], id="negative-rate"),
        pytest.param(100_000, 0, (0.5, 0.25, 0.2), [100_000, NAN, NAN, NAN, NAN], id="zero-deal-size"),
        pytest.param(100_000, NAN, (0.5, 0.25, 0.2), [100_000, NAN, NAN, NAN, NAN], id="nan-deal-size"),
    ],
)
def test_reverse_funnel(goal, deal, rates, needed):
    lead_to_mql, mql_to_sql, sql_to_won = rates
    frame = reverse_funnel(goal, deal, FunnelRates(lead_to_mql, mql_to_sql, sql_to_won))
    assert frame["stage"].tolist() == STAGES
    np.testing.assert_array_equal(frame["needed"].to_numpy(), np.array(needed, dtype=float))


def test_reverse_funnel_rate_in_column():
    frame = reverse_funnel(100_000, 10_000, FunnelRates(lead_to_mql=0.5, mql_to_sql=0.25, sql_to_won=0.2))
    # revenue has no rate in, customers come from SQLs at 0.2, SQLs from MQLs at 0.25, MQLs from leads at 0.5
    np.testing.assert_array_equal(frame["rate_in"].to_numpy(), [NAN, 0.2, 0.25, 0.5, NAN])


def _window_leads() -> pd.DataFrame:
    created = "2026-11-02 09:00"
    return leads_frame(
        # ten leads created in November; four of them become MQLs, two SQLs, two are won
        make_lead(
            "L01", created_at=created, mql_at="2026-11-03", sql_at="2026-11-05", won_at="2026-11-20", amount=15_000.0
        ),
        make_lead("L02", created_at=created, mql_at="2026-11-03", sql_at="2026-11-06"),
        make_lead("L03", created_at=created, mql_at="2026-11-04", won_at="2026-11-21", amount=9_000.0),
        make_lead("L04", created_at=created, mql_at="2026-11-04"),
        *(make_lead(f"L{i:02}", created_at=created) for i in range(5, 11)),
        # created in October, MQL at the window's first instant: an MQL, not a lead of the window
        make_lead("L11", created_at="2026-10-20", mql_at="2026-11-01 00:00"),
        # SQL logged before its MQL (out of order): each event still counts in its own window
        make_lead("L12", created_at="2026-10-01", mql_at="2026-12-02", sql_at="2026-11-30"),
        # won at the window's end: outside
        make_lead("L13", created_at="2026-10-01", won_at="2026-12-01 00:00", amount=99_999.0),
    )


def test_observed_rates():
    rates = observed_rates(_window_leads(), NOV_START, NOV_END)
    # leads 10, MQLs 4 + L11 = 5, SQLs 2 + L03 (won without an SQL date) + L12 = 4, won 2
    assert (rates.leads, rates.mqls, rates.sqls, rates.won) == (10, 5, 4, 2)
    assert rates.lead_to_mql == 0.5  # 5 / 10
    assert rates.mql_to_sql == pytest.approx(0.8)  # 4 / 5
    assert rates.sql_to_won == pytest.approx(0.5)  # 2 / 4
    assert rates.average_deal_size == 12_000.0  # (15 000 + 9 000) / 2 wins


def test_observed_rates_win_without_amount():
    leads = leads_frame(
        make_lead("a", sql_at="2026-11-02", won_at="2026-11-10", amount=10_000.0),
        make_lead("b", sql_at="2026-11-02", won_at="2026-11-11", amount=None),
    )
    rates = observed_rates(leads, NOV_START, NOV_END)
    assert (rates.sqls, rates.won, rates.sql_to_won) == (2, 2, 1.0)  # still a win
    assert rates.average_deal_size == 10_000.0  # the deals with an amount: a missing one is not a zero
    frame = funnel_vs_actual(20_000, 10_000, rates, leads, NOV_START, NOV_END)
    assert frame["actual"].tolist()[:2] == [10_000.0, 2.0]  # revenue skips the missing amount


def test_observed_rates_empty_frame_gives_nan_rates():
    rates = observed_rates(leads_frame(), NOV_START, NOV_END)
    assert (rates.leads, rates.mqls, rates.sqls, rates.won) == (0, 0, 0, 0)
    assert all(math.isnan(r) for r in (rates.lead_to_mql, rates.mql_to_sql, rates.sql_to_won, rates.average_deal_size))


def test_observed_rates_with_leads_but_no_mqls():
    leads = leads_frame(make_lead("a", created_at="2026-11-02"), make_lead("b", created_at="2026-11-03"))
    rates = observed_rates(leads, NOV_START, NOV_END)
    assert rates.lead_to_mql == 0.0  # 0 / 2
    assert math.isnan(rates.mql_to_sql)  # 0 / 0
    assert math.isnan(rates.sql_to_won)


def test_funnel_vs_actual():
    leads = _window_leads()
    rates = FunnelRates(lead_to_mql=0.5, mql_to_sql=0.5, sql_to_won=0.5)
    frame = funnel_vs_actual(30_000, 7_500, rates, leads, NOV_START, NOV_END)
    # needed: 30 000 / 7 500 = 4 customers; 4 / 0.5 = 8 SQLs; 8 / 0.5 = 16 MQLs; 16 / 0.5 = 32 leads
    assert frame["needed"].tolist() == [30_000.0, 4.0, 8.0, 16.0, 32.0]
    # actual in November: revenue 15 000 + 9 000, 2 won, 4 SQLs (L03 won without an SQL date), 5 MQLs, 10 leads
    assert frame["actual"].tolist() == [24_000.0, 2.0, 4.0, 5.0, 10.0]
    # actual - needed: 24 000 - 30 000, 2 - 4, 4 - 8, 5 - 16, 10 - 32
    assert frame["gap"].tolist() == [-6_000.0, -2.0, -4.0, -11.0, -22.0]
    assert frame["stage"].tolist() == STAGES


def test_funnel_vs_actual_nan_needed_gives_nan_gap():
    rates = FunnelRates(lead_to_mql=0.5, mql_to_sql=0.0, sql_to_won=0.5)
    frame = funnel_vs_actual(30_000, 7_500, rates, leads_frame(), NOV_START, NOV_END)
    assert frame["actual"].tolist() == [0.0] * 5
    np.testing.assert_array_equal(frame["gap"].to_numpy(), [-30_000.0, -4.0, -8.0, NAN, NAN])


def test_observed_rates_count_won_and_lost_leads_as_sqls():
    from tests.factories import decided_leads

    got = observed_rates(decided_leads(), pd.Timestamp("2026-10-01"), pd.Timestamp("2026-11-01"))
    assert (got.mqls, got.sqls, got.won) == (6, 3, 1)
    assert got.mql_to_sql == 0.5
