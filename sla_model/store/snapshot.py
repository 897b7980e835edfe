"""A columnar copy of the loaded data set beside the database: a server starting cold maps it, reading no rows.

After a full load the frames (leads, touches, decisions, the touch summary) are written as Arrow IPC files, with
the data version they hold and the database's epoch (a random ID stored in the database once, so a database that
was deleted and created again never takes another one's copy). A server starting cold reads the copy when it is of
this database; if small writes moved the data on since, the data set catches up with the leads they changed
(:mod:`sla_model.store.refresh`). Anything else (no copy, another database, an import since, a damaged file) is a
full load from the database, which writes a new copy. Set ``SMARKETING_SNAPSHOTS=0`` to keep none.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.feather as feather
from sqlalchemy import Engine, text
from sqlmodel import Session

from sla_model.agreement.sla import Sla
from sla_model.metrics.timing import touch_summary
from sla_model.store.db import PROJECT_ROOT, writer
from sla_model.store.refresh import Frames, catch_up_between
from sla_model.store.repository import (
    FEEDBACK_COLUMNS,
    LEAD_COLUMNS,
    TOUCH_COLUMNS,
    get_meta,
    load_feedback,
    load_leads,
    load_touches,
)

EPOCH_KEY = "dataset_epoch"
#: Where copies are kept (one folder per database URL); ``SMARKETING_SNAPSHOT_DIR`` moves it.
DEFAULT_DIR = PROJECT_ROOT / "data" / "snapshots"
#: Bumped when the layout of a copy changes: older copies are then ignored.
FORMAT = 1
_FRAMES = ("leads", "touches", "feedback", "summary")


def enabled() -> bool:
    """False when ``SMARKETING_SNAPSHOTS=0``."""
    return os.environ.get("SMARKETING_SNAPSHOTS", "1") != "0"


def folder_for(url: str) -> Path:
    """The folder holding the copy of the database at ``url``."""
    base = Path(os.environ.get("SMARKETING_SNAPSHOT_DIR") or DEFAULT_DIR)
    return base / hashlib.sha256(url.encode()).hexdigest()[:16]


def epoch(engine: Engine) -> str:
    """The database's epoch: a random ID written once, the first time it is asked for."""
    with Session(engine) as session:
        found = get_meta(session=session, key=EPOCH_KEY)
    if found:
        return found
    with Session(writer(engine)) as session:  # two servers asking at once: the first one's ID stays
        session.exec(
            text("INSERT INTO meta (key, value) VALUES (:key, :value) ON CONFLICT (key) DO NOTHING"),
            params={"key": EPOCH_KEY, "value": uuid.uuid4().hex},
        )
        session.commit()
        return get_meta(session=session, key=EPOCH_KEY) or ""


def save(url: str, *, epoch_id: str, version: int, frames: Frames) -> Path:
    """Write ``frames`` as the copy of the database at ``url``, replacing any older copy at once (never half)."""
    final = folder_for(url)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.with_name(f"{final.name}.{uuid.uuid4().hex[:8]}.tmp")
    tmp.mkdir()
    try:
        for name in _FRAMES:
            table = pa.Table.from_pandas(getattr(frames, name), preserve_index=True)
            feather.write_feather(table, tmp / f"{name}.arrow", compression="uncompressed")
        (tmp / "meta.json").write_text(json.dumps({"format": FORMAT, "epoch": epoch_id, "version": version}))
        old = final.with_name(f"{final.name}.{uuid.uuid4().hex[:8]}.old")
        if final.exists():
            final.rename(old)
        tmp.rename(final)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final


def load(url: str, *, epoch_id: str) -> tuple[int, Frames] | None:
    """The copy of the database at ``url`` and the data version it holds.

    Returns:
        None when there is none, or it is another database's, of another format, or unreadable.
    """
    folder = folder_for(url)
    try:
        meta = json.loads((folder / "meta.json").read_text())
        if meta.get("format") != FORMAT or meta.get("epoch") != epoch_id:
            return None
        frames = {name: feather.read_table(folder / f"{name}.arrow", memory_map=True).to_pandas() for name in _FRAMES}
    except (OSError, ValueError, KeyError, pa.ArrowException):
        return None
    return int(meta["version"]), Frames(**frames)


def full_frames(engine: Engine, versions: Sequence[Sla]) -> Frames:
    """The data set read from the database: every lead, touch and decision, and the touch summary.

    The three tables are read at once, each on a connection of its own (SQLite's large tables each by a reader
    process of its own): the load takes about as long as its largest table, not as the three together.
    """
    with ThreadPoolExecutor(max_workers=3, thread_name_prefix="load") as pool:
        reads = [pool.submit(read, engine=engine) for read in (load_leads, load_touches, load_feedback)]
        leads, touches, feedback = (r.result() for r in reads)
    summary = touch_summary(leads, touches, versions) if versions else pd.DataFrame()
    return Frames(leads=leads, touches=touches, feedback=feedback, summary=summary)


def current_layout(frames: Frames, versions: Sequence[Sla]) -> bool:
    """Whether a copy has the columns today's code gives; a copy written before a column was added is not used.

    The lead, touch and decision frames must have the repository's columns, and the touch summary those it has
    today (recomputed on no rows).
    """
    if list(frames.leads.columns) != LEAD_COLUMNS or list(frames.touches.columns) != TOUCH_COLUMNS:
        return False
    if list(frames.feedback.columns) != FEEDBACK_COLUMNS:
        return False
    expected = touch_summary(frames.leads.iloc[:0], frames.touches.iloc[:0], versions) if versions else pd.DataFrame()
    return list(frames.summary.columns) == list(expected.columns)


def load_frames(engine: Engine, *, url: str, version: int, versions: Sequence[Sla]) -> tuple[Frames, str]:
    """The data set at data ``version``, from the copy where it can be, else from the database (writing a copy).

    Returns:
        The frames and where they came from: ``"copy"``, ``"copy caught up"`` or ``"database"``.
    """
    epoch_id = epoch(engine) if enabled() else ""
    found = load(url, epoch_id=epoch_id) if enabled() else None
    if found is not None and not current_layout(found[1], versions):
        found = None
    if found is not None:
        at, frames = found
        if at == version:
            return frames, "copy"
        caught = catch_up_between(frames, engine=engine, since=at, until=version, versions=versions)
        if caught is not None:
            return caught, "copy caught up"
    frames = full_frames(engine, versions)
    if enabled():
        try:
            save(url, epoch_id=epoch_id, version=version, frames=frames)
        except OSError:  # a read-only or full disk: the app works without a copy, only its cold start is slower
            pass
    return frames, "database"
