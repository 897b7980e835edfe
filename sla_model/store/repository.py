"""Data access: bulk reads into pandas, bulk writes, SLA versions, metadata and the audit log."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from sqlalchemy import Connection, Engine, delete, func, insert, or_, text
from sqlmodel import Session, SQLModel, select

from sla_model.agreement.sla import Sla, parse_sla, sla_to_dict
from sla_model.metrics.lifecycle import DECISION_COLUMNS
from sla_model.store import sqlite_bulk
from sla_model.store.db import BUSY_TIMEOUT_MS, is_sqlite
from sla_model.store.models import AuditEntry, DataChange, Feedback, Lead, MetaEntry, SlaVersion, Touch, utcnow

LEAD_COLUMNS = [c for c in Lead.model_fields if c != "row_version"]
TOUCH_COLUMNS = ["lead_id", "rep", "at", "kind", "outcome"]
FEEDBACK_COLUMNS = ["lead_id", "decision", "reason", "note", "by", "at"]
LEAD_TIME_COLUMNS = [c for c in LEAD_COLUMNS if c.endswith("_at")]
#: Low-cardinality text columns, held as pandas categoricals in the analysis frame.
LEAD_CATEGORIES = ["channel", "campaign", "persona", "industry", "country", "owner", "rejection_reason"]
SNAPSHOT_KEY = "snapshot_at"
VERSION_KEY = "data_version"
#: The data version's upsert as one statement without parameters (the bulk writers run it with their rows).
BUMP_SQL = (
    f"INSERT INTO meta (key, value) VALUES ('{VERSION_KEY}', '1') ON CONFLICT (key) DO UPDATE "
    "SET value = CAST(CAST(meta.value AS INTEGER) + 1 AS VARCHAR)"
)
#: SQLite page cache while bulk loading (KiB): random-order index inserts stay in memory.
BULK_CACHE_KIB = 512 * 1024
#: From this many rows (by the largest rowid), a SQLite table is read by the bulk reader process.
BULK_READ_ROWS = 50_000


# --- bulk writes ---------------------------------------------------------------------------------


def _column_values(col: pd.Series, *, text_times: bool) -> list:
    """A column as a list of Python values (None for missing), ready for a DB-API driver."""
    if pd.api.types.is_datetime64_any_dtype(col):
        missing = col.isna().to_numpy()
        if text_times:  # SQLAlchemy's SQLite storage format
            raw = np.datetime_as_string(col.to_numpy(dtype="datetime64[us]"), unit="us")
            values = np.char.replace(raw.astype(str), "T", " ").astype(object)
        else:
            values = col.to_numpy(dtype="datetime64[us]").astype(object)
        values[missing] = None
        return values.tolist()
    if pd.api.types.is_bool_dtype(col):
        return col.astype(bool).tolist()
    return col.astype(object).where(col.notna(), None).tolist()


def _rows(frame: pd.DataFrame, *, text_times: bool) -> list[tuple]:
    columns = [_column_values(frame[c], text_times=text_times) for c in frame.columns]
    return list(zip(*columns, strict=True))


_MODELS = {m.__tablename__: m for m in (Lead, Touch, Feedback)}


def model_defaults(table: str, present: Iterable[str]) -> dict[str, object]:
    """The model's non-null defaults (e.g. empty names) of the columns of ``table`` not in ``present``."""
    model = _MODELS.get(table)
    if model is None:
        return {}
    present = set(present)
    return {
        name: field.default
        for name, field in model.model_fields.items()
        if name not in present and name != "id" and not field.is_required() and field.default is not None
    }


def _with_defaults(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Fill columns the frame lacks with the model's non-null defaults (e.g. empty names)."""
    missing = model_defaults(table, frame.columns)
    return frame.assign(**missing) if missing else frame


def arrow_rows(table: pa.Table, *, text_times: bool) -> pa.Table:
    """Arrow columns as the bulk writers store them.

    Timestamps in microseconds (``text_times``: as SQLite's text, 'YYYY-MM-DD HH:MM:SS.ffffff', and booleans as
    0/1), pandas' string views as plain large strings.
    """
    columns = []
    for name in table.column_names:
        col = table[name]
        if pa.types.is_timestamp(col.type):
            col = col.cast(pa.timestamp("us"), safe=False)
            if text_times:  # SQLAlchemy's SQLite DATETIME text
                col = col.cast(pa.string())
        elif pa.types.is_boolean(col.type) and text_times:
            col = col.cast(pa.int64())
        elif pa.types.is_string_view(col.type):  # text stays as pandas holds it (large_string): no copy
            col = col.cast(pa.large_string())
        columns.append(col)
    return pa.table(columns, names=table.column_names)


def copy_batch(cursor, target: str, batch: pa.Table) -> None:
    """PostgreSQL: ``COPY`` a batch into ``target`` as CSV written by Arrow (no per-row Python), NULLs empty."""
    names = ", ".join(f'"{c}"' for c in batch.column_names)
    buffer = pa.BufferOutputStream()
    pacsv.write_csv(batch, buffer, write_options=pacsv.WriteOptions(include_header=False, quoting_style="all_valid"))
    with cursor.copy(f"COPY {target} ({names}) FROM STDIN (FORMAT csv)") as copy:
        copy.write(buffer.getvalue().to_pybytes())


def qmark(statements: Iterable[tuple[str, dict]]) -> list[list]:
    """``:name`` statements as ``?`` statements with their values in order (for the SQLite writer process)."""
    out = []
    for sql, params in statements:
        names = re.findall(r":(\w+)", sql)
        out.append([re.sub(r":(\w+)", "?", sql), [params[n] for n in names]])
    return out


def sqlite_value(value: object) -> object:
    """A value as SQLAlchemy stores it in SQLite: a date and time as 'YYYY-MM-DD HH:MM:SS.ffffff', a date as ISO."""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def bulk_insert(conn: Connection, table: str, frame: pd.DataFrame) -> int:
    """Insert every row of ``frame`` into ``table`` in the connection's transaction, fast.

    SQLite gets one ``executemany``; PostgreSQL gets ``COPY ... FROM STDIN`` fed row by row by the
    driver (exact for any text, including tabs, quotes, backslashes and a literal backslash-N). The frame's
    columns must be table columns; missing optional columns take their defaults.

    Returns:
        The number of rows written.
    """
    if frame.empty:
        return 0
    frame = _with_defaults(table, frame)
    names = ", ".join(f'"{c}"' for c in frame.columns)
    raw = conn.connection.dbapi_connection
    if conn.dialect.name == "sqlite":
        marks = ", ".join("?" for _ in frame.columns)
        cursor = raw.cursor()
        cache = cursor.execute("PRAGMA cache_size").fetchone()[0]
        cursor.execute(f"PRAGMA cache_size={-BULK_CACHE_KIB}")  # index pages stay in memory while loading
        try:
            cursor.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', _rows(frame, text_times=True))
        finally:
            cursor.execute(f"PRAGMA cache_size={cache}")
            cursor.close()
    else:
        with raw.cursor() as cursor, cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
            for row in _rows(frame, text_times=False):
                copy.write_row(row)
    return len(frame)


# --- bulk reads ----------------------------------------------------------------------------------


def _epoch_us(dialect: str, column: str) -> str:
    """SQL for a timestamp column as integer microseconds since 1970 (NULL stays NULL).

    Computed by the database, so pandas never parses timestamp text.
    """
    if dialect == "sqlite":  # stored as 'YYYY-MM-DD HH:MM:SS[.ffffff]'
        # whole seconds from the first 19 characters (some SQLite versions round strftime's input to the
        # millisecond: .9995 s and up would count a second twice), the fraction padded to microseconds
        seconds = f"CAST(strftime('%s', substr(\"{column}\", 1, 19)) AS INTEGER)"
        return f"{seconds} * 1000000 + CAST(substr(\"{column}\" || '000000', 21, 6) AS INTEGER)"
    return f'(EXTRACT(EPOCH FROM "{column}") * 1000000)::bigint'


def select_sql(dialect: str, table: str, columns: Sequence[str], times: Sequence[str] = ()) -> str:
    """The one bulk query that reads ``columns`` of ``table`` (``times`` as epoch microseconds)."""
    exprs = ", ".join(_epoch_us(dialect, c) if c in times else f'"{c}"' for c in columns)
    return f'SELECT {exprs} FROM "{table}"'


def _read_frame(
    engine: Engine, table: str, columns: Sequence[str], times: Sequence[str], lead_ids: Collection[str] | None = None
) -> pd.DataFrame:
    """``SELECT columns FROM table`` as one bulk query; ``times`` columns come back as datetime64[ns].

    With ``lead_ids``, only the rows of those leads (a few, read row by row: what a data set catching up with a
    small write needs).

    A SQLite table whose largest row id is :data:`BULK_READ_ROWS` or more is read through ADBC's SQLite driver
    in a process of its own (:func:`sla_model.store.sqlite_bulk.read`): its columns come as Arrow arrays instead of a
    Python object per cell. Should that fail (a value stored with a type its column does not have, written by
    hand or by another program), the table is read row by row as any other.
    """
    sql = select_sql(engine.dialect.name, table, columns, times)
    file = engine.url.database if is_sqlite(engine) else None
    frame = None
    if lead_ids is not None:
        frame = _rows_of_leads(engine, sql, table, columns, times, sorted(lead_ids))
    elif file and file != ":memory:":
        with engine.connect() as conn:
            size = conn.execute(text(f'SELECT max(rowid) FROM "{table}"')).scalar() or 0
        if size >= BULK_READ_ROWS:
            try:
                text_sql = select_sql(engine.dialect.name, table, columns)  # times as stored: Arrow reads them
                arrow = sqlite_bulk.read(file, text_sql, busy_ms=BUSY_TIMEOUT_MS).rename_columns(list(columns))
                arrow = _epoch_columns(arrow, times).cast(_arrow_schema(table, columns, times))
                # each column's Arrow buffers are freed as it is converted: the table and the frame are never
                # both held whole (at a million leads, the server's peak memory)
                frame = arrow.to_pandas(self_destruct=True, split_blocks=True)
                del arrow
            except (sqlite_bulk.BulkReadError, pa.ArrowInvalid, pa.ArrowTypeError):
                frame = None
    if frame is None:
        frame = _rows_frame(engine, sql, table, columns, times)
    for c in times:
        frame[c] = pd.to_datetime(pd.to_numeric(frame[c], errors="raise"), unit="us").astype("datetime64[ns]")
    return frame


#: Lead IDs per query when reading the rows of given leads.
_IDS_PER_QUERY = 500


def _rows_of_leads(
    engine: Engine, sql: str, table: str, columns: Sequence[str], times: Sequence[str], lead_ids: list[str]
) -> pd.DataFrame:
    """The query's rows of the given leads (``WHERE lead_id IN …``, a few hundred IDs per query), as a frame."""
    mark = "?" if engine.dialect.paramstyle == "qmark" else "%s"
    rows: list[tuple] = []
    with engine.connect() as conn:
        cursor = conn.connection.dbapi_connection.cursor()
        for start in range(0, len(lead_ids), _IDS_PER_QUERY):
            chunk = lead_ids[start : start + _IDS_PER_QUERY]
            cursor.execute(f'{sql} WHERE "lead_id" IN ({", ".join([mark] * len(chunk))})', chunk)
            rows.extend(cursor.fetchall())
        cursor.close()
    return _records_frame(rows, table, columns, times)


def _epoch_columns(table: pa.Table, times: Sequence[str]) -> pa.Table:
    """The ``times`` columns, read as SQLite's text ('YYYY-MM-DD HH:MM:SS.ffffff'), as microseconds since 1970.

    Arrow's parser is about five times as fast as SQLite's ``strftime`` on every row. A text it cannot read (a
    zone, a fraction finer than microseconds: written by another program) raises ``ArrowInvalid``, and the
    caller reads the table row by row instead, with the database computing the times.
    """
    for name in times:
        index = table.schema.get_field_index(name)
        column = table.column(index)
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            epoch = pc.cast(pc.cast(column, pa.timestamp("us")), pa.int64())
            table = table.set_column(index, name, epoch)
    return table


def _rows_frame(engine: Engine, sql: str, table: str, columns: Sequence[str], times: Sequence[str]) -> pd.DataFrame:
    """The query's rows through the engine's own driver (DB-API ``fetchall``), as a frame."""
    with engine.connect() as conn:
        cursor = conn.connection.dbapi_connection.cursor()
        cursor.execute(sql)
        rows = cursor.fetchall()
        cursor.close()
    return _records_frame(rows, table, columns, times)


def _records_frame(rows: list[tuple], table: str, columns: Sequence[str], times: Sequence[str]) -> pd.DataFrame:
    """Rows of the table's ``columns`` as a frame, with the column types the bulk reader gives."""
    frame = pd.DataFrame.from_records(rows, columns=list(columns), coerce_float=True)
    for field in _arrow_schema(table, columns, times):  # a text column NULL in every row: text, as usual
        if field.type == pa.string() and frame[field.name].dtype == object and frame[field.name].isna().all():
            frame[field.name] = frame[field.name].astype("str")
    return frame


def _arrow_schema(table: str, columns: Sequence[str], times: Sequence[str]) -> pa.Schema:
    """The Arrow types the bulk reader's columns are cast to, from the table's own column types.

    SQLite has none of its own: a column that is NULL in every row would otherwise come back as integers.
    """
    model = SQLModel.metadata.tables[table].c
    kinds = {int: pa.int64(), bool: pa.int64(), float: pa.float64()}
    return pa.schema(
        [(c, pa.int64() if c in times else kinds.get(model[c].type.python_type, pa.string())) for c in columns]
    )


def _to_datetime(col: pd.Series) -> pd.Series:
    return pd.to_datetime(col, format="ISO8601").astype("datetime64[ns]")


def load_leads(*, engine: Engine, lead_ids: Collection[str] | None = None) -> pd.DataFrame:
    """Every lead (or only ``lead_ids``) as one analysis frame, read with a single query (in no particular order).

    Timestamps are ``datetime64[ns]`` (NaT = not reached), low-cardinality text columns are
    categoricals, ``amount`` is float (NaN = no amount).
    """
    frame = _read_frame(engine, "lead", LEAD_COLUMNS, LEAD_TIME_COLUMNS, lead_ids)
    for c in LEAD_CATEGORIES:
        frame[c] = frame[c].astype("category")
    for c in ("company_size", "score", "page_views", "form_submissions"):
        frame[c] = frame[c].astype(np.int64)
    frame["demo_request"] = frame["demo_request"].astype(bool)
    frame["amount"] = frame["amount"].astype(float)
    return frame


def _by_time(frame: pd.DataFrame) -> pd.DataFrame:
    order = np.argsort(frame["at"].to_numpy(), kind="stable")
    return frame.take(order).reset_index(drop=True)


def load_touches(*, engine: Engine, lead_ids: Collection[str] | None = None) -> pd.DataFrame:
    """Every touch (or those of ``lead_ids``) as one frame (lead_id, rep, at, kind, outcome), oldest first."""
    frame = _read_frame(engine, "touch", TOUCH_COLUMNS, ["at"], lead_ids)
    for c in ("rep", "kind", "outcome"):
        frame[c] = frame[c].astype("category")
    return _by_time(frame)


def load_feedback(*, engine: Engine, lead_ids: Collection[str] | None = None) -> pd.DataFrame:
    """Every accept/reject decision (or those of ``lead_ids``) with its reason and note, oldest first."""
    return _by_time(_read_frame(engine, "feedback", FEEDBACK_COLUMNS, ["at"], lead_ids))


# --- SLA versions --------------------------------------------------------------------------------


def add_sla_version(*, session: Session, sla: Sla, actor: str, actor_id: str | None = None) -> SlaVersion:
    """Store ``sla`` as a new version and audit it (by ``actor``, see :func:`write_audit`); the caller commits.

    Raises:
        ValueError: when the version number is already stored.
    """
    taken = session.exec(select(SlaVersion).where(SlaVersion.version == sla.meta.version)).first()
    if taken is not None:
        raise ValueError(f"SLA version {sla.meta.version} already exists")
    row = SlaVersion(**sla_version_values(sla))
    session.add(row)
    write_audit(session=session, actor=actor, actor_id=actor_id, action="publish_sla", entity="sla_version",
                entity_id=str(sla.meta.version), detail=publish_detail(sla))  # fmt: skip
    return row


def sla_version_values(sla: Sla) -> dict[str, object]:
    """The stored row of an SLA version: its number, dates, author, note and document."""
    return {
        "version": sla.meta.version,
        "effective_from": sla.meta.effective_from,
        "author": sla.meta.author,
        "change_note": sla.meta.change_note,
        "document": json.dumps(sla_to_dict(sla), ensure_ascii=False),
        "created_at": utcnow(),
    }


def publish_detail(sla: Sla) -> dict[str, str]:
    """What the audit entry of a published SLA version says of it."""
    return {"effective_from": sla.meta.effective_from.isoformat(), "note": sla.meta.change_note}


def list_sla_versions(*, session: Session) -> list[Sla]:
    """Every stored SLA version, validated, oldest effective date first."""
    rows = session.exec(select(SlaVersion).order_by(SlaVersion.effective_from, SlaVersion.version)).all()
    return [parse_sla(json.loads(r.document), source=f"stored SLA version {r.version}") for r in rows]


# --- metadata and audit --------------------------------------------------------------------------


def get_meta(*, session: Session, key: str) -> str | None:
    """A stored metadata value, or None."""
    row = session.get(MetaEntry, key)
    return row.value if row else None


def set_meta(*, session: Session, key: str, value: str) -> None:
    """Store a metadata value (insert or replace); the caller commits."""
    row = session.get(MetaEntry, key) or MetaEntry(key=key, value=value)
    row.value = value
    session.add(row)


def write_audit(
    *,
    session: Session,
    actor: str,
    action: str,
    entity: str,
    entity_id: str = "",
    detail: dict | None = None,
    actor_id: str | None = None,
) -> AuditEntry:
    """Append an audit entry; the caller commits (so it lands with the change it describes).

    ``actor`` is the name shown, ``actor_id`` the stable identity (:attr:`sla_model.access.Actor.id`) that
    ownership checks compare; writes with no user behind them (sample data) have none.
    """
    entry = AuditEntry(**audit_values(actor=actor, action=action, entity=entity, entity_id=entity_id,
                                      detail=detail, actor_id=actor_id))  # fmt: skip
    session.add(entry)
    return entry


def audit_values(
    *, actor: str, action: str, entity: str, entity_id: str = "", detail: dict | None = None,
    actor_id: str | None = None,
) -> dict[str, object]:  # fmt: skip
    """The stored row of an audit entry (see :func:`write_audit`), stamped now."""
    return {"at": utcnow(), "actor": actor, "actor_id": actor_id, "action": action, "entity": entity,
            "entity_id": entity_id, "detail": json.dumps(detail or {}, ensure_ascii=False, default=str)}  # fmt: skip


def data_version(*, engine: Engine) -> int:
    """A number that changes whenever stored data changes: caches of loaded frames key on it."""
    with Session(engine) as session:
        value = get_meta(session=session, key=VERSION_KEY)
    return int(value) if value else 0


#: Data changes older than this many versions are dropped: a data set that far behind is loaded again anyway.
KEEP_CHANGES = 1_000


def bump_data_version(*, session: Session, leads: Iterable[str] | None = None) -> int:
    """Mark the data as changed, in the caller's transaction (so readers reload after commit); the new version.

    One atomic upsert, so concurrent writers each move the version on (none is lost). A small write names the
    ``leads`` it changed: they are recorded with the new version (:class:`~sla_model.store.models.DataChange`), so
    a loaded data set catches up by reading those leads alone (:mod:`sla_model.store.refresh`). Without
    ``leads`` (an import, a published SLA) readers load everything again.
    """
    version = int(
        session.exec(
            text(
                "INSERT INTO meta (key, value) VALUES (:key, '1') ON CONFLICT (key) DO UPDATE "
                "SET value = CAST(CAST(meta.value AS INTEGER) + 1 AS VARCHAR) RETURNING value"
            ),
            params={"key": VERSION_KEY},
        ).scalar_one()
    )
    if leads is not None:
        rows = [{"version": version, "lead_id": lead_id} for lead_id in dict.fromkeys(leads)]
        if rows:
            session.connection().execute(insert(DataChange.__table__), rows)
        session.connection().execute(delete(DataChange.__table__).where(DataChange.version <= version - KEEP_CHANGES))
    return version


#: Meta key of the clock's mode: :data:`LIVE` (figures as of now) or unset (as of the stored snapshot time).
CLOCK_KEY = "clock"
LIVE = "live"


@dataclass(frozen=True)
class Clock:
    """The one moment every figure is judged as of, and why it is that moment."""

    as_of: dt.datetime
    live: bool  #: True: the moment is now; False: a fixed snapshot (sample data, imported history)


def clock(*, engine: Engine) -> Clock:
    """The clock the metrics use.

    A database whose clock is live (``meta.clock = 'live'``, or one with no snapshot at all) is judged as of
    now. Otherwise every figure is judged as of the stored snapshot: the sample data's seeding moment, or the
    latest event of imported history. Writes made in the app never move a snapshot, so no click can change
    what a past period means; only an import (of later history) or a switch to live does.
    """
    with Session(engine) as session:
        mode = get_meta(session=session, key=CLOCK_KEY)
        snap = get_meta(session=session, key=SNAPSHOT_KEY)
    if mode == LIVE or snap is None:
        return Clock(as_of=utcnow(), live=True)
    return Clock(as_of=dt.datetime.fromisoformat(snap), live=False)


def data_as_of(*, engine: Engine) -> dt.datetime:
    """The moment the metrics judge the data as of (see :func:`clock`)."""
    return clock(engine=engine).as_of


def clock_statements(*, live: bool | None, latest: dt.datetime | None) -> list[tuple[str, dict]]:
    """The statements an import runs in its own transaction to set the clock after it.

    Args:
        live: True: judge the data as of now from here on; False: as of its latest event (a fixed snapshot);
            None: keep the database's mode (a database with no clock yet takes the fixed snapshot).
        latest: the latest event in the imported file (capped at now by the caller); None if it has none.

    Returns:
        ``(sql, params)`` pairs with ``:name`` parameters; the snapshot only ever moves forward.
    """
    upsert = "INSERT INTO meta (key, value) VALUES (:key, :value) ON CONFLICT (key) DO UPDATE SET value = :value"
    if live:
        return [(upsert, {"key": CLOCK_KEY, "value": LIVE})]
    out = []
    if live is False:
        out.append(("DELETE FROM meta WHERE key = :key", {"key": CLOCK_KEY}))
    if latest is not None:
        value = latest.replace(microsecond=0).isoformat()
        # ISO 8601 text of one form compares as time: the snapshot moves only forward
        out.append((
            "INSERT INTO meta (key, value) SELECT :key, :value WHERE "
            + ("true" if live is False else "NOT EXISTS (SELECT 1 FROM meta WHERE key = :mode AND value = :live)")
            + " ON CONFLICT (key) DO UPDATE SET value = CASE WHEN meta.value < :value THEN :value ELSE meta.value END",
            {"key": SNAPSHOT_KEY, "value": value, "mode": CLOCK_KEY, "live": LIVE},
        ))  # fmt: skip
    return out


def counts(*, engine: Engine) -> dict[str, int]:
    """Row counts of the main tables."""
    with Session(engine) as session:
        return {
            "sla_versions": session.exec(select(func.count()).select_from(SlaVersion)).one(),
            "leads": session.exec(select(func.count()).select_from(Lead)).one(),
            "touches": session.exec(select(func.count()).select_from(Touch)).one(),
            "feedback": session.exec(select(func.count()).select_from(Feedback)).one(),
        }


# --- the sample data set -------------------------------------------------------------------------


def read_dataset(folder: str | Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dt.datetime | None]:
    """Read a folder in the app's own format: leads, touches, feedback (CSV, optionally gzipped)."""
    folder = Path(folder)

    def _read(name: str, times: list[str]) -> pd.DataFrame:
        path = next(
            (folder / f"{name}{ext}" for ext in (".csv.gz", ".csv") if (folder / f"{name}{ext}").exists()),
            None,
        )
        if path is None:
            return pd.DataFrame()
        frame = pd.read_csv(path, keep_default_na=False, na_values=[""], dtype=str)
        for c in times:
            frame[c] = _to_datetime(frame[c])
        return frame

    leads = _read("leads", LEAD_TIME_COLUMNS)
    if not leads.empty:  # (a folder may hold SLA files only)
        for c in ("company_size", "score", "page_views", "form_submissions"):
            leads[c] = leads[c].astype(np.int64)
        leads["demo_request"] = leads["demo_request"].map({"True": True, "False": False}).astype(bool)
        leads["amount"] = leads["amount"].astype(float)
        for c in ("first_name", "last_name", "company", "email", "campaign"):
            leads[c] = leads[c].fillna("")
    touches = _read("touches", ["at"])
    touches = touches.fillna({"outcome": ""}) if not touches.empty else touches
    feedback = _read("feedback", ["at"])
    feedback = feedback.fillna({"note": ""}) if not feedback.empty else feedback
    snap_file = folder / "snapshot.txt"
    snapshot = dt.datetime.fromisoformat(snap_file.read_text().strip()) if snap_file.exists() else None
    return leads, touches, feedback, snapshot


# --- a rep's queue -------------------------------------------------------------------------------


def open_mqls(*, engine: Engine, owner: str | None = None) -> pd.DataFrame:
    """Open MQLs (:func:`sla_model.metrics.lifecycle.is_open`: no decision timestamp), fresh from the database.

    With ``owner``, only that rep's. Holds what follow-up policies match on (channel, persona, company size,
    demo request). Adds ``touches`` (count) and ``first_touch_at`` from touches at
    or after the handoff. Oldest handoff first. The open MQLs are found by their own partial index and their
    touches looked up lead by lead (the touch table's lead index), so the queue costs what it lists, not what
    the database holds.
    """
    after_handoff = (Touch.lead_id == Lead.lead_id) & (Touch.at >= Lead.mql_at)
    query = (
        select(
            Lead.lead_id,
            Lead.first_name,
            Lead.last_name,
            Lead.company,
            Lead.channel,
            Lead.persona,
            Lead.company_size,
            Lead.demo_request,
            Lead.score,
            Lead.owner,
            Lead.mql_at,
            select(func.count()).where(after_handoff).correlate(Lead).scalar_subquery(),
            select(func.min(Touch.at)).where(after_handoff).correlate(Lead).scalar_subquery(),
        )  # fmt: skip
        .where(Lead.mql_at.is_not(None), *(getattr(Lead, c).is_(None) for c in DECISION_COLUMNS))
        .order_by(Lead.mql_at, Lead.lead_id)
    )
    if owner is not None:
        query = query.where(Lead.owner == owner)
    columns = ["lead_id", "first_name", "last_name", "company", "channel", "persona", "company_size", "demo_request",
               "score", "owner", "mql_at", "touches", "first_touch_at"]  # fmt: skip
    with Session(engine) as session:
        rows = session.exec(query).all()
    frame = pd.DataFrame.from_records([tuple(r) for r in rows], columns=columns)
    frame["touches"] = frame["touches"].fillna(0).astype(np.int64)
    frame["demo_request"] = frame["demo_request"].astype(bool)  # follow-up policies match on it and company_size
    for c in ("mql_at", "first_touch_at"):
        frame[c] = pd.to_datetime(frame[c]).astype("datetime64[ns]")
    return frame


def find_leads(*, engine: Engine, text: str, limit: int = 20) -> pd.DataFrame:
    """Leads whose id is ``text`` or whose id, name, company or email contains it (case-insensitive), newest first.

    At most ``limit`` rows: lead_id, first_name, last_name, company, email, owner, created_at.
    """
    text = text.strip()
    columns = ["lead_id", "first_name", "last_name", "company", "email", "owner", "created_at"]
    if not text:
        return pd.DataFrame(columns=columns)
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    like = f"%{escaped}%"
    name = func.lower(Lead.first_name + " " + Lead.last_name)
    fields = (func.lower(Lead.lead_id), name, func.lower(Lead.company), func.lower(Lead.email))
    query = (
        select(*(getattr(Lead, c) for c in columns))
        .where(or_(Lead.lead_id == text, *(f.like(like, escape="\\") for f in fields)))
        .order_by((Lead.lead_id != text), Lead.created_at.desc())
        .limit(limit)
    )
    with Session(engine) as session:
        rows = session.exec(query).all()
    frame = pd.DataFrame.from_records([tuple(r) for r in rows], columns=columns)
    frame["created_at"] = pd.to_datetime(frame["created_at"]).astype("datetime64[ns]")
    return frame
