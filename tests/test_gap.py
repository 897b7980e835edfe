"""The revenue gap split by factor (LMDI-I): hand-computed cases, zeros, a planted conversion drop, channels."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import vl_convert as vlc
from hypothesis import given, settings
from hypothesis import strategies as st

from sla_model.charts import waterfall_chart
from sla_model.metrics.gap import (
    FACTORS,
    channel_gaps,
    decompose,
    factors,
    gap_sentence,
    gap_vs_goal,
    gap_vs_period,
    judged_window,
    lmdi,
    stage_counts,
    stage_times,
    waterfall_steps,
)
from tests.factories import leads_frame, make_lead, make_sla


def test_a_hand_computed_split_adds_up_to_the_gap():
    # Baseline: 100 MQLs, 20 SQLs, 5 won, $50,000 → factors 100 × 0.20 × 0.25 × $10,000.
    # Actual:    80 MQLs, 20 SQLs, 4 won, $48,000 → factors  80 × 0.25 × 0.20 × $12,000.
    # L(48,000, 50,000) = −2,000 ÷ ln(0.96) = 48,993.20
    # volume      = L · ln(80/100)   = 48,993.20 × −0.223144 = −10,932.52
    # MQL → SQL   = L · ln(0.25/0.2) = 48,993.20 × +0.223144 = +10,932.52
    # SQL → won   = L · ln(0.2/0.25) = −10,932.52
    # deal size   = L · ln(1.2)      = 48,993.20 × +0.182322 = +8,932.52;  sum = −2,000
    g = decompose([100, 20, 5, 50_000], [80, 20, 4, 48_000])
    assert g.gap == -2_000
    assert g.effects["volume"] == pytest.approx(-10_932.52, abs=0.01)
    assert g.effects["mql_to_sql"] == pytest.approx(10_932.52, abs=0.01)
    assert g.effects["sql_to_won"] == pytest.approx(-10_932.52, abs=0.01)
    assert g.effects["deal_size"] == pytest.approx(8_932.52, abs=0.01)
    assert sum(g.effects.values()) == pytest.approx(-2_000, abs=1e-6)
    assert g.main == "volume"  # ties in size: the first in product order


def test_no_change_means_no_effect_and_equal_revenue_keeps_offsetting_effects():
    assert decompose([100, 20, 5, 50_000], [100, 20, 5, 50_000]).effects == dict.fromkeys(FACTORS, 0.0)
    # Same revenue ($50,000 = L), SQLs halve, their win rate doubles: ±50,000 × ln 2 = ±34,657.36.
    g = decompose([100, 20, 5, 50_000], [100, 10, 5, 50_000])
    assert g.effects["mql_to_sql"] == pytest.approx(-34_657.36, abs=0.01)
    assert g.effects["sql_to_won"] == pytest.approx(34_657.36, abs=0.01)
    assert g.effects["volume"] == 0 and g.effects["deal_size"] == 0


def test_a_factor_that_falls_to_zero_takes_the_whole_gap():
    # No SQLs at all: MQL → SQL is 0; SQL → won and deal size are 0 ÷ 0 and take the baseline's values.
    g = decompose([100, 20, 5, 50_000], [100, 0, 0, 0])
    assert g.effects == {"volume": 0.0, "mql_to_sql": -50_000.0, "sql_to_won": 0.0, "deal_size": 0.0}
    # SQLs but no wins: the SQL → won rate takes it.
    assert decompose([100, 20, 5, 50_000], [100, 20, 0, 0]).effects["sql_to_won"] == -50_000
    # Wins without amounts: the deal size (0) takes it; from zero revenue back up, the same factor takes the rise.
    assert decompose([100, 20, 5, 50_000], [100, 20, 5, 0]).effects["deal_size"] == -50_000
    assert decompose([100, 20, 5, 0], [100, 20, 5, 50_000]).effects["deal_size"] == 50_000
    # Two factors at 0 share the gap equally (δ → 0 in both).
    x = lmdi(np.array([10.0, 2.0, 3.0]), np.array([0.0, 0.0, 3.0]))
    assert x.tolist() == [-30.0, -30.0, 0.0]
    # Nothing on either side: nothing to explain.
    assert decompose([0, 0, 0, 0], [0, 0, 0, 0]).effects == dict.fromkeys(FACTORS, 0.0)


def test_a_broken_chain_merges_the_empty_stage_with_the_next():
    # No MQLs this period but 5 SQLs from earlier MQLs: volume and MQL → SQL merge into "SQLs" (under volume).
    # Baseline factors 20 × 1 × 0.25 × 10,000; actual 5 × 1 × 0.40 × 10,000 ($20,000).
    # L(20,000, 50,000) = 30,000 ÷ ln 2.5 = 32,740.70; volume = L ln 0.25 = −45,388.25; SQL → won = L ln 1.6
    x0, x1 = factors([100, 20, 5, 50_000], [0, 5, 2, 20_000])
    assert x0.tolist() == [20.0, 1.0, 0.25, 10_000.0] and x1.tolist() == [5.0, 1.0, 0.4, 10_000.0]
    g = decompose([100, 20, 5, 50_000], [0, 5, 2, 20_000])
    assert g.effects["volume"] == pytest.approx(-45_388.25, abs=0.01)
    assert g.effects["mql_to_sql"] == 0
    assert g.effects["sql_to_won"] == pytest.approx(15_388.25, abs=0.01)
    assert sum(g.effects.values()) == pytest.approx(-30_000)


def test_negative_revenue_is_refused():
    with pytest.raises(ValueError, match="not negative"):
        decompose([1, 1, 1, -5], [1, 1, 1, 5])


side = st.tuples(st.integers(0, 5_000), st.integers(0, 2_000), st.integers(0, 500), st.integers(0, 10**9)).map(
    lambda t: [t[0], t[1], t[2], t[3] / 100 if t[2] else 0.0]
)  # revenue in cents, only where something was won


@settings(max_examples=400, deadline=None)
@given(side, side)
def test_effects_always_sum_exactly_to_the_gap(base, actual):
    g = decompose(base, actual)
    assert all(math.isfinite(v) for v in g.effects.values())
    assert sum(g.effects.values()) == pytest.approx(g.gap, rel=1e-9, abs=1e-6)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.floats(0.01, 1e4), min_size=4, max_size=4),
    st.lists(st.floats(0.01, 1e4), min_size=4, max_size=4),
    st.permutations(range(4)),
)
def test_the_split_does_not_depend_on_the_order_of_the_factors(x0, x1, order):
    """Sequential substitution would give each order a different answer; LMDI gives every order the same."""
    x0, x1 = np.array(x0), np.array(x1)
    assert lmdi(x0[list(order)], x1[list(order)]) == pytest.approx(lmdi(x0, x1)[list(order)], rel=1e-9, abs=1e-9)


# --- On lead frames -----------------------------------------------------------------------------------------------


def _month(tag: str, month: str, mqls: int, sqls: int, won: int, deal: float, channel: str = "Email") -> list[dict]:
    """``mqls`` MQLs on the 10th of ``month``; the first ``sqls`` became SQL on the 12th, the first ``won`` won on
    the 20th for ``deal`` each."""
    day = pd.Timestamp(f"{month}-01")
    rows = []
    for i in range(mqls):
        rows.append(
            make_lead(
                f"{tag}-{i}",
                channel=channel,
                created_at=day + pd.Timedelta(days=9),
                mql_at=day + pd.Timedelta(days=9, hours=1),
                sql_at=day + pd.Timedelta(days=11) if i < sqls else None,
                won_at=day + pd.Timedelta(days=19) if i < won else None,
                amount=deal if i < won else None,
            )
        )
    return rows


def test_a_planted_conversion_drop_is_attributed_to_mql_to_sql():
    # August: 100 MQLs, 40 SQLs, 10 won at $10,000 = $100,000.
    # November: the same 100 MQLs, but only 21 SQLs; 5 won at $10,400 = $52,000 (a little luck on deal size).
    # Factors: 100 × 0.40 × 0.25 × 10,000 → 100 × 0.21 × 0.2381 × 10,400; gap −$48,000.
    # L(52,000, 100,000) = 48,000 ÷ ln(100/52) = 48,000 ÷ 0.653926 = 73,402.75;
    # MQL → SQL = L ln(0.525) = −47,297.58; SQL → won = L ln(0.95238) = −3,581.33; deal size = L ln(1.04) = +2,878.91.
    leads = leads_frame(*_month("a", "2026-08", 100, 40, 10, 10_000), *_month("n", "2026-11", 100, 21, 5, 10_400))
    g = gap_vs_period(leads, pd.Timestamp("2026-11-01"), pd.Timestamp("2026-12-01"), pd.Timestamp("2026-12-05"))
    assert g.gap == -48_000
    assert g.main == "mql_to_sql"
    assert g.effects["volume"] == 0
    assert g.effects["mql_to_sql"] == pytest.approx(-47_297.58, abs=0.01)
    assert g.effects["sql_to_won"] == pytest.approx(-3_581.33, abs=0.01)
    assert g.effects["deal_size"] == pytest.approx(2_878.91, abs=0.01)
    assert g.effects["mql_to_sql"] / g.gap > 0.9  # most of the gap is conversion
    assert gap_sentence(g, lambda x: f"${x:,.0f}", "August 2026") == (
        "Revenue is $48,000 below August 2026; most of it is the MQL → SQL rate ($47,298 lower)."
    )


def test_against_the_goal_the_rates_come_from_the_quotas():
    # Quotas 100 MQLs, 40 SQLs, 10 won, goal $100,000 → goal factors 100 × 0.40 × 0.25 × $10,000.
    sla = make_sla(quotas={"mqls": 100, "sqls": 40, "won": 10, "mqls_by_channel": {}},
                   goal={"monthly_revenue": 100_000, "average_deal_size": 8_000})  # fmt: skip
    leads = leads_frame(*_month("n", "2026-11", 100, 20, 5, 10_000))
    g = gap_vs_goal(leads, sla, pd.Timestamp("2026-11-01"), pd.Timestamp("2026-12-01"), pd.Timestamp("2026-12-05"))
    assert g.baseline == (100, 40, 10, 100_000) and g.actual == (100, 20, 5, 50_000)
    assert g.effects == {"volume": 0.0, "mql_to_sql": pytest.approx(-50_000), "sql_to_won": 0.0, "deal_size": 0.0}
    # Mid-month (15 of 30 days): judged against the goal's pace, with only what happened before as_of.
    mid = gap_vs_goal(leads, sla, pd.Timestamp("2026-11-01"), pd.Timestamp("2026-12-01"), pd.Timestamp("2026-11-16"))
    assert mid.baseline == (50, 20, 5, 50_000)
    assert mid.actual == (100, 20, 0, 0)  # MQLs on the 10th, SQLs on the 12th, wins on the 20th: not yet
    assert mid.effects["sql_to_won"] == -50_000


def test_each_stage_counts_in_the_month_of_its_own_event():
    # An MQL of October that became SQL and won in November counts as an SQL and a win of November.
    lead = make_lead("x", mql_at="2026-10-30", sql_at="2026-11-02", won_at="2026-11-20", amount=9_000)
    counts = stage_counts(leads_frame(lead), pd.Timestamp("2026-11-01"), pd.Timestamp("2026-12-01"))
    assert counts.iloc[0].tolist() == [0.0, 1.0, 1.0, 9_000.0]
    assert judged_window(pd.Timestamp("2026-11-01"), pd.Timestamp("2026-12-01"), pd.Timestamp("2026-11-16"))[1] == 0.5


def test_channels_add_up_to_the_total_gap():
    leads = leads_frame(
        *_month("ea", "2026-08", 50, 20, 6, 10_000, "Email"), *_month("en", "2026-11", 50, 10, 3, 10_000, "Email"),
        *_month("wa", "2026-08", 30, 10, 2, 8_000, "Webinar"), *_month("wn", "2026-11", 45, 15, 4, 9_000, "Webinar"),
    )  # fmt: skip
    start, end, as_of = pd.Timestamp("2026-11-01"), pd.Timestamp("2026-12-01"), pd.Timestamp("2026-12-05")
    total = gap_vs_period(leads, start, end, as_of)
    per = channel_gaps(leads, start, end, as_of).set_index("channel")
    pd.testing.assert_frame_equal(
        channel_gaps(leads, start, end, as_of, times=stage_times(leads)).set_index("channel"), per
    )
    # Email: $60,000 → $30,000 (−30,000); Webinar: $16,000 → $36,000 (+20,000); total $76,000 → $66,000.
    assert per.loc["Email", "gap"] == -30_000 and per.loc["Webinar", "gap"] == 20_000
    assert per["gap"].sum() == total.gap == -10_000
    assert per[list(FACTORS)].to_numpy().sum() == pytest.approx(total.gap)
    # Email kept its volume and win rate: all its loss is MQL → SQL.
    assert per.loc["Email", "volume"] == 0 and per.loc["Email", "mql_to_sql"] == pytest.approx(-30_000)


def test_the_waterfall_walks_from_the_baseline_to_the_actual_and_renders():
    g = decompose([100, 20, 5, 50_000], [80, 20, 4, 48_000])
    steps = waterfall_steps(g, "Goal", "Actual")
    assert steps["step"].tolist() == ["Goal", "MQL volume", "MQL → SQL rate", "SQL → won rate", "Deal size", "Actual"]
    assert steps["kind"].tolist() == ["total", "down", "up", "down", "up", "total"]
    assert steps["end"].iloc[4] == pytest.approx(48_000)  # the last effect lands on the actual
    assert (steps["start"].iloc[1:5].to_numpy() == steps["end"].iloc[0:4].to_numpy()).all()
    steps["label"] = ["$50k", "−$11k", "+$11k", "−$11k", "+$9k", "$48k"]
    svg = vlc.vegalite_to_svg(waterfall_chart(steps).properties(width=600, height=300).to_json())
    assert "−$11k" in svg and "+$9k" in svg and "Deal size" in svg
