"""web edge: send caps (mails a requester can make the library send, per address and network)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 10:20:00.000000
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import participatie.db

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('participatie_send_cap',
    sa.Column('scope', sa.String(length=16), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('window_start', participatie.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent', sa.Integer(), nullable=False),
    sa.Column('suppressed', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('scope', 'key_hash', 'window_start', name=op.f('pk_participatie_send_cap'))
    )
    with op.batch_alter_table('participatie_send_cap', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_participatie_send_cap_window_start'), ['window_start'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('participatie_send_cap', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_participatie_send_cap_window_start'))

    op.drop_table('participatie_send_cap')
