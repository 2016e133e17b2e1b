"""dossiers: publishing, reaction form switch, meeting reports, also-affected wijken,
stored documents, a delayed phase's expected date, deadline kinds per target

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 13:10:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DOSSIER = 'participatie_reactions_dossier'


def upgrade() -> None:
    with op.batch_alter_table(DOSSIER, schema=None) as batch_op:
        # Dossiers made before this revision were visible to residents: they stay so.
        batch_op.add_column(sa.Column('published', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column('reaction_form', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column('meeting_reports', sa.Text().with_variant(mysql.MEDIUMTEXT(), 'mariadb').with_variant(mysql.MEDIUMTEXT(), 'mysql'), nullable=True))
        batch_op.add_column(sa.Column('acknowledgement_day_count', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('answer_day_count', sa.String(length=16), nullable=True))
    # One way of counting served both targets: each target keeps it.
    dossier = sa.table(
        DOSSIER,
        sa.column('day_count', sa.String),
        sa.column('acknowledgement_day_count', sa.String),
        sa.column('answer_day_count', sa.String),
    )
    op.execute(
        dossier.update().values(
            acknowledgement_day_count=dossier.c.day_count, answer_day_count=dossier.c.day_count
        )
    )
    with op.batch_alter_table(DOSSIER, schema=None) as batch_op:
        batch_op.alter_column('acknowledgement_day_count', existing_type=sa.String(length=16), nullable=False)
        batch_op.alter_column('answer_day_count', existing_type=sa.String(length=16), nullable=False)
        batch_op.drop_column('day_count')

    with op.batch_alter_table('participatie_reactions_dossier_area', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=8), server_default='main', nullable=False))

    with op.batch_alter_table('participatie_reactions_document', schema=None) as batch_op:
        batch_op.add_column(sa.Column('storage_key', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('filename', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('content_type', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('size', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('sha256', sa.String(length=64), nullable=True))

    with op.batch_alter_table('participatie_reactions_phase', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expected_date', sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('participatie_reactions_phase', schema=None) as batch_op:
        batch_op.drop_column('expected_date')

    with op.batch_alter_table('participatie_reactions_document', schema=None) as batch_op:
        batch_op.drop_column('sha256')
        batch_op.drop_column('size')
        batch_op.drop_column('content_type')
        batch_op.drop_column('filename')
        batch_op.drop_column('storage_key')

    with op.batch_alter_table('participatie_reactions_dossier_area', schema=None) as batch_op:
        batch_op.drop_column('kind')

    with op.batch_alter_table(DOSSIER, schema=None) as batch_op:
        batch_op.add_column(sa.Column('day_count', sa.String(length=16), nullable=True))
    dossier = sa.table(
        DOSSIER, sa.column('day_count', sa.String), sa.column('answer_day_count', sa.String)
    )
    # "weeks" did not exist before: six weeks are 42 calendar days, counted the same way.
    op.execute(
        dossier.update().values(
            day_count=sa.case((dossier.c.answer_day_count == 'working', 'working'), else_='calendar')
        )
    )
    with op.batch_alter_table(DOSSIER, schema=None) as batch_op:
        batch_op.alter_column('day_count', existing_type=sa.String(length=16), nullable=False)
        batch_op.drop_column('answer_day_count')
        batch_op.drop_column('acknowledgement_day_count')
        batch_op.drop_column('meeting_reports')
        batch_op.drop_column('reaction_form')
        batch_op.drop_column('published')
