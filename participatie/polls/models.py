"""Tables of the polls module (internal: no ORM class leaves the module).

Secrecy by construction: credentials (who voted) and ballots (what was voted) share no
foreign key, ballots carry random ids and no timestamps; only ``BallotRow.link`` ties them,
as a keyed hash, while vote changing or paper precedence needs it. While voting goes on,
and at closing for the rest, both tables are rewritten in mixes so their row order follows
nothing (``polls.mixing``); ``mix`` numbers the mix that last rewrote a row, and is empty
while a row waits for one.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    Uuid,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participatie.db import Base, IdMixin, LongText, exact_string

#: Poll states, in the order of the life cycle.
DRAFT = "draft"
SCHEDULED = "scheduled"
OPEN = "open"
CLOSED = "closed"
PUBLISHED = "published"
CANCELLED = "cancelled"


class PollRow(IdMixin, Base):
    __tablename__ = "participatie_polls_poll"

    title: Mapped[str] = mapped_column(String(200))
    question: Mapped[str] = mapped_column(String(500))
    explanation: Mapped[str] = mapped_column(LongText, default="")
    rule: Mapped[str] = mapped_column(String(20))
    seats: Mapped[int] = mapped_column(Integer, default=1)
    max_choices: Mapped[int] = mapped_column(Integer, default=1)
    points: Mapped[int] = mapped_column(Integer, default=0)
    allow_blank: Mapped[bool] = mapped_column(Boolean, default=True)
    eligibility: Mapped[str] = mapped_column(String(10))
    ballots_per_code: Mapped[int] = mapped_column(Integer, default=1)
    allow_change: Mapped[bool] = mapped_column(Boolean, default=False)
    precedence: Mapped[str] = mapped_column(String(10), default="first")
    tie_break: Mapped[str] = mapped_column(String(10), default="report")
    lot_seed: Mapped[str | None] = mapped_column(String(64))
    area_codes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    postcodes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    #: Eligible units for e-mail, host and open polls (code polls count their codes).
    eligible_count: Mapped[int | None] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(12), default=DRAFT, index=True)
    opens_at: Mapped[datetime | None]
    closes_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(255))
    opened_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    published_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    codes_issued_at: Mapped[datetime | None]
    #: Paper envelopes counted by hand, for the reconciliation.
    paper_envelopes: Mapped[int | None] = mapped_column(Integer)
    #: Key of the keyed links between credentials and ballots; destroyed with the links.
    link_secret: Mapped[str | None] = mapped_column(String(64))
    links_destroyed_at: Mapped[datetime | None]
    #: SHA-256 of the published ballots file, kept from closing until a ballot changes.
    ballots_sha256: Mapped[str | None] = mapped_column(String(64))
    #: Counted up whenever a ballot changes after voting ended (paper typed in after
    #: closing): the SHA-256, computed outside the write transaction, is stored only if
    #: this is what it was when the ballots file was read.
    ballots_revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: Set when closing, cancelling or publishing changed the state and has steps to go
    #: (``polls.closing``); cleared by the last. The job ``polls.mix`` finishes a poll
    #: left with it set (a process killed between steps).
    steps_pending: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: A mix whose ballots are rewritten and whose credentials are not yet (JSON:
    #: channel, number, mixes taken in): the next mixer finishes it first.
    mix_pending: Mapped[str | None] = mapped_column(LongText)
    #: Cross-channel uses of one credential (e.g. online and on paper): reported.
    conflicts: Mapped[int] = mapped_column(Integer, default=0)

    options: Mapped[list[OptionRow]] = relationship(
        back_populates="poll",
        cascade="all, delete-orphan",
        order_by="OptionRow.position",
        lazy="selectin",
    )


class OptionRow(IdMixin, Base):
    __tablename__ = "participatie_polls_option"
    __table_args__ = (
        UniqueConstraint("poll_id", "position"),
        UniqueConstraint("poll_id", "name"),
    )

    poll_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("participatie_polls_poll.id", ondelete="CASCADE")
    )
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(exact_string(200))
    description: Mapped[str] = mapped_column(LongText, default="")
    poll: Mapped[PollRow] = relationship(back_populates="options")


class CredentialRow(IdMixin, Base):
    """Who may vote and whether they did: a keyed hash of a code, e-mail or host subject."""

    __tablename__ = "participatie_polls_credential"
    __table_args__ = (
        UniqueConstraint("poll_id", "key_hash"),
        UniqueConstraint("poll_id", "serial"),
        # Covers the reconciliation: codes issued, revoked and used per poll.
        Index("ix_participatie_polls_credential_use", "poll_id", "status", "uses"),
        # Finds the rows waiting for a mix, and the rows of a mix.
        Index("ix_participatie_polls_credential_mix", "poll_id", "mix"),
    )

    # Explicit constraint names: the conventional ones pass MariaDB's 64-character limit.
    poll_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey(
            "participatie_polls_poll.id",
            ondelete="CASCADE",
            name="fk_participatie_polls_credential_poll",
        )
    )
    kind: Mapped[str] = mapped_column(String(10))
    key_hash: Mapped[str] = mapped_column(String(64))
    #: Letter number of a code (printed on the letter), to revoke a lost one.
    serial: Mapped[int | None] = mapped_column(Integer)
    address_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(10), default="active")
    max_uses: Mapped[int] = mapped_column(Integer, default=1)
    uses: Mapped[int] = mapped_column(Integer, default=0)
    #: Re-votes and precedence replacements; they take this row's lock first.
    changes: Mapped[int] = mapped_column(Integer, default=0)
    first_channel: Mapped[str | None] = mapped_column(String(10))
    #: Start of the local day of the first use, never the moment; None for paper (the
    #: typing day would point at the typed sheet). See ``polls.at_rest``.
    used_at: Mapped[datetime | None]
    #: Issue time of a code; for e-mail and host credentials, made at the vote: the day.
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    replaced_by_serial: Mapped[int | None] = mapped_column(Integer)
    #: The mix that last rewrote the row; None from a vote that wrote it (its order and
    #: transaction then follow the casting) until a mix does. Codes are issued with
    #: ``polls.mixing.NO_VOTE`` (0): no vote, nothing to hide.
    mix: Mapped[int | None] = mapped_column(Integer)


class BallotRow(Base):
    """What was voted. Random id and no time, so insertion order tells nothing."""

    __tablename__ = "participatie_polls_ballot"
    __table_args__ = (
        UniqueConstraint("poll_id", "tracker"),
        UniqueConstraint("poll_id", "link"),
        # Covers the tally's count of ballots per channel, blank and invalid.
        Index(
            "ix_participatie_polls_ballot_stats",
            "poll_id",
            "superseded",
            "channel",
            "blank",
            "invalid",
        ),
        # Per channel: the ballots waiting for a mix, and the channel's newest mixes.
        Index("ix_participatie_polls_ballot_mix", "poll_id", "channel", "mix", "superseded"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True, default=uuid.uuid4)
    poll_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("participatie_polls_poll.id", ondelete="CASCADE")
    )
    tracker: Mapped[str] = mapped_column(String(24))
    channel: Mapped[str] = mapped_column(String(10))
    blank: Mapped[bool] = mapped_column(Boolean, default=False)
    invalid: Mapped[bool] = mapped_column(Boolean, default=False)
    superseded: Mapped[bool] = mapped_column(Boolean, default=False)
    link: Mapped[str | None] = mapped_column(String(64))
    #: The mix that last rewrote the row (and its marks); None from the vote that wrote
    #: it until a mix does.
    mix: Mapped[int | None] = mapped_column(Integer)
    #: The ballot's line in the published ballots file (``polls.ballots.ballot_line``),
    #: written with the ballot: the file and its SHA-256 are read off these in tracker
    #: order, without joining a million ballots to their marks at closing.
    line: Mapped[str] = mapped_column(LongText)


class BallotChoiceRow(Base):
    """One marked option of a ballot; carries channel and ``counted`` so the tally is one
    GROUP BY over a covering index, without a join."""

    __tablename__ = "participatie_polls_ballot_choice"
    __table_args__ = (
        Index(
            "ix_participatie_polls_ballot_choice_tally",
            "poll_id",
            "counted",
            "option_position",
            "channel",
            "points",
        ),
    )

    ballot_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey(
            "participatie_polls_ballot.id",
            ondelete="CASCADE",
            name="fk_participatie_polls_ballot_choice_ballot",
        ),
        primary_key=True,
    )
    option_position: Mapped[int] = mapped_column(Integer, primary_key=True)
    poll_id: Mapped[uuid.UUID] = mapped_column(Uuid())
    channel: Mapped[str] = mapped_column(String(10))
    counted: Mapped[bool] = mapped_column(Boolean, default=True)
    #: 1-based preference for ranked and Borda ballots, 0 otherwise.
    rank: Mapped[int] = mapped_column(Integer, default=0)
    #: Approval and plurality: 1; cumulative: the points given; Borda: the Borda points.
    points: Mapped[int] = mapped_column(Integer, default=1)


class PaperEntryRow(IdMixin, Base):
    """One typing of one paper ballot by one staff member (the sheet is typed twice)."""

    __tablename__ = "participatie_polls_paper_entry"
    __table_args__ = (UniqueConstraint("poll_id", "sheet", "entry"),)

    poll_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey(
            "participatie_polls_poll.id",
            ondelete="CASCADE",
            name="fk_participatie_polls_paper_entry_poll",
        )
    )
    sheet: Mapped[str] = mapped_column(String(50))
    #: 1 and 2 for the two typings, 3 for the resolution of a mismatch.
    entry: Mapped[int] = mapped_column(Integer)
    staff: Mapped[str] = mapped_column(String(255))
    #: Hash of the code on the envelope; cleared once the ballot is recorded.
    code_hash: Mapped[str | None] = mapped_column(String(64))
    marks: Mapped[list[Any]] = mapped_column(JSON)
    points: Mapped[list[Any]] = mapped_column(JSON, default=list)
    unreadable: Mapped[bool] = mapped_column(Boolean, default=False)
    #: pending, matched, mismatch, resolved, conflict, rejected
    status: Mapped[str] = mapped_column(String(10), default="pending")
    note: Mapped[str] = mapped_column(String(255), default="")
    entered_at: Mapped[datetime]


__all__ = [
    "CANCELLED",
    "CLOSED",
    "DRAFT",
    "OPEN",
    "PUBLISHED",
    "SCHEDULED",
    "BallotChoiceRow",
    "BallotRow",
    "CredentialRow",
    "OptionRow",
    "PaperEntryRow",
    "PollRow",
]
