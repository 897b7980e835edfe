"""End to end: a click on a chart's bar opens the leads behind it, as many as the bar counts."""

from __future__ import annotations

import pandas as pd
import pytest
from playwright.sync_api import expect

from sla_model.generator import generate, sample_slas
from sla_model.metrics.quality import mql_cohort, rejection_reasons
from tests.browser.conftest import screenshot

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
