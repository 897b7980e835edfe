"""Files that used to get a message naming nothing (or none at all): each is read, or refused by name."""

from __future__ import annotations

import pytest

from sla_model.__main__ import main
from sla_model.importing import importer
from sla_model.importing.csvfile import MAX_COLUMNS, CsvFileError, read_csv
from sla_model.importing.mapping import OWN_LEADS, detect
from tests.hostile.conftest import checksum

ROWS = "".join(f"H{i:05},2026-03-01 10:00,Web\n" for i in range(4_000))  # about 100 KB: past the first 64 KB
TEXT = "lead_id,created_at,channel\nL1,2026-03-01,Zoë Web\nL2,2026-03-02,Web\n"


def _refused(stored, tmp_path, monkeypatch, capsys, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    monkeypatch.setenv("DATABASE_URL", str(stored.url))
    before = checksum(stored)
    assert main(["import", str(path)]) != 0
    out = capsys.readouterr()
    assert "Traceback" not in out.err
    assert checksum(stored) == before
    return out.out + out.err


@pytest.mark.parametrize(("codec", "encoding"), [("utf-16-le", "UTF-16 LE"), ("utf-16-be", "UTF-16 BE")])
def test_utf16_without_a_bom_is_read(codec, encoding):
    table = read_csv(TEXT.encode(codec), name="f.csv")
    assert table.encoding == f"{encoding} (no BOM)"
    assert table.frame.values.tolist() == [["L1", "2026-03-01", "Zoë Web"], ["L2", "2026-03-02", "Web"]]


def test_broken_utf16_without_a_bom_is_named(stored, tmp_path, monkeypatch, capsys):
    data = TEXT.encode("utf-16-le") + b"\x00\xd8"  # a lone surrogate half at the end
    said = _refused(stored, tmp_path, monkeypatch, capsys, "f.csv", data)
    assert "f.csv: looks like UTF-16 LE without a BOM, but byte" in said and "binary" not in said


def test_required_columns_after_the_first_100_kb_of_the_header_are_found():
    extra = [f"property_{i:05}" for i in range(7_000)]
    header = ",".join([*extra, "lead_id", "created_at", "channel"])
    assert len(header) > 100_000
    data = f"{header}\n{',' * len(extra)}L1,2026-03-01,Web\n".encode()
    table = read_csv(data, name="wide.csv")
    assert len(table.headers) == 7_003 and table.headers[-3:] == ["lead_id", "created_at", "channel"]
    prepared = importer.prepare(table, detect(table.headers))
    assert prepared.ok and prepared.frame["lead_id"].tolist() == ["L1"]


def test_a_million_columns_are_refused_by_count_not_as_a_false_duplicate(stored, tmp_path, monkeypatch, capsys):
    header = ",".join(f"c{i}" for i in range(1_000_000))
    said = _refused(stored, tmp_path, monkeypatch, capsys, "wide.csv", f"{header}\n{header}\n".encode())
    assert f"wide.csv: the first line has 1,000,000 column names; at most {MAX_COLUMNS:,} are read" in said
    assert "both named" not in said


def test_a_true_duplicate_far_into_a_long_header_is_named():
    header = ",".join([*(f"p{i}" for i in range(15_000)), "p5"])
    with pytest.raises(CsvFileError, match=r"^dup.csv: columns 6 and 15001 are both named 'p5'$"):
        read_csv(f"{header}\n{',' * 15_000}\n".encode(), name="dup.csv")


def test_a_nul_byte_after_the_first_64_kb_is_refused_with_its_row_and_column(stored, tmp_path, monkeypatch, capsys):
    data = f"lead_id,created_at,channel\n{ROWS}L9,2026-03-01,We\x00b\n".encode()
    said = _refused(stored, tmp_path, monkeypatch, capsys, "nul.csv", data)
    assert "nul.csv: row 4002, column 'channel': a NUL byte (\\0) in the cell" in said


def test_a_nul_byte_is_refused_by_the_reader_too():
    with pytest.raises(CsvFileError, match=r"^nul.csv: row 4002, column 'lead_id': a NUL byte"):
        read_csv(f"lead_id,created_at,channel\n{ROWS}L\x009,2026-03-01,Web\n".encode(), name="nul.csv")


def test_a_bom_inside_the_file_is_removed_with_a_warning_naming_the_row():
    data = f"lead_id,created_at,channel\n{ROWS}\ufeffL9,2026-03-01,Web\n".encode()
    prepared = importer.prepare(read_csv(data, name="joined.csv"), OWN_LEADS)
    assert prepared.ok and prepared.frame["lead_id"].iloc[-1] == "L9"
    assert not prepared.frame["lead_id"].str.contains("\ufeff").any()
    [warning] = prepared.problems.itertuples()
    assert (warning.row, warning.column, warning.level) == (4002, "lead_id", "warning")
    assert warning.reason.startswith("a byte order mark (U+FEFF) inside the file was removed")
    assert prepared.warnings == 1


def test_a_nul_byte_in_the_first_64_kb_is_refused_with_its_row_and_column(stored, tmp_path, monkeypatch, capsys):
    """Before: a NUL byte near the start of a text file was only "a binary file", naming no row or column."""
    data = f"lead_id,created_at,channel\nL1,2026-03-01,Web\nL2,2026-03-02,We\x00b\n{ROWS}".encode()
    said = _refused(stored, tmp_path, monkeypatch, capsys, "nul.csv", data)
    assert (
        "nul.csv: row 3, column 'channel': a NUL byte (\\0) in the cell; the file is damaged or not all text. "
        "Remove it (or export the file again) and try again."
    ) in said
    assert "binary" not in said


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            b"lead_id,created_at\nL\x001,2026-03-01\n",
            r"^f.csv: row 2, column 'lead_id': a NUL byte \(\\0\) in the cell",
        ),
        (b"lead_id,crea\x00ted_at\nL1,2026-03-01\n", r"^f.csv: row 1, column 2: a NUL byte \(\\0\) in the column name"),
        (bytes(range(256)) * 64, r"^f.csv: this is a binary file, not a CSV text file$"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" + bytes(200), r"^f.csv: this is a binary file"),
    ],
    ids=["short-file", "header", "random-bytes", "image"],
)
def test_a_stray_nul_in_text_is_named_a_binary_file_is_still_binary(data, message):
    with pytest.raises(CsvFileError, match=message):
        read_csv(data, name="f.csv")


NESTED = b"a = " + b"[" * 5_000 + b"]" * 5_000 + b"\n"  # valid TOML, nested deeper than Python's recursion limit


@pytest.mark.parametrize("reader", ["scenario", "mapping", "sla"])
def test_a_toml_file_nested_thousands_deep_is_refused_by_name(tmp_path, reader):
    """Before: tomllib's RecursionError escaped as a traceback (on the What if… page too)."""
    from sla_model.agreement.sla import SlaError, load_sla_file
    from sla_model.importing.mapping import MappingError, load_mapping_file
    from sla_model.whatif.scenario import ScenarioFileError, read_scenario

    path = tmp_path / "deep.toml"
    path.write_bytes(NESTED)
    read, error = {
        "scenario": (lambda: read_scenario(NESTED, "deep.toml"), ScenarioFileError),
        "mapping": (lambda: load_mapping_file(path), MappingError),
        "sla": (lambda: load_sla_file(path), SlaError),
    }[reader]
    with pytest.raises(error, match=r"^deep.toml: not (a |a valid )?(valid )?TOML"):
        read()
