"""Small, explicit builders for the frames the metrics read (leads, touches, feedback) and for SLA versions.

Each builder gives every column a plain default, so a test only spells out what it is about.
The frames carry the dtypes that ``sla_model.store.repository`` loads: ``datetime64[ns]`` timestamps
(NaT = not reached), categoricals for the low-cardinality text columns, int64 counts, a bool
``demo_request`` and a float ``amount`` (NaN = no amount).
"""

from __future__ import annotations

import copy
import functools
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sla_model.agreement.calendar import Calendar
from sla_model.agreement.sla import Sla, parse_sla
from sla_model.store.repository import (
    FEEDBACK_COLUMNS,
    LEAD_CATEGORIES,
    LEAD_COLUMNS,
    LEAD_TIME_COLUMNS,
    TOUCH_COLUMNS,
)

SLA_DIR = Path(__file__).resolve().parent.parent / "sample_data" / "sla"

_LEAD_INTS = ("company_size", "score", "page_views", "form_submissions")

# Leads: a fitting, unscored lead created on 1 November 2026 that has reached no later stage.
_LEAD_DEFAULTS: dict[str, Any] = {
    "first_name": "Ada",
    "last_name": "Lovelace",
    "company": "Acme Analytics",
    "email": "ada@acme.example",
    "created_at": pd.Timestamp("2026-11-01 09:00"),
    "channel": "Email",
    "campaign": "Newsletter",
    "persona": "IT Director",
    "industry": "Software",
    "country": "Germany",
    "company_size": 100,
    "score": 0,
    "demo_request": False,
    "page_views": 0,
    "form_submissions": 0,
    "owner": None,
    "rejection_reason": None,
    "amount": None,
} | {c: None for c in LEAD_TIME_COLUMNS if c != "created_at"}


def make_lead(lead_id: str, **overrides: Any) -> dict[str, Any]:
    """One lead row with every lead column; timestamps may be given as ISO strings."""
    unknown = set(overrides) - set(LEAD_COLUMNS)
    if unknown:
        raise TypeError(f"not lead columns: {sorted(unknown)}")
    row = _LEAD_DEFAULTS | {"lead_id": lead_id} | overrides
    return {c: row[c] for c in LEAD_COLUMNS}


def _times(col: pd.Series) -> pd.Series:
    return pd.to_datetime(col, format="ISO8601").astype("datetime64[ns]")


def leads_frame(*leads: dict[str, Any]) -> pd.DataFrame:
    """A leads frame from :func:`make_lead` rows, typed like ``repository.load_leads`` (empty when none)."""
    frame = pd.DataFrame.from_records(list(leads), columns=LEAD_COLUMNS)
    for c in LEAD_TIME_COLUMNS:
        frame[c] = _times(frame[c])
    for c in LEAD_CATEGORIES:
        frame[c] = frame[c].astype("category")
    for c in _LEAD_INTS:
        frame[c] = frame[c].astype(np.int64)
    frame["demo_request"] = frame["demo_request"].astype(bool)
    frame["amount"] = frame["amount"].astype(float)
    return frame


# Touches: a sales contact attempt.
def make_touch(lead_id: str, at: str | pd.Timestamp, **overrides: Any) -> dict[str, Any]:
    """One touch row (rep, kind and outcome default to a call by one rep)."""
    row = {"lead_id": lead_id, "rep": "Grace Kim", "at": at, "kind": "call", "outcome": "no answer"} | overrides
    return {c: row[c] for c in TOUCH_COLUMNS}


def touches_frame(*touches: dict[str, Any]) -> pd.DataFrame:
    """A touches frame from :func:`make_touch` rows, typed like ``repository.load_touches``."""
    frame = pd.DataFrame.from_records(list(touches), columns=TOUCH_COLUMNS)
    frame["at"] = _times(frame["at"])
    for c in ("rep", "kind", "outcome"):
        frame[c] = frame[c].astype("category")
    return frame


# Feedback: an accept or reject decision by sales, with the rep's note verbatim.
def make_feedback(
    lead_id: str,
    decision: str,
    at: str | pd.Timestamp,
    *,
    reason: str | None = None,
    note: str = "",
    by: str = "Grace Kim",
) -> dict[str, Any]:
    """One feedback row."""
    row = {"lead_id": lead_id, "decision": decision, "reason": reason, "note": note, "by": by, "at": at}
    return {c: row[c] for c in FEEDBACK_COLUMNS}


def feedback_frame(*rows: dict[str, Any]) -> pd.DataFrame:
    """A feedback frame from :func:`make_feedback` rows, typed like ``repository.load_feedback``."""
    frame = pd.DataFrame.from_records(list(rows), columns=FEEDBACK_COLUMNS)
    frame["at"] = _times(frame["at"])
    return frame


def legacy_sla_text(name: str = "v1.toml") -> str:
    """A shipped SLA file as written before business hours and follow-up policies: its ``[calendar]`` and
    ``[[follow_up.policies]]`` tables (and the comments just above them) left out."""
    kept: list[str] = []
    pending: list[str] = []  # comments waiting for the table they introduce
    dropping = False
    for line in (SLA_DIR / name).read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if stripped.startswith("#") or not stripped:
            pending.append(line)
            continue
        if stripped.startswith("["):
            dropping = stripped in {"[calendar]", "[[follow_up.policies]]"}
            if dropping:
                # the comments right above a dropped table belong to it; a section heading line stays
                pending = [c for c in pending if c.startswith("# ---") or not c.strip()]
        if not dropping:
            kept.extend(pending)
            kept.append(line)
        pending = []
    kept.extend(pending)
    return "\n".join(kept) + "\n"


# SLA versions: the shipped v1 file as an SLA written before business hours and follow-up policies (wall-clock
# hours, one set of rules: first touch within 24 h, 3 touches in 7 days, a decision within 72 h), with nested
# fields overridden. Hand-computed tests count in these hours; a test that wants a calendar or policies adds them.
FACTORY_FOLLOW_UP = {"first_touch_hours": 24, "min_touches": 3, "touch_window_days": 7, "decision_hours": 72}


@functools.cache
def _v1_document() -> dict[str, Any]:
    document = tomllib.loads((SLA_DIR / "v1.toml").read_text(encoding="utf-8"))
    document.pop("calendar", None)
    document["follow_up"] = dict(FACTORY_FOLLOW_UP)
    return document


def _merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and value and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def sla_document(**overrides: Any) -> dict[str, Any]:
    """The v1 SLA document as a plain dict with ``overrides`` applied.

    A non-empty dict merges key by key into the table it names; any other value, including an
    empty dict (``quotas={"mqls_by_channel": {}}`` clears the per-channel quotas), replaces it.
    """
    return _merge(copy.deepcopy(_v1_document()), overrides)


def make_sla(**overrides: Any) -> Sla:
    """A validated SLA: v1 with overrides, e.g. ``make_sla(follow_up={"first_touch_hours": 8})``."""
    return parse_sla(sla_document(**overrides), source="factory")


def wall_clock(sla: Sla, **follow_up: float) -> Sla:
    """``sla`` judged on the wall clock (24/7, no follow-up policies), with ``follow_up`` rules overridden.

    For hand-computed tests built on a shipped version whose rules count business hours.
    """
    rules = sla.follow_up.model_copy(update={"policies": [], **follow_up})
    return sla.model_copy(update={"calendar": Calendar(), "follow_up": rules})


# Handed-over leads: an MQL an hour after creation, with the timestamps its outcome implies.
_OUTCOMES = ("pending", "accepted", "rejected", "sql", "won")


def make_mql(
    lead_id: str,
    created_at: str | pd.Timestamp,
    *,
    outcome: str = "pending",
    reason: str | None = None,
    amount: float = 12_000.0,
    **overrides: Any,
) -> dict[str, Any]:
    """One lead handed to sales an hour after creation, then ``outcome``.

    ``outcome`` is ``pending``, ``accepted``, ``rejected`` (with ``reason``), ``sql`` or ``won``
    (with ``amount``); each later stage follows a day after the one before.
    """
    if outcome not in _OUTCOMES:
        raise ValueError(f"outcome must be one of {_OUTCOMES}, got {outcome!r}")
    created = pd.Timestamp(created_at)
    step = _OUTCOMES.index(outcome)
    times: dict[str, Any] = {"created_at": created, "mql_at": created + pd.Timedelta(hours=1)}
    if outcome == "rejected":
        times |= {"rejected_at": created + pd.Timedelta(days=1), "rejection_reason": reason}
    elif step >= 1:
        times["accepted_at"] = created + pd.Timedelta(days=1)
    if step >= 3:
        times["sql_at"] = created + pd.Timedelta(days=2)
    if step >= 4:
        times |= {"won_at": created + pd.Timedelta(days=3), "amount": amount}
    return make_lead(lead_id, **(times | overrides))


# Decided leads: a CRM export that records outcomes only (no accepted or SQL dates).
DECIDED_MQL_AT = "2026-10-01 10:00"


def decided_leads() -> pd.DataFrame:
    """Six MQLs handed to Ana Souza on 1 October 2026, none with an accepted or SQL date.

    W won (10 days), L lost (20 days), O an opportunity (30 days) then won in November, P pending,
    R rejected and disqualified, D disqualified without a rejection.
    """
    base = {"created_at": "2026-10-01 09:00", "mql_at": DECIDED_MQL_AT, "owner": "Ana Souza"}
    rejected = {"rejected_at": "2026-10-02 10:00", "rejection_reason": "bad_fit", "disqualified_at": "2026-10-02 10:00"}
    return leads_frame(
        make_lead("W", **base, won_at="2026-10-11 10:00", amount=10_000.0),
        make_lead("L", **base, lost_at="2026-10-21 10:00"),
        make_lead("O", **base, opportunity_at="2026-10-31 10:00", won_at="2026-11-05 10:00", amount=5_000.0),
        make_lead("P", **base),
        make_lead("R", **base, **rejected),
        make_lead("D", **base, disqualified_at="2026-10-03 10:00"),
    )


def same_values(got: pd.DataFrame, expected: pd.DataFrame, columns: list[str], key: list[str]) -> None:
    """Every value of ``columns`` equal, rows matched by sorting on ``key``."""
    got = got.sort_values(key, ignore_index=True)
    expected = expected.sort_values(key, ignore_index=True)
    assert len(got) == len(expected)
    for column in columns:
        left, right = got[column], expected[column]
        if column == "amount":
            np.testing.assert_allclose(left.to_numpy(float), right.to_numpy(float), equal_nan=True)
        else:
            left, right = left.astype(object), right.astype(object)
            assert left.where(left.notna(), None).tolist() == right.where(right.notna(), None).tolist(), column
