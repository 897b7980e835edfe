"""Bringing a loaded data set up to date after small writes, by reading only the leads they changed.

A decision, a touch or an undo changes one lead or a few, yet moves the data version that every cached data set is
keyed on. Reading a million leads and five million touches again for that takes seconds; reading the few changed
leads with their touches and decisions, and putting them in place, takes milliseconds. Each such write records the
leads it changed with the version it moved the data to (:func:`sla_model.store.repository.bump_data_version`);
:func:`changed_leads` collects them between two versions, or answers ``None`` when any write in between changed
more than a few leads (an import, a published SLA), and the data set is loaded again in full.

:func:`catch_up` gives the same frames a full reload would (the test suite checks it after random writes): the same
rows and values, the same column types and categories; only the order of rows that tie on their timestamp may
differ.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Engine
from sqlmodel import Session, select

from sla_model.agreement.sla import Sla
from sla_model.metrics.timing import touch_summary
from sla_model.store.models import DataChange
from sla_model.store.repository import load_feedback, load_leads, load_touches

#: More changed leads than this between two versions: loading everything again is about as quick.
MAX_CHANGED_LEADS = 5_000
#: More versions than this between two data sets: load everything again.
MAX_VERSIONS = 500


@dataclass(frozen=True)
class Frames:
    """The loaded data set's frames: leads, touches, decisions and the per-MQL touch summary."""

    leads: pd.DataFrame
    touches: pd.DataFrame
    feedback: pd.DataFrame
    summary: pd.DataFrame


def changed_leads(*, engine: Engine, since: int, until: int) -> set[str] | None:
    """The leads changed by the writes that moved the data from version ``since`` to ``until``.

    Returns:
        Their IDs, or ``None`` when a full reload is needed: a version in between recorded no leads (it changed
        more than a few), or too many versions or leads changed.
    """
    if until <= since:
        return set()
    if until - since > MAX_VERSIONS:
        return None
    with Session(engine) as session:
        rows = session.exec(
            select(DataChange.version, DataChange.lead_id).where(
                DataChange.version > since, DataChange.version <= until
            )
        ).all()
    if {version for version, _ in rows} != set(range(since + 1, until + 1)):
        return None
    leads = {lead_id for _, lead_id in rows}
    return leads if len(leads) <= MAX_CHANGED_LEADS else None


def _with_categories_for(column: pd.Series, values: pd.Series) -> pd.Series:
    """The categorical ``column`` with every value of ``values`` among its categories, which stay sorted."""
    categories = column.cat.categories
    missing = pd.Index(values.dropna().unique()).astype(categories.dtype).difference(categories)
    return column.cat.set_categories(categories.union(missing)) if len(missing) else column


def _values(series: pd.Series) -> list:
    """A few values as plain Python objects, every missing value as ``None`` (categories and dtypes aside)."""
    return [None if pd.isna(v) else v for v in series.astype(object)]


def _rows(frame: pd.DataFrame) -> list[tuple]:
    """A few rows as sorted tuples of plain values: equal for the same rows in any order and any column types."""
    columns = [_values(frame[name]) for name in frame.columns]
    return sorted(zip(*columns, strict=True), key=repr)


def _replace_rows(frame: pd.DataFrame, positions: np.ndarray, fresh: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with the rows at ``positions`` holding ``fresh``'s values (row for row), copying only what changed.

    A column whose values at ``positions`` are already ``fresh``'s is shared with ``frame`` as it is; a changed
    column is copied once, with its categories as a full load makes them (sorted, none unused). ``frame`` itself
    is left as it was.
    """
    out = frame.copy(deep=False)  # shares every column until one is replaced
    for name in frame.columns:
        old, new = frame[name], fresh[name]
        if _values(old.iloc[positions]) == _values(new):
            continue
        if isinstance(old.dtype, pd.CategoricalDtype):
            column = _with_categories_for(old, new).copy()
            column.iloc[positions] = new.astype(object).to_numpy()
            out[name] = column.cat.remove_unused_categories()
        else:
            column = old.copy()
            column.iloc[positions] = new.astype(old.dtype).to_numpy()
            out[name] = column
    return out


def _replace_leads(leads: pd.DataFrame, fresh: pd.DataFrame, positions: np.ndarray) -> pd.DataFrame | None:
    """``leads`` with the rows at ``positions`` replaced by ``fresh`` (by ID); ``None`` if leads came or went."""
    at = pd.Index(fresh["lead_id"]).get_indexer(leads["lead_id"].iloc[positions].to_numpy())  # not all 1M IDs
    if (at < 0).any() or len(fresh) != len(positions):
        return None
    return _replace_rows(leads, positions, fresh.iloc[at].reset_index(drop=True))


def _without_unused(column: pd.Series, candidates: pd.Index) -> pd.Series:
    """The categorical ``column`` without those of ``candidates`` no row holds any more (a full load drops them)."""
    codes = column.cat.codes.to_numpy()
    unused = [c for c in candidates if not (codes == column.cat.categories.get_loc(c)).any()]
    return column.cat.remove_categories(unused) if unused else column


def _splice(frame: pd.DataFrame, removed: np.ndarray, fresh: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (ordered by ``at``) without the rows at ``removed`` and with ``fresh``'s rows where they fall in time.

    The result is what stacking the kept rows and ``fresh`` and sorting them stably by ``at`` gives, without the
    sort: ``fresh`` (ordered by ``at``) goes after the kept rows of the same moment. Each column is gathered once;
    categories stay as a full load makes them (sorted, none unused).
    """
    n = len(frame)
    at = frame["at"].to_numpy()
    fresh_at = fresh["at"].to_numpy(dtype=at.dtype)
    kept = np.delete(np.arange(n), removed)
    slots = np.searchsorted(at, fresh_at, side="right")
    slots -= np.searchsorted(removed, slots, side="left")  # removed rows before each slot
    order = np.insert(kept, slots, n + np.arange(len(fresh)))
    out = {}
    for name in frame.columns:
        old, new = frame[name], fresh[name]
        if isinstance(old.dtype, pd.CategoricalDtype):
            gone = pd.Index(old.iloc[removed].dropna().unique()).difference(pd.Index(new.dropna().unique()))
            old = _with_categories_for(old, new)
            codes = pd.Categorical(new.astype(object), categories=old.cat.categories).codes
            both = np.concatenate([old.cat.codes.to_numpy(), codes])[order]
            column = pd.Series(pd.Categorical.from_codes(both, dtype=old.dtype))
            out[name] = _without_unused(column, gone.astype(old.cat.categories.dtype))
        else:
            out[name] = pd.concat([old, new.astype(old.dtype)], ignore_index=True).take(order).reset_index(drop=True)
    return pd.DataFrame(out)


def _rows_of(frame: pd.DataFrame, fresh: pd.DataFrame, lead_ids: set[str]) -> pd.DataFrame:
    """``frame`` (touches or decisions, by time) with the rows of ``lead_ids`` being ``fresh``: itself if unchanged."""
    removed = np.flatnonzero(frame["lead_id"].isin(lead_ids).to_numpy())
    if len(removed) == len(fresh) and _rows(frame.iloc[removed]) == _rows(fresh):
        return frame  # e.g. a decision leaves the touches as they were
    return _splice(frame, removed, fresh)


def _summary_of(summary: pd.DataFrame, part: pd.DataFrame, lead_ids: set[str]) -> pd.DataFrame:
    """The touch summary with the rows of ``lead_ids`` being ``part`` (theirs, recomputed), copying what changed."""
    positions = np.flatnonzero(summary["lead_id"].isin(lead_ids).to_numpy())
    if summary.index[positions].equals(part.index):  # the same MQLs, in the same rows: replace their values
        return _replace_rows(summary, positions, part.reset_index(drop=True))
    rest = summary.drop(index=summary.index[positions])
    return pd.concat([rest, part.astype(rest.dtypes.to_dict())]).sort_index()


def catch_up(frames: Frames, *, engine: Engine, lead_ids: set[str], versions: Sequence[Sla]) -> Frames | None:
    """``frames`` with the stored state of ``lead_ids`` read in: the frames a full reload would give.

    Only those leads, their touches and their decisions are read; the touch summary is recomputed for them alone
    (it is per MQL). Only what changed is copied: a column of leads or of the summary whose values for these
    leads are unchanged is shared with ``frames``, touches or decisions with no row changed are ``frames``' own,
    and rows added or removed are put in place without sorting everything again. ``frames`` is left as it was
    (other sessions may still be reading it).

    Returns:
        The new frames, or ``None`` when leads were added or removed (load everything again).
    """
    if not lead_ids:
        return frames
    positions = np.flatnonzero(frames.leads["lead_id"].isin(lead_ids).to_numpy())
    leads = _replace_leads(frames.leads, load_leads(engine=engine, lead_ids=lead_ids), positions)
    if leads is None:
        return None
    fresh_touches = load_touches(engine=engine, lead_ids=lead_ids)
    touches = _rows_of(frames.touches, fresh_touches, lead_ids)
    feedback = _rows_of(frames.feedback, load_feedback(engine=engine, lead_ids=lead_ids), lead_ids)
    summary = frames.summary
    if versions and not summary.empty:  # per MQL: the changed leads' part from their own touches
        part = touch_summary(leads.iloc[positions], fresh_touches, versions)
        summary = _summary_of(summary, part, lead_ids)
    elif versions:
        summary = touch_summary(leads, touches, versions)
    return Frames(leads=leads, touches=touches, feedback=feedback, summary=summary)


def catch_up_between(
    frames: Frames, *, engine: Engine, since: int, until: int, versions: Sequence[Sla]
) -> Frames | None:
    """``frames``, the data set at version ``since``, brought to version ``until`` by the leads changed between.

    Returns:
        The new frames, or ``None`` when a full reload is needed (``since`` is ahead of ``until``, a write in
        between changed more than a few leads, or leads were added or removed).
    """
    if until < since:
        return None
    ids = changed_leads(engine=engine, since=since, until=until)
    return None if ids is None else catch_up(frames, engine=engine, lead_ids=ids, versions=versions)
