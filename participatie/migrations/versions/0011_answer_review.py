"""reactions: answers offered for review and approved by another person (four eyes)

Revision ID: 0011
Revises: 0009
Create Date: 2026-11-30 13:05:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import participatie.db


revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("participatie_reactions_answer", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ready_by", sa.String(length=255), nullable=True))
        batch_op.add_column(
            sa.Column("ready_at", participatie.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("approved_by", sa.String(length=255), nullable=True))
        batch_op.add_column(
            sa.Column("approved_at", participatie.db.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("participatie_reactions_answer", schema=None) as batch_op:
        batch_op.drop_column("approved_at")
        batch_op.drop_column("approved_by")
        batch_op.drop_column("ready_at")
        batch_op.drop_column("ready_by")
