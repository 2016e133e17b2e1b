"""Public types of the petitions module: what goes in and what comes out.

Hosts build these and get these back; the tables in models.py never leave the module.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

PetitionStatus = Literal[
    "draft",
    "coinitiators",
    "submitted",
    "rejected",
    "open",
    "closed",
    "handed_over",
    "answered",
    "withdrawn",
]
SignatureStatus = Literal["pending", "verified", "fraudulent", "invalidated", "withdrawn"]
#: States in which a petition is shown to the public (and may be followed).
PUBLIC_STATUSES: tuple[PetitionStatus, ...] = ("open", "closed", "handed_over", "answered")


def _clean(value: str) -> str:
    return " ".join(value.split())


class PetitionIn(BaseModel):
    """What a creator submits."""

    model_config = ConfigDict(str_strip_whitespace=True)

    title: str = Field(min_length=5, max_length=200)
    summary: str = Field(min_length=1, max_length=2000)
    body: str = Field(min_length=1, max_length=50_000)
    creator_name: str = Field(min_length=1, max_length=200)
    creator_email: str = Field(min_length=3, max_length=254)
    #: The closing time the creator asks for; moderation may change it.
    closes_at: datetime | None = None
    locale: Literal["nl", "en"] = "nl"
    #: Optional requirements, signed as declarations.
    min_age: int | None = Field(default=None, ge=12, le=120)
    residents_only: bool = False
    #: At most ``Settings.petitions.household_limit`` signatures per postcode + number.
    household_rule: bool = False

    @field_validator("title", "creator_name")
    @classmethod
    def _one_line(cls, value: str) -> str:
        return _clean(value)


class Petition(BaseModel):
    id: uuid.UUID
    title: str
    summary: str
    body: str
    locale: str
    status: PetitionStatus
    hidden: bool
    creator_name: str
    created_at: datetime
    submitted_at: datetime | None
    moderated_at: datetime | None
    reject_reason: str | None
    reject_note: str | None
    opens_at: datetime | None
    closes_at: datetime | None
    closed_at: datetime | None
    thresholds: list[int]
    min_age: int | None
    residents_only: bool
    household_rule: bool
    handed_over_at: datetime | None
    handed_over_to: str | None
    answer_text: str | None
    answer_url: str | None
    answered_at: datetime | None
    coinitiators_confirmed: int
    verified: int
    paper: int
    url: str


class SignatureIn(BaseModel):
    """What a resident fills in on the signing form."""

    model_config = ConfigDict(str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)
    email: str = Field(min_length=3, max_length=254)
    postcode: str = Field(min_length=1, max_length=10)
    house_number: str | None = Field(default=None, max_length=16)
    #: Consent to show the name on the public page (off unless ticked).
    show_name: bool = False
    #: Consent to receive the council's answer by e-mail.
    notify_answer: bool = False
    declared_min_age: bool = False
    declared_resident: bool = False
    locale: Literal["nl", "en"] = "nl"

    @field_validator("name")
    @classmethod
    def _one_line(cls, value: str) -> str:
        return _clean(value)

    @field_validator("house_number")
    @classmethod
    def _empty_is_none(cls, value: str | None) -> str | None:
        return value or None


class SignReceipt(BaseModel):
    """The answer to every signing attempt: the same whether or not the address signed
    before, so nobody can find out who signed."""

    petition_id: uuid.UUID
    message: str = "check_your_mail"


class ConfirmPage(BaseModel):
    """What the page behind a confirmation link shows before the button is pressed."""

    petition_id: uuid.UUID
    petition_title: str
    name: str | None
    can_confirm: bool


class Confirmation(BaseModel):
    petition_id: uuid.UUID
    petition_title: str
    #: Always "confirmed" for a link that verifies: twice is harmless and silent.
    status: Literal["confirmed"] = "confirmed"


class AreaCount(BaseModel):
    area: str | None
    name: str | None
    online: int
    paper: int
    total: int


class DayCount(BaseModel):
    day: date
    verified: int


class PublicSigner(BaseModel):
    """A signer who agreed to be named publicly: name, wijk and day, nothing more."""

    name: str
    area: str | None
    confirmed_on: date | None


class PublicSigners(BaseModel):
    """One page of the public list of names (newest first) and how many there are."""

    total: int
    signers: list[PublicSigner]


class PublicStats(BaseModel):
    """Statistics without personal data, for the public page and JSON feed."""

    petition_id: uuid.UUID
    title: str
    status: PetitionStatus
    verified: int
    paper: int
    total: int
    per_area: list[AreaCount]
    per_day: list[DayCount]
    thresholds: list[int]
    thresholds_reached: list[int]
    closes_at: datetime | None


class PublicPage(BaseModel):
    """What the petition's public page shows (``p.petitions.public_page``)."""

    petition: Petition
    stats: PublicStats
    signers: PublicSigners


class DeskStats(PublicStats):
    """Adds the counts the desk needs to judge abuse."""

    pending: int
    fraudulent: int
    invalidated: int
    withdrawn: int


InvalidatableStatus = Literal["pending", "verified", "fraudulent"]


def _default_statuses() -> list[InvalidatableStatus]:
    return ["pending", "verified"]


class InvalidationCriteria(BaseModel):
    """Which signatures a bulk invalidation hits; all given criteria must match."""

    ip: str | None = None
    subnet: str | None = Field(default=None, description="any address inside the /24 or /48")
    domain: str | None = None
    area: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    statuses: list[InvalidatableStatus] = Field(default_factory=_default_statuses)
    #: Every signature of the petition (in the given states): must be asked for explicitly.
    everything: bool = False


class InvalidationPreview(BaseModel):
    petition_id: uuid.UUID
    criteria: InvalidationCriteria
    total: int
    by_status: dict[str, int]


class InvalidationResult(InvalidationPreview):
    invalidated: int


class PaperBatchIn(BaseModel):
    area: str | None = Field(default=None, description="area code; None when unknown")
    count: int = Field(ge=1, le=1_000_000)
    note: str | None = Field(default=None, max_length=2000)


class PaperBatch(BaseModel):
    id: uuid.UUID
    petition_id: uuid.UUID
    area: str | None
    count: int
    received_at: datetime
    note: str | None


class Trend(BaseModel):
    """Signatures from one IP address (hash) or mail domain above the hourly threshold."""

    petition_id: uuid.UUID
    kind: Literal["ip", "domain"]
    key: str
    window_start: datetime
    count: int


class Rule(BaseModel):
    id: uuid.UUID
    kind: Literal["allow_domain", "allow_network", "block_domain", "block_network", "block_address"]
    value: str
    note: str | None


class ExportResult(BaseModel):
    rows: int
    sha256: str


class HandoverDocument(BaseModel):
    """What the hand-over document shows; ``sha256`` is that of the signature list CSV."""

    petition: Petition
    generated_at: datetime
    verified: int
    paper: int
    total: int
    per_area: list[AreaCount]
    per_day: list[DayCount]
    rows: int
    sha256: str


class SignatureRecord(BaseModel):
    petition_id: uuid.UUID
    petition_title: str
    status: SignatureStatus
    name: str | None
    email: str | None
    postcode: str | None
    house_number: str | None
    area: str | None
    show_name: bool
    notify_answer: bool
    created_at: datetime
    confirmed_at: datetime | None
    ip_stored_as: str


class PersonalData(BaseModel):
    """Everything stored about one e-mail address in the petitions module."""

    email: str
    signatures: list[SignatureRecord]
    petitions_created: list[uuid.UUID]
    coinitiator_of: list[uuid.UUID]


class ErasureResult(BaseModel):
    signatures: int
    petitions: int
    coinitiators: int
    messages: int


class TallyDrift(BaseModel):
    """One count of the tally that differs from the signature rows.

    ``kind`` is ``state`` (``label``: the state), ``area`` (the wijk's code, empty for
    none; verified only) or ``day`` (ISO date of confirmation; verified only); ``kept``
    is the tally's number, ``rows`` the signatures'.
    """

    kind: str
    label: str
    kept: int
    rows: int


class CountCheck(BaseModel):
    """What ``p.petitions.verify_counts`` found: the counter shards and the tally
    (counts per state, wijk and day) against the rows.

    ``counter`` is the sum of the counter shards (what pages show), ``rows`` the number
    of signatures in state ``verified``; ``tallies`` lists every count per state, wijk or
    day that differs from the rows. ``ok`` is False when anything differs; ``error`` then
    carries the code ``petition.count_drift`` and a message naming the numbers.
    """

    petition_id: uuid.UUID
    counter: int
    rows: int
    ok: bool
    error: CountDrift | None = None
    tallies: list[TallyDrift] = []


class CountDrift(BaseModel):
    """A counter that does not equal its rows (``code``: ``petition.count_drift``)."""

    code: Literal["petition.count_drift"] = "petition.count_drift"
    message: str
    counter: int
    rows: int


CountCheck.model_rebuild()


__all__ = [
    "AreaCount",
    "ConfirmPage",
    "Confirmation",
    "CountCheck",
    "CountDrift",
    "DayCount",
    "DeskStats",
    "ErasureResult",
    "ExportResult",
    "HandoverDocument",
    "InvalidatableStatus",
    "InvalidationCriteria",
    "InvalidationPreview",
    "InvalidationResult",
    "PaperBatch",
    "PaperBatchIn",
    "PersonalData",
    "Petition",
    "PetitionIn",
    "PetitionStatus",
    "PublicPage",
    "PublicSigner",
    "PublicSigners",
    "PublicStats",
    "Rule",
    "SignReceipt",
    "SignatureIn",
    "SignatureRecord",
    "SignatureStatus",
    "TallyDrift",
    "Trend",
]
