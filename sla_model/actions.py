"""Writes users make: accept or reject MQLs, log touches, undo, publish an SLA — checked, short, audited."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Engine, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from sla_model.access import (  # noqa: F401  (ActionError, DB_BUSY and storing are this module's names too)
    DB_BUSY,
    ActionError,
    Actor,
    PermissionDenied,
    require_lead_access,
    require_manager,
    storing,
)
from sla_model.agreement.sla import Sla, in_force
from sla_model.metrics.lifecycle import DECISION_COLUMNS
from sla_model.store.models import AuditEntry, Feedback, Lead, SlaVersion, Touch, utcnow
from sla_model.store.repository import add_sla_version, bump_data_version, list_sla_versions, write_audit

TOUCH_KINDS = ("call", "email", "meeting", "linkedin")
MAX_NOTE = 20_000
MAX_OUTCOME = 200
UNDOABLE = ("decide", "log_touch")


@dataclass(frozen=True)
class Decided:
    """What happened to one lead of a decision."""

    lead_id: str
    ok: bool
    message: str
    went: str | None = None  # "accepted", "nurture" or "disqualify"


def _versions(session: Session) -> list[Sla]:
    versions = list_sla_versions(session=session)
    if not versions:
        raise ActionError("no SLA version is stored: publish one before logging decisions")
    return versions


def _already(session: Session, lead: Lead) -> str:
    last = session.exec(
        select(Feedback).where(Feedback.lead_id == lead.lead_id).order_by(Feedback.at.desc(), Feedback.id.desc())
    ).first()
    if lead.mql_at is None:
        return f"lead {lead.lead_id} is not an MQL, so there is nothing to decide"
    if last is not None:
        verb = "accepted" if last.decision == "accept" else "rejected"
        return f"lead {lead.lead_id} was already {verb} by {last.by} at {last.at:%Y-%m-%d %H:%M} UTC"
    if lead.recycled_at is not None:
        return f"lead {lead.lead_id} was already recycled to nurture at {lead.recycled_at:%Y-%m-%d %H:%M} UTC"
    for stage, at in (("won", lead.won_at), ("lost", lead.lost_at), ("an opportunity", lead.opportunity_at),
                      ("an SQL", lead.sql_at)):  # fmt: skip
        if at is not None:
            return f"lead {lead.lead_id} is already {stage} (since {at:%Y-%m-%d %H:%M} UTC)"
    return f"lead {lead.lead_id} was already decided"


#: A decision the same person sends again this soon (a double click, a resent form) is the one already stored.
REPEAT_WINDOW = dt.timedelta(minutes=2)


def _repeated(session: Session, lead_id: str, actor: Actor, accept: bool, reason: str | None, now: dt.datetime) -> bool:
    """Whether the lead's latest decision is this very one, sent again by the same person moments ago."""
    last = session.exec(
        select(Feedback).where(Feedback.lead_id == lead_id).order_by(Feedback.at.desc(), Feedback.id.desc())
    ).first()
    return (
        last is not None
        and last.by == actor.name
        and last.decision == ("accept" if accept else "reject")
        and (accept or last.reason == reason)
        and abs(now - last.at) <= REPEAT_WINDOW
    )


def decide(
    *,
    engine: Engine,
    actor: Actor,
    lead_ids: Sequence[str],
    accept: bool,
    reason: str | None = None,
    note: str = "",
    now: dt.datetime | None = None,
) -> list[Decided]:
    """Accept, or reject with a reason, each open MQL in ``lead_ids``, in one short write transaction.

    A rejection follows the recycle rules of the SLA in force now: back to nurture or disqualified.
    A lead someone else already decided is refused (never overwritten); so are leads the actor may
    not decide. The same decision sent again by the same person within :data:`REPEAT_WINDOW` (a double
    click) is confirmed as the one already stored, and nothing more is written. Every decision is stored
    with who and when, as feedback and in the audit log.

    Raises:
        ActionError: a reject without a valid reason, an over-long note, or no SLA stored.
        PermissionDenied: a viewer acting at all.
    """
    now = now or utcnow()
    note = note or ""
    if len(note) > MAX_NOTE:
        raise ActionError(f"the note is {len(note):,} characters long; at most {MAX_NOTE:,} are kept")
    if actor.role == "viewer":
        raise PermissionDenied(f"{actor.name} is a viewer and may not decide leads")
    results: list[Decided] = []
    with storing(engine) as session:
        sla = in_force(_versions(session), now.date())
        actions = sla.reason_action()
        if not accept and reason not in actions:
            known = ", ".join(actions)
            raise ActionError(f"a rejection needs a reason from the SLA ({known}); got {reason!r}")
        went = "accepted" if accept else actions[reason]
        written: list[str] = []  # the leads this call changed (a repeated decision changes none)
        for lead_id in dict.fromkeys(lead_ids):
            lead = session.get(Lead, lead_id)
            if lead is None:
                results.append(Decided(lead_id, False, f"lead {lead_id} does not exist"))
                continue
            try:
                require_lead_access(actor, lead_id, lead.owner, "decide")
            except PermissionDenied as exc:
                results.append(Decided(lead_id, False, str(exc)))
                continue
            values = {"row_version": Lead.row_version + 1}
            if accept:
                values["accepted_at"] = now
            else:
                values |= {"rejected_at": now, "rejection_reason": reason}
                values["recycled_at" if went == "nurture" else "disqualified_at"] = now
            changed = session.exec(
                update(Lead)
                .where(
                    Lead.lead_id == lead_id,
                    Lead.mql_at.is_not(None),
                    *(getattr(Lead, c).is_(None) for c in DECISION_COLUMNS),  # open only
                )
                .values(**values)
            ).rowcount
            label = sla.reason_labels().get(reason or "", reason)
            message = {
                "accepted": f"lead {lead_id} accepted",
                "nurture": f"lead {lead_id} rejected ({label}): back to marketing for nurturing",
                "disqualify": f"lead {lead_id} rejected ({label}): disqualified",
            }[went]
            if changed != 1:
                session.refresh(lead)
                if _repeated(session, lead_id, actor, accept, reason, now):  # a double click: stored once already
                    results.append(Decided(lead_id, True, message, went))
                else:
                    results.append(Decided(lead_id, False, _already(session, lead)))
                continue
            feedback = Feedback(
                lead_id=lead_id,
                decision="accept" if accept else "reject",
                reason=None if accept else reason,
                note=note,
                by=actor.name,
                at=now,
            )
            session.add(feedback)
            session.flush()
            write_audit(
                session=session,
                actor=actor.name,
                actor_id=actor.id,
                action="decide",
                entity="lead",
                entity_id=lead_id,
                detail={"feedback_id": feedback.id, "decision": feedback.decision, "reason": reason, "went": went},
            )
            results.append(Decided(lead_id, True, message, went))
            written.append(lead_id)
        if written:
            bump_data_version(session=session, leads=written)
        session.commit()
    return results


def log_touch(
    *, engine: Engine, actor: Actor, lead_id: str, kind: str, outcome: str = "", at: dt.datetime | None = None
) -> Touch:
    """Log a sales contact attempt on a lead the actor may work.

    Raises:
        ActionError: an unknown kind, an over-long outcome, or an unknown lead.
        PermissionDenied: a viewer, or a rep on someone else's lead.
    """
    if kind not in TOUCH_KINDS:
        raise ActionError(f"a touch is one of {', '.join(TOUCH_KINDS)}; got {kind!r}")
    if len(outcome) > MAX_OUTCOME:
        raise ActionError(f"the outcome is {len(outcome)} characters long; at most {MAX_OUTCOME} are kept")
    with storing(engine) as session:
        lead = session.get(Lead, lead_id)
        if lead is None:
            raise ActionError(f"lead {lead_id} does not exist")
        require_lead_access(actor, lead_id, lead.owner, "log a touch on")
        touch = Touch(lead_id=lead_id, rep=actor.rep or lead.owner or actor.name, at=at or utcnow(), kind=kind,
                      outcome=outcome)  # fmt: skip
        session.add(touch)
        session.flush()
        write_audit(
            session=session, actor=actor.name, actor_id=actor.id, action="log_touch", entity="touch",
            entity_id=str(touch.id), detail={"lead_id": lead_id, "kind": kind, "outcome": outcome},
        )  # fmt: skip
        bump_data_version(session=session, leads=[lead_id])
        session.commit()
        session.refresh(touch)
        return touch


def undo_last(*, engine: Engine, actor: Actor) -> str:
    """Undo the actor's own last action (a decision or a touch), once; returns what was undone.

    Only the very last action can be undone: once it is undone, a second undo is refused (it never steps back
    to an earlier action). A decision is only undone while the lead is still as that decision left it, and
    only on a lead the actor may still act on.

    Raises:
        ActionError: nothing to undo, the last action was undone already, or the lead changed since.
        PermissionDenied: a viewer, or a lead the actor may no longer act on.
    """
    if actor.role == "viewer":
        raise PermissionDenied(f"{actor.name} is a viewer and has nothing to undo")
    with storing(engine) as session:
        entry = session.exec(
            select(AuditEntry)
            .where(AuditEntry.actor_id == actor.id, AuditEntry.action.in_((*UNDOABLE, "undo")))
            .order_by(AuditEntry.id.desc())
        ).first()
        if entry is None:
            raise ActionError("there is nothing of yours to undo")
        if entry.action == "undo":
            last = json.loads(entry.detail)
            what = "decision" if last.get("undid") == "decide" else "touch"
            raise ActionError(f"your last action, the {what} on lead {last.get('lead_id', '?')}, was undone "
                              "already; only the last action can be undone, once")  # fmt: skip
        detail = json.loads(entry.detail)
        if entry.action == "log_touch":
            touch = session.get(Touch, int(entry.entity_id))
            if touch is not None:
                session.delete(touch)
            what = f"touch ({detail['kind']}) on lead {detail['lead_id']} removed"
        else:
            lead = session.get(Lead, entry.entity_id)
            if lead is not None:
                require_lead_access(actor, lead.lead_id, lead.owner, "undo a decision on")
            latest = session.exec(
                select(Feedback).where(Feedback.lead_id == entry.entity_id).order_by(Feedback.id.desc())
            ).first()
            if lead is None or latest is None or latest.id != detail["feedback_id"]:
                raise ActionError(f"lead {entry.entity_id} has changed since your decision; it cannot be undone")
            lead.accepted_at = lead.rejected_at = lead.recycled_at = lead.disqualified_at = None
            lead.rejection_reason = None
            lead.row_version += 1
            session.add(lead)
            session.delete(latest)
            what = f"decision on lead {entry.entity_id} undone: it is open again"
        lead_id = detail.get("lead_id", entry.entity_id)
        write_audit(session=session, actor=actor.name, actor_id=actor.id, action="undo", entity="audit_log",
                    entity_id=str(entry.id), detail={"undid": entry.action, "lead_id": lead_id, **detail})  # fmt: skip
        bump_data_version(session=session, leads=[lead_id])
        session.commit()
    return what


def publish_sla(*, engine: Engine, actor: Actor, sla: Sla) -> SlaVersion:
    """Store a new SLA version (managers only); pages judge periods from its effective date on.

    Raises:
        PermissionDenied: anyone but a manager.
        ValueError: a version number that is already taken.
    """
    require_manager(actor, "publish an SLA version")
    try:
        with storing(engine) as session:
            row = add_sla_version(session=session, sla=sla, actor=actor.name, actor_id=actor.id)
            bump_data_version(session=session)
            session.commit()
            session.refresh(row)
            return row
    except IntegrityError:  # another manager published the same number between our check and our commit
        with Session(engine) as session:
            winner = session.exec(
                select(AuditEntry.actor).where(
                    AuditEntry.action == "publish_sla", AuditEntry.entity_id == str(sla.meta.version)
                )
            ).first()
        who = f" by {winner}" if winner else ""
        raise ValueError(
            f"SLA version {sla.meta.version} was just published{who}; reload to see it, then publish yours as the "
            "next version"
        ) from None
