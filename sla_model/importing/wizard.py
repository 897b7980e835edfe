"""The import page's computations, without Streamlit: the format choices, column guesses, fingerprints, names.

Pure functions of a read file (:class:`~sla_model.importing.csvfile.CsvTable`) and mappings, so the page only
lays them out (``ui.import_wizard`` renders its sections).
"""

from __future__ import annotations

import hashlib
import re

from sla_model.importing.csvfile import CsvTable
from sla_model.importing.mapping import BUILT_IN, Mapping, detect

#: The column picker's entry for a field no column holds.
NONE = "—"


def distinct_values(table: CsvTable, column: str, limit: int = 60) -> list[str]:
    """A column's most frequent values, most frequent first, empty cells left out (a value map's rows)."""
    values = table.frame[column].value_counts().head(limit).index
    return [v for v in values if v != ""]


def format_choices(saved: dict[str, Mapping]) -> dict[str, str]:
    """The format chooser's options (key -> label): detected, the built-in formats, the saved mappings, custom."""
    return {
        "detected": "Detected from the columns",
        **{k: m.name for k, m in BUILT_IN.items()},
        **{f"saved:{k}": f"Saved: {k}" for k in saved},
        "custom": "Build a mapping for this file",
    }


def starting_mapping(choice: str, table: CsvTable, saved: dict[str, Mapping]) -> Mapping | None:
    """The mapping a format choice starts from (None: detection found none, or a mapping is built from nothing)."""
    if choice == "detected":
        return detect(table.headers)
    if choice.startswith("saved:"):
        return saved[choice.removeprefix("saved:")]
    if choice == "custom":
        return None
    return BUILT_IN[choice]


def guess_column(field: str, headers: list[str], start: Mapping | None) -> str:
    """The column first picked for ``field``: the starting mapping's, else a header spelled as the field, else none.

    Examples:
        >>> guess_column("lead_id", ["Lead ID", "Created"], None), guess_column("score", ["Created"], None)
        ('Lead ID', '—')
    """
    if start is not None:
        found = start.resolve(headers).get(field)
        if found:
            return found
    lowered = {h.lower().replace(" ", "_"): h for h in headers}
    return lowered.get(field, NONE)


def digest(values: list[str]) -> str:
    """A short fingerprint of ``values``, for widget keys."""
    return hashlib.sha1("\x1f".join(values).encode()).hexdigest()[:12]


def file_digest(data: bytes) -> str:
    """A file's fingerprint (the page reads a file once per upload, not on every rerun)."""
    return hashlib.sha1(data).hexdigest()


def mapping_file_name(name: str) -> str:
    """A mapping's download file name, from the name the user gave it.

    Examples:
        >>> mapping_file_name("Our HubSpot portal!"), mapping_file_name("  ")
        ('our-hubspot-portal.toml', 'mapping.toml')
    """
    stem = re.sub(r"[^\w.-]+", "-", name.strip(), flags=re.UNICODE).strip("-.").lower()
    return f"{stem or 'mapping'}.toml"


def kept_note(kept: int) -> str | None:
    """The preview's note on the stored leads that keep a decision made in the app (None when there are none).

    Examples:
        >>> kept_note(0) is None, kept_note(1).startswith("1 lead decided in the app after the latest date of its")
        (True, True)
    """
    if not kept:
        return None
    leads, rows, keep = ("1 lead", "its row", "keeps that decision") if kept == 1 else (
        f"{kept:,} leads", "their rows", "keep those decisions")  # fmt: skip
    return f"{leads} decided in the app after the latest date of {rows} in this file {keep}: the file is older"
