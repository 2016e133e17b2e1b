"""short codes: a code a resident can type from a letter, per page

Revision ID: 0012
Revises: 0009
Create Date: 2026-11-30 14:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import participatie.db


revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('participatie_short_code',
    sa.Column('code', sa.String(length=8), nullable=False),
    sa.Column('link', sa.String(length=40), nullable=False),
    sa.Column('target', sa.String(length=64), nullable=False),
    sa.Column('created_at', participatie.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_participatie_short_code')),
    sa.UniqueConstraint('link', 'target', name=op.f('uq_participatie_short_code_link_target'))
    )


def downgrade() -> None:
    op.drop_table('participatie_short_code')
