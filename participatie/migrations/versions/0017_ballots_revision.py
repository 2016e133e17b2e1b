"""polls: the end of voting in steps. ``ballots_revision``, counted up whenever a ballot
changes after voting ended (paper typed in after closing), so the ballots file's SHA-256
can be computed outside the write transaction and stored only if no ballot changed
meanwhile; ``steps_pending``, set while closing, cancelling or publishing has steps to go;
``mix_pending``, a mix whose credentials are still to be rewritten

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 14:00:00.000000
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql


revision: str = '0017'
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        'participatie_polls_poll',
        sa.Column('ballots_revision', sa.Integer(), nullable=False, server_default='0'),
    )
    op.add_column(
        'participatie_polls_poll',
        sa.Column('steps_pending', sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column(
        'participatie_polls_poll',
        sa.Column('mix_pending', sa.Text().with_variant(mysql.MEDIUMTEXT(), 'mysql', 'mariadb'), nullable=True),
    )


def downgrade() -> None:
    for column in ('mix_pending', 'steps_pending', 'ballots_revision'):
        op.drop_column('participatie_polls_poll', column)
