"""Public pydantic types of the subscriptions module: what a resident asks for, what
a subscription looks like, and the staff's counts."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Topic = Literal["petitions", "polls", "dossiers", "decisions"]
Frequency = Literal["daily", "weekly"]
TOPICS: tuple[str, ...] = ("petitions", "polls", "dossiers", "decisions")
#: The area code that stands for the whole municipality.
MUNICIPALITY = "*"


class SubscriptionIn(BaseModel):
    """What a resident asks to follow. Empty ``topics``: every topic."""

    model_config = ConfigDict(extra="forbid")

    email: str = Field(max_length=254)
    #: Wijk codes; ``"*"`` for the whole municipality.
    areas: list[str] = Field(default_factory=list, max_length=60)
    topics: list[str] = Field(default_factory=list, max_length=4)
    dossier_id: uuid.UUID | None = None
    petition_id: uuid.UUID | None = None
    frequency: Frequency = "weekly"
    locale: str = "nl"


class Follow(BaseModel):
    kind: Literal["area", "dossier", "petition"]
    #: Wijk code (``"*"``: the whole municipality), dossier or petition id.
    target: str
    topics: list[str]
    since: datetime


class Subscription(BaseModel):
    """A confirmed subscription, as its holder sees it through the manage link."""

    id: uuid.UUID
    email: str
    frequency: Frequency
    locale: str
    confirmed_at: datetime
    follows: list[Follow]


class SubscriptionEvent(BaseModel):
    """Something a subscriber may hear of: made from an audit event."""

    seq: int
    occurred_at: datetime
    kind: str
    topic: str
    subject_type: str
    subject_id: str
    title: str
    area_codes: list[str]
    url: str
    urgent: bool


class DigestRun(BaseModel):
    """What one digest run queued."""

    period: str
    subscribers: int
    queued: int


class StatsRow(BaseModel):
    #: Wijk code, ``"*"`` (whole municipality), ``"dossier"`` or ``"petition"``.
    target: str
    #: Topic, or ``"all"`` for follows without a topic filter.
    topic: str
    subscribers: int


class SubscriptionStats(BaseModel):
    """Counts for staff; no addresses."""

    subscribers: int
    daily: int
    weekly: int
    rows: list[StatsRow]


__all__ = [
    "MUNICIPALITY",
    "TOPICS",
    "DigestRun",
    "Follow",
    "Frequency",
    "Subscription",
    "SubscriptionEvent",
    "SubscriptionIn",
    "SubscriptionStats",
    "Topic",
]
