"""AppTest: the goal-progress page shows the domain functions' numbers for the chosen month and filters."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from sla_model.generator import AS_OF, generate, sample_slas
from sla_model.metrics.progress import measure_in, progress
from tests.pages.conftest import metric
from ui import fmt

PAGE = "pages/goal_progress.py"


@pytest.fixture(scope="module")
def leads():
    return generate().leads


def _expected(leads, period: str, measure: str, quota: float):
    p = pd.Period(period, "M")
    actual = measure_in(leads, measure, p.start_time, (p + 1).start_time)
    return progress(actual, quota, p, AS_OF)


def test_default_month_is_the_latest_and_tiles_match_the_domain(sample_app, leads):
    at = sample_app(PAGE)
    assert not at.exception
    assert "November 2026" in at.title[0].value
    v2 = sample_slas()[-1]
    mqls = _expected(leads, "2026-11", "mqls", v2.quotas.mqls)
    tile = metric(at, "MQLs")
    assert tile.value == fmt.count(mqls.actual)
    gap = round(mqls.delta_vs_pace)
    assert tile.delta == (f"+{gap:,} ahead of pace" if gap > 0 else f"{-gap:,} behind pace" if gap < 0 else "on pace")
    revenue = _expected(leads, "2026-11", "revenue", v2.goal.monthly_revenue)
    assert metric(at, "Revenue").value == fmt.money(revenue.actual)
    assert "behind pace" in metric(at, "Revenue").delta


def test_a_closed_month_is_judged_against_the_version_in_force_then(sample_app, leads):
    at = sample_app(PAGE, month="March 2026")
    assert not at.exception
    assert "March 2026" in at.title[0].value
    v1 = sample_slas()[0]
    mqls = _expected(leads, "2026-03", "mqls", v1.quotas.mqls)
    assert metric(at, "MQLs").value == fmt.count(mqls.actual)
    assert metric(at, "MQLs").delta == f"+{mqls.actual - v1.quotas.mqls:,.0f} over quota"
    assert any("version 1" in c.value for c in at.caption)
    assert any("Quota met" in m.value for m in at.markdown)


def test_channel_filter_uses_the_channel_quota(sample_app, leads):
    at = sample_app(PAGE, month="August 2026", channel="Email")
    assert not at.exception
    email = leads[leads["channel"] == "Email"]
    v2 = sample_slas()[-1]
    mqls = _expected(email, "2026-08", "mqls", v2.quotas.mqls_by_channel["Email"])
    tile = metric(at, "MQLs")
    assert tile.value == fmt.count(mqls.actual)
    gap = mqls.actual - mqls.quota
    assert tile.delta == (f"+{gap:,.0f} over quota" if gap > 0 else f"{-gap:,.0f} under quota")
    assert metric(at, "SQLs").delta is None or metric(at, "SQLs").delta == ""


def test_filters_that_match_nothing_say_so(tiny_app):
    at = tiny_app(PAGE, channel="Email", persona="Developer")
    assert not at.exception
    assert any("No leads match these filters" in i.value for i in at.info)
    assert not at.metric


def test_a_month_with_nothing_in_it_shows_zeros(tiny_app):
    at = tiny_app(PAGE)
    assert not at.exception
    assert "October 2026" in at.title[0].value  # the latest month with data
    assert metric(at, "MQLs").value == "1"
    assert metric(at, "Won deals").value == "0"


def test_empty_database_gives_a_clear_message(empty_app):
    at = empty_app(PAGE)
    assert not at.exception
    assert any("no data yet" in i.value for i in at.info)


@pytest.mark.parametrize("month", ["2026-11", "2026-08", "2026-03"])
def test_tiles_never_show_a_double_negative_or_a_negative_zero(sample_app, month):
    """Before: '-7 behind pace', '-$118k behind pace' and '-0 behind pace' on the tiles."""
    at = sample_app(PAGE, month=month)
    assert not at.exception
    for tile in at.metric:
        if tile.delta:
            assert not tile.delta.startswith(("-", "−")), tile.delta
            assert not re.match(r"^\+?\$?0k? ", tile.delta), tile.delta  # a zero gap reads "on pace"


@pytest.mark.parametrize("measure", ["mqls", "sqls", "won", "revenue"])
def test_each_tile_opens_the_leads_behind_it_and_their_count_is_the_figure(sample_app, measure):
    at = sample_app("pages/goal_progress.py", month="2026-10", channel="Email")
    assert not at.exception
    label = {"mqls": "MQLs", "sqls": "SQLs", "won": "Won deals", "revenue": "Revenue"}[measure]
    at.pills(key="gp_drill").set_value(measure).run()
    table = next(d.value for d in at.dataframe if "History" in d.value.columns)
    title = next(m.value for m in at.markdown if m.value.startswith(f"**{label}, October 2026"))
    shown = metric(at, label).value
    if measure == "revenue":  # the tile sums the won deals' amounts
        assert fmt.money(table["Amount"].sum()) == shown
        assert title.endswith(f"{fmt.plural(len(table), 'lead')}**")
    else:
        assert title == f"**{label}, October 2026: {fmt.plural(int(shown.replace(',', '')), 'lead')}**"
        assert len(table) == int(shown.replace(",", ""))
    assert set(table["Channel"]) <= {"Email"}
    assert table["History"].str.fullmatch(r"lead\?lead=L\d+").all()
    grid = next(d for d in at.dataframe if "History" in d.value.columns)
    # a date a lead has not reached is a blank cell, not "None"
    assert grid.proto.HasField("placeholder") and grid.proto.placeholder == ""


def test_an_open_month_shows_the_forecast_beside_the_run_rate_projection_and_its_backtest(sample_app, leads):
    from sla_model.metrics.forecast import backtest, coverage, month_forecast

    at = sample_app(PAGE)
    assert not at.exception
    assert "Where the month will land" in [s.value for s in at.subheader]
    table = next(d.value for d in at.dataframe if "Forecast" in d.value.columns)
    f = month_forecast(leads, pd.Period("2026-11", "M"), AS_OF)
    mqls = table.set_index("Measure").loc["MQLs"]
    assert mqls["Forecast"] == fmt.count(f.bands["mqls"].median)
    assert mqls["80% range"] == f"{fmt.count(f.bands['mqls'].lo80)} – {fmt.count(f.bands['mqls'].hi80)}"
    assert mqls["Run-rate projection"] == fmt.count(_expected(leads, "2026-11", "mqls", 420).projection)
    revenue = table.set_index("Measure").loc["Revenue"]
    assert revenue["95% range"] == f"{fmt.money(f.bands['revenue'].lo95)} – {fmt.money(f.bands['revenue'].hi95)}"
    cover = coverage(backtest(leads, AS_OF)).set_index("measure")
    line = next(c.value for c in at.caption if c.value.startswith("Backtest"))
    assert f"held in {cover.loc['mqls', 'held80']} of {cover.loc['mqls', 'months']} for MQLs, " in line
    assert f"{cover.loc['won', 'held80']} of {cover.loc['won', 'months']} for won deals" in line


def test_a_closed_month_has_no_forecast_and_explains_its_gap_to_the_goal(sample_app, leads):
    from sla_model.metrics.gap import gap_sentence, gap_vs_goal

    at = sample_app(PAGE, month="2026-08")
    assert not at.exception
    assert "Where the month will land" not in [s.value for s in at.subheader]
    assert "Why revenue is where it is: the gap by factor" in [s.value for s in at.subheader]
    p = pd.Period("2026-08", "M")
    g = gap_vs_goal(leads, sample_slas()[-1], p.start_time, (p + 1).start_time, AS_OF)
    assert fmt.md_escape(gap_sentence(g, fmt.money, "the goal")) in [m.value for m in at.markdown]


def test_the_gap_against_last_quarter_splits_by_channel_on_demand(sample_app, leads):
    from sla_model.metrics.gap import channel_gaps, gap_sentence, gap_vs_period

    at = sample_app(PAGE, month="2026-11")
    at.segmented_control(key="ex_against").set_value("quarter").run()
    assert not at.exception
    p = pd.Period("2026-11", "M")
    g = gap_vs_period(leads, p.start_time, (p + 1).start_time, AS_OF, "quarter")
    assert fmt.md_escape(gap_sentence(g, fmt.money, "the same days of August 2026")) in [m.value for m in at.markdown]
    assert not any("Channel" in d.value.columns and "Gap" in d.value.columns for d in at.dataframe)
    at.toggle(key="ex_by_channel").set_value(True).run()
    assert not at.exception
    table = next(d.value for d in at.dataframe if "Gap" in d.value.columns).set_index("Channel")
    per = channel_gaps(leads, p.start_time, (p + 1).start_time, AS_OF, "quarter").set_index("channel")
    worst = per["gap"].abs().idxmax()
    assert table.index[0] == worst
    assert table.loc[worst, "Revenue"] == fmt.money(per.loc[worst, "revenue"])


def test_a_filtered_view_has_no_revenue_goal_to_explain(sample_app):
    at = sample_app(PAGE, month="2026-11", channel="Email")
    assert not at.exception
    assert at.segmented_control(key="ex_against").options == ["Last quarter", "Last year"]


def test_a_comparison_before_the_data_starts_says_there_is_nothing_to_compare_with(sample_app):
    """Before: December 2025 against September 2025 (before the first lead) read as all gain from MQL volume."""
    at = sample_app(PAGE, month="2025-12", channel="Referral")
    assert not at.exception
    assert any("nothing to compare with" in i.value for i in at.info)
    assert not [m.value for m in at.markdown if m.value.startswith("Revenue is")]
