"""Time the what-if page's rerun after a slider move, in AppTest, at 1,000,000 leads (after warm-up).

AppTest reruns the whole page script, fragment included, so the figure is an upper bound for the
fragment-only rerun a browser gets. The floor is the engine's ``evaluate`` alone for the same moves.
Uses the database built by ``bench_load.py`` (run that first).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--leads", type=int, default=1_000_000)
    args = parser.parse_args()
    db = ROOT / "benchmarks" / "_data" / f"leads_{args.leads}.db"
    if not db.exists():
        sys.exit(f"{db} is missing: run benchmarks/bench_load.py --leads {args.leads} first")
    os.environ["DATABASE_URL"] = f"sqlite:///{db}"
    os.environ["SMARKETING_SAMPLE_DATA"] = "0"
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "pages" / "what_if.py"), default_timeout=600)
    started = time.perf_counter()
    at.run()
    assert not at.exception, at.exception
    print(f"first run (loads {args.leads:,} leads and prepares the arrays): {time.perf_counter() - started:.1f} s")
    positions = [30, 40, 45, 50, 55, 60, 65, 70, 75, 80] * 2
    page = []
    for value in positions:
        slider = at.slider(key="wi_score_threshold")
        started = time.perf_counter()
        slider.set_value(value).run()
        page.append(time.perf_counter() - started)
        assert not at.exception, at.exception

    from sqlmodel import Session

    from sla_model.agreement.sla import in_force
    from sla_model.store.db import make_engine
    from sla_model.store.repository import data_as_of, list_sla_versions, load_leads
    from sla_model.whatif import Candidate, evaluate, observed_team_size, prepare

    engine = make_engine()
    with Session(engine) as session:
        versions = list_sla_versions(session=session)
    as_of = data_as_of(engine=engine)
    arrays = prepare(load_leads(engine=engine), versions, as_of=as_of)
    base = Candidate.from_sla(in_force(versions, as_of.date()), team_size=max(observed_team_size(arrays), 1),
                              capacity_per_rep_week=15.0)  # fmt: skip
    evaluate(arrays, base, baseline=base)
    floor = []
    for value in positions:
        started = time.perf_counter()
        evaluate(arrays, base.replace(score_threshold=value), baseline=base)
        floor.append(time.perf_counter() - started)
    p_ms, f_ms = statistics.median(page) * 1000, statistics.median(floor) * 1000
    print(f"median of {len(positions)} slider moves at {args.leads:,} leads:")
    print(f"  engine alone (evaluate)            {f_ms:8.1f} ms")
    verdict = "met" if p_ms <= 300 else "MISSED"
    print(f"  page rerun in AppTest              {p_ms:8.1f} ms   (target <= 300 ms: {verdict})")
    print(f"  ratio page / engine                {p_ms / f_ms:8.1f}")


if __name__ == "__main__":
    main()
