"""The code base passes its linters: ruff's checks and formatting, as configured in pyproject.toml."""

from __future__ import annotations

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
