"""Loading a data folder into an empty database (``init --data``), on SQLite and PostgreSQL: exact, whole or nothing."""

from __future__ import annotations

import datetime as dt
import gzip
import shutil
import threading
from pathlib import Path

import pytest
from sqlmodel import Session, select

from sla_model.generator import sample_dir, sample_slas
from sla_model.store import seed
from sla_model.store.models import AuditEntry, MetaEntry
from sla_model.store.repository import (
    FEEDBACK_COLUMNS,
    LEAD_COLUMNS,
    SNAPSHOT_KEY,
    TOUCH_COLUMNS,
    counts,
    data_as_of,
    data_version,
    get_meta,
    load_feedback,
    load_leads,
    load_touches,
    read_dataset,
)
from sla_model.store.seed import seed_if_empty
from tests.conftest import versions_of
from tests.factories import same_values

EMPTY = {"sla_versions": 0, "leads": 0, "touches": 0, "feedback": 0}


def _folder(tmp_path: Path, **changed) -> Path:
    """A copy of the sample folder, with ``name=function(lines) -> lines`` applied to that file's CSV lines."""
    folder = tmp_path / "data"
    shutil.copytree(sample_dir(), folder)
    for name, change in changed.items():
        path = folder / f"{name}.csv.gz"
        lines = gzip.decompress(path.read_bytes()).decode().splitlines()
        path.unlink()
        (folder / f"{name}.csv").write_text("\n".join(change(lines)) + "\n")
    return folder


def test_a_folder_read_in_many_blocks_is_stored_exactly_as_its_files_say(engine, monkeypatch):
    monkeypatch.setattr(seed, "BLOCK_BYTES", 1 << 16)  # dozens of blocks a file: each typed and sent on its own
    leads, touches, feedback, snapshot = read_dataset(sample_dir())
    assert seed_if_empty(engine=engine, slas=sample_slas(), folder=sample_dir()) is True
    same_values(load_leads(engine=engine), leads, LEAD_COLUMNS, ["lead_id"])
    same_values(load_touches(engine=engine), touches, TOUCH_COLUMNS, ["lead_id", "at", "kind", "rep"])
    same_values(load_feedback(engine=engine), feedback, FEEDBACK_COLUMNS, ["lead_id", "at", "decision"])
    assert data_as_of(engine=engine) == snapshot
    assert versions_of(engine) == sample_slas()
    with Session(engine) as session:
        audit = session.exec(select(AuditEntry.action, AuditEntry.detail).order_by(AuditEntry.id)).all()
    assert audit[-1] == ("seed", f'{{"leads": {len(leads)}}}')
    assert sorted(a for a, _ in audit) == ["publish_sla", "publish_sla", "seed"]
    assert data_version(engine=engine) == 1


def test_a_value_of_the_wrong_type_is_refused_by_file_row_and_column_and_nothing_is_loaded(engine, tmp_path):
    """Before: the load stopped with the parser's message alone ("time data … doesn't match format"), no file named."""

    def bad_time(lines: list[str]) -> list[str]:
        cells = lines[7].split(",")  # the file's 8th line: row 8 as a spreadsheet numbers it (header = row 1)
        cells[2] = "next tuesday"
        return [*lines[:7], ",".join(cells), *lines[8:]]

    folder = _folder(tmp_path, touches=bad_time)
    with pytest.raises(ValueError) as refused:
        seed_if_empty(engine=engine, slas=sample_slas(), folder=folder)
    assert str(refused.value) == (
        f"{folder / 'touches.csv'}: row 8, column 'at': 'next tuesday' is not a date and time "
        "(YYYY-MM-DDTHH:MM:SS); nothing was loaded"
    )
    assert counts(engine=engine) == EMPTY


def test_a_row_the_database_refuses_undoes_the_whole_load(engine, tmp_path):
    """The leads are stored before the touches: a touch without a rep (the last row) leaves no lead behind."""

    def no_rep(lines: list[str]) -> list[str]:
        cells = lines[-1].split(",")
        cells[1] = ""
        return [*lines[:-1], ",".join(cells)]

    folder = _folder(tmp_path, touches=no_rep)
    with pytest.raises(ValueError, match=r"rep"):
        seed_if_empty(engine=engine, slas=sample_slas(), folder=folder)
    assert counts(engine=engine) == EMPTY
    assert data_version(engine=engine) == 0


def test_two_loads_at_once_store_the_data_once(engine):
    results = []

    def load() -> None:
        results.append(seed_if_empty(engine=engine, slas=sample_slas(), folder=sample_dir()))

    threads = [threading.Thread(target=load) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, True]
    leads, touches, feedback, _ = read_dataset(sample_dir())
    assert counts(engine=engine) == {"sla_versions": 2, "leads": len(leads), "touches": len(touches),
                                     "feedback": len(feedback)}  # fmt: skip


def test_a_folder_with_the_sla_files_only_stores_the_versions(engine, tmp_path):
    folder = tmp_path / "empty"
    folder.mkdir()
    assert seed_if_empty(engine=engine, slas=sample_slas(), folder=folder) is True
    assert counts(engine=engine) == {**EMPTY, "sla_versions": 2}
    with Session(engine) as session:
        assert get_meta(session=session, key=SNAPSHOT_KEY) is None  # no snapshot.txt: no clock fixed


def _leads_only(tmp_path: Path, change) -> Path:
    """The sample's SLA files and its first 20 leads, ``change(lines)`` applied to the leads file's lines."""
    folder = tmp_path / "few"
    shutil.copytree(sample_dir() / "sla", folder / "sla")
    lines = gzip.decompress((sample_dir() / "leads.csv.gz").read_bytes()).decode().splitlines()[:21]
    (folder / "leads.csv").write_text("\n".join(change(lines)) + "\n")
    return folder


def _cell(lines: list[str], row: int, column: str, value: str) -> list[str]:
    """``lines`` with ``column`` of spreadsheet row ``row`` (the header is row 1) set to ``value``."""
    index = lines[0].split(",").index(column)
    cells = lines[row - 1].split(",")
    cells[index] = value
    return [*lines[: row - 1], ",".join(cells), *lines[row:]]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda lines: _cell(lines, 5, "created_at", "2025-11-01T08:47:04Z"),
         "row 5, column 'created_at': '2025-11-01T08:47:04Z' has a time zone: times are UTC, written without one"),
        (lambda lines: _cell(lines, 6, "score", '"12\n3"'), "row 6, column 'score': '12\\n3' is not a whole number"),
        (lambda lines: [lines[0] + ",amount", *(line + "," for line in lines[1:])],
         "column(s) 'amount' appear more than once"),
        (lambda lines: [*lines, lines[3]], "leads.csv: the data could not be loaded: UNIQUE constraint failed"),
    ],
    ids=["zone", "newline in a cell", "a column twice", "a lead twice"],
)  # fmt: skip
def test_a_leads_file_the_load_refuses_is_named_with_the_problem(engine, tmp_path, change, message):
    """Before: a zone or a newline gave Arrow's text without row or column, a column twice a KeyError, a lead twice
    the database's message without the file."""
    folder = _leads_only(tmp_path, change)
    with pytest.raises(ValueError) as refused:
        seed_if_empty(engine=engine, slas=sample_slas(), folder=folder)
    if "UNIQUE" in message and engine.dialect.name != "sqlite":
        message = "leads.csv: the data could not be loaded: duplicate key value violates unique constraint"
    assert message in str(refused.value) and str(refused.value).endswith("nothing was loaded")
    assert counts(engine=engine) == EMPTY


def test_a_demo_flag_spelled_in_lower_case_or_as_a_digit_is_read(engine, tmp_path):
    """Before: 'false' was stored as True (any text but 'False' was), and a digit stopped the load."""
    spelled = {2: "false", 3: "true", 4: "0", 5: "1", 6: "FALSE"}

    def flags(lines: list[str]) -> list[str]:
        for row, value in spelled.items():
            lines = _cell(lines, row, "demo_request", value)
        return lines

    assert seed_if_empty(engine=engine, slas=sample_slas(), folder=_leads_only(tmp_path, flags)) is True
    leads = load_leads(engine=engine).sort_values("lead_id", ignore_index=True)
    assert leads["demo_request"].iloc[[r - 2 for r in spelled]].tolist() == [False, True, False, True, False]


def test_a_snapshot_with_a_zone_is_stored_as_utc_and_one_stored_already_is_replaced(engine, tmp_path):
    folder = _leads_only(tmp_path, lambda lines: lines)
    (folder / "snapshot.txt").write_text("2026-11-18T14:00:00+02:00\n")
    with Session(engine) as session:  # left by an earlier load whose rows were deleted by hand
        session.add(MetaEntry(key=SNAPSHOT_KEY, value="2020-01-01T00:00:00"))
        session.commit()
    assert seed_if_empty(engine=engine, slas=sample_slas(), folder=folder) is True
    assert data_as_of(engine=engine) == dt.datetime(2026, 11, 18, 12, 0)


def test_an_in_memory_database_is_seeded_by_its_own_connection():
    """Before: refused, as the writer process needs a file (the app seeds any SQLite database it starts on)."""
    from sla_model.store.db import make_engine

    engine = make_engine("sqlite://")
    assert seed_if_empty(engine=engine, slas=sample_slas(), folder=sample_dir()) is True
    leads, touches, feedback, _ = read_dataset(sample_dir())
    same_values(load_leads(engine=engine), leads, LEAD_COLUMNS, ["lead_id"])
    assert counts(engine=engine) == {"sla_versions": 2, "leads": len(leads), "touches": len(touches),
                                     "feedback": len(feedback)}  # fmt: skip
