"""petitions: the public list of names counted in the tally, and an index to page it

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 17:00:00.000000
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0014'
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        'ix_participatie_petition_signature_named',
        'participatie_petition_signature',
        ['petition_id', 'status', 'show_name', 'confirmed_at', 'id'],
        unique=False,
    )
    # Existing verified signers who show their name are counted once, into shard 0
    # (what tally.rebuild does).
    sig = sa.table(
        'participatie_petition_signature',
        sa.column('petition_id', sa.Uuid()),
        sa.column('status', sa.String(16)),
        sa.column('show_name', sa.Boolean()),
        sa.column('name', sa.String(200)),
    )
    tally = sa.table(
        'participatie_petition_tally',
        sa.column('petition_id', sa.Uuid()),
        sa.column('kind', sa.String(8)),
        sa.column('label', sa.String(50)),
        sa.column('shard', sa.Integer()),
        sa.column('n', sa.Integer()),
    )
    named = (
        sa.select(
            sig.c.petition_id,
            sa.literal_column("'named'", sa.String(8)),
            sa.literal_column("''", sa.String(50)),
            sa.literal_column('0'),
            sa.func.count(),
        )
        .where(sig.c.status == 'verified', sig.c.show_name.is_(True), sig.c.name.is_not(None))
        .group_by(sig.c.petition_id)
    )
    op.execute(tally.insert().from_select(['petition_id', 'kind', 'label', 'shard', 'n'], named))


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM participatie_petition_tally WHERE kind = 'named'"))
    op.drop_index('ix_participatie_petition_signature_named', table_name='participatie_petition_signature')
