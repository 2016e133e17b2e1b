"""polls: ``mixed`` on ballots and credentials, so voting rows are rewritten in mixes while
the poll runs and closing rewrites only the rest

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 08:00:00.000000
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0015'
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLES = {
    'participatie_polls_ballot': 'ix_participatie_polls_ballot_mix',
    'participatie_polls_credential': 'ix_participatie_polls_credential_mix',
}


def upgrade() -> None:
    for table, index in _TABLES.items():
        op.add_column(
            table, sa.Column('mixed', sa.Boolean(), nullable=False, server_default=sa.false())
        )
        op.create_index(index, table, ['poll_id', 'mixed'], unique=False)
    # Ended polls were rewritten at closing; unused credentials carry no vote. The rest
    # (the votes of open polls) waits for the next mix, as a new vote would.
    poll = sa.table('participatie_polls_poll', sa.column('id', sa.Uuid()), sa.column('state', sa.String(12)))
    ended = sa.select(poll.c.id).where(poll.c.state.in_(('closed', 'published', 'cancelled')))
    for table in _TABLES:
        rows = sa.table(
            table,
            sa.column('poll_id', sa.Uuid()),
            sa.column('mixed', sa.Boolean()),
            *([sa.column('uses', sa.Integer())] if table.endswith('credential') else []),
        )
        where: sa.ColumnElement[bool] = rows.c.poll_id.in_(ended)
        if table.endswith('credential'):
            where = sa.or_(where, rows.c.uses == 0)
        op.execute(rows.update().where(where).values(mixed=True))


def downgrade() -> None:
    for table, index in _TABLES.items():
        op.drop_index(index, table_name=table)
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column('mixed')
