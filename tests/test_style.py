"""The code base passes its linters: ruff's checks and formatting, as configured in pyproject.toml."""

from __future__ import annotations

import re
import subprocess
import sys

from sla_model.store.db import PROJECT_ROOT


def _ruff(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ruff", *args], cwd=PROJECT_ROOT, capture_output=True, text=True)


def test_ruff_check_passes():
    result = _ruff("check", "--quiet", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_is_clean():
    result = _ruff("format", "--check", "--quiet", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_unsafe_html_anywhere_outside_tests():
    hits = [
        f"{path.relative_to(PROJECT_ROOT)}"
        for folder in ("app.py", "pages", "ui", "sla_model")
        for path in ([PROJECT_ROOT / folder] if folder.endswith(".py") else (PROJECT_ROOT / folder).rglob("*.py"))
        if "unsafe_allow_html" in path.read_text(encoding="utf-8")
    ]
    assert hits == []


#: A page lays out widgets and calls functions; more than this many lines means logic has crept in.
PAGE_LINES = 220


def test_pages_are_layouts_that_call_the_domain_and_the_chart_builders():
    """No page builds a chart itself (Altair lives in ``sla_model/charts/``), none is long, none is imported."""
    pages = sorted((PROJECT_ROOT / "pages").glob("*.py"))
    assert pages
    long = {p.name: n for p in pages if (n := len(p.read_text(encoding="utf-8").splitlines())) > PAGE_LINES}
    assert long == {}, f"pages over {PAGE_LINES} lines: {long}"
    charting = [p.name for p in pages if "import altair" in p.read_text(encoding="utf-8")]
    assert charting == [], "pages that build Altair charts themselves"
    importers = [
        f"{path.relative_to(PROJECT_ROOT)}"
        for folder in ("app.py", "ui", "sla_model", "tests", "benchmarks")
        for path in ([PROJECT_ROOT / folder] if folder.endswith(".py") else (PROJECT_ROOT / folder).rglob("*.py"))
        if re.search(r"^\s*(from|import) pages\b", path.read_text(encoding="utf-8"), re.M)
    ]
    assert importers == [], "code that imports a page (what a test needs belongs in sla_model or ui)"


def test_no_streamlit_in_the_domain_package():
    """``sla_model`` is the domain: pages and ``ui`` may use it, it never uses Streamlit."""
    hits = [
        f"{path.relative_to(PROJECT_ROOT)}"
        for path in (PROJECT_ROOT / "sla_model").rglob("*.py")
        if "import streamlit" in path.read_text(encoding="utf-8")
    ]
    assert hits == []
