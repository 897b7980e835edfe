"""The service level agreement between sales and marketing, as validated data."""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from sla_model.agreement.calendar import Calendar, as_calendar

NonNegInt = Annotated[int, Field(ge=0)]
PositiveFloat = Annotated[float, Field(gt=0)]
Hours = Annotated[float, Field(gt=0, le=24 * 90)]


class SlaError(ValueError):
    """An SLA document that cannot be used; the message names the field and the problem."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Meta(_Strict):
    """Who changed the agreement, when it takes effect and why."""

    version: Annotated[int, Field(ge=1)]
    effective_from: dt.date
    author: Annotated[str, Field(min_length=1)]
    change_note: str = ""


class Goal(_Strict):
    """The shared monthly revenue goal and the deal size it is broken down with."""

    monthly_revenue: PositiveFloat
    average_deal_size: PositiveFloat
    currency: Annotated[str, Field(min_length=3, max_length=3)] = "USD"


class Quotas(_Strict):
    """Monthly commitments: marketing's MQLs (overall and per channel), SQLs and won deals."""

    mqls: NonNegInt
    sqls: NonNegInt
    won: NonNegInt
    mqls_by_channel: dict[str, NonNegInt] = {}

    @model_validator(mode="after")
    def _channels_fit_total(self) -> Quotas:
        total = sum(self.mqls_by_channel.values())
        if self.mqls_by_channel and total > self.mqls:
            raise ValueError(f"per-channel MQL quotas add up to {total}, more than the overall quota {self.mqls}")
        return self


class Fit(_Strict):
    """Who a lead must be to count: persona, company size, country (empty list = any)."""

    personas: list[str] = []
    min_company_size: NonNegInt = 0
    countries: list[str] = []


class Triggers(_Strict):
    """Behaviour that makes a fitting lead an MQL whatever its score (0 = trigger off)."""

    demo_request: bool = False
    min_page_views: NonNegInt = 0
    min_form_submissions: NonNegInt = 0


class MqlDefinition(_Strict):
    """A lead is an MQL when it fits and either reaches the score threshold or fires a trigger."""

    score_threshold: Annotated[int, Field(ge=0, le=100)]
    fit: Fit = Fit()
    triggers: Triggers = Triggers()


class SqlDefinition(_Strict):
    """The qualification checklist sales applies to accept an MQL as sales qualified."""

    framework: str = "BANT"
    criteria: Annotated[list[str], Field(min_length=1)]
    min_criteria: Annotated[int, Field(ge=1)]

    @model_validator(mode="after")
    def _min_within_criteria(self) -> SqlDefinition:
        if self.min_criteria > len(self.criteria):
            raise ValueError(f"min_criteria is {self.min_criteria} but only {len(self.criteria)} criteria are listed")
        return self


Touches = Annotated[int, Field(ge=1, le=50)]
WindowDays = Annotated[int, Field(ge=1, le=90)]


class Policy(_Strict):
    """A follow-up policy for one segment of MQLs: who it covers, and the rules that replace the standard ones.

    An MQL is covered when it meets every condition given (channels, a demo request, company size,
    personas); the first policy that covers it wins, and MQLs no policy covers get the standard rules.
    A rule left out is the standard one.
    """

    name: Annotated[str, Field(min_length=1, max_length=60)]
    channels: tuple[str, ...] = ()
    demo_request: bool | None = None
    min_company_size: NonNegInt = 0
    personas: tuple[str, ...] = ()
    first_touch_hours: Hours | None = None
    min_touches: Touches | None = None
    touch_window_days: WindowDays | None = None
    decision_hours: Hours | None = None

    @model_validator(mode="after")
    def _covers_someone(self) -> Policy:
        if not (self.channels or self.demo_request is not None or self.min_company_size or self.personas):
            raise ValueError(f"policy {self.name!r} names no condition (channels, demo_request, "
                             "min_company_size or personas), so it would cover every MQL")  # fmt: skip
        return self


class FollowUp(_Strict):
    """Sales' commitment on every MQL handed over: the standard rules, and policies for segments that differ."""

    first_touch_hours: Hours
    min_touches: Touches
    touch_window_days: WindowDays
    decision_hours: Hours
    policies: list[Policy] = []

    @model_validator(mode="after")
    def _unique_policy_names(self) -> FollowUp:
        names = [p.name for p in self.policies]
        dupes = sorted({n for n in names if names.count(n) > 1} | ({STANDARD} & set(names)))
        if dupes:
            raise ValueError(
                f"follow-up policy names must be unique and not {STANDARD!r}; repeated: {', '.join(dupes)}"
            )
        return self

    def rules(self, policy: Policy | None = None) -> dict[str, float]:
        """The four rules of ``policy`` (the standard ones where it says nothing), or the standard rules."""
        keys = ("first_touch_hours", "min_touches", "touch_window_days", "decision_hours")
        own = {k: getattr(policy, k) for k in keys} if policy else {}
        return {k: own[k] if own.get(k) is not None else getattr(self, k) for k in keys}


#: The name of the rules that apply to MQLs no policy covers.
STANDARD = "Standard"


class RejectionReason(_Strict):
    """One reason sales may give for rejecting an MQL, and where the lead goes next."""

    code: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    label: Annotated[str, Field(min_length=1)]
    then: Literal["nurture", "disqualify"]
    description: str = ""


class Recycle(_Strict):
    """What happens to MQLs nobody decides on."""

    stale_after_days: Annotated[int, Field(ge=1, le=365)]


class Review(_Strict):
    """When the two teams meet to review the numbers and this agreement."""

    monthly: str
    mid_month_checkin: str = ""
    attendees: list[str] = []


class Sla(_Strict):
    """One version of the agreement, as loaded from a file or the database."""

    meta: Meta
    goal: Goal
    quotas: Quotas
    mql: MqlDefinition
    sql: SqlDefinition
    follow_up: FollowUp
    rejection_reasons: Annotated[list[RejectionReason], Field(min_length=1)]
    recycle: Recycle
    review: Review
    calendar: Annotated[Calendar, BeforeValidator(as_calendar)] = Calendar()

    @model_validator(mode="after")
    def _unique_reason_codes(self) -> Sla:
        codes = [r.code for r in self.rejection_reasons]
        dupes = sorted({c for c in codes if codes.count(c) > 1})
        if dupes:
            raise ValueError(f"rejection reason codes must be unique; repeated: {', '.join(dupes)}")
        return self

    def reason_action(self) -> dict[str, str]:
        """Map each rejection reason code to ``"nurture"`` or ``"disqualify"``."""
        return {r.code: r.then for r in self.rejection_reasons}

    def reason_labels(self) -> dict[str, str]:
        """Map each rejection reason code to its human label."""
        return {r.code: r.label for r in self.rejection_reasons}


def _format_errors(source: str, error: ValidationError) -> str:
    lines = []
    for err in error.errors():
        where = ".".join(str(p) for p in err["loc"]) or "(document)"
        message = err["msg"].removeprefix("Value error, ")
        got = err.get("input")
        shown = "" if isinstance(got, dict | list) or got is None else f" (got {got!r})"
        lines.append(f"{source}: {where}: {message}{shown}")
    return "\n".join(lines)


def parse_sla(data: dict, *, source: str = "SLA") -> Sla:
    """Validate a mapping as an SLA document.

    Raises:
        SlaError: naming the source, the dotted field path and the problem, one line per problem.

    Examples:
        >>> parse_sla({"meta": {"version": 1}}, source="x.toml")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        sla_model.agreement.sla.SlaError: x.toml: meta.effective_from: Field required...
    """
    try:
        return Sla.model_validate(data)
    except ValidationError as exc:
        raise SlaError(_format_errors(source, exc)) from None


def load_sla_file(path: str | Path) -> Sla:
    """Read and validate an SLA TOML file.

    Raises:
        SlaError: when the file is missing, is not TOML, or fails validation.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SlaError(f"{path.name}: cannot read the file ({exc.__class__.__name__}: {exc})") from None
    try:
        data = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError) as exc:  # (RecursionError: arrays nested thousands deep)
        raise SlaError(f"{path.name}: not valid TOML: {exc}") from None
    return parse_sla(data, source=path.name)


def sla_to_dict(sla: Sla) -> dict:
    """The SLA as plain JSON-compatible data (dates as ISO strings)."""
    return sla.model_dump(mode="json", exclude_none=True)


def in_force(versions: Sequence[Sla], day: dt.date) -> Sla:
    """The version in force on ``day``: the latest whose effective date is not after it.

    Days before the first version are judged by the first version.

    Raises:
        SlaError: when there are no versions.
    """
    if not versions:
        raise SlaError("no SLA version is stored")
    by_date = ordered(versions)
    chosen = by_date[0]
    for sla in by_date:
        if sla.meta.effective_from <= day:
            chosen = sla
    return chosen


def ordered(versions: Sequence[Sla]) -> list[Sla]:
    """Versions sorted by effective date (then version number), oldest first."""
    return sorted(versions, key=lambda s: (s.meta.effective_from, s.meta.version))


def in_force_index(versions: Sequence[Sla], when: np.ndarray | pd.Series) -> np.ndarray:
    """For each timestamp, the index into ``ordered(versions)`` of the version in force then.

    Timestamps before the first version map to the first version, like :func:`in_force`.
    """
    starts = np.array([np.datetime64(s.meta.effective_from, "ns") for s in ordered(versions)], dtype="datetime64[ns]")
    when = np.asarray(when, dtype="datetime64[ns]")
    return np.clip(np.searchsorted(starts, when, side="right") - 1, 0, None)


def _flatten(value: object, prefix: str = "") -> dict[str, object]:
    if isinstance(value, dict):
        out: dict[str, object] = {}
        for key, item in value.items():
            out.update(_flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(value, list) and value and all(isinstance(v, dict) and "code" in v for v in value):
        return _flatten({v["code"]: {k: x for k, x in v.items() if k != "code"} for v in value}, prefix)
    return {prefix: value}


def diff_slas(old: Sla, new: Sla) -> list[tuple[str, object, object]]:
    """The fields that differ between two versions, as ``(dotted.path, old value, new value)``.

    Rejection reasons are compared by code; a field missing on one side shows as ``None``.
    The version's own metadata (number, date, author, note) is left out.

    Examples:
        >>> from sla_model.generator import sample_slas
        >>> v1, v2 = sample_slas()
        >>> [d for d in diff_slas(v1, v2) if d[0] == "mql.score_threshold"]
        [('mql.score_threshold', 50, 55)]
    """
    a = {k: v for k, v in _flatten(sla_to_dict(old)).items() if not k.startswith("meta.")}
    b = {k: v for k, v in _flatten(sla_to_dict(new)).items() if not k.startswith("meta.")}
    return [(key, a.get(key), b.get(key)) for key in sorted(a.keys() | b.keys()) if a.get(key) != b.get(key)]


#: How The SLA page names each term of the agreement (dotted paths as :func:`diff_slas` gives them).
TERM_LABELS = {
    "goal.monthly_revenue": "Monthly revenue goal",
    "goal.average_deal_size": "Average deal size",
    "goal.currency": "Currency",
    "quotas.mqls": "MQL quota (a month)",
    "quotas.sqls": "SQL quota (a month)",
    "quotas.won": "Won-deal quota (a month)",
    "mql.score_threshold": "MQL score threshold",
    "mql.fit.personas": "Personas that fit",
    "mql.fit.min_company_size": "Minimum company size (employees)",
    "mql.fit.countries": "Countries that fit",
    "mql.triggers.demo_request": "A demo request makes an MQL",
    "mql.triggers.min_page_views": "Page views that make an MQL",
    "mql.triggers.min_form_submissions": "Form submissions that make an MQL",
    "sql.framework": "SQL framework",
    "sql.criteria": "SQL criteria",
    "sql.min_criteria": "SQL criteria to meet",
    "follow_up.first_touch_hours": "First touch within (hours)",
    "follow_up.min_touches": "Contact attempts, at least",
    "follow_up.touch_window_days": "Contact attempts within (days)",
    "follow_up.decision_hours": "Accept or reject within (hours)",
    "follow_up.policies": "Follow-up policies",
    "recycle.stale_after_days": "Back to nurture undecided after (days)",
    "calendar.timezone": "Time zone",
    "calendar.holidays": "Holidays",
    "review.monthly": "Monthly review",
    "review.mid_month_checkin": "Mid-month check-in",
    "review.attendees": "Attendees",
}
_REASON_FIELDS = {"label": "label", "then": "then", "description": "note"}


def term_label(path: str) -> str:
    """A term of the agreement as people say it, for a dotted path from :func:`diff_slas`.

    Examples:
        >>> term_label("quotas.mqls_by_channel.Content Syndication")
        'MQL quota · Content Syndication'
        >>> term_label("rejection_reasons.no_budget.then"), term_label("follow_up.first_touch_hours")
        ('Rejection reason no_budget: then', 'First touch within (hours)')
    """
    if path in TERM_LABELS:
        return TERM_LABELS[path]
    if path.startswith("calendar.hours."):
        return "Business hours · " + path.removeprefix("calendar.hours.").title()
    if path.startswith("calendar.owner_timezones."):
        return "Time zone · " + path.removeprefix("calendar.owner_timezones.")
    if path.startswith("quotas.mqls_by_channel."):
        return "MQL quota · " + path.removeprefix("quotas.mqls_by_channel.")
    if path.startswith("rejection_reasons."):
        code, _, field = path.removeprefix("rejection_reasons.").rpartition(".")
        return f"Rejection reason {code}: {_REASON_FIELDS.get(field, field)}"
    return path
