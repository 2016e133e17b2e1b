"""What the parts of the polls service share: the facade they serve, loading a poll row,
the audit helper, the options kept in memory, and the row-to-schema conversion.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.orm import Session, lazyload, object_session

from participatie.areas import area_for_postcode
from participatie.db import when_committed
from participatie.polls.errors import PollNotFound
from participatie.polls.models import DRAFT, OPEN, SCHEDULED, PollRow
from participatie.polls.schemas import Option, Poll
from participatie.prepared import Prepared

if TYPE_CHECKING:
    from participatie.engine import Participatie

#: The audit log's and the outbox's subject type for a poll.
SUBJECT = "poll"


_POLLS = cast(Table, PollRow.__table__)
_POLL_SHARED = Prepared(
    select(*_POLLS.columns)
    .where(_POLLS.c.id == bindparam("id"))
    .with_for_update(read=True, key_share=True)
)


class PollsContext:
    """One per facade: the library's facade and what the parts keep between calls."""

    def __init__(self, p: Participatie) -> None:
        self.p = p
        # Filled once the transaction that read them commits (``_options_of``).
        self._options: dict[uuid.UUID, tuple[dict[str, int], dict[int, str]]] = {}
        # Open polls as a vote last read them (``open_row``).
        self._open: dict[uuid.UUID, Any] = {}

    def load(
        self,
        s: Session,
        poll_id: uuid.UUID | str,
        *,
        lock: bool = False,
        share: bool = False,
        options: bool = True,
    ) -> PollRow:
        """The poll's row (``PollNotFound`` naming the field ``poll`` if there is none)."""

        key = self._key(poll_id)
        query = select(PollRow).where(PollRow.id == key)
        if not options:
            # Loaded on first use only (casting usually finds them in memory).
            query = query.options(lazyload(PollRow.options))
        if lock:
            query = query.with_for_update()
        elif share:
            query = query.with_for_update(read=True, key_share=True)
        row = s.execute(query).scalar_one_or_none()
        if row is None:
            raise PollNotFound(f"no poll {key}", field="poll")
        return row

    def load_for_vote(self, s: Session, poll_id: uuid.UUID | str) -> PollRow:
        """``load(s, poll_id, share=True, options=False)`` for casting: once the poll's
        options are in memory, its columns only, read by a statement built once (no ORM
        object: every column of ``PollRow`` under its own name, for reading only)."""

        key = self._key(poll_id)
        if key not in self._options:
            return self.load(s, key, share=True, options=False)
        row = _POLL_SHARED.execute(s, {"id": key}).first()
        if row is None:
            raise PollNotFound(f"no poll {key}", field="poll")
        known = self._open.get(key)
        if row.state != OPEN:
            self._open.pop(key, None)
        elif known is None or known.opened_at != row.opened_at:
            # Kept once the reading transaction commits: an opening a host rolls back
            # (or whose session closes unfinished) is never kept.
            when_committed(s, lambda: self._open.__setitem__(key, row))
        return cast(PollRow, row)

    def open_row(self, poll_id: uuid.UUID | str) -> PollRow | None:
        """The row ``load_for_vote`` last read of this poll while it was open, if any.

        While a poll is open nothing in it can change but its state and its counts
        (``update`` refuses every other field), so a vote may check its ballot against
        this row and leave the state to a statement that reads it under the poll's
        shared lock (``combined.CLAIM_IF_OPEN``).
        """

        try:
            key = self._key(poll_id)
        except PollNotFound:
            return None
        return cast(PollRow | None, self._open.get(key))

    @staticmethod
    def _key(poll_id: uuid.UUID | str) -> uuid.UUID:
        try:
            return poll_id if isinstance(poll_id, uuid.UUID) else uuid.UUID(str(poll_id))
        except ValueError:
            raise PollNotFound(f"no poll {poll_id!r}", field="poll") from None

    def audit(
        self,
        s: Session,
        actor: str,
        action: str,
        poll: PollRow,
        data: dict[str, Any],
        head: tuple[int, str] | None = None,
    ) -> None:
        self.p.audit.record(
            s,
            actor=actor,
            action=action,
            subject_type=SUBJECT,
            subject_id=poll.id,
            data=data,
            head=head,
        )

    def option_positions(self, row: PollRow) -> dict[str, int]:
        """Lower-case option name -> position. Options cannot change once a poll is open,
        so from then on they are kept in memory and casting skips that query."""

        return self._options_of(row)[0]

    def option_names(self, row: PollRow) -> dict[int, str]:
        """Position -> option name as written, kept in memory as ``option_positions``."""

        return self._options_of(row)[1]

    def _options_of(self, row: PollRow) -> tuple[dict[str, int], dict[int, str]]:
        """Both views of the poll's options; an open poll's are kept once the transaction
        that read them commits, so an opening rolled back in a host's transaction (the
        options then edited) is never kept."""

        cached = self._options.get(row.id)
        if cached is not None:
            return cached
        found = (
            {o.name.lower(): o.position for o in row.options},
            {o.position: o.name for o in row.options},
        )
        session = object_session(row)
        if row.state in (DRAFT, SCHEDULED) or session is None:
            return found
        poll_id = row.id
        when_committed(session, lambda: self._options.__setitem__(poll_id, found))
        return found


def postcode_allowed(poll: PollRow, session: Session, postcode: str) -> bool:
    """Whether a (normalised) postcode lies in the poll's area; any does if it has none."""

    if not poll.postcodes and not poll.area_codes:
        return True
    if poll.postcodes and any(postcode == pc or postcode[:4] == pc for pc in poll.postcodes):
        return True
    if poll.area_codes:
        area = area_for_postcode(session, postcode)
        if area is not None and area.code in poll.area_codes:
            return True
    return False


def row_to_poll(row: PollRow) -> Poll:
    return Poll(
        id=row.id,
        title=row.title,
        question=row.question,
        explanation=row.explanation,
        options=[
            Option(position=o.position, name=o.name, description=o.description) for o in row.options
        ],
        rule=row.rule,
        seats=row.seats,
        max_choices=row.max_choices,
        points=row.points,
        allow_blank=row.allow_blank,
        eligibility=row.eligibility,
        ballots_per_code=row.ballots_per_code,
        allow_change=row.allow_change,
        precedence=row.precedence,
        tie_break=row.tie_break,
        area_codes=list(row.area_codes or []),
        postcodes=list(row.postcodes or []),
        eligible_count=row.eligible_count,
        state=row.state,
        opens_at=row.opens_at,
        closes_at=row.closes_at,
        opened_at=row.opened_at,
        closed_at=row.closed_at,
        published_at=row.published_at,
        codes_issued_at=row.codes_issued_at,
        indicative=row.eligibility == "open",
    )


class PollsPart:
    """Base of the facade's parts: each reaches what they share through ``context``."""

    def __init__(self, context: PollsContext) -> None:
        self.context = context


__all__ = [
    "SUBJECT",
    "PollsContext",
    "PollsPart",
    "postcode_allowed",
    "row_to_poll",
]
