"""The import engine shared by the import page and ``python -m sla_model import``.

1. :func:`prepare` turns a read CSV (:mod:`sla_model.importing.csvfile`) and a :class:`~.mapping.Mapping` into
   typed rows plus every problem found (row, column, value, reason). Nothing is written.
2. :func:`write` stores the valid rows in one transaction: leads are upserted by their ID (re-importing a file
   changes nothing; a newer export updates the leads that changed), touches and decisions are added unless
   already stored. A failure leaves the database exactly as it was.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, select

from sla_model.access import Actor, require_manager
from sla_model.importing.csvfile import CsvTable, release_memory
from sla_model.importing.mapping import (
    FIELD_LABELS,
    KIND_FIELDS,
    STAGE_MILESTONES,
    STAGE_RANK,
    Mapping,
    Stage,
    missing_columns_message,
    required_fields,
)
from sla_model.metrics.lifecycle import DECISION_COLUMNS
from sla_model.store import sqlite_bulk
from sla_model.store.db import BUSY_TIMEOUT_MS, is_sqlite
from sla_model.store.models import Feedback, Lead, Touch, utcnow
from sla_model.store.repository import (
    BUMP_SQL,
    LEAD_TIME_COLUMNS,
    SNAPSHOT_KEY,
    _read_frame,
    _with_defaults,
    arrow_rows,
    clock_statements,
    copy_batch,
    qmark,
    sqlite_value,
)

#: Rows written per statement batch (bounds the Python objects alive at once).
BATCH_ROWS = 100_000
#: SQLite page cache of the writer process, KiB: enough for the key and the index builds of a million leads,
#: small enough that it and the prepared rows stay under 1.5 GB together.
WRITER_CACHE_KIB = 128 * 1024
#: The values each number field may hold (a value outside is a problem naming its row, column and value).
NUMBER_RANGES: dict[str, tuple[int, int]] = {
    "company_size": (0, 10_000_000),  # employees: the largest employers have about 2.3 million
    "score": (0, 100),
    "page_views": (0, 1_000_000_000),
    "form_submissions": (0, 1_000_000_000),
    "amount": (0, 1_000_000_000_000),  # a deal, in the SLA's currency
}
#: Problems listed in full; beyond this only their count per reason is kept.
MAX_LISTED = 5_000
#: Whitespace spelled out: with ``\s`` pandas falls back from pyarrow's RE2 to a Python loop over every cell.
_SPACE = " \t\r\n\f\v\xa0\u202f"
#: A cell a spreadsheet would run as a formula: ``=...``, ``@...``, or ``+``/``-`` followed by a function call.
FORMULA = f"^[{_SPACE}]*(?:[=@]|[+-][{_SPACE}]*[A-Za-z_][A-Za-z0-9_.]*[{_SPACE}]*\\()"
_FORMULA_START = pa.array(list("=@+-" + _SPACE), type=pa.large_string())
#: Date formats tried in ``auto`` mode (ISO is tried first, through pandas' ISO 8601 parser).
DATE_FORMATS = [
    "%m/%d/%Y", "%m/%d/%Y %H:%M", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %I:%M %p", "%m/%d/%Y, %I:%M %p",
    "%m/%d/%y", "%m/%d/%y %H:%M",
    "%Y.%m.%d", "%Y.%m.%d %H:%M", "%Y.%m.%d %H:%M:%S", "%Y/%m/%d", "%Y/%m/%d %H:%M", "%Y/%m/%d %H:%M:%S",
    "%d %b, %Y %H:%M:%S", "%d %b %Y", "%d %b %Y %H:%M", "%d %B %Y", "%b %d, %Y", "%b %d, %Y %I:%M %p",
    "%d.%m.%Y", "%d.%m.%Y %H:%M", "%d.%m.%Y %H:%M:%S",
]  # fmt: skip
_DAY_FIRST = {"%m/%d/%Y": "%d/%m/%Y", "%m/%d/%Y %H:%M": "%d/%m/%Y %H:%M", "%m/%d/%Y %H:%M:%S": "%d/%m/%Y %H:%M:%S",
              "%m/%d/%y": "%d/%m/%y", "%m/%d/%y %H:%M": "%d/%m/%y %H:%M"}  # fmt: skip
_ZONED = r"(?:Z|[+-][0-9][0-9]:?[0-9][0-9])$"
_TRUE = {"true", "yes", "y", "1", "x", "t"}
_FALSE = {"false", "no", "n", "0", "", "f"}
_MODELS = {"leads": Lead, "touches": Touch, "feedback": Feedback}
_TABLES = {"leads": "lead", "touches": "touch", "feedback": "feedback"}
#: What makes a touch or decision "already stored" (they have no ID of their own in exports).
_NATURAL_KEYS = {"touches": ["lead_id", "rep", "at", "kind"], "feedback": ["lead_id", "decision", "at"]}
_TIME_ORDER = ["created_at", "mql_at", "accepted_at", "sql_at", "opportunity_at", "won_at"]


def _field_types(kind: str) -> dict[str, str]:
    """Field -> 'text' | 'int' | 'float' | 'bool' | 'time', from the table model."""
    out = {}
    for name, info in _MODELS[kind].model_fields.items():
        ann = str(info.annotation)
        if name in KIND_FIELDS[kind]:
            if "datetime" in ann or "Datetime" in ann:
                out[name] = "time"
            elif "bool" in ann:
                out[name] = "bool"
            elif "int" in ann:
                out[name] = "int"
            elif "float" in ann:
                out[name] = "float"
            else:
                out[name] = "text"
    return out


def _text_limit(kind: str, name: str) -> int:
    info = _MODELS[kind].model_fields[name]
    for meta in info.metadata:
        if getattr(meta, "max_length", None):
            return meta.max_length
    return 2_000 if name == "note" else 500


@dataclass
class Prepared:
    """A file ready to write: typed valid rows, and what was found on the way."""

    kind: str
    source: str
    rows_read: int
    frame: pd.DataFrame  #: valid rows, typed, with the table's columns
    problems: pd.DataFrame  #: row, column, value, reason, level ('error' rows are not in ``frame``)
    mapped: dict[str, str]  #: field -> column in the file
    unmapped_columns: list[str]
    notes: list[str] = field(default_factory=list)
    problem_counts: dict[str, int] = field(default_factory=dict)  #: reason -> count (including unlisted)
    warning_counts: dict[str, int] = field(default_factory=dict)  #: of those, the warnings (rows are kept)

    @property
    def warnings(self) -> int:
        """How many warnings were found, listed or not (a warning leaves its row in)."""
        return sum(self.warning_counts.values())

    #: The fields the file gives (mapped, fixed, or implied by a stage): a stored lead gets only these from a
    #: re-import, and keeps the rest (an export without a score column leaves scores as they are). Empty: all.
    provided: list[str] = field(default_factory=list)
    #: Of those, the milestone dates only implied by a stage: they fill a stored lead's empty dates and never
    #: replace a stored date (nor clear one, for a lead whose stage the file does not say).
    implied: list[str] = field(default_factory=list)

    @property
    def errors(self) -> int:
        """How many rows have an error (they are left out)."""
        return self.rows_read - len(self.frame)

    @property
    def ok(self) -> bool:
        """No row has an error."""
        return self.errors == 0


class _Problems:
    def __init__(self) -> None:
        self.parts: list[pd.DataFrame] = []
        self.counts: dict[str, int] = {}
        self.warned: dict[str, int] = {}  #: reason -> count, for warnings only
        self.bad = None
        self.rows = None  #: each position's row number as a spreadsheet shows the file
        self.seen: dict[tuple[str, str], np.ndarray] = {}  #: (column, reason) -> the positions reported

    def add(self, rows: np.ndarray, column: str, values, reason: str, level: str = "error", reasons=None) -> None:
        """Record a problem for the rows (positions) given; ``values`` (and ``reasons``) aligned with rows."""
        if len(rows) == 0:
            return
        # one bad cell feeding two fields (a column mapped to both won_at and the stage date) is one problem
        seen = self.seen.setdefault((column, reason), np.zeros(len(self.bad), dtype=bool))
        fresh = ~seen[rows]
        if not fresh.all():
            rows = rows[fresh]
            values = np.asarray(values, dtype=object)[fresh]
            reasons = None if reasons is None else [r for r, f in zip(reasons, fresh, strict=False) if f]
            if len(rows) == 0:
                return
        seen[rows] = True
        self.counts[reason] = self.counts.get(reason, 0) + len(rows)
        if level != "error":
            self.warned[reason] = self.warned.get(reason, 0) + len(rows)
        values = pd.Series(np.asarray(values, dtype=object)[:MAX_LISTED]).astype(str).str.slice(0, 80).to_numpy()
        shown = rows[:MAX_LISTED]
        self.parts.append(
            pd.DataFrame({"row": self.rows[shown], "column": column, "value": values,
                          "reason": reason if reasons is None else list(reasons)[:MAX_LISTED], "level": level})
        )  # fmt: skip
        if level == "error":
            self.bad[rows] = True

    def frame(self) -> pd.DataFrame:
        if not self.parts:
            return pd.DataFrame({"row": pd.Series([], dtype=np.int64), "column": [], "value": [], "reason": [],
                                 "level": []})  # fmt: skip
        out = pd.concat(self.parts, ignore_index=True).sort_values(["row", "column"], kind="stable")
        return out.head(MAX_LISTED).reset_index(drop=True)


def _text(values: pd.Series) -> pa.Array:
    """Text cells as Arrow text (no copy for the text pandas holds in Arrow)."""
    return pa.array(values, type=pa.large_string())


def _formulas(values: pd.Series) -> pd.Series:
    """Which cells match :data:`FORMULA` (the pattern is run only on cells that start as a formula could)."""
    first = pc.utf8_slice_codeunits(_text(values), 0, 1)
    could = pc.fill_null(pc.is_in(first, value_set=_FORMULA_START), False)
    could = np.flatnonzero(could.to_numpy(zero_copy_only=False))
    found = np.zeros(len(values), dtype=bool)
    if len(could):
        found[could] = values.iloc[could].str.contains(FORMULA, regex=True).to_numpy(dtype=bool)
    return pd.Series(found, index=values.index)


def _parse_numbers(raw: pd.Series, *, decimal_comma: bool) -> pd.Series:
    if not decimal_comma:  # plain numbers (the usual case): Arrow's parser, else the cleaning below
        cells = _text(raw)
        try:
            numbers = pc.cast(pc.if_else(pc.equal(cells, ""), pa.scalar(None, cells.type), cells), pa.float64())
        except pa.ArrowInvalid:
            pass
        else:
            return pd.Series(numbers.to_numpy(zero_copy_only=False), index=raw.index, dtype=float)
    cleaned = raw.str.replace(f"[{_SPACE}$€£¥]", "", regex=True)
    if decimal_comma:
        cleaned = cleaned.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    else:
        cleaned = cleaned.str.replace(",", "", regex=False)
    return pd.to_numeric(cleaned, errors="coerce")


def _iso_times(values: pd.Series) -> pd.Series | None:
    """Read ISO 8601 dates and date-times without a zone with Arrow's parser (ten times pandas' speed).

    None if any value is something else (a zone, another format, a date out of range): pandas reads those.
    """
    try:
        parsed = pc.cast(pc.cast(_text(values), pa.timestamp("us")), pa.timestamp("ns"))
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    return pd.Series(parsed.to_numpy(zero_copy_only=False), index=values.index, dtype="datetime64[ns]")


#: The years a stored date may have (what a nanosecond timestamp holds, whole years).
YEARS = (1678, 2261)
FAR_DATE = f"a date outside the years {YEARS[0]}–{YEARS[1]}"


def _far_years(values: pd.Series) -> pd.Series:
    """Cells whose four-digit year lies outside :data:`YEARS` (``9999-12-31``, ``1/1/1500``).

    Examples:
        >>> _far_years(pd.Series(["9999-12-31", "2017-03-01", "12/31/1500 10:00", ""])).tolist()
        [True, False, True, False]
    """
    # the first run of exactly four digits (Arrow's RE2 has no lookbehind: the neighbours are matched instead)
    found = pc.extract_regex(_text(values), r"(?:^|\D)(?P<year>\d{4})(?:\D|$)")
    years = pc.cast(pc.struct_field(found, "year"), pa.int32())
    far = pc.fill_null(pc.or_(pc.less(years, YEARS[0]), pc.greater(years, YEARS[1])), False)
    return pd.Series(far.to_numpy(zero_copy_only=False), index=values.index, dtype=bool)


def _parse_times(raw: pd.Series, mapping: Mapping) -> tuple[pd.Series, str]:
    """Text to naive UTC datetime64 (NaT where empty, unreadable or in a year a timestamp cannot hold)."""
    raw = raw.where(~_far_years(raw), "")  # pandas would raise OutOfBoundsDatetime for the whole column
    present = raw != ""
    values = raw[present]
    if values.empty:
        return pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]"), ""
    zone = zoneinfo.ZoneInfo(mapping.timezone)

    def _localise(parsed: pd.Series, zoned: pd.Series) -> pd.Series:
        out = pd.Series(pd.NaT, index=parsed.index, dtype="datetime64[ns]")
        naive = parsed[~zoned]
        if not naive.empty:
            naive = pd.to_datetime(naive)
            if mapping.timezone != "UTC":
                naive = naive.dt.tz_localize(zone, ambiguous="NaT", nonexistent="shift_forward").dt.tz_convert(None)
            out[~zoned] = naive.astype("datetime64[ns]")
        return out

    if mapping.date_format != "auto":
        parsed = pd.to_datetime(values, format=mapping.date_format, errors="coerce", utc=True)
        if "%H" not in mapping.date_format and "%I" not in mapping.date_format:  # a date format also reads date-times
            for with_time in (" %H:%M", " %H:%M:%S"):
                parsed = parsed.fillna(
                    pd.to_datetime(values, format=mapping.date_format + with_time, errors="coerce", utc=True)
                )
        if mapping.timezone != "UTC" and not re.search(_ZONED, mapping.date_format):
            parsed = parsed.dt.tz_localize(None).dt.tz_localize(zone, ambiguous="NaT").dt.tz_convert("UTC")
        best, best_fmt = parsed.dt.tz_localize(None).astype("datetime64[ns]"), mapping.date_format
    elif (fast := _iso_times(values)) is not None:  # plain ISO 8601 without a zone (the usual case)
        best, best_fmt = _localise(fast, pd.Series(False, index=values.index)), "ISO 8601"
    else:
        zoned = values.str.contains(_ZONED, regex=True)
        iso = pd.to_datetime(values, format="ISO8601", errors="coerce", utc=True)
        best = iso.dt.tz_localize(None).astype("datetime64[ns]")
        if not zoned.all():
            naive = pd.to_datetime(values[~zoned], format="ISO8601", errors="coerce")
            best = best.where(zoned, _localise(naive, zoned)[~zoned].reindex(best.index))
        best_fmt = "ISO 8601"
        misses = best.isna().sum()
        if misses:
            for fmt in DATE_FORMATS:
                fmt = _DAY_FIRST.get(fmt, fmt) if mapping.day_first else fmt
                parsed = pd.to_datetime(values, format=fmt, errors="coerce")
                if parsed.isna().sum() < misses:
                    best, best_fmt, misses = (
                        _localise(parsed, pd.Series(False, index=values.index)),
                        fmt,
                        parsed.isna().sum(),
                    )
                if misses == 0:
                    break
    out = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")
    out[present] = best.to_numpy()
    return out, best_fmt


def _where(record) -> str:
    """Where a left-out record is: its row, and its line in the file when that differs."""
    where = f"row {record.row}" if record.row else "a row"
    if record.line and record.line != record.row:
        where += f" (line {record.line} of the file)"
    return where


#: The warning for a cell a byte order mark was removed from (see :attr:`CsvTable.boms`).
BOM_REMOVED = "a byte order mark (U+FEFF) inside the file was removed from the cell (were two files joined together?)"


def stored_lead_dates(engine: Engine) -> pd.DataFrame:
    """The stored leads' IDs, creation and milestone dates (what an update file is checked and completed with)."""
    return _read_frame(engine, "lead", ["lead_id", *LEAD_TIME_COLUMNS], LEAD_TIME_COLUMNS)


def prepare(
    table: CsvTable,
    mapping: Mapping,
    *,
    known_leads: set[str] | None = None,
    stored_leads: pd.DataFrame | None = None,
) -> Prepared:
    """Type, check and complete the rows of ``table`` as ``mapping`` says. Writes nothing.

    Args:
        table: the file as read.
        mapping: how its columns map to the app's fields.
        known_leads: for touches and decisions, the lead IDs already stored (rows for other leads are errors
            unless the lead is also in ``known_leads``); None skips the check.
        stored_leads: for a mapping with ``update_only``, the stored leads' dates (:func:`stored_lead_dates`):
            rows for other leads are errors unless ``add_new``, and dates a stage implies are dated from the
            stored dates too. None is read as no stored lead.

    Raises:
        ValueError: a required field has no column and no fixed value, or a column the mapping names is not in
            the file (the message names the field, the column and the closest column in the file).

    Returns:
        The valid rows and every problem with row (as a spreadsheet numbers it: the header is row 1), column,
        value and reason.
    """
    kind = mapping.kind
    raw = table.frame
    n = len(raw)
    mapped = mapping.resolve(table.headers)
    problems = _Problems()
    problems.bad = np.zeros(n, dtype=bool)
    problems.rows = table.row_numbers(np.arange(n))
    notes: list[str] = []
    for record in table.bad_records:
        problems.counts[f"record {record.reason}"] = problems.counts.get(f"record {record.reason}", 0) + 1
    if table.bad_records:
        listed = table.bad_records[:MAX_LISTED]
        problems.parts.append(pd.DataFrame({
            "row": [r.row or 0 for r in listed], "column": "(whole row)", "value": [r.text[:80] for r in listed],
            "reason": [f"{_where(r)} {r.reason}; it was left out" for r in listed], "level": "error"}))  # fmt: skip
    for column, positions in table.boms.items():
        problems.add(positions, column, raw[column].to_numpy()[positions], BOM_REMOVED, level="warning")
    if not table.rows_exact:
        notes.append("the file's records could not be matched one by one (an unusual quote or line break), so a "
                     "row number may be off by the blank lines and left-out records before it")  # fmt: skip
    absent = missing_columns_message(table.name, mapping, table.headers)
    if absent:
        raise ValueError(absent)
    required = required_fields(mapping)
    missing = [f for f in required if f not in mapped and f not in mapping.constants]
    if missing:
        wanted = "; ".join(
            f"{FIELD_LABELS.get(f, f)} (column {' or '.join(repr(a) for a in mapping.alternatives(f)) or 'not mapped'})"
            for f in missing
        )
        raise_missing = f"{table.name}: missing required column(s): {wanted}. The file has: {', '.join(table.headers)}"
        raise ValueError(raise_missing)

    types = _field_types(kind)
    if kind == "leads":
        types["stage_at"] = "time"  # checked as every date column is, though it is no column of the table
    out: dict[str, pd.Series] = {}
    decimal_comma = table.delimiter == ";"

    def cells(name: str, *, fixed: bool = True) -> pd.Series:
        col = mapped.get(name)
        values = raw[col].astype(str) if col else pd.Series("", index=raw.index, dtype=str)
        if fixed and name in mapping.constants:
            values = values.where(values != "", mapping.constants[name])
        value_map = {k.lower(): v for k, v in mapping.values.get(name, {}).items()}
        if value_map and name not in ("stage", "status"):
            lowered = values.str.lower()
            values = lowered.map(value_map).fillna(values).astype(str)
        return values

    for name, typ in types.items():
        if name not in mapped and name not in mapping.constants:
            continue
        values = cells(name)
        label = mapped.get(name, f"{name} (fixed value)")
        present = values != ""
        if typ == "text":
            limit = _text_limit(kind, name)
            long = present & (values.str.len() > limit)
            problems.add(np.flatnonzero(long), label, values[long], f"longer than {limit} characters")
            formula = present & _formulas(values)
            problems.add(
                np.flatnonzero(formula),
                label,
                values[formula],
                "looks like a spreadsheet formula; remove it (imported text is never run as a formula)",
            )
            out[name] = values.where(present, None) if name in ("owner", "rejection_reason", "reason") else values
        elif typ in ("int", "float"):
            numbers = _parse_numbers(values, decimal_comma=decimal_comma)
            bad = present & numbers.isna()
            problems.add(np.flatnonzero(bad), label, values[bad], "not a number")
            endless = numbers.notna() & ~np.isfinite(numbers.to_numpy(dtype=float, na_value=0.0))
            problems.add(np.flatnonzero(endless), label, values[endless], "not a finite number")
            numbers = numbers.where(~endless)
            negative = numbers < 0
            problems.add(np.flatnonzero(negative), label, values[negative], "negative")
            lo, hi = NUMBER_RANGES.get(name, (0, 10**15))
            over = numbers > hi
            problems.add(np.flatnonzero(over), label, values[over], f"{name.replace('_', ' ')} outside {lo:,}–{hi:,}")
            numbers = numbers.where(~over)  # never cast past what the column holds
            if typ == "int":
                fraction = present & numbers.notna() & (numbers % 1 != 0)
                problems.add(np.flatnonzero(fraction), label, values[fraction], "not a whole number")
                out[name] = numbers.fillna(0).clip(lower=0).round().astype(np.int64)
            else:
                out[name] = numbers.astype(float)
        elif typ == "bool":
            lowered = values.str.lower()
            bad = ~lowered.isin(_TRUE | _FALSE)
            problems.add(np.flatnonzero(bad), label, values[bad], "not yes/no (true/false, 1/0)")
            out[name] = lowered.isin(_TRUE)
        else:  # time
            fixed = mapping.constants.get(name, "")
            if fixed:  # a fixed date is read on its own (ISO in a file of US dates, say), then fills the empty cells
                own = cells(name, fixed=False)
                times, used = _parse_times(own, mapping)
                auto = mapping.model_copy(update={"date_format": "auto"})
                when = _parse_times(pd.Series([fixed]), mapping)[0].iloc[0]
                when = _parse_times(pd.Series([fixed]), auto)[0].iloc[0] if pd.isna(when) else when
                from_file = own != ""
                times = times.where(from_file, when)
                bad = present & times.isna()
                unreadable = "not a date this import can read"
                problems.add(np.flatnonzero(bad & from_file), label, values[bad & from_file], unreadable)
                problems.add(np.flatnonzero(bad & ~from_file), f"{name} (fixed value)", values[bad & ~from_file],
                             unreadable)  # fmt: skip
            else:
                times, used = _parse_times(values, mapping)
                bad = present & times.isna()
                far = bad & _far_years(values)
                problems.add(np.flatnonzero(far), label, values[far], FAR_DATE)
                problems.add(np.flatnonzero(bad & ~far), label, values[bad & ~far], "not a date this import can read")
            if used and used != "ISO 8601" and f"{label}: dates read as {used}" not in notes:
                notes.append(f"{label}: dates read as {used}")
            out[name] = times

    if mapping.update_only:
        _update_rules(out, mapping, mapped, cells, problems, stored_leads, raw.index)
    for name in required:
        if name in out:
            empty = out[name].isna() if types[name] == "time" else out[name].isna() | (out[name] == "")
            empty &= cells(name) == ""  # an unreadable value is reported as such
            problems.add(
                np.flatnonzero(empty), mapped.get(name, name), [""] * int(empty.sum()), "required value is empty"
            )

    if kind == "leads":
        _lead_rules(out, raw, mapping, mapped, cells, problems, notes)
    elif kind in ("touches", "feedback"):
        if kind == "feedback":
            decision = out["decision"].str.lower()
            bad = ~decision.isin(["accept", "reject"])
            problems.add(np.flatnonzero(bad), mapped.get("decision", "decision"), out["decision"][bad],
                         "decision must be accept or reject")  # fmt: skip
            out["decision"] = decision
        if known_leads is not None:
            unknown = ~out["lead_id"].isin(known_leads)
            problems.add(np.flatnonzero(unknown & (out["lead_id"] != "")), mapped["lead_id"], out["lead_id"][unknown],
                         "no lead with this ID (import the leads first)")  # fmt: skip

    frame = _with_defaults(_TABLES[kind], pd.DataFrame(out))
    model_fields = KIND_FIELDS[kind]
    frame = frame[[c for c in model_fields if c in frame.columns]]
    keep = ~problems.bad
    listed = problems.frame()
    provided = _provided(kind, mapped, mapping, list(frame.columns))
    if mapping.update_only:  # a fixed value is for the leads an update adds: a stored lead keeps its own
        provided = [c for c in provided if c in mapped or c not in mapping.constants and c != "created_at"]
    return Prepared(
        kind=kind,
        source=table.name,
        rows_read=n + len(table.bad_records),
        frame=frame[keep].reset_index(drop=True),
        problems=listed,
        mapped=dict(mapped),
        unmapped_columns=[h for h in table.headers if h not in set(mapped.values())],
        notes=notes,
        problem_counts=problems.counts,
        warning_counts=problems.warned,
        provided=provided,
        implied=[c for c in provided if c not in mapped and c not in mapping.constants and c != "lead_id"],
    )


def _update_rules(out, mapping: Mapping, mapped, cells, problems: _Problems, stored, index: pd.Index) -> None:
    """An update file: rows for leads not stored are errors (unless ``add_new``); stored dates fill the gaps.

    A stored lead keeps its creation date unless the mapping names a column for it, and every date the file
    leaves empty is taken from the stored lead, so that a stage's implied milestones are dated from what is
    known (and an empty cell never clears a stored date).
    """
    ids = out["lead_id"]
    if stored is None:
        stored = pd.DataFrame(
            {"lead_id": pd.Series([], dtype=str), "created_at": pd.Series([], dtype="datetime64[ns]")}
        )
    known = stored.drop_duplicates("lead_id", keep="last").set_index("lead_id").reindex(ids.to_numpy())
    is_stored = pd.Series(ids.isin(stored["lead_id"]).to_numpy(), index=index)
    for name in [c for c in known.columns if c in LEAD_TIME_COLUMNS]:
        mine = pd.Series(known[name].to_numpy(dtype="datetime64[ns]"), index=index)
        if name == "created_at" and "created_at" not in mapped:  # a fixed creation date is for new leads only
            file_value = out.get(name, pd.Series(pd.NaT, index=index, dtype="datetime64[ns]"))
            out[name] = mine.where(is_stored, file_value)
        elif name in out:
            out[name] = out[name].where(out[name].notna() | ~is_stored, mine)
        else:
            out[name] = mine
    unknown = ~is_stored & (ids != "")
    column = mapped.get("lead_id", "lead_id")
    if not mapping.add_new:
        problems.add(np.flatnonzero(unknown), column, ids[unknown],
                     "no stored lead with this ID (import the leads file first, or choose to add them)")  # fmt: skip
    elif "created_at" not in mapped and "created_at" not in mapping.constants:
        problems.add(np.flatnonzero(unknown), column, ids[unknown], "no stored lead with this ID, and no creation "
                     "date to add it with (map a Created column or give Created a fixed value)")  # fmt: skip
    else:
        empty = unknown & out["created_at"].isna() & (cells("created_at") == "")
        problems.add(np.flatnonzero(empty), mapped.get("created_at", "created_at"), [""] * int(empty.sum()),
                     "required value is empty (a lead that is not stored yet needs its creation date)")  # fmt: skip


def _provided(kind: str, mapped: dict[str, str], mapping: Mapping, columns: list[str]) -> list[str]:
    """The fields a file gives a value for: mapped or fixed ones, and every milestone date if it has a stage."""
    given = set(mapped) | set(mapping.constants)
    if kind == "leads" and given & {"stage", "status"}:
        given |= {name for chain in STAGE_MILESTONES.values() for name in chain}
    return [c for c in columns if c in given]


#: Milestones as the preview's notes name them ("1 lead had no MQL date").
_MILESTONE_NAMES = {
    "created_at": "creation", "mql_at": "MQL", "accepted_at": "accepted", "rejected_at": "rejected",
    "recycled_at": "recycled", "disqualified_at": "disqualified", "sql_at": "SQL", "opportunity_at": "opportunity",
    "won_at": "won", "lost_at": "lost", "stage_at": "stage",
}  # fmt: skip


def _implied_dates(out: dict, stage: np.ndarray, stage_at: pd.Series | None, index: pd.Index, notes: list[str]) -> None:
    """Date the milestones a stage implies that the file leaves empty, and say how in ``notes``.

    The stage's own milestone takes the stage date (``stage_at``) if the row has one, else the latest date known
    before it; an earlier milestone takes the latest date known before it (the creation, or an earlier milestone
    the file gives), never a later milestone's date: no implied date moves a lead into a later month.
    """
    filled: dict[tuple[str, str], int] = {}
    for st in Stage:
        chain = STAGE_MILESTONES[st]
        rows = pd.Series(stage == st.value, index=index)
        if not chain or not rows.any():
            continue
        known = out["created_at"].copy() if "created_at" in out else pd.Series(pd.NaT, index=index)
        source = pd.Series("created_at", index=index, dtype=object)
        for i, name in enumerate(chain):
            fill = rows & out[name].isna()
            value, origin = known, source
            if i == len(chain) - 1 and stage_at is not None:
                dated = stage_at.notna()
                value = stage_at.where(dated, known)
                origin = source.where(~dated, "stage_at")
            fill &= value.notna()
            out[name] = out[name].where(~fill, value)
            for origin_name, count in origin[fill].value_counts().items():
                filled[(name, origin_name)] = filled.get((name, origin_name), 0) + int(count)
            later = out[name].notna() & (known.isna() | (out[name] > known))
            known = known.where(~later, out[name])
            source = source.where(~later, name)
    for (name, origin), count in filled.items():
        leads, its = ("1 lead", "its") if count == 1 else (f"{count:,} leads", "their")
        at = f"{its} creation" if origin == "created_at" else f"{its} {_MILESTONE_NAMES[origin]} date"
        notes.append(f"{leads} had no {_MILESTONE_NAMES[name]} date: dated at {at} (implied by the stage)")


def _lead_rules(out, raw, mapping: Mapping, mapped, cells, problems: _Problems, notes: list[str]) -> None:
    """Lead checks (duplicates, time order) and completion from stage and status values."""
    n = len(raw)
    ids = out["lead_id"]
    dup = ids.duplicated(keep="first") & (ids != "")
    if dup.any():
        first_row = pd.Series(problems.rows, index=ids.index).groupby(ids).transform("first")
        problems.add(np.flatnonzero(dup), mapped["lead_id"], ids[dup], "duplicate ID",
                     reasons=(f"duplicate ID, first on row {r}" for r in first_row[dup].head(MAX_LISTED)))  # fmt: skip
    if "channel" not in out:
        out["channel"] = pd.Series("Unknown", index=raw.index, dtype=str)
        notes.append("no channel column: new leads' channel is 'Unknown' (stored leads keep theirs)")
    else:
        blank = out["channel"] == ""
        if blank.any():
            out["channel"] = out["channel"].where(~blank, "Unknown")
            notes.append(f"{int(blank.sum()):,} leads without a channel are filed under 'Unknown'")

    # stage and status values -> the furthest stage each row reached
    rank = np.full(n, -1)
    stage = np.full(n, Stage.IGNORE.value, dtype=object)
    for target in ("stage", "status"):
        if target not in mapped:
            continue
        values = cells(target)
        value_map = {k.lower(): Stage(v) for k, v in mapping.values.get(target, {}).items()}
        lowered = values.str.lower()
        stages = lowered.map({k: v.value for k, v in value_map.items()})
        unknown = (values != "") & stages.isna()
        if unknown.any():
            counts = values[unknown].value_counts()
            firsts = pd.Series(problems.rows, index=values.index)[unknown].groupby(values[unknown]).first()
            for value, count in counts.items():
                problems.counts["unknown value"] = problems.counts.get("unknown value", 0) + int(count)
                problems.warned["unknown value"] = problems.warned.get("unknown value", 0) + int(count)
                problems.parts.append(pd.DataFrame({
                    "row": [int(firsts[value])], "column": [mapped[target]], "value": [str(value)[:80]],
                    "reason": [f"unknown {FIELD_LABELS[target].lower()} value on {rows_text(count)}; ignored "
                               "(map it to a stage to use it)"], "level": ["warning"]}))  # fmt: skip
        ranks = stages.map({s.value: STAGE_RANK[s] for s in Stage}).fillna(-1).to_numpy(dtype=int)
        further = ranks > rank
        rank = np.where(further, ranks, rank)
        stage = np.where(further, stages.fillna("ignore").to_numpy(dtype=object), stage)

    stage_at = out.pop("stage_at", None)
    for name in ("mql_at", "accepted_at", "rejected_at", "recycled_at", "disqualified_at", "sql_at",
                 "opportunity_at", "won_at", "lost_at"):  # fmt: skip
        out.setdefault(name, pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]"))
    _implied_dates(out, stage, stage_at, raw.index, notes)

    def written(name: str, rows: pd.Series) -> pd.Series:
        """The cells as the file writes them; a date the stage implied, as a date marked so."""
        raw_cells = (
            cells(name)[rows] if name in mapped or name in mapping.constants else pd.Series("", index=raw.index)[rows]
        )
        implied = out[name][rows].dt.strftime("%Y-%m-%d %H:%M") + " (implied by the stage)"
        return raw_cells.where(raw_cells != "", implied)

    created = out["created_at"]
    for name in ("mql_at", "accepted_at", "rejected_at", "sql_at", "opportunity_at", "won_at", "lost_at"):
        before = out[name].notna() & created.notna() & (out[name] < created.dt.normalize())
        label = mapped.get(name, FIELD_LABELS[name])
        problems.add(np.flatnonzero(before), label, written(name, before),
                     f"{FIELD_LABELS[name].lower()} is before the lead was created")  # fmt: skip
    both = out["won_at"].notna() & out["lost_at"].notna()
    problems.add(np.flatnonzero(both), mapped.get("lost_at", "Lost"), written("lost_at", both), "both won and lost")
    both = out["accepted_at"].notna() & out["rejected_at"].notna()
    problems.add(np.flatnonzero(both), mapped.get("rejected_at", "Rejected"), written("rejected_at", both),
                 "both accepted and rejected")  # fmt: skip
    for a, b in zip(_TIME_ORDER[1:-1], _TIME_ORDER[2:], strict=True):
        wrong = out[a].notna() & out[b].notna() & (out[b] < out[a].dt.normalize())
        problems.add(np.flatnonzero(wrong), mapped.get(b, FIELD_LABELS[b]), written(b, wrong),
                     f"{FIELD_LABELS[b].lower()} is before {FIELD_LABELS[a].lower()}")  # fmt: skip


# --- writing -----------------------------------------------------------------------------------------


@dataclass
class ImportResult:
    """What a write did."""

    kind: str
    inserted: int
    updated: int
    unchanged: int
    skipped: int  #: rows with errors, left out
    #: stored leads whose decision made in the app was kept over the file's older state (counted in ``updated``
    #: or ``unchanged`` as the rest of the row is)
    kept: int = 0


Progress = Callable[[float, str], None]


def _release_memory() -> None:
    """Hand memory freed since reading the file back to the system before writing (a million rows' worth)."""
    release_memory()


def _arrow(frame: pd.DataFrame, *, text_times: bool) -> pa.Table:
    """The prepared frame as the bulk writers take it (:func:`sla_model.store.repository.arrow_rows`)."""
    return arrow_rows(pa.Table.from_pandas(frame, preserve_index=False), text_times=text_times)


def _incoming(column: str, stored: str, new: str, fill_only: set[str]) -> str:
    """The value a stored lead gets: the file's, or for a ``fill_only`` column the stored one unless it is empty."""
    if column in fill_only:
        return f'COALESCE({stored}."{column}", {new}."{column}")'
    return f'{new}."{column}"'


#: What a decision made in the app sets on a lead: an older file's row never changes these (see :func:`_keep`).
KEPT_COLUMNS = (*DECISION_COLUMNS, "rejection_reason")
#: The leads with a decision made in the app that still stands: one undone in the app (its ``undo`` entry names
#: the ``decide`` entry) is no decision of the app's any more, and the files win for that lead again.
_APP_DECIDED = (
    "SELECT d.entity_id FROM audit_log d WHERE d.action = 'decide' AND NOT EXISTS (SELECT 1 FROM audit_log u "
    "WHERE u.action = 'undo' AND u.entity = 'audit_log' AND u.entity_id = CAST(d.id AS VARCHAR))"
)


def _keep(stored: str, new: str, times: list[str], *, sqlite: bool) -> str:
    """True for a stored lead decided in the app later than every date in the file's row for it.

    Such a row is an export taken before the decision: its decision columns are older state, and the lead
    keeps the decision (a row with a later date, e.g. a later rejection or an SQL date, is newer and wins).
    """
    decided = f'COALESCE({stored}."accepted_at", {stored}."rejected_at")'
    if sqlite:  # SQLAlchemy's DATETIME text compares in time order; '' is before any time
        latest = "max(" + ", ".join(["''", *(f"COALESCE({new}.\"{c}\", '')" for c in times)]) + ")"
        latest = latest if times else "''"
    else:
        latest = f"GREATEST({', '.join(f'{new}.{chr(34)}{c}{chr(34)}' for c in times)})" if times else "NULL"
        latest = f"COALESCE({latest}, TIMESTAMP '0001-01-01')"
    return f'({stored}."lead_id" IN ({_APP_DECIDED}) AND {decided} > {latest})'


def _value(column: str, stored: str, new: str, fill_only: set[str], keep: str) -> str:
    """The value a stored lead gets, its decision kept when ``keep`` holds."""
    incoming = _incoming(column, stored, new, fill_only)
    if column in KEPT_COLUMNS:
        return f'CASE WHEN {keep} THEN {stored}."{column}" ELSE {incoming} END'
    return incoming


def _times(columns: list[str]) -> list[str]:
    return [c for c in columns if c.endswith("_at")]


def _statements(kind: str, columns: list[str], *, sqlite: bool, updates: list[str], fill_only: set[str]) -> list[str]:
    """The statements that move the staged rows in; stored leads get only the ``updates`` columns."""
    table = _TABLES[kind]
    cols = ", ".join(f'"{c}"' for c in columns)
    source = "temp.import_stage" if sqlite else "import_stage"
    sql = []
    if kind == "leads":
        stored = f'"{table}"'
        keep = _keep(stored, "excluded", _times(columns), sqlite=sqlite)
        sets = ", ".join(f'"{c}" = {_value(c, stored, "excluded", fill_only, keep)}' for c in updates)
        distinct = "IS NOT" if sqlite else "IS DISTINCT FROM"
        changed = " OR ".join(
            f'{stored}."{c}" {distinct} {_value(c, stored, "excluded", fill_only, keep)}' for c in updates
        )
        sql.append(
            f'INSERT INTO "{table}" ({cols}) SELECT {cols} FROM {source} WHERE true ORDER BY "lead_id" '
            f'ON CONFLICT ("lead_id") DO UPDATE SET {sets}, "row_version" = "{table}"."row_version" + 1 '
            f"WHERE {changed}"
        )
    else:
        key = " AND ".join(f't."{c}" = s."{c}"' for c in _NATURAL_KEYS[kind])
        sql.append(
            f'INSERT INTO "{table}" ({cols}) SELECT {", ".join(f"s.{chr(34)}{c}{chr(34)}" for c in columns)} '
            f'FROM {source} s WHERE NOT EXISTS (SELECT 1 FROM "{table}" t WHERE {key})'
        )
    return sql


def _counts_sql(
    kind: str, *, sqlite: bool, updates: list[str], fill_only: set[str], columns: list[str] | None = None
) -> str:
    """Stored rows among the staged ones, those the import leaves unchanged, and the leads that keep a decision."""
    table = _TABLES[kind]
    source = "temp.import_stage" if sqlite else "import_stage"
    if kind == "leads":
        same = "IS" if sqlite else "IS NOT DISTINCT FROM"
        keep = _keep("t", "s", _times(columns or updates), sqlite=sqlite)
        unchanged = " AND ".join(f't."{c}" {same} {_value(c, "t", "s", fill_only, keep)}' for c in updates)
        guarded = [c for c in updates if c in KEPT_COLUMNS]
        as_filed = " AND ".join(f't."{c}" {same} {_incoming(c, "t", "s", fill_only)}' for c in guarded)
        kept = f"SUM(CASE WHEN {keep} AND NOT ({as_filed}) THEN 1 ELSE 0 END)" if guarded else "0"
        return (
            f'SELECT COUNT(t."lead_id"), COALESCE(SUM(CASE WHEN {unchanged} THEN 1 ELSE 0 END), 0), '
            f'COALESCE({kept}, 0) FROM {source} s JOIN "{table}" t ON t."lead_id" = s."lead_id"'
        )
    key = " AND ".join(f't."{c}" = s."{c}"' for c in _NATURAL_KEYS[kind])
    return f'SELECT COUNT(*), COUNT(*), 0 FROM {source} s WHERE EXISTS (SELECT 1 FROM "{table}" t WHERE {key})'


def _updates(prepared: Prepared) -> list[str]:
    """The columns a stored lead gets from ``prepared`` (the rest stay as they are)."""
    columns = list(prepared.frame.columns)
    return [c for c in (prepared.provided or columns) if c in columns and c != "lead_id"]


def kept_decisions(engine: Engine, prepared: Prepared) -> int:
    """How many stored leads would keep a decision made in the app over ``prepared``'s older rows (the preview's).

    Counted as :func:`write` applies it: a lead decided in the app later than every date of its row in the file,
    whose decision columns the file would change.
    """
    guarded = [c for c in _updates(prepared) if c in KEPT_COLUMNS]
    if prepared.kind != "leads" or prepared.frame.empty or not guarded:
        return 0
    with Session(engine) as session:
        decided = session.exec(
            select(Lead).where(
                Lead.lead_id.in_(text(_APP_DECIDED)),
                (Lead.accepted_at.is_not(None)) | (Lead.rejected_at.is_not(None)),
            )
        ).all()
    if not decided:
        return 0
    stored = pd.DataFrame(
        {"lead_id": [lead.lead_id for lead in decided],
         "decided_at": pd.to_datetime([lead.accepted_at or lead.rejected_at for lead in decided]),
         **{f"{c}_stored": [getattr(lead, c) for lead in decided] for c in guarded}}
    ).set_index("lead_id")  # fmt: skip
    rows = prepared.frame.set_index("lead_id").join(stored, how="inner")
    if rows.empty:
        return 0
    times = _times(list(prepared.frame.columns))
    latest = rows[times].max(axis=1) if times else pd.Series(pd.NaT, index=rows.index)
    keep = rows["decided_at"] > latest.fillna(pd.Timestamp.min)
    differs = pd.Series(False, index=rows.index)
    for c in guarded:
        was = rows[f"{c}_stored"]
        was = pd.to_datetime(was) if c.endswith("_at") else was
        new = was.combine_first(rows[c]) if c in prepared.implied else rows[c]
        differs |= ~((was.isna() & new.isna()) | (was == new))
    return int((keep & differs).sum())


def _audit_sql(*, qmark: bool = False) -> str:
    values = "?, ?, ?, 'import', ?, ?, ?" if qmark else ":at, :actor, :actor_id, 'import', :entity, :entity_id, :detail"
    return f"INSERT INTO audit_log (at, actor, actor_id, action, entity, entity_id, detail) VALUES ({values})"


_BUMP = BUMP_SQL
_CLEAR = [
    "DELETE FROM feedback",
    "DELETE FROM touch",
    "DELETE FROM lead",
    f"DELETE FROM meta WHERE key = '{SNAPSHOT_KEY}'",
]


def write(
    engine: Engine,
    prepared: Prepared,
    *,
    actor: Actor,
    replace: bool = False,
    allow_errors: bool = False,
    progress: Progress | None = None,
    live: bool | None = None,
) -> ImportResult:
    """Store the valid rows of ``prepared`` in one transaction.

    Args:
        engine: the database.
        prepared: from :func:`prepare`.
        actor: who imports: a manager (checked here, whoever calls), named in the audit row the import writes in
            its own transaction.
        replace: first delete every lead, touch and decision (and the sample data's snapshot time), in the
            same transaction.
        allow_errors: write the valid rows even though some rows have errors (they are skipped); without it a
            file with errors is refused.
        progress: called with (fraction done, what is happening).
        live: the clock from here on (see :func:`sla_model.store.repository.clock_statements`): True judges the data
            as of now; False as of its latest event; None keeps the database's choice (a database without one
            takes the latest event). The snapshot moves to the file's latest event (never past now) in the same
            transaction, and only forward.

    A stored lead decided in the app later than every date of its row in the file keeps its decision (the file
    is an export from before it): see :func:`kept_decisions`, and ``kept`` in the result.

    Raises:
        PermissionDenied: the actor is not a manager (nothing is written).
        ValueError: the file has errors and ``allow_errors`` is not set (nothing is written).
    """
    require_manager(actor, "import data")
    if not prepared.ok and not allow_errors:
        raise ValueError(
            f"{prepared.source}: {prepared.errors:,} of {rows_text(prepared.rows_read)} "
            f"{'has an error' if prepared.errors == 1 else 'have errors'}; nothing was "
            "imported. Fix them, or import the valid rows only."
        )
    report = progress or (lambda fraction, message: None)
    frame = prepared.frame
    columns = list(frame.columns)
    updates = _updates(prepared)
    fill_only = set(prepared.implied)
    sqlite = is_sqlite(engine)
    detail = json.dumps(
        {"file": prepared.source, "kind": prepared.kind, "rows": prepared.rows_read, "skipped": prepared.errors,
         "replace": replace}, ensure_ascii=False)  # fmt: skip
    params = {"at": utcnow(), "actor": actor.name, "actor_id": actor.id, "entity": _TABLES[prepared.kind],
              "entity_id": prepared.source, "detail": detail}  # fmt: skip
    after = clock_statements(live=live, latest=latest_event(frame))
    report(0.05, "preparing rows")
    _release_memory()
    table = _arrow(frame, text_times=sqlite)
    if sqlite:
        try:
            existing, unchanged, kept = _write_sqlite(
                engine, prepared.kind, table, columns, updates, fill_only, params, replace, report, after
            )
        except sqlite_bulk.BulkWriteError as exc:
            raise ValueError(f"{prepared.source}: {exc}") from None
    else:
        try:
            existing, unchanged, kept = _write_postgres(
                engine, prepared.kind, table, columns, updates, fill_only, params, replace, report, after
            )
        except DBAPIError as exc:  # the transaction was rolled back
            detail = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
            message = f"{prepared.source}: the import could not be written: {detail}; nothing was imported"
            raise ValueError(message) from None
    report(1.0, "done")
    return ImportResult(
        kind=prepared.kind,
        inserted=len(frame) - existing,
        updated=existing - unchanged,
        unchanged=unchanged,
        skipped=prepared.errors,
        kept=kept,
    )


def _batches(table: pa.Table, size: int = BATCH_ROWS, order: str | None = None):
    """The table in slices of ``size`` rows; with ``order``, sorted by that column (one batch copied at a time)."""
    if order is None:
        return (table.slice(i, size) for i in range(0, max(len(table), 1), size))
    indices = pc.sort_indices(table[order])
    return (table.take(indices.slice(i, size)) for i in range(0, max(len(table), 1), size))


#: The write's steps after the rows are sent, as both databases report them: (fraction done, message).
_STEPS = {"indexing": (0.86, "indexing"), "comparing": (0.86, "comparing with the stored rows"),
          "writing": (0.9, "writing"), "recording": (0.95, "recording the import")}  # fmt: skip


def latest_event(frame: pd.DataFrame) -> dt.datetime | None:
    """The latest moment in a file's rows (any date column), never past now: the history's clock."""
    times = [frame[c].max() for c in frame.columns if pd.api.types.is_datetime64_any_dtype(frame[c])]
    times = [t for t in times if pd.notna(t)]
    if not times:
        return None
    return min(max(times).to_pydatetime(), utcnow())


def _write_sqlite(
    engine, kind, table, columns, updates, fill_only, params, replace, report, after=()
) -> tuple[int, int, int]:
    database = engine.url.database
    if not database or database == ":memory:":
        raise ValueError("imports need a database file (DATABASE_URL names no SQLite file)")
    share, total = (0.8, max(len(table), 1))
    job = {
        "kind": kind,
        "target": _TABLES[kind],
        "columns": columns,
        "clear": _CLEAR if replace else [],
        "upsert": _statements(kind, columns, sqlite=True, updates=updates, fill_only=fill_only),
        "counts": _counts_sql(kind, sqlite=True, updates=updates, fill_only=fill_only, columns=columns),
        "audit": _audit_sql(qmark=True),
        "audit_params": [
            sqlite_value(params["at"]),
            params["actor"],
            params["actor_id"],
            params["entity"],
            params["entity_id"],
            params["detail"],
        ],  # fmt: skip
        "after": qmark(after),
        "bump": _BUMP,
        "busy_ms": BUSY_TIMEOUT_MS,
        "cache_kib": WRITER_CACHE_KIB,
    }
    result = sqlite_bulk.write(
        database,
        _batches(table, order="lead_id" if kind == "leads" else None),
        table.schema,
        job,
        on_batch=lambda sent: report(0.05 + share * sent / total, f"writing rows ({sent:,})"),
        on_phase=lambda phase: report(*_STEPS[phase]),
    )
    return result["existing"], result["unchanged"], result.get("kept", 0)


def _write_postgres(
    engine, kind, table, columns, updates, fill_only, params, replace, report, after=()
) -> tuple[int, int, int]:
    with engine.begin() as conn:
        if replace:
            for sql in _CLEAR:
                conn.execute(text(sql))
        target = _TABLES[kind]
        names = ", ".join(f'"{c}"' for c in columns)
        direct = kind == "leads" and conn.execute(text(f'SELECT 1 FROM "{target}" LIMIT 1')).first() is None
        if not direct:
            stage = f'CREATE TEMP TABLE import_stage ON COMMIT DROP AS SELECT {names} FROM "{target}" WHERE false'
            conn.execute(text(stage))
        raw = conn.connection.dbapi_connection
        batches = _batches(table, order="lead_id" if direct else None)  # no lead stored yet: COPY straight in
        share, count = 0.8, max(-(-len(table) // BATCH_ROWS), 1)
        with raw.cursor() as cursor:
            for i, batch in enumerate(batches):
                copy_batch(cursor, f'"{target}"' if direct else "import_stage", batch)
                done = min((i + 1) * BATCH_ROWS, len(table))
                report(0.05 + share * (i + 1) / count, f"writing rows ({done:,})")
        if direct:
            existing = unchanged = kept = 0
        else:
            report(*_STEPS["comparing"])
            counts = _counts_sql(kind, sqlite=False, updates=updates, fill_only=fill_only, columns=columns)
            existing, unchanged, kept = conn.execute(text(counts)).one()
            report(*_STEPS["writing"])
            for sql in _statements(kind, columns, sqlite=False, updates=updates, fill_only=fill_only):
                conn.execute(text(sql))
        report(*_STEPS["recording"])
        conn.execute(text(_audit_sql()), params)
        for sql, values in after:
            conn.execute(text(sql), values)
        conn.execute(text(_BUMP))
    return int(existing), int(unchanged), int(kept)


def known_lead_ids(engine: Engine) -> set[str]:
    """Every stored lead ID (for checking touches and decisions before they are written)."""
    with engine.connect() as conn:
        return {r[0] for r in conn.execute(text('SELECT "lead_id" FROM "lead"'))}


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """``n`` with its noun, in the singular for one.

    Examples:
        >>> counted(1, "row"), counted(2_000, "row"), counted(1, "touch", "touches")
        ('1 row', '2,000 rows', '1 touch')
    """
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"


def rows_text(n: int) -> str:
    """``n`` rows, in the singular for one ("1 row has", "3 rows have" are the callers' verbs)."""
    return counted(n, "row")


def summary(result: ImportResult) -> str:
    """One line describing a write."""
    noun, plural = {"leads": ("lead", None), "touches": ("touch", "touches"), "feedback": ("decision", None)}[
        result.kind
    ]
    text_ = f"{result.inserted:,} new {counted(result.inserted, noun, plural).split(' ', 1)[1]}"
    if result.kind == "leads":
        text_ += f", {result.updated:,} updated, {result.unchanged:,} unchanged"
    else:
        text_ += f", {result.unchanged:,} already stored"
    if result.kept:
        made = (
            "decision made in the app since the export was"
            if result.kept == 1
            else ("decisions made in the app since the export were")
        )
        text_ += f"; {result.kept:,} {made} kept"
    if result.skipped:
        text_ += f"; {rows_text(result.skipped)} with errors skipped"
    return text_
