"""The definition advisor: it finds a planted best definition, its front is Pareto, and it keeps within capacity."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sla_model.generator import generate, sample_slas
from sla_model.whatif import Candidate, advise, mql_mask, observed_team_size, pareto_front, prepare
from sla_model.whatif.advisor import Definition
from tests.factories import leads_frame, make_mql, make_sla

# --- a planted history -----------------------------------------------------------------------------
# Six complete months (January to June 2026), every lead scored 60, from Email, handed to sales, so the
# engine's channel × score-band rates cannot tell the leads apart; only who they are can.
# Each month: 20 Finance Leads at companies of 800 employees: 8 won, 10 accepted, 2 rejected (40% won);
# and 50 leads in each of five other groups (Finance Lead at 40 employees; IT Director and Developer at
# 800 and at 40): 1 won, 24 accepted, 25 rejected (2% won).
AS_OF = pd.Timestamp("2026-07-15")
MONTHS = pd.period_range("2026-01", "2026-06", freq="M")
WEEKS_A_MONTH = 181 / 6 / 7  # January to June 2026 hold 181 days
DEAL = 10_000.0
PLANTED = ("Finance Lead", 800)
OTHERS = (("Finance Lead", 40), ("IT Director", 800), ("IT Director", 40), ("Developer", 800), ("Developer", 40))


def _group(persona: str, size: int, month: pd.Period, won: int, accepted: int, rejected: int) -> list[dict]:
    outcomes = ["won"] * won + ["accepted"] * accepted + ["rejected"] * rejected
    return [
        make_mql(
            f"{persona[:2]}{size}-{month}-{i}",
            month.start_time + pd.Timedelta(days=i % 28, hours=9),
            outcome=outcome,
            reason="not_icp" if outcome == "rejected" else None,
            amount=DEAL,
            persona=persona,
            company_size=size,
            score=60,
        )  # fmt: skip
        for i, outcome in enumerate(outcomes)
    ]


@pytest.fixture(scope="module")
def planted():
    rows = []
    for month in MONTHS:
        rows += _group(*PLANTED, month, won=8, accepted=10, rejected=2)
        for persona, size in OTHERS:
            rows += _group(persona, size, month, won=1, accepted=24, rejected=25)
    leads = leads_frame(*rows)
    arrays = prepare(leads, [make_sla()], as_of=AS_OF)
    is_planted = ((leads["persona"] == PLANTED[0]) & (leads["company_size"] == PLANTED[1])).to_numpy()
    return arrays, is_planted


def _team(capacity: float) -> Candidate:
    """One rep, the given capacity, a goal of 75,000 a month at a deal size of 10,000."""
    return Candidate.from_sla(make_sla(), team_size=1, capacity_per_rep_week=capacity).replace(
        revenue_goal=75_000, average_deal_size=DEAL
    )


def test_the_advisor_finds_the_planted_definition(planted):
    arrays, is_planted = planted
    advice = advise(arrays, _team(capacity=20))
    found = [o for o in advice.options if np.array_equal(mql_mask(arrays, o.definition.apply(_team(20))), is_planted)]
    assert len(found) == 1, [o.definition for o in advice.options]
    best = found[0]
    assert best.definition.personas == ("Finance Lead",)
    assert 40 < best.definition.min_company_size <= 800
    # 8 wins a month at 10,000; 18 of 20 accepted; 20 MQLs a month for one rep
    assert best.mqls == pytest.approx(20)
    assert best.won == pytest.approx(8)
    assert best.revenue == pytest.approx(80_000)
    assert best.revenue_gap == pytest.approx(80_000 / 75_000 - 1)
    assert best.acceptance_rate == pytest.approx(0.9)
    assert best.load_per_rep_week == pytest.approx(20 / WEEKS_A_MONTH)
    assert best.recorded_share == 1.0
    # the replay prices every MQL at the one cell's rate: 78 wins of 1,620 MQLs, so it cannot see the group
    assert best.replay_revenue == pytest.approx(20 * 78 / 1_620 * DEAL)
    # nothing reaches the goal with a better acceptance
    f = advice.figures[advice.figures["eligible"] & (advice.figures["revenue_gap"] >= 0)]
    assert f["acceptance_rate"].max() == pytest.approx(0.9)


def test_the_engine_alone_could_not_tell_the_planted_leads_apart(planted):
    """Every lead sits in one channel × score band: the recorded outcomes are what finds the planted group."""
    arrays, _ = planted
    assert arrays.hist_mqls.sum() == arrays.hist_mqls.max() == 6 * (20 + 5 * 50)


def test_more_capacity_admits_more_revenue_and_the_planted_definition_stays(planted):
    arrays, is_planted = planted
    tight, loose = advise(arrays, _team(capacity=20)), advise(arrays, _team(capacity=70))
    # capacity 20 a week holds the planted 20 a month plus one group of 50 (70 ÷ 4.31 = 16.2 a week), not two
    assert max(o.revenue for o in tight.options) == pytest.approx(90_000)
    # 70 a week holds everyone: 270 MQLs a month (62.6 a week), 8 + 5 wins
    assert max(o.revenue for o in loose.options) == pytest.approx(130_000)
    for advice in (tight, loose):
        assert any(np.array_equal(mql_mask(arrays, o.definition.apply(_team(20))), is_planted) for o in advice.options)


@pytest.mark.parametrize("capacity", [5.0, 12.0, 20.0])
def test_every_option_and_the_whole_front_are_within_capacity(planted, capacity):
    arrays, _ = planted
    advice = advise(arrays, _team(capacity))
    assert all(o.load_per_rep_week <= capacity for o in advice.options)
    f = advice.figures
    assert not f.loc[f["on_front"], "load_per_rep_week"].gt(capacity).any()
    assert advice.within_capacity == int((f["load_per_rep_week"] <= capacity).sum())


def test_no_definition_within_capacity_gives_no_option(planted):
    arrays, _ = planted
    advice = advise(arrays, _team(capacity=1))  # even the planted 20 a month are 4.6 a week
    assert advice.options == ()
    assert advice.front == 0


@pytest.fixture(scope="module")
def sample():
    data = generate(n_leads=6_000)
    versions = sample_slas()
    arrays = prepare(data.leads, versions, as_of=data.as_of)
    team = Candidate.from_sla(versions[-1], team_size=max(observed_team_size(arrays) // 3, 1),
                              capacity_per_rep_week=15)  # fmt: skip
    return arrays, team, advise(arrays, team)


def test_no_option_is_dominated_by_any_definition_evaluated(sample):
    _, _, advice = sample
    f = advice.figures[advice.figures["eligible"]]
    r, a, lo = f["revenue"].to_numpy(), f["acceptance_rate"].to_numpy(), f["load_per_rep_week"].to_numpy()
    assert 1 <= len(advice.options) <= 5
    for o in advice.options:
        at_least = (r >= o.revenue) & (a >= o.acceptance_rate) & (lo <= o.load_per_rep_week)
        better = (r > o.revenue) | (a > o.acceptance_rate) | (lo < o.load_per_rep_week)
        assert not (at_least & better).any(), o
    assert len({o.definition for o in advice.options}) == len(advice.options)


def test_options_come_near_the_goal_and_spread_over_the_trade_offs(sample):
    _, team, advice = sample
    front = advice.figures[advice.figures["on_front"]]
    near = 0.8 * min(team.revenue_goal, front["revenue"].max())
    assert len(advice.options) == 5
    assert all(o.revenue >= near for o in advice.options)
    assert [o.revenue for o in advice.options] == sorted((o.revenue for o in advice.options), reverse=True)
    assert advice.options[0].revenue == front["revenue"].max()  # the most revenue within capacity comes first
    pool = front[front["revenue"] >= near]
    ends = pool[pool["revenue_gap"] >= 0] if (pool["revenue_gap"] >= 0).any() else pool
    assert max(o.acceptance_rate for o in advice.options) >= ends["acceptance_rate"].max()
    assert min(o.load_per_rep_week for o in advice.options) <= ends["load_per_rep_week"].min()


def test_figures_count_the_leads_mql_mask_admits(sample):
    arrays, team, advice = sample
    history = (arrays.month >= 0) & (arrays.month < arrays.n_months)
    for i in np.random.default_rng(7).integers(0, advice.evaluated, 25):
        candidate = advice.definition(int(i)).apply(team)
        expected = (mql_mask(arrays, candidate) & history).sum() / arrays.n_months
        assert advice.figures.at[int(i), "mqls"] == pytest.approx(expected, abs=1e-9)


def test_using_an_option_changes_the_definition_only(sample):
    _, team, advice = sample
    used = advice.options[0].definition.apply(team)
    assert Definition(**{k: getattr(used, k) for k in Definition.__dataclass_fields__}) == advice.options[0].definition
    unchanged = {"quota_mqls", "revenue_goal", "team_size", "countries", "capacity_per_rep_week", "min_touches"}
    assert all(getattr(used, k) == getattr(team, k) for k in unchanged)


def test_pareto_front_agrees_with_brute_force():
    rng = np.random.default_rng(3)
    for n in (1, 7, 150, 700):  # 700 spans several blocks
        # few distinct values, so ties and duplicates are common
        r, a, lo = (rng.integers(0, 6, n).astype(float) for _ in range(3))
        brute = np.array([
            not np.any((r >= r[i]) & (a >= a[i]) & (lo <= lo[i]) & ((r > r[i]) | (a > a[i]) | (lo < lo[i])))
            for i in range(n)
        ])  # fmt: skip
        assert np.array_equal(pareto_front(r, a, lo), brute), n


def test_hand_computed_front():
    # (revenue, acceptance, load): b has more of everything than c; d ties a exactly; e loses on load only
    revenue = np.array([10.0, 8, 6, 10, 10])
    acceptance = np.array([0.5, 0.7, 0.6, 0.5, 0.5])
    load = np.array([4.0, 3, 3, 4, 5])
    assert pareto_front(revenue, acceptance, load).tolist() == [True, True, False, True, False]
