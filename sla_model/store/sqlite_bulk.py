"""Bulk writes into, and bulk reads from, the SQLite file through ADBC's SQLite driver, in a process of its own.

The driver binds Arrow columns straight into SQLite and SQLite's columns straight into Arrow (no Python object
per cell): a million leads are written in under half the time a bare ``executemany`` of ready tuples takes
(``benchmarks/bench_import.py``) and read in about a third of the time a ``fetchall`` and a DataFrame take
(``benchmarks/bench_load.py``). It links its own copy of SQLite, and two copies of SQLite in one process do
not see each other's POSIX locks on the same file (closing the file in one drops the other's locks), which can
corrupt the database (sqlite.org/howtocorrupt.html, "multiple copies of SQLite linked into the same
application"). In a process of its own the driver locks the file like any other process: the app's readers
and writers and the import wait for each other as usual, and the import is still one transaction.

For a write, the parent (:func:`write`) sends the rows as an Arrow IPC stream on the child's stdin; the child
reports what it is doing and its result as JSON lines on stdout. For a read (:func:`read`), the child sends the
query's result as an Arrow IPC stream on its stdout. Run as ``python -m sla_model.store.sqlite_bulk JOB`` (JOB is
JSON).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

import pyarrow as pa

_ROOT = Path(__file__).resolve().parents[2]
#: Sent after the rows once the child is ready: without it (the parent failed or stopped) the child rolls back.
_COMMIT = b"C"


class BulkWriteError(ValueError):
    """The child could not write; nothing was written. The message says why."""


class BulkReadError(ValueError):
    """The child could not read. The message says why."""


def write(
    database: str,
    batches: Iterable[pa.Table],
    schema: pa.Schema,
    job: dict,
    *,
    on_batch: Callable[[int], None] | None = None,
    on_phase: Callable[[str], None] | None = None,
) -> dict:
    """Write ``batches`` into the SQLite file ``database`` as ``job`` says, in one transaction in a child process.

    Rows that must be compared with stored ones (a table that has rows already) are first received into the
    child's temporary table, before it takes the write lock: other writers wait only while they are compared
    and stored.

    Args:
        database: the SQLite file.
        batches: the rows, in slices (streamed: the child writes while the next slice is sent).
        schema: the rows' Arrow schema.
        job: what to do (see :func:`_run`): ``kind``, ``target``, ``columns``, ``clear``, ``upsert``,
            ``counts``, ``audit``, ``audit_params``, ``after`` (optional ``[sql, params]`` pairs), ``bump``,
            ``busy_ms``, ``cache_kib``.
        on_batch: called with the rows sent so far after each slice.
        on_phase: called with each phase the child reports ("indexing", "comparing", "writing", "recording").

    Returns:
        The child's result: ``existing`` (rows whose key was stored already), ``unchanged``, ``peak_mb`` (the
        child's peak resident memory, None where unknown).

    Raises:
        BulkWriteError: the write failed (the database is as it was); the message is the database's.
    """
    job = {**job, "database": database}
    sent = 0

    def send(stdin) -> None:
        nonlocal sent
        with pa.ipc.new_stream(stdin, schema) as stream:
            for batch in batches:
                stream.write_table(batch)
                sent += len(batch)
                if on_batch:
                    on_batch(sent)

    with _child(job, stdin=subprocess.PIPE) as (proc, finish):  # an error in here stops the child: no commit
        result, error = _converse(proc, send, on_phase)
        lines = finish()
    return _outcome(proc, result, error, lines, "the import could not be written", "nothing was imported")


def seed(
    database: str,
    tables: list[tuple[str, pa.Schema, Iterable[pa.Table]]],
    job: dict,
    *,
    after: Callable[[], list[list]],
    on_phase: Callable[[str], None] | None = None,
) -> dict:
    """Load ``tables`` into the empty SQLite file ``database``, in one transaction in a child process.

    The child takes the write lock and looks at the tables ``job["empty"]`` names: when any holds a row it writes
    nothing and says so. Otherwise each table's rows arrive as an Arrow IPC stream of their own; its secondary
    indexes are dropped before its rows and built once after them. Then the ``after()`` statements (``[sql,
    params]`` pairs, made once the rows are sent: e.g. an audit entry counting them) and ``job["bump"]`` run,
    and the whole load commits.

    Args:
        database: the SQLite file.
        tables: each table's name, the Arrow schema of its rows and the rows, in slices.
        job: ``empty``, ``bump``, ``busy_ms``, ``cache_kib``.
        after: the statements that end the load.
        on_phase: called with each phase the child reports ("loading TABLE", "indexing TABLE", "recording").

    Returns:
        ``seeded`` (False: the database held data and nothing was written), ``peak_mb`` (the child's).

    Raises:
        BulkWriteError: the load failed (the database is as it was); the message is the database's.
    """
    job = {**job, "kind": "seed", "database": database, "tables": [name for name, _, _ in tables]}

    def send(stdin) -> None:
        for _, schema, batches in tables:
            with pa.ipc.new_stream(stdin, schema) as stream:
                for batch in batches:
                    stream.write_table(batch)
        stdin.write(json.dumps(after()).encode() + b"\n")

    with _child(job, stdin=subprocess.PIPE) as (proc, finish):
        first = proc.stdout.readline()  # the child holds the write lock and has looked for stored data
        message = json.loads(first) if first.strip() else {}
        if "result" in message or "error" in message:
            _send_and_close(proc.stdin, b"")
            result, error = message.get("result"), message.get("error")
        else:
            result, error = _converse(proc, send, on_phase)
        lines = finish()
    return _outcome(proc, result, error, lines, "the data could not be loaded", "nothing was loaded")


def _converse(proc, send: Callable, on_phase: Callable[[str], None] | None) -> tuple[dict | None, str | None]:
    """Send the rows with ``send(stdin)``, then follow the child's report; commit when it is ready.

    Returns:
        The child's result (None when it did not commit) and its error (None when it said none).
    """
    result = error = None
    try:
        try:
            send(proc.stdin)
            proc.stdin.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the child stopped reading: it says why on stdout (any other error stops the child)
        for line in proc.stdout:
            message = json.loads(line)
            phase = message.get("phase")
            if phase == "ready":  # everything is written: the child commits when told to
                _send_and_close(proc.stdin, _COMMIT)
            elif phase and on_phase:
                on_phase(phase)
            error = message.get("error", error)
            result = message.get("result", result)
    finally:
        _send_and_close(proc.stdin, b"")  # a child that stopped reading leaves bytes that cannot be flushed
    return result, error


def _outcome(proc, result: dict | None, error: str | None, lines: list[str], failed: str, nothing: str) -> dict:
    """The child's result, or :class:`BulkWriteError` saying why it wrote nothing."""
    if result is not None:  # committed (whatever happened after)
        return result
    if not error:
        if proc.returncode < 0:
            error = f"the writer process was stopped (signal {-proc.returncode}), perhaps for lack of memory"
        else:
            error = lines[-1] if lines else f"the writer process stopped with code {proc.returncode}"
    raise BulkWriteError(f"{failed}: {error}; {nothing}")


def read(database: str, sql: str, *, busy_ms: int) -> pa.Table:
    """The result of the query ``sql`` on the SQLite file ``database`` as an Arrow table, read in a child process.

    The child binds SQLite's columns straight into Arrow (no Python object per cell) and streams them back as
    Arrow IPC: a million leads arrive in about a third of the time a ``fetchall`` and a DataFrame take
    (``benchmarks/bench_load.py``). The whole result is one batch, so each column's type is inferred from every
    row (SQLite has no column types of its own): a column that is NULL in every row comes back as int64 nulls.

    Raises:
        BulkReadError: the query failed; the message is the database's.
    """
    job = {"kind": "read", "database": database, "sql": sql, "busy_ms": busy_ms}
    with _child(job, stdin=subprocess.DEVNULL) as (proc, finish):
        try:
            table = pa.ipc.open_stream(proc.stdout).read_all()
        except (pa.ArrowInvalid, OSError):  # the child failed before (or while) it sent the rows: it says why
            table = None
        lines = finish()
    if table is None or proc.returncode:
        why = lines[-1] if lines else f"the reader process stopped with code {proc.returncode}"
        raise BulkReadError(f"the data could not be read: {why}")
    return table


def _read(job: dict) -> None:
    """The child's side of :func:`read`: run the query, stream its result as Arrow IPC on stdout."""
    import adbc_driver_sqlite.dbapi as adbc

    with adbc.connect(job["database"]) as con, con.cursor() as cur:
        cur.execute(f"PRAGMA busy_timeout = {int(job['busy_ms'])}")
        cur.fetchall()
        # one batch: the driver infers each column's type from the rows of the first batch
        cur.adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": str(2**30)})
        cur.execute(job["sql"])
        reader = cur.fetch_record_batch()
        with pa.ipc.new_stream(sys.stdout.buffer, reader.schema) as out:
            for batch in reader:
                out.write_batch(batch)


@contextlib.contextmanager
def _child(job: dict, *, stdin):
    """A ``python -m sla_model.store.sqlite_bulk JOB`` process, killed if the body raises.

    Yields the process and a function that waits for it to end and returns its stderr's lines.
    """
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(_ROOT), os.environ.get("PYTHONPATH")]))}
    with (
        tempfile.TemporaryFile() as stderr,  # a file, not a pipe: a talkative child can never block on it
        subprocess.Popen(
            [
                sys.executable,
                "-P",
                "-m",
                "sla_model.store.sqlite_bulk",
                json.dumps(job),
            ],  # -P: not the working directory
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=stderr,
            env=env,
        ) as proc,
    ):

        def finish() -> list[str]:
            proc.wait()
            stderr.seek(0)
            return stderr.read().decode("utf-8", "replace").strip().splitlines()

        try:
            yield proc, finish
        except BaseException:
            proc.kill()
            raise


def _send_and_close(pipe, data: bytes) -> None:
    """Write ``data`` to the child and close its stdin; a child that has gone already is not an error here."""
    try:
        if data:
            pipe.write(data)
        pipe.close()
    except OSError:
        pass


def _say(**message) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def _stage(run, cur, target: str, names: str, stream) -> None:
    """Receive the rows into the temporary table ``import_stage``, with the target's columns."""
    run("DROP TABLE IF EXISTS temp.import_stage")
    run(f'CREATE TEMP TABLE import_stage AS SELECT {names} FROM "{target}" WHERE 0')
    cur.adbc_ingest("import_stage", stream, mode="append", temporary=True)


@contextlib.contextmanager
def _connection(job: dict):
    """ADBC's connection to ``job["database"]`` with the writer's settings; yields its cursor and a ``run``."""
    import adbc_driver_sqlite.dbapi as adbc

    con = adbc.connect(job["database"], autocommit=True)  # the transaction is begun and ended by the caller
    cur = con.cursor()

    def run(sql: str, params=None) -> list[tuple]:
        cur.execute(sql, params)
        return cur.fetchall()

    try:
        run(f"PRAGMA busy_timeout = {int(job['busy_ms'])}")
        run("PRAGMA synchronous = NORMAL")
        run(f"PRAGMA cache_size = {-int(job['cache_kib'])}")
        yield cur, run
    finally:
        cur.close()
        con.close()


def _ingest_then_index(run, cur, target: str, stream, phase: str) -> None:
    """Append ``stream`` to ``target`` with its secondary indexes dropped, then build them once over every row."""
    indexes = run(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL", (target,)
    )
    for name, _ in indexes:
        run(f'DROP INDEX "{name}"')
    cur.adbc_ingest(target, stream, mode="append")
    _say(phase=phase)
    for _, create in indexes:
        run(create)


def _commit(run, stdin, statements: list, bump: str, what: str) -> None:
    """Run the closing ``[sql, params]`` statements and ``bump`` in the transaction, then commit when told to."""
    for sql, params in statements:
        run(sql, tuple(params))
    run(bump)
    _say(phase="ready")
    if stdin.read(1) != _COMMIT:
        raise RuntimeError(f"the {what} was stopped before it finished")
    run("COMMIT")


def _rollback(run) -> None:
    """Roll back; SQLite may have rolled back already (e.g. disk full): the first error is the one kept."""
    with contextlib.suppress(Exception):
        run("ROLLBACK")


def _run(job: dict, stream, stdin) -> None:
    with _connection(job) as (cur, run):
        target, names = job["target"], ", ".join(f'"{c}"' for c in job["columns"])
        staged = False
        try:
            if job["kind"] != "leads" or (not job["clear"] and run(f'SELECT 1 FROM "{target}" LIMIT 1')):
                # Rows to compare with the stored ones are received into this connection's temporary table
                # before the write lock is taken (a temporary table is no part of the database file): the app's
                # writers wait only for the comparison and the upsert, not for the rows to arrive.
                run("BEGIN")
                _stage(run, cur, target, names, stream)
                run("COMMIT")
                staged = True
            run("BEGIN IMMEDIATE")  # the write lock (waiting up to the busy timeout), as the app's writers take it
            for sql in job["clear"]:
                run(sql)
            direct = not staged and job["kind"] == "leads" and not run(f'SELECT 1 FROM "{target}" LIMIT 1')
            if direct:  # no lead stored yet: every row is new; secondary indexes are built once after the load
                _ingest_then_index(run, cur, target, stream, "indexing")
                existing = unchanged = kept = 0
            else:
                if not staged:  # leads came into the table since it was seen empty: compare with them
                    _stage(run, cur, target, names, stream)
                _say(phase="comparing")
                existing, unchanged, *more = run(job["counts"])[0]
                kept = more[0] if more else 0
                _say(phase="writing")
                for sql in job["upsert"]:
                    run(sql)
                run("DROP TABLE temp.import_stage")
            _say(phase="recording")
            run(job["audit"], tuple(job["audit_params"]))
            _commit(run, stdin, job.get("after", []), job["bump"], "import")  # after: e.g. the clock
        except BaseException:
            _rollback(run)
            raise
        _say(
            result={
                "existing": int(existing or 0),
                "unchanged": int(unchanged or 0),
                "kept": int(kept or 0),
                "peak_mb": _peak_mb(),
            }
        )


def _seed(job: dict, stdin) -> None:
    """The child's side of :func:`seed`."""
    with _connection(job) as (cur, run):
        run("BEGIN IMMEDIATE")  # the write lock (waiting up to the busy timeout), as the app's writers take it
        try:
            if any(run(f'SELECT 1 FROM "{table}" LIMIT 1') for table in job["empty"]):
                run("ROLLBACK")
                _say(result={"seeded": False, "peak_mb": _peak_mb()})
                return
            _say(phase="empty")
            for target in job["tables"]:
                _say(phase=f"loading {target}")
                with pa.ipc.open_stream(stdin) as stream:
                    _ingest_then_index(run, cur, target, stream, f"indexing {target}")
            _say(phase="recording")
            _commit(run, stdin, json.loads(stdin.readline()), job["bump"], "load")
        except BaseException:
            _rollback(run)
            raise
        _say(result={"seeded": True, "peak_mb": _peak_mb()})


def _peak_mb() -> float | None:
    """This process's peak resident memory in MiB (Linux), for the benchmark."""
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) / 1024 for line in status if line.startswith("VmHWM:"))
    except (OSError, StopIteration):
        return None


def _plain(exc: Exception, job: dict) -> str:
    """The database's message without the driver's wrapping; a lock wait that ran out said in words."""
    lines = str(exc).strip().splitlines() or [type(exc).__name__]
    wrapping = r"^(?:[A-Z_]+: )?(?:\[SQLite\] )?(?:(?i:failed to) (?:step query|prepare query|execute): )?"
    message = re.sub(wrapping, "", lines[0])
    if "database is locked" in message:
        return (f"the database is locked by another write that did not finish within {job['busy_ms'] / 1000:g} s "
                "(another import, or a long edit); try again in a moment")  # fmt: skip
    return message


def main(argv: list[str]) -> int:
    """The child: read the job from ``argv``; write the rows from stdin and report on stdout, or read."""
    job = json.loads(argv[0])
    if job.get("kind") == "read":
        try:
            _read(job)
        except Exception as exc:  # the parent raises it with this message
            sys.stderr.write(_plain(exc, job) + "\n")
            return 1
        return 0
    try:
        if job.get("kind") == "seed":
            _seed(job, sys.stdin.buffer)
            return 0
        with pa.ipc.open_stream(sys.stdin.buffer) as stream:
            _run(job, stream, sys.stdin.buffer)  # says the result as soon as it is committed
    except Exception as exc:  # reported to the parent, which raises it with its message
        _say(error=_plain(exc, job))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
