"""subscriptions: subscribers, follows, requests, events

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 11:24:42.815443
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import participatie.db


revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('participatie_subscriber',
    sa.Column('address', sa.String(length=254), nullable=False),
    sa.Column('mailbox_hash', sa.String(length=64), nullable=False),
    sa.Column('frequency', sa.String(length=8), nullable=False),
    sa.Column('locale', sa.String(length=8), nullable=False),
    sa.Column('confirmed_at', participatie.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seq', sa.BigInteger(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_participatie_subscriber')),
    sa.UniqueConstraint('mailbox_hash', name=op.f('uq_participatie_subscriber_mailbox_hash'))
    )
    with op.batch_alter_table('participatie_subscriber', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_participatie_subscriber_frequency'), ['frequency'], unique=False)

    op.create_table('participatie_subscription_event',
    sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('occurred_at', participatie.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=50), nullable=False),
    sa.Column('topic', sa.String(length=16), nullable=False),
    sa.Column('subject_type', sa.String(length=50), nullable=False),
    sa.Column('subject_id', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('area_codes', sa.JSON(), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('urgent', sa.Boolean(), nullable=False),
    sa.Column('notified_at', participatie.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_participatie_subscription_event'))
    )
    with op.batch_alter_table('participatie_subscription_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_participatie_subscription_event_occurred_at'), ['occurred_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_participatie_subscription_event_subject_type_subject_id'), ['subject_type', 'subject_id'], unique=False)

    op.create_table('participatie_subscription_request',
    sa.Column('address', sa.String(length=254), nullable=False),
    sa.Column('mailbox_hash', sa.String(length=64), nullable=False),
    sa.Column('choices', sa.JSON(), nullable=False),
    sa.Column('frequency', sa.String(length=8), nullable=False),
    sa.Column('locale', sa.String(length=8), nullable=False),
    sa.Column('created_at', participatie.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('confirmed_at', participatie.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('subscriber_id', sa.Uuid(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_participatie_subscription_request'))
    )
    with op.batch_alter_table('participatie_subscription_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_participatie_subscription_request_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_participatie_subscription_request_mailbox_hash'), ['mailbox_hash'], unique=False)

    op.create_table('participatie_subscription_follow',
    sa.Column('subscriber_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('target', sa.String(length=64), nullable=False),
    sa.Column('topics', sa.String(length=100), nullable=False),
    sa.Column('created_at', participatie.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['subscriber_id'], ['participatie_subscriber.id'], name=op.f('fk_participatie_subscription_follow_subscriber_id_participatie_subscriber'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_participatie_subscription_follow')),
    sa.UniqueConstraint('subscriber_id', 'kind', 'target', name=op.f('uq_participatie_subscription_follow_subscriber_id_kind_target'))
    )
    with op.batch_alter_table('participatie_subscription_follow', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_participatie_subscription_follow_kind_target'), ['kind', 'target'], unique=False)



def downgrade() -> None:
    op.drop_table('participatie_subscription_follow')
    op.drop_table('participatie_subscription_request')
    op.drop_table('participatie_subscription_event')
    op.drop_table('participatie_subscriber')
