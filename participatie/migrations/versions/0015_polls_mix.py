"""polls: ``mix`` on ballots and credentials, so voting rows are rewritten in mixes while
the poll runs and closing rewrites only the rest; ``line`` on ballots, each ballot's line
of the published ballots file, so closing reads the file off them

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 08:00:00.000000
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql


revision: str = '0015'
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLES = {
    'participatie_polls_ballot': ('ix_participatie_polls_ballot_mix', ['poll_id', 'channel', 'mix', 'superseded']),
    'participatie_polls_credential': ('ix_participatie_polls_credential_mix', ['poll_id', 'mix']),
}


def upgrade() -> None:
    for table, (index, columns) in _TABLES.items():
        op.add_column(table, sa.Column('mix', sa.Integer(), nullable=True))
        op.create_index(index, table, columns, unique=False)
    # Published and cancelled polls were rewritten at their end, and unused credentials
    # carry no vote: mix 0. The rest waits for a mix, as a new vote would: the votes of
    # open polls, and of closed ones, whose paper typed in after closing was written in
    # typing order and is rewritten at publication.
    poll = sa.table('participatie_polls_poll', sa.column('id', sa.Uuid()), sa.column('state', sa.String(12)))
    ended = sa.select(poll.c.id).where(poll.c.state.in_(('published', 'cancelled')))
    for table in _TABLES:
        rows = sa.table(
            table,
            sa.column('poll_id', sa.Uuid()),
            sa.column('mix', sa.Integer()),
            *([sa.column('uses', sa.Integer())] if table.endswith('credential') else []),
        )
        where: sa.ColumnElement[bool] = rows.c.poll_id.in_(ended)
        if table.endswith('credential'):
            where = sa.or_(where, rows.c.uses == 0)
        op.execute(rows.update().where(where).values(mix=0))


    _lines()


def _lines() -> None:
    """Every ballot gets its line, as ``polls.ballots.ballot_line`` writes it: compact JSON
    with sorted keys, the marks in ballot order, the points of a cumulative poll by name."""

    with op.batch_alter_table('participatie_polls_ballot') as batch_op:
        batch_op.add_column(sa.Column('line', _LONG_TEXT, nullable=True))
    bind = op.get_bind()
    poll = sa.table('participatie_polls_poll', sa.column('id', sa.Uuid()), sa.column('rule', sa.String(20)))
    option = sa.table(
        'participatie_polls_option',
        sa.column('poll_id', sa.Uuid()),
        sa.column('position', sa.Integer()),
        sa.column('name', sa.String(200)),
    )
    ballot = sa.table(
        'participatie_polls_ballot',
        sa.column('id', sa.Uuid()),
        sa.column('poll_id', sa.Uuid()),
        sa.column('tracker', sa.String(24)),
        sa.column('channel', sa.String(10)),
        sa.column('invalid', sa.Boolean()),
        sa.column('line', sa.Text()),
    )
    choice = sa.table(
        'participatie_polls_ballot_choice',
        sa.column('ballot_id', sa.Uuid()),
        sa.column('poll_id', sa.Uuid()),
        sa.column('option_position', sa.Integer()),
        sa.column('rank', sa.Integer()),
        sa.column('points', sa.Integer()),
    )
    rules = dict(bind.execute(sa.select(poll.c.id, poll.c.rule)).all())
    names: dict[Any, dict[int, str]] = {}
    for poll_id, position, name in bind.execute(sa.select(option.c.poll_id, option.c.position, option.c.name)):
        names.setdefault(poll_id, {})[position] = name
    update = ballot.update().where(ballot.c.id == sa.bindparam('b_id')).values(line=sa.bindparam('b_line'))
    for poll_id, rule in rules.items():
        after = None
        while True:
            query = sa.select(ballot.c.id, ballot.c.tracker, ballot.c.channel, ballot.c.invalid).where(
                ballot.c.poll_id == poll_id
            )
            if after is not None:
                query = query.where(ballot.c.id > after)
            rows = bind.execute(query.order_by(ballot.c.id).limit(2000)).all()
            if not rows:
                break
            after = rows[-1].id
            marks: dict[Any, list[tuple[int, int, int]]] = {}
            for b_id, position, rank, points in bind.execute(
                sa.select(choice.c.ballot_id, choice.c.option_position, choice.c.rank, choice.c.points).where(
                    choice.c.ballot_id.in_([r.id for r in rows])
                )
            ):
                marks.setdefault(b_id, []).append((rank, position, points))
            lines = []
            for r in rows:
                marked = sorted(marks.get(r.id, []))
                data: dict[str, Any] = {
                    'channel': r.channel,
                    'choices': [names[poll_id][pos] for _, pos, _ in marked],
                    'invalid': bool(r.invalid),
                    'tracker': r.tracker,
                }
                if rule == 'cumulative':
                    data['points'] = dict(sorted((names[poll_id][pos], pts) for _, pos, pts in marked))
                line = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(',', ':'))
                lines.append({'b_id': r.id, 'b_line': line})
            bind.execute(update, lines)
    with op.batch_alter_table('participatie_polls_ballot') as batch_op:
        batch_op.alter_column('line', existing_type=_LONG_TEXT, nullable=False)


_LONG_TEXT = sa.Text().with_variant(mysql.MEDIUMTEXT(), 'mariadb').with_variant(mysql.MEDIUMTEXT(), 'mysql')


def downgrade() -> None:
    with op.batch_alter_table('participatie_polls_ballot') as batch_op:
        batch_op.drop_column('line')
    for table, (index, _columns) in _TABLES.items():
        op.drop_index(index, table_name=table)
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column('mix')
