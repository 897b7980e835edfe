"""End to end: a quarter picked in the sidebar goes into the URL, and the URL reopens the same figures."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import choose, screenshot, settle

pytestmark = pytest.mark.browser


def _tiles(page) -> list[str]:
    values = page.get_by_test_id("stMetricValue")
    expect(values).to_have_count(4)
    return [v.inner_text() for v in values.all()]


def test_a_quarter_picked_in_the_sidebar_is_in_the_url_and_a_reload_shows_the_same_figures(app_url, page):
    page.goto(app_url)
    expect(page.locator("h1").first).to_have_text("Goal progress · November 2026")
    month_tiles = _tiles(page)
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_role("radiogroup").get_by_text("Quarter", exact=True).click()
    expect(page.locator("h1").first).to_have_text("Goal progress · Q4 2026")
    settle(page)
    quarter = sidebar.get_by_test_id("stSelectbox").filter(has=page.get_by_text("Quarter", exact=True))
    choose(page, quarter, "Q3", "Q3 2026")
    expect(page.locator("h1").first).to_have_text("Goal progress · Q3 2026")
    settle(page)
    expect(page).to_have_url(re.compile(r"[?&]period=2026-Q3(&|$)"))
    assert "month=" not in page.url
    shown = _tiles(page)
    assert shown != month_tiles  # a quarter is not the month
    screenshot(page, "periods_quarter_picked")

    page.goto(page.url)  # the link, opened afresh
    expect(page.locator("h1").first).to_have_text("Goal progress · Q3 2026")
    settle(page)
    assert _tiles(page) == shown
    expect(sidebar.get_by_role("radiogroup").get_by_role("radio", name="Quarter")).to_be_checked()
    expect(page.get_by_test_id("stException")).to_have_count(0)

    # Another page of the review keeps the period.
    page.get_by_test_id("stSidebarNav").get_by_text("Lead quality", exact=True).click()
    expect(page.locator("h1").first).to_have_text("Lead quality · Q3 2026")
    expect(page).to_have_url(re.compile(r"[?&]period=2026-Q3(&|$)"))
