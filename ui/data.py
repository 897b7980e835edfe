"""Cached access to the database and the loaded data set, shared by every session."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
import streamlit as st
from sqlalchemy import Engine
from sqlmodel import Session

from sla_model.agreement.sla import Sla, ordered
from sla_model.generator import seed_sample
from sla_model.metrics.coverage import empty_fields, has_touches
from sla_model.store.db import database_url, is_sqlite, make_engine
from sla_model.store.refresh import Frames, catch_up_between
from sla_model.store.repository import (
    clock,
    data_version,
    list_sla_versions,
)
from sla_model.store.schema import SchemaError
from sla_model.store.snapshot import load_frames
from sla_model.whatif import Advice, Candidate, WhatIfArrays
from sla_model.whatif import prepare as prepare_whatif
from ui.fmt import literal


def sample_data_wanted(engine: Engine) -> bool:
    """Seed an empty database with the sample data? Yes for the embedded SQLite file by default.

    ``SMARKETING_SAMPLE_DATA=1`` seeds an empty PostgreSQL database too; ``=0`` never seeds.
    """
    setting = os.environ.get("SMARKETING_SAMPLE_DATA", "")
    if setting in {"0", "1"}:
        return setting == "1"
    return is_sqlite(engine)


@st.cache_resource(show_spinner="Opening the database…")
def _engine(url: str) -> Engine:
    engine = make_engine(url)
    if sample_data_wanted(engine):
        seed_sample(engine)
    return engine


def get_engine() -> Engine:
    """The engine for ``DATABASE_URL`` (created or upgraded, and seeded when wanted, once per process).

    A database this release cannot use (a newer release's, or an old one with automatic upgrades off) stops the
    page with the reason and what to run, instead of a traceback.
    """
    try:
        return _engine(database_url())
    except SchemaError as exc:
        st.error(f"The database cannot be opened. {literal(str(exc))}", icon=":material/database:")
        st.stop()


@dataclass(frozen=True)
class Dataset:
    """Everything the pages read, loaded once per data version and shared read-only by all sessions."""

    leads: pd.DataFrame
    touches: pd.DataFrame
    feedback: pd.DataFrame
    versions: list[Sla]
    as_of: dt.datetime
    summary: pd.DataFrame  # per-MQL touch summary (sla_model.metrics.timing.touch_summary)
    version: int
    live: bool = False  # the clock: True = as of now; False = a fixed snapshot (sample data, imported history)

    @cached_property
    def months(self) -> pd.PeriodIndex:
        """Every month from the first lead to the snapshot, oldest first (empty without leads)."""
        if self.leads.empty:
            return pd.PeriodIndex([], freq="M")
        first = self.leads["created_at"].min().to_period("M")
        return pd.period_range(first, pd.Timestamp(self.as_of).to_period("M"), freq="M")

    @cached_property
    def channels(self) -> list[str]:
        """Every channel in the data, in a fixed order (colours are assigned in this order)."""
        return self.values_of("channel")

    def values_of(self, column: str) -> list[str]:
        """The sorted distinct values of a text column (computed once per data set)."""
        cache = self.__dict__.setdefault("_values", {})
        if column not in cache:
            col = self.leads[column]
            values = col.cat.categories[np.unique(col.cat.codes[col.cat.codes >= 0])] if hasattr(col, "cat") else (
                col.dropna().unique())  # fmt: skip
            cache[column] = sorted(str(v) for v in values)
        return cache[column]

    @cached_property
    def empty_fields(self) -> frozenset[str]:
        """The lead fields no lead has a value for (computed once per data set)."""
        return frozenset(empty_fields(self.leads))

    @cached_property
    def touches_recorded(self) -> bool:
        """True when the data holds at least one touch."""
        return has_touches(self.touches)

    @cached_property
    def latest_month(self) -> str:
        """The latest month in which a lead was created (``YYYY-MM``)."""
        return str(self.leads["created_at"].max().to_period("M"))


#: The newest data set loaded per database: what the next one catches up from after a small write.
_LATEST: dict[str, Dataset] = {}


def _caught_up(engine: Engine, previous: Dataset, version: int) -> Dataset | None:
    """``previous`` brought to ``version`` by reading only the leads changed since, or None (load it all again)."""
    frames = Frames(previous.leads, previous.touches, previous.feedback, previous.summary)
    frames = catch_up_between(frames, engine=engine, since=previous.version, until=version, versions=previous.versions)
    if frames is None:
        return None
    moment = clock(engine=engine)
    return Dataset(leads=frames.leads, touches=frames.touches, feedback=frames.feedback, versions=previous.versions,
                   as_of=moment.as_of, live=moment.live, summary=frames.summary, version=version)  # fmt: skip


@st.cache_resource(max_entries=2, show_spinner="Loading leads…")
def _dataset(url: str, version: int) -> Dataset:
    engine = _engine(url)
    previous = _LATEST.get(url)
    data = _caught_up(engine, previous, version) if previous is not None and previous.version < version else None
    if data is None:
        data = _load(engine, url, version)
    if previous is None or previous.version < version:
        _LATEST[url] = data
    return data


def _load(engine: Engine, url: str, version: int) -> Dataset:
    """The whole data set: from its columnar copy (:mod:`sla_model.store.snapshot`), else from the database."""
    with Session(engine) as session:
        versions = list_sla_versions(session=session)
    moment = clock(engine=engine)
    frames, _ = load_frames(engine, url=url, version=version, versions=versions)
    return Dataset(leads=frames.leads, touches=frames.touches, feedback=frames.feedback, versions=versions,
                   as_of=moment.as_of, live=moment.live, summary=frames.summary, version=version)  # fmt: skip


def _require_app_frame() -> None:
    """Make a deep link opened first after a server start go through ``app.py``.

    Streamlit treats the very first script run of a process as a classic multipage app when a
    ``pages/`` folder exists, and runs ``pages/x.py`` without ``app.py``'s navigation and page
    config. Leave that mode and rerun: the rerun goes through ``app.py`` and its ``st.navigation``.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def get_dataset() -> Dataset:
    """The current data set: reloaded only when the stored data version changes."""
    _require_app_frame()
    engine = get_engine()
    return _dataset(database_url(), data_version(engine=engine))


@st.cache_resource(max_entries=2, show_spinner="Preparing the what-if arrays…")
def _whatif_arrays(url: str, version: int) -> WhatIfArrays:
    data = _dataset(url, version)
    return prepare_whatif(data.leads, data.versions, as_of=data.as_of)


def get_whatif_arrays() -> WhatIfArrays:
    """The what-if engine's arrays for the current data set (prepared once per data version, shared)."""
    data = get_dataset()
    return _whatif_arrays(database_url(), data.version)


@st.cache_data(max_entries=64, show_spinner=False)
def _follow_up(url: str, version: int, rules: tuple[float, int, int, float], calendar: str) -> pd.DataFrame:
    from sla_model.agreement.calendar import Calendar
    from sla_model.whatif import follow_up_replay

    data, arrays = _dataset(url, version), _whatif_arrays(url, version)
    first, k, d, a = rules
    return follow_up_replay(
        data.leads, data.touches, months=arrays.months, as_of=arrays.as_of,
        first_touch_hours=first, min_touches=k, touch_window_days=d, decision_hours=a,
        calendar=Calendar.model_validate_json(calendar),
    )  # fmt: skip


def get_follow_up_replay(*, first_touch_hours: float, min_touches: int, touch_window_days: int,
                         decision_hours: float) -> pd.DataFrame:  # fmt: skip
    """:func:`sla_model.whatif.follow_up_replay` over the current data set (cached per data version and rules).

    Hours count on the business-hours calendar of the latest SLA version, the one a candidate would replace.
    """
    data = get_dataset()
    rules = (float(first_touch_hours), int(min_touches), int(touch_window_days), float(decision_hours))
    calendar = ordered(data.versions)[-1].calendar.model_dump_json() if data.versions else "{}"
    return _follow_up(database_url(), data.version, rules, calendar)


@st.cache_data(max_entries=64, show_spinner=False)
def _policy_replay(url: str, version: int, rules: tuple[float, int, int, float], policies: str, calendar: str):
    from sla_model.agreement.calendar import Calendar
    from sla_model.agreement.sla import FollowUp
    from sla_model.whatif import policy_replay

    data, arrays = _dataset(url, version), _whatif_arrays(url, version)
    first, k, d, a = rules
    standard = {"first_touch_hours": first, "min_touches": k, "touch_window_days": d, "decision_hours": a}
    chosen = FollowUp.model_validate_json(policies).policies
    return policy_replay(data.leads, data.touches, months=arrays.months, as_of=arrays.as_of, rules=standard,
                         policies=chosen, calendar=Calendar.model_validate_json(calendar))  # fmt: skip


def get_policy_replay(candidate: Candidate) -> pd.DataFrame:
    """:func:`sla_model.whatif.policy_replay` of a candidate's rules and policies over the current data set (cached)."""
    from sla_model.agreement.sla import FollowUp

    data = get_dataset()
    c = candidate
    rules = (float(c.first_touch_hours), int(c.min_touches), int(c.touch_window_days), float(c.decision_hours))
    policies = FollowUp(first_touch_hours=c.first_touch_hours, min_touches=c.min_touches,
                        touch_window_days=c.touch_window_days, decision_hours=c.decision_hours,
                        policies=list(c.policies)).model_dump_json()  # fmt: skip
    calendar = ordered(data.versions)[-1].calendar.model_dump_json() if data.versions else "{}"
    return _policy_replay(database_url(), data.version, rules, policies, calendar)


@st.cache_resource(max_entries=16, show_spinner="Searching MQL definitions…")
def _advice(url: str, version: int, search_for: str) -> Advice:
    from sla_model.whatif import advise

    return advise(_whatif_arrays(url, version), Candidate.model_validate_json(search_for))


def get_advice(search_for: Candidate) -> Advice:
    """:func:`sla_model.whatif.advise` over the current data set (cached per data version and search inputs)."""
    data = get_dataset()
    return _advice(database_url(), data.version, search_for.model_dump_json())
