"""Public types of the polls module: what a host passes in and gets back (pydantic).

Counting rules, eligibility kinds and channels are string literals so they travel as JSON.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Rule = Literal["plurality", "approval", "cumulative", "borda", "ranked"]
Eligibility = Literal["codes", "email", "host", "open"]
Channel = Literal["online", "paper", "desk"]
TieBreak = Literal["report", "lot"]
Precedence = Literal["first", "paper"]
State = Literal["draft", "scheduled", "open", "closed", "published", "cancelled"]

RULES: tuple[str, ...] = ("plurality", "approval", "cumulative", "borda", "ranked")

#: The STV variant of the ``ranked`` rule, named in reports and docs.
STV_VARIANT = "STV, Weighted Inclusive Gregory Method (WIGM), Droop quota, exact fractions"


#: More households or residents than any municipality has (and within a 32-bit column).
MAX_ELIGIBLE = 50_000_000


class OptionIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=20_000)

    @field_validator("name")
    @classmethod
    def _strip(cls, value: str) -> str:
        value = " ".join(value.split())
        if not value:
            raise ValueError("option name is empty")
        return value


class PollIn(BaseModel):
    """A new poll. Counting rule, seats, tie-break and eligibility are fixed at opening."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=200)
    question: str = Field(min_length=1, max_length=500)
    explanation: str = Field(default="", max_length=100_000)
    options: list[OptionIn] = Field(min_length=2)
    rule: Rule = "approval"
    #: Winners to choose (for approval "2 of N locations": 2).
    seats: int = Field(default=1, ge=1, le=1000)
    #: Approval: most options a ballot may mark (default: as many as there are options).
    max_choices: int | None = Field(default=None, ge=1, le=1000)
    #: Cumulative: points each resident distributes (default from the settings).
    points: int | None = Field(default=None, ge=1, le=1000)
    allow_blank: bool = True
    eligibility: Eligibility = "codes"
    ballots_per_code: int = Field(default=1, ge=1, le=20)
    allow_change: bool = False
    #: Which ballot counts when one credential is used online and on paper.
    precedence: Precedence = "first"
    tie_break: TieBreak = "report"
    #: Seed for a draw by lot; generated at scheduling when not given.
    lot_seed: str | None = Field(default=None, min_length=8, max_length=64)
    area_codes: list[str] = Field(default_factory=list)
    #: PC4 areas ("9742") or full postcodes the poll is limited to.
    postcodes: list[str] = Field(default_factory=list)
    eligible_count: int | None = Field(default=None, ge=0, le=MAX_ELIGIBLE)
    opens_at: datetime | None = None
    closes_at: datetime | None = None


class PollUpdate(BaseModel):
    """Edits. Before opening anything; once open only the wording of the explanation."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, min_length=1, max_length=200)
    question: str | None = Field(default=None, min_length=1, max_length=500)
    explanation: str | None = Field(default=None, max_length=100_000)
    options: list[OptionIn] | None = Field(default=None, min_length=2)
    seats: int | None = Field(default=None, ge=1, le=1000)
    max_choices: int | None = Field(default=None, ge=1, le=1000)
    tie_break: TieBreak | None = None
    eligible_count: int | None = Field(default=None, ge=0, le=MAX_ELIGIBLE)
    opens_at: datetime | None = None
    closes_at: datetime | None = None


class Option(BaseModel):
    position: int
    name: str
    description: str


class Poll(BaseModel):
    id: uuid.UUID
    title: str
    question: str
    explanation: str
    options: list[Option]
    rule: Rule
    seats: int
    max_choices: int
    points: int
    allow_blank: bool
    eligibility: Eligibility
    ballots_per_code: int
    allow_change: bool
    precedence: Precedence
    tie_break: TieBreak
    area_codes: list[str]
    postcodes: list[str]
    eligible_count: int | None
    state: State
    opens_at: datetime | None
    closes_at: datetime | None
    opened_at: datetime | None
    closed_at: datetime | None
    published_at: datetime | None
    codes_issued_at: datetime | None
    #: True for ``open`` polls: anyone can vote, so the result is indicative only.
    indicative: bool


class BallotIn(BaseModel):
    """A ballot. ``choices``: option names (or positions as text) in order of preference
    for ``borda`` and ``ranked``; ``points``: option name -> points for ``cumulative``."""

    model_config = ConfigDict(extra="forbid")

    choices: list[str] = Field(default_factory=list, max_length=1000)
    points: dict[str, int] = Field(default_factory=dict)


class Receipt(BaseModel):
    """What the voter gets: the tracker to find the ballot in the published list."""

    poll_id: uuid.UUID
    tracker: str
    channel: Channel
    #: True when this ballot replaced an earlier one of the same voter.
    replaced_earlier: bool = False


class IssuedCode(BaseModel):
    """A plaintext code, handed out exactly once (letter or reissue)."""

    serial: int
    code: str
    url: str
    address: str = ""


class LetterAddress(BaseModel):
    """An address a code letter goes to (printed on the letter, never stored in plain)."""

    line: str = Field(min_length=1, max_length=300)
    postcode: str


class IssueResult(BaseModel):
    poll_id: uuid.UUID
    issued: int
    sha256: str


class PaperEntry(BaseModel):
    """One typing of a paper ballot: sheet number, code on the envelope, marked options."""

    model_config = ConfigDict(extra="forbid")

    sheet: str = Field(min_length=1, max_length=50)
    code: str | None = None
    marks: list[str] = Field(default_factory=list)
    points: dict[str, int] = Field(default_factory=dict)
    #: The staff member could not read the ballot: recorded as invalid.
    unreadable: bool = False


class PaperOutcome(BaseModel):
    sheet: str
    #: pending (waiting for the second typing), matched, mismatch, resolved, conflict, rejected
    status: str
    tracker: str | None = None
    note: str = ""


class PaperTyping(BaseModel):
    """What one person typed for a sheet: the marked options (by name or position as
    text), the points per option for ``cumulative`` (``None`` otherwise), or unreadable."""

    marks: list[str]
    unreadable: bool
    points: dict[str, int] | None = None


class PaperMismatch(BaseModel):
    """A sheet whose two typings differed; ``resolved_by`` names who typed it a third time."""

    sheet: str
    first_staff: str
    second_staff: str
    first: PaperTyping
    second: PaperTyping
    resolved_by: str | None = None


class PublishedBallot(BaseModel):
    tracker: str
    channel: str
    choices: list[str]
    invalid: bool
    points: dict[str, int] | None = None


class Tie(BaseModel):
    options: list[str]
    #: Seats (or, for ranked, the round) the tied options compete for.
    seats: int
    stage: str
    resolution: Literal["reported", "lot"]
    #: Order of the draw, first drawn first, when resolved by lot.
    drawn: list[str] = Field(default_factory=list)


class OptionResult(BaseModel):
    name: str
    position: int
    votes: int
    channels: dict[str, int]
    elected: bool


class Round(BaseModel):
    """One round of an instant run-off or STV count.

    ``tallies``: option name (and ``"(exhausted)"``) -> the votes it holds, as an exact
    fraction in text (``"5"``, ``"17/3"``: ``fractions.Fraction`` reads it back), so
    anyone can re-check a transfer to the last vote. ``note`` gives the quota the same way.
    """

    number: int
    tallies: dict[str, str]
    elected: list[str] = Field(default_factory=list)
    excluded: list[str] = Field(default_factory=list)
    note: str = ""


class Reconciliation(BaseModel):
    """Credentials against ballots: does every use of a code have its ballot?"""

    credentials_issued: int
    credentials_revoked: int
    #: Codes used at least once.
    credentials_used: int
    #: Uses of codes, a changed vote or a second ballot per code counted again.
    credential_uses: int
    #: Ballots that came with a credential (0 for an ``open`` poll).
    ballots_recorded: int
    #: Ballots replaced by a later one (a changed vote, paper precedence).
    ballots_superseded: int
    #: ``credential_uses - ballots_recorded``: 0 when everything is accounted for.
    difference: int
    #: Codes used both online and on paper.
    channel_conflicts: int
    matches: bool


class PaperSummary(BaseModel):
    """The paper ballots: envelopes counted by hand against sheets typed in."""

    #: Envelopes counted by hand (``None``: not recorded).
    envelopes_counted: int | None
    sheets_entered: int
    #: Paper ballots in the count.
    ballots_recorded: int
    envelopes_match: bool
    #: Sheets per status of their typings (``matched``, ``mismatch``, ``resolved``, ...).
    status: dict[str, int]
    #: Typings per staff member.
    typed_by: dict[str, int]
    mismatches: list[PaperMismatch]


class TallyResult(BaseModel):
    """The counted result: what the report for the collegebesluit rests on."""

    poll_id: uuid.UUID
    title: str
    question: str
    state: State
    rule: Rule
    rule_detail: str
    seats: int
    eligibility: Eligibility
    indicative: bool
    eligible: int
    ballots: int
    turnout: float
    blank: int
    invalid: int
    channels: dict[str, int]
    options: list[OptionResult]
    winners: list[str]
    #: Seats left open because a reported tie is for the decision makers.
    undecided_seats: int
    ties: list[Tie]
    rounds: list[Round]
    tie_break: TieBreak
    lot_seed: str | None
    lot_witness: str | None
    reconciliation: Reconciliation
    paper: PaperSummary
    opened_at: datetime | None
    closed_at: datetime | None
    #: Time zone the report shows times in (stored and exported in UTC).
    timezone: str = "Europe/Amsterdam"
    ballots_sha256: str
    software_version: str
    generated_at: datetime


__all__ = [
    "MAX_ELIGIBLE",
    "RULES",
    "STV_VARIANT",
    "BallotIn",
    "Channel",
    "Eligibility",
    "IssueResult",
    "IssuedCode",
    "LetterAddress",
    "Option",
    "OptionIn",
    "OptionResult",
    "PaperEntry",
    "PaperMismatch",
    "PaperOutcome",
    "PaperSummary",
    "PaperTyping",
    "Poll",
    "PollIn",
    "PollUpdate",
    "Precedence",
    "PublishedBallot",
    "Receipt",
    "Reconciliation",
    "Round",
    "Rule",
    "State",
    "TallyResult",
    "Tie",
    "TieBreak",
]
