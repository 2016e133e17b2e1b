"""Due work of the subscriptions module: the digests, urgent mails, the "round closes
soon" events, and the retention rules (``retention.py``)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from participatie.subscriptions import delivery, retention

if TYPE_CHECKING:
    from participatie.engine import Participatie


def register(p: Participatie) -> None:
    p.jobs.register_stepped(
        "subscriptions.digest",
        digest,
        every=timedelta(hours=1),
        description="queue the daily and weekly digests that are due",
    )
    p.jobs.register(
        "subscriptions.urgent",
        urgent,
        every=timedelta(minutes=5),
        description="mail urgent events (a reaction round closing soon) at once",
    )
    p.jobs.register(
        "subscriptions.closing_rounds",
        closing_rounds,
        every=timedelta(hours=1),
        description="record reaction rounds that close within the next days",
    )
    retention.register(p)


def digest(p: Participatie, now: datetime) -> int:
    """Stepped: a page of subscribers per transaction (``delivery.send_digests``)."""

    queued = 0
    for frequency in ("daily", "weekly"):
        name = delivery.period(p, frequency, now)
        if name is not None:
            queued += delivery.send_digests(p, None, frequency, name, now).queued
    return queued


def urgent(p: Participatie, session: Session, now: datetime) -> int:
    return delivery.send_urgent(p, session, now)


def closing_rounds(p: Participatie, session: Session, now: datetime) -> int:
    return delivery.closing_rounds(p, session, now)
