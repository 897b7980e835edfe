"""Who may do what: roles, the acting user, and the checks every write makes on the server side."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from sla_model.store.db import writer
from sla_model.store.models import AppUser
from sla_model.store.repository import write_audit


class Role(StrEnum):
    """What a user may do: managers everything, reps their own leads, viewers nothing."""

    MANAGER = "manager"
    REP = "rep"
    VIEWER = "viewer"


class PermissionDenied(PermissionError):
    """A write the acting user's role does not allow; the message says what and why."""


class ActionError(ValueError):
    """An action that cannot be carried out as asked; the message says why. Nothing was written."""


#: What a write that the database gave up on (locked past its wait, timed out, connection lost) tells the user.
DB_BUSY = ("The database did not take this in time (it may be busy, e.g. with an import), so nothing was stored. "
           "Try again in a moment.")  # fmt: skip


@contextmanager
def storing(engine: Engine) -> Iterator[Session]:
    """A session for one write transaction; a database that gives up on it is an :class:`ActionError` (DB_BUSY).

    Every write the library makes goes through it (decisions, touches, publishing, mappings, alert settings,
    digests, roles): on SQLite the transaction takes the write lock at BEGIN, and the session rolls back as it
    closes, so nothing of a refused write is stored.
    """
    try:
        with Session(writer(engine)) as session:
            yield session
    except OperationalError as exc:
        raise ActionError(DB_BUSY) from exc


@dataclass(frozen=True)
class Actor:
    """The user behind an action: a name shown, a role, for reps the owner they work as, and a stable identity.

    ``id`` is what ownership checks compare (display names can repeat): a sign-in's email or subject claim,
    ``local:…`` for the local-mode choice, ``cli`` for the command line. Left empty it is ``name:<name>``, for
    callers with no identity of their own (scripts, tests).
    """

    name: str
    role: Role
    rep: str | None = None
    id: str = ""

    def __post_init__(self) -> None:
        if self.role is Role.REP and not self.rep:
            raise ValueError("a rep must say which lead owner they are")
        if not self.id:
            object.__setattr__(self, "id", f"name:{self.name}")


def require_manager(actor: Actor, action: str) -> None:
    """Refuse unless the actor is a manager.

    Raises:
        PermissionDenied: naming the action and the actor's role.
    """
    if actor.role is not Role.MANAGER:
        raise PermissionDenied(f"{actor.name} ({actor.role}) may not {action}: only managers can")


def require_lead_access(actor: Actor, lead_id: str, owner: str | None, action: str) -> None:
    """Refuse unless the actor may act on this lead: managers on any, reps on their own.

    Raises:
        PermissionDenied: naming the lead, its owner and the actor.
    """
    if actor.role is Role.MANAGER:
        return
    if actor.role is Role.VIEWER:
        raise PermissionDenied(f"{actor.name} is a viewer and may not {action}")
    if owner != actor.rep:
        raise PermissionDenied(
            f"{actor.name} may not {action} lead {lead_id}: it belongs to {owner or 'nobody'}, not to {actor.rep}"
        )


def actor_for_email(*, engine: Engine, email: str, name: str = "") -> Actor:
    """The actor for a signed-in user: their role from the user table; unknown users are viewers."""
    with Session(engine) as session:
        user = session.get(AppUser, email.strip().lower())
    identity = email.strip().lower()
    if user is None:
        return Actor(name=name or email, role=Role.VIEWER, id=identity)
    role = Role(user.role)
    if role is Role.REP and not user.rep:
        return Actor(name=user.name or email, role=Role.VIEWER, id=identity)
    return Actor(name=user.name or name or email, role=role, rep=user.rep if role is Role.REP else None, id=identity)


def set_user(*, engine: Engine, actor: Actor, email: str, role: Role, name: str = "", rep: str | None = None) -> None:
    """Grant a role to an email address (managers only), audited in the same transaction.

    Raises:
        PermissionDenied: the actor is not a manager (checked here, whoever calls).
        ActionError: a rep without a lead owner, or a database that gave up on the write (nothing was stored).
    """
    require_manager(actor, "change user roles")
    if role is Role.REP and not rep:
        raise ActionError("a rep needs the lead owner name they work as")
    email = email.strip().lower()
    with storing(engine) as session:
        user = session.get(AppUser, email) or AppUser(email=email, role=role)
        user.role, user.name, user.rep = role.value, name, rep if role is Role.REP else None
        session.add(user)
        write_audit(session=session, actor=actor.name, actor_id=actor.id, action="set_user", entity="app_user",
                    entity_id=email, detail={"role": role.value, "name": name, "rep": user.rep})  # fmt: skip
        session.commit()
