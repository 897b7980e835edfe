"""Reading CSV files as people export them: any common delimiter, encoding, line ending and quoting.

Every cell comes back as text (empty string for an empty cell); typing is the importer's job. A file that
cannot be read raises :class:`CsvFileError` with a message that names the file and the problem.
"""

from __future__ import annotations

import codecs
import csv
import ctypes
import gzip
import io
import os
import re
import sys
import zlib
from array import array
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

#: Delimiters tried, most common first.
DELIMITERS = (",", ";", "\t", "|")
#: The longest cell accepted, in characters (a longer one is a broken file, not data).
MAX_CELL = 10_000
#: The most columns a file may have (a header with more is a broken or hostile file, not an export).
MAX_COLUMNS = 20_000
#: The most bytes a file is read to, after decompression (the command line's --max-size; the page passes its
#: upload limit): a small gzip file that expands past it is refused as it is read, never held in full.
MAX_BYTES = 2048 << 20
_CHUNK = 1 << 20
#: Parse block size: a single record may not be larger than this.
BLOCK_BYTES = 32 << 20
_SNIFF_BYTES = 64 << 10
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]+")


class CsvFileError(ValueError):
    """A file that cannot be read as a table; the message names the file and the problem."""


class BadRecord(NamedTuple):
    """A record that could not be read (a wrong number of cells); it is left out."""

    row: int | None  #: as a spreadsheet numbers it (the header is row 1); None if it could not be found
    line: int | None  #: the file's line where it starts (differs from ``row`` after a quoted line break)
    text: str  #: its first 200 characters
    reason: str


@dataclass
class CsvTable:
    """A file read as text cells."""

    name: str
    frame: pd.DataFrame  #: one text column per header, "" for an empty cell
    encoding: str
    delimiter: str
    #: Records that could not be read (wrong number of cells), left out of ``frame``.
    bad_records: list[BadRecord] = field(default_factory=list)
    #: Each frame row's row number as a spreadsheet shows the file; None when it is simply position + 2 (no
    #: record was left out, no blank line).
    rows: np.ndarray | None = None
    #: False if the records could not be placed one by one (the row numbers are then positions + 2).
    rows_exact: bool = True
    #: Column -> the frame positions where a byte order mark (U+FEFF) inside the file was removed from a cell
    #: (two files joined together leave one there); the importer warns about each.
    boms: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def headers(self) -> list[str]:
        """The column names as they appear in the file (trimmed)."""
        return list(self.frame.columns)

    def row_numbers(self, positions) -> np.ndarray:
        """The row numbers (the header is row 1, as in a spreadsheet) of the frame rows at ``positions``."""
        positions = np.asarray(positions, dtype=np.int64)
        return positions + 2 if self.rows is None else self.rows[positions]


def megabytes(n: int) -> str:
    """A byte count as the limits are set: ``256 MB``."""
    return f"{n / (1 << 20):,.0f} MB"


def release_memory() -> None:
    """Hand memory freed (a refused file, a file read and dropped) back to the system."""
    pa.default_memory_pool().release_unused()
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL("libc.so.6").malloc_trim(0)
        except (OSError, AttributeError):  # not glibc
            pass


def _too_big(name: str, max_bytes: int, *, expands: bool) -> CsvFileError:
    limit = megabytes(max_bytes)
    what = f"expands to more than {limit} when decompressed" if expands else f"more than {limit}"
    return CsvFileError(
        f"{name}: {what} (the limit is {limit}); import a smaller file, or from the command line with a higher "
        "--max-size"
    )


def read_file(path, *, max_bytes: int = MAX_BYTES) -> bytes:
    """A local file's bytes, read up to ``max_bytes`` (a larger file is refused, not read to its end).

    Raises:
        CsvFileError: the file is larger than ``max_bytes``.
        OSError: it cannot be read.
    """
    with open(path, "rb") as f:
        data = f.read(max_bytes + 1)
    if len(data) > max_bytes:
        del data
        raise _too_big(os.path.basename(path), max_bytes, expands=False)
    return data


def _gunzip(data: bytes, name: str, max_bytes: int) -> bytes:
    """Decompress as a stream, stopping as soon as more than ``max_bytes`` come out (a decompression bomb)."""
    out = bytearray()
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as stream:
            while chunk := stream.read(_CHUNK):
                out += chunk
                if len(out) > max_bytes:
                    out.clear()  # freed now, not when the refusal's traceback is gone
                    raise _too_big(name, max_bytes, expands=True)
    except (OSError, EOFError, zlib.error) as exc:  # (a BadGzipFile is an OSError)
        out.clear()
        raise CsvFileError(f"{name}: a damaged gzip file ({exc})") from None
    text = bytes(out)
    out.clear()
    return text


def _utf16_without_bom(head: bytes) -> str | None:
    """``utf-16-le`` or ``utf-16-be`` for text whose every other byte is NUL (ASCII as UTF-16); else None."""
    even, odd = head[0::2], head[1::2]
    if len(head) < 4:
        return None
    if odd.count(0) > 0.3 * len(odd) and even.count(0) < 0.02 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.3 * len(even) and odd.count(0) < 0.02 * len(odd):
        return "utf-16-be"
    return None


#: Bytes that are neither text nor a line break or tab: a text file holds a stray few, a binary file many.
_CONTROL = bytes([*range(0, 9), 11, 12, *range(14, 32), 127])


def _text_with_nul(head: bytes) -> bool:
    """Whether a file start holding a NUL byte is text with a stray NUL (a damaged cell), not a binary file.

    It is text when at most 1 % of its bytes (or 4, in a short file) are control characters: random or
    compressed bytes have about 12 %.
    """
    return len(head) - len(head.translate(None, _CONTROL)) <= max(4, len(head) // 100)


def _decode(data: bytes, name: str, *, head_only: bool = False) -> tuple[bytes, str]:
    """The file as UTF-8 bytes (no BOM) and the name of the encoding it was in.

    With ``head_only``, only the first bytes are checked (Arrow checks the rest while reading, and the reading is
    done again with the whole file checked if it finds a byte that is not UTF-8).
    """
    if data.startswith(codecs.BOM_UTF8):
        data, encoding = data[len(codecs.BOM_UTF8) :], "UTF-8 with BOM"
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16").encode("utf-8"), "UTF-16"
        except UnicodeDecodeError as exc:
            raise CsvFileError(f"{name}: starts as UTF-16 but byte {exc.start} is not valid UTF-16") from None
    else:
        encoding = "UTF-8"
    try:
        if head_only:
            head = data[:_SNIFF_BYTES]
            head[: head.rfind(b"\n") + 1 if len(data) > _SNIFF_BYTES else len(head)].decode("utf-8")
        else:
            data.decode("utf-8")
        return data, encoding
    except UnicodeDecodeError as exc:
        bad_at = exc.start
    if encoding == "UTF-8 with BOM" or next(_valid_utf8(data), None) is not None:
        # some text is UTF-8 and some is not: decoding either way would garble part of the file
        line = data.count(b"\n", 0, bad_at) + 1
        raise CsvFileError(
            f"{name}: mixed encodings: line {line} has bytes that are not UTF-8 ({data[bad_at : bad_at + 4]!r}) "
            "while other lines are UTF-8. Save the file again as UTF-8 (CSV UTF-8 in Excel)."
        )
    legacy = "cp1252" if _decodes(data, "cp1252") else "latin-1"
    return data.decode(legacy).encode("utf-8"), "Windows-1252 (Latin-1)"


def _valid_utf8(data: bytes):
    for m in _UTF8_MULTIBYTE.finditer(data):
        try:
            m.group().decode("utf-8")
        except UnicodeDecodeError:
            continue
        yield m


def _decodes(data: bytes, codec: str) -> bool:
    """True if ``data`` is valid text in ``codec``."""
    try:
        data.decode(codec)
    except UnicodeDecodeError:
        return False
    return True


def _delimiter(sample: str, name: str) -> str:
    """The delimiter that splits the first lines into the same, largest number of cells."""
    lines = sample.splitlines()[:50]
    if len(sample) >= _SNIFF_BYTES and len(lines) > 1:
        lines = lines[:-1]  # the last line of a truncated sample may be cut short
    best, best_score = ",", (0, 0)
    for d in DELIMITERS:
        try:
            rows = [r for r in csv.reader(io.StringIO("\n".join(lines)), delimiter=d) if r]
        except csv.Error:
            continue
        if not rows:
            continue
        width = len(rows[0])
        consistent = sum(len(r) == width for r in rows)
        score = (consistent if width > 1 else 0, width)
        if score > best_score:
            best, best_score = d, score
    return best


def _cell_count(cells: int, width: int) -> str:
    """Why a record is left out: "has 1 cell where the header has 14" (in the singular for one)."""
    return f"has {cells} {'cell' if cells == 1 else 'cells'} where the header has {width}"


def _records(data: bytes, delimiter: str, *, strict: bool = False):
    """The file's records as Python's csv module reads them, one at a time, never the whole file in memory.

    Yields ``(row, first line, last line, cells, lines)``; ``lines`` (the record's text) is valid until the next.
    """
    lines: list[str] = []

    def feed():
        # (a byte that is not UTF-8 changes no quote, delimiter or line break: Arrow reports it in its turn)
        for line in io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", errors="replace", newline=""):
            lines.append(line)
            yield line

    reader, last = csv.reader(feed(), delimiter=delimiter, strict=strict), 0
    for number, cells in enumerate(reader, 1):
        first, last = last + 1, reader.line_num
        yield number, first, last, cells, lines
        lines.clear()


def _unclosed_quote_line(data: bytes, delimiter: str) -> int | None:
    """The line where a record whose quoted cell is never closed starts; None if there is none.

    A quote inside an unquoted cell (``27" screen``) is text, as Arrow reads it too; only a cell that opens
    with a quote and reaches the end of the file is unclosed.
    """
    last = 0
    try:
        for record in _records(data, delimiter, strict=True):
            last = record[2]
    except csv.Error as exc:
        if "unexpected end of data" in str(exc):
            return last + 1
    return None  # (another complaint of the strict reader, e.g. text after a closing quote: Arrow reads it)


def _record_rows(data: bytes, delimiter: str, width: int, n_read: int, n_bad: int):
    """Where the records are, as a spreadsheet numbers them.

    A quoted line break stays inside its cell; a blank line or a record with the wrong number of cells is
    still a row.

    Returns ``(rows, bad, exact)``: each read record's row number (None when it is simply its position + 2),
    the records left out for their cell count with their row and line (None when there are none), and False
    when the file could not be matched record by record with what Arrow read (the rows are then positions).
    """
    term = b"\n" if b"\n" in data else b"\r"
    tail = data[-_SNIFF_BYTES:]
    body = len(data) - (len(tail) - len(tail.rstrip(b"\r\n")))  # blank lines at the very end number nothing
    if not n_bad and (  # one line break between records: no blank line; else look for one (or quoted breaks)
        data.count(term, 0, body) == n_read or (data.find(term * 2, 0, body) < 0 and data.find(b"\n\r\n", 0, body) < 0)
    ):
        return None, None, True
    rows, bad = array("q"), []
    try:  # the long way, as Python's csv module reads the file
        for number, first, _, cells, lines in _records(data, delimiter):
            if number > 1 and cells and len(cells) != width:
                reason = _cell_count(len(cells), width)
                bad.append(BadRecord(number, first, "".join(lines).rstrip("\r\n")[:200], reason))
            elif number > 1 and cells:
                rows.append(number)
    except csv.Error:  # e.g. a cell longer than the csv module reads (it is reported as too long anyway)
        return None, None, False
    if len(rows) != n_read or len(bad) != n_bad:
        return None, None, False
    return np.frombuffer(rows, dtype=np.int64), bad or None, True


def read_csv(data: bytes, *, name: str, max_bytes: int = MAX_BYTES) -> CsvTable:
    """Read an uploaded or local CSV file (optionally gzipped) as text cells.

    ``max_bytes`` caps what is read: the file itself, and what a gzip file expands to (decompressed as a stream
    and refused as soon as it passes the cap). Memory taken by a refused file is handed back.

    Raises:
        CsvFileError: the file is empty, binary, larger than ``max_bytes`` (decompressed), has no header, more
            than :data:`MAX_COLUMNS` columns, duplicate column names, mixed encodings, a NUL byte in a cell or
            a cell longer than :data:`MAX_CELL`.
    """
    try:
        return _read(data, name, max_bytes)
    except CsvFileError:
        data = None
        release_memory()
        raise


def _read(data: bytes, name: str, max_bytes: int) -> CsvTable:
    if len(data) > max_bytes:
        raise _too_big(name, max_bytes, expands=False)
    if data[:2] == b"\x1f\x8b":
        data = _gunzip(data, name, max_bytes)
    if not data[:_SNIFF_BYTES].strip() and not data.strip():
        raise CsvFileError(f"{name}: the file is empty")
    if data[:4] == b"PK\x03\x04":
        raise CsvFileError(f"{name}: this is a zip or Excel workbook, not a CSV file. Save it as CSV and try again.")
    head = data[:_SNIFF_BYTES]
    if b"\x00" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        codec = _utf16_without_bom(head)
        if codec is not None:
            label = f"UTF-16 {codec[-2:].upper()}"
            try:
                text = data.decode(codec).encode("utf-8")
            except UnicodeDecodeError as exc:
                raise CsvFileError(
                    f"{name}: looks like {label} without a BOM, but byte {exc.start:,} is not valid UTF-16. Save "
                    "the file again as UTF-8 (CSV UTF-8 in Excel)."
                ) from None
            return _read_text(text, name, f"{label} (no BOM)")
        if not _text_with_nul(head):
            raise CsvFileError(f"{name}: this is a binary file, not a CSV text file")
        # else text with a stray NUL byte: read as any text, and refused naming the NUL's row and column
    text, encoding = _decode(data, name, head_only=True)
    try:
        return _read_text(text, name, encoding)
    except _NotUtf8:  # a byte further on is not UTF-8: check the whole file (mixed, or a legacy encoding)
        text, encoding = _decode(data, name)
        return _read_text(text, name, encoding)


class _NotUtf8(Exception):
    pass


def _nul_found(where: str, what: str) -> str:
    """The message for a NUL byte found: ``where`` names the file, the row and the column."""
    return (
        f"{where}: a NUL byte (\\0) in {what}; the file is damaged or not all text. Remove it (or export the file "
        "again) and try again."
    )


def _cell_at(name: str, header: str, found: pa.ChunkedArray | pa.Array, rows: np.ndarray | None) -> str:
    row = pc.index(found, True).as_py()
    return f"{name}: row {row + 2 if rows is None else rows[row]}, column '{header}'"


def _trimmed(
    name: str, header: str, column: pa.ChunkedArray, rows: np.ndarray | None, *, nul: bool = True, bom: bool = True
) -> tuple[pa.ChunkedArray, np.ndarray | None]:
    """The column trimmed, and the positions a BOM was removed from (None if none); a NUL byte is refused.

    ``nul`` and ``bom``: whether the file has a NUL byte or a BOM at all (the columns are searched only then).
    """
    if nul and pc.any(nul := pc.match_substring(column, "\x00")).as_py():
        raise CsvFileError(_nul_found(_cell_at(name, header, nul, rows), "the cell"))
    boms = None
    if bom and pc.any(bom := pc.match_substring(column, "\ufeff")).as_py():
        boms = np.flatnonzero(bom.to_numpy())
        column = pc.replace_substring(column, "\ufeff", "")
    col = pc.utf8_trim_whitespace(column)
    lengths = pc.utf8_length(col)
    longest = pc.max(lengths).as_py() if len(col) else 0
    if longest and longest > MAX_CELL:
        row = pc.index(pc.greater(lengths, MAX_CELL), True).as_py()
        size = lengths[row].as_py()  # the first cell over the limit: its row and its own length
        number = row + 2 if rows is None else rows[row]
        raise CsvFileError(
            f"{name}: row {number}, column '{header}': a cell of {size:,} characters (the limit is {MAX_CELL:,}); "
            "the file is probably damaged or has an unclosed quote"
        )
    return col, boms


def _header(data: bytes, name: str, delimiter: str) -> list[str]:
    """The first record's cells, read to its end however long it is (a header may be far over 64 KB)."""
    text = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", errors="replace", newline="")
    try:
        return next(csv.reader(text, delimiter=delimiter), [])
    except csv.Error as exc:
        raise CsvFileError(f"{name}: the first line cannot be read as column names ({exc})") from None
    finally:
        text.detach()


def _read_text(data: bytes, name: str, encoding: str) -> CsvTable:
    """Read UTF-8 bytes (see :func:`read_csv`); :class:`_NotUtf8` if a cell is not UTF-8."""
    first_break = data.find(b"\n", 0, BLOCK_BYTES)  # a long header: sniff on it and the lines after it
    sample = data[: max(_SNIFF_BYTES, first_break + _SNIFF_BYTES)].decode("utf-8", errors="ignore")
    delimiter = _delimiter(sample, name)
    if data.count(b'"') % 2 and (line := _unclosed_quote_line(data, delimiter)) is not None:
        raise CsvFileError(f'{name}: a quote (") opened on line {line} is never closed')
    header_row = _header(data, name, delimiter)
    if len(header_row) > MAX_COLUMNS:
        raise CsvFileError(
            f"{name}: the first line has {len(header_row):,} column names; at most {MAX_COLUMNS:,} are read (is "
            "the first line the column names, and the delimiter right?)"
        )
    for i, h in enumerate(header_row):
        if "\x00" in h:
            raise CsvFileError(_nul_found(f"{name}: row 1, column {i + 1}", "the column name"))
    headers = [h.strip() for h in header_row]
    if not any(headers):
        raise CsvFileError(f"{name}: the first line is blank; it must hold the column names")
    headers = [h or f"column {i + 1}" for i, h in enumerate(headers)]
    seen: dict[str, int] = {}
    for i, h in enumerate(headers):
        if h.lower() in seen:
            raise CsvFileError(f"{name}: columns {seen[h.lower()] + 1} and {i + 1} are both named '{h}'")
        seen[h.lower()] = i

    bad: list[tuple[str, str]] = []

    def _skip(row) -> str:
        bad.append((row.text, _cell_count(row.actual_columns, row.expected_columns)))
        return "skip"

    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            # the names' record skipped as a record (it may hold a quoted line break), not as a line
            read_options=pacsv.ReadOptions(column_names=headers, skip_rows_after_names=1, block_size=BLOCK_BYTES),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True, invalid_row_handler=_skip),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(headers, pa.large_string()),  # as pandas holds text: no copy
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as exc:
        message = str(exc)
        # also a row to skip whose text is not UTF-8 (pyarrow cannot hand it to _skip: it says so on stderr)
        if "invalid UTF8" in message or not _decodes(data, "utf-8"):
            raise _NotUtf8 from None
        if "straddling" in message or "block" in message:
            message = f"a single record is larger than {BLOCK_BYTES >> 20} MB"
        raise CsvFileError(f"{name}: cannot be read as CSV: {message}") from None
    rows, records, exact = _record_rows(data, delimiter, len(headers), table.num_rows, len(bad))
    if records is None:
        records = [BadRecord(None, None, text[:200], why) for text, why in bad]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:  # Arrow's kernels run outside the GIL
        nul, bom = b"\x00" in data, codecs.BOM_UTF8 in data  # (one fast search of the bytes each)
        trimmed = list(pool.map(lambda h: _trimmed(name, h, table[h], rows, nul=nul, bom=bom), headers))
    columns = {h: col for h, (col, _) in zip(headers, trimmed, strict=True)}
    boms = {h: found for h, (_, found) in zip(headers, trimmed, strict=True) if found is not None}
    frame = pa.table(columns).to_pandas() if columns else pd.DataFrame()
    if frame.empty and not records:
        raise CsvFileError(f"{name}: the file has column names but no rows")
    return CsvTable(name=name, frame=frame, encoding=encoding, delimiter=delimiter, bad_records=records, rows=rows,
                    rows_exact=exact, boms=boms)  # fmt: skip
