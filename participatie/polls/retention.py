"""Retention in the polls module: who could vote (keyed hashes of addresses, e-mail
addresses and host identities) and the voting links mailed, some months after a poll ends.

Ballots hold no personal data; counts, trackers and the tally stay.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from participatie.jobs import Steps
from participatie.polls.context import SUBJECT
from participatie.polls.models import (
    CANCELLED,
    CLOSED,
    PUBLISHED,
    CredentialRow,
    PaperEntryRow,
    PollRow,
)

if TYPE_CHECKING:
    from participatie.engine import Participatie

#: Prefix of a credential key that no longer derives from a person (unique per poll).
ERASED_KEY = "erased:"
#: Credentials rewritten per step (one transaction).
BATCH = 1000
#: Mailed voting links blanked per step (``Outbox.erase_messages`` takes 500 at most).
MESSAGES_PER_STEP = 500


def register(p: Participatie) -> None:
    p.jobs.register_stepped(
        "polls.retention",
        run,
        every=timedelta(days=1),
        description="remove keyed hashes of voters and mailed voting links after a poll ends",
    )


def run(p: Participatie, now: datetime) -> dict[str, int]:
    """Erase who could vote in the polls that ended ``personal_data_after`` ago: the
    keyed hashes of e-mail addresses and host identities, the addresses behind letter
    codes, the codes typed with paper ballots, and the voting links mailed.

    What is left to erase is read first, without a lock; then it is erased in steps
    (``jobs.Steps``), each its own transaction: ``BATCH`` credentials, or
    ``MESSAGES_PER_STEP`` messages, at a time, so a poll of 100,000 e-mail voters does
    not hold SQLite's write lock for seconds. A run stopped half-way leaves the rest to
    the next, which finds it by what is not yet erased.

    Returns:
        dict[str, int]: ``polls``, ``credentials`` and ``messages`` erased.
    """

    cutoff = now - p.settings.polls.personal_data_after
    ended = func.coalesce(PollRow.closed_at, PollRow.cancelled_at)
    with p.unit_of_work(readonly=True) as s:
        polls = list(
            s.execute(
                select(PollRow.id).where(
                    PollRow.state.in_((CLOSED, PUBLISHED, CANCELLED)), ended <= cutoff
                )
            ).scalars()
        )
    steps = Steps(p)
    credentials = messages = 0
    for poll_id in polls:
        with p.unit_of_work(readonly=True) as s:
            personal = _personal_credentials(s, poll_id)
        for start in range(0, len(personal), BATCH):
            with steps.step() as s:
                s.execute(update(CredentialRow), personal[start : start + BATCH])
        credentials += len(personal)
        with steps.step() as s:
            s.execute(
                update(PaperEntryRow)
                .where(PaperEntryRow.poll_id == poll_id, PaperEntryRow.code_hash.is_not(None))
                .values(code_hash=None)
                .execution_options(synchronize_session=False)
            )
        # The voting links went to e-mail addresses.
        with p.unit_of_work(readonly=True) as s:
            mailed = p.outbox.erasable(s, subject_type=SUBJECT, subject_ids=[poll_id])
        for start in range(0, len(mailed), MESSAGES_PER_STEP):
            with steps.step() as s:
                messages += p.outbox.erase_messages(s, mailed[start : start + MESSAGES_PER_STEP])
    return {"polls": len(polls), "credentials": credentials, "messages": messages}


def _personal_credentials(session: Session, poll_id: Any) -> list[dict[str, Any]]:
    """The changes that erase what a poll's credentials still say of a person: e-mail
    and host credentials get a key made of the row's own random id, every credential
    loses its address hash (a letter code identifies no one once that is gone)."""

    personal = or_(
        CredentialRow.address_hash.is_not(None),
        CredentialRow.kind.in_(("email", "host"))
        & CredentialRow.key_hash.not_like(ERASED_KEY + "%"),
    )
    rows = session.execute(
        select(CredentialRow.id, CredentialRow.kind, CredentialRow.key_hash).where(
            CredentialRow.poll_id == poll_id, personal
        )
    ).all()
    return [
        {
            "id": r.id,
            "address_hash": None,
            "key_hash": ERASED_KEY + r.id.hex if r.kind in ("email", "host") else r.key_hash,
        }
        for r in rows
    ]
