"""Hostile input and many users (issue 22): a probe that prints its counts in the issue's own form.

Not a test and not a timing benchmark: it drives the product the way a hostile or unlucky user would and counts
what happened. Sections, each printed as one line (and every figure as JSON at the end):

* hostile files: a corpus of bad files generated into a temporary folder (absurd numbers, impossible dates,
  broken encodings, NUL bytes, huge headers, control characters, broken gzip, …), each imported with
  ``python -m sla_model import`` (in process) into a copy of a seeded database; counted: files refused, refusals
  whose message names the file (and row and column where a cell is at fault), writes from a refused import
  (the database's checksum before and after, :func:`tests.hostile.conftest.checksum`), tracebacks, control
  characters reaching the terminal; the decompression bomb read in a subprocess with an address-space limit
  (``tests/hostile/test_bomb.py``'s reader);
* wrong-role direct action calls: every write function of the library called by a rep or a viewer where a
  manager is needed (or on another rep's lead): counted refused and stored;
* concurrent writers: ``--writers`` reps racing decisions on the same leads (``bench_writes``' writers, with the
  leads shared instead of split): lost or duplicate decisions, and the write latency p50 / p95 / max;
* kill -9 mid-import: the import command's process group killed at a few points of a leads import; the database
  holds none or all of the file's rows and passes its integrity check;
* page uploads (AppTest): the hostile files (and the gzip bomb) uploaded on the Import page, and hostile What if…
  scenario files (values outside the controls, non-finite numbers, wrong types, not TOML, nested thousands deep):
  refused, naming the file (and the field), the database unchanged, no exception, nothing "loaded" silently;
* injection payloads in Chromium: the sample database with each of 7 payloads in each of 21 text fields (lead
  fields, owners, reasons and notes, touches, mapping names, SLA authors and notes, meeting decisions and
  proposals, actor names, an upload's file name), every page opened in the system Chromium (headless, through
  Playwright, as tests/browser does): scripts run (``window.__pwned``, dialogs), injected elements, links and
  markup made from data, exceptions; formula cells in the CSV downloads;
* tampered URLs: every page in AppTest with every query parameter set to one hostile value.

SQLite by default (files in a temporary folder); ``--postgres URL`` also runs the sections on a scratch database
``probe_<pid>`` created on that server and dropped afterwards.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

HEADER = "lead_id,created_at,channel,owner,company_size,page_views,form_submissions,amount,persona"
GOOD = "P0001,2026-03-01 10:00,Web,Ana Souza,50,3,1,,IT Director"


# --------------------------------------------------------------------------- databases


class Backend:
    """A seeded database to import into, and a way back to that state after each file."""

    def __init__(self, name: str, url: str, folder: Path):
        self.name, self.url, self.folder = name, url, folder

    def engine(self):
        from sla_model.store.db import make_engine

        return make_engine(self.url)


def seeded_sqlite(folder: Path, leads: int = 200) -> Path:
    """A SQLite file holding the sample's first ``leads`` leads, imported as a manager (as tests/hostile does)."""
    from sla_model.generator import sample_dir
    from sla_model.importing import importer
    from sla_model.importing.csvfile import read_csv
    from sla_model.importing.mapping import OWN_LEADS
    from sla_model.store.db import make_engine
    from sla_model.store.repository import read_dataset
    from tests.hostile.conftest import MANAGER

    path = folder / "seeded.db"
    engine = make_engine(f"sqlite:///{path}")
    frame = read_dataset(sample_dir())[0].head(leads)
    prepared = importer.prepare(read_csv(frame.to_csv(index=False).encode(), name="leads.csv"), OWN_LEADS)
    importer.write(engine, prepared, actor=MANAGER)
    engine.dispose()
    return path


@contextlib.contextmanager
def scratch_postgres(url: str, what: str = "files"):
    """A fresh database ``probe_<what>_<pid>`` on the server of ``url``, dropped afterwards; yields its URL."""
    from sqlalchemy import create_engine, make_url, text

    name = f"probe_{what}_{os.getpid()}"
    server = make_url(url).set(drivername="postgresql+psycopg")
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def seed_url(url: str, leads: int = 200) -> None:
    """The same 200 sample leads as :func:`seeded_sqlite`, into the database at ``url``."""
    from sla_model.generator import sample_dir
    from sla_model.importing import importer
    from sla_model.importing.csvfile import read_csv
    from sla_model.importing.mapping import OWN_LEADS
    from sla_model.store.db import make_engine
    from sla_model.store.repository import read_dataset
    from tests.hostile.conftest import MANAGER

    engine = make_engine(url)
    frame = read_dataset(sample_dir())[0].head(leads)
    prepared = importer.prepare(read_csv(frame.to_csv(index=False).encode(), name="leads.csv"), OWN_LEADS)
    importer.write(engine, prepared, actor=MANAGER)
    engine.dispose()


# --------------------------------------------------------------------------- 1. hostile files


def _rows(*cells: str) -> bytes:
    return (HEADER + "\n" + GOOD + "\n" + "\n".join(cells) + "\n").encode()


def _row(**values: str) -> str:
    base = dict(zip(HEADER.split(","), GOOD.split(","), strict=True))
    base["lead_id"] = "P0002"
    base.update(values)
    return ",".join(base[c] for c in HEADER.split(","))


def corpus(large: bool) -> list[tuple[str, bytes, str]]:
    """(file name, bytes, what is wrong) for each hostile file; "cell" in the last means a cell is at fault,
    "readable" a file that is odd but valid (it should be imported)."""
    files: list[tuple[str, bytes, str]] = []
    numeric = {
        "company_size": ["1e30", "Infinity", "-5", "NaN", "1e309"],
        "page_views": ["99999999999999999999", "-1", "1.5"],
        "form_submissions": ["9223372036854775808", "-9223372036854775809"],
        "amount": ["1e309", "inf", "-inf", "nan", "1e308"],
    }
    for column, values in numeric.items():
        for i, value in enumerate(values):
            extra = {"mql_at": ""} if column != "amount" else {}
            files.append((f"num_{column}_{i}.csv", _rows(_row(**{column: value}, **extra)), "cell"))
    for i, value in enumerate(["9999-12-31", "0000-00-00", "2026-13-45 25:61", "1677-09-21", "yesterday", "1e30"]):
        files.append((f"date_{i}.csv", _rows(_row(created_at=value)), "cell"))
    files.append(("empty_id.csv", _rows(_row(lead_id="")), "cell"))
    files.append(("dup_id.csv", _rows(_row(lead_id="P0001")), "cell"))
    files.append(("long_cell.csv", _rows(_row(persona="x" * 20_000)), "file"))
    rows = "".join(f"H{i:05},2026-03-01 10:00,Web,Ana Souza,5,1,0,,IT\n" for i in range(3_000)).encode()
    files.append(("nul_late.csv", HEADER.encode() + b"\n" + rows + b"H9,2026-03-01,We\x00b,Ana Souza,5,1,0,,IT\n",
                  "cell"))  # fmt: skip
    files.append(("nul_early.csv", _rows(_row(channel="W\x00eb")), "cell"))
    files.append(("utf16_broken.csv", _rows().decode().encode("utf-16-le") + b"\x00\xd8", "file"))
    files.append(("binary.csv", bytes(range(256)) * 64, "file"))
    files.append(("empty.csv", b"", "file"))
    files.append(("header_only.csv", HEADER.encode() + b"\n", "file"))
    files.append(("no_id_column.csv", b"name,created_at\nAna,2026-03-01\n", "file"))
    files.append(("unknown_columns.csv", b"foo,bar,baz\n1,2,3\n", "file"))
    files.append(("dup_header.csv", b"lead_id,created_at,lead_id\nP1,2026-03-01,P2\n", "file"))
    columns = 1_000_000 if large else 30_000
    wide = ",".join(f"c{i}" for i in range(columns))
    files.append(("wide.csv", f"{wide}\n{wide}\n".encode(), "file"))
    files.append(("unbalanced_quote.csv", _rows(_row(persona='"IT Director')), "file"))
    files.append(("truncated.csv.gz", gzip.compress(_rows(_row()))[:-12], "file"))
    files.append(("not_gzip.csv.gz", _rows(_row()), "readable"))  # a plain CSV named .gz: read as such
    files.append(("esc_bel.csv", _rows(_row(lead_id="\x1b[31mP3\x07", created_at="\x1b]0;owned\x07")), "cell"))
    files.append(("ragged.csv", _rows("P0009,2026-03-01,Web,Ana Souza,1,2,3,4,5,6,7,8"), "cell"))
    return files


def _import(argv: list[str]) -> tuple[int | None, str, bool]:
    """``python -m sla_model import`` in this process: its return code, what it printed, whether it raised."""
    from sla_model.__main__ import main

    out = io.StringIO()
    raised = False
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        try:
            rc = main(argv)
        except SystemExit as exc:
            rc = exc.code if isinstance(exc.code, int) else 2
        except Exception:  # noqa: BLE001  (a traceback is what this counts)
            traceback.print_exc(file=out)
            rc, raised = None, True
    return rc, out.getvalue(), raised


def hostile_files(backend: Backend, large: bool, work: Path) -> dict:
    from tests.hostile.conftest import checksum

    folder = work / "corpus"
    folder.mkdir(exist_ok=True)
    counts = {"files": 0, "refused": 0, "accepted": 0, "named_file": 0, "cell_refusals": 0, "named_cell": 0,
              "writes_from_refused": 0, "tracebacks": 0, "control_chars_printed": 0, "not_refused": []}  # fmt: skip
    try:
        for name, data, fault in corpus(large):
            path = folder / name
            path.write_bytes(data)
            engine = backend.fresh()
            before = checksum(engine)
            rc, said, raised = _import(["import", str(path)])
            counts["files"] += 1
            counts["tracebacks"] += raised or "Traceback" in said
            counts["control_chars_printed"] += "\x1b" in said or "\x07" in said
            if rc == 0:
                counts["accepted"] += 1
                if fault != "readable":
                    counts["not_refused"].append(name)
                engine.dispose()
                continue
            counts["refused"] += 1
            counts["writes_from_refused"] += checksum(engine) != before
            counts["named_file"] += name in said
            if fault == "cell":
                counts["cell_refusals"] += 1
                counts["named_cell"] += " row " in said and "column" in said
            path.unlink()
            engine.dispose()
    finally:
        os.environ.pop("DATABASE_URL", None)
    counts["bomb"] = bomb(work) if backend.name == "SQLite" else {}  # the reader writes nothing: once is enough
    return counts


def bomb(work: Path, gib: int = 1) -> dict:
    """The decompression bomb read by test_bomb's address-space-limited reader: refused, and its peak memory."""
    from tests.hostile.test_bomb import _READER, _bomb

    path = _bomb(work / "bomb.csv.gz", gib)
    done = subprocess.run([sys.executable, "-c", _READER, str(path), str(256 << 20)], capture_output=True,
                          text=True, cwd=ROOT, timeout=600)  # fmt: skip
    size_mb = round(path.stat().st_size / 2**20, 1)
    path.unlink()
    if done.returncode != 0:
        return {"size_mb": 0, "refused": False, "error": done.stderr.strip().splitlines()[-1:]}
    result = json.loads(done.stdout)
    return {"gib": gib, "size_mb": size_mb,
            "refused": bool(result["message"]), "message": result["message"],
            "peak_mb": round(result["peak"] / 2**20), "limit_mb": round(result["limit"] / 2**20)}  # fmt: skip


# --------------------------------------------------------------------------- 2. wrong-role direct action calls


def all_checksum(engine) -> str:
    """:func:`tests.hostile.conftest.checksum` over every table of the database, not only the import's."""
    from sqlalchemy import inspect

    from tests.hostile import conftest

    tables = tuple(sorted(inspect(engine).get_table_names()))
    saved, conftest.TABLES = conftest.TABLES, tables
    try:
        return conftest.checksum(engine)
    finally:
        conftest.TABLES = saved


def wrong_role_calls(engine) -> dict:
    """Each write function called by a rep or a viewer where a manager (or the lead's owner) is needed."""
    import datetime as dt

    from sqlalchemy import bindparam, text

    from sla_model.access import Actor, PermissionDenied, Role, set_user
    from sla_model.actions import ActionError, decide, log_touch, publish_sla, undo_last
    from sla_model.alerts.settings import save_settings, set_digest_muted
    from sla_model.generator import sample_slas
    from sla_model.importing import importer
    from sla_model.importing.csvfile import read_csv
    from sla_model.importing.mapping import OWN_LEADS, save_mapping
    from sla_model.review import decisions
    from sla_model.whatif import Candidate
    from tests.hostile.conftest import MANAGER

    with engine.connect() as conn:
        owner = conn.execute(text("SELECT owner FROM lead WHERE owner IS NOT NULL GROUP BY owner ORDER BY owner")
                             ).scalars().all()  # fmt: skip
        rep_name, other = owner[0], owner[1]
        theirs = conn.execute(text("SELECT lead_id FROM lead WHERE owner = :o AND mql_at IS NOT NULL "
                                   "ORDER BY lead_id LIMIT 2"), {"o": other}).scalars().all()  # fmt: skip
        any_lead = conn.execute(text("SELECT lead_id FROM lead WHERE owner = :o ORDER BY lead_id"), {"o": other}
                                ).scalars().first()  # fmt: skip
    reopened = ", ".join(
        f"{c} = NULL"
        for c in (
            "accepted_at",
            "rejected_at",
            "recycled_at",
            "disqualified_at",
            "sql_at",
            "opportunity_at",
            "won_at",
            "lost_at",
            "rejection_reason",
        )
    )
    with engine.begin() as conn:  # two open MQLs of the other rep (as bench_writes' seed reopens them)
        conn.execute(text(f"UPDATE lead SET {reopened} WHERE lead_id IN :ids").bindparams(
            bindparam("ids", expanding=True)), {"ids": list(theirs)})  # fmt: skip
        conn.execute(text("DELETE FROM feedback WHERE lead_id IN :ids").bindparams(bindparam("ids", expanding=True)),
                     {"ids": list(theirs)})  # fmt: skip
    theirs = list(theirs)
    sla = sample_slas()[-1]
    publish_sla(engine=engine, actor=MANAGER, sla=sla)
    record = decisions.record_decision(engine=engine, actor=MANAGER, month="2026-11", text="Raise the score to 60",
                                       owner="Mia Manager", due=dt.date(2026, 12, 15))  # fmt: skip
    candidate = Candidate.from_sla(sla, team_size=10, capacity_per_rep_week=15)
    proposal = decisions.propose(engine=engine, actor=MANAGER, title="Score 65", candidate=candidate)
    manager_lead = theirs.pop() if theirs else any_lead
    done = decide(engine=engine, actor=MANAGER, lead_ids=[manager_lead], accept=True)  # for undo to find
    assert done[0].ok, done[0].message
    rep = Actor(rep_name, Role.REP, rep=rep_name, id="probe:rep")
    lookalike = Actor(MANAGER.name, Role.REP, rep=rep_name, id="probe:lookalike")  # a rep named like the manager
    viewer = Actor("Wall screen", Role.VIEWER, id="probe:viewer")
    rows = b"lead_id,created_at,channel\nN1,2026-03-01,Web\n"
    open_lead = theirs[0] if theirs else any_lead
    manager_only = {
        "importer.write": lambda a: importer.write(
            engine, importer.prepare(read_csv(rows, name="f.csv"), OWN_LEADS), actor=a
        ),  # fmt: skip
        "save_mapping": lambda a: save_mapping(
            engine=engine, mapping=OWN_LEADS.model_copy(update={"name": "Ours"}), actor=a
        ),  # fmt: skip
        "set_user": lambda a: set_user(engine=engine, actor=a, email="x@y.z", role=Role.MANAGER),
        "publish_sla": lambda a: publish_sla(engine=engine, actor=a, sla=sla),
        "record_decision": lambda a: decisions.record_decision(
            engine=engine, actor=a, month="2026-11", text="x", owner="x", due=dt.date(2026, 12, 15)
        ),  # fmt: skip
        "close_decision": lambda a: decisions.close_decision(
            engine=engine, actor=a, decision_id=record.id, status="done", row_version=record.row_version
        ),
        "propose": lambda a: decisions.propose(engine=engine, actor=a, title="x", candidate=candidate),
        "decide_proposal": lambda a: decisions.decide_proposal(
            engine=engine, actor=a, proposal_id=proposal.id, status="adopted", row_version=proposal.row_version
        ),
        "save_settings": lambda a: save_settings(
            engine=engine, actor=a, settings={"risk_hours": 4.0}, expected_version=0
        ),  # fmt: skip
    }
    calls = [(f"{name} as {who.role}", fn, who) for name, fn in manager_only.items() for who in (rep, viewer)]
    calls += [
        ("decide another rep's lead", lambda a: decide(engine=engine, actor=a, lead_ids=[open_lead], accept=True),
         rep),
        ("decide as viewer", lambda a: decide(engine=engine, actor=a, lead_ids=[open_lead], accept=True), viewer),
        ("log a touch on another rep's lead", lambda a: log_touch(engine=engine, actor=a, lead_id=any_lead,
                                                                  kind="call"), rep),
        ("log a touch as viewer", lambda a: log_touch(engine=engine, actor=a, lead_id=any_lead, kind="call"), viewer),
        ("undo the manager's decision as a rep named like the manager", lambda a: undo_last(engine=engine, actor=a),
         lookalike),
        ("undo as viewer", lambda a: undo_last(engine=engine, actor=a), viewer),
        ("mute a digest as viewer", lambda a: set_digest_muted(engine=engine, actor=a, muted=True), viewer),
    ]  # fmt: skip
    out = {"calls": 0, "refused": 0, "stored": 0, "errors": 0, "not_refused": [], "stored_by": []}
    for label, fn, who in calls:
        before = all_checksum(engine)
        refused = False
        try:
            result = fn(who)
            if isinstance(result, list) and result and not any(r.ok for r in result):
                refused = True  # decide's per-lead refusal
        except (PermissionDenied, ActionError):
            refused = True
        except Exception as exc:  # noqa: BLE001
            out["errors"] += 1
            out["not_refused"].append(f"{label}: {type(exc).__name__}")
        out["calls"] += 1
        out["refused"] += refused
        if not refused:
            out["not_refused"].append(label)
        if all_checksum(engine) != before:
            out["stored"] += 1
            out["stored_by"].append(label)
    return out


def show_roles(name: str, c: dict) -> str:
    extra = f" (not refused: {'; '.join(c['not_refused'])})" if c["not_refused"] else ""
    stored = f" ({'; '.join(c['stored_by'])})" if c["stored_by"] else ""
    return (
        f"{name}: {c['calls']} direct action calls with the wrong role: {c['refused']} refused{extra}, "
        f"{c['stored']} stored{stored}, {c['errors']} other errors"
    )


# --------------------------------------------------------------------------- 3. concurrent writers


def concurrent_writers(url: str, *, writers: int, leads: int, writes: int, pause: float) -> dict:
    """bench_writes' reps on a database it seeds, every two reps of one owner given the same leads to race on."""
    import bench_writes as bw
    from sqlalchemy import text

    from sla_model.store.db import make_engine

    engine = make_engine(url)
    bw.seed(engine, leads)
    team = bw.make_writers(engine, writers)
    shared: dict[str, list[str]] = {}
    for w in team:  # the same open MQLs, in the same order, for every rep of one owner
        key = w.actor.rep
        shared[key] = sorted(set(shared.get(key, [])) | set(w.leads), reverse=True)
    for w in team:
        w.leads = list(shared[w.actor.rep])
        w.touch_lead = w.leads[-1]
    seconds = bw.run_writers(engine, team, "race", pause=pause, writes=writes, until=None)
    verdicts = bw.check(engine, team).get("race", {})
    raced = sorted({c.key for w in team for c in w.calls if c.kind == "decide"})
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT lead_id, COUNT(*) FROM feedback GROUP BY lead_id")).all()
        both = conn.execute(text("SELECT COUNT(*) FROM lead WHERE accepted_at IS NOT NULL AND rejected_at IS NOT NULL")
                            ).scalar()  # fmt: skip
    engine.dispose()
    per_lead = dict(rows)
    confirmed = {c.key for w in team for c in w.calls if c.kind == "decide" and c.outcome == "confirmed"}
    calls = [c for w in team for c in w.calls]
    return {
        "writers": writers, "writes": len(calls), "seconds": seconds, "raced_leads": len(raced),
        "decisions_confirmed": sum(c.kind == "decide" and c.outcome == "confirmed" for c in calls),
        "lost": verdicts.get("confirmed but NOT stored", 0) + sum(1 for lead in confirmed if lead not in per_lead),
        "duplicate": sum(n > 1 for n in per_lead.values()) + int(both or 0),
        "unconfirmed_stored": verdicts.get("stored WITHOUT confirmation", 0),
        "errors": sum(c.outcome == "error" for c in calls),
        "error_kinds": sorted({c.error.split(":")[0] for c in calls if c.outcome == "error"}),
        "latency": bw.stats([c.seconds for c in calls]),
    }  # fmt: skip


def show_writers(name: str, c: dict) -> str:
    lat = c["latency"]
    errors = f" ({', '.join(c['error_kinds'])})" if c["error_kinds"] else ""
    bad = c["lost"] + c["duplicate"]
    return (f"{name}: {c['writers']} concurrent writers ({c['writes']:,} writes, {c['raced_leads']:,} leads raced "
            f"for by two reps each, {c['decisions_confirmed']:,} decisions confirmed): {bad} lost or duplicate "
            f"decisions ({c['lost']} lost, {c['duplicate']} duplicate), {c['unconfirmed_stored']} stored without "
            f"confirmation, {c['errors']} errors{errors}; write latency p50 {lat['median'] * 1000:.0f} ms, p95 "
            f"{lat['p95'] * 1000:.0f} ms, max {lat['max'] * 1000:.0f} ms")  # fmt: skip


# --------------------------------------------------------------------------- 4. kill -9 mid-import


def _stored_rows(url: str) -> tuple[int, str]:
    """The imported file's leads (IDs ``M…``) in the database, and its integrity check (SQLite; "n/a" otherwise)."""
    import sqlite3

    from sqlalchemy import create_engine, text

    check = "n/a"
    if url.startswith("sqlite"):  # read raw, before the app's engine opens (and upgrades) the file
        conn = sqlite3.connect(url.removeprefix("sqlite:///"))
        check = conn.execute("PRAGMA integrity_check").fetchone()[0]
        conn.close()
    engine = create_engine(url)
    with engine.connect() as conn:
        n = conn.execute(text("SELECT COUNT(*) FROM lead WHERE lead_id LIKE 'M%'")).scalar()
    engine.dispose()
    return int(n), check


def _run_import(url: str, path: Path, kill_after: float | None) -> tuple[float, float | None, int | None]:
    """``python -m sla_model import`` in a process group of its own, killed (SIGKILL) ``kill_after`` s into its
    write (after it printed the file's check); the seconds it ran, when the write began, its return code."""
    env = dict(os.environ, DATABASE_URL=url, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "sla_model", "import", str(path)], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
    writing: list[float] = []
    checked = threading.Event()

    def watch() -> None:
        for line in proc.stdout:
            if "with errors" in line and not writing:  # the check's summary: the write comes next
                writing.append(time.perf_counter() - started)
                checked.set()
        checked.set()

    watcher = threading.Thread(target=watch)
    watcher.start()
    if kill_after is not None:
        checked.wait()
        try:
            proc.wait(timeout=kill_after)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    watcher.join()
    return time.perf_counter() - started, (writing or [None])[0], proc.returncode


def kill_mid_import(backend, leads: int, points: tuple[float, ...]) -> dict:
    """The import killed at each fraction of its write's uninterrupted time: none or all of its rows stored, and
    the database's integrity check passes."""
    import bench_writes as bw

    path = bw.import_file(leads)
    url = backend.seeded("kill_ref")
    full_s, write_at, rc = _run_import(url, path, None)
    whole, check = _stored_rows(url)
    write_s = full_s - (write_at or 0)
    out = {"leads": leads, "full_s": full_s, "write_s": write_s, "full_rc": rc, "full_rows": whole, "kills": []}
    for i, fraction in enumerate(points):
        url = backend.seeded(f"kill{i}")
        took, began, rc = _run_import(url, path, fraction * write_s)
        rows, check = _stored_rows(url)
        into = took - began if began is not None else None
        out["kills"].append({"at_s": round(took, 1), "into_write_s": into, "fraction": fraction, "rc": rc,
                             "rows": rows, "intact": rows in (0, whole) and check in ("ok", "n/a"),
                             "integrity": check})  # fmt: skip
    return out


def show_kills(name: str, c: dict) -> str:
    intact = sum(k["intact"] for k in c["kills"])
    each = ", ".join(f"{k['into_write_s']:.1f} s into the write: {k['rows']:,} rows"
                     + (" (finished first)" if k["rc"] == 0 else "")
                     for k in c["kills"])  # fmt: skip
    checked = "integrity_check ok"
    if not all(k["integrity"] == "ok" for k in c["kills"]):
        checked = "row count only: no integrity_check on PostgreSQL"
    verdict = "database intact (0 or all rows)" if intact == len(c["kills"]) else "database NOT intact"
    return (f"{name}: kill -9 mid-import ({c['leads']:,}-lead file, {c['full_s']:.1f} s uninterrupted, of which "
            f"the write {c['write_s']:.1f} s, "
            f"{c['full_rows']:,} rows stored then) at {len(c['kills'])} points: {verdict}, {intact} of "
            f"{len(c['kills'])} ({each}; {checked})")  # fmt: skip


# --------------------------------------------------------------------------- 5. tampered query params


PAGES = ["goal_progress", "lead_quality", "handoff_timing", "sla", "my_leads", "lead", "meeting", "what_if"]
PARAMS = ["month", "period", "channel", "persona", "owner", "lead", "present", "proposal"]
PAYLOADS = [
    "9999-99", "-1", "<script>alert(1)</script>", "' OR 1=1 --", "x" * 5_000, "nan", "../../etc/passwd", "%00\x00",
    "1e309", "[0]", "**bold** [link](javascript:alert(1))", "2026-02-30",
]  # fmt: skip


def tampered_urls(work: Path, payloads: int) -> dict:
    """Each page in AppTest with every parameter set to one hostile value at a time: exceptions shown or raised."""
    from streamlit.testing.v1 import AppTest

    from sla_model.generator import sample_dir, sample_slas
    from sla_model.store.db import make_engine
    from sla_model.store.seed import seed_if_empty

    url = f"sqlite:///{work / 'pages.db'}"
    engine = make_engine(url)
    seed_if_empty(engine=engine, slas=sample_slas(), folder=sample_dir())
    engine.dispose()
    saved = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = url
    out = {"urls": 0, "exceptions": 0, "failed": [], "seconds": 0.0}
    started = time.perf_counter()
    try:
        for page in PAGES:
            for value in PAYLOADS[:payloads]:
                at = AppTest.from_file(str(ROOT / "pages" / f"{page}.py"), default_timeout=180)
                for key in PARAMS:
                    at.query_params[key] = value
                out["urls"] += 1
                try:
                    at.run()
                    shown = [e.value for e in at.exception]
                except Exception as exc:  # noqa: BLE001  (a raised run counts as an exception)
                    shown = [f"{type(exc).__name__}: {exc}"]
                if shown:
                    out["exceptions"] += 1
                    out["failed"].append(f"{page}?…={value[:30]!r}: {str(shown[0]).splitlines()[0][:120]}")
    finally:
        if saved is None:
            os.environ.pop("DATABASE_URL", None)
        else:
            os.environ["DATABASE_URL"] = saved
    out["seconds"] = time.perf_counter() - started
    return out


def show_urls(c: dict) -> str:
    failed = f" ({'; '.join(c['failed'][:5])})" if c["failed"] else ""
    return (
        f"AppTest (SQLite): {c['urls']} tampered URLs ({len(PAGES)} pages × every one of {', '.join(PARAMS)} set "
        f"to one hostile value): {c['exceptions']} exceptions{failed}"
    )


# --------------------------------------------------------------------------- 6. uploads on the pages


def _plain(markdown: str) -> str:
    """A message as the reader sees it (the page escapes data for markdown)."""
    import re

    return re.sub(r"\\(.)", r"\1", markdown).replace("\u2060", "")  # (the word joiner is invisible)


def _messages(at) -> list[str]:
    return [_plain(e.value) for kind in (at.error, at.warning, at.info, at.success) for e in kind]


def scenario_corpus() -> list[tuple[str, bytes, str]]:
    """(file name, bytes, the field at fault or "file") for each hostile What if… scenario file."""
    import tomli_w

    from sla_model.agreement.sla import sla_to_dict
    from sla_model.generator import sample_slas

    def doc(change) -> bytes:
        d = sla_to_dict(sample_slas()[-1])
        change(d)
        return tomli_w.dumps(d).encode()

    def setter(*path, value):
        def change(d):
            for key in path[:-1]:
                d = d[key]
            d[path[-1]] = value

        return change

    out = []
    for path, values in {
        ("quotas", "mqls"): [2_000_000, -5, float("inf"), float("nan"), "many"],
        ("goal", "monthly_revenue"): [1e308, float("inf"), -1.0, 0],
        ("mql", "fit", "min_company_size"): [10**12, -1, float("nan")],
        ("follow_up", "first_touch_hours"): [0.0001, float("inf"), -2.0, "soon"],
        ("mql", "score_threshold"): [1e9, -1, 100.5],
    }.items():
        for i, value in enumerate(values):
            out.append((f"{path[-1]}_{i}.toml", doc(setter(*path, value=value)), ".".join(path)))
    out.append(("unknown_key.toml", doc(setter("quotas", "bogus", value=1)), "quotas"))
    out.append(("not_toml.toml", b"not = [toml", "file"))
    out.append(("binary.toml", bytes(range(256)) * 16, "file"))
    out.append(("latin1.toml", 'author = "Zoë"\n'.encode("latin-1"), "file"))
    out.append(("empty.toml", b"", "file"))
    out.append(("nested.toml", b"a = " + b"[" * 5_000 + b"]" * 5_000 + b"\n", "file"))
    out.append(("**bold** [x](http://evil).toml", b"not = [toml", "file"))
    return out


def sample_database(url: str) -> str:
    """The database at ``url`` seeded with the shipped sample (SLA versions and history, for What if…)."""
    from sla_model.generator import sample_dir, sample_slas
    from sla_model.store.db import make_engine
    from sla_model.store.seed import seed_if_empty

    engine = make_engine(url)
    seed_if_empty(engine=engine, slas=sample_slas(), folder=sample_dir())
    engine.dispose()
    return url


def _open(page: str):
    """``page`` in AppTest, after its first run."""
    from streamlit.testing.v1 import AppTest

    return AppTest.from_file(str(ROOT / "pages" / page), default_timeout=300).run()


def _upload(at, key: str, name: str, data: bytes, mime: str) -> list[str]:
    """Upload ``name`` to the page's file uploader ``key``: the exceptions the page showed or raised (a raised run
    counts as one)."""
    at.file_uploader(key=key).set_value((name, data, mime))
    try:
        at.run()
        return [str(e.value) for e in at.exception]
    except Exception as exc:  # noqa: BLE001
        return [f"{type(exc).__name__}: {exc}"]


def page_uploads(url: str, sample_url: str, large: bool) -> dict:
    """Every hostile file uploaded on the Import page (AppTest, as a manager) and every hostile scenario file on
    What if…: refused (an error, no Import button that would store it), naming the file (and the field), the
    database unchanged, no exception; a scenario file never "loaded" with a value other than the file's."""
    from sla_model.store.db import make_engine
    from tests.hostile.test_bomb import _bomb

    saved = {k: os.environ.get(k) for k in ("DATABASE_URL", "SMARKETING_SAMPLE_DATA")}
    os.environ.update(DATABASE_URL=url, SMARKETING_SAMPLE_DATA="0")
    engine = make_engine(url)
    out = {"import_files": 0, "import_refused": 0, "import_named": 0, "import_offered": [], "import_writes": 0,
           "scenario_files": 0, "scenario_refused": 0, "scenario_named": 0, "scenario_unnamed": [],
           "scenario_loaded": [], "exceptions": 0, "failed": []}  # fmt: skip
    files = [(n, d, f) for n, d, f in corpus(large) if f != "readable"]
    with tempfile.TemporaryDirectory() as tmp:
        files.append(("bomb.csv.gz", _bomb(Path(tmp) / "bomb.csv.gz", 1).read_bytes(), "file"))
    try:
        for name, data, _fault in files:
            at = _open("import_data.py")
            before = all_checksum(engine)
            shown = _upload(at, "imp_file", name, data, "text/csv")
            out["import_files"] += 1
            if shown:
                out["exceptions"] += 1
                out["failed"].append(f"import {name}: {shown[0].splitlines()[0][:120]}")
                continue
            go = [b for b in at.button if b.key == "imp_go" and not b.disabled]
            errors = [_plain(e.value) for e in at.error]
            refused = bool(errors) or not go
            out["import_refused"] += refused
            if not refused:
                out["import_offered"].append(name)
            said = " ".join(_messages(at) + [_plain(c.value) for c in at.caption])
            out["import_named"] += name in said
            out["import_writes"] += all_checksum(engine) != before
        os.environ["DATABASE_URL"] = sample_url
        for name, data, field in scenario_corpus():
            at = _open("what_if.py")
            shown = _upload(at, "wi_upload", name, data, "application/toml")
            out["scenario_files"] += 1
            if shown:
                out["exceptions"] += 1
                out["failed"].append(f"scenario {name}: {shown[0].splitlines()[0][:120]}")
                continue
            said = " ".join(_messages(at))
            if "Loaded the scenario" in said:
                out["scenario_loaded"].append(name)
                continue
            out["scenario_refused"] += bool(at.error)
            named = name in said and (field == "file" or field in said)
            out["scenario_named"] += named
            if not named:
                out["scenario_unnamed"].append(f"{name}: {said[:160]}")
    finally:
        engine.dispose()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return out


def show_uploads(name: str, c: dict) -> str:
    offered = f" (offered for import: {', '.join(c['import_offered'])})" if c["import_offered"] else ""
    loaded = f" (loaded: {', '.join(c['scenario_loaded'])})" if c["scenario_loaded"] else ""
    failed = f" ({'; '.join(c['failed'][:5])})" if c["failed"] else ""
    return (f"{name}: page uploads (AppTest): {c['import_files']} hostile files on the Import page, "
            f"{c['import_refused']} refused{offered}, {c['import_named']} naming the file, {c['import_writes']} "
            f"writes; {c['scenario_files']} hostile What if… scenario files, {c['scenario_refused']} refused, "
            f"{c['scenario_named']} naming the file or field, {len(c['scenario_loaded'])} loaded{loaded}; "
            f"{c['exceptions']} exceptions{failed}")  # fmt: skip


# --------------------------------------------------------------------------- 7. injection payloads in Chromium


#: Each sets ``window.__pwned`` or opens a dialog if it runs, or becomes a link or markup if rendered.
INJECTIONS = [
    "<script>window.__pwned=(window.__pwned||0)+1</script>",
    '<img src=x onerror="window.__pwned=(window.__pwned||0)+1">',
    "<svg/onload=alert(1)>",
    "[x](javascript:alert(1)) **bold**",
    ":red[x] $x$ <b>bold</b> :material/warning:",
    '=HYPERLINK("http://evil.example","x")',
    'http://evil.example/"><script>alert(1)</script>',
]
#: The text fields planted with every payload (the file name is an upload's, on the Import page).
FIELDS = ["lead_id", "first_name", "last_name", "company", "channel", "persona", "owner", "rejection_reason",
          "feedback note", "feedback by", "touch rep", "touch outcome", "mapping name", "SLA author",
          "SLA change note", "decision text", "decision owner", "proposal title", "proposal note", "actor name",
          "file name"]  # fmt: skip
FORMULA_START = ("=", "+", "-", "@")


def plant_injections(url: str) -> tuple[list[str], str]:
    """The sample database at ``url`` with every payload in every text field; the planted lead IDs, and a month
    the meeting's decisions are in."""
    import datetime as dt

    import pandas as pd
    from sqlmodel import Session

    from sla_model.access import Actor, Role
    from sla_model.actions import publish_sla
    from sla_model.importing.mapping import OWN_LEADS, save_mapping
    from sla_model.review import decisions
    from sla_model.store.db import make_engine
    from sla_model.store.repository import bulk_insert, bump_data_version, list_sla_versions, load_leads
    from sla_model.whatif import Candidate

    sample_database(url)
    engine = make_engine(url)
    latest = load_leads(engine=engine)["created_at"].max()
    leads, touches, feedback = [], [], []
    ids = []
    for i, p in enumerate(INJECTIONS):
        lead_id = f"Z{i}{p}"[:64]
        ids.append(lead_id)
        mql = latest - pd.Timedelta(days=2) + pd.Timedelta(hours=i)
        rejected = i % 2 == 1
        leads.append({"lead_id": lead_id, "first_name": p, "last_name": p, "company": p, "created_at": mql,
                      "channel": p, "persona": p, "owner": p, "score": 80, "mql_at": mql,
                      "rejected_at": mql + pd.Timedelta(hours=2) if rejected else pd.NaT,
                      "rejection_reason": p if rejected else None})  # fmt: skip
        touches.append({"lead_id": lead_id, "rep": p, "at": mql + pd.Timedelta(minutes=30), "kind": "call",
                        "outcome": p})  # fmt: skip
        if rejected:
            feedback.append({"lead_id": lead_id, "decision": "reject", "reason": p, "note": p, "by": p,
                             "at": mql + pd.Timedelta(hours=2)})  # fmt: skip
    with Session(engine) as session:
        for table, frame in (("lead", leads), ("touch", touches), ("feedback", feedback)):
            bulk_insert(session.connection(), table, pd.DataFrame(frame))
        bump_data_version(session=session)
        session.commit()
        versions = list_sla_versions(session=session)
    month = (latest - pd.Timedelta(days=2)).to_period("M")
    sla = versions[-1]
    for i, p in enumerate(INJECTIONS):
        actor = Actor(p, Role.MANAGER, id=f"probe:{i}")
        with contextlib.suppress(Exception):  # a name the mapping refuses is counted as planted anyway
            save_mapping(engine=engine, mapping=OWN_LEADS.model_copy(update={"name": p}), actor=actor)
        meta = sla.meta.model_copy(
            update={
                "version": sla.meta.version + 1 + i,
                "author": p,
                "change_note": p,
                "effective_from": sla.meta.effective_from + dt.timedelta(days=1 + i),
            }
        )
        publish_sla(engine=engine, actor=actor, sla=sla.model_copy(update={"meta": meta}))
        decisions.record_decision(engine=engine, actor=actor, month=str(month), text=p, owner=p,
                                  due=(month + 1).end_time.date())  # fmt: skip
        candidate = Candidate.from_sla(sla, team_size=10, capacity_per_rep_week=15)
        decisions.propose(engine=engine, actor=actor, title=p, candidate=candidate, note=p)
    engine.dispose()
    return ids, str(month)


@contextlib.contextmanager
def running_app(url: str, work: Path):
    """``streamlit run app.py`` on a free port against the database at ``url``, as tests/browser starts it."""
    from tests.browser.conftest import start_app, stop_app

    process, base = start_app(url, extra_env={"SMARKETING_SAMPLE_DATA": "0"}, log=work / "app.log", timeout=90)
    try:
        yield base
    finally:
        stop_app(process)


_FOUND = """() => {
  const main = document.querySelector('[data-testid="stMain"]') || document.body;
  const links = [...document.querySelectorAll('a[href]')].filter(  // (the app's own links may carry a lead ID)
      a => /^javascript:/i.test(a.getAttribute('href')) || a.hostname === 'evil.example');
  const markup = [...main.querySelectorAll('strong, b, em, .stMarkdownColoredText, .katex')].filter(
      e => /^(bold|x)$/.test(e.textContent.trim()));
  const icons = [...main.querySelectorAll(
      '[data-testid="stMarkdownContainer"] [role="img"][aria-label="warning icon"]')];
  return {pwned: window.__pwned || 0, links: links.length, markup: markup.length + icons.length,
          exceptions: document.querySelectorAll('[data-testid="stException"]').length,
          injected: document.querySelectorAll('main script, img[src="x"], svg[onload]').length};
}"""


def _formula_cells(data: bytes) -> int:
    import csv

    rows = csv.reader(io.StringIO(data.decode("utf-8-sig", errors="replace")))
    return sum(cell.startswith(FORMULA_START) for row in rows for cell in row)


def rendered_injections(url: str, work: Path) -> dict:
    """Every page opened in headless Chromium on a database whose every text field holds every payload, and a
    file uploaded under each payload's name: scripts run (``window.__pwned``, dialogs), links and markup made from
    data, exceptions; the CSV downloads' formula cells."""
    from urllib.parse import quote

    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM_ARGS, IDLE

    chromium = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
    ids, month = plant_injections(url)
    paths = ["review", "lead_quality", "handoff_timing", f"meeting?month={month}", "my_leads", "sla", "what_if",
             "import_data", "audit_log", "alerts", *(f"lead?lead={quote(i, safe='')}" for i in ids)]  # fmt: skip
    out = {"payloads": len(INJECTIONS), "fields": len(FIELDS), "pages": 0, "scripts_run": 0, "dialogs": 0,
           "links": 0, "markup": 0, "injected_elements": 0, "exceptions": 0, "where": [], "csv_files": 0,
           "csv_cells": 0, "formula_cells": 0, "uploads": 0, "uploads_named": 0}  # fmt: skip
    dialogs: list[str] = []
    with running_app(url, work) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1600, "height": 1200}, accept_downloads=True)
        context.set_default_timeout(90_000)
        page = context.new_page()
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

        def look(label: str) -> None:
            page.wait_for_function(IDLE)
            page.wait_for_timeout(1_500)  # an onerror fires once its image fails to load
            found = page.evaluate(_FOUND)
            out["pages"] += 1
            for key, name in (("pwned", "scripts_run"), ("links", "links"), ("markup", "markup"),
                              ("exceptions", "exceptions"), ("injected", "injected_elements")):  # fmt: skip
                out[name] += found[key]
            if any(found[k] for k in ("pwned", "links", "markup", "exceptions", "injected")):
                out["where"].append(f"{label}: {found}")

        for path in paths:
            page.goto(f"{base}/{path}")
            page.wait_for_timeout(1_000)
            look(path)
            for button in page.get_by_role("button", name="Next").all()[:1]:  # the meeting's agenda, to its end
                for _ in range(8):
                    if not button.is_visible():
                        break
                    button.click()
                    look(f"{path} (next)")
            for download in page.get_by_test_id("stDownloadButton").all():  # (the popovers' stay closed)
                label = download.inner_text()
                if "CSV" not in label:
                    continue
                with page.expect_download() as done:
                    download.locator("button").click()
                data = Path(done.value.path()).read_bytes()
                out["csv_files"] += 1
                out["csv_cells"] += sum(len(r) for r in __import__("csv").reader(io.StringIO(data.decode())))
                out["formula_cells"] += _formula_cells(data)
        body = f"{HEADER}\n{GOOD}\n".encode()
        for p in INJECTIONS:  # the file name of an upload, in the preview's caption and the import's message
            page.goto(f"{base}/import_data")
            page.wait_for_function(IDLE)
            page.locator("input[type=file]").first.set_input_files(
                files=[{"name": f"{p}.csv", "mimeType": "text/csv", "buffer": body}]
            )
            page.get_by_role("button", name="Import", exact=True).click()
            page.get_by_text("new lead").first.wait_for()
            out["uploads"] += 1
            shown = " ".join(page.get_by_test_id("stAlertContentSuccess").all_inner_texts()).replace("\u2060", "")
            # (the browser sends " as %22; the word joiner that keeps a URL or an icon code text is invisible)
            out["uploads_named"] += f"{p}.csv".replace('"', "%22") in shown
            look(f"upload {p[:20]}")
        out["dialogs"] = len(dialogs)
        browser.close()
    return out


def show_render(name: str, c: dict) -> str:
    where = f" ({'; '.join(c['where'][:4])})" if c["where"] else ""
    return (f"{name}: Chromium: {c['payloads']} injection payloads × {c['fields']} text fields on {c['pages']} page "
            f"views: {c['scripts_run'] + c['dialogs']} scripts executed ({c['scripts_run']} window.__pwned, "
            f"{c['dialogs']} dialogs), {c['injected_elements']} injected elements, {c['links']} links and "
            f"{c['markup']} markup elements from data, {c['exceptions']} exceptions{where}; {c['uploads']} uploads "
            f"named by a payload, {c['uploads_named']} shown with their name as typed; {c['formula_cells']} formula "
            f"cells in {c['csv_files']} CSV downloads ({c['csv_cells']:,} cells)")  # fmt: skip


# --------------------------------------------------------------------------- main


def sqlite_backend(work: Path) -> Backend:
    template = seeded_sqlite(work)
    backend = Backend("SQLite", f"sqlite:///{template}", work)
    copies = iter(range(10**6))

    def fresh():
        """A copy of the seeded file of its own (an accepted file's rows never reach the next file's database)."""
        live = work / f"live_{next(copies)}.db"
        shutil.copy(template, live)
        backend.url = f"sqlite:///{live}"
        os.environ["DATABASE_URL"] = backend.url
        return backend.engine()

    backend.fresh = fresh
    backend.scratch = lambda what: f"sqlite:///{work / (what + '.db')}"

    def seeded(what: str) -> str:
        live = work / f"{what}.db"
        shutil.copy(template, live)
        return f"sqlite:///{live}"

    backend.seeded = seeded
    return backend


def postgres_backend(url: str, work: Path, stack: contextlib.ExitStack, server: str) -> Backend:
    seed_url(url)
    backend = Backend("PostgreSQL", url, work)
    backend.fresh_url = url

    def fresh():  # one database: an accepted file's rows stay, the next checksum is taken after them
        os.environ["DATABASE_URL"] = url
        return backend.engine()

    backend.fresh = fresh
    backend.scratch = lambda what: stack.enter_context(scratch_postgres(server, what))

    def seeded(what: str) -> str:
        fresh_url = backend.scratch(what)
        seed_url(fresh_url)
        return fresh_url

    backend.seeded = seeded
    return backend


def show_files(name: str, c: dict) -> str:
    b = c["bomb"]
    if not b:
        bomb_text = "the gzip bomb: read without a database, see SQLite"
    elif b.get("refused"):
        bomb_text = (f"the {b['size_mb']} MB gzip bomb expanding to {b['gib']} GiB refused at {b['peak_mb']:,} MB "
                     f"peak under a {b['limit_mb']:,} MB address-space limit")  # fmt: skip
    else:
        bomb_text = f"the gzip bomb NOT refused ({b})"
    accepted = f" (hostile yet imported: {', '.join(c['not_refused'])})" if c["not_refused"] else ""
    readable = c["accepted"] - len(c["not_refused"])
    return (f"{name}: {c['files'] - readable} hostile files: {c['refused']} refused{accepted}, {c['named_file']} "
            f"naming the file, {c['named_cell']} of {c['cell_refusals']} cell faults naming row and column; "
            f"{c['writes_from_refused']} writes from a refused import (database checksum unchanged), "
            f"{c['tracebacks']} tracebacks, {c['control_chars_printed']} with control characters reaching the "
            f"terminal ({readable} odd but valid file read); {bomb_text}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", metavar="URL", help="also probe PostgreSQL (a scratch database on this server)")
    parser.add_argument("--large", action="store_true", help="full-size files (a million-column header)")
    parser.add_argument(
        "--sections",
        default="files,roles,writers,kill,uploads,render,urls",
        help="comma-separated, of: files, roles, writers, kill, uploads, render, urls (default %(default)s)",
    )
    parser.add_argument(
        "--payloads", type=int, default=len(PAYLOADS), help="hostile values per page (default all %(default)s)"
    )
    parser.add_argument("--kill-leads", type=int, default=50_000, help="leads in the file the import kill hits")
    parser.add_argument("--writers", type=int, default=20, help="concurrent writers (default %(default)s)")
    parser.add_argument("--writes", type=int, default=10, help="writes per writer (default %(default)s)")
    parser.add_argument("--pause", type=float, default=0.05, help="seconds between one writer's writes (±50%%)")
    parser.add_argument("--seed-leads", type=int, default=2_000, help="generated leads for the writers")
    args = parser.parse_args()
    sections = set(args.sections.split(","))
    started = time.perf_counter()
    load = os.getloadavg()
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {os.cpu_count()} cores, load average "
          f"{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}")  # fmt: skip
    results: dict = {}
    with tempfile.TemporaryDirectory(prefix="probe_hostile_") as tmp:
        work = Path(tmp)
        backends = [("SQLite", lambda: sqlite_backend(work))]
        stack = contextlib.ExitStack()
        if args.postgres:
            try:
                pg = stack.enter_context(scratch_postgres(args.postgres))
                backends.append(("PostgreSQL", lambda: postgres_backend(pg, work, stack, args.postgres)))
            except Exception as exc:  # noqa: BLE001
                print(f"PostgreSQL skipped: {type(exc).__name__}: {str(exc).splitlines()[0]}")
        with stack:
            for name, make in backends:
                backend = make()
                mine = results.setdefault(name, {})
                if "files" in sections:
                    mine["files"] = hostile_files(backend, args.large, work)
                    print(show_files(name, mine["files"]))
                if "roles" in sections:
                    engine = backend.fresh()
                    mine["roles"] = wrong_role_calls(engine)
                    engine.dispose()
                    print(show_roles(name, mine["roles"]))
                if "writers" in sections:
                    url = backend.scratch("writers")
                    mine["writers"] = concurrent_writers(url, writers=args.writers, leads=args.seed_leads,
                                                         writes=args.writes, pause=args.pause)  # fmt: skip
                    print(show_writers(name, mine["writers"]))
                if "kill" in sections:
                    mine["kill"] = kill_mid_import(backend, args.kill_leads, (0.3, 0.55, 0.8))
                    print(show_kills(name, mine["kill"]))
                if "uploads" in sections:
                    engine = backend.fresh()
                    engine.dispose()
                    sample = sample_database(backend.scratch("uploads_sample"))
                    mine["uploads"] = page_uploads(backend.url if name == "SQLite" else backend.fresh_url, sample,
                                                   args.large)  # fmt: skip
                    print(show_uploads(name, mine["uploads"]))
                if "render" in sections:
                    mine["render"] = rendered_injections(backend.scratch("render"), work)
                    print(show_render(name, mine["render"]))
        if "urls" in sections:
            results["urls"] = tampered_urls(work, args.payloads)
            print(show_urls(results["urls"]))
    print(f"took {time.perf_counter() - started:.0f} s")
    print(json.dumps(results, default=str))


if __name__ == "__main__":
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    main()
