import math

import numpy as np
import pandas as pd
import pytest

from sla_model.generator import AS_OF, generate, sample_slas
from sla_model.whatif import Candidate, completion, evaluate, prepare
from sla_model.whatif.backtest import BACKTEST_COLUMNS, BACKTEST_MEASURES, backtest, governed_months
from tests.factories import leads_frame, make_lead, make_mql, make_sla

# --- the sample company ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample():
    data = generate()
    arrays = prepare(data.leads, sample_slas(), as_of=AS_OF)
    return data, arrays, backtest(data.leads, arrays)


def test_each_version_is_backtested_over_the_complete_months_it_governed(sample):
    _, _, bt = sample
    assert list(bt.columns) == list(BACKTEST_COLUMNS)
    spans = bt.drop_duplicates("version")[["version", "first_month", "last_month", "n_months"]]
    assert spans.astype(str).values.tolist() == [["1", "2025-11", "2026-05", "7"], ["2", "2026-06", "2026-10", "5"]]
    assert bt["measure"].tolist() == list(BACKTEST_MEASURES) * 2


@pytest.mark.parametrize("version", [1, 2])
@pytest.mark.parametrize("measure", ["sqls", "won", "revenue"])
def test_the_replay_of_each_version_reproduces_its_months_within_the_95_interval(sample, version, measure):
    _, _, bt = sample
    row = bt.set_index(["version", "measure"]).loc[(version, measure)]
    assert row["low"] <= row["observed"] <= row["high"], row.to_dict()
    assert bool(row["inside"])


@pytest.mark.parametrize("version", [1, 2])
@pytest.mark.parametrize("measure", ["sqls", "won"])
def test_the_replay_of_each_version_is_within_ten_percent_of_its_months(sample, version, measure):
    _, _, bt = sample
    assert abs(bt.set_index(["version", "measure"]).loc[(version, measure), "error"]) < 0.1


@pytest.mark.parametrize("version", [1, 2])
def test_the_replayed_revenue_is_the_replayed_wins_at_the_versions_deal_size(sample, version):
    # Revenue adds the spread of deal amounts to the wins' error (the sample's amounts are drawn around $11.6k,
    # the SLA assumes $12k), so it is held to the 95% interval above and to this identity, not to 10%.
    _, _, bt = sample
    rows = bt.set_index(["version", "measure"])
    deal = sample_slas()[version - 1].goal.average_deal_size
    assert rows.loc[(version, "revenue"), "replayed"] == pytest.approx(rows.loc[(version, "won"), "replayed"] * deal)


def test_the_replayed_mqls_are_the_mqls_each_version_handed_over(sample):
    _, _, bt = sample
    mqls = bt[bt["measure"] == "mqls"]
    assert (mqls["error"].abs() < 0.01).all()
    assert mqls["inside"].isna().all() and mqls["low"].isna().all()


def test_observed_figures_are_the_months_actual_counts(sample):
    data, arrays, bt = sample
    v2 = bt[bt["version"] == 2].set_index("measure")["observed"]
    leads = data.leads
    months = pd.period_range("2026-06", "2026-10", freq="M")
    won = leads["won_at"].dt.to_period("M").isin(months)
    assert v2["won"] == won.sum() / 5
    assert v2["revenue"] == pytest.approx(leads.loc[won, "amount"].sum() / 5)


def test_governed_months_leave_out_a_month_whose_version_changed_mid_month():
    v1 = make_sla(meta={"version": 1, "effective_from": "2026-01-01"})
    v2 = make_sla(meta={"version": 2, "effective_from": "2026-02-15"})
    leads = leads_frame(make_mql("A", "2026-01-05"), make_mql("B", "2026-02-20"), make_mql("C", "2026-03-03"))
    arrays = prepare(leads, [v1, v2], as_of=pd.Timestamp("2026-04-10"))
    assert governed_months(arrays).tolist() == [0, -1, 1]
    bt = backtest(leads, arrays)
    assert bt.drop_duplicates("version")[["version", "n_months"]].values.tolist() == [[1, 1], [2, 1]]


def test_no_complete_month_gives_an_empty_backtest():
    leads = leads_frame(make_mql("A", "2026-03-02", outcome="won"))
    arrays = prepare(leads, [make_sla()], as_of=pd.Timestamp("2026-03-20"))
    bt = backtest(leads, arrays)
    assert bt.empty and list(bt.columns) == list(BACKTEST_COLUMNS)


def test_nothing_observed_gives_no_error_rather_than_a_division_by_zero():
    leads = leads_frame(make_mql("A", "2026-01-05", score=80), make_lead("B", created_at="2026-01-06", score=10))
    bt = backtest(leads, prepare(leads, [make_sla()], as_of=pd.Timestamp("2026-02-10"))).set_index("measure")
    assert math.isnan(bt.loc["won", "error"]) and bt.loc["won", "replayed"] == 0
    assert bt.loc["mqls", "error"] == 0


# --- a planted history: known rates, outcomes that take weeks to arrive --------------------------------
# 12,000 Email MQLs scored 80, created evenly over January–June 2026, snapshot 15 July. Each reaches
# SQL with chance 0.4 after an exponential 20 days, then wins with chance 0.25 (0.1 of MQLs) after a
# further exponential 30 days; nothing after the snapshot is recorded yet.
P_SQL, P_WON, N = 0.4, 0.1, 12_000
PLANT_AS_OF = pd.Timestamp("2026-07-15")


def _planted(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    start, end = pd.Timestamp("2026-01-01"), pd.Timestamp("2026-07-01")
    created = start + (end - start) * np.sort(rng.random(N))
    mql_at = created + pd.Timedelta(hours=1)
    sql_at = mql_at + pd.to_timedelta(rng.exponential(20, N), unit="D")
    won_at = sql_at + pd.to_timedelta(rng.exponential(30, N), unit="D")
    reaches_sql = rng.random(N) < P_SQL
    wins = reaches_sql & (rng.random(N) < P_WON / P_SQL)
    rows = []
    for i in range(N):
        row = {"created_at": created[i], "mql_at": mql_at[i], "accepted_at": mql_at[i] + pd.Timedelta(hours=5)}
        if reaches_sql[i] and sql_at[i] <= PLANT_AS_OF:
            row["sql_at"] = sql_at[i]
            row["opportunity_at"] = sql_at[i]
            if wins[i] and won_at[i] <= PLANT_AS_OF:
                row |= {"won_at": won_at[i], "amount": 12_000.0}
        rows.append(make_lead(f"P{i:05d}", score=80, channel="Email", **row))
    return leads_frame(*rows)


@pytest.fixture(scope="module")
def planted():
    leads = _planted(7)
    return leads, prepare(leads, [make_sla()], as_of=PLANT_AS_OF)


def test_the_planted_data_hides_outcomes_of_young_cohorts(planted):
    leads, _ = planted
    for column, rate in (("sql_at", P_SQL), ("won_at", P_WON)):  # a naive rate over every MQL is far too low
        assert leads[column].notna().mean() < rate - 3 * math.sqrt(rate * (1 - rate) / N)


@pytest.mark.parametrize(("measure", "rate"), [("sqls", P_SQL), ("won", P_WON)])
def test_the_replay_recovers_the_planted_rates(planted, measure, rate):
    _, arrays = planted
    r = evaluate(arrays, Candidate.from_sla(make_sla(), team_size=1, capacity_per_rep_week=1))
    estimate = getattr(r, measure).expected / r.mqls
    standard_error = math.sqrt(rate * (1 - rate) / N)
    assert abs(estimate - rate) < 3 * standard_error, estimate


def test_the_backtest_of_the_planted_history_is_inside_its_intervals(planted):
    leads, arrays = planted
    bt = backtest(leads, arrays).set_index("measure")
    assert bt.loc[["sqls", "won", "revenue"], "inside"].all(), bt


# --- the share of outcomes an MQL's age has seen ------------------------------------------------------


@pytest.mark.parametrize(
    ("delays", "ages", "expected"),
    [
        ([], [5.0, 10.0], [1.0, 1.0]),  # nothing recorded: nothing to wait for
        ([3.0], [1.0, 3.0, 9.0], [0.0, 1.0, 1.0]),
        ([1.0, 1.0], [0.0, 2.0], [0.0, 1.0]),
        ([2.0], [], []),
    ],
)
def test_completion(delays, ages, expected):
    assert completion(np.array(delays), np.array(ages)).tolist() == expected


def test_completion_weights_long_delays_by_the_mqls_too_young_to_show_them():
    # Two outcomes at 10 and 30 days; only half the MQLs are 30 days old, so the 30-day one counts twice.
    assert completion(np.array([10.0, 30.0]), np.array([5.0, 20.0, 40.0, 60.0])).tolist() == [0.0, 0.4, 1.0, 1.0]
