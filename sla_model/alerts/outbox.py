"""The outbox: every alert is claimed once by its unique key, then delivered, retried with back-off, or given up.

Claiming inserts the row (``INSERT … ON CONFLICT DO NOTHING`` on the unique key), so of two runs deciding the same
alert at once only one row exists. Delivering first takes the row with a conditional ``UPDATE`` (to "sending",
with a lease), so only one run sends it; the row is marked "sent" only after the server accepted the message.
A run that dies mid-send leaves its lease to expire and the row is tried again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine, case, func, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, select

from sla_model.alerts.channels import DeliveryError
from sla_model.alerts.compose import Message
from sla_model.store.db import writer
from sla_model.store.models import OUTBOX_KEY, OutboxEntry

#: Attempts after which a failing alert is given up (shown on the settings page).
MAX_ATTEMPTS = 8
#: How long a run holds an alert it is sending before another run may try it (a run that died).
LEASE = dt.timedelta(minutes=10)
STATUSES = ("pending", "sending", "sent", "failed")
OUTBOX_COLUMNS = ["id", "kind", "channel", "recipient", "subject", "status", "attempts", "last_error",
                  "next_attempt_at", "created_at", "sent_at"]  # fmt: skip


def backoff(attempts: int) -> dt.timedelta:
    """The wait before the next attempt after ``attempts`` failed ones: 5 minutes, doubling, at most 6 hours.

    Examples:
        >>> [backoff(n).total_seconds() / 60 for n in (1, 2, 3, 8)]
        [5.0, 10.0, 20.0, 360.0]
    """
    return min(dt.timedelta(minutes=5) * 2 ** (attempts - 1), dt.timedelta(hours=6))


def claim(*, engine: Engine, messages: Iterable[Message], now: dt.datetime) -> int:
    """Insert each message not claimed before (its key is unique), in one transaction; returns how many were new."""
    rows = [
        {
            "kind": m.kind,
            "channel": m.channel,
            "recipient": m.recipient,
            "subject_key": m.subject_key[:200],
            "period": m.period,
            "subject": m.subject,
            "body": m.body,
            "attachment": m.attachment,
            "status": "pending",
            "attempts": 0,
            "last_error": "",
            "next_attempt_at": now,
            "created_at": now,
        }
        for m in messages
    ]
    if not rows:
        return 0
    dialect = engine.dialect.name
    if dialect not in ("sqlite", "postgresql"):
        raise NotImplementedError(f"claiming alerts needs SQLite or PostgreSQL, not {dialect}")
    make = sqlite_insert if dialect == "sqlite" else pg_insert
    new = 0
    with Session(writer(engine)) as session:
        for row in rows:
            statement = make(OutboxEntry).values(**row).on_conflict_do_nothing(index_elements=list(OUTBOX_KEY))
            new += len(session.exec(statement.returning(OutboxEntry.id)).all())  # a row back: this run claimed it
        session.commit()
    return new


def claimed(*, engine: Engine, kind: str, subject_key: str) -> bool:
    """Whether an alert of this kind and subject (e.g. a month's report) was claimed for anyone already."""
    with Session(engine) as session:
        found = session.exec(
            select(OutboxEntry.id).where(OutboxEntry.kind == kind, OutboxEntry.subject_key == subject_key).limit(1)
        ).first()
    return found is not None


def _take(engine: Engine, entry_id: int, now: dt.datetime) -> bool:
    """Take one due alert for sending (status "sending", a lease, one more attempt); False if another run has it."""
    with Session(writer(engine)) as session:
        taken = session.exec(
            update(OutboxEntry)
            .where(
                OutboxEntry.id == entry_id,
                OutboxEntry.status != "sent",
                OutboxEntry.next_attempt_at <= now,
                OutboxEntry.attempts < MAX_ATTEMPTS,
            )
            .values(status="sending", attempts=OutboxEntry.attempts + 1, next_attempt_at=now + LEASE)
        ).rowcount
        session.commit()
    return taken == 1


def _finish(engine: Engine, entry_id: int, now: dt.datetime, error: str | None) -> None:
    with Session(writer(engine)) as session:
        entry = session.get(OutboxEntry, entry_id)
        if error is None:
            entry.status, entry.sent_at, entry.last_error = "sent", now, ""
        else:
            entry.status, entry.last_error = "failed", error[:500]
            entry.next_attempt_at = now + backoff(entry.attempts)
        session.add(entry)
        session.commit()


@dataclass(frozen=True)
class Delivered:
    """What one delivery pass did."""

    sent: int = 0
    failed: int = 0
    given_up: int = 0


def deliver(*, engine: Engine, send: Callable[[OutboxEntry], None], now: Callable[[], dt.datetime]) -> Delivered:
    """Send every alert that is due (pending, or failed and past its back-off), each by at most one run.

    ``send`` raises :class:`~sla_model.alerts.channels.DeliveryError` for a message that did not get through; any
    other error also counts as a failed attempt, and the pass goes on with the next alert.
    """
    with Session(engine) as session:
        due = session.exec(
            select(OutboxEntry.id)
            .where(
                OutboxEntry.status != "sent", OutboxEntry.next_attempt_at <= now(), OutboxEntry.attempts < MAX_ATTEMPTS
            )
            .order_by(OutboxEntry.id)
        ).all()
    sent = failed = given_up = 0
    for entry_id in due:
        if not _take(engine, entry_id, now()):
            continue
        with Session(engine) as session:
            entry = session.get(OutboxEntry, entry_id)
        try:
            send(entry)
            error = None
        except DeliveryError as exc:
            error = str(exc)
        except Exception as exc:  # noqa: BLE001  (a broken message must not stop the others)
            error = f"{type(exc).__name__}: {exc}"
        _finish(engine, entry_id, now(), error)
        if error is None:
            sent += 1
        elif entry.attempts >= MAX_ATTEMPTS:
            given_up += 1
        else:
            failed += 1
    return Delivered(sent=sent, failed=failed, given_up=given_up)


def outbox_frame(*, engine: Engine, limit: int = 500) -> pd.DataFrame:
    """The latest alerts, newest first, for the settings page."""
    with Session(engine) as session:
        rows = session.exec(select(OutboxEntry).order_by(OutboxEntry.id.desc()).limit(limit)).all()
    return pd.DataFrame([{c: getattr(r, c) for c in OUTBOX_COLUMNS} for r in rows], columns=OUTBOX_COLUMNS)


def status_counts(*, engine: Engine) -> dict[str, int]:
    """How many alerts are in each status (``"given up"`` for failed ones out of attempts)."""
    state = case(
        ((OutboxEntry.status != "sent") & (OutboxEntry.attempts >= MAX_ATTEMPTS), "given up"),
        else_=OutboxEntry.status,
    )
    with Session(engine) as session:
        rows = session.exec(select(state, func.count()).group_by(state)).all()
    return {str(k): int(n) for k, n in rows}
