"""Tables of the petitions module (internal: services return pydantic types, never these).

The verified count lives in counter shards, so a thousand confirmations do not queue on one row.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from participatie.db import Base, IdMixin, LongText

# Life cycle of a petition.
DRAFT = "draft"  # waiting for the creator to confirm their address
COINITIATORS = "coinitiators"  # waiting for enough co-initiators
SUBMITTED = "submitted"  # waiting for moderation
REJECTED = "rejected"
OPEN = "open"
CLOSED = "closed"
HANDED_OVER = "handed_over"
ANSWERED = "answered"
WITHDRAWN = "withdrawn"

# States of a signature. Only VERIFIED counts.
PENDING = "pending"
VERIFIED = "verified"
FRAUDULENT = "fraudulent"
INVALIDATED = "invalidated"
SIG_WITHDRAWN = "withdrawn"
SIGNATURE_STATES = (PENDING, VERIFIED, FRAUDULENT, INVALIDATED, SIG_WITHDRAWN)

PETITION_FK = "participatie_petition.id"


class PetitionRow(IdMixin, Base):
    __tablename__ = "participatie_petition"
    __table_args__ = (Index(None, "status", "closes_at"),)

    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(LongText)
    locale: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(20))
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    hidden_reason: Mapped[str | None] = mapped_column(String(500))
    creator_name: Mapped[str] = mapped_column(String(200))
    #: Erased at anonymisation; the hash stays comparable only while the address is there.
    creator_email: Mapped[str | None] = mapped_column(String(320))
    creator_email_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    creator_confirmed_at: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None]
    moderated_at: Mapped[datetime | None]
    moderated_by: Mapped[str | None] = mapped_column(String(255))
    reject_reason: Mapped[str | None] = mapped_column(String(50))
    reject_note: Mapped[str | None] = mapped_column(Text)
    requested_closes_at: Mapped[datetime | None]
    opens_at: Mapped[datetime | None]
    closes_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    thresholds: Mapped[list[Any]] = mapped_column(JSON, default=list)
    #: Highest threshold reached so far (a cheap filter before the milestone table).
    reached_threshold: Mapped[int] = mapped_column(Integer, default=0)
    min_age: Mapped[int | None] = mapped_column(Integer)
    residents_only: Mapped[bool] = mapped_column(Boolean, default=False)
    household_rule: Mapped[bool] = mapped_column(Boolean, default=False)
    handed_over_at: Mapped[datetime | None]
    handed_over_to: Mapped[str | None] = mapped_column(String(255))
    handed_over_note: Mapped[str | None] = mapped_column(Text)
    answer_text: Mapped[str | None] = mapped_column(LongText)
    answer_url: Mapped[str | None] = mapped_column(String(1000))
    answered_at: Mapped[datetime | None]
    withdrawn_at: Mapped[datetime | None]
    anonymised_at: Mapped[datetime | None]


class CoinitiatorRow(IdMixin, Base):
    __tablename__ = "participatie_petition_coinitiator"
    __table_args__ = (
        UniqueConstraint("petition_id", "email_hash"),
        UniqueConstraint("petition_id", "mailbox_hash"),
    )

    petition_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey(
            PETITION_FK, ondelete="CASCADE", name="fk_participatie_petition_coinitiator_petition"
        ),
        index=True,
    )
    name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    email_hash: Mapped[str | None] = mapped_column(String(64))
    #: Keyed hash of the mailbox key (identity.mailbox_key): one mailbox, one co-initiator.
    mailbox_hash: Mapped[str | None] = mapped_column(String(64))
    invited_at: Mapped[datetime]
    confirmed_at: Mapped[datetime | None]


class SignatureRow(IdMixin, Base):
    __tablename__ = "participatie_petition_signature"
    __table_args__ = (
        # The database, not the code, decides that one address signs once, and one
        # mailbox (pieter.dijkstra+x@gmail.com is pieterdijkstra@gmail.com) too.
        UniqueConstraint("petition_id", "email_hash"),
        UniqueConstraint("petition_id", "mailbox_hash"),
        # Named here: the conventional names pass 63 characters and would be truncated
        # differently per dialect.
        Index("ix_participatie_petition_signature_state", "petition_id", "status", "created_at"),
        Index(
            "ix_participatie_petition_signature_subnet", "petition_id", "subnet_hash", "created_at"
        ),
        Index(
            "ix_participatie_petition_signature_domain", "petition_id", "email_domain", "created_at"
        ),
        Index(
            "ix_participatie_petition_signature_address", "petition_id", "postcode", "house_number"
        ),
        Index(None, "email_hash"),
        # The public list of names, newest first, a page at a time.
        Index(
            "ix_participatie_petition_signature_named",
            "petition_id",
            "status",
            "show_name",
            "confirmed_at",
            "id",
        ),
    )

    petition_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey(
            PETITION_FK, ondelete="CASCADE", name="fk_participatie_petition_signature_petition"
        )
    )
    created_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16))
    fraud_reason: Mapped[str | None] = mapped_column(String(50))
    # Personal data: all None after anonymisation or erasure.
    name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    email_hash: Mapped[str | None] = mapped_column(String(64))
    #: Keyed hash of the mailbox key; None on rows from before it existed.
    mailbox_hash: Mapped[str | None] = mapped_column(String(64))
    email_domain: Mapped[str | None] = mapped_column(String(255))
    postcode: Mapped[str | None] = mapped_column(String(7))
    house_number: Mapped[str | None] = mapped_column(String(16))
    ip_hash: Mapped[str | None] = mapped_column(String(64))
    subnet_hash: Mapped[str | None] = mapped_column(String(64))
    # Kept after anonymisation: what the statistics rest on.
    area_id: Mapped[uuid.UUID | None] = mapped_column(Uuid())
    area_code: Mapped[str | None] = mapped_column(String(50))
    show_name: Mapped[bool] = mapped_column(Boolean, default=False)
    notify_answer: Mapped[bool] = mapped_column(Boolean, default=False)
    declared_min_age: Mapped[bool] = mapped_column(Boolean, default=False)
    declared_resident: Mapped[bool] = mapped_column(Boolean, default=False)
    locale: Mapped[str] = mapped_column(String(8))
    resends: Mapped[int] = mapped_column(Integer, default=0)
    reminded_at: Mapped[datetime | None]
    confirmed_at: Mapped[datetime | None]
    #: Local (Europe/Amsterdam) day of confirmation, for counts per day on every dialect.
    confirmed_day: Mapped[date | None] = mapped_column(Date)
    withdrawn_at: Mapped[datetime | None]
    invalidated_at: Mapped[datetime | None]
    invalidated_reason: Mapped[str | None] = mapped_column(String(255))
    anonymised_at: Mapped[datetime | None]


class CounterShardRow(Base):
    """One of N rows per petition; the verified count is their sum."""

    __tablename__ = "participatie_petition_counter"

    petition_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey(
            PETITION_FK, ondelete="CASCADE", name="fk_participatie_petition_counter_petition"
        ),
        primary_key=True,
    )
    shard: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    verified: Mapped[int] = mapped_column(Integer, default=0)


class PaperBatchRow(IdMixin, Base):
    __tablename__ = "participatie_petition_paper_batch"

    petition_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey(
            PETITION_FK, ondelete="CASCADE", name="fk_participatie_petition_paper_batch_petition"
        ),
        index=True,
    )
    area_id: Mapped[uuid.UUID | None] = mapped_column(Uuid())
    area_code: Mapped[str | None] = mapped_column(String(50))
    count: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[datetime]
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(255))


class MilestoneRow(Base):
    __tablename__ = "participatie_petition_milestone"

    petition_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey(
            PETITION_FK, ondelete="CASCADE", name="fk_participatie_petition_milestone_petition"
        ),
        primary_key=True,
    )
    threshold: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    reached_at: Mapped[datetime]
    count: Mapped[int] = mapped_column(Integer)


class TrendRow(IdMixin, Base):
    """A trending event: raised once per petition, kind, key and hour."""

    __tablename__ = "participatie_petition_trend"
    __table_args__ = (UniqueConstraint("petition_id", "kind", "key", "bucket"),)

    petition_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey(PETITION_FK, ondelete="CASCADE", name="fk_participatie_petition_trend_petition")
    )
    kind: Mapped[str] = mapped_column(String(16))
    #: Keyed hash of the IP address, or the mail domain.
    key: Mapped[str] = mapped_column(String(255))
    bucket: Mapped[datetime]
    count: Mapped[int] = mapped_column(Integer)
    raised_at: Mapped[datetime]


class RuleRow(IdMixin, Base):
    """An allow- or block-list entry managed by the desk (on top of the settings)."""

    __tablename__ = "participatie_petition_rule"
    __table_args__ = (UniqueConstraint("kind", "value"),)

    kind: Mapped[str] = mapped_column(String(20))
    #: A domain, a network in CIDR, or the keyed hash of a blocked address.
    value: Mapped[str] = mapped_column(String(255))
    note: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(255))


class TallyRow(Base):
    """Signatures counted by state, by wijk and by day (verified only), in shards.

    Kept in step with the signature rows by the statements that change them
    (``petitions/tally.py``), so pages read these few rows instead of the signatures.
    ``kind`` is ``state``, ``area`` or ``day``; ``label`` the state, the wijk's code
    (empty for none) or the ISO day; ``n`` the shard's part (may be negative).

    No foreign key to the petition (petitions are never deleted): checking one locks the
    petition's row in share mode whenever a count's row is first written, so a desk
    action holding that row (a bulk invalidation) and a confirmation holding its
    signature would each wait for the other.
    """

    __tablename__ = "participatie_petition_tally"

    petition_id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    label: Mapped[str] = mapped_column(String(50), primary_key=True)
    shard: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    n: Mapped[int] = mapped_column(Integer, default=0)
