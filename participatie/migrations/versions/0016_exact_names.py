"""MariaDB: poll option names and answer template names compared character for
character (``utf8mb4_bin``), as PostgreSQL and SQLite compare them; see
``db.exact_string``. Nothing changes on the other databases.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 12:00:00.000000
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql


revision: str = '0016'
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: (table, column, length): text a unique index holds per poll or dossier.
_COLUMNS = (
    ('participatie_polls_option', 'name', 200),
    ('participatie_reactions_answer_template', 'name', 100),
)


def _alter(collation: str | None) -> None:
    if op.get_bind().dialect.name not in ('mysql', 'mariadb'):
        return
    for table, column, length in _COLUMNS:
        op.alter_column(
            table,
            column,
            existing_type=sa.String(length),
            type_=mysql.VARCHAR(length, charset='utf8mb4', collation=collation),
            existing_nullable=False,
        )


def upgrade() -> None:
    _alter('utf8mb4_bin')


def downgrade() -> None:
    # Back to the table's default collation (two names alike to it must not both exist).
    _alter(None)
