"""One clock: every figure is judged as of one moment, and no write, import or visit moves a past period."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlmodel import Session

from sla_model.access import Actor, Role
from sla_model.actions import decide, log_touch
from sla_model.generator import SLOW_REP, sample_dir, sample_ends_at, seed_sample
from sla_model.importing import importer
from sla_model.importing.csvfile import read_csv
from sla_model.importing.mapping import OWN_LEADS
from sla_model.store.models import utcnow
from sla_model.store.repository import (
    SNAPSHOT_KEY,
    Clock,
    clock,
    data_as_of,
    get_meta,
    list_sla_versions,
    load_leads,
    load_touches,
    open_mqls,
    read_dataset,
)

SHIPPED = dt.datetime(2026, 11, 18, 12, 0)
MANAGER = Actor("Maya", Role.MANAGER)


def _leads_csv(rows: list[tuple[str, str, str]]) -> bytes:
    """A leads file in the app's own format: id, created, won (empty = not won)."""
    lines = ["lead_id,created_at,channel,mql_at,won_at,amount"]
    for lead_id, created, won in rows:
        lines.append(f"{lead_id},{created},Email,{created},{won},{1000 if won else ''}")
    return ("\n".join(lines) + "\n").encode()


def _import(engine, data: bytes, **kw):
    prepared = importer.prepare(read_csv(data, name="leads.csv"), OWN_LEADS)
    return importer.write(engine, prepared, actor=Actor("test", Role.MANAGER), **kw)


def test_the_shipped_sample_is_judged_as_of_its_snapshot_and_a_rep_decision_does_not_move_it(seeded_engine):
    """Before: the first decision (stamped now) moved 'data as of' from the snapshot to now."""
    assert clock(engine=seeded_engine).as_of == SHIPPED
    assert clock(engine=seeded_engine).live is False
    lead_id = open_mqls(engine=seeded_engine)["lead_id"].iloc[-1]
    [done] = decide(engine=seeded_engine, actor=MANAGER, lead_ids=[lead_id], accept=True)
    assert done.ok, done.message
    log_touch(engine=seeded_engine, actor=MANAGER, lead_id=lead_id, kind="call")
    assert data_as_of(engine=seeded_engine) == SHIPPED


def test_the_sample_story_is_told_up_to_the_moment_it_is_seeded(engine):
    """Seeded on 2 Dec 2026 02:30, the story's last month is December 2026, in progress, and every month is whole."""
    ends = dt.datetime(2026, 12, 2, 2, 30)
    assert seed_sample(engine, ends.isoformat())
    assert clock(engine=engine) == Clock(as_of=ends, live=False)
    leads = load_leads(engine=engine)
    times = leads[[c for c in leads.columns if c.endswith("_at")]]
    assert times.max().max() <= ends  # nothing has happened after the moment it is seeded
    assert load_touches(engine=engine)["at"].max() <= ends
    assert leads["created_at"].min() >= dt.datetime(2025, 12, 1)  # the shipped first month, moved by one month
    assert leads["created_at"].max() >= ends - dt.timedelta(days=1)  # and leads up to now
    months = leads["created_at"].dt.to_period("M").value_counts().sort_index()
    assert [str(m) for m in months.index] == [str(m) for m in pd.period_range("2025-12", "2026-12", freq="M")]
    # the planted months keep their place in the story: March 2026 (the 4th after the start) is now April
    assert months[pd.Period("2026-04", "M")] > 1.2 * months[pd.Period("2026-05", "M")]
    with Session(engine) as session:
        stored = list_sla_versions(session=session)
    assert [s.meta.effective_from for s in stored] == [dt.date(2025, 12, 1), dt.date(2026, 7, 1)]
    # the story's open, overdue MQLs of the slow rep are open now
    assert (open_mqls(engine=engine, owner=SLOW_REP)["mql_at"] < ends - dt.timedelta(hours=8)).sum() >= 1


def test_the_shipped_setting_seeds_the_files_as_they_are(engine):
    assert seed_sample(engine, "shipped")
    assert clock(engine=engine) == Clock(as_of=SHIPPED, live=False)
    assert len(load_leads(engine=engine)) == len(read_dataset(sample_dir())[0])


@pytest.mark.parametrize(
    ("setting", "expected"),
    [("shipped", None), ("2027-01-15T09:00", dt.datetime(2027, 1, 15, 9)), ("2027-01-15T09:00+01:00",
     dt.datetime(2027, 1, 15, 8))],
)  # fmt: skip
def test_the_sample_end_setting(setting, expected):
    assert sample_ends_at(setting) == expected


def test_the_sample_ends_now_by_default_and_a_bad_setting_is_named():
    before = utcnow().replace(microsecond=0)
    assert before <= sample_ends_at("") <= utcnow()
    with pytest.raises(ValueError, match="SMARKETING_SAMPLE_ENDS: 'next week'"):
        sample_ends_at("next week")


def test_imported_history_is_judged_as_of_its_latest_event(engine):
    """Before: without a snapshot an import was judged as of now (historical leads 'overdue by 3,456 d')."""
    _import(engine, _leads_csv([("A", "2017-01-05", "2017-03-01"), ("B", "2017-02-10", "")]))
    moment = clock(engine=engine)
    assert moment.live is False
    assert moment.as_of == dt.datetime(2017, 3, 1)


def test_a_later_import_moves_the_clock_forward_and_an_older_one_never_back(engine):
    _import(engine, _leads_csv([("A", "2017-01-05", "2017-03-01")]))
    _import(engine, _leads_csv([("B", "2017-04-05", "2017-06-01")]))
    assert data_as_of(engine=engine) == dt.datetime(2017, 6, 1)
    _import(engine, _leads_csv([("C", "2016-01-05", "")]))
    assert data_as_of(engine=engine) == dt.datetime(2017, 6, 1)


def test_a_live_import_is_judged_as_of_now_and_stays_live(engine):
    _import(engine, _leads_csv([("A", "2017-01-05", "2017-03-01")]), live=True)
    assert clock(engine=engine).live is True
    _import(engine, _leads_csv([("B", "2017-04-05", "")]))  # no choice made: the database's stays
    moment = clock(engine=engine)
    assert moment.live is True and utcnow() - moment.as_of < dt.timedelta(minutes=1)
    _import(engine, _leads_csv([("C", "2017-05-05", "")]), live=False)  # back to history, as of its latest event
    assert clock(engine=engine) == type(moment)(as_of=dt.datetime(2017, 5, 5), live=False)


def test_a_future_date_in_a_file_never_puts_the_clock_past_now(engine):
    _import(engine, _leads_csv([("A", "2017-01-05", ""), ("B", "2099-01-01", "")]))
    assert data_as_of(engine=engine) <= utcnow()


def test_a_replace_import_takes_the_new_files_clock(seeded_engine):
    _import(seeded_engine, _leads_csv([("A", "2017-01-05", "2017-03-01")]), replace=True)
    with Session(seeded_engine) as session:
        assert get_meta(session=session, key=SNAPSHOT_KEY) == "2017-03-01T00:00:00"
