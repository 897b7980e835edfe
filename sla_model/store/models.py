"""Database tables: SLA versions, leads, touches, sales feedback, the audit log, metadata and alerts."""

from __future__ import annotations

import datetime as dt

from pydantic import NaiveDatetime
from sqlalchemy import Column, Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel


def utcnow() -> dt.datetime:
    """The current time in UTC, without tzinfo (every stored timestamp is naive UTC)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


# SLA versions: the whole agreement stored as a validated JSON document per version.
class SlaVersionBase(SQLModel):
    version: int = Field(unique=True, index=True)
    effective_from: dt.date = Field(index=True)
    author: str
    change_note: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


class SlaVersion(SlaVersionBase, table=True):
    __tablename__ = "sla_version"
    id: int | None = Field(default=None, primary_key=True)
    document: str = Field(sa_column=Column(Text, nullable=False))
    created_at: NaiveDatetime = Field(default_factory=utcnow)


# Leads: one row per lead with every lifecycle timestamp (None = not reached yet).
class LeadBase(SQLModel):
    lead_id: str = Field(primary_key=True, max_length=64)
    first_name: str = ""
    last_name: str = ""
    company: str = ""
    email: str = ""
    created_at: NaiveDatetime = Field(index=True)
    channel: str = Field(index=True)
    campaign: str = ""
    persona: str = ""
    industry: str = ""
    country: str = ""
    company_size: int = 0
    score: int = 0
    demo_request: bool = False
    page_views: int = 0
    form_submissions: int = 0
    owner: str | None = Field(default=None, index=True)
    mql_at: NaiveDatetime | None = Field(default=None, index=True)
    accepted_at: NaiveDatetime | None = None
    rejected_at: NaiveDatetime | None = None
    rejection_reason: str | None = None
    recycled_at: NaiveDatetime | None = None
    disqualified_at: NaiveDatetime | None = None
    sql_at: NaiveDatetime | None = None
    opportunity_at: NaiveDatetime | None = None
    won_at: NaiveDatetime | None = None
    lost_at: NaiveDatetime | None = None
    amount: float | None = None


#: The open MQLs (handed over, no decision yet: :func:`sla_model.metrics.lifecycle.is_open`): what My leads lists.
OPEN_MQL = (
    "mql_at IS NOT NULL AND accepted_at IS NULL AND rejected_at IS NULL AND recycled_at IS NULL AND "
    "disqualified_at IS NULL AND sql_at IS NULL AND opportunity_at IS NULL AND won_at IS NULL AND lost_at IS NULL"
)


class Lead(LeadBase, table=True):
    __tablename__ = "lead"
    # a partial index of the few open MQLs among millions of leads: the queue is read without scanning the table
    __table_args__ = (Index("ix_lead_open", "mql_at", sqlite_where=text(OPEN_MQL), postgresql_where=text(OPEN_MQL)),)
    row_version: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


# Touches: sales contact attempts on a lead.
class TouchBase(SQLModel):
    lead_id: str = Field(index=True, max_length=64)
    rep: str
    at: NaiveDatetime = Field(index=True)
    kind: str
    outcome: str = ""


class Touch(TouchBase, table=True):
    __tablename__ = "touch"
    id: int | None = Field(default=None, primary_key=True)


# Sales feedback: each accept or reject decision, with its reason and the rep's note, verbatim.
class FeedbackBase(SQLModel):
    lead_id: str = Field(index=True, max_length=64)
    decision: str  # "accept" | "reject"
    reason: str | None = None
    note: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    by: str
    at: NaiveDatetime = Field(index=True)


class Feedback(FeedbackBase, table=True):
    __tablename__ = "feedback"
    id: int | None = Field(default=None, primary_key=True)


# Audit log: who did what, when, to which record. ``actor`` is the name shown; ``actor_id`` the stable identity
# (a sign-in's email or subject claim, ``local:…`` in local mode, ``cli`` for the command line) that ownership
# checks compare, so two people with one display name are never taken for each other.
class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_log"
    id: int | None = Field(default=None, primary_key=True)
    at: NaiveDatetime = Field(default_factory=utcnow, index=True)
    actor: str
    actor_id: str | None = Field(default=None, index=True, max_length=254)
    action: str
    entity: str
    entity_id: str = ""
    detail: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


# Metadata: small key/value facts about the stored data set (e.g. the snapshot time of sample data).
class MetaEntry(SQLModel, table=True):
    __tablename__ = "meta"
    key: str = Field(primary_key=True, max_length=64)
    value: str


# Data changes: which leads each small write changed (a decision, a touch, an undo), by the data version it moved
# the data to, so a loaded data set can be brought up to date with those leads alone. A version without rows here
# (an import, a published SLA) changed more than a few leads: readers load everything again.
class DataChange(SQLModel, table=True):
    __tablename__ = "data_change"
    id: int | None = Field(default=None, primary_key=True)
    version: int = Field(index=True)
    lead_id: str = Field(max_length=64)


# App users: who may do what. Unknown users are viewers.
class AppUser(SQLModel, table=True):
    __tablename__ = "app_user"
    email: str = Field(primary_key=True, max_length=254)
    name: str = ""
    role: str  # "manager" | "rep" | "viewer"
    rep: str | None = None  # the lead owner name this user works as (reps)


# Saved import mappings: a column mapping built on the import page, reusable by name.
class SavedMapping(SQLModel, table=True):
    __tablename__ = "saved_mapping"
    name: str = Field(primary_key=True, max_length=120)
    document: str = Field(sa_column=Column(Text, nullable=False))
    saved_by: str
    saved_at: NaiveDatetime = Field(default_factory=utcnow)


# Meeting decisions and action items: what the review agreed, who owns it, by when, and how to tell it worked.
class Decision(SQLModel, table=True):
    __tablename__ = "decision"
    id: int | None = Field(default=None, primary_key=True)
    month: str = Field(index=True, max_length=7)  # the reviewed month it was agreed in, "YYYY-MM"
    text: str = Field(sa_column=Column(Text, nullable=False))
    owner: str = Field(max_length=120)
    due: dt.date
    metric: str | None = Field(default=None, max_length=40)  # a key of sla_model.review.meeting.METRICS
    target: float | None = None
    status: str = Field(default="open", max_length=10)  # "open" | "done" | "dropped"
    outcome: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    created_by: str
    created_at: NaiveDatetime = Field(default_factory=utcnow)
    closed_by: str | None = None
    closed_at: NaiveDatetime | None = None
    row_version: int = 1


# Proposed SLA changes: what-if scenarios saved for the next review, adopted or declined there.
class Proposal(SQLModel, table=True):
    __tablename__ = "proposal"
    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=200)
    candidate: str = Field(sa_column=Column(Text, nullable=False))  # sla_model.whatif.Candidate as JSON
    note: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    proposed_by: str
    proposed_at: NaiveDatetime = Field(default_factory=utcnow)
    status: str = Field(default="proposed", max_length=10)  # "proposed" | "adopted" | "declined"
    decided_by: str | None = None
    decided_at: NaiveDatetime | None = None
    row_version: int = 1


# Alert settings: recipients, thresholds and quiet hours of the notifications, one validated JSON document
# (:class:`sla_model.alerts.settings.AlertSettings`) in a single row.
class AlertSettingsRow(SQLModel, table=True):
    __tablename__ = "alert_settings"
    id: int = Field(default=1, primary_key=True)
    document: str = Field(sa_column=Column(Text, nullable=False))
    updated_by: str
    updated_at: NaiveDatetime = Field(default_factory=utcnow)
    row_version: int = 1


#: What makes an alert the same alert: sent once per kind, channel, recipient, subject (a lead and rule, a rep,
#: a month) and period (a day, a due time).
OUTBOX_KEY = ("kind", "channel", "recipient", "subject_key", "period")


# Alert outbox: every alert decided on, claimed by its unique key before it is sent, with its delivery state
# ("pending" → "sending" → "sent", or "failed" with the error and when to try again).
class OutboxEntry(SQLModel, table=True):
    __tablename__ = "alert_outbox"
    __table_args__ = (UniqueConstraint(*OUTBOX_KEY, name="uq_alert_outbox_key"),)
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20)
    channel: str = Field(max_length=10)  # "email" | "webhook"
    recipient: str = Field(max_length=254)
    subject_key: str = Field(max_length=200)
    period: str = Field(max_length=40)
    subject: str = Field(sa_column=Column(Text, nullable=False))
    body: str = Field(sa_column=Column(Text, nullable=False))
    attachment: str | None = Field(default=None, sa_column=Column(Text, nullable=True))  # the report's HTML
    status: str = Field(default="pending", max_length=10, index=True)
    attempts: int = 0
    last_error: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    next_attempt_at: NaiveDatetime = Field(default_factory=utcnow)
    created_at: NaiveDatetime = Field(default_factory=utcnow)
    sent_at: NaiveDatetime | None = None
