"""End to end: a rep rejects a lead on My leads and the lead-quality page counts it at once."""

from __future__ import annotations

import functools
import re
import shutil

import pandas as pd
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import IDLE, choose, screenshot, start_app, stop_app

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


@functools.cache
def _leads() -> pd.DataFrame:
    """The generated leads the seeded database holds."""
    from sla_model.generator import generate

    return generate().leads


def _rejected_in_data(lead_id: str) -> tuple[str, int]:
    """The month ``lead_id`` was handed over in, and how many MQLs of that month sales rejected, from the data."""
    leads = _leads()
    month = leads.loc[leads["lead_id"] == lead_id, "mql_at"].iloc[0].to_period("M")
    return str(month), _rejected_in_data_month(str(month))


def _rejected_in_data_month(month: str) -> int:
    """How many MQLs handed over in ``month`` sales rejected, counted from the generated data."""
    from sla_model.metrics.quality import decision_status

    leads = _leads()
    mqls = leads[leads["mql_at"].dt.to_period("M") == pd.Period(month, "M")]
    return int((decision_status(mqls) == "rejected").sum())


def test_a_rep_rejects_a_lead_and_lead_quality_shows_it(writable_url, page):
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto(f"{writable_url}/lead_quality")
    expect(page.locator("h1").first).to_have_text("Lead quality · November 2026")
    assert _rejected(page) == _rejected_in_data_month("2026-11")

    page.get_by_test_id("stSidebarNav").get_by_text("My leads", exact=True).click()
    expect(page.locator("h1").first).to_have_text("Open MQLs")
    page.wait_for_function(IDLE)
    you_are = page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").filter(has_text="You are")
    you_are.scroll_into_view_if_needed()  # the period controls make the sidebar taller than 1080 px
    choose(page, you_are, "Derek", "Derek Hale")
    expect(page.locator("h1").first).to_have_text("My leads")

    # The queue is a canvas grid: tick the first row's selection box.
    _tick(page, 0, "L")
    selected = page.get_by_text(re.compile(r"^1 selected: L\d+"))
    expect(selected).to_be_visible()
    month, before = _rejected_in_data(re.search(r"L\d+", selected.inner_text()).group(0))  # the oldest: any month

    page.get_by_test_id("stSelectbox").filter(has_text="Reason").click()
    page.get_by_role("option", name=re.compile("Competitor or partner")).click()
    page.get_by_label("Note (optional, stored as written)").fill("Works for a rival 🚫")
    page.get_by_role("button", name=re.compile("Reject selected")).click()
    expect(page.get_by_text(re.compile(r"rejected \(Competitor or partner\): disqualified"))).to_be_visible()
    screenshot(page, "my_leads_after_reject_1920x1080")

    page.get_by_test_id("stSidebarNav").get_by_text("Lead quality", exact=True).click()
    expect(page.locator("h1").first).to_have_text(re.compile("Lead quality · "))
    page.goto(f"{writable_url}/lead_quality?month={month}")  # the month the rejected lead was handed over in
    expect(page.locator("h1").first).to_have_text(re.compile(f"Lead quality · {pd.Period(month):%B %Y}"))
    tile = page.get_by_test_id("stMetric").filter(has_text="Rejected").first
    expect(tile.get_by_test_id("stMetricValue")).to_have_text(f"{before + 1:,}")
    expect(page.get_by_test_id("stException")).to_have_count(0)


def _as_rep(page, url: str, rep: str) -> None:
    page.goto(f"{url}/my_leads")
    expect(page.locator("h1").first).to_have_text("Open MQLs")
    page.wait_for_function(IDLE)
    you_are = page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").filter(has_text="You are")
    you_are.scroll_into_view_if_needed()  # the last control of a tall sidebar, at the bottom edge at 1080 px
    choose(page, you_are, rep.split()[0], rep)
    expect(page.locator("h1").first).to_have_text("My leads")
    expect(page.get_by_test_id("stDataFrame").first).to_be_visible()


def _queue_box(page) -> dict:
    """Where the queue grid is drawn, once the page has settled: a redrawn table (new leads, another rep) can
    leave the old grid in the page for a moment without a box, so the drawn one is looked for until it shows."""
    drawn = """() => [...document.querySelectorAll('[data-testid="stDataFrame"]')]
        .map(e => e.getBoundingClientRect()).filter(r => r.width > 0 && r.height > 0)
        .map(r => ({x: r.x, y: r.y, width: r.width, height: r.height}))[0] || null"""
    for _ in range(120):
        page.wait_for_function(IDLE, timeout=60_000)
        box = page.evaluate(drawn)
        if box:
            return box
        page.wait_for_timeout(250)
    raise AssertionError("the queue grid was never drawn")


def _tick(page, row: int, lead_id: str) -> None:
    """Tick the ``row``-th row of the queue (a canvas grid) and wait until the page says ``lead_id`` is selected.

    A table whose leads changed is drawn afresh; a click that lands while it is being swapped in is dropped
    (the page still says "0 selected"), so the click is tried again then, never after it counted.
    """
    from playwright.sync_api import Error

    ticked = page.get_by_text(re.compile(rf"^1 selected: {lead_id}"))
    for _ in range(3):
        # the page is taller than the screen (the at-risk list sits below): after a decision it may be scrolled
        # down to the buttons, so the queue's first rows are brought back into view before the click
        page.get_by_test_id("stMain").evaluate("el => el.scrollTo(0, 0)")
        box = _queue_box(page)
        page.mouse.click(box["x"] + 18, box["y"] + 36 + 18 + 35 * row)
        try:
            expect(ticked.or_(page.get_by_text(re.compile(r"^1 selected: ")))).to_be_visible(timeout=10_000)
            break
        except (AssertionError, Error):
            continue
    expect(ticked).to_be_visible()


def _open_ids(db_path, owner: str) -> list[str]:
    from sla_model.store.db import make_engine
    from sla_model.store.repository import open_mqls

    engine = make_engine(f"sqlite:///{db_path}")
    try:
        return open_mqls(engine=engine, owner=owner)["lead_id"].tolist()
    finally:
        engine.dispose()


def _feedback(db_path, after: int = -1) -> list[tuple]:
    """The feedback rows stored after row id ``after``, or the last row id when ``after`` is -1."""
    import sqlite3

    with sqlite3.connect(db_path) as conn:
        if after < 0:
            return conn.execute("SELECT coalesce(max(id), 0) FROM feedback").fetchone()[0]
        return conn.execute(
            "SELECT lead_id, decision, note, by FROM feedback WHERE id > ? ORDER BY id", (after,)
        ).fetchall()


@pytest.fixture
def writable_app(seeded_database, tmp_path):
    copy = tmp_path / "write.db"
    shutil.copy(seeded_database, copy)
    process, url = start_app(copy)
    yield url, copy
    stop_app(process)


def test_a_lead_decided_in_another_session_never_shifts_the_reps_tick_to_another_lead(writable_app, browser):
    url, db = writable_app
    rep_context = browser.new_context(viewport={"width": 1920, "height": 1080})
    manager_context = browser.new_context(viewport={"width": 1920, "height": 1080})
    try:
        rep, manager = rep_context.new_page(), manager_context.new_page()
        _as_rep(rep, url, "Derek Hale")  # the rep's table is loaded first
        first, second, third = _open_ids(db, "Derek Hale")[:3]
        last = _feedback(db)

        # The manager, in another session, accepts the rep's first lead.
        manager.goto(f"{url}/my_leads")
        expect(manager.locator("h1").first).to_have_text("Open MQLs")
        choose(manager, manager.get_by_test_id("stSelectbox").filter(has_text="Whose leads"), "Derek", "Derek Hale")
        expect(manager.get_by_test_id("stDataFrame").first).to_be_visible()
        _tick(manager, 0, first)
        manager.get_by_role("button", name=re.compile("Accept selected")).click()
        expect(manager.get_by_text(f"lead {first} accepted")).to_be_visible()

        # The rep ticks the second row of the table they see: the one showing `second`.
        _tick(rep, 1, second)
        screenshot(rep, "my_leads_tick_after_another_session_decided")
        rep.get_by_test_id("stSelectbox").filter(has_text="Reason").click()
        rep.get_by_role("option", name=re.compile("Competitor or partner")).click()
        rep.get_by_role("button", name=re.compile("Reject selected")).click()
        expect(rep.get_by_text(re.compile(rf"lead {second} rejected \(Competitor or partner\)"))).to_be_visible()

        stored = {(lead, decision, by) for lead, decision, _, by in _feedback(db, last)}
        assert stored == {(first, "accept", "Manager (local)"), (second, "reject", "Derek Hale")}
        assert third in _open_ids(db, "Derek Hale")
    finally:
        rep_context.close()
        manager_context.close()


def test_a_double_clicked_reject_stores_one_decision_and_confirms_it(writable_app, page):
    url, db = writable_app
    page.set_viewport_size({"width": 1920, "height": 1080})
    _as_rep(page, url, "Derek Hale")
    note = page.get_by_label("Note (optional, stored as written)")
    reject = page.get_by_role("button", name=re.compile("Reject selected"))
    # The second click lands at once, while the first one's rerun runs, or just after it refreshed the page.
    for gap_ms in (0, 60, 150, 300):
        lead = _open_ids(db, "Derek Hale")[0]
        last = _feedback(db)
        _tick(page, 0, lead)
        page.wait_for_function(IDLE)  # the tick's rerun is over: one Reject button on screen
        note.fill(f"Works for a rival ({gap_ms} ms)")
        box = reject.bounding_box()
        reject.click()
        page.wait_for_timeout(gap_ms)  # the double click's own rhythm, not a wait for the app
        # The second click lands where the button was, as a mouse does: during the rerun the page can show the old
        # and the new button at once, and after it the button may be disabled.
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        expect(page.get_by_text(re.compile(rf"lead {lead} rejected \(No budget\)"))).to_be_visible()
        expect(page.get_by_text("0 selected", exact=True)).to_be_visible()
        expect(page.get_by_test_id("stAlertContentError")).to_have_count(0)
        expect(page.get_by_test_id("stAlertContentWarning")).to_have_count(0)
        expect(note).to_have_value("")
        assert _feedback(db, last) == [(lead, "reject", f"Works for a rival ({gap_ms} ms)", "Derek Hale")]
    screenshot(page, "my_leads_after_double_click_1920x1080")
