"""AppTest: a quarter, a week and a custom range reproduce figures counted straight from the lead rows."""

from __future__ import annotations

import pandas as pd
import pytest

from sla_model.generator import generate
from tests.pages.conftest import metric
from ui import fmt

GOAL, QUALITY, TIMING = "pages/goal_progress.py", "pages/lead_quality.py", "pages/handoff_timing.py"


@pytest.fixture(scope="module")
def leads():
    return generate().leads


def _in(times: pd.Series, first: str, last: str) -> pd.Series:
    """True where a time falls on the days ``first`` to ``last`` (both included)."""
    return (times >= pd.Timestamp(first)) & (times < pd.Timestamp(last) + pd.Timedelta(days=1))


def _figures(leads: pd.DataFrame, first: str, last: str) -> dict[str, float]:
    """MQLs, SQLs, won deals and revenue in the days, counted from the rows (an SQL without an SQL date reached
    it at its opportunity, won or lost date, whichever came first)."""
    sql = leads["sql_at"].fillna(leads[["opportunity_at", "won_at", "lost_at"]].min(axis=1))
    won = _in(leads["won_at"], first, last)
    return {
        "MQLs": int(_in(leads["mql_at"], first, last).sum()),
        "SQLs": int(_in(sql, first, last).sum()),
        "Won deals": int(won.sum()),
        "Revenue": float(leads.loc[won, "amount"].sum()),
    }


def _tile_values(at) -> dict[str, str]:
    return {label: metric(at, label).value for label in ("MQLs", "SQLs", "Won deals", "Revenue")}


def _shown(figures: dict[str, float]) -> dict[str, str]:
    return {k: fmt.money(v) if k == "Revenue" else fmt.count(v) for k, v in figures.items()}


def test_a_quarter_across_the_sla_change_counts_its_rows_and_sums_its_quotas(sample_app, leads):
    at = sample_app(GOAL, period="2026-Q2")
    assert not at.exception
    assert at.title[0].value == "Goal progress · Q2 2026"
    want = _figures(leads, "2026-04-01", "2026-06-30")
    assert _tile_values(at) == _shown(want)
    # April and May under version 1 (650 MQLs a month), June under version 2 (420): 1,720.
    gap = want["MQLs"] - 1720
    assert metric(at, "MQLs").delta == (f"+{gap:,} over quota" if gap > 0 else f"{-gap:,} under quota")
    assert any("versions 1 and 2" in c.value for c in at.caption)
    # The comparison: Q1 2026, counted from the rows too.
    before = _figures(leads, "2026-01-01", "2026-03-31")
    line = next(m.value for m in at.markdown if "vs Q1 2026" in m.value)
    assert line.endswith(f"vs Q1 2026 ({fmt.count(before['MQLs'])})")
    assert at.query_params["period"] == "2026-Q2" and "month" not in at.query_params


def test_a_custom_range_of_22_days_across_two_months(sample_app, leads):
    at = sample_app(GOAL, period="2026-05-20..2026-06-10")
    assert not at.exception
    assert at.title[0].value == "Goal progress · 20 May – 10 Jun 2026"
    want = _figures(leads, "2026-05-20", "2026-06-10")
    assert _tile_values(at) == _shown(want)
    # 12 days of May at 650/31 and 10 days of June at 420/30.
    quota = 12 / 31 * 650 + 10 / 30 * 420
    gap = round(want["MQLs"] - quota)
    assert metric(at, "MQLs").delta == (f"+{gap:,} over quota" if gap > 0 else f"{-gap:,} under quota")
    # The previous period is the 22 days before it.
    before = _figures(leads, "2026-04-28", "2026-05-19")
    assert any(m.value.endswith(f"vs 28 Apr – 19 May 2026 ({fmt.count(before['SQLs'])})") for m in at.markdown)


def test_lead_quality_and_handoff_timing_count_the_quarter(sample_app, leads):
    mqls = int(_in(leads["mql_at"], "2026-07-01", "2026-09-30").sum())
    at = sample_app(QUALITY, period="2026-Q3")
    assert not at.exception
    assert at.title[0].value == "Lead quality · Q3 2026"
    counted = sum(int(metric(at, k).value.replace(",", "")) for k in ("Accepted", "Rejected", "Stale", "Pending"))
    assert counted == mqls  # every MQL handed over in the quarter is accepted, rejected, stale or pending
    at = sample_app(TIMING, period="2026-Q3")
    assert not at.exception
    assert at.title[0].value == "Handoff timing · Q3 2026"
    assert any(m.value.endswith(f"· {mqls:,} MQLs handed over in Q3 2026") for m in at.markdown)


def test_a_drill_down_names_the_period(sample_app, leads):
    at = sample_app(GOAL, period="2026-W45")
    at.pills(key="gp_drill").set_value("mqls").run()
    assert not at.exception
    mqls = int(_in(leads["mql_at"], "2026-11-02", "2026-11-08").sum())
    assert f"**MQLs, Week 45 · 2–8 Nov 2026: {fmt.plural(mqls, 'lead')}**" in [m.value for m in at.markdown]


@pytest.mark.parametrize(
    ("query", "says"),
    [({"period": "2026-Q9"}, "is not a period"), ({"period": "2019-Q1"}, "there is no data in Q1 2019"),
     ({"period": "2026-06-10..2026-05-20"}, "before it starts"), ({"period": "2026-11-01..2027-02-01"}, "outside"),
     ({"month": "2026-13"}, "is not a month in the data"), ({"compare": "yesterday"}, "comparing with the previous")],
)  # fmt: skip
def test_a_tampered_link_falls_back_to_the_default_with_a_message(sample_app, query, says):
    at = sample_app(GOAL, **query)
    assert not at.exception
    assert any(says in w.value.replace("\\", "") for w in at.warning), [w.value for w in at.warning]
    assert at.title[0].value == "Goal progress · November 2026"
    assert at.query_params["month"] == "2026-11" and "period" not in at.query_params


def test_a_comparison_before_the_data_starts_is_left_out_with_a_note(sample_app):
    at = sample_app(GOAL, period="2026-Q4", compare="last_year")
    assert not at.exception
    assert not any(" vs " in m.value for m in at.markdown)  # no tile compares with a period it cannot count
    assert any(c.value.startswith("No comparison with Q4 2025: the data starts on 01 Nov 2025") for c in at.caption)
    assert at.query_params["compare"] == "last_year"


def test_a_month_link_still_opens_the_month_and_no_comparison_drops_the_lines(sample_app):
    at = sample_app(GOAL, month="2026-03", compare="none")
    assert not at.exception
    assert at.title[0].value == "Goal progress · March 2026"
    assert not any(" vs " in m.value for m in at.markdown)
    assert at.session_state["period_kind"] == "month"


def test_the_meeting_stays_monthly_and_says_so(sample_app):
    at = sample_app("pages/meeting.py", period="2026-Q2")
    assert not at.exception
    assert any(c.value.startswith("The review is monthly: it covers June 2026") for c in at.caption)


def test_picking_a_quarter_in_the_sidebar_writes_it_to_the_url(sample_app, leads):
    at = sample_app(GOAL)
    at.sidebar.radio(key="period_kind").set_value("quarter").run()
    at.sidebar.selectbox(key="quarter").set_value("2026-Q3").run()
    assert not at.exception
    assert at.query_params["period"] == "2026-Q3" and "month" not in at.query_params
    assert _tile_values(at) == _shown(_figures(leads, "2026-07-01", "2026-09-30"))
    at.sidebar.selectbox(key="compare").set_value("last_year").run()
    assert at.query_params["compare"] == "last_year"
