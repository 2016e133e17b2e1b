"""Retention of the people behind a petition: creators and co-initiators in every state,
desk notes, trending keys and blocked addresses, beyond what ``jobs.anonymise`` covers.

``jobs.anonymise`` handles signatures and addresses of petitions that ran (or were
rejected or withdrawn). This room gives an end date to what it leaves: petitions that
never got past the desk, and the names that stay public for a while after anonymisation.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from participatie.petitions.models import (
    COINITIATORS,
    DRAFT,
    REJECTED,
    SUBMITTED,
    WITHDRAWN,
    CoinitiatorRow,
    PaperBatchRow,
    PetitionRow,
    RuleRow,
    TrendRow,
)
from participatie.reactions.redaction import name_pattern, redact

if TYPE_CHECKING:
    from participatie.engine import Participatie

#: Outbox keys and subjects that hold a (truncated) keyed hash of an e-mail address.
PRIVACY_KEY = "petition-privacy:"
HOUSEHOLD_KEY = "petition-household:"
PRIVACY_SUBJECT = "privacy_request"


def register(p: Participatie) -> None:
    p.jobs.register(
        "petitions.retention",
        run,
        every=timedelta(days=1),
        description="remove creators' names and addresses of petitions that never opened, "
        "names of anonymised petitions, trending keys and old blocked addresses",
    )


def run(p: Participatie, session: Session, now: datetime) -> dict[str, int]:
    settings = p.settings.petitions
    unpublished = 0
    # Never opened: the creator's name was never public, it goes with the address.
    rows = session.execute(
        select(PetitionRow).where(
            PetitionRow.opens_at.is_(None),
            or_(PetitionRow.creator_name != "", PetitionRow.creator_email.is_not(None)),
            or_(
                # The creator never confirmed the address.
                (PetitionRow.status == DRAFT)
                & (PetitionRow.created_at <= now - settings.delete_unconfirmed_after),
                # Left waiting (co-initiators, moderation), refused or withdrawn.
                (PetitionRow.status.in_((COINITIATORS, SUBMITTED, REJECTED, WITHDRAWN)))
                & (PetitionRow.updated_at <= now - settings.anonymise_after),
            ),
        )
    ).scalars()
    for row in rows:
        remove_people(p, session, row, now, reason="never_opened")
        unpublished += 1
    # Opened: the name was public; it stays a while after the anonymisation, then goes.
    published = 0
    rows = session.execute(
        select(PetitionRow).where(
            PetitionRow.opens_at.is_not(None),
            PetitionRow.anonymised_at <= now - settings.names_after,
            PetitionRow.creator_name != "",
        )
    ).scalars()
    for row in rows:
        remove_people(p, session, row, now, reason="names_after")
        published += 1
    # Trending keys (keyed IP hashes, mail domains) serve the desk while a petition runs.
    anonymised = select(PetitionRow.id).where(PetitionRow.anonymised_at.is_not(None))
    trends = session.execute(
        delete(TrendRow)
        .where(TrendRow.petition_id.in_(anonymised))
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    blocked = session.execute(
        delete(RuleRow)
        .where(
            RuleRow.kind == "block_address",
            RuleRow.created_at <= now - settings.blocked_address_after,
        )
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    if blocked:
        p.audit.record(
            session,
            actor="system",
            action="petition.rules_expired",
            subject_type="petition_rule",
            subject_id="batch",
            data={"block_address": int(blocked)},
        )
    # Keys of mails about an address carry a keyed hash of it; once the message itself
    # has expired, "never twice" no longer needs them.
    hashed_keys = _forget_hashed_keys(session, now - p.settings.retention.outbox_messages)
    return {
        "hashed_mail_keys": hashed_keys,
        "never_opened": unpublished,
        "names_removed": published,
        "trends": int(trends or 0),
        "blocked_addresses": int(blocked or 0),
    }


def remove_people(
    p: Participatie, session: Session, row: PetitionRow, now: datetime, *, reason: str
) -> None:
    """Remove the creator and co-initiators from a petition and from its texts."""

    from participatie.petitions.privacy import erase_messages

    coinitiators = list(
        session.execute(select(CoinitiatorRow).where(CoinitiatorRow.petition_id == row.id))
        .scalars()
        .all()
    )
    names = name_pattern([row.creator_name, *(c.name or "" for c in coinitiators)])
    row.title = _redact(row.title, names, 200)
    row.summary = _redact(row.summary, names)
    row.body = _redact(row.body, names)
    for note in ("reject_note", "hidden_reason", "handed_over_note"):
        value = getattr(row, note)
        if value:
            setattr(row, note, _redact(value, names, 500 if note == "hidden_reason" else None))
    row.creator_name = ""
    row.creator_email = None
    row.creator_email_hash = None
    for co in coinitiators:
        co.name = co.email = co.email_hash = co.mailbox_hash = None
    for batch in session.execute(
        select(PaperBatchRow).where(
            PaperBatchRow.petition_id == row.id, PaperBatchRow.note.is_not(None)
        )
    ).scalars():
        batch.note = _redact(batch.note or "", names)
    session.flush()
    erase_messages(session, address=None, subject_ids=[str(row.id)])
    p.audit.record(
        session,
        actor="system",
        action="petition.people_removed",
        subject_type="petition",
        subject_id=row.id,
        data={"reason": reason, "status": row.status, "coinitiators": len(coinitiators)},
    )


def _forget_hashed_keys(session: Session, cutoff: datetime) -> int:
    from participatie.outbox.models import OutboxMessageRow as Row

    result = session.execute(
        update(Row)
        .where(
            Row.created_at < cutoff,
            or_(
                Row.dedupe_key.like(PRIVACY_KEY + "%"),
                Row.dedupe_key.like(HOUSEHOLD_KEY + "%"),
                (Row.subject_type == PRIVACY_SUBJECT) & Row.subject_id.is_not(None),
            ),
        )
        .values(dedupe_key=None, subject_id=None)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _redact(text: str, names: re.Pattern[str] | None, limit: int | None = None) -> str:
    out = redact(text, names)
    return out[:limit] if limit is not None else out
