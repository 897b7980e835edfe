"""End to end, as a new team would: an empty database, their own export imported through the page, the SLA
drafted from their history through the page, and every figure checked against the files themselves."""

from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot, start_app, stop_app
from tests.conftest import MAVEN

pytestmark = pytest.mark.browser
CHANNELS = ["Organic Search", "Paid Search", "Email"]


def _hubspot_pair(folder: Path) -> tuple[list[dict], list[dict]]:
    """A HubSpot contacts export and its deals export, written as HubSpot writes them.

    90 contacts created June–August 2025, two in three became MQLs two days later; every fourth MQL has a deal
    (won or lost) closed 20–26 days after the handoff. The contacts file carries no SQL, accepted or customer
    date: only the deals say which leads were won.
    """
    contacts, deals = [], []
    for i in range(90):
        created = dt.datetime(2025, 6, 2, 9) + dt.timedelta(days=i, hours=i % 5)
        mql = created + dt.timedelta(days=2) if i % 3 != 2 else None
        contacts.append({
            "Record ID": str(1000 + i), "First Name": f"Dana {i}", "Last Name": "Okafor",
            "Email": f"dana{i}@example.com", "Company Name": f"Harbor {i}", "Create Date": f"{created:%Y-%m-%d %H:%M}",
            "Lifecycle Stage": "Marketing Qualified Lead" if mql else "Lead",
            "Became a Marketing Qualified Lead Date": f"{mql:%Y-%m-%d %H:%M}" if mql else "",
            "Original Source": CHANNELS[i % 3], "Contact owner": ["Ana Souza", "Ben Carter"][i % 2],
        })  # fmt: skip
        if mql and i % 4 == 0:
            won = i % 8 == 0
            deals.append({
                "Record ID": f"D{i}", "Deal Name": f"Harbor {i}", "Deal Stage": "closedwon" if won else "closedlost",
                "Create Date": f"{mql + dt.timedelta(days=5):%Y-%m-%d %H:%M}",
                "Close Date": f"{mql + dt.timedelta(days=20 + i % 7):%Y-%m-%d}",
                "Amount": str(1000 + 10 * i) if won else "", "Associated Contact IDs": str(1000 + i),
            })  # fmt: skip
    for name, rows in (("contacts.csv", contacts), ("deals.csv", deals)):
        with open(folder / name, "w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    return contacts, deals


@pytest.fixture
def empty_app(tmp_path):
    process, url = start_app(tmp_path / "empty.db", extra_env={"SMARKETING_SAMPLE_DATA": "0"})
    yield url
    stop_app(process)


def _tile(page, label: str):
    return page.get_by_test_id("stMetric").filter(has_text=label).first.get_by_test_id("stMetricValue")


def _open_import(page, url: str) -> None:
    page.goto(f"{url}/import_data")
    expect(page.locator("h1").first).to_have_text("Import data")


def _upload_and_import(page, path: Path, done: str, *, update: bool = False) -> None:
    page.locator("input[type=file]").first.set_input_files(str(path))
    expect(page.get_by_text(re.compile(rf"{re.escape(path.name)}: [0-9,]+ rows"))).to_be_visible()
    expect(page.get_by_test_id("stMetric").filter(has_text="Ready to import")).to_be_visible()
    mode = page.get_by_role("radio", name=re.compile("^Update stored leads only"))
    expect(mode).to_be_checked() if update else expect(mode).not_to_be_checked()  # as the detected format says
    page.get_by_role("button", name=re.compile("^Import$")).click()
    expect(page.get_by_text(done)).to_be_visible()


def _publish_draft(page, url: str, leads: int) -> None:
    page.goto(f"{url}/sla")
    expect(page.get_by_text(f"{leads:,} leads stored, and no SLA yet")).to_be_visible()
    screenshot(page, "first_run_sla_draft_1920x1080")
    page.get_by_role("button", name="Publish version 1").click()
    expect(page.locator("h1").first).to_have_text("The SLA · version 1")
    expect(page.get_by_text("Version 1 of the SLA is published")).to_be_visible()


def test_a_hubspot_contacts_and_deals_export_gives_a_correct_dashboard(empty_app, page, tmp_path):
    contacts, deals = _hubspot_pair(tmp_path)
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto(empty_app)
    expect(page.get_by_text("There is no data yet. Import your leads")).to_be_visible()

    _open_import(page, empty_app)
    _upload_and_import(page, tmp_path / "contacts.csv", "contacts.csv: 90 new leads, 0 updated, 0 unchanged.")
    done = f"deals.csv: 0 new leads, {len(deals)} updated, 0 unchanged."
    _upload_and_import(page, tmp_path / "deals.csv", done, update=True)
    screenshot(page, "first_run_import_1920x1080")

    _publish_draft(page, empty_app, len(contacts))

    # the figures, against the files: August 2025 (a complete month of the history)
    mqls = sum(c["Became a Marketing Qualified Lead Date"].startswith("2025-08") for c in contacts)
    won = [d for d in deals if d["Deal Stage"] == "closedwon" and d["Close Date"].startswith("2025-08")]
    page.goto(f"{empty_app}/?month=2025-08")
    expect(page.locator("h1").first).to_have_text("Goal progress · August 2025")
    expect(page.get_by_text("Data as of", exact=False).first).to_contain_text(max(d["Close Date"] for d in deals)[:4])
    expect(_tile(page, "MQLs")).to_have_text(f"{mqls:,}")
    expect(_tile(page, "Won deals")).to_have_text(f"{len(won):,}")
    revenue = sum(float(d["Amount"]) for d in won)
    expect(_tile(page, "Revenue")).to_have_text(f"${revenue:,.0f}" if revenue < 10_000 else f"${revenue / 1000:.0f}k")
    screenshot(page, "first_run_goal_progress_1920x1080")

    # closed leads are decided: never open, never a breach; the open MQLs (no deal) past the 72 h decision window
    with_deal = {d["Associated Contact IDs"] for d in deals}
    open_mqls = [c for c in contacts if c["Became a Marketing Qualified Lead Date"] and c["Record ID"] not in with_deal]
    page.goto(f"{empty_app}/handoff_timing?month=2025-08")
    expect(page.get_by_text(f"Open breaches now · {len(open_mqls)}")).to_be_visible()
    expect(page.get_by_text("No touches are recorded in this data")).to_be_visible()

    # acceptance by channel: every MQL with a deal was accepted by sales; the rest are pending
    page.goto(f"{empty_app}/lead_quality?month=2025-08")
    august = [c for c in contacts if c["Became a Marketing Qualified Lead Date"].startswith("2025-08")]
    accepted = sum(c["Record ID"] in with_deal for c in august)
    expect(_tile(page, "Accepted")).to_have_text(f"{accepted:,}")
    expect(_tile(page, "Pending")).to_have_text(f"{len(august) - accepted:,}")
    # conversion over the six months up to August: every MQL with a deal reached SQL (won or lost)
    cohort = [c for c in contacts if "2025-03" <= c["Became a Marketing Qualified Lead Date"][:7] <= "2025-08"]
    converted = sum(c["Record ID"] in with_deal for c in cohort)
    expect(page.get_by_text(f"n = {len(cohort)} for MQL→SQL; {converted / len(cohort):.1%} overall")).to_be_visible()
    for channel in ("Organic Search", "Paid Search"):
        n = sum(c["Original Source"] == channel for c in cohort)
        expect(page.get_by_test_id("stVegaLiteChart").get_by_text(f"n = {n}").first).to_be_attached()
    screenshot(page, "first_run_lead_quality_1920x1080")


def test_a_file_without_any_date_gets_a_fixed_creation_date_on_the_page(empty_app, page, tmp_path):
    path = tmp_path / "list.csv"
    rows = [{"Email": f"p{i}@example.com", "Company": f"Quartz {i}", "Source": CHANNELS[i % 3]} for i in range(12)]
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    page.set_viewport_size({"width": 1920, "height": 1080})
    _open_import(page, empty_app)
    page.locator("input[type=file]").first.set_input_files(str(path))
    expect(page.get_by_text(re.compile(r"list\.csv: 12 rows, 3 columns"))).to_be_visible()
    created = page.get_by_test_id("stTextInput").filter(has_text="Created")
    expect(created).to_be_visible()
    created.locator("input").fill("2026-10-01")
    created.locator("input").press("Enter")
    lead_id = page.get_by_test_id("stSelectbox").filter(has_text="Lead ID")
    lead_id.scroll_into_view_if_needed()
    from tests.browser.conftest import choose

    choose(page, lead_id, "Email", "Email")
    channel = page.get_by_test_id("stSelectbox").filter(has_text="Channel").first
    choose(page, channel, "Source", "Source")
    _upload_and_import(page, path, "list.csv: 12 new leads, 0 updated, 0 unchanged.")
    page.goto(f"{empty_app}/sla")
    expect(page.get_by_text("12 leads stored, and no SLA yet")).to_be_visible()
    screenshot(page, "first_run_fixed_date_sla_1920x1080")


def test_the_maven_files_with_the_shipped_mapping(empty_app, page, tmp_path):
    """The README's Maven example, through the page: the shipped mapping uploaded, every opportunity imported."""
    with open(MAVEN / "sales_pipeline.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    page.set_viewport_size({"width": 1920, "height": 1080})
    _open_import(page, empty_app)
    page.locator("input[type=file]").first.set_input_files(str(MAVEN / "sales_pipeline.csv"))
    expect(page.get_by_text(re.compile(r"sales_pipeline\.csv: 8,800 rows"))).to_be_visible()
    mapping = Path(__file__).resolve().parents[2] / "sample_data" / "mappings" / "maven_sales_pipeline.toml"
    page.locator("input[type=file]").nth(1).set_input_files(str(mapping))
    expect(_tile(page, "Ready to import")).to_have_text("8,800")
    page.get_by_role("button", name=re.compile("^Import$")).click()
    expect(page.get_by_text("sales_pipeline.csv: 8,800 new leads, 0 updated, 0 unchanged.")).to_be_visible()
    _publish_draft(page, empty_app, len(rows))
    # a month of the history: deals won in June 2017 and their revenue, as the file says
    won = [r for r in rows if r["deal_stage"] == "Won" and r["close_date"].startswith("2017-06")]
    page.goto(f"{empty_app}/?month=2017-06")
    expect(page.locator("h1").first).to_have_text("Goal progress · June 2017")
    expect(_tile(page, "Won deals")).to_have_text(f"{len(won):,}")
    engaged = sum(r["engage_date"].startswith("2017-06") for r in rows)
    expect(_tile(page, "MQLs")).to_have_text(f"{engaged:,}")  # an opportunity is an MQL when it was engaged
    screenshot(page, "first_run_maven_goal_progress_1920x1080")
