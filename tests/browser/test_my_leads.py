"""End to end: a rep rejects a lead on My leads and the lead-quality page counts it at once."""

from __future__ import annotations

import re
import shutil

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot, start_app, stop_app

pytestmark = pytest.mark.browser


@pytest.fixture
def writable_url(seeded_database, tmp_path):
    copy = tmp_path / "write.db"
    shutil.copy(seeded_database, copy)
    process, url = start_app(copy)
    yield url
    stop_app(process)


def _rejected(page) -> int:
    tile = page.get_by_test_id("stMetric").filter(has_text="Rejected").first
    return int(tile.get_by_test_id("stMetricValue").inner_text().replace(",", ""))


def test_a_rep_rejects_a_lead_and_lead_quality_shows_it(writable_url, page):
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto(f"{writable_url}/lead_quality")
    expect(page.locator("h1").first).to_have_text("Lead quality · November 2026")
    before = _rejected(page)

    page.get_by_test_id("stSidebarNav").get_by_text("My leads", exact=True).click()
    expect(page.locator("h1").first).to_have_text("Open MQLs")
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_test_id("stSelectbox").filter(has_text="You are").click()
    page.get_by_role("option", name="Derek Hale").click()
    expect(page.locator("h1").first).to_have_text("My leads")

    # The queue is a canvas grid: tick the first row's selection box.
    grid = page.get_by_test_id("stDataFrame").first
    expect(grid).to_be_visible()
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 18, box["y"] + 36 + 18)
    expect(page.get_by_text(re.compile(r"^1 selected: L\d+"))).to_be_visible()

    page.get_by_test_id("stSelectbox").filter(has_text="Reason").click()
    page.get_by_role("option", name=re.compile("Competitor or partner")).click()
    page.get_by_label("Note (optional, stored as written)").fill("Works for a rival 🚫")
    page.get_by_role("button", name=re.compile("Reject selected")).click()
    expect(page.get_by_text(re.compile(r"rejected \(Competitor or partner\): disqualified"))).to_be_visible()
    screenshot(page, "my_leads_after_reject_1920x1080")

    page.get_by_test_id("stSidebarNav").get_by_text("Lead quality", exact=True).click()
    expect(page.locator("h1").first).to_have_text(re.compile("Lead quality · "))
    tile = page.get_by_test_id("stMetric").filter(has_text="Rejected").first
    expect(tile.get_by_test_id("stMetricValue")).to_have_text(f"{before + 1:,}")
    expect(page.get_by_test_id("stException")).to_have_count(0)
