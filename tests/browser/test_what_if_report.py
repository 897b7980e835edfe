"""End to end: publish on What if…, propose at once (double click), and see both without a reload."""

from __future__ import annotations

import shutil

import pytest
from playwright.sync_api import expect

from sla_model.review.decisions import list_proposals
from sla_model.store.db import make_engine
from tests.browser.conftest import screenshot, start_app, stop_app

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def app(seeded_database, tmp_path_factory):
    """A running app on its own copy of the seeded database: (base URL, database path)."""
    copy = tmp_path_factory.mktemp("whatif_report") / "app.db"
    shutil.copy(seeded_database, copy)
    process, url = start_app(copy)
    yield url, copy
    stop_app(process)


def test_publish_then_a_double_clicked_proposal_shows_the_version_and_stores_one(app, page):
    url, database = app
    page.set_viewport_size({"width": 1920, "height": 3200})  # tall: the forms at the end are in view
    page.goto(f"{url}/what_if")
    expect(page.get_by_test_id("stMetric").first).to_be_visible()
    page.get_by_label("Change note").fill("Raise the bar after the November review")
    page.get_by_role("button", name="Publish").click()
    # While the page reloads after the publish, a manager types a proposal and double-clicks Propose.
    page.get_by_label("Title", exact=True).fill("Score 65: fewer, better MQLs")
    page.get_by_role("button", name="Propose").dblclick()
    expect(page.get_by_text("SLA version 3 is upcoming: in force from 01 Dec 2026")).to_be_visible()
    expect(page.get_by_text("Proposed “Score 65: fewer, better MQLs” for the next review")
           .or_(page.get_by_text("already proposed"))).to_be_visible()  # fmt: skip
    expect(page.get_by_test_id("stException")).to_have_count(0)
    screenshot(page, "what_if_published_and_proposed_1920")
    titles = [p.title for p in list_proposals(engine=make_engine(f"sqlite:///{database}"))]
    assert titles == ["Score 65: fewer, better MQLs"]
    expect(page.get_by_label("Title", exact=True)).to_have_value("Score 65: fewer, better MQLs")  # kept, not dropped
