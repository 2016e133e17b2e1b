"""outbox delivery: count of unknown outcomes per message

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 10:40:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('participatie_outbox_message') as batch_op:
        batch_op.add_column(
            sa.Column('unknown_outcomes', sa.Integer(), server_default='0', nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table('participatie_outbox_message') as batch_op:
        batch_op.drop_column('unknown_outcomes')
