"""The meeting in presentation mode at 1280×720: every slide fits the screen, Back/Next stay in view, arrows turn."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest
from playwright.sync_api import expect

from sla_model.access import Actor, Role
from sla_model.generator import generate
from sla_model.review import decisions as log
from sla_model.store.db import make_engine
from tests.browser.conftest import screenshot, settle, start_app, stop_app

pytestmark = pytest.mark.browser
WIDTH, HEIGHT = 1280, 720
DECISION = "Raise the Webinar quota to 80 MQLs"
FRESH = """() => !document.querySelector('[data-stale="true"]')"""


@pytest.fixture(scope="module")
def present_url(seeded_database, tmp_path_factory):
    """The app on a copy of the sample data with one decision agreed in October (so November opens with it)."""
    copy = tmp_path_factory.mktemp("projector") / "app.db"
    shutil.copy(seeded_database, copy)
    engine = make_engine(f"sqlite:///{copy}")
    log.record_decision(engine=engine, actor=Actor("Maya Chen", Role.MANAGER), month="2026-10", text=DECISION,
                        owner="Maya Chen", due=dt.date(2026, 11, 30), metric="mqls", target=400.0)  # fmt: skip
    engine.dispose()
    process, url = start_app(copy)
    yield url
    stop_app(process)


def _inside(box: dict, bottom: float = HEIGHT) -> bool:
    return box["x"] >= 0 and box["y"] >= 0 and box["x"] + box["width"] <= WIDTH and box["y"] + box["height"] <= bottom


def _walk(page, name: str) -> list[str]:
    """Every slide from the first with the right arrow; checks each fits above the Back/Next bar. Returns headings."""
    headings: list[str] = []
    heading = page.locator(".st-key-mt_slide h2").first
    while True:
        settle(page)
        page.wait_for_function(FRESH)  # the run that drew this slide is over: nothing of the last one lingers
        expect(page.get_by_test_id("stException")).to_have_count(0)
        title = heading.inner_text()
        assert title not in headings, f"the arrow did not move on from {title!r}"
        headings.append(title)
        nav = page.locator(".st-key-mt_nav").bounding_box()
        assert _inside(nav) and nav["y"] + nav["height"] >= HEIGHT - 1, "the Back/Next bar is not at the bottom"
        last = page.locator(".st-key-mt_slide > div").last  # the slide's last element
        expect(last).to_be_visible()
        assert _inside(last.bounding_box(), bottom=nav["y"] + 1), f"{title!r} runs under the Back/Next bar"
        assert _inside(page.locator(".st-key-mt_slide").bounding_box(), bottom=nav["y"] + 1), title
        screenshot(page, f"projector_{name}_{len(headings):02d}_{WIDTH}x{HEIGHT}")
        following = page.get_by_role("button", name="Next:")
        if following.count() == 0:
            return headings
        assert _inside(following.bounding_box(), bottom=HEIGHT), "Next is outside the screen"
        page.keyboard.press("ArrowRight")
        expect(heading).not_to_have_text(title)


def test_the_check_in_opens_with_last_months_decision_and_every_slide_fits(present_url, page):
    page.goto(f"{present_url}/meeting?month=2026-11&present=1")
    page.get_by_role("button", name="Next:").wait_for()
    expect(page.get_by_test_id("stSidebar")).to_be_hidden()  # the sidebar is gone in presentation mode
    heading = page.locator(".st-key-mt_slide h2").first
    expect(heading).to_have_text("1a. Last month we agreed")
    first = page.locator(".st-key-mt_slide h4").first  # the decision with its metric's result
    expect(first).to_contain_text(DECISION)
    leads = generate().leads
    october = int((leads["mql_at"].dt.to_period("M") == "2026-10").sum())  # counted from the data
    expect(first).to_contain_text(f"MQLs: {october:,} in October 2026 →")
    assert first.evaluate("e => parseFloat(getComputedStyle(e).fontSize)") >= 20

    headings = _walk(page, "checkin")
    assert len(headings) >= 8 and headings[-1].startswith("4")  # pace, breaches, action items, voice of sales
    assert any("Action items" in h for h in headings)

    # Back with the left arrow, forward again with the right one.
    page.keyboard.press("ArrowLeft")
    expect(heading).to_have_text(headings[-2])
    settle(page)
    page.wait_for_function(FRESH)
    page.keyboard.press("ArrowRight")
    expect(heading).to_have_text(headings[-1])


def test_the_monthly_review_slides_fit_too(present_url, page):
    page.goto(f"{present_url}/meeting?month=2026-10&present=1")
    heading = page.locator(".st-key-mt_slide h2").first
    expect(heading).to_have_text("1a. Scorecard")
    headings = _walk(page, "monthly")
    assert [h.split(".")[0][0] for h in headings] == sorted(h.split(".")[0][0] for h in headings)
    assert {h.split(".")[0][0] for h in headings} == set("123456")
    assert len(headings) > 6  # tall sections are split into screens
    page.keyboard.press("ArrowLeft")
    expect(heading).to_have_text(headings[-2])
    settle(page)
    page.wait_for_function(FRESH)
    page.keyboard.press("ArrowLeft")
    expect(heading).to_have_text(headings[-3])


def test_the_present_switch_leaves_and_the_link_reopens(present_url, page):
    page.goto(f"{present_url}/meeting?month=2026-10&present=1")
    expect(page.locator(".st-key-mt_nav")).to_be_visible()
    page.get_by_text("Present", exact=True).click()
    expect(page.locator(".st-key-mt_nav")).to_have_count(0)
    expect(page.get_by_test_id("stSidebar")).to_be_visible()
    assert "present=1" not in page.url
    page.get_by_text("Present", exact=True).click()
    expect(page.locator(".st-key-mt_nav")).to_be_visible()
    assert "present=1" in page.url
