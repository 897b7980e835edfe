"""The data set's columnar copy: a cold start reads it instead of the database, and never a stale or foreign one."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlmodel import Session

from sla_model.access import Actor, Role
from sla_model.actions import decide, log_touch
from sla_model.store import snapshot
from sla_model.store.db import make_engine
from sla_model.store.repository import bump_data_version, data_version, open_mqls
from tests.test_refresh import assert_same, full, versions_of

NOW = dt.datetime(2026, 11, 18, 15, 0)
MANAGER = Actor("Maya Chen", Role.MANAGER, id="maya@example.com")


@pytest.fixture(autouse=True)
def own_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("SMARKETING_SNAPSHOT_DIR", str(tmp_path / "copies"))


def cold_start(engine, url):
    """What a server starting cold does: the frames, and where they came from."""
    return snapshot.load_frames(engine, url=url, version=data_version(engine=engine), versions=versions_of(engine))


def test_a_cold_start_reads_the_copy_the_last_full_load_wrote(small_engine, db_url):
    frames, source = cold_start(small_engine, db_url)
    assert source == "database"
    copied, source = cold_start(small_engine, db_url)
    assert source == "copy"
    assert_same(copied, full(small_engine))
    assert_same(copied, frames)


def test_after_small_writes_the_copy_catches_up_with_the_leads_they_changed(small_engine, db_url):
    cold_start(small_engine, db_url)
    queue = open_mqls(engine=small_engine)["lead_id"].tolist()
    decide(engine=small_engine, actor=MANAGER, lead_ids=queue[:2], accept=True, now=NOW)
    log_touch(engine=small_engine, actor=MANAGER, lead_id=queue[3], kind="call", outcome="booked a demo", at=NOW)
    frames, source = cold_start(small_engine, db_url)
    assert source == "copy caught up"
    assert_same(frames, full(small_engine))


def test_after_an_import_the_data_set_is_read_from_the_database_again(small_engine, db_url):
    cold_start(small_engine, db_url)
    with Session(small_engine) as session:  # an import moves the version without naming leads
        bump_data_version(session=session)
        session.commit()
    assert cold_start(small_engine, db_url)[1] == "database"


def test_a_database_created_again_at_the_same_place_never_takes_the_old_ones_copy(tmp_path):
    url = f"sqlite:///{tmp_path / 'team.db'}"
    first = make_engine(url)
    with Session(first) as session:
        bump_data_version(session=session)
        session.commit()
    cold_start(first, url)
    assert cold_start(first, url)[1] == "copy"
    first.dispose()
    (tmp_path / "team.db").unlink()
    again = make_engine(url)
    with Session(again) as session:  # the same data version as the old database's copy
        bump_data_version(session=session)
        session.commit()
    assert cold_start(again, url)[1] == "database"
    again.dispose()


def test_a_damaged_copy_is_ignored(small_engine, db_url):
    cold_start(small_engine, db_url)
    (snapshot.folder_for(db_url) / "touches.arrow").write_bytes(b"not arrow at all")
    frames, source = cold_start(small_engine, db_url)
    assert source == "database"
    assert_same(frames, full(small_engine))


def test_no_copy_is_kept_when_switched_off(small_engine, db_url, monkeypatch):
    monkeypatch.setenv("SMARKETING_SNAPSHOTS", "0")
    cold_start(small_engine, db_url)
    assert cold_start(small_engine, db_url)[1] == "database"
    assert not snapshot.folder_for(db_url).exists()


@pytest.mark.parametrize("frame", ["summary", "leads"])
def test_a_copy_written_before_a_column_was_added_is_read_again_from_the_database(small_engine, db_url, frame):
    frames, _ = cold_start(small_engine, db_url)
    older = getattr(frames, frame).drop(columns=getattr(frames, frame).columns[-1])  # as an older release wrote it
    epoch = snapshot.epoch(small_engine)
    stale = dataclasses.replace(frames, **{frame: older})
    snapshot.save(db_url, epoch_id=epoch, version=data_version(engine=small_engine), frames=stale)
    again, source = cold_start(small_engine, db_url)
    assert source == "database"
    assert_same(again, full(small_engine))
