"""Time bringing the loaded data set up to date after one decision and after one logged touch, at 1,000,000 leads.

After a write the pages' data set is caught up (:func:`sla_model.store.refresh.catch_up`) instead of loaded again.
The floor is what any catch-up must do at the least: read the changed lead's rows (its lead, touches and
decisions) from the database. Each is timed ``--repeat`` times on the same frames (min / median / max seconds),
with the ratio of the medians. Uses a copy of the database ``bench_load.py`` builds (run that first).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def timed(repeat: int, action) -> list[float]:
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        out.append(time.perf_counter() - started)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    source = ROOT / "benchmarks" / "_data" / f"leads_{args.leads}.db"
    if not source.exists():
        sys.exit(f"{source} is missing: run `python benchmarks/bench_load.py --leads {args.leads}` first")
    from sqlmodel import Session

    from sla_model.access import Actor, Role
    from sla_model.actions import decide, log_touch
    from sla_model.generator import AS_OF
    from sla_model.store.db import make_engine
    from sla_model.store.refresh import catch_up, changed_leads
    from sla_model.store.repository import (
        data_version,
        list_sla_versions,
        load_feedback,
        load_leads,
        load_touches,
        open_mqls,
    )
    from sla_model.store.snapshot import full_frames

    work = Path(tempfile.mkdtemp(prefix="bench_catchup_"))
    shutil.copy(source, work / "leads.db")
    engine = make_engine(f"sqlite:///{work / 'leads.db'}")
    with Session(engine) as session:
        versions = list_sla_versions(session=session)
    started = time.perf_counter()
    frames = full_frames(engine, versions)
    print(f"{len(frames.leads):,} leads, {len(frames.touches):,} touches, {len(frames.feedback):,} decisions "
          f"loaded in {time.perf_counter() - started:.1f} s")  # fmt: skip
    queue = open_mqls(engine=engine)
    manager = Actor("Maya Chen", Role.MANAGER, id="maya@example.com")
    print("                                   min    median     max   ratio")
    for i, kind in enumerate(("decision", "touch")):
        since = data_version(engine=engine)
        lead = str(queue["lead_id"].iloc[i])
        if kind == "decision":
            decide(engine=engine, actor=manager, lead_ids=[lead], accept=True, now=AS_OF)
        else:
            log_touch(engine=engine, actor=manager, lead_id=lead, kind="call", outcome="left a message", at=AS_OF)
        ids = changed_leads(engine=engine, since=since, until=data_version(engine=engine))
        floor = timed(args.repeat, lambda ids=ids: (load_leads(engine=engine, lead_ids=ids),
                                                     load_touches(engine=engine, lead_ids=ids),
                                                     load_feedback(engine=engine, lead_ids=ids)))  # fmt: skip
        took = timed(args.repeat, lambda ids=ids: catch_up(frames, engine=engine, lead_ids=ids, versions=versions))
        ratio = statistics.median(took) / statistics.median(floor)
        for name, values in ((f"floor: read the {kind}'s lead", floor), (f"catch-up of a {kind}", took)):
            low, mid, high = min(values), statistics.median(values), max(values)
            print(f"  {name:<30} {low:7.3f} {mid:8.3f} {high:7.3f}" + (f" {ratio:7.1f}" if values is took else ""))
    engine.dispose()
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
