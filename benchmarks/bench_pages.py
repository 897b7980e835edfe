"""Time what a user waits for in real Chromium, at 20,000 and 1,000,000 leads, against a bare Streamlit page.

Each size runs the app on a copy of the database ``bench_load.py`` builds (``benchmarks/_data/leads_N.db``) and
measures, from the browser, until the page has settled (no running indicator and no skeleton left, twice in a row):

- cold start: a new server, the first visit, until Goal progress has drawn its charts (read from the database,
  then, after the decisions below, from the data set's columnar copy on a restarted server);
- opening My leads, and switching to Lead quality, Goal progress and Handoff timing;
- changing the month and a channel on Lead quality and Goal progress;
- a What if… slider moved by one step until the chart is redrawn;
- a decision on My leads until it is confirmed, then until Goal progress, Lead quality and Handoff timing show
  the new data, and whether any of them loaded the whole data set again instead of catching up (the server's
  full loads, ``ui.data._load``, counted: at the cold start too, where there must be one);
- the server's peak resident memory (its cold start from the database included), its resident memory once warm
  (after every interaction above), and a restarted server's peak (a cold start from the columnar copy);
- the command line at the same size: ``python -m sla_model import`` of the leads file (``bench_import.py``'s file,
  own format) beside the import engine alone on the same file (parse + write in a fresh process, the
  import's floor here), and ``python -m sla_model init --data`` of a generated folder of that size (leads,
  touches, decisions and the sample SLA files) into an empty SQLite file: seconds and the command's peak
  resident memory (its largest process, ``wait4``'s ``ru_maxrss``).

The floor is a bare Streamlit app of two pages, each one metric and one 12-point Altair chart, in the same browser
in the same run, measured before and after the app (other work on the host shows as a floor that moved): its rerun
(a button) and its page switch. Each figure is printed as min / median / max seconds over ``--repeat`` tries and as
the median's ratio to the matching floor (reruns to the rerun floor, switches and loads to the switch floor; the
floor is the median of its tries before and after). Each row names the issue's target and whether its median meets
it. The host's load average is printed beside each run: on a shared machine the seconds vary with it, the ratios less
so.

Every measured interaction checks it happened: a page switch waits for that page's heading, a month change picks a
month other than the one shown and waits for the heading to name it, a channel change waits for the chip. The
window is 1280 × 1080, so the sidebar lists every page.

Run from the project root: ``python benchmarks/bench_pages.py`` (``--sizes 20000`` for a quick run, ``--no-cli``
to leave out the command line).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = ROOT / "benchmarks" / "_data"
IDLE = """() => !document.querySelector('[data-testid="stStatusWidget"]')
           && !document.querySelector('[data-testid="stSkeleton"]')"""
VIEWPORT = {"width": 1280, "height": 1080}
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-sync"]

BARE_PAGE = """
import altair as alt
import pandas as pd
import streamlit as st

st.title("{title}")
st.metric("Revenue", "$1.2M", "+4%")
frame = pd.DataFrame({"month": range(12), "value": [3, 5, 4, 6, 8, 7, 9, 8, 10, 12, 11, 13]})
st.altair_chart(alt.Chart(frame).mark_line().encode(x="month:O", y="value:Q"))
st.button("Rerun", key="rerun")
"""
BARE_APP = """
import streamlit as st

st.navigation([st.Page("one.py", title="One", default=True), st.Page("two.py", title="Two")]).run()
"""


#: The app's server, started as ``streamlit run`` from ``python -c`` with the data set's full load
#: (``ui.data._load``: the columnar copy or the database, as opposed to a catch-up after a small write) counted: each
#: call appends a line to the file named by ``BENCH_FULL_LOADS``.
COUNTED_SERVER = """
import os, sys
sys.path.insert(0, {root!r})
import ui.data
from streamlit.web import cli

full_load = ui.data._load

def counted(*args, **kwargs):
    with open(os.environ["BENCH_FULL_LOADS"], "a") as log:
        log.write("full load\\n")
    return full_load(*args, **kwargs)

ui.data._load = counted
sys.argv = ["streamlit", "run", *sys.argv[1:]]
sys.exit(cli.main())
"""
MB_TARGET = 1536.0  # 1.5 GB, in the MiB that VmHWM counts
#: The issue's target per row (by the start of its name): seconds, MB, a count or a ratio; judged on the median.
TARGETS = {
    "cold start": (10.0, "s"),
    "open My leads": (1.0, "s"),
    "switch to": (1.0, "s"),
    "change": (0.5, "s"),
    "What if": (0.5, "s"),
    "a decision ->": (1.0, "s"),
    "full loads after": (0, ""),  # the cold start's own load is no target: it shows the count works
    "server peak memory": (MB_TARGET, "MB"),
    "server resident memory, warm": (MB_TARGET, "MB"),
    "`python -m sla_model import` (ratio": (1.3, "× the engine"),
    "`python -m sla_model init --data` (s)": (30.0, "s"),
    "`python -m sla_model init --data`, peak": (MB_TARGET, "MB"),
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _status_mb(pid: int, field: str = "VmHWM") -> float:
    """A field of a process's ``/proc`` status in MB: its peak resident memory (VmHWM) or its resident memory now."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Server:
    """``streamlit run`` of a script on a free port, with its own environment; stopped on exit."""

    def __init__(self, script: Path, env: dict[str, str], cwd: Path, *, counted: bool = False) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False)  # noqa: SIM115
        start = ["-c", COUNTED_SERVER.format(root=str(ROOT))] if counted else ["-m", "streamlit", "run"]
        cmd = [sys.executable, *start, str(script), "--server.port", str(self.port),
               "--server.headless", "true", "--browser.gatherUsageStats", "false"]  # fmt: skip
        self.proc = subprocess.Popen(cmd, cwd=cwd, env={**os.environ, **env}, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"the server did not start: {Path(self.log.name).read_text()[-2000:]}")

    def peak_mb(self) -> float:
        """The server's peak resident memory so far."""
        return _status_mb(self.proc.pid)

    def resident_mb(self) -> float:
        """The server's resident memory now (VmRSS)."""
        return _status_mb(self.proc.pid, "VmRSS")

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *_exc) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def settle(page, timeout_s: float = 600) -> None:
    """Wait until the app is idle twice in a row, 300 ms apart (the run is over, nothing is a skeleton)."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout_s * 1000)
    page.wait_for_timeout(150)
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        page.wait_for_function(IDLE, timeout=timeout_s * 1000, polling=50)
        page.wait_for_timeout(300)
        if page.evaluate(IDLE):
            return
    raise TimeoutError("the page never settled")


def timed(page, action) -> float:
    """Seconds from ``action`` until the page has settled (the 300 ms settle check is not counted)."""
    started = time.perf_counter()
    action()
    page.wait_for_timeout(100)  # let the run start (the status widget appears)
    settle(page)
    return time.perf_counter() - started - 0.3


#: The heading each page opens with (as a manager in local mode).
HEADINGS = {"My leads": "Open MQLs", "What if": "What if"}


def nav(page, title: str):
    """An action clicking the sidebar's link to the page called ``title``; done when that page's heading shows."""
    heading = HEADINGS.get(title, title)

    def act():
        page.locator('[data-testid="stSidebarNav"] a').filter(has_text=title).first.click()
        page.locator("h1").filter(has_text=heading).first.wait_for(timeout=600_000)

    return act


def widget(page, label: str):
    """The sidebar's selectbox (the month) or multiselect (the filters) labelled exactly ``label``."""
    kind = "stSelectbox" if label == "Month" else "stMultiSelect"
    label_of = page.get_by_test_id("stWidgetLabel").filter(has_text=re.compile(f"^{re.escape(label)}$"))
    return page.get_by_test_id("stSidebar").get_by_test_id(kind).filter(has=label_of).first


def another_month(page):
    """An action picking a month other than the one shown; done when the page's heading names the new month."""

    def act():
        box = widget(page, "Month")
        shown = box.get_by_role("combobox").input_value().strip()
        box.click()
        option = page.get_by_role("option").filter(has_not_text=shown).first
        chosen = option.inner_text().strip()
        option.click()
        page.locator("h1").filter(has_text=chosen).first.wait_for(timeout=600_000)

    return act


def choose(page, label: str, option_index: int):
    """An action picking the ``option_index``-th option of the multiselect labelled ``label``; done when it shows."""

    def act():
        box = widget(page, label)
        box.click()
        options = page.get_by_role("option").filter(has_not_text=re.compile(r"^Select all"))
        option = options.nth(option_index)
        chosen = option.inner_text().strip()
        option.click()
        page.keyboard.press("Escape")
        box.get_by_text(chosen, exact=True).first.wait_for(timeout=600_000)

    return act


def unchoose(page, label: str):
    """An action removing the last option chosen in the multiselect labelled ``label``."""

    def act():
        widget(page, label).click()
        page.keyboard.press("Backspace")
        page.keyboard.press("Escape")

    return act


def summary(values: list[float]) -> tuple[float, float, float]:
    """Min, median and max."""
    return min(values), statistics.median(values), max(values)


def floor(browser, repeat: int) -> dict[str, list[float]]:
    """The bare app's rerun and page switch, in seconds."""
    folder = Path(tempfile.mkdtemp(prefix="bare_app_"))
    (folder / "app.py").write_text(textwrap.dedent(BARE_APP))
    for title in ("One", "Two"):
        (folder / f"{title.lower()}.py").write_text(textwrap.dedent(BARE_PAGE).replace("{title}", title))
    out = {"rerun": [], "switch": []}
    with Server(folder / "app.py", {}, folder) as server:
        page = browser.new_page(viewport=VIEWPORT)
        page.goto(server.url)
        settle(page)
        for i in range(repeat + 1):  # the first of each is a warm-up
            rerun = timed(page, lambda: page.get_by_role("button", name="Rerun").click())
            switch = timed(page, nav(page, "Two" if i % 2 == 0 else "One"))
            if i:
                out["rerun"].append(rerun)
                out["switch"].append(switch)
        page.close()
    shutil.rmtree(folder, ignore_errors=True)
    return out


def app_run(browser, leads: int, repeat: int) -> dict[str, list[float]]:
    """Every interaction of the table on the app at ``leads`` leads, in seconds (and the server's peak MB)."""
    source = DATA / f"leads_{leads}.db"
    if not source.exists():
        sys.exit(f"{source} is missing: run `python benchmarks/bench_load.py --leads {leads}` first")
    work = Path(tempfile.mkdtemp(prefix="bench_pages_"))
    db = work / "leads.db"
    shutil.copy(source, db)
    counter = work / "full_loads.txt"
    env = {"DATABASE_URL": f"sqlite:///{db}", "SMARKETING_SAMPLE_DATA": "0",
           "SMARKETING_SNAPSHOT_DIR": str(work / "copies"), "BENCH_FULL_LOADS": str(counter)}  # fmt: skip

    def full_loads() -> int:
        return len(counter.read_text().splitlines()) if counter.exists() else 0

    out: dict[str, list[float]] = {}

    def add(key: str, value: float) -> None:
        out.setdefault(key, []).append(value)
        print(f"  {leads:,} leads: {key} {value:.2f}", file=sys.stderr, flush=True)  # progress, on stderr

    with Server(ROOT / "app.py", env, ROOT, counted=True) as server:
        page = browser.new_page(viewport=VIEWPORT)
        started = time.perf_counter()
        page.goto(server.url)
        settle(page)
        page.wait_for_selector('[data-testid="stVegaLiteChart"]', timeout=600_000)
        add("cold start, read from the database", time.perf_counter() - started)
        add("full loads at the cold start (count)", full_loads())
        for _ in range(repeat):
            add("open My leads", timed(page, nav(page, "My leads")))
            for title in ("Lead quality", "Goal progress", "Handoff timing"):
                add(f"switch to {title}", timed(page, nav(page, title)))
        for title in ("Lead quality", "Goal progress"):
            timed(page, nav(page, title))
            for _ in range(repeat):
                add(f"change month ({title})", timed(page, another_month(page)))
                add(f"change channel ({title})", timed(page, choose(page, "Channel", 0)))
                # clear the channel again, so every try starts from all channels
                timed(page, unchoose(page, "Channel"))
        timed(page, nav(page, "What if"))
        slider = page.get_by_role("slider").first
        for i in range(repeat):
            add("What if… slider -> chart redrawn", timed(page, lambda i=i: (
                slider.focus(), page.keyboard.press("ArrowRight" if i % 2 == 0 else "ArrowLeft"))))  # fmt: skip
        loads = full_loads()
        for _ in range(repeat):
            timed(page, nav(page, "My leads"))
            grid = page.locator('[data-testid="stDataFrame"]').first
            box = grid.bounding_box()
            page.mouse.click(box["x"] + 18, box["y"] + 36 + 18)  # the first row's tick box
            page.get_by_text(re.compile(r"^1 selected: ")).wait_for(timeout=60_000)
            add("a decision -> confirmed on My leads",
                timed(page, lambda: page.get_by_role("button", name="Accept selected").click()))  # fmt: skip
            for title in ("Goal progress", "Lead quality", "Handoff timing"):
                add(f"a decision -> shown on {title}", timed(page, nav(page, title)))
        add("full loads after the decisions (count)", full_loads() - loads)
        add("server peak memory (MB)", server.peak_mb())  # the cold start from the database included
        add("server resident memory, warm, after all of the above (MB)", server.resident_mb())
        page.close()
    with Server(ROOT / "app.py", env, ROOT) as server:  # a restart: the columnar copy, caught up with the decisions
        page = browser.new_page(viewport=VIEWPORT)
        started = time.perf_counter()
        page.goto(server.url)
        settle(page)
        page.wait_for_selector('[data-testid="stVegaLiteChart"]', timeout=600_000)
        add("cold start, from the columnar copy", time.perf_counter() - started)
        add("server peak memory, a restart from the columnar copy (MB)", server.peak_mb())
        page.close()
    shutil.rmtree(work, ignore_errors=True)
    return out


def _command(args: list[str], env: dict[str, str]) -> dict:
    """``python -m sla_model ARGS``: wall seconds and peak resident MB (its largest process, from ``wait4``)."""
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "sla_model", *args], cwd=ROOT, env={**os.environ, **env},
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)  # fmt: skip
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"python -m sla_model {' '.join(args)} failed: {out[-2000:]}")
    return {"seconds": seconds, "peak_mb": usage.ru_maxrss / 1024, "output": out.strip().splitlines()[-1]}


def init_folder(leads: int) -> Path:
    """A data folder of ``leads`` generated leads with their touches and decisions and the sample SLA files (kept)."""
    folder = DATA / f"init_{leads}"
    if not (folder / "done").exists():
        shutil.rmtree(folder, ignore_errors=True)
        _command(["generate", "--leads", str(leads), "--out", str(folder)], {})
        shutil.copytree(ROOT / "sample_data" / "sla", folder / "sla")
        (folder / "done").write_text("")
    return folder


def cli_run(leads: int) -> dict[str, list[float]]:
    """The import command beside the import engine alone on the same leads file, and ``init --data``."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import bench_import

    DATA.mkdir(parents=True, exist_ok=True)
    csv = bench_import.csv_path(leads)
    if not csv.exists():
        bench_import._child("generate", csv, leads=str(leads))
    folder = init_folder(leads)
    work = Path(tempfile.mkdtemp(prefix="bench_cli_"))
    env = {"SMARKETING_SNAPSHOT_DIR": str(work / "copies")}
    engine = bench_import._child("sqlite-import", csv, url=f"sqlite:///{work / 'engine.db'}")
    command = _command(["import", str(csv), "--format", "own"], {**env, "DATABASE_URL": f"sqlite:///{work / 'i.db'}"})
    init = _command(["init", "--data", str(folder)], {**env, "DATABASE_URL": f"sqlite:///{work / 'init.db'}"})
    print(f"  import command printed: {command['output']}\n  init command printed: {init['output'][:300]}")
    shutil.rmtree(work, ignore_errors=True)
    return {
        "import engine alone: parse + write (s)": [engine["seconds"]],
        "`python -m sla_model import` (s)": [command["seconds"]],
        "`python -m sla_model import` (ratio to the engine)": [command["seconds"] / engine["seconds"]],
        "`python -m sla_model import`, peak (MB)": [command["peak_mb"]],
        "`python -m sla_model init --data` (s)": [init["seconds"]],
        "`python -m sla_model init --data`, peak (MB)": [init["peak_mb"]],
    }


def verdict(key: str, value: float) -> str:
    """The issue's target for the row ``key`` and whether ``value`` (its median) meets it."""
    for start, (limit, unit) in TARGETS.items():
        if key.startswith(start):
            shown = f"{limit:,.0f}" if unit == "MB" or not unit else f"{limit:g}"
            return f"≤ {shown} {unit}".rstrip() + (": met" if value <= limit else ": NOT met")
    return ""


def load() -> str:
    """The host's load average over 1, 5 and 15 minutes, as text."""
    return "load average " + " / ".join(f"{v:.1f}" for v in os.getloadavg())


def show_floor(title: str, figures: dict[str, list[float]]) -> None:
    """Print the bare page's rerun and switch as min/median/max seconds."""
    rerun, switch = ("/".join(f"{v:.2f}" for v in summary(figures[k])) for k in ("rerun", "switch"))
    print(f"{title}: rerun {rerun} s, switch {switch} s (min/median/max); {load()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-cli", action="store_true", help="leave out the import and init commands")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"), args=ARGS)
        print(f"host: {os.cpu_count()} cores, shared with any other work running; {load()}")
        base = floor(browser, args.repeat)
        show_floor("floor before (bare page)", base)
        runs = []
        for leads in args.sizes:
            started = load()
            runs.append((leads, app_run(browser, leads, args.repeat), started, load()))
        for leads, figures, _, _ in runs if not args.no_cli else ():
            started = load()
            print(f"command line at {leads:,} leads ({started})")
            figures.update(cli_run(leads))
            print(f"  done ({load()})")
        after = floor(browser, args.repeat)
        show_floor("floor after (bare page)", after)
        for key in base:
            base[key] += after[key]
        rerun_floor, switch_floor = statistics.median(base["rerun"]), statistics.median(base["switch"])
        print(f"floor used for the ratios (median of before and after): rerun {rerun_floor:.2f} s, "
              f"switch {switch_floor:.2f} s")  # fmt: skip
        for leads, figures, started, ended in runs:
            print(f"\n{leads:,} leads (at its start: {started}; at its end: {ended})")
            print(f"  {'':<52}{'min':>8}{'median':>9}{'max':>9}{'ratio':>8}  target (median)")
            for key, values in figures.items():
                low, mid, high = summary(values)
                if key.endswith(("(MB)", "(count)")):
                    print(f"  {key:<52}{low:8,.0f}{mid:9,.0f}{high:9,.0f}{'':8}  {verdict(key, mid)}")
                    continue
                if key.startswith("`") or key.startswith("import engine"):  # the command line: its own reference
                    digits = 2 if "ratio" in key else 1
                    print(f"  {key:<52}{low:8.{digits}f}{mid:9.{digits}f}{high:9.{digits}f}{'':8}  {verdict(key, mid)}")
                    continue
                ref = rerun_floor if key.startswith(("change", "What if", "a decision -> confirmed")) else switch_floor
                print(f"  {key:<52}{low:8.2f}{mid:9.2f}{high:9.2f}{mid / ref:8.1f}  {verdict(key, mid)}")
        browser.close()


if __name__ == "__main__":
    main()
