"""Writes under load: 20 reps deciding and logging touches while a large leads import runs, on SQLite and PostgreSQL.

Per backend, a database is seeded with generated leads (20,000 by default; every MQL reopened, so each rep has
open MQLs of their own to decide), then:

* floor: the writers alone, with no import running: each of ``--writers`` threads (one engine, as in the app's
  server process) makes ``--floor-writes`` writes through the app's own actions (:func:`sla_model.actions.decide`
  and :func:`sla_model.actions.log_touch`, alternately, as a rep on their own leads), ``--pause`` seconds apart
  on average;
* under load: the same writers, while ``python -m sla_model import`` (the import command, in a process of its own)
  imports a generated file of ``--leads`` new leads; the writers run until the import ends.

Every write's latency is timed, and each error counted by type. Afterwards the database is compared with what
each writer believes it stored: a write that stored its row but raised or returned no confirmation is a write the
user was not told about (the issue's "stored the decision and showed no message"); a confirmed write that is not
stored is a lost one. A page's data is timed too: a reader process (as a page does on each rerun) checks the data
version every ``--read-every`` seconds and brings its data set up to date, by the incremental catch-up
(:func:`sla_model.store.refresh.catch_up_between`) or, when that cannot (after the import), a full reload
(:func:`sla_model.store.snapshot.load_frames`).

SQLite is a file in ``benchmarks/_data``; PostgreSQL a scratch database ``bench_load_<pid>`` created on the server of
``TEST_DATABASE_URL`` (or ``--pg-url``) and dropped afterwards (skipped with a printed line when unreachable).
The last line printed is every figure as JSON. The host may be shared: latencies are noisy, the floor is measured
in the same run for that reason.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import shutil
import subprocess
import sys
import threading
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = ROOT / "benchmarks" / "_data"
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
MARK = "bench writer"  # every touch a writer logs says so in its outcome


# --------------------------------------------------------------------------- data


def seed(engine, n: int) -> None:
    """Generated leads, touches and the sample SLAs; every MQL reopened (its decision and later stages cleared)."""
    import numpy as np
    from sqlmodel import Session

    from sla_model.generator import generate, sample_slas
    from sla_model.store.repository import add_sla_version, bulk_insert, bump_data_version

    data = generate(n_leads=n)
    leads = data.leads.copy()
    mql = leads["mql_at"].notna().to_numpy()
    for column in ("accepted_at", "rejected_at", "recycled_at", "disqualified_at", "sql_at", "opportunity_at",
                   "won_at", "lost_at"):  # fmt: skip
        leads.loc[mql, column] = None
    leads.loc[mql, "rejection_reason"] = None
    leads.loc[mql, "amount"] = np.nan
    with Session(engine) as session:
        for sla in sample_slas():
            add_sla_version(session=session, sla=sla, actor="benchmark")
        bulk_insert(session.connection(), "lead", leads)
        bulk_insert(session.connection(), "touch", data.touches)
        bump_data_version(session=session)
        session.commit()


def import_file(n: int) -> Path:
    """A generated leads file of ``n`` new leads (IDs ``M…``, none stored by :func:`seed`) in the app's format."""
    from sla_model.generator import SEED, generate, write_csv

    folder = DATA / f"writes_import_{n}"
    path = folder / "leads.csv.gz"
    if path.exists():
        return path
    data = generate(n_leads=n, seed=SEED + 1)
    leads = data.leads.assign(lead_id=data.leads["lead_id"].str.replace("L", "M", n=1))
    tmp = DATA / f"writes_import_{n}_tmp"
    write_csv(replace(data, leads=leads, touches=data.touches.head(0), feedback=data.feedback.head(0)), tmp)
    folder.mkdir(parents=True, exist_ok=True)
    (tmp / "leads.csv.gz").rename(path)
    shutil.rmtree(tmp)
    return path


# --------------------------------------------------------------------------- writers


@dataclass
class Call:
    kind: str  # "decide" or "touch"
    key: str  # the lead decided, or the touch's outcome marker
    phase: str
    seconds: float
    outcome: str  # "confirmed", "refused", "nothing" (returned no confirmation) or "error"
    error: str = ""


@dataclass
class Writer:
    index: int
    actor: object
    leads: list[str]
    reason: str
    calls: list[Call] = field(default_factory=list)
    seq: int = 0

    def one(self, engine, phase: str) -> None:
        from sla_model.actions import decide, log_touch

        self.seq += 1
        decide_now = self.seq % 2 == 1 and bool(self.leads)
        if decide_now:
            kind, key = "decide", self.leads.pop()
        else:
            kind, key = "touch", f"{MARK} {self.index} #{self.seq}"
        started = time.perf_counter()
        outcome, error = "nothing", ""
        try:
            if decide_now:
                accept = self.seq % 3 != 0
                results = decide(engine=engine, actor=self.actor, lead_ids=[key], accept=accept,
                                 reason=None if accept else self.reason)  # fmt: skip
                if results and results[0].ok and results[0].message:
                    outcome = "confirmed"
                elif results:
                    outcome, error = "refused", results[0].message
            else:
                touch = log_touch(engine=engine, actor=self.actor, lead_id=self.touch_lead, kind="call", outcome=key)
                if touch is not None and touch.id is not None:
                    outcome = "confirmed"
        except Exception as exc:  # noqa: BLE001  (every error is counted by type)
            outcome, error = "error", f"{type(exc).__name__}: {str(exc).strip().splitlines()[0][:90]}"
        self.calls.append(Call(kind, key, phase, time.perf_counter() - started, outcome, error))


def make_writers(engine, count: int) -> list[Writer]:
    """``count`` reps, two per lead owner, each with a disjoint share of that owner's open MQLs."""
    from sqlalchemy import text

    from sla_model.access import Actor, Role
    from sla_model.agreement.sla import in_force
    from sla_model.generator import sample_slas
    from sla_model.store.models import utcnow

    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT lead_id, owner FROM lead WHERE mql_at IS NOT NULL AND accepted_at IS NULL "
                "AND owner IS NOT NULL ORDER BY lead_id"
            )  # fmt: skip
        ).all()
    by_owner: dict[str, list[str]] = {}
    for lead_id, owner in rows:
        by_owner.setdefault(owner, []).append(lead_id)
    owners = sorted(by_owner)
    per_owner = -(-count // len(owners))
    reason = next(iter(in_force(sample_slas(), utcnow().date()).reason_action()))
    writers = []
    for i in range(count):
        owner = owners[i % len(owners)]
        mine = by_owner[owner][i // len(owners) :: per_owner]
        actor = Actor(name=f"Rep {i:02d} ({owner})", role=Role.REP, rep=owner, id=f"bench:{i}")
        writer = Writer(i, actor, list(reversed(mine)), reason)
        writer.touch_lead = mine[0]
        writers.append(writer)
    return writers


def run_writers(engine, writers: list[Writer], phase: str, *, pause: float, writes: int | None,
                until: threading.Event | None) -> float:  # fmt: skip
    """Each writer in its own thread: ``writes`` writes, or until ``until`` is set; the seconds it took."""

    def work(w: Writer) -> None:
        done, rng = 0, random.Random(w.index)
        time.sleep(rng.uniform(0, pause))  # the writers do not click in step
        while (writes is not None and done < writes) or (until is not None and not until.is_set()):
            w.one(engine, phase)
            done += 1
            time.sleep(rng.uniform(0.5 * pause, 1.5 * pause))

    started = time.perf_counter()
    threads = [threading.Thread(target=work, args=(w,)) for w in writers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - started


def check(engine, writers: list[Writer]) -> dict:
    """Compare what is stored with what each writer was told; counts per phase."""
    from sqlalchemy import text

    with engine.connect() as conn:
        decided = {(by, lead) for by, lead in conn.execute(text('SELECT "by", lead_id FROM feedback'))}
        touched = {r[0] for r in conn.execute(text("SELECT outcome FROM touch WHERE outcome LIKE :m"),
                                              {"m": f"{MARK} %"})}  # fmt: skip
    out: dict[str, Counter] = {}
    for w in writers:
        for c in w.calls:
            stored = (w.actor.name, c.key) in decided if c.kind == "decide" else c.key in touched
            told = c.outcome == "confirmed"
            verdict = {(True, True): "stored, confirmed", (True, False): "stored WITHOUT confirmation",
                       (False, True): "confirmed but NOT stored", (False, False): "not stored, told why"}  # fmt: skip
            out.setdefault(c.phase, Counter())[verdict[stored, told]] += 1
    return {phase: dict(counts) for phase, counts in out.items()}


# --------------------------------------------------------------------------- page data reader


def reader(url: str, every: float, stop, results) -> None:
    """A page's data, kept up to date as each rerun does: catch up on small writes, reload in full otherwise."""
    from sqlmodel import Session

    from sla_model.store.db import make_engine
    from sla_model.store.refresh import catch_up_between
    from sla_model.store.repository import data_version, list_sla_versions
    from sla_model.store.snapshot import load_frames

    try:
        engine = make_engine(url, upgrade=False)
        with Session(engine) as session:
            versions = list_sla_versions(session=session)
        version = data_version(engine=engine)
        frames, _ = load_frames(engine, url=url, version=version, versions=versions)
        results["rows"] = len(frames.leads)
        out = []
        while not stop.is_set():
            phase = "load" if stop_phase(results) else "floor"
            latest = data_version(engine=engine)
            if latest != version:
                started = time.perf_counter()
                fresh = catch_up_between(frames, engine=engine, since=version, until=latest, versions=versions)
                how = "catch-up"
                if fresh is None:
                    fresh, _ = load_frames(engine, url=url, version=latest, versions=versions)
                    how = "full reload"
                out.append((phase, how, time.perf_counter() - started, len(fresh.leads)))
                frames, version = fresh, latest
                results["rows"] = len(frames.leads)
            time.sleep(every)
        results["reads"] = out
    except Exception:  # noqa: BLE001
        results["error"] = traceback.format_exc()


def stop_phase(results) -> bool:
    return bool(results.get("phase") == "load")


# --------------------------------------------------------------------------- one backend


def stats(values: list[float]) -> dict:
    if not values:
        return {"n": 0}
    v = sorted(values)
    return {"n": len(v), "min": v[0], "median": v[len(v) // 2], "p95": v[min(len(v) - 1, int(0.95 * len(v)))],
            "max": v[-1]}  # fmt: skip


def bench(name: str, url: str, args) -> dict:
    from sla_model.store.db import make_engine

    engine = make_engine(url)
    started = time.perf_counter()
    seed(engine, args.seed_leads)
    seeded = time.perf_counter() - started
    writers = make_writers(engine, args.writers)
    path = import_file(args.leads)

    ctx = mp.get_context("spawn")
    manager = ctx.Manager()
    shared, stop = manager.dict(), manager.Event()
    env_snap = os.environ.get("SMARKETING_SNAPSHOT_DIR")
    os.environ["SMARKETING_SNAPSHOT_DIR"] = str(DATA / "writes_snapshots")
    read_proc = ctx.Process(target=reader, args=(url, args.read_every, stop, shared))
    read_proc.start()
    while "rows" not in shared and "error" not in shared and read_proc.is_alive():
        time.sleep(0.2)  # the reader's first full load, before any write

    floor_s = run_writers(engine, writers, "floor", pause=args.pause, writes=args.floor_writes, until=None)
    time.sleep(args.read_every * 2)
    shared["phase"] = "load"
    done = threading.Event()
    env = dict(os.environ, DATABASE_URL=url, PYTHONPATH=str(ROOT))
    imp_started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "sla_model", "import", str(path)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip

    def wait_import() -> None:
        proc.wait()
        done.set()

    waiter = threading.Thread(target=wait_import)
    waiter.start()
    load_s = run_writers(engine, writers, "load", pause=args.pause, writes=None, until=done)
    waiter.join()
    import_s = time.perf_counter() - imp_started
    out, err = proc.communicate()
    time.sleep(args.read_every * 3)  # the reader's catch-up or reload after the import
    deadline = time.perf_counter() + 300
    want = args.seed_leads + (args.leads if proc.returncode == 0 else 0)
    while time.perf_counter() < deadline and shared.get("rows", 0) < want and "error" not in shared:
        time.sleep(0.5)  # until the page's data holds the imported leads
    stop.set()
    read_proc.join(timeout=600)
    if env_snap is None:
        os.environ.pop("SMARKETING_SNAPSHOT_DIR", None)
    else:
        os.environ["SMARKETING_SNAPSHOT_DIR"] = env_snap
    reads = list(shared.get("reads", []))
    read_error = shared.get("error")
    manager.shutdown()

    verdicts = check(engine, writers)
    engine.dispose()
    calls = [c for w in writers for c in w.calls]
    result = {"backend": name, "seed_leads": args.seed_leads, "import_leads": args.leads, "seed_s": seeded,
              "import_s": import_s, "import_rc": proc.returncode, "import_out": out.strip().splitlines()[-1:] or
              [err.strip()[-300:]], "floor_s": floor_s, "load_s": load_s, "read_error": read_error}  # fmt: skip
    for phase in ("floor", "load"):
        mine = [c for c in calls if c.phase == phase]
        result[phase] = {
            "writes": len(mine),
            "latency": stats([c.seconds for c in mine]),
            "decide": stats([c.seconds for c in mine if c.kind == "decide"]),
            "touch": stats([c.seconds for c in mine if c.kind == "touch"]),
            "over_1s": sum(c.seconds > 1.0 for c in mine),
            "outcomes": dict(Counter(c.outcome for c in mine)),
            "errors": dict(Counter(c.error for c in mine if c.outcome == "error")),
            "refused": dict(Counter(c.error.split(" ", 2)[-1][:60] for c in mine if c.outcome == "refused")),
            "verdicts": verdicts.get(phase, {}),
            "reads": {
                how: stats([s for p, h, s, _ in reads if p == phase and h == how])
                for how in ("catch-up", "full reload")
            },  # fmt: skip
            "read_rows": max([r for p, _, _, r in reads if p == phase], default=0),
        }
    return result


# --------------------------------------------------------------------------- printing


def _row(label: str, s: dict) -> str:
    if not s.get("n"):
        return f"    {label:<40} none"
    times = f"{s['min']:7.3f} {s['median']:7.3f} {s['p95']:7.3f} {s['max']:7.3f}"
    return f"    {label:<40} {s['n']:5,}  {times}"


def show(r: dict) -> None:
    print(f"{r['backend']}: {r['seed_leads']:,} seeded leads; import of {r['import_leads']:,} leads "
          f"(python -m sla_model import, own process) took {r['import_s']:.1f} s, exit {r['import_rc']}: "
          f"{' '.join(r['import_out'])}")  # fmt: skip
    print("    latency, seconds                          count      min  median     p95     max")
    for phase, label in (("floor", "floor (no import)"), ("load", "during the import")):
        p = r[phase]
        print(_row(f"{label}: all writes", p["latency"]))
        print(_row("  decide", p["decide"]))
        print(_row("  log_touch", p["touch"]))
    f, ld = r["floor"]["latency"], r["load"]["latency"]
    if f.get("n") and ld.get("n"):
        print(f"    ratio during / floor: median {ld['median'] / f['median']:.1f}, p95 {ld['p95'] / f['p95']:.1f}, "
              f"max {ld['max'] / f['max']:.1f}")  # fmt: skip
    for phase, label in (("floor", "floor"), ("load", "during the import")):
        p = r[phase]
        errors = ", ".join(f"{k} ×{v}" for k, v in p["errors"].items()) or "none"
        refused = ", ".join(f"{k} ×{v}" for k, v in p["refused"].items()) or "none"
        verdicts = ", ".join(f"{k} {v:,}" for k, v in sorted(p["verdicts"].items()))
        print(f"    {label}: {p['writes']:,} writes, {p['over_1s']:,} over 1 s; errors: {errors}; refused: {refused}")
        print(f"      stored vs told: {verdicts}")
    print("    page data (reader process, each time the data version moved)   count      min  median     p95     max")
    for phase, label in (("floor", "floor"), ("load", "during/after the import")):
        for how, s in r[phase]["reads"].items():
            print(_row(f"{label}: {how}", s))
    print(f"    leads in the page's data at the end: {r['load']['read_rows']:,}")
    if r["read_error"]:
        print(f"    reader failed: {r['read_error'].strip().splitlines()[-1]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leads", type=int, default=500_000, help="leads in the imported file (default %(default)s)")
    parser.add_argument("--seed-leads", type=int, default=20_000, help="leads stored before (default %(default)s)")
    parser.add_argument("--writers", type=int, default=20)
    parser.add_argument("--floor-writes", type=int, default=20, help="writes per writer with no import running")
    parser.add_argument("--pause", type=float, default=0.25, help="seconds between one writer's writes (±50%%, random)")
    parser.add_argument("--read-every", type=float, default=1.0, help="seconds between the reader's checks")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--pg-url", default=os.environ.get("TEST_DATABASE_URL", DEFAULT_PG))
    args = parser.parse_args()
    DATA.mkdir(parents=True, exist_ok=True)
    results = []
    started = time.perf_counter()
    import_file(args.leads)
    print(f"import file of {args.leads:,} leads ready in {time.perf_counter() - started:.1f} s")
    if "sqlite" in args.backends:
        path = DATA / f"writes_{os.getpid()}.db"
        try:
            results.append(bench("SQLite (file)", f"sqlite:///{path}", args))
        finally:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        show(results[-1])
    if "postgresql" in args.backends:
        from sqlalchemy import create_engine, make_url, text

        name = f"bench_load_{os.getpid()}"
        server = make_url(args.pg_url).set(drivername="postgresql+psycopg")
        try:
            admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        except Exception as exc:  # noqa: BLE001
            print(f"PostgreSQL skipped: {type(exc).__name__}: {str(exc).splitlines()[0]}")
        else:
            try:
                results.append(bench("PostgreSQL", server.set(database=name).render_as_string(False), args))
                show(results[-1])
            finally:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()
    print(json.dumps(results, default=str))


if __name__ == "__main__":
    main()
