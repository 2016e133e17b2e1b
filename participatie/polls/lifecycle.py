"""A poll's life cycle up to voting: create and edit it, schedule and open it. The end of
voting (closing, cancelling, publishing) is in ``polls.closing``.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from participatie.errors import InvalidInput, InvalidState, NotFound
from participatie.identity import normalize_postcode
from participatie.polls.context import PollsPart, row_to_poll
from participatie.polls.errors import PollClosed, PollLocked
from participatie.polls.models import (
    CANCELLED,
    CLOSED,
    DRAFT,
    OPEN,
    PUBLISHED,
    SCHEDULED,
    OptionRow,
    PollRow,
)
from participatie.polls.names import refuse_lookalike_names
from participatie.polls.schemas import Poll, PollIn, PollUpdate


class Lifecycle(PollsPart):
    """From draft to published (or cancelled)."""

    def create(self, data: PollIn, *, actor: str, session: Session | None = None) -> Poll:
        """A new poll in ``draft``. Checks the rule's settings and names the bad field;
        nothing is written when one is refused.

        Args:
            data: title, question, explanation, the options (at least two, at most
                ``Settings.polls.max_options``; names differing only in accents or case
                count as one), the counting rule, seats, ``max_choices``, ``points``
                (``cumulative``; default ``Settings.polls.default_points``), eligibility
                (``codes``, ``email``, ``host``, ``open``), ballots per code, vote
                changing, precedence, tie-break, the wijk codes and postcodes (PC4 like
                ``"9742"`` or full) it is limited to, and ``opens_at``/``closes_at``
                (timezone-aware).
            actor: who creates the poll (audit log).
            session: the host's SQLAlchemy session to work in (the library only
                flushes); without it the call commits on its own.

        Returns:
            Poll: the new poll in state ``draft``.

        Raises:
            InvalidInput: ``input.invalid``, field ``options`` (too many, or two alike),
                ``seats`` (not fewer than the options), ``max_choices`` (more than the
                options, or other than 1 for ``plurality``), ``ballots_per_code`` (more
                than 1 with vote changing, paper precedence or a poll without codes),
                ``opens_at``/``closes_at`` (no time zone, closing before opening, or a
                closing time already passed) or ``area_codes`` (no such wijk).
            InvalidPostcode: ``input.postcode``, field ``postcodes``.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        settings = self.context.p.settings.polls
        names = [o.name for o in data.options]
        self._check_options(names)
        if data.seats >= len(names):
            raise InvalidInput("there must be more options than seats", field="seats")
        max_choices = self._max_choices(data.rule, data.max_choices, len(names))
        if (data.allow_change or data.precedence != "first") and data.ballots_per_code != 1:
            raise InvalidInput(
                "changing a vote needs one ballot per code", field="ballots_per_code"
            )
        if data.eligibility not in ("codes",) and data.ballots_per_code != 1:
            raise InvalidInput(
                "ballots per code only applies to code polls", field="ballots_per_code"
            )
        postcodes = [self._pc_restriction(pc) for pc in data.postcodes]
        self._check_times(data.opens_at, data.closes_at, new_close=True)
        with self.context.p.unit_of_work(session) as s:
            for code in data.area_codes:
                try:
                    self.context.p.areas.get(code, session=s)
                except NotFound:
                    raise InvalidInput(f"no wijk {code!r}", field="area_codes") from None
            row = PollRow(
                title=data.title.strip(),
                question=data.question.strip(),
                explanation=data.explanation,
                rule=data.rule,
                seats=data.seats,
                max_choices=max_choices,
                points=(data.points or settings.default_points) if data.rule == "cumulative" else 0,
                allow_blank=data.allow_blank,
                eligibility=data.eligibility,
                ballots_per_code=data.ballots_per_code,
                allow_change=data.allow_change,
                precedence=data.precedence,
                tie_break=data.tie_break,
                lot_seed=data.lot_seed,
                area_codes=[c.strip().lower() for c in data.area_codes],
                postcodes=postcodes,
                eligible_count=data.eligible_count,
                state=DRAFT,
                opens_at=data.opens_at,
                closes_at=data.closes_at,
                created_at=self.context.p.clock.now(),
                created_by=actor,
                conflicts=0,
            )
            for position, option in enumerate(data.options, start=1):
                row.options.append(
                    OptionRow(position=position, name=option.name, description=option.description)
                )
            s.add(row)
            s.flush()
            self.context.audit(
                s,
                actor,
                "poll.created",
                row,
                {"title": row.title, "rule": row.rule, "seats": row.seats, "options": names},
            )
            return row_to_poll(row)

    @staticmethod
    def _max_choices(rule: str, wanted: int | None, n: int) -> int:
        if rule == "plurality":
            if wanted not in (None, 1):
                raise InvalidInput("plurality allows exactly one choice", field="max_choices")
            return 1
        if wanted is not None and wanted > n:
            raise InvalidInput(
                f"max_choices {wanted} is more than the {n} options", field="max_choices"
            )
        return wanted or n

    @staticmethod
    def _pc_restriction(value: str) -> str:
        text = value.strip()
        if len(text) == 4 and text.isdigit() and text[0] != "0":
            return text
        return normalize_postcode(text, field="postcodes")

    def _check_times(
        self, opens_at: datetime | None, closes_at: datetime | None, *, new_close: bool
    ) -> None:
        """Times with a time zone, closing after opening; a closing time being set now
        (``new_close``) must lie ahead: a poll that closed before it was saved could
        never be opened."""

        for name, value in (("opens_at", opens_at), ("closes_at", closes_at)):
            if value is not None and value.tzinfo is None:
                raise InvalidInput("give a time with a time zone", field=name)
        if opens_at and closes_at and closes_at <= opens_at:
            raise InvalidInput("the poll must close after it opens", field="closes_at")
        if new_close and closes_at is not None and closes_at <= self.context.p.clock.now():
            raise InvalidInput("the closing time has passed already", field="closes_at")

    def get(self, poll_id: uuid.UUID | str, *, session: Session | None = None) -> Poll:
        """One poll.

        Args:
            poll_id: the poll's id (a UUID or its text).
            session: the host's SQLAlchemy session to read in; without it, one of its own.

        Returns:
            Poll: the poll with its options, rule, state and times (UTC).

        Raises:
            PollNotFound: ``poll.not_found``, field ``poll`` (also for text that is not
                a UUID).
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        with self.context.p.unit_of_work(session, readonly=True) as s:
            return row_to_poll(self.context.load(s, poll_id))

    def list(self, *, state: str | None = None, session: Session | None = None) -> list[Poll]:
        """The polls, oldest first.

        Args:
            state: only polls in this state (``draft``, ``scheduled``, ``open``,
                ``closed``, ``published``, ``cancelled``); None: all.
            session: the host's SQLAlchemy session to read in; without it, one of its own.

        Returns:
            list[Poll]: by creation time; empty when none match (an unknown state
            matches none).

        Raises:
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        with self.context.p.unit_of_work(session, readonly=True) as s:
            query = select(PollRow).order_by(PollRow.created_at, PollRow.id)
            if state is not None:
                query = query.where(PollRow.state == state)
            return [row_to_poll(r) for r in s.execute(query).scalars()]

    def _check_options(self, names: Sequence[str]) -> None:
        """The rules every list of options follows, when a poll is made and when changed:
        no two alike, at most ``Settings.polls.max_options``."""

        refuse_lookalike_names([*names])
        most = self.context.p.settings.polls.max_options
        if len(names) > most:
            raise InvalidInput(f"a poll has at most {most} options", field="options")

    def update(
        self,
        poll_id: uuid.UUID | str,
        data: PollUpdate,
        *,
        actor: str,
        session: Session | None = None,
    ) -> Poll:
        """Edit a draft or scheduled poll; once open only ``explanation`` may change.

        Only the fields set in ``data`` change. New options replace all options; the
        before and after values go to the audit log.

        Args:
            poll_id: the poll's id (a UUID or its text).
            data: the fields to change (title, question, explanation, options, seats,
                ``max_choices``, tie-break, ``eligible_count``, ``opens_at``,
                ``closes_at``).
            actor: who edits (audit log).
            session: the host's SQLAlchemy session to work in (the library only
                flushes); without it the call commits on its own.

        Returns:
            Poll: the poll as it is now.

        Raises:
            PollNotFound: ``poll.not_found``.
            PollClosed: ``poll.closed``, field ``state``: the poll has ended.
            PollLocked: ``poll.locked``, the poll is open and a field other than
                ``explanation`` was given (the field names the first).
            InvalidInput: ``input.invalid``, field ``options`` (two alike), ``seats``,
                ``max_choices``, ``opens_at`` or ``closes_at``, as for ``create``.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        changes = data.model_dump(exclude_unset=True)
        with self.context.p.unit_of_work(session) as s:
            row = self.context.load(s, poll_id, lock=True)
            if row.state in (CLOSED, PUBLISHED, CANCELLED):
                raise PollClosed("the poll has ended and cannot be edited", field="state")
            if row.state == OPEN:
                locked = sorted(k for k in changes if k != "explanation")
                if locked:
                    raise PollLocked(
                        f"{', '.join(locked)} cannot change while the poll is open",
                        field=locked[0],
                    )
            before: dict[str, Any] = {}
            if "options" in changes and data.options is not None:
                self._check_options([o.name for o in data.options])
                before["options"] = [o.name for o in row.options]
                row.options.clear()
                s.flush()
                for position, option in enumerate(data.options, start=1):
                    row.options.append(
                        OptionRow(
                            position=position, name=option.name, description=option.description
                        )
                    )
            n = len(row.options)
            seats = data.seats if data.seats is not None else row.seats
            if seats >= n:
                raise InvalidInput("there must be more options than seats", field="seats")
            if "max_choices" in changes or "options" in changes:
                row.max_choices = self._max_choices(row.rule, data.max_choices, n)
            opens_at = changes.get("opens_at", row.opens_at)
            closes_at = changes.get("closes_at", row.closes_at)
            self._check_times(opens_at, closes_at, new_close="closes_at" in changes)
            for key in (
                "title",
                "question",
                "explanation",
                "seats",
                "tie_break",
                "eligible_count",
                "opens_at",
                "closes_at",
            ):
                if key in changes:
                    before[key] = getattr(row, key)
                    setattr(row, key, changes[key])
            s.flush()
            self.context.audit(
                s,
                actor,
                "poll.updated",
                row,
                {"before": before, "after": data.model_dump(mode="json", exclude_unset=True)},
            )
            return row_to_poll(row)

    def schedule(
        self, poll_id: uuid.UUID | str, *, actor: str, session: Session | None = None
    ) -> Poll:
        """Fix the poll for opening at ``opens_at`` (the job ``polls.open_close`` opens it).

        Args:
            poll_id: the poll's id.
            actor: who schedules (audit log).
            session: the host's SQLAlchemy session to work in (the library only
                flushes); without it the call commits on its own.

        Returns:
            Poll: the poll in state ``scheduled``.

        Raises:
            PollNotFound: ``poll.not_found``.
            InvalidState: ``state.invalid``, the poll is not a draft.
            InvalidInput: ``input.invalid``, ``opens_at`` or ``closes_at`` missing, or the
                closing time has passed.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        with self.context.p.unit_of_work(session) as s:
            row = self.context.load(s, poll_id, lock=True)
            if row.state != DRAFT:
                raise InvalidState(f"a {row.state} poll cannot be scheduled", field="state")
            if row.opens_at is None or row.closes_at is None:
                raise InvalidInput(
                    "set opens_at and closes_at before scheduling",
                    field="opens_at" if row.opens_at is None else "closes_at",
                )
            if row.closes_at <= self.context.p.clock.now():
                raise InvalidInput("the closing time has passed already", field="closes_at")
            self._fix_rule(row)
            row.state = SCHEDULED
            s.flush()
            self.context.audit(
                s,
                actor,
                "poll.scheduled",
                row,
                {"opens_at": row.opens_at, "closes_at": row.closes_at, **self._rule_data(row)},
            )
            return row_to_poll(row)

    def _fix_rule(self, row: PollRow) -> None:
        if row.tie_break == "lot" and not row.lot_seed:
            row.lot_seed = secrets.token_hex(16)
        if keeps_links(row) and row.link_secret is None:
            row.link_secret = secrets.token_hex(32)

    @staticmethod
    def _rule_data(row: PollRow) -> dict[str, Any]:
        return {
            "rule": row.rule,
            "seats": row.seats,
            "max_choices": row.max_choices,
            "points": row.points,
            "tie_break": row.tie_break,
            "lot_seed": row.lot_seed,
            "eligibility": row.eligibility,
            "precedence": row.precedence,
            "allow_change": row.allow_change,
        }

    def open(self, poll_id: uuid.UUID | str, *, actor: str, session: Session | None = None) -> Poll:
        """Open voting now (a draft or scheduled poll).

        Args:
            poll_id: the poll's id.
            actor: who opens (audit log).
            session: the host's SQLAlchemy session to work in (the library only
                flushes); without it the call commits on its own.

        Returns:
            Poll: the poll in state ``open``.

        Raises:
            PollNotFound: ``poll.not_found``.
            InvalidState: ``state.invalid``, the poll is not a draft or scheduled.
            InvalidInput: ``input.invalid``, field ``closes_at``: the closing time passed.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        with self.context.p.unit_of_work(session) as s:
            row = self.context.load(s, poll_id, lock=True)
            self._open_row(s, row, actor)
            return row_to_poll(row)

    def _open_row(self, s: Session, row: PollRow, actor: str) -> None:
        if row.state not in (DRAFT, SCHEDULED):
            raise InvalidState(f"a {row.state} poll cannot be opened", field="state")
        now = self.context.p.clock.now()
        if row.closes_at is not None and row.closes_at <= now:
            raise InvalidInput("the closing time has passed already", field="closes_at")
        self._fix_rule(row)
        row.state = OPEN
        row.opened_at = now
        s.flush()
        self.context.audit(s, actor, "poll.opened", row, self._rule_data(row))


def keeps_links(poll: PollRow) -> bool:
    """Whether ballots keep a keyed link to their credential: to change a vote, or for
    paper that may take precedence over an earlier online vote."""

    return poll.allow_change or poll.precedence != "first"


def publication_began(row: PollRow) -> bool:
    """Whether paper must wait: publication began in a poll whose paper may take
    precedence over an online vote, so the links that precedence needs are going."""

    return row.state == CLOSED and row.precedence != "first" and row.link_secret is None


__all__ = ["Lifecycle", "keeps_links", "publication_began"]
