"""A partial index of the open MQLs, so My leads reads its queue without scanning every lead.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 07:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

#: As written when this revision was made (``sla_model.store.models.OPEN_MQL``); a revision never changes.
OPEN_MQL = (
    "mql_at IS NOT NULL AND accepted_at IS NULL AND rejected_at IS NULL AND recycled_at IS NULL AND "
    "disqualified_at IS NULL AND sql_at IS NULL AND opportunity_at IS NULL AND won_at IS NULL AND lost_at IS NULL"
)


def upgrade() -> None:
    """Create ``ix_lead_open`` on ``lead (mql_at)`` where the lead is an open MQL."""
    op.create_index(
        "ix_lead_open", "lead", ["mql_at"], sqlite_where=sa.text(OPEN_MQL), postgresql_where=sa.text(OPEN_MQL)
    )


def downgrade() -> None:
    """Drop ``ix_lead_open``."""
    op.drop_index("ix_lead_open", table_name="lead")
