"""Files the app hands out: CSV that spreadsheets open safely."""

from __future__ import annotations

import pandas as pd

#: Spreadsheets read a cell starting with one of these as a formula (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> object:
    """Text a spreadsheet could run as a formula gets a leading ``'``; everything else is unchanged.

    Examples:
        >>> spreadsheet_safe("=HYPERLINK(1)"), spreadsheet_safe("Acme"), spreadsheet_safe(-3)
        ("'=HYPERLINK(1)", 'Acme', -3)
    """
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def safe_csv(frame: pd.DataFrame) -> bytes:
    """The frame as UTF-8 CSV (with a BOM, so spreadsheets detect the encoding), text cells neutralised."""
    out = frame.copy()
    for column in out.columns:
        if not (pd.api.types.is_numeric_dtype(out[column]) or pd.api.types.is_datetime64_any_dtype(out[column])):
            out[column] = out[column].astype(object).map(spreadsheet_safe)
    # CRLF rows (RFC 4180): a cell holding a bare CR is then quoted, not read as the end of a row
    return out.to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")
