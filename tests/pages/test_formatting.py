"""Every page's text, as rendered, carries no raw number: no nan/None, no -0, no double negative, no long float.

A formatting layer over all pages: it reads what AppTest rendered (text elements, metrics and text cells of
tables), on the sample data and on an empty database, so a number that skipped ``ui.fmt`` is caught on any page.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

from tests.pages.conftest import _runner

PAGES = [
    "pages/goal_progress.py", "pages/lead_quality.py", "pages/handoff_timing.py", "pages/meeting.py",
    "pages/my_leads.py", "pages/sla.py", "pages/what_if.py", "pages/import_data.py",
]  # fmt: skip
DEFECTS = {
    "nan/None/inf": re.compile(r"(?<![\w.])(nan|NaN|None|inf)(?![\w])"),
    "negative zero": re.compile(r"(?<![\w.\d])[-−]0(\.0+)?(?![\d.,])"),
    "double negative": re.compile(r"[-−]\$?[\d.,]+[kKmM]?\s+(behind|under|short|below|fewer)"),
    "unformatted float": re.compile(r"\b\d+\.\d{5,}\b|\b\d{5,}\.00\b"),
    "signed nan": re.compile(r"[+−-]nan"),
    "infinite money": re.compile(r"[$€£¥]inf|\binf[kM]\b"),
    "signed zero": re.compile(r"(?<![\w.\d])[+]0(\.0+)?(?![\d.,])"),
}
_TEXT = ("markdown", "caption", "info", "success", "warning", "error", "title", "header", "subheader", "text")


def rendered_text(at) -> list[str]:
    """Everything a reader sees as text: text elements, metric values and deltas, and the text cells of tables."""
    out: list[str] = []
    for kind in _TEXT:
        out += [str(e.value) for e in getattr(at, kind)]
    for m in at.metric:
        out += [m.label, str(m.value), str(m.delta or "")]
    for table in [*at.dataframe, *at.table]:
        frame = table.value
        if isinstance(frame, pd.DataFrame):
            for column in frame.columns:
                if frame[column].dtype == object:
                    out += [str(v) for v in frame[column].tolist() if isinstance(v, str) or v is None]
    return out


def defects(texts: list[str]) -> list[str]:
    """Each text with a formatting defect, named."""
    found = []
    for text in texts:
        for name, pattern in DEFECTS.items():
            if pattern.search(text):
                found.append(f"{name}: {text[:160]!r}")
    return found


@pytest.mark.parametrize(
    ("text", "defect"),
    [("-7 behind pace", "double negative"), ("Revenue $infM", "infinite money"), ("-0 behind pace", "negative zero"),
     ("+nan pts", "signed nan"), ("0.000000%", "unformatted float"), ("650000.00", "unformatted float"),
     ("↑ +0", "signed zero"), ("+0.0 pts", "signed zero"), ("None", "nan/None/inf")],
)  # fmt: skip
def test_the_scan_finds_each_kind_of_defect(text, defect):
    assert any(f.startswith(defect) for f in defects([text]))


@pytest.mark.parametrize(
    "text", ["7 behind pace", "+3 ahead of pace", "on pace", "$650k", "12.5%", "1,234", "+0.5 pts", "info", "−$2k"]
)
def test_the_scan_passes_formatted_numbers(text):
    assert defects([text]) == []


@pytest.mark.parametrize("page", PAGES)
def test_no_page_shows_a_raw_number_on_the_sample_data(sample_app, page):
    at = sample_app(page)
    assert not at.exception
    assert defects(rendered_text(at)) == []


@pytest.mark.parametrize("page", PAGES)
def test_no_page_shows_a_raw_number_on_an_empty_database(empty_app, page):
    at = empty_app(page)
    assert not at.exception
    assert defects(rendered_text(at)) == []


@pytest.mark.parametrize("month", ["2026-03", "2026-08", "2025-11"])
@pytest.mark.parametrize("page", PAGES[:4])
def test_no_review_page_shows_a_raw_number_in_past_months(sample_db_url, monkeypatch, page, month):
    monkeypatch.setenv("DATABASE_URL", sample_db_url)
    at = _runner(page, month=month)
    assert not at.exception
    assert defects(rendered_text(at)) == []
