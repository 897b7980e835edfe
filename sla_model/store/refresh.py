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
from sla_model.store.repository import _by_time, load_feedback, load_leads, load_touches

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


def _stack(kept: pd.DataFrame, fresh: pd.DataFrame) -> pd.DataFrame:
    """``kept`` rows then ``fresh`` ones, in ``kept``'s column types (categories as a full load makes them).

    Categoricals are stacked by their codes, never as text: a few fresh rows cost little beside millions kept.
    """
    out = {}
    for name in kept.columns:
        old, new = kept[name], fresh[name]
        if isinstance(old.dtype, pd.CategoricalDtype):
            old = _with_categories_for(old, new)
            codes = pd.Categorical(new.astype(object), categories=old.cat.categories).codes
            stacked = pd.Categorical.from_codes(np.concatenate([old.cat.codes.to_numpy(), codes]), dtype=old.dtype)
            out[name] = pd.Series(stacked).cat.remove_unused_categories()
        else:
            out[name] = pd.concat([old, new.astype(old.dtype)], ignore_index=True)
    return pd.DataFrame(out)


def _replace_leads(leads: pd.DataFrame, fresh: pd.DataFrame, ids: set[str]) -> pd.DataFrame | None:
    """``leads`` with the rows of ``ids`` replaced by ``fresh``, in place; ``None`` if leads were added or removed."""
    positions = np.flatnonzero(leads["lead_id"].isin(ids).to_numpy())
    at = pd.Index(fresh["lead_id"]).get_indexer(leads["lead_id"].to_numpy()[positions])
    if (at < 0).any() or len(fresh) != len(positions):
        return None
    out = {}
    for name in leads.columns:
        old, new = leads[name], fresh[name].iloc[at]
        if isinstance(old.dtype, pd.CategoricalDtype):
            column = _with_categories_for(old, new).copy()
            column.iloc[positions] = new.astype(object).to_numpy()
            out[name] = column.cat.remove_unused_categories()
        else:
            column = old.copy()
            column.iloc[positions] = new.astype(old.dtype).to_numpy()
            out[name] = column
    return pd.DataFrame(out, index=leads.index)


def catch_up(frames: Frames, *, engine: Engine, lead_ids: set[str], versions: Sequence[Sla]) -> Frames | None:
    """``frames`` with the stored state of ``lead_ids`` read in: the frames a full reload would give.

    Only those leads, their touches and their decisions are read; the touch summary is recomputed for them alone
    (it is per MQL). ``frames`` is left as it was (other sessions may still be reading it).

    Returns:
        The new frames, or ``None`` when leads were added or removed (load everything again).
    """
    if not lead_ids:
        return frames
    leads = _replace_leads(frames.leads, load_leads(engine=engine, lead_ids=lead_ids), lead_ids)
    if leads is None:
        return None
    fresh_touches = load_touches(engine=engine, lead_ids=lead_ids)
    kept = frames.touches[~frames.touches["lead_id"].isin(lead_ids).to_numpy()].reset_index(drop=True)
    touches = _by_time(_stack(kept, fresh_touches))
    fresh_feedback = load_feedback(engine=engine, lead_ids=lead_ids)
    kept = frames.feedback[~frames.feedback["lead_id"].isin(lead_ids).to_numpy()].reset_index(drop=True)
    feedback = _by_time(_stack(kept, fresh_feedback))
    summary = frames.summary
    if versions and not summary.empty:
        changed = leads[leads["lead_id"].isin(lead_ids).to_numpy()]
        part = touch_summary(changed, touches[touches["lead_id"].isin(lead_ids).to_numpy()], versions)
        rest = summary[~summary["lead_id"].isin(lead_ids).to_numpy()]
        summary = pd.concat([rest, part.astype(rest.dtypes.to_dict())]).sort_index()
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
