"""Retention of the subscriptions module: requests (confirmed or not) and old events
are deleted; an unsubscribed address is erased at once (service), leaving only the
send caps' keyed hash for their ``keep`` period."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from participatie.subscriptions.models import EventRow, RequestRow

if TYPE_CHECKING:
    from participatie.engine import Participatie

REQUEST = "subscription_request"


def register(p: Participatie) -> None:
    p.jobs.register(
        "subscriptions.retention",
        purge,
        every=timedelta(days=1),
        description="delete subscription requests and events past their retention",
    )


def purge(p: Participatie, session: Session, now: datetime) -> int:
    settings = p.settings.subscriptions
    cutoff = now - settings.keep_requests
    old = list(
        session.execute(select(RequestRow.id).where(RequestRow.created_at < cutoff)).scalars()
    )
    p.outbox.erase(session, subject_type=REQUEST, subject_ids=old)
    removed = 0
    for start in range(0, len(old), 500):
        chunk = old[start : start + 500]
        result = session.execute(delete(RequestRow).where(RequestRow.id.in_(chunk)))
        removed += int(result.rowcount or 0)  # type: ignore[attr-defined]
    session.execute(delete(EventRow).where(EventRow.occurred_at < now - settings.keep_events))
    return removed
