"""Counters on the poll row: each changes in the statement that changes it (rule 13),
never by reading the value and writing back one more."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from participatie.polls.models import PollRow


def count_conflict(s: Session, poll: PollRow) -> None:
    """One more cross-channel use of a credential (reported in the reconciliation)."""

    s.execute(
        update(PollRow)
        .where(PollRow.id == poll.id)
        .values(conflicts=PollRow.conflicts + 1)
        .execution_options(synchronize_session=False)
    )
    # The loaded value is stale now: read it again when next needed.
    s.expire(poll, ["conflicts"])


__all__ = ["count_conflict"]
