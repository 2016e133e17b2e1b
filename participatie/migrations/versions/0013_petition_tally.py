"""petitions: signatures counted by state, wijk and day (the tally), filled from the rows

Revision ID: 0013
Revises: 0009
Create Date: 2026-11-30 13:30:00.000000
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0013'
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('participatie_petition_tally',
    sa.Column('petition_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('label', sa.String(length=50), nullable=False),
    sa.Column('shard', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('petition_id', 'kind', 'label', 'shard', name=op.f('pk_participatie_petition_tally'))
    )
    # Existing signatures are counted once, into shard 0 (what tally.rebuild does).
    sig = sa.table(
        'participatie_petition_signature',
        sa.column('petition_id', sa.Uuid()),
        sa.column('status', sa.String(16)),
        sa.column('area_code', sa.String(50)),
        sa.column('confirmed_day', sa.Date()),
    )
    tally = sa.table(
        'participatie_petition_tally',
        sa.column('petition_id', sa.Uuid()),
        sa.column('kind', sa.String(8)),
        sa.column('label', sa.String(50)),
        sa.column('shard', sa.Integer()),
        sa.column('n', sa.Integer()),
    )
    verified = sig.c.status == 'verified'

    def kind(name: str) -> sa.ColumnElement[str]:
        return sa.literal_column(f"'{name}'", sa.String(8))

    groups = [
        sa.select(sig.c.petition_id, kind('state'), sig.c.status, sa.literal_column('0'), sa.func.count())
        .group_by(sig.c.petition_id, sig.c.status),
        sa.select(sig.c.petition_id, kind('area'), sa.func.coalesce(sig.c.area_code, ''), sa.literal_column('0'), sa.func.count())
        .where(verified)
        .group_by(sig.c.petition_id, sig.c.area_code),
        sa.select(sig.c.petition_id, kind('day'), sa.cast(sig.c.confirmed_day, sa.String(50)), sa.literal_column('0'), sa.func.count())
        .where(verified, sig.c.confirmed_day.is_not(None))
        .group_by(sig.c.petition_id, sig.c.confirmed_day),
    ]
    for group in groups:
        op.execute(tally.insert().from_select(['petition_id', 'kind', 'label', 'shard', 'n'], group))


def downgrade() -> None:
    op.drop_table('participatie_petition_tally')
