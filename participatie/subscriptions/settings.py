"""Deployment-wide settings of the subscriptions module: ``Settings.subscriptions``."""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, ConfigDict, Field


class SubscriptionSettings(BaseModel):
    """How long links live, when digests go out and how long events are kept."""

    model_config = ConfigDict(frozen=True)

    #: How long a confirmation link (double opt-in) stays valid. Nothing is stored
    #: before confirming: the choices travel in the signed link.
    confirm_link: timedelta = timedelta(days=7)
    #: How long the unsubscribe and manage link in every mail stays valid.
    manage_link: timedelta = timedelta(days=3650)
    #: Local hour (Europe/Amsterdam) from which the day's digests are sent.
    digest_hour: int = Field(default=7, ge=0, le=23)
    #: ISO weekday (1 = Monday) of the weekly digest.
    weekly_day: int = Field(default=1, ge=1, le=7)
    #: A reaction round closing within this many days is mailed at once.
    closing_soon_days: int = Field(default=3, ge=1, le=30)
    #: Subscription requests (unconfirmed, or confirmed: the subscriber row holds the
    #: choices then) are deleted this long after they were made.
    keep_requests: timedelta = timedelta(days=14)
    #: Events are kept this long for digests, then deleted.
    keep_events: timedelta = timedelta(days=60)
    #: Most follows (wijken, dossiers, petitions) one address may have.
    max_follows: int = Field(default=50, ge=1)


__all__ = [
    "SubscriptionSettings",
]
