"""Reading the audit log: who did what, when, to which record — filtered for the audit page and a lead's history."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection

import pandas as pd
from sqlalchemy import Engine, func, or_
from sqlmodel import Session, select

from sla_model.store.models import AuditEntry

AUDIT_COLUMNS = ["id", "at", "actor", "actor_id", "action", "entity", "entity_id", "detail"]
#: The actions whose entries concern a lead (entity "lead", or a touch / undo naming the lead in its detail).
LEAD_ENTITIES = ("lead", "touch", "audit_log")


def _frame(rows: list[AuditEntry]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(
        [tuple(getattr(r, c) for c in AUDIT_COLUMNS) for r in rows], columns=AUDIT_COLUMNS
    )
    frame["at"] = pd.to_datetime(frame["at"]).astype("datetime64[ns]")
    return frame


def audit_entries(
    *,
    engine: Engine,
    actor_ids: Collection[str] = (),
    actions: Collection[str] = (),
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    limit: int = 1000,
) -> tuple[pd.DataFrame, int]:
    """Audit entries, newest first, filtered by who, what and ``[start, end)``, with the number that matched in all.

    ``actor_ids`` are stable ids (an entry without one is matched by its name); at most ``limit`` rows are read.
    """
    where = []
    if actor_ids:
        where.append(or_(AuditEntry.actor_id.in_(list(actor_ids)),
                         AuditEntry.actor_id.is_(None) & AuditEntry.actor.in_(list(actor_ids))))  # fmt: skip
    if actions:
        where.append(AuditEntry.action.in_(list(actions)))
    if start is not None:
        where.append(AuditEntry.at >= start)
    if end is not None:
        where.append(AuditEntry.at < end)
    with Session(engine) as session:
        total = session.exec(select(func.count()).select_from(AuditEntry).where(*where)).one()
        rows = session.exec(select(AuditEntry).where(*where).order_by(AuditEntry.id.desc()).limit(limit)).all()
    return _frame(list(rows)), int(total)


def audit_people(*, engine: Engine) -> dict[str, str]:
    """Everyone in the audit log: stable id (or, for entries without one, the name) → the latest name shown."""
    with Session(engine) as session:
        rows = session.exec(
            select(
                func.coalesce(AuditEntry.actor_id, AuditEntry.actor), AuditEntry.actor, func.max(AuditEntry.id)
            ).group_by(func.coalesce(AuditEntry.actor_id, AuditEntry.actor), AuditEntry.actor)
        ).all()
    latest: dict[str, tuple[int, str]] = {}
    for key, name, last in rows:
        if key not in latest or last > latest[key][0]:
            latest[key] = (last, name)
    return {key: name for key, (_, name) in sorted(latest.items(), key=lambda kv: kv[1][1].lower())}


def audit_actions(*, engine: Engine) -> list[str]:
    """The distinct actions the audit log holds, sorted."""
    with Session(engine) as session:
        return sorted(session.exec(select(AuditEntry.action).distinct()).all())


def lead_audit(*, engine: Engine, lead_id: str) -> pd.DataFrame:
    """Every audit entry about one lead: its decisions, the touches logged on it and undos of either, oldest first."""
    needle = json.dumps(lead_id, ensure_ascii=False)
    with Session(engine) as session:
        rows = session.exec(
            select(AuditEntry)
            .where(
                or_(
                    (AuditEntry.entity == "lead") & (AuditEntry.entity_id == lead_id),
                    AuditEntry.entity.in_(LEAD_ENTITIES[1:]) & AuditEntry.detail.contains(needle),
                )
            )
            .order_by(AuditEntry.id)
        ).all()
    frame = _frame(list(rows))
    mentions = [json.loads(d or "{}").get("lead_id") == lead_id for d in frame["detail"]]
    keep = (frame["entity"] == "lead") | pd.Series(mentions, index=frame.index, dtype=bool)
    return frame[keep].reset_index(drop=True)
