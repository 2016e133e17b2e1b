"""Errors of the subscriptions module, each with a stable code under ``subscription.``."""

from __future__ import annotations

from participatie.errors import InvalidInput, NotFound


class UnknownArea(InvalidInput):
    """A wijk code that is not one of the municipality's wijken."""

    code = "subscription.area"


class UnknownTopic(InvalidInput):
    """A topic other than petitions, polls, dossiers or decisions."""

    code = "subscription.topic"


class UnknownSubject(InvalidInput):
    """A dossier or petition to follow that does not exist (or is not public)."""

    code = "subscription.subject"


class NothingToFollow(InvalidInput):
    """A subscription without any wijk, dossier or petition."""

    code = "subscription.empty"


class SubscriptionNotFound(NotFound):
    """The link's subscription is gone (unsubscribed, erased)."""

    code = "subscription.not_found"


__all__ = [
    "NothingToFollow",
    "SubscriptionNotFound",
    "UnknownArea",
    "UnknownSubject",
    "UnknownTopic",
]
