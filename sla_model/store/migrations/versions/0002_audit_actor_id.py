"""The audit log names each actor by a stable identity as well as by the name shown.

Ownership checks (undo only your own action) compare ``actor_id``; display names can repeat. Entries written before
this revision keep ``actor_id`` empty: nobody can undo them, which is safe (an undo is for the action just taken).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 06:05:03.600519
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ``audit_log.actor_id`` (nullable, indexed)."""
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("actor_id", sa.String(length=254), nullable=True))
        batch_op.create_index(batch_op.f("ix_audit_log_actor_id"), ["actor_id"], unique=False)


def downgrade() -> None:
    """Drop ``audit_log.actor_id``."""
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_actor_id"))
        batch_op.drop_column("actor_id")
