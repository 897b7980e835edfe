"""Loading a data set into an empty database: ``python -m sla_model init --data``, the sample, the test databases.

The rows go the import engine's bulk way and are never all held at once: a folder's CSV files are read by Arrow
in blocks, typed as the tables hold them, and streamed into the database (SQLite: the ADBC writer process of
:mod:`sla_model.store.sqlite_bulk`, which builds each table's indexes once after its rows; PostgreSQL: ``COPY``
of Arrow-written CSV). The SLA versions, the clock, the audit entries and the new data version land in the same
transaction as the rows: a load that fails leaves the database empty.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from sqlalchemy import Engine, func, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, select

from sla_model.agreement.sla import Sla
from sla_model.store import sqlite_bulk
from sla_model.store.db import BUSY_TIMEOUT_MS, is_sqlite, writer
from sla_model.store.models import Feedback, Lead, SlaVersion, Touch
from sla_model.store.repository import (
    BUMP_SQL,
    SNAPSHOT_KEY,
    _with_defaults,
    add_sla_version,
    arrow_rows,
    audit_values,
    bulk_insert,
    bump_data_version,
    copy_batch,
    model_defaults,
    publish_detail,
    set_meta,
    sla_version_values,
    sqlite_value,
    write_audit,
)

#: Rows per block read from a CSV file (and per slice of a frame): what is held in memory at once, per table.
BLOCK_ROWS = 100_000
#: Bytes per block Arrow reads from a CSV file (about 100,000 rows of leads).
BLOCK_BYTES = 16 << 20
#: The tables a data set fills, in load order, with the file each is read from.
TABLES = (("lead", "leads"), ("touch", "touches"), ("feedback", "feedback"))
#: Where the writer process keeps its page cache while loading (KiB).
SEED_CACHE_KIB = 256 * 1024
_MODELS = {"lead": Lead, "touch": Touch, "feedback": Feedback}
#: Columns a file's empty cell means "" for (the tables hold no NULL there).
_EMPTY_TEXT = {
    "lead": ("first_name", "last_name", "company", "email", "campaign"),
    "touch": ("outcome",),
    "feedback": ("note",),
}
_INTEGERS = ("company_size", "score", "page_views", "form_submissions")


@dataclass(frozen=True)
class Rows:
    """One table's rows as Arrow slices of a known schema, typed as the database stores them."""

    table: str
    schema: pa.Schema
    batches: Iterator[pa.Table]
    source: str  #: where the rows come from, as a message names it (the file)


def seed_if_empty(
    *,
    engine: Engine,
    slas: Sequence[Sla],
    folder: str | Path | None = None,
    actor: str = "sample data",
    dataset: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dt.datetime | None] | None = None,
) -> bool:
    """Load the SLA versions and data set into an empty database, all in one transaction.

    A database with any SLA version, lead, touch or decision is left as it is (sample leads are never added to
    a user's leads). Two processes starting at once are serialised by the database's write lock; the second
    finds data and does nothing. A folder without data files loads the SLA versions only.

    Args:
        engine: the database.
        slas: the SLA versions to store.
        folder: the data set's folder, in the app's own format: ``leads``, ``touches`` and ``feedback`` as
            ``.csv`` or ``.csv.gz`` (any may be missing) and ``snapshot.txt`` (the moment the data is judged at).
        actor: who seeds, for the audit log.
        dataset: instead of ``folder``, the frames themselves: leads, touches, feedback and the snapshot time
            (e.g. :func:`sla_model.generator.sample_story`). The database's clock is fixed at the snapshot, so
            no later write changes what a period means.

    Returns:
        True when this call seeded the database; False when it already holds SLA versions or leads.

    Raises:
        ValueError: a file cannot be read as the app's format, or its rows cannot be stored; the message names
            the file and the problem, and nothing was loaded.
    """
    if _holds_data(engine):  # seen before any file is read; checked again under the write lock
        return False
    if dataset is not None:
        snapshot = dataset[3]
        frames = zip(TABLES, dataset[:3], strict=True)
        rows = [_frame_rows(table, frame, sqlite=is_sqlite(engine)) for (table, _), frame in frames]
    else:
        snapshot = _snapshot(Path(folder))
        rows = [_file_rows(table, path, sqlite=is_sqlite(engine)) for table, path in _files(Path(folder))]
    if is_sqlite(engine):
        return _seed_sqlite(engine, slas, rows, snapshot, actor)
    return _seed_postgres(engine, slas, rows, snapshot, actor)


def _holds_data(engine: Engine) -> bool:
    with Session(engine) as session:
        return _holds(session)


def _holds(session: Session) -> bool:
    """True when the database holds an SLA version, a lead, a touch or a decision."""
    return any(session.exec(select(func.count()).select_from(m)).one() > 0 for m in (SlaVersion, Lead, Touch, Feedback))


def _files(folder: Path) -> list[tuple[str, Path]]:
    """The data files in ``folder``, by the table each fills (a missing file fills nothing)."""
    found = []
    for table, name in TABLES:
        path = next((p for p in (folder / f"{name}.csv.gz", folder / f"{name}.csv") if p.exists()), None)
        if path is not None:
            found.append((table, path))
    return found


def _snapshot(folder: Path) -> dt.datetime | None:
    path = folder / "snapshot.txt"
    if not path.exists():
        return None
    value = path.read_text().strip()
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        message = f"{path}: {value!r} is not a date and time (YYYY-MM-DDTHH:MM:SS); nothing was loaded"
        raise ValueError(message) from None
    if moment.tzinfo is not None:  # the app's times are naive UTC
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment


def _arrow_type(table: str, column: str) -> pa.DataType:
    """The type a file's column is read as: timestamps, counts, the demo flag and amounts typed, the rest text."""
    if column == "at" or column.endswith("_at"):
        return pa.timestamp("us")
    if table == "lead" and column in _INTEGERS:
        return pa.int64()
    if table == "lead" and column == "demo_request":
        return pa.bool_()
    if table == "lead" and column == "amount":
        return pa.float64()
    return pa.string()


def _file_rows(table: str, path: Path, *, sqlite: bool) -> Rows:
    """A data file's rows, read block by block (a file that cannot be read is refused by name)."""
    model = _MODELS[table]
    try:
        names = pacsv.open_csv(path, read_options=pacsv.ReadOptions(block_size=1 << 16)).schema.names
    except (pa.ArrowInvalid, OSError) as exc:
        raise ValueError(f"{path}: {_arrow_message(exc)}; nothing was loaded") from None
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValueError(f"{path}: column(s) {', '.join(map(repr, twice))} appear more than once; nothing was loaded")
    unknown = [n for n in names if n not in model.model_fields or n == "id"]
    if unknown:
        raise ValueError(f"{path}: unknown column(s) {', '.join(map(repr, unknown))}; nothing was loaded")
    options = pacsv.ConvertOptions(
        column_types={n: _arrow_type(table, n) for n in names},
        null_values=[""],
        strings_can_be_null=True,
        true_values=["True", "true", "TRUE", "1"],
        false_values=["False", "false", "FALSE", "0"],
    )
    sample = _typed(table, pa.table({n: pa.array([], _arrow_type(table, n)) for n in names}), sqlite=sqlite)

    def batches() -> Iterator[pa.Table]:
        try:  # Arrow reads the first block as it opens the file
            blocks = pacsv.ReadOptions(block_size=BLOCK_BYTES)
            reader = pacsv.open_csv(path, read_options=blocks, convert_options=options)
            for batch in reader:
                yield _typed(table, pa.Table.from_batches([batch]), sqlite=sqlite)
        except pa.ArrowInvalid as exc:
            raise ValueError(f"{path}: {_arrow_message(exc, path, names)}; nothing was loaded") from None

    return Rows(table, sample.schema, batches(), str(path))


_KINDS = {"timestamp[us]": "a date and time (YYYY-MM-DDTHH:MM:SS)", "int64": "a whole number",
          "bool": "True or False", "double": "a number"}  # fmt: skip
_CONVERSION = re.compile(
    r"In CSV column #(\d+): CSV conversion error to (\S+): (invalid value|expected no zone offset in) '(.*)'$",
    re.DOTALL,
)


def _arrow_message(exc: Exception, path: Path | None = None, names: list[str] | None = None) -> str:
    """Arrow's complaint in plain words; a value of the wrong type is named by its row, column and value."""
    text = str(exc).strip() or type(exc).__name__
    found = _CONVERSION.match(text)
    if not found or path is None or names is None:
        return text.splitlines()[0].removeprefix("CSV parse error: ")
    column, kind, why, value = names[int(found[1])], found[2], found[3], found[4]
    where = f"row {_row_of(path, column, value)}, column {column!r}: {value!r}"
    if why != "invalid value":
        return f"{where} has a time zone: times are UTC, written without one (YYYY-MM-DDTHH:MM:SS)"
    return f"{where} is not {_KINDS.get(kind, kind)}"


def _row_of(path: Path, column: str, value: str) -> int:
    """The first row whose ``column`` holds ``value``, as a spreadsheet numbers it (the header is row 1)."""
    options = pacsv.ConvertOptions(include_columns=[column], column_types={column: pa.string()})
    cells = pacsv.read_csv(path, convert_options=options)[column]
    return int(pc.index(cells, value).as_py()) + 2


def _typed(table: str, rows: pa.Table, *, sqlite: bool) -> pa.Table:
    """A file's block as the table stores it: empty text as "", absent columns at their defaults, SQLite's types."""
    columns = {n: rows[n] for n in rows.column_names}
    for name in _EMPTY_TEXT[table]:
        if name in columns:
            columns[name] = columns[name].fill_null("")
    for name, value in model_defaults(table, columns).items():
        columns[name] = pa.repeat(pa.scalar(value), len(rows))
    return arrow_rows(pa.table(columns), text_times=sqlite)


def _frame_rows(table: str, frame: pd.DataFrame, *, sqlite: bool) -> Rows:
    """A frame's rows (the sample story's), in slices."""
    full = arrow_rows(pa.Table.from_pandas(_with_defaults(table, frame), preserve_index=False), text_times=sqlite)
    slices = (full.slice(i, BLOCK_ROWS) for i in range(0, len(full), BLOCK_ROWS))
    return Rows(table, full.schema, slices, f"the {table} rows")


def _statements(slas: Sequence[Sla], snapshot: dt.datetime | None, actor: str, leads: int) -> list[list]:
    """The SLA versions, their audit entries, the clock and the seed's audit entry, as ``?`` statements."""
    statements = []
    seen = set()
    for sla in slas:
        if sla.meta.version in seen:
            raise ValueError(f"SLA version {sla.meta.version} already exists")
        seen.add(sla.meta.version)
        statements.append(_insert("sla_version", sla_version_values(sla)))
        statements.append(_insert("audit_log", audit_values(**_publish_audit(sla, actor))))
    if snapshot is not None:
        upsert = "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value"
        statements.append([upsert, [SNAPSHOT_KEY, snapshot.isoformat()]])
    statements.append(_insert("audit_log", audit_values(**_seed_audit(actor, leads))))
    return statements


def _publish_audit(sla: Sla, actor: str) -> dict:
    return {"actor": actor, "action": "publish_sla", "entity": "sla_version", "entity_id": str(sla.meta.version),
            "detail": publish_detail(sla)}  # fmt: skip


def _seed_audit(actor: str, leads: int) -> dict:
    return {"actor": actor, "action": "seed", "entity": "database", "detail": {"leads": leads}}


def _insert(table: str, values: dict) -> list:
    """A ``?`` insert of ``values``, dates and times as SQLAlchemy stores them in SQLite."""
    names = ", ".join(f'"{c}"' for c in values)
    marks = ", ".join("?" for _ in values)
    return [f'INSERT INTO "{table}" ({names}) VALUES ({marks})', [sqlite_value(v) for v in values.values()]]


def _seed_sqlite(engine: Engine, slas: Sequence[Sla], rows: list[Rows], snapshot, actor: str) -> bool:
    database = engine.url.database
    if not database or database == ":memory:":  # no file for a writer process to open: the engine's own driver
        return _seed_in_process(engine, slas, rows, snapshot, actor, write=_insert_batch, lock=None)
    counted = {"lead": 0}
    phases: list[str] = []

    def counting(batches: Iterator[pa.Table]) -> Iterator[pa.Table]:
        for batch in batches:
            counted["lead"] += len(batch)
            yield batch

    streams = [(r.table, r.schema, counting(r.batches) if r.table == "lead" else r.batches) for r in rows]
    job = {
        "empty": ["sla_version", "lead", "touch", "feedback"],
        "busy_ms": BUSY_TIMEOUT_MS,
        "cache_kib": SEED_CACHE_KIB,
        "bump": BUMP_SQL,
    }
    try:
        result = sqlite_bulk.seed(
            database, streams, job, after=lambda: _statements(slas, snapshot, actor, counted["lead"]),
            on_phase=phases.append,
        )  # fmt: skip
    except sqlite_bulk.BulkWriteError as exc:
        table = phases[-1].split(" ", 1)[-1] if phases and phases[-1].startswith(("loading", "indexing")) else None
        source = next((r.source for r in rows if r.table == table), None)
        raise ValueError(f"{source}: {exc}" if source else str(exc)) from None
    return bool(result["seeded"])


def _insert_batch(session: Session, table: str, batch: pa.Table) -> None:
    bulk_insert(session.connection(), table, batch.to_pandas())


def _copy_batch(session: Session, table: str, batch: pa.Table) -> None:
    with session.connection().connection.dbapi_connection.cursor() as cursor:
        copy_batch(cursor, f'"{table}"', batch)


def _seed_postgres(engine: Engine, slas: Sequence[Sla], rows: list[Rows], snapshot, actor: str) -> bool:
    import psycopg  # (PostgreSQL's driver: imported where it is used)

    loading: list[str] = []  # the file being written when the database refused a row
    try:
        lock = "SELECT pg_advisory_xact_lock(7260001)"  # two loads at once: the second waits, then finds data
        return _seed_in_process(engine, slas, rows, snapshot, actor, write=_copy_batch, lock=lock, loading=loading)
    except (DBAPIError, psycopg.Error) as exc:  # the transaction was rolled back
        error = getattr(exc, "orig", None) or exc
        detail = (str(error).strip().splitlines() or [type(error).__name__])[0]
        where = f"{loading[-1]}: " if loading else ""
        raise ValueError(f"{where}the data could not be loaded: {detail}; nothing was loaded") from None


def _seed_in_process(
    engine: Engine,
    slas,
    rows: list[Rows],
    snapshot,
    actor: str,
    *,
    write,
    lock: str | None,
    loading: list | None = None,
) -> bool:
    """The load in one transaction of the engine's own connection, each slice written by ``write``.

    ``loading`` is given each file's name as its rows start (a refused row's message names it).
    """
    with Session(writer(engine)) as session:
        if lock:
            session.exec(text(lock))
        if _holds(session):
            return False
        for sla in slas:
            add_sla_version(session=session, sla=sla, actor=actor)
        session.flush()
        leads = 0
        for r in rows:
            if loading is not None:
                loading.append(r.source)
            for batch in r.batches:
                write(session, r.table, batch)
                leads += len(batch) if r.table == "lead" else 0
        if snapshot is not None:
            set_meta(session=session, key=SNAPSHOT_KEY, value=snapshot.isoformat())
        write_audit(session=session, **_seed_audit(actor, leads))
        bump_data_version(session=session)
        session.commit()
    return True
