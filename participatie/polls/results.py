"""What an ended poll shows: the anonymised ballots and their file, a voter's tracker,
and the tally; nothing of it before voting has ended.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

from sqlalchemy.orm import Session

from participatie.errors import InvalidState
from participatie.exports.files import Output, binary_output
from participatie.polls import ballots, tallying
from participatie.polls.context import PollsPart
from participatie.polls.models import CLOSED, PUBLISHED, PollRow
from participatie.polls.schemas import PublishedBallot, TallyResult


class Results(PollsPart):
    """Ballots, trackers and the tally of an ended poll."""

    def published_ballots(
        self, poll_id: uuid.UUID | str, *, session: Session | None = None
    ) -> Iterator[PublishedBallot]:
        """The anonymised ballots (tracker, channel, choices, invalid), by tracker.

        Only after voting has ended; streams, so a million ballots fit in little memory.
        A generator: the poll is read, and errors raised, at the first ``next``.

        Args:
            poll_id: the poll's id (closed or published).
            session: the host's SQLAlchemy session to read in; without it, one of its own.

        Returns:
            Iterator[PublishedBallot]: the counted ballots (superseded ones left out),
            with points per option for ``cumulative``.

        Raises:
            PollNotFound: ``poll.not_found``.
            InvalidState: ``state.invalid``, field ``state``: voting has not ended.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        with self.context.p.unit_of_work(session, readonly=True) as s:
            row = self.context.load(s, poll_id)
            _check_ended(row)
            yield from ballots.published_ballots(s, row)

    def write_ballots(
        self, poll_id: uuid.UUID | str, out: Output, *, session: Session | None = None
    ) -> str:
        """Write the published ballots file (a JSON list, one ballot per line, sorted keys,
        by tracker), streamed as the ballots are read; the same ballots give the same
        bytes.

        Args:
            poll_id: the poll's id (closed or published).
            out: a path (a new file with mode 0600, its folder made when missing) or a
                binary file (written to and flushed, not closed).
            session: the host's SQLAlchemy session to read in; without it, one of its own.

        Returns:
            str: the file's SHA-256 (hex), the digest closing and publication record.

        Raises:
            PollNotFound: ``poll.not_found``.
            InvalidState: ``state.invalid``, field ``state``: voting has not ended.
            InvalidInput: ``input.invalid``, field ``out``: neither a path nor a binary
                file.
            OSError: the file could not be written.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        with self.context.p.unit_of_work(session, readonly=True) as s:
            row = self.context.load(s, poll_id)
            _check_ended(row)
            with binary_output(out) as fh:
                return ballots.write_ballots(s, row, fh)

    def write_tally(
        self, tally: TallyResult, out: Output, *, fmt: str = "html", lang: str = "nl"
    ) -> str:
        """Write the tally report: ``html`` (with an inline SVG chart), ``csv`` (Excel),
        ``json`` (deterministic: sorted keys), ``xlsx`` or ``pdf`` (PDF/A-2U on the
        organisation's letterhead, with a signing block for the college). One document
        is in one language: Dutch, or English as a rendering of its own.

        Args:
            tally: from ``tally``.
            out: a path (a new file with mode 0600, its folder made when missing) or a
                binary file (written to and flushed, not closed).
            fmt: ``json``, ``csv``, ``html``, ``xlsx`` or ``pdf`` (as ``participatie
                polls tally --format``).
            lang: ``nl`` (default) or ``en``; the JSON is the same in both.

        Returns:
            str: the file's SHA-256 (hex).

        Raises:
            InvalidInput: ``input.invalid``, field ``format``: another ``fmt``; field
                ``lang``: another language; field ``out``: neither a path nor a binary
                file.
            MissingExtra: ``extra.missing``, ``xlsx`` or ``pdf`` without the
                ``reports`` extra.
            OSError: the file could not be written.
        """

        from participatie.polls import report

        return report.write_tally(self.context.p, tally, out, fmt, lang)

    def find_tracker(
        self, poll_id: uuid.UUID | str, tracker: str, *, session: Session | None = None
    ) -> PublishedBallot | None:
        """A voter checks their receipt against the published ballots.

        Args:
            poll_id: the poll's id (closed or published).
            tracker: the tracker from the receipt (case and surrounding spaces ignored).
            session: the host's SQLAlchemy session to read in; without it, one of its own.

        Returns:
            PublishedBallot | None: the counted ballot, or None when no counted ballot
            has this tracker (also when it was superseded by a later vote).

        Raises:
            PollNotFound: ``poll.not_found``.
            InvalidState: ``state.invalid``, field ``state``: voting has not ended.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        wanted = tracker.strip().lower()
        with self.context.p.unit_of_work(session, readonly=True) as s:
            row = self.context.load(s, poll_id)
            _check_ended(row)
            return next(ballots.published_ballots(s, row, wanted), None)

    def tally(
        self,
        poll_id: uuid.UUID | str,
        *,
        witness: str | None = None,
        session: Session | None = None,
    ) -> TallyResult:
        """Count a closed (or published) poll: figures, winners, ties, reconciliation.

        Args:
            poll_id: the poll's id.
            witness: who witnessed a draw by lot (shown in the report).
            session: the host's SQLAlchemy session to read in; without it, one of its own.

        Returns:
            TallyResult: the figures per option and channel, winners, ties, the rounds of
            a ranked count (exact fractions), the reconciliation and the paper summary.

        Raises:
            PollNotFound: ``poll.not_found``.
            InvalidState: ``state.invalid``, voting has not ended.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        with self.context.p.unit_of_work(session, readonly=True) as s:
            row = self.context.load(s, poll_id)
            _check_ended(row)
            return tallying.tally(self.context, s, row, witness)


def _check_ended(row: PollRow) -> None:
    if row.state not in (CLOSED, PUBLISHED):
        raise InvalidState(
            "results and ballots are shown only after voting has ended", field="state"
        )


__all__ = ["Results"]
