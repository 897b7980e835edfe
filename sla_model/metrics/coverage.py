"""What the loaded data actually carries: lead fields no lead has a value for, and whether touches exist.

An import without a score column stores every score as 0; without a company size, every size as 0;
without demo requests, every flag as False. One such value means nothing, but the same default in
every lead means the field is not in the data, and a page should say so rather than show a zero.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Lead fields whose absence a page can explain, in the order they are reported: each with the kind
#: of value an import leaves when the field is missing (``number``: 0, ``flag``: False, ``text``: no
#: text, ``money``: no amount).
COVERAGE_FIELDS: dict[str, str] = {
    "score": "number",
    "persona": "text",
    "company_size": "number",
    "country": "text",
    "industry": "text",
    "channel": "text",
    "campaign": "text",
    "demo_request": "flag",
    "page_views": "number",
    "form_submissions": "number",
    "owner": "text",
    "amount": "money",
}


def _has_value(col: pd.Series, kind: str) -> bool:
    if kind == "text":
        if isinstance(col.dtype, pd.CategoricalDtype):  # look at the categories in use, not at every row
            codes = np.unique(col.cat.codes.to_numpy())
            text = pd.Series(col.cat.categories[codes[codes >= 0]], dtype=object).astype(str).str.strip()
        else:
            text = col.dropna().astype(str).str.strip()
        return bool((text != "").any())
    if kind == "flag":
        return bool(col.fillna(False).astype(bool).any())
    values = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    if kind == "money":
        return bool((~np.isnan(values)).any())
    return bool(np.nan_to_num(values, nan=0.0).any())


def empty_fields(leads: pd.DataFrame, fields: tuple[str, ...] | None = None) -> list[str]:
    """The lead fields (of :data:`COVERAGE_FIELDS`, or ``fields``) that no lead has a value for.

    A field is empty when the frame lacks the column, or when every lead holds the import's default:
    0 for a number, False for a flag, missing or blank text, no amount. Without any lead there is
    nothing to judge, so the list is empty.

    Raises:
        ValueError: a field that is not in :data:`COVERAGE_FIELDS`.

    Examples:
        >>> leads = pd.DataFrame({"score": [0, 0], "persona": ["CTO", None], "demo_request": [False, True]})
        >>> empty_fields(leads, ("score", "persona", "demo_request"))
        ['score']
    """
    wanted = tuple(COVERAGE_FIELDS) if fields is None else fields
    unknown = [f for f in wanted if f not in COVERAGE_FIELDS]
    if unknown:
        raise ValueError(f"unknown field(s) {', '.join(unknown)}; expected some of {', '.join(COVERAGE_FIELDS)}")
    if leads.empty:
        return []
    return [f for f in wanted if f not in leads.columns or not _has_value(leads[f], COVERAGE_FIELDS[f])]


def has_touches(touches: pd.DataFrame) -> bool:
    """True when at least one touch (sales contact attempt) is recorded in the data."""
    return len(touches) > 0
