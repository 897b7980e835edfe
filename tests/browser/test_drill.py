"""End to end: a click on a chart's bar opens the leads behind it, as many as the bar counts."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from playwright.sync_api import expect

from sla_model.generator import generate, sample_slas
from sla_model.metrics.quality import mql_cohort, rejection_reasons
from tests.browser.conftest import chart_mark, click_mark, mark_value, screenshot, settle, tick_row

pytestmark = pytest.mark.browser


def test_clicking_the_tallest_reason_bar_lists_exactly_its_rejected_leads(app_url, page):
    leads = generate().leads
    cohort = mql_cohort(leads, pd.Timestamp("2026-09-01"), pd.Timestamp("2026-10-01"))
    labels = {k: v for sla in sample_slas() for k, v in sla.reason_labels().items()}
    top = rejection_reasons(cohort, labels).iloc[0]  # the first, tallest bar
    page.goto(f"{app_url}/lead_quality?month=September+2026")
    chart = page.locator(".st-key-reason_pareto_channel___all__")
    expect(chart.locator(".marks").first).to_be_visible()  # Vega has drawn the chart
    chart.scroll_into_view_if_needed()
    box = chart.bounding_box()
    # the first bar stands left of the plot, as tall as the chart allows: its middle is hit whatever the fonts
    page.mouse.click(box["x"] + 95, box["y"] + box["height"] * 0.5)
    panel = page.locator(f".st-key-drill_lq_reason_{top['reason']}")
    expect(panel).to_be_visible()
    expect(panel.get_by_text(f"Rejected: {top['label']}, September 2026: {top['count']} leads")).to_be_visible()
    panel.scroll_into_view_if_needed()
    screenshot(page, "lead_quality_reason_drill")
    expect(panel.get_by_role("button", name=f"Download the {top['count']} leads as CSV")).to_be_visible()


def test_a_goal_progress_tile_opens_as_many_leads_as_it_counts(app_url, page):
    page.goto(f"{app_url}/?month=October+2026")
    tile = page.get_by_test_id("stMetric").filter(has_text="Won deals").first
    expect(tile).to_be_visible()
    shown = tile.get_by_test_id("stMetricValue").inner_text().strip()
    page.locator(".st-key-gp_drill").get_by_text("Won deals").click()
    panel = page.locator(".st-key-drill_gp_won")
    expect(panel.get_by_text(f"Won deals, October 2026: {shown} leads")).to_be_visible()
    expect(panel.get_by_role("button", name=f"Download the {shown} leads as CSV")).to_be_visible()


def test_a_breach_row_opens_that_leads_history(app_url, page):
    from ui.handoff_timing import ROW_HEIGHT

    page.goto(f"{app_url}/handoff_timing")
    grid = page.locator(".st-key-breach_table")
    expect(grid.locator("canvas").first).to_be_visible()
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    # the first row's tick box: left edge of the grid, below the header row
    page.mouse.click(box["x"] + 16, box["y"] + 38 + ROW_HEIGHT / 2)
    link = page.get_by_role("link", name="Open the history of")
    expect(link).to_be_visible()
    lead_id = link.inner_text().split()[-1]
    link.click()
    expect(page.locator("h1").first).to_have_text("Lead history")
    expect(page.get_by_text(lead_id, exact=True).first).to_be_visible()
    expect(page.get_by_text("Against the SLA")).to_be_visible()


def _tile(page, label: str) -> str:
    tile = page.get_by_test_id("stMetric").filter(has_text=label).first
    expect(tile).to_be_visible()
    return tile.get_by_test_id("stMetricValue").inner_text().strip()


def _panel_count(panel) -> str:
    """The count in a drill-down panel's title (``…: 1,234 leads``)."""
    expect(panel).to_be_visible()
    title = panel.locator("strong").first.inner_text()
    return re.search(r": ([\d,]+) leads?$", title).group(1)


def test_goal_progress_a_channels_bar_and_a_funnel_row_open_their_leads(app_url, page):
    page.set_viewport_size({"width": 1280, "height": 1080})
    page.goto(f"{app_url}/?month=October+2026")
    bar = click_mark(page, "channel_chart", "channel: Email; MQLs:")
    mqls = mark_value(bar, "MQLs")
    panel = page.locator(".st-key-drill_channel_Email")
    expect(panel.get_by_text(f"MQLs from Email, October 2026: {mqls} leads")).to_be_visible()
    settle(page)

    actual = mark_value(chart_mark(page, "funnel_chart", "Stage: SQLs;"), "Actual")
    tick_row(page, "funnel_rows", 2)  # revenue, customers, SQLs, …
    panel = page.locator(".st-key-drill_gp_funnel_sqls")
    expect(panel.get_by_text(f"SQLs, October 2026: {actual} leads")).to_be_visible()
    panel.scroll_into_view_if_needed()
    screenshot(page, "goal_progress_funnel_row_drill")


def test_lead_quality_a_tile_two_bars_and_a_cohort_row_open_their_leads(app_url, page):
    page.set_viewport_size({"width": 1280, "height": 1080})
    page.goto(f"{app_url}/lead_quality?month=October+2026")
    rejected = _tile(page, "Rejected")
    page.locator(".st-key-lq_drill").get_by_text("Rejected").click()
    assert _panel_count(page.locator(".st-key-drill_lq_rejected")) == rejected
    settle(page)

    bar = click_mark(page, "funnel_chart", "stage: SQL;")
    panel = page.locator(".st-key-drill_lq_stage_SQL")
    expect(panel.get_by_text(f"Leads created in October 2026 that reached SQL: {mark_value(bar, 'Leads')} leads")
           ).to_be_visible()  # fmt: skip
    settle(page)

    bar = click_mark(page, "acceptance_channel_chart", "Group: Email;")
    panel = page.locator(".st-key-drill_lq_decided_Email")
    assert _panel_count(panel) == mark_value(bar, "Sample size (n)")
    settle(page)

    created = mark_value(chart_mark(page, "funnel_chart", "stage: Lead;"), "Leads")
    tick_row(page, "cohort_rows", 0)  # the newest cohort first: October's
    panel = page.locator(".st-key-drill_lq_cohort_2026_10")
    expect(panel.get_by_text(f"Leads created in October 2026: {created} leads")).to_be_visible()
    panel.scroll_into_view_if_needed()
    screenshot(page, "lead_quality_cohort_row_drill")


def test_handoff_timing_a_tile_and_a_reps_dots_open_their_leads(app_url, page):
    page.set_viewport_size({"width": 1280, "height": 1080})
    page.goto(f"{app_url}/handoff_timing?month=October+2026")
    touched = page.get_by_test_id("stMetric").filter(has_text="Median wait").first
    expect(touched).to_be_visible()
    page.locator(".st-key-ht_drill").get_by_text("First touch within the SLA").click()
    within = page.get_by_test_id("stMetric").filter(has_text="Within SLA").first
    n_within = re.search(r"([\d,]+) of [\d,]+ judged", within.locator("..").locator("..").inner_text()).group(1)
    assert _panel_count(page.locator(".st-key-drill_ht_within")) == n_within
    settle(page)

    dot = click_mark(page, "speed_by_rep", "Statistic: Median;")
    panel = page.locator("[class*='st-key-drill_ht_rep_']")
    assert _panel_count(panel) == mark_value(dot, "Touched MQLs")
    expect(panel.get_by_text(re.compile(r"^MQLs .+ touched, handed over in October 2026"))).to_be_visible()
    settle(page)

    bar = click_mark(page, "speed_histogram", "Status: Late;")
    panel = page.locator("[class*='st-key-drill_ht_bin_']")
    assert _panel_count(panel) == mark_value(bar, "MQLs")
    expect(panel.get_by_text(re.compile(r"^Late: MQLs first touched after "))).to_be_visible()
    settle(page)

    dot = click_mark(page, "compliance_by_rep", "Judged MQLs:")
    panel = page.locator("[class*='st-key-drill_ht_judged_']")
    assert _panel_count(panel) == mark_value(dot, "Judged MQLs")


def test_meeting_a_tile_a_channels_bar_and_a_reps_row_open_their_leads(app_url, page):
    page.set_viewport_size({"width": 1280, "height": 1080})
    page.goto(f"{app_url}/meeting?month=2026-10")
    mqls = _tile(page, "MQLs")
    page.locator(".st-key-mt_drill").get_by_text("MQLs").click()
    assert _panel_count(page.locator(".st-key-drill_mt_mqls")) == mqls
    settle(page)

    bar = click_mark(page, "mt_channels", "Channel: Email; MQLs:")
    panel = page.locator(".st-key-drill_mt_channel_Email")
    expect(panel.get_by_text(f"MQLs from Email, October 2026: {mark_value(bar, 'MQLs')} leads")).to_be_visible()
    settle(page)

    for number in range(2, 6):  # on to the breaches, section 5
        page.get_by_role("button", name=re.compile(f"^Next: {number} · ")).click()
        expect(page.locator("h2").first).to_have_text(re.compile(f"^{number}\\. "))
        settle(page)
    most = page.get_by_role("heading", name=re.compile(r"Most: ")).first
    expect(most).to_be_visible()
    rep, count = re.search(r"Most: (.+?) \(([\d,]+)\)", most.inner_text()).groups()
    tick_row(page, "mt_rep_rows", 0)  # the rep with the most breaches first
    panel = page.locator("[class*='st-key-drill_mt_rep_']")
    expect(panel.get_by_text(f"Open breaches of {rep}: {count} leads")).to_be_visible()
    panel.scroll_into_view_if_needed()
    screenshot(page, "meeting_rep_breaches_drill")
