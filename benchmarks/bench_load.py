"""Generate 1,000,000 leads, store them in SQLite, and time loading them into the analysis frame.

The floor is a bare ADBC fetch of the same query into Arrow, in the measuring process (no reader process, no
types, no pandas): what the app's bulk reader does at the least. A bare DB-API ``fetchall`` (Python tuples) is
printed for reference. The ratio says what the frame building costs on top of the floor. The whole data set
(leads, touches and decisions: what the app reloads after every write) is timed too. Peak memory is measured
in a fresh child process per step; the reader process's own peak is printed beside it.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = ROOT / "benchmarks" / "_data"


def _peak_mb() -> float:
    """This process's peak resident memory (VmHWM: reset at exec, unlike ru_maxrss)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build(n: int, path: Path) -> dict:
    from sqlmodel import Session

    from sla_model.generator import generate, sample_slas
    from sla_model.store.db import make_engine
    from sla_model.store.repository import add_sla_version, bulk_insert, bump_data_version

    started = time.perf_counter()
    data = generate(n_leads=n)
    generated = time.perf_counter() - started
    path.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{path}")
    started = time.perf_counter()
    with Session(engine) as session:
        for sla in sample_slas():
            add_sla_version(session=session, sla=sla, actor="benchmark")
        bulk_insert(session.connection(), "lead", data.leads)
        bulk_insert(session.connection(), "touch", data.touches)
        bulk_insert(session.connection(), "feedback", data.feedback)
        bump_data_version(session=session)
        session.commit()
    written = time.perf_counter() - started
    return {"leads": len(data.leads), "touches": len(data.touches), "generate_s": generated, "write_s": written}


def measure(step: str, path: Path) -> dict:
    from sla_model.store.db import make_engine
    from sla_model.store.repository import (
        LEAD_COLUMNS,
        LEAD_TIME_COLUMNS,
        load_feedback,
        load_leads,
        load_touches,
        select_sql,
    )

    engine = make_engine(f"sqlite:///{path}")
    baseline = _peak_mb()
    started = time.perf_counter()
    if step == "floor":
        import adbc_driver_sqlite.dbapi as adbc

        engine.dispose()  # no sqlite3 connection open beside ADBC's own SQLite in this process

        with adbc.connect(str(path)) as conn, conn.cursor() as cursor:
            cursor.adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": str(2**30)})
            cursor.execute(select_sql("sqlite", "lead", LEAD_COLUMNS, LEAD_TIME_COLUMNS))
            count = cursor.fetch_arrow_table().num_rows
    elif step == "fetchall":
        with engine.connect() as conn:
            cursor = conn.connection.dbapi_connection.cursor()
            rows = cursor.execute(select_sql("sqlite", "lead", LEAD_COLUMNS, LEAD_TIME_COLUMNS)).fetchall()
        count = len(rows)
    elif step == "dataset":
        count = len(load_leads(engine=engine)) + len(load_touches(engine=engine)) + len(load_feedback(engine=engine))
    else:
        frame = load_leads(engine=engine)
        count = len(frame)
    seconds = time.perf_counter() - started
    reader_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # the bulk reader process, if any
    return {"seconds": seconds, "rows": count, "peak_mb": _peak_mb(), "baseline_mb": baseline, "reader_mb": reader_mb}


def _child(step: str, path: Path) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", step, "--db", str(path)], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="timed loads of each kind (median reported)")
    parser.add_argument("--rebuild", action="store_true", help="regenerate the database even if present")
    parser.add_argument("--child", choices=["floor", "fetchall", "frame", "dataset"], help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.db)))
        return

    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"leads_{args.leads}.db"
    if args.rebuild or not path.exists():
        built = build(args.leads, path)
        print(f"generated {built['leads']:,} leads and {built['touches']:,} touches in {built['generate_s']:.1f} s")
        print(f"wrote them to SQLite in {built['write_s']:.1f} s ({path.stat().st_size / 1e6:,.0f} MB)")
    steps = ("floor", "fetchall", "frame", "dataset")
    runs = {step: [_child(step, path) for _ in range(args.repeat)] for step in steps}
    median = {step: sorted(r["seconds"] for r in rs)[len(rs) // 2] for step, rs in runs.items()}
    peak = {step: max(r["peak_mb"] - r["baseline_mb"] for r in rs) for step, rs in runs.items()}
    reader = {step: max(r["reader_mb"] for r in rs) for step, rs in runs.items()}
    rows = runs["frame"][0]["rows"]
    print(f"load {rows:,} leads from SQLite, median of {args.repeat} runs, each in a fresh process:")
    print(f"  floor (bare ADBC fetch into Arrow)     {median['floor']:6.2f} s   peak +{peak['floor']:,.0f} MB")
    print(f"  reference: bare DB-API fetchall        {median['fetchall']:6.2f} s   peak +{peak['fetchall']:,.0f} MB")
    print(f"  analysis frame (load_leads)            {median['frame']:6.2f} s   peak +{peak['frame']:,.0f} MB, "
          f"reader process {reader['frame']:,.0f} MB")  # fmt: skip
    print(f"  ratio frame / floor                    {median['frame'] / median['floor']:6.2f}")
    print(
        f"  whole data set ({runs['dataset'][0]['rows'] - rows:,} touches and decisions too) "
        f"{median['dataset']:6.2f} s   peak +{peak['dataset']:,.0f} MB, reader process {reader['dataset']:,.0f} MB"
    )


if __name__ == "__main__":
    main()
