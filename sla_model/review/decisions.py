"""The meeting's record: decisions and action items with owner, due date and metric, and proposed SLA changes."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
from sqlalchemy import Engine
from sqlmodel import Session, select

from sla_model.access import Actor, require_manager
from sla_model.actions import REPEAT_WINDOW, ActionError, storing
from sla_model.agreement.sla import Sla
from sla_model.review.meeting import METRICS, proposal_summary
from sla_model.store.models import AuditEntry, Decision, Proposal, utcnow
from sla_model.store.repository import write_audit
from sla_model.whatif import Candidate, evaluate, observed_team_size

MAX_TEXT = 2_000
MAX_OWNER = 120
MAX_TITLE = 200
DECISION_STATUSES = ("open", "done", "dropped")
PROPOSAL_STATUSES = ("proposed", "adopted", "declined")
DECISION_COLUMNS = [
    "id",
    "month",
    "text",
    "owner",
    "due",
    "metric",
    "target",
    "status",
    "outcome",
    "created_by",
    "created_at",
    "closed_by",
    "closed_at",
    "row_version",
]


def _month(month: pd.Period | str) -> str:
    try:
        return str(pd.Period(month, "M"))
    except (ValueError, TypeError) as exc:
        raise ActionError(f"month {month!r} is not a month (expected YYYY-MM)") from exc


def _text(value: str, what: str, limit: int) -> str:
    value = (value or "").strip()
    if not value:
        raise ActionError(f"{what} is empty: write it out")
    if len(value) > limit:
        raise ActionError(f"{what} is {len(value):,} characters long; the limit is {limit:,}")
    return value


def _repeated(session: Session, *, entity: str, entity_id: int, action: str, actor: Actor, detail: dict,
              now: dt.datetime) -> bool:  # fmt: skip
    """Whether the latest change to the row is this very one, sent again by the same person moments ago."""
    last = session.exec(
        select(AuditEntry)
        .where(AuditEntry.entity == entity, AuditEntry.entity_id == str(entity_id))
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    ).first()
    return (
        last is not None
        and (last.actor_id, last.action) == (actor.id, action)
        and json.loads(last.detail or "{}") == json.loads(json.dumps(detail, ensure_ascii=False, default=str))
        and abs(now - last.at) <= REPEAT_WINDOW
    )


def record_decision(
    *,
    engine: Engine,
    actor: Actor,
    month: pd.Period | str,
    text: str,
    owner: str,
    due: dt.date,
    metric: str | None = None,
    target: float | None = None,
    now: dt.datetime | None = None,
) -> Decision:
    """Record what the review of ``month`` agreed (managers only); it is carried to later meetings until closed.

    The same decision recorded again by the same person within :data:`~sla_model.actions.REPEAT_WINDOW`
    (a double click, a resent form) is the one already stored: it is returned and nothing more is written.

    Raises:
        PermissionDenied: anyone but a manager.
        ActionError: an empty or overlong text or owner, an unknown metric, a target without a metric.
    """
    require_manager(actor, "record meeting decisions")
    row = Decision(
        month=_month(month),
        text=_text(text, "the decision", MAX_TEXT),
        owner=_text(owner, "the owner", MAX_OWNER),
        due=due,
        metric=metric or None,
        target=None if target is None else float(target),
        created_by=actor.name,
    )
    if row.metric is not None and row.metric not in METRICS:
        raise ActionError(f"metric {row.metric!r} is not one the meeting tracks ({', '.join(METRICS)})")
    if row.target is not None and row.metric is None:
        raise ActionError("a target needs a metric to be measured by")
    now = now or utcnow()
    row.created_at = now
    with storing(engine) as session:
        same = session.exec(
            select(Decision)
            .where(
                Decision.month == row.month,
                Decision.text == row.text,
                Decision.owner == row.owner,
                Decision.due == row.due,
                Decision.created_by == row.created_by,
                Decision.created_at >= now - REPEAT_WINDOW,
                Decision.created_at <= now + REPEAT_WINDOW,
            )
            .order_by(Decision.id.desc())
        ).all()
        for earlier in same:
            if (earlier.metric, earlier.target) == (row.metric, row.target):
                return earlier  # a double click: stored once already
        session.add(row)
        session.flush()
        write_audit(
            session=session,
            actor=actor.name,
            actor_id=actor.id,
            action="record_decision",
            entity="decision",
            entity_id=str(row.id),
            detail={"month": row.month, "text": row.text, "owner": row.owner},
        ).at = now
        session.commit()
        session.refresh(row)
        return row


def close_decision(
    *,
    engine: Engine,
    actor: Actor,
    decision_id: int,
    status: str,
    outcome: str = "",
    row_version: int,
    now: dt.datetime | None = None,
) -> Decision:
    """Mark a decision done or dropped (or open again) with what came of it (managers only).

    ``row_version`` is the version the user saw: if someone changed the decision since, nothing is
    written and the error says who changed it, so no one's update is silently lost. The same update sent
    again by the same person within :data:`~sla_model.actions.REPEAT_WINDOW` (a double click) is confirmed
    as the one already stored, and nothing more is written.

    Raises:
        PermissionDenied: anyone but a manager.
        ActionError: an unknown decision or status, or a decision changed since it was shown.
    """
    require_manager(actor, "close meeting decisions")
    now = now or utcnow()
    if status not in DECISION_STATUSES:
        raise ActionError(f"status {status!r} is not one of {', '.join(DECISION_STATUSES)}")
    if len(outcome or "") > MAX_TEXT:
        raise ActionError(f"the outcome is {len(outcome):,} characters long; the limit is {MAX_TEXT:,}")
    with storing(engine) as session:
        row = session.get(Decision, decision_id, with_for_update=True)  # PostgreSQL: concurrent closes queue here
        if row is None:
            raise ActionError(f"decision {decision_id} does not exist (it may have been removed)")
        detail = {"status": status, "outcome": (outcome or "").strip()}
        if (row.status, row.outcome) == (status, detail["outcome"]) and _repeated(
            session, entity="decision", entity_id=decision_id, action="close_decision", actor=actor, detail=detail,
            now=now,
        ):  # fmt: skip
            return row  # a double click: stored once already
        if row.row_version != row_version:
            who = row.closed_by or row.created_by
            raise ActionError(
                f"decision {decision_id} was changed by {who} since you opened it (now {row.status}); reload to see it"
            )
        row.status, row.outcome = status, (outcome or "").strip()
        row.closed_by, row.closed_at = (None, None) if status == "open" else (actor.name, now)
        row.row_version += 1
        session.add(row)
        write_audit(
            session=session,
            actor=actor.name,
            actor_id=actor.id,
            action="close_decision",
            entity="decision",
            entity_id=str(decision_id),
            detail=detail,
        ).at = now
        session.commit()
        session.refresh(row)
        return row


def list_decisions(*, engine: Engine, through: pd.Period | str | None = None) -> pd.DataFrame:
    """Every decision agreed in or before the month ``through`` (all without it), oldest first."""
    query = select(Decision).order_by(Decision.month, Decision.id)
    if through is not None:
        query = query.where(Decision.month <= _month(through))
    with Session(engine) as session:
        rows = session.exec(query).all()
    return pd.DataFrame([r.model_dump() for r in rows], columns=DECISION_COLUMNS)


def propose(*, engine: Engine, actor: Actor, title: str, candidate: Candidate, note: str = "") -> Proposal:
    """Save a what-if scenario as a proposed SLA change for the next review (managers only)."""
    require_manager(actor, "propose SLA changes")
    row = Proposal(
        title=_text(title, "the proposal's title", MAX_TITLE),
        candidate=candidate.model_dump_json(),
        note=(note or "").strip()[:MAX_TEXT],
        proposed_by=actor.name,
    )
    with storing(engine) as session:
        session.add(row)
        session.flush()
        write_audit(
            session=session,
            actor=actor.name,
            actor_id=actor.id,
            action="propose",
            entity="proposal",
            entity_id=str(row.id),
            detail={"title": row.title},
        )
        session.commit()
        session.refresh(row)
        return row


def list_proposals(*, engine: Engine) -> list[Proposal]:
    """Every proposal, newest first."""
    with Session(engine) as session:
        return list(session.exec(select(Proposal).order_by(Proposal.proposed_at.desc(), Proposal.id.desc())).all())


def candidate_of(proposal: Proposal) -> Candidate:
    """The what-if candidate a proposal stores."""
    return Candidate.model_validate_json(proposal.candidate)


PROPOSAL_COLUMNS = ["id", "title", "status", "proposed_by", "proposed_at", "note", "summary", "row_version",
                    "decided_by", "decided_at"]  # fmt: skip


def proposal_table(rows: list[Proposal], arrays: object, sla: Sla) -> pd.DataFrame:
    """Proposals as the meeting shows them, each with a one-sentence replay against ``sla`` (the one in force).

    Args:
        rows: the stored proposals (:func:`list_proposals`).
        arrays: the what-if engine's arrays of the data set (``sla_model.whatif``).
        sla: the SLA in force now: each scenario is replayed beside it, with the team size observed in the data.
    """
    out = []
    for row in rows:
        candidate = candidate_of(row)
        base = Candidate.from_sla(sla, team_size=max(observed_team_size(arrays), 1),
                                  capacity_per_rep_week=candidate.capacity_per_rep_week)  # fmt: skip
        summary = proposal_summary(evaluate(arrays, candidate, baseline=base), sla.goal.currency)
        out.append([row.id, row.title, row.status, row.proposed_by, row.proposed_at, row.note, summary,
                    row.row_version, row.decided_by, row.decided_at])  # fmt: skip
    return pd.DataFrame(out, columns=PROPOSAL_COLUMNS)


def decide_proposal(
    *, engine: Engine, actor: Actor, proposal_id: int, status: str, row_version: int, now: dt.datetime | None = None
) -> Proposal:
    """Mark a proposal adopted or declined (or back to proposed) in the review (managers only).

    The same decision sent again by the same person within :data:`~sla_model.actions.REPEAT_WINDOW`
    (a double click) is confirmed as the one already stored, and nothing more is written.

    Raises:
        PermissionDenied: anyone but a manager.
        ActionError: an unknown proposal or status, or a proposal changed since it was shown.
    """
    require_manager(actor, "decide on proposals")
    now = now or utcnow()
    if status not in PROPOSAL_STATUSES:
        raise ActionError(f"status {status!r} is not one of {', '.join(PROPOSAL_STATUSES)}")
    with storing(engine) as session:
        row = session.get(Proposal, proposal_id, with_for_update=True)
        if row is None:
            raise ActionError(f"proposal {proposal_id} does not exist")
        if row.status == status and _repeated(
            session, entity="proposal", entity_id=proposal_id, action="decide_proposal", actor=actor,
            detail={"status": status}, now=now,
        ):  # fmt: skip
            return row  # a double click: stored once already
        if row.row_version != row_version:
            raise ActionError(
                f"proposal {proposal_id} was changed by {row.decided_by or row.proposed_by} since "
                f"you opened it (now {row.status}); reload to see it"
            )
        row.status = status
        row.decided_by, row.decided_at = (None, None) if status == "proposed" else (actor.name, now)
        row.row_version += 1
        session.add(row)
        write_audit(
            session=session,
            actor=actor.name,
            actor_id=actor.id,
            action="decide_proposal",
            entity="proposal",
            entity_id=str(proposal_id),
            detail={"status": status},
        ).at = now
        session.commit()
        session.refresh(row)
        return row
