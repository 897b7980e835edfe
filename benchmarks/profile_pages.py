"""Where a page's run spends its time: a pyinstrument profile of each page's script at a given size.

Each page runs in AppTest on the database ``bench_load.py`` builds (``benchmarks/_data/leads_N.db``, or ``--db``):
once to warm up (the first page's warm-up loads the data set: its profile is printed as the cold start), then
profiled on a rerun with the caches warm (what a page switch costs on the server), on a change of month and on a
channel filter (My leads: on accepting its first lead, then on undoing that decision, which leaves the lead open
as it was). For each profiled run the script prints its wall time and the top frames:

- by total time, the project's own functions (``sla_model``, ``ui``, ``pages``), each counted once per call path
  (a function calling itself is not counted twice);
- by self time, any code (pandas, numpy, Altair, Streamlit included), where the time is actually spent.

``--tree`` also prints pyinstrument's call tree of each run. Speed is only ever measured here, never asserted.

Run from the project root: ``python benchmarks/profile_pages.py --leads 20000`` (default 1,000,000; ``--pages
lead_quality goal_progress`` for some; ``--pages what_if`` profiles a move of the What if… page's first slider).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PAGES = ["goal_progress", "lead_quality", "handoff_timing", "my_leads"]
#: Pages profiled on request only (``--pages what_if``): a move of the first slider instead of a month and a channel.
MORE = ["what_if"]
PROJECT = ("sla_model/", "ui/", "pages/")

#: The script AppTest runs: the page under a profiler started in the script's own thread (pyinstrument profiles
#: the thread that starts it, and AppTest runs the script in a thread of its own).
WRAPPER = """
import runpy
import sys

sys.path.insert(0, {root!r})
import streamlit as st
from pyinstrument import Profiler

_profiler = Profiler(interval={interval}, async_mode="disabled")
_profiler.start()
try:
    runpy.run_path({page!r}, run_name="__main__")
finally:
    _profiler.stop()
    st.session_state["_profile_session"] = _profiler.last_session
"""


def _short(frame) -> str:
    path = frame.file_path or ""
    for marker in (*PROJECT, "site-packages/"):
        if marker in path:
            path = path[path.index(marker) :].removeprefix("site-packages/")
            break
    return f"{frame.function} ({path}:{frame.line_no})"


def _is_project(frame) -> bool:
    path = frame.file_path or ""
    return "site-packages" not in path and any(f"/{p}" in path for p in PROJECT)


def top_frames(session, n: int) -> tuple[list[tuple[str, float]], list[tuple[str, float]]]:
    """The project's functions by total time and any function by self time, ``n`` of each, slowest first."""
    root = session.root_frame()
    total: dict[str, float] = defaultdict(float)
    own: dict[str, float] = defaultdict(float)

    def walk(frame, above: frozenset[str]) -> None:
        name = _short(frame)
        if _is_project(frame) and name not in above:
            total[name] += frame.time
        own[name] += frame.total_self_time
        for child in frame.children:
            walk(child, above | {name})

    if root is not None:
        walk(root, frozenset())
    by_total = sorted(total.items(), key=lambda kv: -kv[1])[:n]
    by_self = sorted(((k, v) for k, v in own.items() if "[self]" not in k), key=lambda kv: -kv[1])[:n]
    return by_total, by_self


def report(title: str, seconds: float, session, n: int, tree: bool) -> None:
    """Print one run's wall time and its top frames."""
    print(f"\n== {title}: {seconds:.2f} s wall, {session.duration:.2f} s profiled")
    by_total, by_self = top_frames(session, n)
    print("   project functions by total time:")
    for name, value in by_total:
        print(f"   {value:7.3f} s  {value / session.duration:5.0%}  {name}")
    print("   any function by self time:")
    for name, value in by_self:
        print(f"   {value:7.3f} s  {value / session.duration:5.0%}  {name}")
    if tree:
        from pyinstrument.renderers import ConsoleRenderer

        print(ConsoleRenderer(unicode=False, color=False, short_mode=True).render(session))


def profiled(at, title: str, n: int, tree: bool, action=None) -> None:
    """Run ``at`` (after ``action``, which sets a widget) and report the profile."""
    started = time.perf_counter()
    (action(at) if action else at).run()
    seconds = time.perf_counter() - started
    if at.exception:
        sys.exit(f"{title}: the page raised {at.exception[0].message}")
    report(title, seconds, at.session_state["_profile_session"], n, tree)


def _decide_one() -> str:
    """Accept the oldest open MQL as its owner would (as a rep's click on My leads does); the lead's ID."""
    from sla_model.access import Actor, Role
    from sla_model.actions import decide
    from sla_model.store.db import make_engine
    from sla_model.store.repository import open_mqls

    engine = make_engine()
    lead = open_mqls(engine=engine).iloc[0]
    owner = str(lead["owner"])
    decide(engine=engine, actor=Actor(owner, Role.REP, rep=owner, id="profile:rep"), lead_ids=[lead["lead_id"]],
           accept=True)  # fmt: skip
    return str(lead["lead_id"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path, help="a SQLite database to profile instead of the generated one")
    parser.add_argument("--pages", nargs="+", choices=PAGES + MORE, default=PAGES)
    parser.add_argument("--top", type=int, default=12, help="frames listed per run (default 12)")
    parser.add_argument("--interval", type=float, default=0.001, help="sampling interval, seconds")
    parser.add_argument("--tree", action="store_true", help="print pyinstrument's call tree of each run too")
    args = parser.parse_args()
    db = args.db or ROOT / "benchmarks" / "_data" / f"leads_{args.leads}.db"
    if not db.exists():
        sys.exit(f"{db} is missing: run `python benchmarks/bench_load.py --leads {args.leads}` first")
    os.environ["DATABASE_URL"] = f"sqlite:///{db}"
    os.environ["SMARKETING_SAMPLE_DATA"] = "0"
    os.environ.setdefault("SMARKETING_SNAPSHOTS", "0")  # the cold start reads the database, as a first start does
    from streamlit.testing.v1 import AppTest

    print(f"profiling {', '.join(args.pages)} on {db.name} (pyinstrument, {args.interval * 1000:g} ms samples)")
    for i, name in enumerate(args.pages):
        script = WRAPPER.format(root=str(ROOT), page=str(ROOT / "pages" / f"{name}.py"), interval=args.interval)
        at = AppTest.from_string(script, default_timeout=1800)
        if i == 0:
            profiled(at, f"{name}: first run (cold start: loads the data set)", args.top, args.tree)
        else:
            at.run()  # warm-up: this session's first run
        profiled(at, f"{name}: rerun, caches warm (a page switch)", args.top, args.tree)
        if name == "my_leads":
            at.session_state[at.session_state["queue_key"]] = {"selection": {"rows": [0], "columns": []}}
            at.run()  # the first row ticked, as the browser reports it
            lead = at.dataframe[0].value["Lead"].iloc[0]
            profiled(at, f"{name}: accept {lead} (a decision)", args.top, args.tree,
                     lambda a: a.button(key="accept").click())  # fmt: skip
            profiled(at, f"{name}: undo the decision", args.top, args.tree, lambda a: a.button(key="undo").click())
            continue
        if name == "what_if":
            slider = at.slider[0]
            to = slider.value + slider.step if slider.value + slider.step <= slider.max else slider.value - slider.step
            profiled(at, f"{name}: slider {slider.label!r} to {to}", args.top, args.tree,
                     lambda a, v=to: a.slider[0].set_value(v))  # fmt: skip
            continue
        month = at.sidebar.selectbox(key="month")
        other = 1 if len(month.options) > 1 and month.index == 0 else 0  # another month than the one shown
        profiled(at, f"{name}: change month to {month.options[other]}", args.top, args.tree,
                 lambda a, i=other: a.sidebar.selectbox(key="month").select_index(i))  # fmt: skip
        channel = at.sidebar.multiselect(key="channel").options[0]
        profiled(at, f"{name}: filter channel {channel}", args.top, args.tree,
                 lambda a, c=channel: a.sidebar.multiselect(key="channel").set_value([c]))  # fmt: skip
        lead = _decide_one()
        profiled(at, f"{name}: rerun after a rep accepted {lead} (the data version moved)", args.top, args.tree)


if __name__ == "__main__":
    main()
