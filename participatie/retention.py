"""Retention rules shared by every module: how long the outbox keeps what it sent, and
what the permanent audit log keeps of a free-text note (its digest).

Each module's own rules live in its ``retention.py``; this room holds what they share.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import and_, case, or_, update
from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from participatie.engine import Participatie

#: What an erased message's address reads (petitions use it; the outbox uses "").
ERASED_ADDRESSES = ("", "erased@invalid")
#: ``last_error`` values the library writes itself; they hold no address.
OWN_ERRORS = ("erased", "expired")
#: What an erased outbox message keeps of its address, subject, bodies and headers.
BLANKED: dict[str, Any] = {
    "to_address": "",
    "subject": "",
    "text_body": "",
    "html_body": None,
    "headers": "{}",
}


class RetentionSettings(BaseModel):
    """Retention of data no single module owns: ``Settings.retention``."""

    model_config = ConfigDict(frozen=True)

    #: Outbox messages (sent, failed or never delivered) keep their recipient, subject and
    #: body this long after they were queued; then they are blanked. The row stays (the
    #: template, the times and the "never twice" key), without personal data.
    outbox_messages: timedelta = timedelta(days=90)


def text_digest(text: str | None) -> str | None:
    """What the append-only audit log keeps of a free-text note that may name people:
    its SHA-256, so the note in the row (erased in time) can still be proved unaltered."""

    return hashlib.sha256(text.encode()).hexdigest() if text else None


def register(p: Participatie) -> None:
    p.jobs.register(
        "outbox.expire",
        expire_messages,
        every=timedelta(hours=6),
        description="blank recipients and bodies of outbox messages past their retention",
    )


def expire_messages(p: Participatie, session: Session, now: datetime) -> int:
    """Blank every message queued before the retention cut-off; undelivered ones expire."""

    # Imported here: the settings import this module before the outbox exists.
    from participatie.outbox.models import FAILED, PENDING, SENDING
    from participatie.outbox.models import OutboxMessageRow as Row

    cutoff = now - p.settings.retention.outbox_messages
    # A message nobody delivered in all that time is not sent any more.
    session.execute(
        update(Row)
        .where(
            Row.created_at < cutoff,
            or_(
                Row.status == PENDING,
                and_(
                    Row.status == SENDING, or_(Row.claimed_until.is_(None), Row.claimed_until < now)
                ),
            ),
        )
        .values(status=FAILED, last_error="expired", claim_token=None, claimed_until=None)
        .execution_options(synchronize_session=False)
    )
    result = session.execute(
        update(Row)
        .where(
            Row.created_at < cutoff,
            Row.status != SENDING,
            or_(
                Row.to_address.not_in(ERASED_ADDRESSES),
                and_(Row.last_error.is_not(None), Row.last_error.not_in(OWN_ERRORS)),
            ),
        )
        .values(
            **BLANKED,
            # A server's refusal often quotes the address; the library's own markers
            # ("erased", "expired") hold none and keep saying why the message is dead.
            last_error=case((Row.last_error.in_(OWN_ERRORS), Row.last_error), else_=None),
        )
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


__all__ = [
    "BLANKED",
    "ERASED_ADDRESSES",
    "OWN_ERRORS",
    "RetentionSettings",
    "expire_messages",
    "register",
    "text_digest",
]
