"""Hostile files and text on the pages themselves, on SQLite and PostgreSQL: a clear message, no traceback."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from sla_model.store.db import PROJECT_ROOT
from tests.hostile.conftest import checksum

ROWS = "".join(f"H{i:05},2026-03-01 10:00,Web\n" for i in range(4_000))  # about 100 KB: past the first 64 KB


def _page(stored_on, monkeypatch, path: str) -> AppTest:
    monkeypatch.setenv("DATABASE_URL", stored_on.url.render_as_string(hide_password=False))
    monkeypatch.setenv("SMARKETING_SAMPLE_DATA", "0")
    return AppTest.from_file(str(PROJECT_ROOT / path), default_timeout=120).run()


def _plain(markdown: str) -> str:
    """A message as the reader sees it: data in it is escaped for markdown."""
    return markdown.replace("\\", "")


@pytest.mark.parametrize(
    ("body", "row"),
    [
        (f"L1,2026-03-01,Web\nL2,2026-03-02,We\x00b\n{ROWS}", 3),  # in the first 64 KB
        (f"L1,2026-03-01,Web\n{ROWS}L2,2026-03-02,We\x00b\n", 4003),  # after it
    ],
    ids=["first-64-kb", "further-on"],
)
def test_a_nul_byte_uploaded_is_named_and_stores_nothing(stored_on, monkeypatch, body, row):
    """Before: a NUL byte near the start was only "a binary file" (and one further on crashed PostgreSQL)."""
    at = _page(stored_on, monkeypatch, "pages/import_data.py")
    before = checksum(stored_on)  # (as the page left it on opening: the app's start may record its own meta)
    at.file_uploader(key="imp_file").set_value(("nul.csv", f"lead_id,created_at,channel\n{body}".encode(), "text/csv"))
    at.run()
    assert not at.exception, at.exception
    errors = [_plain(e.value) for e in at.error]
    assert any(f"nul.csv: row {row}, column 'channel': a NUL byte (0) in the cell" in e for e in errors), errors
    assert not any(b.key == "imp_go" for b in at.button)  # nothing to import
    assert checksum(stored_on) == before


NESTED = b"a = " + b"[" * 5_000 + b"]" * 5_000 + b"\n"  # valid TOML, nested deeper than Python's recursion limit


def test_a_mapping_file_nested_thousands_deep_is_refused_on_the_import_page(stored_on, monkeypatch):
    at = _page(stored_on, monkeypatch, "pages/import_data.py")
    before = checksum(stored_on)
    at.file_uploader(key="imp_file").set_value(("leads.csv", b"lead_id,created_at\nL1,2026-03-01\n", "text/csv"))
    at.run()
    at.file_uploader(key="imp_mapping_file").set_value(("deep.toml", NESTED, "application/toml"))
    at.run()
    assert not at.exception, at.exception
    assert any(_plain(e.value).startswith("deep.toml: not a TOML mapping file") for e in at.error), at.error
    assert checksum(stored_on) == before


def test_a_scenario_file_nested_thousands_deep_is_refused_on_the_what_if_page(writable_app):
    """Before: the upload raised RecursionError, shown as a traceback on the page."""
    at = writable_app("pages/what_if.py")
    at.file_uploader(key="wi_upload").set_value(("deep.toml", NESTED, "application/toml"))
    at.run()
    assert not at.exception, at.exception
    assert any(_plain(e.value).startswith("deep.toml: not a TOML scenario file") for e in at.error), at.error
    assert not any("Loaded the scenario" in s.value for s in at.success)
