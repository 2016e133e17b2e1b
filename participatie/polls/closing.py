"""The end of voting: closing (by hand or by the job), cancelling, publishing, and the
mixes that rewrite the voting rows (``polls.mixing``).

What follows the state change is done in steps. Without a host's session each step is
its own short transaction, so on SQLite, where a writing transaction holds the whole
database, no step holds the write lock for long (closing a poll of a million ballots:
under a second per step, against seconds for the whole):

1. the state changes (casting stops), and where links go, their key goes with it;
2. the keyed links are nulled, ``LINKS_PER_STEP`` ballots per step;
3. each channel's waiting rows are mixed, one channel per step;
4. closing: the ballots file's SHA-256 is read in a read-only transaction (no lock) and
   stored in a short one, but only if ``PollRow.ballots_revision`` is still what it was
   when the file was read (paper typed in meanwhile counts it up and leaves the SHA-256
   to be computed when asked for).

The first step sets ``PollRow.steps_pending`` and the last clears it; a mix whose
ballots are rewritten and whose credentials are not yet is ``PollRow.mix_pending``. Steps
that did not happen (a process killed in between, a database that failed after the state
change, which closing and cancelling then log instead of raising) are done by the job
``polls.mix`` within the minute, each step finding what is left; publication run again
does its own. With a host's session all steps run in that session, in the host's one
transaction.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from participatie.errors import DatabaseUnavailable, InvalidInput, InvalidState
from participatie.jobs import Steps
from participatie.polls import mixing, tallying
from participatie.polls.ballots import hash_ballots
from participatie.polls.context import row_to_poll
from participatie.polls.lifecycle import Lifecycle
from participatie.polls.models import (
    CANCELLED,
    CLOSED,
    OPEN,
    PUBLISHED,
    SCHEDULED,
    BallotRow,
    PaperEntryRow,
    PollRow,
)
from participatie.polls.schemas import Poll, TallyResult

log = logging.getLogger(__name__)

#: Ballots whose keyed link is nulled per transaction (without a host's session).
LINKS_PER_STEP = 20_000
#: Ids per ``UPDATE .. WHERE id IN (..)`` (below every database's parameter limit).
_IDS_PER_STATEMENT = 500


class Closing(Lifecycle):
    """Closing, cancelling and publishing a poll, and the mixes."""

    @contextmanager
    def _step(self, session: Session | None, poll_id: uuid.UUID | str) -> Iterator[PollRow]:
        """One step: the poll's row locked, in its own transaction (or the host's). On
        SQLite a long step is followed by a pause (``jobs.Steps``), so a writer that
        waited for it gets the lock before the next step takes it again."""

        with Steps(self.context.p).step(session) as s:
            yield self.context.load(s, poll_id, lock=True)

    def _session_of(self, row: PollRow) -> Session:
        s = Session.object_session(row)
        assert s is not None
        return s

    def close(
        self, poll_id: uuid.UUID | str, *, actor: str, session: Session | None = None
    ) -> Poll:
        """End voting. Keyed links for vote changing are destroyed here, the ballots cast
        since the last mix (``mix_due``) are rewritten so no order or id pairs a voter
        with a ballot, and the ballots file's SHA-256 is stored; in steps, see the
        module's text.

        Args:
            poll_id: the poll's id.
            actor: who closes (audit log: ``poll.closed``, then ``poll.links_destroyed``,
                ``poll.mixed`` per channel and ``poll.ballots_hashed``).
            session: the host's SQLAlchemy session to work in (the library only
                flushes); without it the call commits on its own, a transaction per step.

        Returns:
            Poll: the poll in state ``closed``.

        Raises:
            PollNotFound: ``poll.not_found``.
            InvalidState: ``state.invalid``, the poll is not open.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked at the first step: nothing was written. Once the poll
                is closed, a failure in a later step is logged and the job ``polls.mix``
                does the rest (with a host's session it is raised: nothing is written).
        """

        with self._step(session, poll_id) as row:
            self._close_row(row, actor)
            key, closed = row.id, row_to_poll(row)
        self._finish_steps(key, actor, session)
        return closed

    def _close_row(self, row: PollRow, actor: str) -> None:
        if row.state != OPEN:
            raise InvalidState(f"a {row.state} poll cannot be closed", field="state")
        s = self._session_of(row)
        row.state = CLOSED
        row.closed_at = self.context.p.clock.now()
        row.steps_pending = True
        if row.precedence == "first":
            # Paper precedence needs the links until the last paper ballot is typed in;
            # otherwise their key goes now, the links themselves in the next steps.
            row.link_secret = None
        s.flush()
        self.context.audit(s, actor, "poll.closed", row, {"closed_at": row.closed_at})

    def _finish_steps(self, key: uuid.UUID, actor: str, session: Session | None) -> None:
        """The steps after closing's or cancelling's state change. Without a host's
        session, a database that fails in one of them is logged, not raised: the state
        change stands, and the job ``polls.mix`` does the rest (``steps_pending``)."""

        try:
            self._run_steps(key, actor, session)
        except DatabaseUnavailable:
            if session is not None:
                raise
            log.warning("poll %s: the steps after its end wait for the job polls.mix", key)

    def _run_steps(self, key: uuid.UUID, actor: str, session: Session | None) -> int:
        """The steps a closed or cancelled poll with ``steps_pending`` has to go (all of
        them, each finding what is left); returns the ballots mixed."""

        with self.context.p.unit_of_work(session, readonly=True) as s:
            row = self.context.load(s, key, options=False)
            state, pending = row.state, row.steps_pending
            # Closing keeps the links where paper may take precedence (their key stays).
            links_go = row.link_secret is None and row.links_destroyed_at is None
        if not pending or state not in (CLOSED, CANCELLED):
            return 0
        if links_go:
            self._destroy_links(key, actor, session)
        moved = self._mix_waiting(key, actor, session)
        if state == CLOSED:
            self._store_digest(key, actor, session)
        with self._step(session, key) as row:
            row.steps_pending = False
        return moved

    def _destroy_links(self, key: uuid.UUID, actor: str, session: Session | None) -> None:
        """Null the keyed links, ``LINKS_PER_STEP`` ballots per step; the key goes in the
        first. Resumes where a step that did not finish left off."""

        nulled = 0
        while True:
            with self._step(session, key) as row:
                if row.link_secret is None and row.links_destroyed_at is not None:
                    return
                s = self._session_of(row)
                row.link_secret = None
                ids = list(
                    s.execute(
                        select(BallotRow.id)
                        .where(BallotRow.poll_id == row.id, BallotRow.link.is_not(None))
                        .limit(LINKS_PER_STEP)
                    ).scalars()
                )
                for start in range(0, len(ids), _IDS_PER_STATEMENT):
                    s.execute(
                        update(BallotRow)
                        .where(BallotRow.id.in_(ids[start : start + _IDS_PER_STATEMENT]))
                        .values(link=None)
                        .execution_options(synchronize_session=False)
                    )
                nulled += len(ids)
                if len(ids) < LINKS_PER_STEP:
                    row.links_destroyed_at = self.context.p.clock.now()
                    s.flush()
                    self.context.audit(s, actor, "poll.links_destroyed", row, {"links": nulled})
                    return

    def _mix_waiting(self, key: uuid.UUID, actor: str, session: Session | None) -> int:
        """Mix what waits in each channel: every earlier mix left with fewer than
        ``mix_size`` live ballots is taken in, and the newest others until the mix holds
        that many (``mixing.plan``). A mix left half made is finished first. Returns the
        ballots rewritten."""

        self._finish_pending_mix(key, session)
        return sum(self._mix_channel(key, ch, actor, session) for ch in mixing.CHANNELS)

    def _mix_channel(
        self,
        key: uuid.UUID,
        channel: str,
        actor: str,
        session: Session | None,
        *,
        due: bool = False,
    ) -> int:
        """One channel's mix. ``due``: an open poll's mix, made only if a mix's worth
        waits (``mix_due``), in one step, since a vote cast between two steps would
        have its credential in this mix and its ballot in the next. Otherwise (voting
        has ended) what waits, as closing mixes it, in two steps: the ballots and marks,
        then the credentials (``PollRow.mix_pending`` in between, so a mix left half
        made is finished first by whoever mixes next)."""

        size = self.context.p.settings.polls.mix_size
        with self._step(session, key) as row:
            s = self._session_of(row)
            if row.mix_pending is not None:  # another mixer's, begun since: its to finish
                return 0
            if due:
                if row.state != OPEN:
                    return 0
                # Planned under the lock: a vote may have come in since the count.
                chosen = mixing.plan(s, row.id, channel, at_least=None)
                if chosen.live < size:
                    return 0
            else:
                chosen = mixing.plan(s, row.id, channel, at_least=size)
                if not chosen.waiting:
                    return 0
            number = mixing.next_number(s, row.id)
            rewritten = mixing.mix_ballots(s, row.id, chosen, number)
            if due:
                zone = self.context.p.settings.zone
                links_kept = row.link_secret is not None
                mixing.mix_credentials(s, row.id, zone, chosen, number, links_kept=links_kept)
            else:
                pending = {"channel": channel, "number": number, "taken_in": chosen.taken_in}
                row.mix_pending = json.dumps(pending)
            data = {"channel": channel, "ballots": rewritten, "live": chosen.live}
            self.context.audit(s, actor, "poll.mixed", row, data)
        if not due:
            self._finish_pending_mix(key, session)
        return rewritten

    def _finish_pending_mix(self, key: uuid.UUID, session: Session | None) -> None:
        """The credentials of a mix whose ballots are rewritten (``mix_pending``)."""

        with self._step(session, key) as row:
            if row.mix_pending is None:
                return
            pending = json.loads(row.mix_pending)
            chosen = mixing.Plan(pending["channel"], taken_in=list(pending["taken_in"]))
            links_kept = row.link_secret is not None
            zone = self.context.p.settings.zone
            s = self._session_of(row)
            mixing.mix_credentials(
                s, row.id, zone, chosen, int(pending["number"]), links_kept=links_kept
            )
            row.mix_pending = None

    def _read_digest(self, key: uuid.UUID, session: Session | None) -> tuple[int, str]:
        """(``ballots_revision``, SHA-256) read without a lock: the revision first, so a
        change while the file is read leaves the revision behind."""

        with self.context.p.unit_of_work(session, readonly=True) as s:
            row = self.context.load(s, key, options=False)
            return row.ballots_revision, hash_ballots(s, row)

    def _read_for_publication(
        self, key: uuid.UUID, session: Session | None
    ) -> tuple[int, str, tallying.Marks]:
        """Publication's reading without a lock: the revision first (a change while the
        rest is read leaves it behind), the SHA-256 (kept since closing, or read now) and
        the counted marks, in one read-only transaction."""

        with self.context.p.unit_of_work(session, readonly=True) as s:
            row = self.context.load(s, key)
            revision = row.ballots_revision
            digest = row.ballots_sha256 or hash_ballots(s, row)
            return revision, digest, tallying.count_marks(s, row)

    def _store_digest(self, key: uuid.UUID, actor: str, session: Session | None) -> None:
        revision, digest = self._read_digest(key, session)
        with self._step(session, key) as row:
            if row.state != CLOSED or row.ballots_sha256 or row.ballots_revision != revision:
                return
            row.ballots_sha256 = digest
            s = self._session_of(row)
            s.flush()
            self.context.audit(s, actor, "poll.ballots_hashed", row, {"ballots_sha256": digest})

    def reseal(
        self, poll_id: uuid.UUID | str, *, actor: str, session: Session | None = None
    ) -> None:
        """Rewrite all of an ended poll's ballots and credentials in one mix
        (``polls.mixing``): for polls that ended before closing did so. Idempotent.

        Args:
            poll_id: the poll's id (a UUID or its text).
            actor: who reseals (audit log).
            session: the host's SQLAlchemy session to work in (the library only
                flushes); without it the call commits on its own.

        Returns:
            None.

        Raises:
            PollNotFound: ``poll.not_found``.
            InvalidState: ``state.invalid``, field ``state``: the poll is not closed,
                published or cancelled.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        with self._step(session, poll_id) as row:
            if row.state not in (CLOSED, PUBLISHED, CANCELLED):
                raise InvalidState("only an ended poll can be resealed", field="state")
            zone = self.context.p.settings.zone
            links_kept = row.link_secret is not None
            s = self._session_of(row)
            mixing.mix_everything(s, row.id, zone, links_kept=links_kept)
            self.context.audit(s, actor, "poll.resealed", row, {})

    def mix_due(self, *, session: Session | None = None) -> dict[str, int]:
        """Mix each channel of an open poll where at least ``PollSettings.mix_size`` live
        ballots wait (the job ``polls.mix``, every minute): their rows are rewritten so
        that a copy of the database places each among the others of its mix
        (``polls.mixing``), and closing has only the rest to rewrite. Casting in that poll
        waits meanwhile. In a closed poll, what waits (paper typed in after closing) is
        mixed as closing mixes it; a closing or cancelling that stopped between its steps
        (``steps_pending``) and a mix left half made (``mix_pending``) are finished.
        Without a host's session each mix is its own transactions.

        Args:
            session: the host's SQLAlchemy session to work in (the library only
                flushes); without it the call commits on its own.

        Returns:
            dict[str, int]: ``{"polls": n, "ballots": m}``, the polls mixed and their
            ballots rewritten.

        Raises:
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; what was mixed before stays mixed.
        """

        polls = ballots = 0
        with self.context.p.unit_of_work(session, readonly=True) as s:
            current = s.execute(
                select(PollRow.id, PollRow.state, PollRow.steps_pending, PollRow.mix_pending)
                .where(
                    PollRow.state.in_((OPEN, CLOSED))
                    | PollRow.steps_pending.is_(True)
                    | PollRow.mix_pending.is_not(None)
                )
                .order_by(PollRow.id)
            ).all()
        for poll_id, state, steps, half_made in current:
            if half_made is not None:
                self._finish_pending_mix(poll_id, session)
            if steps and state in (CLOSED, CANCELLED):
                # A closing or cancelling that stopped between its steps.
                moved = self._run_steps(poll_id, "system", session)
            elif state == CLOSED:
                moved = self._mix_closed(poll_id, session)
            elif state == OPEN:
                moved = self._mix_open(poll_id, session)
            else:
                moved = 0
            polls += moved > 0
            ballots += moved
        return {"polls": polls, "ballots": ballots}

    def _mix_closed(self, poll_id: uuid.UUID, session: Session | None) -> int:
        with self.context.p.unit_of_work(session, readonly=True) as s:
            if not mixing.anything_waits(s, poll_id):
                return 0
        return self._mix_waiting(poll_id, "system", session)

    def _mix_open(self, poll_id: uuid.UUID, session: Session | None) -> int:
        size = self.context.p.settings.polls.mix_size
        with self.context.p.unit_of_work(session, readonly=True) as s:
            due = [ch for ch in mixing.CHANNELS if mixing.waiting(s, poll_id, ch) >= size]
        return sum(self._mix_channel(poll_id, ch, "system", session, due=True) for ch in due)

    def cancel(
        self,
        poll_id: uuid.UUID | str,
        *,
        actor: str,
        reason: str,
        session: Session | None = None,
    ) -> Poll:
        """Cancel a poll that is not published or cancelled yet. Voting links are destroyed
        and the ballots resealed as at closing (in steps, as there); nothing is counted.

        Args:
            poll_id: the poll's id (a UUID or its text).
            actor: who cancels (audit log).
            reason: why, for the audit log (required).
            session: the host's SQLAlchemy session to work in (the library only
                flushes); without it the call commits on its own, a transaction per step.

        Returns:
            Poll: the poll in state ``cancelled``.

        Raises:
            InvalidInput: ``input.invalid``, field ``reason``: empty.
            PollNotFound: ``poll.not_found``.
            InvalidState: ``state.invalid``, field ``state``: published or cancelled.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked at the first step: nothing was written. Later steps are
                left to the job ``polls.mix`` as at closing.
        """

        if not reason.strip():
            raise InvalidInput("give a reason for cancelling", field="reason")
        with self._step(session, poll_id) as row:
            if row.state in (PUBLISHED, CANCELLED):
                raise InvalidState(f"a {row.state} poll cannot be cancelled", field="state")
            before = row.state
            row.state = CANCELLED
            row.cancelled_at = self.context.p.clock.now()
            row.link_secret = None
            row.steps_pending = True
            s = self._session_of(row)
            s.flush()
            self.context.audit(
                s, actor, "poll.cancelled", row, {"before": before, "reason": reason}
            )
            key, cancelled = row.id, row_to_poll(row)
        self._finish_steps(key, actor, session)
        return cancelled

    def publish(
        self,
        poll_id: uuid.UUID | str,
        *,
        actor: str,
        witness: str | None = None,
        session: Session | None = None,
    ) -> TallyResult:
        """Fix the result: no paper entry may be open; records the tally's figures. The
        links are nulled and what waits is mixed first, in steps as at closing; from the
        first step on, paper is refused (``lifecycle.publication_began``). The SHA-256
        kept since closing is used when no ballot changed since.

        Args:
            poll_id: the poll's id.
            actor: who publishes (audit log).
            witness: who witnessed a draw by lot.
            session: the host's SQLAlchemy session to work in (the library only
                flushes); without it the call commits on its own, a transaction per step.

        Returns:
            TallyResult: the published result.

        Raises:
            PollNotFound: ``poll.not_found``.
            InvalidState: ``state.invalid``, the poll is not closed (field ``state``) or
                paper ballots wait for a second typing or a resolution (field ``paper``).
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; the steps committed before stay, the poll stays closed,
                and publishing again finishes it (safe to repeat).
        """

        with self._step(session, poll_id) as row:
            self._check_publishable(row)
            # From here on no paper is typed in (the links go): publication_began.
            row.link_secret = None
            row.steps_pending = True
            key = row.id
        self._destroy_links(key, actor, session)
        self._mix_waiting(key, actor, session)
        revision, digest, marks = self._read_for_publication(key, session)
        with self._step(session, key) as row:
            self._check_publishable(row)
            s = self._session_of(row)
            if mixing.anything_waits(s, key):
                self._mix_waiting(key, actor, s)
            if not row.ballots_sha256:
                same = row.ballots_revision == revision
                row.ballots_sha256 = digest if same else hash_ballots(s, row)
            row.state = PUBLISHED
            row.published_at = self.context.p.clock.now()
            row.steps_pending = False
            s.flush()
            # The marks counted without a lock hold while no ballot changed since.
            counted = marks if row.ballots_revision == revision else None
            result = tallying.tally(self.context, s, row, witness, counted)
            self.context.audit(
                s,
                actor,
                "poll.published",
                row,
                {
                    "ballots": result.ballots,
                    "winners": result.winners,
                    "ties": [t.model_dump() for t in result.ties],
                    "ballots_sha256": result.ballots_sha256,
                    "witness": witness,
                },
            )
            return result

    def _check_publishable(self, row: PollRow) -> None:
        if row.state != CLOSED:
            raise InvalidState(f"a {row.state} poll cannot be published", field="state")
        open_entries = (
            self._session_of(row)
            .execute(
                select(func.count(func.distinct(PaperEntryRow.sheet))).where(
                    PaperEntryRow.poll_id == row.id,
                    PaperEntryRow.status.in_(("pending", "mismatch")),
                )
            )
            .scalar_one()
        )
        if open_entries:
            raise InvalidState(
                f"{open_entries} paper ballot(s) still wait for a second typing or a resolution",
                field="paper",
            )

    def open_and_close_due(
        self, now: datetime | None = None, *, session: Session | None = None
    ) -> dict[str, int]:
        """Open scheduled polls whose time has come and close open ones past closing (the
        job ``polls.open_close``, every minute). The states change in one transaction;
        what follows a closing runs in steps, as ``close`` runs it.

        Idempotent: a second run at the same moment finds nothing to do. A scheduled
        poll whose closing time has also passed is opened and closed in the same run
        (counted in both figures).

        Args:
            now: the moment to act at, timezone-aware (default: the facade's clock).
            session: the host's SQLAlchemy session to work in (the library only
                flushes); without it the call commits on its own.

        Returns:
            dict[str, int]: ``{"opened": n, "closed": m}``.

        Raises:
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written, or (after the states changed)
                what follows a closing is done later, as ``close`` describes.
        """

        now = now or self.context.p.clock.now()
        opened = 0
        closed: list[uuid.UUID] = []
        with self.context.p.unit_of_work(session) as s:
            due_open = s.execute(
                select(PollRow)
                .where(PollRow.state == SCHEDULED, PollRow.opens_at <= now)
                # In id order, as ``mix_due`` locks them: two runners cannot deadlock.
                .order_by(PollRow.id)
                .with_for_update()
            ).scalars()
            for row in list(due_open):
                if row.closes_at is not None and row.closes_at <= now:
                    row.state = OPEN
                    row.opened_at = row.opens_at
                    self.context.audit(s, "system", "poll.opened", row, self._rule_data(row))
                    self._close_row(row, "system")
                    closed.append(row.id)
                else:
                    self._open_row(s, row, "system")
                opened += 1
            due_close = s.execute(
                select(PollRow)
                .where(PollRow.state == OPEN, PollRow.closes_at <= now)
                .order_by(PollRow.id)
                .with_for_update()
            ).scalars()
            for row in list(due_close):
                self._close_row(row, "system")
                closed.append(row.id)
        for key in closed:
            self._finish_steps(key, "system", session)
        return {"opened": opened, "closed": len(closed)}


__all__ = ["LINKS_PER_STEP", "Closing"]
