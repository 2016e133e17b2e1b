"""What the petitions JSON API takes and gives beyond the service's own types: the public
view of a petition and the bodies of the desk's requests.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, Field

from participatie.petitions.schemas import (
    InvalidatableStatus,
    InvalidationCriteria,
    PaperBatchIn,
    Petition,
)
from participatie.web.schemas import ExternalUrl


class PetitionOut(BaseModel):
    """A petition as the public sees it."""

    id: uuid.UUID
    title: str
    summary: str
    body: str
    status: str
    creator_name: str
    opens_at: datetime | None
    closes_at: datetime | None
    verified: int
    paper: int
    total: int
    thresholds: list[int]
    answer_text: str | None
    answer_url: str | None
    url: str


class Approval(BaseModel):
    closes_at: datetime | None = None
    thresholds: list[int] | None = Field(default=None, max_length=20)


class RejectionIn(BaseModel):
    reason: str = Field(min_length=1, max_length=100)
    note: str | None = Field(default=None, max_length=2000)


#: Times the desk gives: with a time zone (a naive time is always a bug) and in a range
#: every database stores.
Moment = Annotated[
    AwareDatetime,
    Field(ge=datetime(2000, 1, 1, tzinfo=UTC), lt=datetime(3000, 1, 1, tzinfo=UTC)),
]


class RuleIn(BaseModel):
    kind: Literal["allow_domain", "allow_network", "block_domain", "block_network", "block_address"]
    value: str = Field(
        min_length=1, max_length=254, description="a domain, a network in CIDR or an address"
    )
    note: str | None = Field(default=None, max_length=500)


class ExtensionIn(BaseModel):
    closes_at: Moment
    reason: str = Field(min_length=1, max_length=500)


class HideIn(BaseModel):
    reason: str = Field(min_length=1, max_length=500)


class UnhideIn(BaseModel):
    reason: str = Field(default="", max_length=500)


class HandOverIn(BaseModel):
    to: str = Field(min_length=1, max_length=255, description="e.g. de gemeenteraad")
    at: Moment | None = Field(default=None, description="when; now if not given")
    note: str | None = Field(default=None, max_length=2000)


class CouncilAnswerIn(BaseModel):
    text: str = Field(min_length=1, max_length=50_000)
    decision_url: ExternalUrl | None = None


class CouncilAnswerOut(BaseModel):
    petition: Petition
    #: Signers who asked for the answer and got it queued in the outbox.
    signers_notified: int


class PaperBatchBody(PaperBatchIn):
    area: str | None = Field(
        default=None, max_length=50, description="area code; None when unknown"
    )


def _live_statuses() -> list[InvalidatableStatus]:
    return ["pending", "verified"]


class CriteriaIn(InvalidationCriteria):
    """Which signatures a bulk invalidation hits; all given criteria must match."""

    ip: str | None = Field(default=None, max_length=45)
    subnet: str | None = Field(
        default=None, max_length=45, description="any address inside the /24 or /48"
    )
    domain: str | None = Field(default=None, max_length=253)
    area: str | None = Field(default=None, max_length=50)
    since: Moment | None = None
    until: Moment | None = None
    statuses: list[InvalidatableStatus] = Field(
        default_factory=_live_statuses, min_length=1, max_length=3
    )

    def plain(self) -> InvalidationCriteria:
        return InvalidationCriteria.model_validate(self.model_dump())


class InvalidationIn(BaseModel):
    criteria: CriteriaIn
    expected_total: int = Field(
        ge=0, le=100_000_000, description="the total the preview showed for these criteria"
    )
    reason: str = Field(min_length=1, max_length=500)
