"""Tables of the subscriptions module (internal): subscribers, what they follow, and
the events they may hear of, each numbered by the audit event it came from."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participatie.db import Base, IdMixin


class SubscriberRow(IdMixin, Base):
    """One confirmed address. Deleted (with its follows) when it unsubscribes."""

    __tablename__ = "participatie_subscriber"

    address: Mapped[str] = mapped_column(String(254))
    #: Keyed hash of the mailbox key: one subscriber per mailbox.
    mailbox_hash: Mapped[str] = mapped_column(String(64), unique=True)
    frequency: Mapped[str] = mapped_column(String(8), index=True)
    locale: Mapped[str] = mapped_column(String(8))
    confirmed_at: Mapped[datetime]
    #: High-water mark: the last event (audit sequence number) a digest carried.
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)

    follows: Mapped[list[FollowRow]] = relationship(
        cascade="all, delete-orphan", lazy="select", order_by="FollowRow.created_at"
    )


class FollowRow(IdMixin, Base):
    """A wijk (``*``: the whole municipality), a dossier or a petition one subscriber
    follows, optionally narrowed to topics."""

    __tablename__ = "participatie_subscription_follow"
    __table_args__ = (
        UniqueConstraint("subscriber_id", "kind", "target"),
        Index(None, "kind", "target"),
    )

    subscriber_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("participatie_subscriber.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(String(64))
    #: Comma-separated topics; empty: every topic.
    topics: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime]


class EventRow(Base):
    """An event subscribers may hear of; ``seq`` is its audit event's sequence number,
    so events are numbered in commit order and a high-water mark never skips one."""

    __tablename__ = "participatie_subscription_event"
    __table_args__ = (Index(None, "subject_type", "subject_id"),)

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    occurred_at: Mapped[datetime] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(50))
    topic: Mapped[str] = mapped_column(String(16))
    subject_type: Mapped[str] = mapped_column(String(50))
    subject_id: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(255))
    area_codes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    url: Mapped[str] = mapped_column(Text)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Urgent events: when the immediate mails were queued.
    notified_at: Mapped[datetime | None]


class RequestRow(IdMixin, Base):
    """A subscription asked for and not yet confirmed (double opt-in). The retention
    job deletes it some days after it was made, confirmed or not."""

    __tablename__ = "participatie_subscription_request"

    address: Mapped[str] = mapped_column(String(254))
    mailbox_hash: Mapped[str] = mapped_column(String(64), index=True)
    #: ``{"areas": [...], "topics": [...], "dossier": id, "petition": id}``
    choices: Mapped[dict[str, Any]] = mapped_column(JSON)
    frequency: Mapped[str] = mapped_column(String(8))
    locale: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(index=True)
    confirmed_at: Mapped[datetime | None]
    subscriber_id: Mapped[uuid.UUID | None] = mapped_column(Uuid())
