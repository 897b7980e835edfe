"""The one-page report: built offline, self-contained, carrying the scorecard; the breach CSV is injection-safe."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from pypdf import PdfReader

from sla_model.exports import FORMULA_START
from sla_model.metrics.timing import touch_summary
from sla_model.review import meeting, report
from tests.factories import leads_frame, make_mql, touches_frame
from tests.test_meeting import AS_OF, NOV, OCT, small_sla, small_world

NO_DECISIONS = pd.DataFrame(columns=["id", "month", "text", "owner", "due", "metric", "target", "status", "outcome"])
NO_PROPOSALS = pd.DataFrame(columns=["title", "status", "proposed_by", "summary"])


@pytest.fixture(scope="module")
def october():
    return meeting.review(small_world(), OCT, decisions=NO_DECISIONS, proposals=NO_PROPOSALS)


def test_html_is_self_contained_and_carries_the_scorecard(october):
    page = report.to_html(october)
    assert page.startswith("<!doctype html>")
    assert "<title>Monthly review · October 2026</title>" in page
    for figure in ("125% of 4 quota", "Quota met", "$12k", "40% of $30k quota", "Quota missed"):
        assert figure in page
    assert page.count('src="data:image/svg+xml;base64,') == 3  # MQLs vs pace, channels, rejection reasons
    assert "<script" not in page and "http://" not in page and "https://" not in page  # nothing fetched
    assert "@page { size: A4 landscape" in page


def test_pdf_and_png_are_one_page_with_the_figures(october):
    pdf = report.to_pdf(october)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    for figure in ("Monthly review · October 2026", "MQLs", "125% of 4 quota", "Revenue", "$12k", "Quota missed"):
        assert figure in text
    box = reader.pages[0].mediabox  # A4 landscape: 297 × 210 mm is 842 × 595 points
    assert (round(float(box.width)), round(float(box.height))) == (842, 595)
    png = report.to_png(october)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert width > 1500 and height > 600


def test_a4_spec_pads_to_the_page_and_scales_to_it():
    wide = {"$schema": "https://vega.github.io/schema/vega-lite/v6.json", "width": 390, "height": 100,
            "padding": 5, "mark": "point", "data": {"values": [{}]}}  # fmt: skip
    spec, scale = report.a4_spec(wide)
    width, height = report._size(spec)
    # 400 px wide (390 + 5 + 5): the page is 842/595 as wide as tall, so 400 × 595/842 = 282.7 px high
    assert round(width) == 400 and round(height, 1) == 282.7
    assert scale == pytest.approx(842 / 400)
    tall = {**wide, "width": 90, "height": 300}  # 100 × 310 px: 310 × 842/595 = 438.7 px wide
    spec, scale = report.a4_spec(tall)
    assert round(report._size(spec)[0], 1) == 438.7 and scale == pytest.approx(842 / 438.7, rel=1e-3)


def test_markup_in_the_data_is_shown_as_text(october):
    world = small_world()
    leads = world.leads.copy()
    leads["company"] = leads["company"].astype(object)
    leads.loc[leads["lead_id"] == "O1", "company"] = "<img src=x onerror=alert(1)>"  # named in the breach lines
    hostile = meeting.MeetingInputs(leads, touch_summary(leads, touches_frame(), world.versions), world.feedback,
                                    world.versions, AS_OF)  # fmt: skip
    page = report.to_html(meeting.review(hostile, OCT, decisions=NO_DECISIONS, proposals=NO_PROPOSALS))
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


@pytest.mark.parametrize("start", FORMULA_START)
def test_the_breach_csv_neutralises_formulas(start):
    evil = f'{start}HYPERLINK("http://evil.example","click")'
    leads = leads_frame(
        make_mql("=1+1", "2026-11-10 09:00", company=evil, owner=f"{start}cmd|' /C calc'!A0", channel="Email"),
        make_mql("L2", "2026-11-11 09:00", company="Plain Co", owner="Ana Souza", channel="Email"),
    )
    versions = [small_sla()]
    inputs = meeting.MeetingInputs(leads, touch_summary(leads, touches_frame(), versions),
                                   pd.DataFrame(columns=["lead_id", "decision", "reason", "note", "by", "at"]),
                                   versions, AS_OF)  # fmt: skip
    review = meeting.review(inputs, NOV, decisions=NO_DECISIONS, proposals=NO_PROPOSALS)
    data = report.breach_csv(review)
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: spreadsheets read the accents right
    frame = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert list(frame.columns) == list(report.BREACH_COLUMNS.values())
    first = frame.iloc[0]
    assert first["Lead"] == "'=1+1"
    assert first["Company"] == "'" + evil
    assert first["Owner"].startswith("'") and first["Owner"].endswith("calc'!A0")
    for column in frame.columns:
        assert not frame[column].str.startswith(FORMULA_START).any(), column
    assert frame.iloc[1]["Company"] == "Plain Co"


def test_the_report_carries_the_speed_pays_table(october):
    """October's five MQLs are over 30 days old and untouched: 2 reached SQL (E1 won, E2), 1 was won."""
    page = report.to_html(october)
    assert "<h2>Does speed pay?</h2>" in page
    assert "<td>Never touched</td><td>5</td><td>40.0% (" in page
    assert "<td>Within rule</td><td>0</td><td>—</td><td>—</td>" in page
    won = october.section("misses").tables["speed_pays"].set_index(["kind", "bucket"]).loc[("rule", "Never touched")]
    assert (won["won"], won["mqls"]) == (1, 5)


def test_the_report_splits_the_revenue_gap_to_goal_by_factor(october):
    # Goal: 4 MQLs × (2 ÷ 4) × (1 ÷ 2) × $30,000 = $30k. October: 5 MQLs × (2 ÷ 5) × (1 ÷ 2) × $12,000 = $12k.
    # L(12,000, 30,000) = 18,000 ÷ ln 2.5 = 19,644.42; volume L ln 1.25 = +4,383.53; MQL → SQL L ln 0.8 = −4,383.53;
    # SQL → won 0; deal size L ln 0.4 = −18,000 (the whole gap: the one deal was small).
    steps = october.section("misses").tables["gap"]
    assert steps["value"].round(2).tolist() == [30_000, 4_383.53, -4_383.53, 0, -18_000, 12_000]
    page = report.to_html(october)
    assert "<h2>Revenue against the goal, by factor</h2>" in page
    for item in ("Goal: $30k", "MQL volume: +$4,384", "MQL → SQL rate: −$4,384", "Deal size: −$18k", "Actual: $12k"):
        assert f"<li>{item}</li>" in page


def test_the_pdf_carries_the_revenue_gap_by_factor_too(october):
    text = PdfReader(io.BytesIO(report.to_pdf(october))).pages[0].extract_text()
    assert "Revenue against the goal, by factor" in text
    assert "Deal size: −$18k" in text or "Deal size: -$18k" in text
