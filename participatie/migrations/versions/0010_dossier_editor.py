"""dossiers: publishing, reaction form switch, meeting reports, also-affected wijken,
stored documents, a delayed phase's expected date, deadline kinds per target

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 13:10:00

Columns are only added and dropped, never altered: on SQLite a changed column means
copying the table, and dropping the dossier table would delete its rounds, reactions and
answers through their ON DELETE CASCADE (foreign keys are on). SQLite drops a column in
place (ALTER TABLE ... DROP COLUMN, SQLite 3.35 and later).
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


def _drop(table: str, column: str) -> None:
    if op.get_bind().dialect.name == 'sqlite':
        op.execute(f'ALTER TABLE {table} DROP COLUMN {column}')
    else:
        op.drop_column(table, column)


def upgrade() -> None:
    # Dossiers made before this revision were visible to residents: they stay so.
    op.add_column(DOSSIER, sa.Column('published', sa.Boolean(), server_default=sa.true(), nullable=False))
    op.add_column(DOSSIER, sa.Column('reaction_form', sa.Boolean(), server_default=sa.true(), nullable=False))
    op.add_column(DOSSIER, sa.Column('meeting_reports', sa.Text().with_variant(mysql.MEDIUMTEXT(), 'mariadb').with_variant(mysql.MEDIUMTEXT(), 'mysql'), nullable=True))
    op.add_column(DOSSIER, sa.Column('acknowledgement_day_count', sa.String(length=16), server_default='calendar', nullable=False))
    op.add_column(DOSSIER, sa.Column('answer_day_count', sa.String(length=16), server_default='calendar', nullable=False))
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
    _drop(DOSSIER, 'day_count')

    op.add_column('participatie_reactions_dossier_area', sa.Column('kind', sa.String(length=8), server_default='main', nullable=False))

    op.add_column('participatie_reactions_document', sa.Column('storage_key', sa.String(length=255), nullable=True))
    op.add_column('participatie_reactions_document', sa.Column('filename', sa.String(length=255), nullable=True))
    op.add_column('participatie_reactions_document', sa.Column('content_type', sa.String(length=100), nullable=True))
    op.add_column('participatie_reactions_document', sa.Column('size', sa.BigInteger(), nullable=True))
    op.add_column('participatie_reactions_document', sa.Column('sha256', sa.String(length=64), nullable=True))

    op.add_column('participatie_reactions_phase', sa.Column('expected_date', sa.Date(), nullable=True))


def downgrade() -> None:
    _drop('participatie_reactions_phase', 'expected_date')
    for column in ('sha256', 'size', 'content_type', 'filename', 'storage_key'):
        _drop('participatie_reactions_document', column)
    _drop('participatie_reactions_dossier_area', 'kind')

    op.add_column(DOSSIER, sa.Column('day_count', sa.String(length=16), server_default='calendar', nullable=False))
    dossier = sa.table(
        DOSSIER, sa.column('day_count', sa.String), sa.column('answer_day_count', sa.String)
    )
    # "weeks" did not exist before: six weeks are 42 calendar days, counted the same way.
    op.execute(
        dossier.update().values(
            day_count=sa.case((dossier.c.answer_day_count == 'working', 'working'), else_='calendar')
        )
    )
    for column in (
        'answer_day_count',
        'acknowledgement_day_count',
        'meeting_reports',
        'reaction_form',
        'published',
    ):
        _drop(DOSSIER, column)
