"""Outbox table: one row per message, written in the transaction that caused it."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from participatie.db import Base, IdMixin, LongText

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"


class OutboxMessageRow(IdMixin, Base):
    __tablename__ = "participatie_outbox_message"
    __table_args__ = (Index(None, "status", "next_attempt_at"),)

    created_at: Mapped[datetime]
    template: Mapped[str] = mapped_column(String(100))
    locale: Mapped[str] = mapped_column(String(8))
    to_address: Mapped[str] = mapped_column(String(320), index=True)
    subject: Mapped[str] = mapped_column(String(998))
    text_body: Mapped[str] = mapped_column(LongText)
    html_body: Mapped[str | None] = mapped_column(LongText)
    #: JSON object of extra headers (List-Unsubscribe, ...).
    headers: Mapped[str] = mapped_column(Text, default="{}")
    #: Makes "never twice" a database rule: one message per key.
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    #: What caused it, for look-ups and erasure (e.g. "petition_signature").
    subject_type: Mapped[str | None] = mapped_column(String(50))
    subject_id: Mapped[str | None] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: Attempts whose outcome the deliverer could not know (connection broke after DATA).
    unknown_outcomes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime]
    claimed_until: Mapped[datetime | None]
    claim_token: Mapped[uuid.UUID | None] = mapped_column(Uuid())
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
