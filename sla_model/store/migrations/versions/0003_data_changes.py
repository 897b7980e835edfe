"""Which leads each small write changed, by data version: loaded data sets catch up with those leads alone.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 06:48:00.654892
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``data_change`` (version, lead_id), indexed by version."""
    op.create_table(
        "data_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("data_change", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_data_change_version"), ["version"], unique=False)


def downgrade() -> None:
    """Drop ``data_change``."""
    with op.batch_alter_table("data_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_data_change_version"))

    op.drop_table("data_change")
