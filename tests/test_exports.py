"""CSV exports: cells a spreadsheet would run as formulas are neutralised."""

from __future__ import annotations

import csv
import io
import math

import numpy as np
import pandas as pd
import pytest

from sla_model import exports


def _read_csv(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


@pytest.mark.parametrize(
    ("cell", "safe"),
    [
        ("=1+2", "'=1+2"),
        ("+1 555 0100", "'+1 555 0100"),
        ("-Dash", "'-Dash"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tindent", "'\tindent"),
        ("\rreturn", "'\rreturn"),
        ("Acme = fine", "Acme = fine"),
        (" =spaced", " =spaced"),
        ("Zoë Ångström", "Zoë Ångström"),
        ("", ""),
        (-3, -3),
        (2.5, 2.5),
        (None, None),
    ],
)
def test_spreadsheet_safe(cell, safe):
    assert exports.spreadsheet_safe(cell) == safe


def test_spreadsheet_safe_leaves_nan_alone():
    assert math.isnan(exports.spreadsheet_safe(float("nan")))


def test_safe_csv_neutralises_text_cells_only():
    frame = pd.DataFrame(
        {
            "Company": ["=cmd|' /C calc'!A0", "Nord Ålesund AS", None],
            "Owner": pd.Categorical(["@me", "Ana", "Ana"]),
            "Touches": [-1, 0, 3],
            "Age (hours)": [1.5, -2.0, np.nan],
            "MQL time": ["2026-10-05 11:00", "-", ""],
        }
    )
    data = exports.safe_csv(frame)
    assert data.startswith(b"\xef\xbb\xbf")  # a BOM, so spreadsheets read UTF-8
    rows = _read_csv(data)
    assert [r["Company"] for r in rows] == ["'=cmd|' /C calc'!A0", "Nord Ålesund AS", ""]
    assert [r["Owner"] for r in rows] == ["'@me", "Ana", "Ana"]
    assert [r["Touches"] for r in rows] == ["-1", "0", "3"]  # numbers stay numbers
    assert [r["Age (hours)"] for r in rows] == ["1.5", "-2.0", ""]
    assert [r["MQL time"] for r in rows] == ["2026-10-05 11:00", "'-", ""]
    assert frame.loc[0, "Company"].startswith("=")  # the caller's frame is not changed


def test_safe_csv_of_an_empty_table():
    assert _read_csv(exports.safe_csv(pd.DataFrame({"Lead": pd.Series([], dtype=object)}))) == []
