"""End to end: walk the monthly review's agenda, record a decision, hand out the report, meet again next month."""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.browser.conftest import choose, screenshot, settle, start_app, stop_app

pytestmark = pytest.mark.browser
SECTIONS = ["Scorecard", "Wins to celebrate", "Misses and likely causes", "Voice of sales",
            "Follow-up breaches to act on", "SLA changes and decisions"]  # fmt: skip
DECISION = "Pause Content Syndication until acceptance is above 50%"


@pytest.fixture
def meeting_url(seeded_database, tmp_path):
    copy = tmp_path / "meeting.db"
    shutil.copy(seeded_database, copy)
    process, url = start_app(copy)
    yield url
    stop_app(process)


def _no_errors(page) -> None:
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_text("Traceback")).to_have_count(0)


def _october_mqls() -> tuple[int, int]:
    """October 2026's MQLs and MQL quota, counted from the generated data and the SLA in force then."""
    from sla_model.generator import generate, sample_slas

    leads = generate().leads
    return int((leads["mql_at"].dt.to_period("M") == "2026-10").sum()), sample_slas()[1].quotas.mqls


def test_walk_the_agenda_record_a_decision_and_hand_out_the_report(meeting_url, page):
    october, quota = _october_mqls()
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto(f"{meeting_url}/meeting?month=2026-10")
    expect(page.locator("h1").first).to_have_text("Monthly review · October 2026")
    mqls = page.get_by_test_id("stMetric").filter(has_text="MQLs").get_by_test_id("stMetricValue")
    expect(mqls).to_have_text(f"{october:,}")

    for number, title in enumerate(SECTIONS, start=1):
        expect(page.locator("h2").first).to_have_text(f"{number}. {title}")
        settle(page)  # the previous section's Next button can linger on screen until the rerun is over
        _no_errors(page)
        screenshot(page, f"meeting_{number}_1920x1080")
        if number < len(SECTIONS):
            page.get_by_role("button", name=re.compile(f"^Next: {number + 1} · ")).click()

    page.get_by_test_id("stExpander").get_by_text("Record a decision or action item").click()
    page.get_by_label("What was decided").fill(DECISION)
    page.get_by_label("Owner").fill("Maya Chen")
    page.get_by_label(re.compile("^Target")).fill("50%")
    metric = page.get_by_test_id("stSelectbox").filter(has_text="The metric that will tell if it worked")
    choose(page, metric, "acceptance", "MQL acceptance rate")
    page.get_by_role("button", name="Record").click()
    expect(page.get_by_text(re.compile(r"Recorded: Pause Content Syndication"))).to_be_visible()
    screenshot(page, "meeting_decision_recorded_1920x1080")

    page.get_by_role("button", name="Report").click()
    with page.expect_download() as download:
        page.get_by_role("button", name="One-page report (PDF)").click()
    pdf = PdfReader(io.BytesIO(Path(download.value.path()).read_bytes()))
    assert len(pdf.pages) == 1
    text = " ".join(pdf.pages[0].extract_text().split())  # lines are wrapped on the page
    assert "Monthly review · October 2026" in text and f"{october:,}" in text
    assert f"{round(100 * october / quota)}% of {quota} quota" in text
    assert DECISION in text  # the decision log is on the page handed out
    page.keyboard.press("Escape")

    # Next month's review opens with what was agreed.
    page.goto(f"{meeting_url}/meeting?month=2026-11")
    expect(page.locator("h1").first).to_have_text("Mid-month check-in · November 2026")
    page.get_by_test_id("stButtonGroup").get_by_text("Monthly review", exact=True).click()
    expect(page.locator("h1").first).to_have_text("Monthly review · November 2026")
    settle(page)  # a click sent while the variant's rerun is drawing can land on the element it replaces
    page.get_by_test_id("stButtonGroup").get_by_text("6 · Decisions", exact=True).click()
    expect(page.locator("h2").first).to_have_text("6. SLA changes and decisions")
    settle(page)
    expect(page.get_by_text("Nothing was agreed last month")).to_have_count(0)
    page.get_by_test_id("stExpander").get_by_text("Update a decision").click()  # the only one: October's
    outcome = page.get_by_label("Outcome (what came of it)")
    outcome.fill("Paused on 3 Nov; acceptance back to 71%")
    expect(outcome).to_have_value("Paused on 3 Nov; acceptance back to 71%")
    page.get_by_role("button", name="Update", exact=True).click()
    expect(page.get_by_text("Decision updated: done.")).to_be_visible()
    settle(page)
    _no_errors(page)
    screenshot(page, "meeting_next_month_1920x1080")


def _decisions(url: str) -> list[tuple[str, str]]:
    from sla_model.review.decisions import list_decisions
    from sla_model.store.db import make_engine

    engine = make_engine(url)
    try:
        return [tuple(r) for r in list_decisions(engine=engine)[["text", "owner"]].values.tolist()]
    finally:
        engine.dispose()


def test_a_double_clicked_record_stores_the_decision_once_and_confirms_it(seeded_database, tmp_path, page):
    """Before: a double-clicked Record stored nothing and said 'the decision is empty' (the form had been cleared)."""
    copy = tmp_path / "double.db"
    shutil.copy(seeded_database, copy)
    process, url = start_app(copy)
    try:
        page.set_viewport_size({"width": 1920, "height": 1080})
        page.goto(f"{url}/meeting?month=2026-10")
        page.get_by_test_id("stButtonGroup").get_by_text("6 · Decisions", exact=True).click()
        expect(page.locator("h2").first).to_have_text("6. SLA changes and decisions")
        text = page.get_by_label("What was decided")
        for gap_ms in (0, 60, 150):
            decision = f"{DECISION} ({gap_ms} ms)"
            if not text.is_visible():  # the expander is drawn anew, closed, once the page shows a new table
                page.get_by_test_id("stExpander").get_by_text("Record a decision or action item").click()
            text.fill(decision)
            page.get_by_label("Owner").fill("Maya Chen")
            record = page.get_by_role("button", name="Record")
            record.click()
            page.wait_for_timeout(gap_ms)  # the double click's own rhythm, not a wait for the app
            try:
                record.click(force=True, timeout=2_000)
            except PlaywrightError:  # the form was already redrawn without it: the second click lands on nothing
                pass
            expect(page.get_by_text(f"Recorded: {decision} (Maya Chen, due 30 Nov 2026).")).to_be_visible()
            expect(page.get_by_test_id("stAlertContentError")).to_have_count(0)
            _no_errors(page)
            expect(text).to_have_value("")  # cleared once stored
            assert _decisions(f"sqlite:///{copy}")[-1] == (decision, "Maya Chen")
            assert [t for t, _ in _decisions(f"sqlite:///{copy}")].count(decision) == 1
        screenshot(page, "meeting_after_double_click_1920x1080")
    finally:
        stop_app(process)
