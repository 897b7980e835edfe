"""Import a generated leads CSV (1,000,000 rows) into SQLite and PostgreSQL: parse and write timed apart.

The file is the app's own leads format (``sla_model.generator.write_csv``, uncompressed), imported with the
engine the import page and ``python -m sla_model import`` use: ``csvfile.read_csv`` + ``importer.prepare``
(the parse), then ``importer.write`` into a fresh, empty database (first import: every row is new) and again
(re-import: every row unchanged, the upsert path).

Floors, measured in the same run on the same file, are the least any importer must do:

* parse: ``pyarrow.csv.read_csv`` of the same bytes with every column read as a string (no checks, no typing);
* SQLite write: ADBC's SQLite driver (what the engine's writer uses) ingesting the engine's Arrow table into a
  table with the same columns and no key, index or constraint, in one transaction, in the measuring process itself
  (no writer process, no pipe); a bare ``sqlite3`` ``executemany`` of the same rows as ready tuples is printed for
  reference;
* PostgreSQL write: a bare psycopg ``COPY`` of the same tuples into a plain table without key or index.

The ratio says what the engine costs on top of the floor. End to end is parse + first write (the file's bytes
read from disk until the transaction is committed; creating the empty tables is not counted). Targets from the
issue: end to end on SQLite within 15 s, peak memory under 1.5 GB for every step.

Each step runs in a fresh child process. Peak memory is the process's VmHWM (resident high-water mark, whole
process, interpreter included); for a write it is reset when the write starts (``/proc/self/clear_refs``), so
it is the peak while writing, with the prepared rows held and the file's text cells freed (as the import command
does). On SQLite the write's peak adds the writer process's own peak (its VmHWM): both are alive at once.
The import command's peak is its largest process. A floor's peak includes its ready rows and is not judged. Where
the write's time goes is read from the engine's progress callback ("of which convert" is the engine's
frame-to-Arrow step timed again on its own after the measured write). PostgreSQL runs in a schema of its own,
dropped afterwards; if the server cannot be reached, PostgreSQL is skipped with a printed line. The last line
printed is every figure as JSON.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = ROOT / "benchmarks" / "_data"
TARGET_SECONDS = 15.0
TARGET_MB = 1536.0  # 1.5 GB, in the MiB that VmHWM counts
FLOOR_TABLE = "lead_floor"


def _peak_mb() -> float:
    """This process's peak resident memory (VmHWM: reset at exec, unlike ru_maxrss)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _reset_peak() -> None:
    """Reset VmHWM to the current resident size, so that the next :func:`_peak_mb` covers what follows."""
    Path("/proc/self/clear_refs").write_text("5")


def csv_path(n: int) -> Path:
    """The cached leads CSV for ``n`` leads."""
    return DATA / f"import_leads_{n}.csv"


def generate_csv(n: int) -> dict:
    """Generate ``n`` leads and write them as the app's leads.csv (uncompressed) to :func:`csv_path`."""
    from dataclasses import replace

    from sla_model.generator import generate, write_csv

    started = time.perf_counter()
    data = generate(n_leads=n)
    data = replace(data, touches=data.touches.head(0), feedback=data.feedback.head(0))
    folder = DATA / f"import_{n}_tmp"
    write_csv(data, folder)  # the app's own format, gzipped
    target = csv_path(n)
    with gzip.open(folder / "leads.csv.gz", "rb") as src, open(target.with_suffix(".part"), "wb") as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
    target.with_suffix(".part").rename(target)
    shutil.rmtree(folder)
    return {"leads": len(data.leads), "seconds": time.perf_counter() - started, "bytes": target.stat().st_size}


def _parse(path: Path) -> tuple[object, object, dict]:
    """Read the file's bytes, ``read_csv`` and ``prepare`` it; the table read, the prepared rows, the timings.

    The caller decides how long the table lives: the import command and the import page keep it while writing.
    """
    from sla_model.importing import importer
    from sla_model.importing.csvfile import read_csv
    from sla_model.importing.mapping import OWN_LEADS

    started = time.perf_counter()
    data = path.read_bytes()
    read = time.perf_counter()
    table = read_csv(data, name=path.name)
    del data
    parsed = time.perf_counter()
    prepared = importer.prepare(table, OWN_LEADS)
    done = time.perf_counter()
    if not prepared.ok:
        raise SystemExit(f"{path.name}: {prepared.errors:,} rows with errors: {prepared.problem_counts}")
    return table, prepared, {"disk_s": read - started, "read_csv_s": parsed - read, "prepare_s": done - parsed,
                      "parse_s": done - started}  # fmt: skip


def _tuples(prepared, *, sqlite: bool) -> list[tuple]:
    """The prepared rows as the tuples the engine sends (its own conversion: text times on SQLite)."""
    from sla_model.importing import importer

    table = importer._arrow(prepared.frame, text_times=sqlite)
    return list(zip(*(table[c].to_pylist() for c in table.column_names), strict=True))


def _floor_ddl(columns: list[str], dialect) -> str:
    """CREATE TABLE for the floor: the lead table's columns and types, no key, index or constraint."""
    from sqlmodel import SQLModel

    from sla_model.store import db  # noqa: F401  (registers the tables)

    lead = SQLModel.metadata.tables["lead"]
    cols = ", ".join(f'"{c}" {lead.c[c].type.compile(dialect=dialect)}' for c in columns)
    return f'CREATE TABLE "{FLOOR_TABLE}" ({cols})'


def _pg_conninfo(url: str) -> str:
    """A libpq connection string for a SQLAlchemy URL."""
    from sqlalchemy.engine import make_url

    return make_url(url).set(drivername="postgresql", query={}).render_as_string(hide_password=False)


def _schema_url(url: str, schema: str) -> str:
    """``url`` with its search path set to ``schema`` (as tests/conftest.py isolates PostgreSQL tests)."""
    from sla_model.store.db import database_url

    url = database_url(url)
    return f"{url}{'&' if '?' in url else '?'}options={quote(f'-csearch_path={schema}')}"


def floor_sqlite(path: Path, db_file: Path, *, bulk: bool = True) -> dict:
    """The SQLite write floor: the same rows into an unindexed table in one transaction.

    With ``bulk``: ADBC's SQLite driver ingesting the engine's Arrow table (what the engine's writer uses, without
    key, indexes, process or pipe). Without: a bare ``sqlite3`` ``executemany`` of ready tuples (for reference).
    """
    import sqlite3

    from sqlalchemy.dialects import sqlite as sqlite_dialect

    from sla_model.importing import importer

    _, prepared, _ = _parse(path)
    columns = list(prepared.frame.columns)
    ddl = _floor_ddl(columns, sqlite_dialect.dialect())
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_file}{suffix}").unlink(missing_ok=True)
    conn = sqlite3.connect(db_file, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(ddl)
    conn.close()
    if bulk:
        import adbc_driver_sqlite.dbapi as adbc

        table = importer._arrow(prepared.frame, text_times=True)
        _reset_peak()
        started = time.perf_counter()
        with adbc.connect(str(db_file), autocommit=True) as bulk_conn, bulk_conn.cursor() as cur:
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("BEGIN IMMEDIATE")
            cur.adbc_ingest(FLOOR_TABLE, table, mode="append")
            cur.execute("COMMIT")
        seconds = time.perf_counter() - started
    else:
        rows = _tuples(prepared, sqlite=True)
        marks = ", ".join("?" for _ in columns)
        _reset_peak()
        started = time.perf_counter()
        conn = sqlite3.connect(db_file, isolation_level=None)
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("BEGIN")
        conn.executemany(f'INSERT INTO "{FLOOR_TABLE}" VALUES ({marks})', rows)
        conn.execute("COMMIT")
        seconds = time.perf_counter() - started
        conn.close()
    peak = _peak_mb()
    conn = sqlite3.connect(db_file)
    count = conn.execute(f'SELECT COUNT(*) FROM "{FLOOR_TABLE}"').fetchone()[0]
    conn.close()
    return {"seconds": seconds, "rows": count, "peak_mb": peak}


def floor_postgres(path: Path, url: str, schema: str) -> dict:
    """The PostgreSQL write floor: bare psycopg ``COPY`` of ready tuples into a plain table without indexes."""
    import psycopg
    from sqlalchemy.dialects import postgresql

    _, prepared, _ = _parse(path)
    rows = _tuples(prepared, sqlite=False)
    columns = list(prepared.frame.columns)
    ddl = _floor_ddl(columns, postgresql.dialect())
    names = ", ".join(f'"{c}"' for c in columns)
    _reset_peak()
    started = time.perf_counter()
    with psycopg.connect(_pg_conninfo(url), options=f"-csearch_path={schema}") as conn:
        with conn.cursor() as cur:
            cur.execute(f'DROP TABLE IF EXISTS "{FLOOR_TABLE}"')
            cur.execute(ddl)
            with cur.copy(f'COPY "{FLOOR_TABLE}" ({names}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row)
        conn.commit()
        seconds = time.perf_counter() - started
        count = conn.execute(f'SELECT COUNT(*) FROM "{FLOOR_TABLE}"').fetchone()[0]
        conn.execute(f'DROP TABLE "{FLOOR_TABLE}"')
        conn.commit()
    return {"seconds": seconds, "rows": count, "peak_mb": _peak_mb()}


def floor_parse(path: Path) -> dict:
    """The parse floor: ``pyarrow.csv.read_csv`` of the same bytes, every column a string."""
    import io

    import pyarrow as pa
    import pyarrow.csv as pacsv

    started = time.perf_counter()
    data = path.read_bytes()
    header = data[: data.index(b"\n")].decode().split(",")
    table = pacsv.read_csv(
        io.BytesIO(data), convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(header, pa.string()))
    )
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "rows": table.num_rows, "peak_mb": _peak_mb()}


def parse_only(path: Path) -> dict:
    """The engine's parse alone: file bytes, ``read_csv``, ``prepare``."""
    _, prepared, timings = _parse(path)
    return {**timings, "seconds": timings["parse_s"], "rows": len(prepared.frame), "peak_mb": _peak_mb()}


def engine_import(path: Path, url: str, *, fresh: bool) -> dict:
    """Parse the file and ``importer.write`` it (into empty tables if ``fresh``); timings, phases, peaks."""
    from sqlmodel import SQLModel

    from sla_model.access import Actor, Role
    from sla_model.importing import importer
    from sla_model.store.db import is_sqlite, make_engine

    if fresh and url.startswith("sqlite"):
        for suffix in ("", "-wal", "-shm"):
            Path(url.split("///", 1)[1] + suffix).unlink(missing_ok=True)
    engine = make_engine(url)  # creates the (empty) tables: not timed
    if fresh and not url.startswith("sqlite"):  # a repeated run starts from empty tables again
        SQLModel.metadata.drop_all(engine)
        SQLModel.metadata.create_all(engine)
    baseline = _peak_mb()
    table, prepared, timings = _parse(path)
    parse_peak = _peak_mb()
    del table  # the file's cells are freed before the write, as `python -m sla_model import` does
    events: list[tuple[float, float, str]] = []

    def progress(fraction: float, message: str) -> None:
        events.append((time.perf_counter(), fraction, message))

    writer_runs: list[dict] = []
    bulk_write = importer.sqlite_bulk.write

    def measured(*args, **kwargs):  # keeps the SQLite writer process's result (its own peak memory)
        writer_runs.append(bulk_write(*args, **kwargs))
        return writer_runs[-1]

    importer.sqlite_bulk.write = measured
    importer._release_memory()  # the write's first step (the freed file cells handed back), before its peak
    _reset_peak()
    started = time.perf_counter()
    result = importer.write(engine, prepared, actor=Actor("benchmark", Role.MANAGER), progress=progress)
    write_s = time.perf_counter() - started
    write_peak = _peak_mb()
    engine.dispose()

    sqlite = is_sqlite(engine)
    writer_peak = sum(r["peak_mb"] or 0.0 for r in writer_runs)  # SQLite's writer process
    rows_end = max(t for t, _, m in events if m.startswith("writing rows"))
    at = {m: t for t, _, m in events if not m.startswith("writing rows")}
    if "writing" not in at:  # an empty table: the rows went straight in, no staging, no comparison
        phases = {"send_and_insert_s": rows_end - started}
        if "indexing" in at:
            phases["send_and_insert_s"] = at["indexing"] - started
            phases["index_s"] = at["recording the import"] - at["indexing"]
    else:
        start_compare = at.get("comparing with the stored rows", rows_end)
        phases = {"send_and_stage_s": start_compare - started, "compare_s": at["writing"] - start_compare}
        phases["upsert_s"] = at["recording the import"] - at["writing"]
    phases["audit_and_commit_s"] = at["done"] - at["recording the import"]
    again = time.perf_counter()  # attribution only, after the measured write: the engine's frame -> Arrow step
    importer._arrow(prepared.frame, text_times=sqlite)
    phases["of_which_convert_s"] = time.perf_counter() - again
    return {
        **timings,
        "write_s": write_s,
        "seconds": timings["parse_s"] + write_s,
        "phases": phases,
        "inserted": result.inserted,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "baseline_mb": baseline,
        "parse_peak_mb": parse_peak,
        "write_peak_mb": write_peak + writer_peak,
        "writer_process_peak_mb": writer_peak if sqlite else 0.0,
        "peak_mb": max(parse_peak, write_peak + writer_peak),
    }


def cli_import(path: Path, db_file: Path) -> dict:
    """``python -m sla_model import FILE --format own`` into a fresh SQLite file: wall time and peak memory.

    The peak is the command's ``ru_maxrss`` from ``wait4`` (it would include this small parent's size at the fork,
    which the import's own peak far exceeds).
    """
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_file}{suffix}").unlink(missing_ok=True)
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db_file}"}
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "sla_model", "import", str(path), "--format", "own"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"the import command failed ({proc.returncode}): {out}")
    return {"seconds": seconds, "peak_mb": usage.ru_maxrss / 1024, "output": out.strip().splitlines()[-1]}


def _child(step: str, path: Path, **options: str) -> dict:
    """Run one step in a fresh Python process and return what it measured."""
    cmd = [sys.executable, __file__, "--child", step, "--csv", str(path)]
    for key, value in options.items():
        cmd += [f"--{key}", value]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"step {step} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_child(args: argparse.Namespace) -> dict:
    """The ``--child`` entry point: one measured step."""
    if args.child == "generate":
        return generate_csv(args.leads)
    if args.child == "parse-floor":
        return floor_parse(args.csv)
    if args.child == "parse":
        return parse_only(args.csv)
    if args.child == "sqlite-floor":
        return floor_sqlite(args.csv, Path(args.db))
    if args.child == "sqlite-executemany":
        return floor_sqlite(args.csv, Path(args.db), bulk=False)
    if args.child == "pg-floor":
        return floor_postgres(args.csv, args.url, args.schema)
    return engine_import(args.csv, args.url, fresh=args.child in ("sqlite-import", "pg-import"))


def _median(runs: list[dict], key: str = "seconds") -> float:
    values = sorted(r[key] for r in runs)
    return values[len(values) // 2]


def _pg_available(url: str) -> str | None:
    """None if PostgreSQL at ``url`` answers, else why not."""
    import psycopg

    try:
        with psycopg.connect(_pg_conninfo(url), connect_timeout=5) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:  # noqa: BLE001  (any failure means: skip PostgreSQL)
        return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return None


def _pg_schema(url: str, schema: str, *, create: bool) -> None:
    """Create or drop (cascade) the benchmark's own schema."""
    import psycopg

    with psycopg.connect(_pg_conninfo(url), autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"' if create else f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def measure_backend(name: str, path: Path, url: str, floor_opts: dict, repeat: int) -> dict:
    """First import, re-import and the write floor on one database, ``repeat`` times each."""
    key = "sqlite" if name == "SQLite" else "pg"
    out = {"floor": [], "import": [], "reimport": [], "reference": []}
    for _ in range(repeat):
        out["floor"].append(_child(f"{key}-floor", path, **floor_opts))
        if key == "sqlite":  # the plain Python way, for reference
            out["reference"].append(_child("sqlite-executemany", path, **floor_opts))
        out["import"].append(_child(f"{key}-import", path, url=url))
        out["reimport"].append(_child(f"{key}-reimport", path, url=url))
    expected = out["floor"][0]["rows"]
    for run in out["import"]:
        assert (run["inserted"], run["updated"], run["unchanged"]) == (expected, 0, 0), run
    for run in out["reimport"]:
        assert (run["inserted"], run["updated"], run["unchanged"]) == (0, 0, expected), run
    return out


def _row(label: str, seconds: float, floor: float | None, peak: float | None, target: str = "") -> str:
    floor_s = f"{floor:8.2f}" if floor else f"{'':8}"
    ratio = f"{seconds / floor:6.2f}" if floor else f"{'':6}"
    peak_s = f"{peak:8,.0f}" if peak is not None else f"{'':8}"
    return f"  {label:<44}{seconds:8.2f}  {floor_s}  {ratio}  {peak_s}  {target}"


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def _print_backend(name: str, runs: dict, parse_floor: float) -> dict:
    """Print one database's rows; return its medians."""
    floor = _median(runs["floor"])
    first = sorted(runs["import"], key=lambda r: r["write_s"])[len(runs["import"]) // 2]
    again = sorted(runs["reimport"], key=lambda r: r["write_s"])[len(runs["reimport"]) // 2]
    peak_first = max(r["write_peak_mb"] for r in runs["import"])
    peak_again = max(r["write_peak_mb"] for r in runs["reimport"])
    peak_e2e = max(r["peak_mb"] for r in runs["import"])
    e2e = _median(runs["import"])
    floor_peak = max(r["peak_mb"] for r in runs["floor"])
    mem_ok = all(p < TARGET_MB for p in (peak_first, peak_again, peak_e2e))
    print(f"{name}:")
    bare = "bare ADBC ingest, no key or index" if name == "SQLite" else "bare psycopg COPY"
    print(_row(f"write floor ({bare})", floor, None, floor_peak))
    if runs["reference"]:
        reference = _median(runs["reference"])
        print(_row("  reference: bare sqlite3 executemany", reference, floor, None))
    print(_row("first import: write (all new)", first["write_s"], floor, peak_first, _mem(peak_first)))
    print(_row("re-import: write (all unchanged)", again["write_s"], floor, peak_again, _mem(peak_again)))
    target = ""
    if name == "SQLite":
        target = f"{_verdict(e2e <= TARGET_SECONDS)} ≤ {TARGET_SECONDS:.0f} s; {_mem(peak_e2e)}"
    else:
        target = _mem(peak_e2e)
    print(_row("end to end: parse + first write", e2e, parse_floor + floor, peak_e2e, target))
    for label, run in (("first import", first), ("re-import", again)):
        parts = ", ".join(f"{k.removesuffix('_s').replace('_', ' ')} {v:.2f}" for k, v in run["phases"].items())
        print(f"    {label} write phases (s): {parts}")
    return {"write_floor_s": floor, "first_write_s": first["write_s"], "reimport_write_s": again["write_s"],
            "end_to_end_s": e2e, "first_write_peak_mb": peak_first, "reimport_write_peak_mb": peak_again,
            "end_to_end_peak_mb": peak_e2e, "first_write_phases": first["phases"],
            "reimport_write_phases": again["phases"], "memory_ok": mem_ok,
            "runs": runs}  # fmt: skip


def _mem(peak: float) -> str:
    return f"{_verdict(peak < TARGET_MB)} < {TARGET_MB:,.0f} MB"


def main() -> None:
    """Measure every step in child processes, print the table and the JSON line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each step (median reported)")
    parser.add_argument("--regenerate", action="store_true", help="regenerate the CSV file even if present")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
        help="PostgreSQL server to use (a schema of its own is created and dropped); '' skips PostgreSQL "
        "(default: TEST_DATABASE_URL, else %(default)s)",
    )
    parser.add_argument("--no-cli", action="store_true", help="skip timing the import command end to end")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--csv", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--schema", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_child(args)))
        return

    DATA.mkdir(parents=True, exist_ok=True)
    path = csv_path(args.leads)
    if args.regenerate or not path.exists():
        made = _child("generate", path, leads=str(args.leads))
        print(f"generated {made['leads']:,} leads in {made['seconds']:.1f} s")
    size_mb = path.stat().st_size / 1e6
    print(f"importing {path.relative_to(ROOT)} ({size_mb:,.0f} MB), each step in a fresh process, "
          f"median of {args.repeat} run(s)")  # fmt: skip

    parse_floor_runs = [_child("parse-floor", path) for _ in range(args.repeat)]
    parse_runs = [_child("parse", path) for _ in range(args.repeat)]
    rows = parse_runs[0]["rows"]
    parse_floor = _median(parse_floor_runs)
    parse = sorted(parse_runs, key=lambda r: r["seconds"])[len(parse_runs) // 2]
    parse_peak = max(r["peak_mb"] for r in parse_runs)

    sqlite_db = DATA / f"import_{args.leads}.db"
    sqlite_runs = measure_backend(
        "SQLite", path, f"sqlite:///{sqlite_db}", {"db": str(DATA / f"import_floor_{args.leads}.db")}, args.repeat
    )
    pg_runs, pg_skip = None, None
    if not args.pg_url:
        pg_skip = "PostgreSQL: skipped (--pg-url '')"
    elif (why := _pg_available(args.pg_url)) is not None:
        pg_skip = f"PostgreSQL: skipped, the server at {args.pg_url!r} is unreachable: {why}"
    else:
        schema = f"bench_import_{uuid.uuid4().hex[:10]}"
        _pg_schema(args.pg_url, schema, create=True)
        try:
            pg_runs = measure_backend(
                "PostgreSQL", path, _schema_url(args.pg_url, schema), {"url": args.pg_url, "schema": schema},
                args.repeat,
            )  # fmt: skip
        finally:
            _pg_schema(args.pg_url, schema, create=False)
    cli = None if args.no_cli else cli_import(path, DATA / f"import_cli_{args.leads}.db")

    print(f"\n  {f'{rows:,} leads':<44}{'seconds':>8}  {'floor s':>8}  {'ratio':>6}  {'peak MB':>8}  target")
    print(_row("parse floor (pyarrow read_csv, all strings)", parse_floor, None, max(
        r["peak_mb"] for r in parse_floor_runs)))  # fmt: skip
    print(_row("parse: read_csv + prepare", parse["seconds"], parse_floor, parse_peak, _mem(parse_peak)))
    print(f"    of which (s): disk {parse['disk_s']:.2f}, read_csv {parse['read_csv_s']:.2f}, "
          f"prepare {parse['prepare_s']:.2f}")  # fmt: skip
    figures = {
        "leads": rows,
        "file_mb": size_mb,
        "repeat": args.repeat,
        "target_s": TARGET_SECONDS,
        "target_mb": TARGET_MB,
        "parse_floor_s": parse_floor,
        "parse_s": parse["seconds"],
        "read_csv_s": parse["read_csv_s"],
        "prepare_s": parse["prepare_s"],
        "parse_peak_mb": parse_peak,
    }
    figures["sqlite"] = _print_backend("SQLite", sqlite_runs, parse_floor)
    if pg_runs is None:
        print(pg_skip)
        figures["postgresql"] = None
    else:
        figures["postgresql"] = _print_backend("PostgreSQL", pg_runs, parse_floor)
    if cli is not None:
        label = "CLI `python -m sla_model import` (SQLite)"
        print(_row(label, cli["seconds"], None, cli["peak_mb"], _mem(cli["peak_mb"])))
        print(f"    whole command: interpreter start, imports, tables, parse, write; it printed: {cli['output']}")
        figures["cli"] = cli
    e2e = figures["sqlite"]["end_to_end_s"]
    memory_ok = parse_peak < TARGET_MB and figures["sqlite"]["memory_ok"]
    memory_ok = memory_ok and (pg_runs is None or figures["postgresql"]["memory_ok"])
    memory_ok = memory_ok and (cli is None or cli["peak_mb"] < TARGET_MB)
    print(f"\nSQLite end to end {e2e:.2f} s: {_verdict(e2e <= TARGET_SECONDS)} (target ≤ {TARGET_SECONDS:.0f} s); "
          f"peak memory of every step: {_verdict(memory_ok)} (target < {TARGET_MB:,.0f} MB)")  # fmt: skip
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
