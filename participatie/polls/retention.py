"""Retention in the polls module: who could vote (keyed hashes of addresses, e-mail
addresses and host identities) and the voting links mailed, some months after a poll ends.

Ballots hold no personal data; counts, trackers and the tally stay.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

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
#: Credentials rewritten per statement.
BATCH = 1000


def register(p: Participatie) -> None:
    p.jobs.register(
        "polls.retention",
        run,
        every=timedelta(days=1),
        description="remove keyed hashes of voters and mailed voting links after a poll ends",
    )


def run(p: Participatie, session: Session, now: datetime) -> dict[str, int]:
    cutoff = now - p.settings.polls.personal_data_after
    ended = func.coalesce(PollRow.closed_at, PollRow.cancelled_at)
    polls = list(
        session.execute(
            select(PollRow.id).where(
                PollRow.state.in_((CLOSED, PUBLISHED, CANCELLED)), ended <= cutoff
            )
        ).scalars()
    )
    credentials = messages = 0
    for poll_id in polls:
        # E-mail and host credentials are keyed hashes of a person: replace them by a key
        # made of the row's own random id. Letter codes identify no one once the address
        # hash is gone.
        personal = or_(
            CredentialRow.address_hash.is_not(None),
            CredentialRow.kind.in_(("email", "host"))
            & CredentialRow.key_hash.not_like(ERASED_KEY + "%"),
        )
        while True:
            rows = session.execute(
                select(CredentialRow.id, CredentialRow.kind, CredentialRow.key_hash)
                .where(CredentialRow.poll_id == poll_id, personal)
                .limit(BATCH)
            ).all()
            if not rows:
                break
            changes: list[dict[str, Any]] = [
                {
                    "id": r.id,
                    "address_hash": None,
                    "key_hash": ERASED_KEY + r.id.hex
                    if r.kind in ("email", "host")
                    else r.key_hash,
                }
                for r in rows
            ]
            session.execute(update(CredentialRow), changes)
            credentials += len(changes)
        session.execute(
            update(PaperEntryRow)
            .where(PaperEntryRow.poll_id == poll_id, PaperEntryRow.code_hash.is_not(None))
            .values(code_hash=None)
            .execution_options(synchronize_session=False)
        )
        # The voting links went to e-mail addresses.
        messages += p.outbox.erase(session, subject_type=SUBJECT, subject_ids=[poll_id])
    return {"polls": len(polls), "credentials": credentials, "messages": messages}
