"""Release 1 tables: the schema as it was before migrations (created by SQLModel's create_all).

Revision ID: 0001
Revises: (none: the first revision)
Create Date: 2026-12-02 06:04:37.485662
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create release 1's tables and indexes."""
    op.create_table(
        "app_user",
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("rep", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("email"),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("entity", sa.String(), nullable=False),
        sa.Column("entity_id", sa.String(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_at"), ["at"], unique=False)

    op.create_table(
        "decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("owner", sa.String(length=120), nullable=False),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("metric", sa.String(length=40), nullable=True),
        sa.Column("target", sa.Float(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("closed_by", sa.String(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("row_version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("decision", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_decision_month"), ["month"], unique=False)

    op.create_table(
        "feedback",
        sa.Column("lead_id", sa.String(length=64), nullable=False),
        sa.Column("decision", sa.String(), nullable=False),
        sa.Column("reason", sa.String(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("by", sa.String(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_feedback_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_feedback_lead_id"), ["lead_id"], unique=False)

    op.create_table(
        "lead",
        sa.Column("lead_id", sa.String(length=64), nullable=False),
        sa.Column("first_name", sa.String(), nullable=False),
        sa.Column("last_name", sa.String(), nullable=False),
        sa.Column("company", sa.String(), nullable=False),
        sa.Column("email", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("campaign", sa.String(), nullable=False),
        sa.Column("persona", sa.String(), nullable=False),
        sa.Column("industry", sa.String(), nullable=False),
        sa.Column("country", sa.String(), nullable=False),
        sa.Column("company_size", sa.Integer(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("demo_request", sa.Boolean(), nullable=False),
        sa.Column("page_views", sa.Integer(), nullable=False),
        sa.Column("form_submissions", sa.Integer(), nullable=False),
        sa.Column("owner", sa.String(), nullable=True),
        sa.Column("mql_at", sa.DateTime(), nullable=True),
        sa.Column("accepted_at", sa.DateTime(), nullable=True),
        sa.Column("rejected_at", sa.DateTime(), nullable=True),
        sa.Column("rejection_reason", sa.String(), nullable=True),
        sa.Column("recycled_at", sa.DateTime(), nullable=True),
        sa.Column("disqualified_at", sa.DateTime(), nullable=True),
        sa.Column("sql_at", sa.DateTime(), nullable=True),
        sa.Column("opportunity_at", sa.DateTime(), nullable=True),
        sa.Column("won_at", sa.DateTime(), nullable=True),
        sa.Column("lost_at", sa.DateTime(), nullable=True),
        sa.Column("amount", sa.Float(), nullable=True),
        sa.Column("row_version", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("lead_id"),
    )
    with op.batch_alter_table("lead", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lead_channel"), ["channel"], unique=False)
        batch_op.create_index(batch_op.f("ix_lead_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_lead_mql_at"), ["mql_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_lead_owner"), ["owner"], unique=False)

    op.create_table(
        "meta",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "proposal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("candidate", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("proposed_by", sa.String(), nullable=False),
        sa.Column("proposed_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("decided_by", sa.String(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("row_version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "saved_mapping",
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("saved_by", sa.String(), nullable=False),
        sa.Column("saved_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "sla_version",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("author", sa.String(), nullable=False),
        sa.Column("change_note", sa.Text(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("sla_version", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sla_version_effective_from"), ["effective_from"], unique=False)
        batch_op.create_index(batch_op.f("ix_sla_version_version"), ["version"], unique=True)

    op.create_table(
        "touch",
        sa.Column("lead_id", sa.String(length=64), nullable=False),
        sa.Column("rep", sa.String(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("outcome", sa.String(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("touch", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_touch_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_touch_lead_id"), ["lead_id"], unique=False)


def downgrade() -> None:
    """Drop every table (an empty database)."""
    with op.batch_alter_table("touch", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_touch_lead_id"))
        batch_op.drop_index(batch_op.f("ix_touch_at"))

    op.drop_table("touch")
    with op.batch_alter_table("sla_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sla_version_version"))
        batch_op.drop_index(batch_op.f("ix_sla_version_effective_from"))

    op.drop_table("sla_version")
    op.drop_table("saved_mapping")
    op.drop_table("proposal")
    op.drop_table("meta")
    with op.batch_alter_table("lead", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lead_owner"))
        batch_op.drop_index(batch_op.f("ix_lead_mql_at"))
        batch_op.drop_index(batch_op.f("ix_lead_created_at"))
        batch_op.drop_index(batch_op.f("ix_lead_channel"))

    op.drop_table("lead")
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_lead_id"))
        batch_op.drop_index(batch_op.f("ix_feedback_at"))

    op.drop_table("feedback")
    with op.batch_alter_table("decision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_decision_month"))

    op.drop_table("decision")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_at"))

    op.drop_table("audit_log")
    op.drop_table("app_user")
