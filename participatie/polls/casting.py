"""Casting a ballot online or at the desk, with a letter code, an e-mail link, the host's
word on who votes (e.g. DigiD) or none in open polls; and sending the e-mail links.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from participatie.errors import InvalidInput, InvalidState
from participatie.identity import mailbox_key, normalize_email, normalize_postcode
from participatie.polls import codes as codes_mod
from participatie.polls.context import SUBJECT, PollsPart, postcode_allowed
from participatie.polls.errors import (
    AlreadyVoted,
    CodeRevoked,
    InvalidBallot,
    NotEligible,
    PollClosed,
    PollNotOpen,
    UnknownCode,
)
from participatie.polls.marks import Marks, ballot_marks
from participatie.polls.models import DRAFT, OPEN, SCHEDULED, CredentialRow, PollRow
from participatie.polls.recording import record_at_once, record_ballot
from participatie.polls.schemas import BallotIn, Receipt
from participatie.retry import retry_transient

ONLINE_CHANNELS = ("online", "desk")


class Casting(PollsPart):
    """Voting: ``cast`` and ``request_email_link``."""

    @retry_transient
    def request_email_link(
        self,
        poll_id: uuid.UUID | str,
        email: str,
        *,
        locale: str | None = None,
        postcode: str | None = None,
        ip: str | None = None,
        session: Session | None = None,
    ) -> None:
        """Send a signed voting link to the address; voting with it proves the address.

        Within the send caps (``participatie.sendcaps``) per address and per network of
        ``ip``; over them the request is answered the same and no mail goes out. The
        link is valid for ``Settings.tokens.vote`` (two days by default) and carries a
        keyed hash of the mailbox per poll, so a voter cannot be matched across polls.

        Args:
            poll_id: the poll's id (an e-mail poll, open).
            email: the address as typed.
            locale: the mail's language (``"nl"``, ``"en"``); default ``Settings.locale``.
            postcode: the voter's postcode, for a poll limited to an area (carried in
                the link).
            ip: the requester's IP address, for the per-network send cap.
            session: the host's SQLAlchemy session to work in (the library only
                flushes); without it the call commits on its own.

        Returns:
            None: the same whether or not a mail went out.

        Raises:
            InvalidEmail: ``input.email``, field ``email``.
            InvalidPostcode: ``input.postcode``, field ``postcode``.
            PollNotFound: ``poll.not_found``.
            InvalidState: ``state.invalid``, field ``eligibility``: not an e-mail poll.
            PollNotOpen: ``poll.not_open``; PollClosed: ``poll.closed``.
            NotEligible: ``poll.not_eligible``, field ``postcode``: missing or outside
                the poll's area.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        p = self.context.p
        address = normalize_email(email, check_deliverability=p.settings.email_check_deliverability)
        pc = normalize_postcode(postcode) if postcode else None
        with p.unit_of_work(session) as s:
            row = self.context.load(s, poll_id)
            if row.eligibility != "email":
                raise InvalidState("this poll does not use e-mail addresses", field="eligibility")
            self._check_open(row)
            _check_postcode(s, row, pc)
            if not p.send_caps.allow(s, email=address, ip=ip):
                return
            # Per poll, so voters cannot be matched across polls or with petition signers.
            # On the mailbox, not the address: dots and +tags do not make a second voter.
            mailbox = mailbox_key(address, p.settings.mailboxes)
            key = p.hasher.hash("poll-email", f"{row.id}:{mailbox}")
            extra: dict[str, Any] = {"e": key}
            if pc:
                extra["pc"] = pc
            token = p.tokens.make("poll.email", str(row.id), **extra)
            p.outbox.enqueue(
                s,
                to=address.address,
                template="polls_vote_link",
                context={
                    "title": row.title,
                    "question": row.question,
                    "link": p.url("poll.email", token=token),
                    "closes_at": row.closes_at.astimezone(p.settings.zone)
                    if row.closes_at
                    else None,
                },
                locale=locale,
                subject_type=SUBJECT,
                subject_id=row.id,
            )
            # No address in the log: only that a link went out.
            self.context.audit(s, "resident", "poll.email_link_sent", row, {"locale": locale or ""})

    def _check_open(self, row: PollRow) -> None:
        now = self.context.p.clock.now()
        if row.state in (DRAFT, SCHEDULED) or (row.opens_at is not None and now < row.opens_at):
            raise PollNotOpen("voting has not started yet", field="poll")
        if row.state != OPEN or (row.closes_at is not None and now >= row.closes_at):
            raise PollClosed("voting has ended", field="poll")

    @retry_transient
    def check_code(
        self, poll_id: uuid.UUID | str, code: str, *, session: Session | None = None
    ) -> str:
        """Check a letter's code before the ballot is shown; writes nothing.

        ``cast`` checks all of this again; this only spares a resident filling in a
        ballot that cannot count.

        Args:
            poll_id: the poll (a code poll, open).
            code: the code as typed; spacing, dashes and case do not matter.
            session: the host's SQLAlchemy session to read in; without it, one of its own.

        Returns:
            str: the code written as on the letter (``"K7QF-M2XW-9PQR"``).

        Raises:
            CodeTypo: ``poll.code_typo``, the check character does not match.
            UnknownCode: ``poll.unknown_code``, not a code, or not one of this poll.
            CodeRevoked: ``poll.code_revoked``, replaced by a reissued code.
            AlreadyVoted: ``poll.already_voted``, unless the poll lets a vote change.
            PollNotFound: ``poll.not_found``.
            PollNotOpen: ``poll.not_open``; PollClosed: ``poll.closed``.
            InvalidInput: ``input.invalid``, field ``email_token``, or NotEligible:
                ``poll.not_eligible``: the poll uses e-mail links or the host's word,
                not codes.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        compact = codes_mod.parse_code(code)
        context = self.context
        with context.p.unit_of_work(session, readonly=True) as s:
            row = context.load(s, poll_id, options=False)
            self._check_open(row)
            key, _kind = self._credential_key(row, compact, None, None)
            found = s.execute(
                select(CredentialRow.status, CredentialRow.uses, CredentialRow.max_uses).where(
                    CredentialRow.poll_id == row.id, CredentialRow.key_hash == key
                )
            ).first()
            if found is None:
                raise UnknownCode("this code is not known for this poll", field="code")
            if found.status != "active":
                raise CodeRevoked(
                    "this code was replaced by a new one: use the code from your newest letter",
                    field="code",
                )
            if found.uses >= found.max_uses and not row.allow_change:
                raise AlreadyVoted("this code has been used to vote already", field="code")
        return codes_mod.format_code(compact)

    def cast(
        self,
        poll_id: uuid.UUID | str,
        ballot: BallotIn,
        *,
        code: str | None = None,
        email_token: str | None = None,
        subject: str | None = None,
        postcode: str | None = None,
        channel: str = "online",
        staff: str | None = None,
        session: Session | None = None,
    ) -> Receipt:
        """Record a ballot and return the voter's receipt (tracker).

        Credentials: ``code`` (code polls), ``email_token`` (from the voting link),
        ``subject`` (the host vouches, e.g. DigiD; stored as a keyed hash), none for open
        polls. ``channel`` is ``online`` or ``desk`` (desk needs ``staff``). Every refusal
        (closed poll, unknown or used code, typo, too many choices) writes nothing.

        Args:
            poll_id: the poll's id.
            ballot: option names (or positions as text) in order of preference, or points
                per option for ``cumulative``.
            code: the voting code from the letter, as typed (dashes and case do not matter).
            email_token: the token of the voting link mailed to the resident.
            subject: the host's own identity of the voter (stored as a keyed hash only).
            postcode: the voter's postcode, for polls limited to an area.
            channel: ``"online"`` or ``"desk"``.
            staff: the staff member who takes a desk ballot.
            session: the host's SQLAlchemy session to work in (the library only
                flushes); without it the call commits on its own.

        Returns:
            Receipt: the tracker the voter finds in the published ballots.

        Raises:
            PollNotFound: ``poll.not_found``.
            PollNotOpen: ``poll.not_open``; PollClosed: ``poll.closed``.
            UnknownCode: ``poll.unknown_code``; CodeTypo: ``poll.code_typo`` (check
                character); CodeRevoked: ``poll.code_revoked``.
            AlreadyVoted: ``poll.already_voted``, the credential was used.
            InvalidBallot: ``poll.invalid_ballot``, too many, unknown or repeated choices.
            NotEligible: ``poll.not_eligible``, outside the poll's area.
            InvalidInput: ``input.invalid`` (``channel``, ``staff``), ``input.postcode``.
            TokenExpired, TokenInvalid: ``token.expired``, ``token.invalid`` (the link).
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        if channel not in ONLINE_CHANNELS:
            raise InvalidInput(
                "channel must be online or desk (paper: enter_paper)", field="channel"
            )
        if channel == "desk" and not staff:
            raise InvalidInput("a desk ballot names the staff member", field="staff")
        compact = codes_mod.parse_code(code) if code is not None else None
        pc = normalize_postcode(postcode) if postcode else None
        context = self.context
        with context.p.unit_of_work(session) as s:
            # A shared lock: votes run side by side, but closing (which locks the poll)
            # waits for the votes in flight and sees each one before it hashes and
            # rewrites the ballots; a vote that comes later finds the poll closed.
            at_once = compact is not None and s.get_bind().dialect.name == "postgresql"
            row, marks, fresh = self._ready(s, poll_id, ballot, known=at_once)
            key, kind = self._credential_key(row, compact, email_token, subject)
            if kind in ("email", "host"):
                if kind == "email" and pc is None and email_token is not None:
                    pc = self._token_postcode(email_token)
                _check_postcode(s, row, pc)
            done = record_at_once(context, s, row, key, kind, marks, channel)
            if done is None:
                if not fresh:  # from memory: read it now, with its lock
                    row, marks, _ = self._ready(s, poll_id, ballot, known=False)
                receipt, head = record_ballot(context, s, row, key, kind, marks, channel), None
            else:
                receipt, head = done
            context.audit(
                s,
                staff or "resident",
                "poll.ballot_recorded",
                row,
                {"channel": channel, "replaced": receipt.replaced_earlier},
                head=head,
            )
            return receipt

    def _ready(
        self, s: Session, poll_id: uuid.UUID | str, ballot: BallotIn, *, known: bool
    ) -> tuple[PollRow, Marks, bool]:
        """The poll, open, the ballot's marks checked against it, and whether the poll
        was read now (False: from memory).

        ``known``: a vote by code on PostgreSQL may use the poll as an earlier vote read it
        while it was open (``PollsContext.open_row``): the one statement of
        ``record_at_once`` checks the state under the poll's lock. Otherwise, or when
        that row refuses the ballot (so that a closed poll is reported before a wrong
        ballot, as always), the poll is read now, with its shared lock.
        """

        context = self.context
        kept = context.open_row(poll_id) if known else None
        if kept is not None and kept.eligibility == "codes" and kept.link_secret is None:
            try:
                return kept, self._marks(kept, ballot), False
            except (PollNotOpen, PollClosed, InvalidBallot):
                pass
        row = context.load_for_vote(s, poll_id)
        return row, self._marks(row, ballot), True

    def _marks(self, row: PollRow, ballot: BallotIn) -> Marks:
        """The ballot's marks, once the poll is found open (``PollNotOpen``,
        ``PollClosed``; ``InvalidBallot`` for a ballot the poll refuses)."""

        self._check_open(row)
        by_name = self.context.option_positions(row)
        return ballot_marks(row, by_name, ballot.choices, ballot.points, field="choices")

    def _token_postcode(self, token: str) -> str | None:
        payload = self.context.p.tokens.load("poll.email", token, max_age=None)
        value = payload.extra.get("pc")
        return str(value) if value else None

    def _credential_key(
        self,
        row: PollRow,
        compact: str | None,
        email_token: str | None,
        subject: str | None,
    ) -> tuple[str | None, str]:
        p = self.context.p
        if row.eligibility == "codes":
            if compact is None:
                raise InvalidInput("this poll needs the code from your letter", field="code")
            return p.hasher.code(compact), "code"
        if row.eligibility == "email":
            if not email_token:
                raise InvalidInput("this poll needs the link from your e-mail", field="email_token")
            payload = p.tokens.load("poll.email", email_token, max_age=p.settings.tokens.vote)
            if payload.subject != str(row.id):
                raise NotEligible("this link belongs to another poll", field="email_token")
            return str(payload.extra["e"]), "email"
        if row.eligibility == "host":
            if not subject or not subject.strip():
                raise NotEligible("the host did not say who is voting", field="subject")
            return p.hasher.subject(f"{row.id}:{subject.strip()}"), "host"
        return None, "open"


def _check_postcode(s: Session, row: PollRow, pc: str | None) -> None:
    if not row.postcodes and not row.area_codes:
        return
    if pc is None:
        raise NotEligible("this poll is limited to an area: give your postcode", field="postcode")
    if not postcode_allowed(row, s, pc):
        raise NotEligible(f"postcode {pc} lies outside the poll's area", field="postcode")


__all__ = ["ONLINE_CHANNELS", "Casting"]
