"""Who gets which alert and when: recipients, thresholds, quiet hours — one audited document in the database."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import Engine, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from sla_model.access import Actor, PermissionDenied, Role, require_manager, storing
from sla_model.store.models import AlertSettingsRow, AppUser, utcnow
from sla_model.store.repository import write_audit

#: Every kind of alert, in the order the settings page lists them.
KINDS = {
    "risk": "Breach risk (to the rep)",
    "breach": "Breach (to the rep)",
    "escalation": "Escalated breach (to the managers)",
    "digest": "Daily digest (to each rep)",
    "report": "Monthly review report (to the attendees)",
    "checkin": "Mid-month check-in (to the attendees)",
}
CHANGED = "the alert settings were saved by someone else meanwhile: reload and try again"
#: The kinds that may also go to the team's webhook (a digest is one rep's own).
WEBHOOK_KINDS = tuple(k for k in KINDS if k != "digest")
Hour = Annotated[int, Field(ge=0, le=23)]


class SettingsError(ValueError):
    """Settings that cannot be saved as given (invalid, or changed by someone else meanwhile); nothing was written."""


def _address(value: str) -> str:
    value = value.strip()
    if value.count("@") != 1 or value.startswith("@") or value.endswith("@") or any(c.isspace() for c in value):
        raise ValueError(f"{value!r} is not an email address")
    return value.lower()


class AlertSettings(BaseModel):
    """Notification settings. Hours are local to ``timezone``; quiet hours run from ``quiet_start`` to ``quiet_end``.

    Examples:
        >>> s = AlertSettings(quiet_start=22, quiet_end=7)
        >>> [s.quiet(dt.datetime(2026, 10, 5, h)) for h in (21, 22, 3, 7)]
        [False, True, True, False]
    """

    model_config = ConfigDict(extra="forbid")

    base_url: str = "http://localhost:8501"
    risk_hours: Annotated[float, Field(gt=0, le=336)] = 8.0
    escalation_hours: Annotated[float, Field(ge=0, le=720)] = 24.0
    #: Breaches that began longer ago than this are not alerted one by one (the digest lists them): a first run
    #: on imported history does not send one email per MQL left open years ago.
    breach_window_days: Annotated[int, Field(ge=1, le=365)] = 7
    timezone: str = "UTC"
    quiet_start: Hour | None = None
    quiet_end: Hour | None = None
    digest_hour: Hour = 8
    review_day: Annotated[int, Field(ge=1, le=28)] = 7  # the previous month's report goes out from this day
    checkin_day: Annotated[int, Field(ge=1, le=28)] = 15  # the month's check-in goes out from this day
    managers: list[str] = []  # email addresses the escalations go to
    addresses: dict[str, str] = {}  # a rep's (lead owner's) or an attendee's name → email address
    webhook_kinds: list[str] = ["escalation", "report", "checkin"]  # also posted to the team's webhook
    muted_digests: list[str] = []  # reps who turned their daily digest off

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError("the base URL must start with http:// or https://")
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("managers")
    @classmethod
    def _managers(cls, value: list[str]) -> list[str]:
        return sorted({_address(v) for v in value if v.strip()})

    @field_validator("addresses")
    @classmethod
    def _addresses(cls, value: dict[str, str]) -> dict[str, str]:
        return {name.strip(): _address(email) for name, email in sorted(value.items()) if name.strip()}

    @field_validator("webhook_kinds")
    @classmethod
    def _kinds(cls, value: list[str]) -> list[str]:
        unknown = set(value) - set(WEBHOOK_KINDS)
        if unknown:
            raise ValueError(f"alert kinds not posted to a webhook: {', '.join(sorted(unknown))}")
        return [k for k in WEBHOOK_KINDS if k in value]

    def local(self, moment: dt.datetime) -> dt.datetime:
        """A naive UTC moment as local time (naive) in the settings' time zone."""
        return moment.replace(tzinfo=dt.UTC).astimezone(ZoneInfo(self.timezone)).replace(tzinfo=None)

    def quiet(self, moment: dt.datetime) -> bool:
        """Whether a naive UTC moment falls in the quiet hours (none when start or end is unset, or they are equal)."""
        if self.quiet_start is None or self.quiet_end is None or self.quiet_start == self.quiet_end:
            return False
        hour = self.local(moment).hour
        if self.quiet_start < self.quiet_end:
            return self.quiet_start <= hour < self.quiet_end
        return hour >= self.quiet_start or hour < self.quiet_end


def load_settings(*, engine: Engine) -> tuple[AlertSettings, int]:
    """The stored settings (the defaults when none are stored) and their row version (0: none stored)."""
    with Session(engine) as session:
        row = session.get(AlertSettingsRow, 1)
    if row is None:
        return AlertSettings(), 0
    return AlertSettings.model_validate_json(row.document), row.row_version


def rep_addresses(*, engine: Engine, settings: AlertSettings) -> dict[str, str]:
    """Each rep's email address: the signed-in users working as a rep, overridden by the settings' address map."""
    with Session(engine) as session:
        users = session.exec(select(AppUser).where(AppUser.role == Role.REP.value, AppUser.rep.is_not(None))).all()
    return {**{u.rep: u.email for u in users}, **settings.addresses}


def _changes(old: AlertSettings, new: AlertSettings) -> dict[str, dict]:
    before, after = old.model_dump(), new.model_dump()
    return {k: {"from": before[k], "to": after[k]} for k in after if before[k] != after[k]}


def _write(engine: Engine, actor: Actor, new: AlertSettings, expected: int, action: str) -> int:
    """Store ``new`` if the stored row is still at ``expected`` (0: none), audited in the same transaction."""
    old, _ = load_settings(engine=engine)
    changed = _changes(old, new)
    with storing(engine) as session:  # a database that gives up on it: ActionError (DB_BUSY), nothing stored
        if expected == 0:
            if session.get(AlertSettingsRow, 1) is not None:
                raise SettingsError(CHANGED)
            session.add(AlertSettingsRow(id=1, document=new.model_dump_json(), updated_by=actor.name))
        else:
            done = session.exec(
                update(AlertSettingsRow)
                .where(AlertSettingsRow.id == 1, AlertSettingsRow.row_version == expected)
                .values(
                    document=new.model_dump_json(), updated_by=actor.name, updated_at=utcnow(), row_version=expected + 1
                )
            )
            if done.rowcount != 1:
                raise SettingsError(CHANGED)
        write_audit(session=session, actor=actor.name, actor_id=actor.id, action=action, entity="alert_settings",
                    entity_id="1", detail=json.loads(json.dumps(changed, default=str)))  # fmt: skip
        try:
            session.commit()
        except IntegrityError as exc:  # a first save by someone else at the same moment
            raise SettingsError(CHANGED) from exc
    return expected + 1


def save_settings(*, engine: Engine, actor: Actor, settings: dict | AlertSettings, expected_version: int) -> int:
    """Store new settings (managers only), audited with what changed; returns the new row version.

    Raises:
        PermissionDenied: the actor is not a manager.
        SettingsError: the settings are invalid, or were changed since ``expected_version`` was read.
        ActionError: the database gave up on the write (locked past its wait, timed out): nothing was stored.
    """
    require_manager(actor, "change the alert settings")
    try:
        new = settings if isinstance(settings, AlertSettings) else AlertSettings.model_validate(settings)
    except ValidationError as exc:
        raise SettingsError("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())) from exc
    return _write(engine, actor, new, expected_version, "save_alert_settings")


def set_digest_muted(*, engine: Engine, actor: Actor, muted: bool) -> None:
    """A rep turns their own daily digest off (``muted``) or on again, audited.

    Raises:
        PermissionDenied: the actor is not a rep (a digest belongs to the rep it is for).
        ActionError: the database gave up on the write (locked past its wait, timed out): nothing was stored.
    """
    if actor.role is not Role.REP or not actor.rep:
        raise PermissionDenied(f"{actor.name} ({actor.role}) has no digest of their own to mute: only reps do")
    for _ in range(3):  # another writer between the read and the write: read again
        current, version = load_settings(engine=engine)
        names = set(current.muted_digests) - {actor.rep} | ({actor.rep} if muted else set())
        if names == set(current.muted_digests):
            return
        new = current.model_copy(update={"muted_digests": sorted(names)})
        try:
            _write(engine, actor, new, version, "mute_digest" if muted else "unmute_digest")
            return
        except SettingsError:
            continue
    raise SettingsError("the alert settings keep changing: try again")
