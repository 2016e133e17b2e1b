"""mailbox keys: one mailbox signs a petition once, and is one co-initiator

Revision ID: 0006
Revises: 0004
Create Date: 2026-11-30 10:20:00

Signatures and co-initiators get ``mailbox_hash`` (keyed hash of identity.mailbox_key)
with a unique constraint per petition. Existing rows keep NULL there: the hash needs the
deployment's key, which a migration does not have; NULLs never clash, and those rows
stay unique on ``email_hash`` as before.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('participatie_petition_coinitiator', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mailbox_hash', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f('uq_participatie_petition_coinitiator_petition_id_mailbox_hash'),
            ['petition_id', 'mailbox_hash'],
        )
    with op.batch_alter_table('participatie_petition_signature', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mailbox_hash', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f('uq_participatie_petition_signature_petition_id_mailbox_hash'),
            ['petition_id', 'mailbox_hash'],
        )


def downgrade() -> None:
    with op.batch_alter_table('participatie_petition_signature', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('uq_participatie_petition_signature_petition_id_mailbox_hash'),
            type_='unique',
        )
        batch_op.drop_column('mailbox_hash')
    with op.batch_alter_table('participatie_petition_coinitiator', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('uq_participatie_petition_coinitiator_petition_id_mailbox_hash'),
            type_='unique',
        )
        batch_op.drop_column('mailbox_hash')
