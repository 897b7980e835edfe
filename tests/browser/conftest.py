"""Browser fixtures: the real app on a free port (seeded SQLite), driven by the system Chromium."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from sla_model.generator import sample_dir, sample_slas
from sla_model.store.db import PROJECT_ROOT, make_engine
from sla_model.store.seed import seed_if_empty
from tests.conftest import unavailable

ARTIFACTS = PROJECT_ROOT / "artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium() -> str:
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path or not Path(path).exists():
        unavailable("no system Chromium (install Debian's chromium or set CHROMIUM_PATH)")
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.read().decode() == "ok"
    except OSError:
        return False


def start_app(database: Path | str, *, extra_env: dict[str, str] | None = None, log: Path | None = None,
              timeout: float = 60):  # fmt: skip
    """Start ``streamlit run app.py`` on a free port against ``database``; returns (process, base URL).

    ``database`` is a SQLite file or a database URL (then ``log`` names the server's log file; a file's log sits
    beside it).
    """
    port = _free_port()
    url = database if isinstance(database, str) else f"sqlite:///{database}"
    log = log or Path(database).with_suffix(".log")
    out = open(log, "wb")  # noqa: SIM115  (closed by the caller via stop_app)
    env = {**os.environ, "DATABASE_URL": url, **(extra_env or {})}
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.headless", "true", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none"],
        cwd=PROJECT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
    )  # fmt: skip
    process.log = out
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while not _healthy(base):
        if process.poll() is not None or time.monotonic() > deadline:
            stop_app(process)
            raise RuntimeError(f"the app did not start: {log.read_text()[-2000:]}")
        time.sleep(0.2)
    return process, base


def stop_app(process) -> None:
    """Stop an app started by :func:`start_app` and close its log."""
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    process.log.close()


@pytest.fixture(scope="session")
def seeded_database(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("browser") / "app.db"
    engine = make_engine(f"sqlite:///{path}")
    seed_if_empty(engine=engine, slas=sample_slas(), folder=sample_dir())
    engine.dispose()
    return path


@pytest.fixture(scope="module")
def app_url(seeded_database, tmp_path_factory):
    """A running app on its own copy of the seeded database."""
    copy = tmp_path_factory.mktemp("app") / "app.db"
    shutil.copy(seeded_database, copy)
    process, url = start_app(copy)
    yield url
    stop_app(process)


@pytest.fixture(scope="session")
def browser():
    path = _chromium()
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=60_000)  # the first render loads the data set
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    context.set_default_timeout(60_000)
    pg = context.new_page()
    yield pg
    context.close()


IDLE = """() => !document.querySelector('[data-testid="stStatusWidget"]')
           && !document.querySelector('[data-testid="stSkeleton"]')"""


def settle(page) -> None:
    """Wait until the rerun is over: no running indicator and no skeleton, so no stale element is left on screen."""
    page.wait_for_function(IDLE)


def screenshot(page, name: str) -> Path:
    """Save a screenshot artifact of the current view."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def choose(page, selectbox, typed: str, option: str) -> None:
    """Pick ``option`` in a Streamlit selectbox by typing ``typed`` into it (filters the list and opens it).

    The list can close again when a rerun lands just as it opens, so the pick is retried a few times.
    """
    from playwright.sync_api import Error

    wanted = page.get_by_role("option", name=option, exact=True)
    for _ in range(5):
        selectbox.locator("input").click()
        page.keyboard.type(typed)
        try:
            wanted.click(timeout=3_000)
            return
        except Error:
            page.keyboard.press("Escape")
    wanted.click()  # a last try that fails with Playwright's own message


def chart_mark(page, key: str, text: str):
    """The mark of the chart under widget key ``key`` whose description (Vega's aria-label, its tooltip's fields as
    ``field: value; …``) contains ``text``."""
    mark = page.locator(f".st-key-{key} svg.marks [aria-label*='{text}']").first
    mark.wait_for(state="attached")
    return mark


def mark_value(mark, field: str) -> str:
    """The value of ``field`` in a chart mark's description (``… field: value; …``)."""
    label = mark.get_attribute("aria-label") or ""
    parts = dict(p.split(": ", 1) for p in label.split("; ") if ": " in p)
    return parts[field]


def click_mark(page, key: str, text: str):
    """Click the mark of the chart under ``key`` described by ``text`` (see :func:`chart_mark`); returns the mark."""
    from playwright.sync_api import Error

    settle(page)
    for _ in range(3):  # Vega can redraw a chart (a new SVG) while the page settles: find its mark again
        mark = chart_mark(page, key, text)
        try:
            mark.scroll_into_view_if_needed()
            mark.click()
            return mark
        except Error:
            page.wait_for_timeout(500)
    mark.click()  # a last try that fails with Playwright's own message
    return mark


def tick_row(page, key: str, row: int, *, header: int = 35, height: int = 35) -> None:
    """Tick row ``row`` (0 = first) of the ``st.dataframe`` under widget key ``key`` (its tick box, left edge)."""
    grid = page.locator(f".st-key-{key}")
    grid.locator("canvas").first.wait_for()
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 16, box["y"] + header + height * row + height / 2)
