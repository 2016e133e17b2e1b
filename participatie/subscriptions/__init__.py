"""Residents following wijken, topics, dossiers and petitions: double opt-in, events
from the audit log, immediate mails and digests, one-click unsubscribe.

The operations are the facade's ``p.subscriptions`` (``service.py``); the public types
and errors are importable from here: ``from participatie.subscriptions import SubscriptionIn``.
"""

from __future__ import annotations

from participatie.subscriptions.errors import (
    NothingToFollow,
    SubscriptionNotFound,
    UnknownArea,
    UnknownSubject,
    UnknownTopic,
)
from participatie.subscriptions.schemas import (
    MUNICIPALITY,
    TOPICS,
    DigestRun,
    Follow,
    Frequency,
    Subscription,
    SubscriptionEvent,
    SubscriptionIn,
    SubscriptionStats,
    Topic,
)
from participatie.subscriptions.settings import (
    SubscriptionSettings,
)

__all__ = [
    "MUNICIPALITY",
    "TOPICS",
    "DigestRun",
    "Follow",
    "Frequency",
    "NothingToFollow",
    "Subscription",
    "SubscriptionEvent",
    "SubscriptionIn",
    "SubscriptionNotFound",
    "SubscriptionSettings",
    "SubscriptionStats",
    "Topic",
    "UnknownArea",
    "UnknownSubject",
    "UnknownTopic",
]
