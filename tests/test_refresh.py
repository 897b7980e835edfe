"""A loaded data set caught up with small writes equals the data set loaded again in full."""

from __future__ import annotations

import datetime as dt
import random

import pandas as pd
import pytest
from sqlmodel import Session

from sla_model.access import Actor, Role
from sla_model.actions import ActionError, decide, log_touch, publish_sla, undo_last
from sla_model.metrics.timing import touch_summary
from sla_model.store.refresh import Frames, catch_up, changed_leads
from sla_model.store.repository import (
    data_version,
    list_sla_versions,
    load_feedback,
    load_leads,
    load_touches,
    open_mqls,
)

NOW = dt.datetime(2026, 11, 18, 15, 0)
KEYS = {
    "leads": ["lead_id"],
    "touches": ["lead_id", "at", "kind", "outcome", "rep"],
    "feedback": ["lead_id", "at", "decision", "note"],
    "summary": ["lead_id"],
}


def full(engine) -> Frames:
    """The data set as a page loads it from scratch."""
    with Session(engine) as session:
        versions = list_sla_versions(session=session)
    leads, touches = load_leads(engine=engine), load_touches(engine=engine)
    return Frames(leads, touches, load_feedback(engine=engine), touch_summary(leads, touches, versions))


def assert_same(caught_up: Frames, loaded: Frames) -> None:
    """Equal frames: rows, values, column types and categories (rows compared in one order)."""
    for name, keys in KEYS.items():
        a, b = getattr(caught_up, name), getattr(loaded, name)
        a, b = (f.sort_values(keys, kind="stable").reset_index(drop=True) for f in (a, b))
        pd.testing.assert_frame_equal(a, b, check_categorical=True, obj=name)


def versions_of(engine):
    with Session(engine) as session:
        return list_sla_versions(session=session)


def test_random_writes_caught_up_lead_by_lead_give_the_frames_of_a_full_reload(small_engine):
    engine = small_engine
    versions = versions_of(engine)
    rng = random.Random(20261202)
    manager = Actor("Maya Chen", Role.MANAGER, id="maya@example.com")
    frames, version = full(engine), data_version(engine=engine)
    reps = sorted(open_mqls(engine=engine)["owner"].dropna().unique())
    seen = {"accept": 0, "reject": 0, "touch": 0, "undo": 0}
    for step in range(12):
        queue = open_mqls(engine=engine)
        kind = ["accept", "reject", "touch", "undo"][step % 4] if step < 8 else rng.choice(list(seen))
        rep_name = rng.choice(reps)
        rep = Actor(rep_name, Role.REP, rep=rep_name, id=f"local:rep:{rep_name}")
        mine = queue.loc[queue["owner"] == rep_name, "lead_id"].tolist()
        expected: set[str] = set()
        if kind in {"accept", "reject"}:
            picked = rng.sample(queue["lead_id"].tolist(), 3)
            done = decide(engine=engine, actor=manager, lead_ids=picked, accept=kind == "accept",
                          reason=None if kind == "accept" else "no_budget", note=f"step {step}", now=NOW)  # fmt: skip
            expected = {d.lead_id for d in done if d.ok}
        elif kind == "touch" and mine:
            lead = rng.choice(mine)
            log_touch(engine=engine, actor=rep, lead_id=lead, kind="email", outcome=f"new outcome {step}", at=NOW)
            expected = {lead}
        elif kind == "undo":
            try:
                undo_last(engine=engine, actor=manager if rng.random() < 0.5 else rep)
            except ActionError:
                continue
            expected = None  # whichever lead the undo reverted
        else:
            continue
        seen[kind] += 1
        now_version = data_version(engine=engine)
        ids = changed_leads(engine=engine, since=version, until=now_version)
        assert ids is not None
        if expected is not None:
            assert ids == expected
        frames = catch_up(frames, engine=engine, lead_ids=ids, versions=versions)
        assert_same(frames, full(engine))
        version = now_version
    assert all(seen.values()), seen


def test_several_writes_are_caught_up_at_once(small_engine):
    engine = small_engine
    versions = versions_of(engine)
    manager = Actor("Maya Chen", Role.MANAGER, id="maya@example.com")
    frames, version = full(engine), data_version(engine=engine)
    queue = open_mqls(engine=engine)["lead_id"].tolist()
    decide(engine=engine, actor=manager, lead_ids=queue[:2], accept=True, now=NOW)
    log_touch(engine=engine, actor=manager, lead_id=queue[5], kind="call", outcome="left a message", at=NOW)
    decide(engine=engine, actor=manager, lead_ids=[queue[6]], accept=False, reason="no_budget", now=NOW)
    undo_last(engine=engine, actor=manager)
    ids = changed_leads(engine=engine, since=version, until=data_version(engine=engine))
    assert ids == {*queue[:2], queue[5], queue[6]}
    assert_same(catch_up(frames, engine=engine, lead_ids=ids, versions=versions), full(engine))


@pytest.mark.parametrize("kind", ["published SLA", "no change recorded"])
def test_a_write_that_changed_more_than_a_few_leads_asks_for_a_full_reload(small_engine, kind):
    engine = small_engine
    version = data_version(engine=engine)
    queue = open_mqls(engine=engine)["lead_id"].tolist()
    decide(engine=engine, actor=Actor("M", Role.MANAGER), lead_ids=queue[:1], accept=True, now=NOW)
    if kind == "published SLA":
        latest = versions_of(engine)[-1]
        newer = latest.model_copy(update={"meta": latest.meta.model_copy(update={"version": latest.meta.version + 1})})
        publish_sla(engine=engine, actor=Actor("M", Role.MANAGER), sla=newer)
    else:
        from sla_model.store.repository import bump_data_version

        with Session(engine) as session:  # as an import does: the version moves, no leads are named
            bump_data_version(session=session)
            session.commit()
    until = data_version(engine=engine)
    assert changed_leads(engine=engine, since=version, until=until) is None
    assert changed_leads(engine=engine, since=version, until=version + 1) == set(queue[:1])


def _memory(series: pd.Series):
    """The array holding a column's values (a categorical's codes); None for immutable Arrow text."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        return series.array.codes
    if isinstance(series.dtype, pd.StringDtype):
        return None
    return series.to_numpy()


def shared_columns(new: pd.DataFrame, old: pd.DataFrame) -> set[str]:
    """The columns of ``new`` whose values are ``old``'s own memory (not a copy)."""
    import numpy as np

    out = set()
    for name in old.columns:
        a, b = _memory(new[name]), _memory(old[name])
        if a is not None and np.shares_memory(a, b):
            out.add(name)
    return out


def changed_columns(new: pd.DataFrame, old: pd.DataFrame, lead_ids: list[str]) -> set[str]:
    """The columns whose values for ``lead_ids`` differ between ``old`` and ``new``."""
    a = new[new["lead_id"].isin(lead_ids)].sort_values("lead_id").reset_index(drop=True).astype(object)
    b = old[old["lead_id"].isin(lead_ids)].sort_values("lead_id").reset_index(drop=True).astype(object)
    return {name for name in old.columns if not a[name].equals(b[name])}


def test_a_caught_up_decision_copies_only_the_columns_it_changed(small_engine):
    engine = small_engine
    versions = versions_of(engine)
    frames, version = full(engine), data_version(engine=engine)
    before = Frames(*(f.copy(deep=True) for f in (frames.leads, frames.touches, frames.feedback, frames.summary)))
    lead = open_mqls(engine=engine)["lead_id"].iloc[0]
    decide(engine=engine, actor=Actor("Maya Chen", Role.MANAGER), lead_ids=[lead], accept=False,
           reason="no_budget", note="no budget this year", now=NOW)  # fmt: skip
    ids = changed_leads(engine=engine, since=version, until=data_version(engine=engine))
    caught = catch_up(frames, engine=engine, lead_ids=ids, versions=versions)
    assert_same(caught, full(engine))
    assert_same(frames, before)  # the data set other sessions still read is left as it was

    assert caught.touches is frames.touches  # a decision changes no touch
    for name in ("leads", "summary"):
        new, old = getattr(caught, name), getattr(frames, name)
        changed = changed_columns(new, old, [lead])
        assert changed, name  # the decision shows: rejected_at and its reason, the summary's `decided`
        copyable = {c for c in old.columns if _memory(old[c]) is not None}
        assert shared_columns(new, old) == copyable - changed, name
    assert len(caught.feedback) == len(frames.feedback) + 1


def test_a_caught_up_touch_leaves_the_leads_and_the_decisions_as_they_were(small_engine):
    engine = small_engine
    versions = versions_of(engine)
    frames, version = full(engine), data_version(engine=engine)
    queue = open_mqls(engine=engine)
    lead, rep_name = queue[["lead_id", "owner"]].iloc[0]
    rep = Actor(rep_name, Role.REP, rep=rep_name, id=f"local:rep:{rep_name}")
    log_touch(engine=engine, actor=rep, lead_id=lead, kind="call", outcome="a brand-new outcome", at=NOW)
    ids = changed_leads(engine=engine, since=version, until=data_version(engine=engine))
    caught = catch_up(frames, engine=engine, lead_ids=ids, versions=versions)
    assert_same(caught, full(engine))
    assert caught.feedback is frames.feedback
    copyable = {c for c in frames.leads.columns if _memory(frames.leads[c]) is not None}
    assert shared_columns(caught.leads, frames.leads) == copyable
    assert len(caught.touches) == len(frames.touches) + 1
    assert "a brand-new outcome" in caught.touches["outcome"].cat.categories
