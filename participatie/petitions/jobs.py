"""Scheduled work of the petitions module, registered on ``p.jobs``: closing at the
deadline, reminders, deleting old unconfirmed signatures, thresholds and anonymisation.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from participatie.petitions import tally
from participatie.petitions.models import (
    ANSWERED,
    CLOSED,
    HANDED_OVER,
    OPEN,
    PENDING,
    REJECTED,
    WITHDRAWN,
    PetitionRow,
    SignatureRow,
)

if TYPE_CHECKING:
    from participatie.engine import Participatie

#: Rows handled per job run; the next run picks up the rest.
BATCH = 2000
#: Signatures anonymised per step of ``petitions.anonymise`` (one transaction each).
ANONYMISE_STEP = 500
#: Petitions checked by ``petitions.verify_counts`` besides the open ones: those whose
#: last change lies within this time (closed, handed over, answered, ...).
RECENT = timedelta(days=90)

log = logging.getLogger("participatie.petitions")


def register(p: Participatie) -> None:
    p.jobs.register(
        "petitions.close_due",
        close_due,
        every=timedelta(minutes=1),
        description="close petitions whose closing time has passed",
    )
    p.jobs.register(
        "petitions.remind_unconfirmed",
        remind_unconfirmed,
        every=timedelta(hours=1),
        description="remind signers who did not confirm after a few days",
    )
    p.jobs.register(
        "petitions.delete_unconfirmed",
        delete_unconfirmed,
        every=timedelta(hours=6),
        description="delete signatures that were never confirmed",
    )
    p.jobs.register(
        "petitions.thresholds",
        thresholds,
        every=timedelta(minutes=5),
        description="catch thresholds crossed by simultaneous confirmations",
    )
    p.jobs.register(
        "petitions.verify_counts",
        verify_counts,
        every=timedelta(days=1),
        description="compare each open or recent petition's counter with its signatures",
    )
    p.jobs.register_stepped(
        "petitions.anonymise",
        anonymise,
        every=timedelta(days=1),
        description="anonymise personal data some months after the answer or closing",
    )
    from participatie.petitions import retention

    retention.register(p)


def close_due(p: Participatie, session: Session, now: datetime) -> int:
    rows = session.execute(
        select(PetitionRow)
        .where(PetitionRow.status == OPEN, PetitionRow.closes_at <= now)
        .with_for_update()
    ).scalars()
    closed = 0
    for row in rows:
        p.petitions.core.close(session, row, "system")
        closed += 1
    return closed


def remind_unconfirmed(p: Participatie, session: Session, now: datetime) -> int:
    settings = p.settings.petitions
    petitions = {
        row.id: row
        for row in session.execute(
            select(PetitionRow).where(PetitionRow.status.in_((OPEN, CLOSED)))
        ).scalars()
    }
    core = p.petitions.core
    sent = 0
    per_petition: dict[str, int] = {}
    for petition_id, row in petitions.items():
        if not core.confirmable(row):
            continue
        pending = session.execute(
            select(SignatureRow)
            .where(
                SignatureRow.petition_id == petition_id,
                SignatureRow.status == PENDING,
                SignatureRow.created_at <= now - settings.remind_after,
                SignatureRow.reminded_at.is_(None),
                SignatureRow.email.is_not(None),
            )
            .limit(BATCH)
        ).scalars()
        mails = []
        for sig in pending:
            sig.reminded_at = now
            mails.append(
                core.confirmation_mail(
                    row,
                    sig,
                    template="petitions_reminder",
                    dedupe_key=f"petition-reminder:{sig.id}",
                )
            )
        # The batch's reminders in one statement (each still once, by its key).
        p.outbox.enqueue_many(session, mails)
        count = len(mails)
        if count:
            per_petition[str(petition_id)] = count
            core.audit(session, "system", "petition.reminders_sent", row, {"count": count})
        sent += count
    return sent


def delete_unconfirmed(p: Participatie, session: Session, now: datetime) -> int:
    cutoff = now - p.settings.petitions.delete_unconfirmed_after
    ids = list(
        session.execute(
            select(SignatureRow.id)
            .where(SignatureRow.status == PENDING, SignatureRow.created_at < cutoff)
            .limit(BATCH)
        ).scalars()
    )
    if not ids:
        return 0
    from participatie.petitions.privacy import erase_messages

    erase_messages(session, address=None, subject_ids=[str(i) for i in ids])
    deleted = tally.delete_pending(session, SignatureRow.id.in_(ids))
    p.audit.record(
        session,
        actor="system",
        action="petition.unconfirmed_deleted",
        subject_type="petition_signature",
        subject_id="batch",
        data={"count": deleted, "created_before": cutoff},
    )
    return deleted


def thresholds(p: Participatie, session: Session, now: datetime) -> int:
    rows = list(
        session.execute(select(PetitionRow).where(PetitionRow.status.in_((OPEN, CLOSED)))).scalars()
    )
    for row in rows:
        p.petitions.core.check_thresholds(session, row)
    return len(rows)


def anonymise(p: Participatie, now: datetime) -> dict[str, Any]:
    """Anonymise the petitions whose answer (or closing, rejection, withdrawal) lies
    ``anonymise_after`` back: pending signatures go, the others keep state, wijk and day;
    the mail about them and the creator's and co-initiators' addresses are erased.

    In steps (``jobs.Steps``), each its own transaction: ``ANONYMISE_STEP`` signatures
    (their mail first) at a time, then the petition itself, which is marked anonymised
    last. A petition of 100,000 signatures does not hold SQLite's write lock for seconds,
    and a run stopped half-way is finished by the next (what is done is not done again).

    Returns:
        dict[str, Any]: per petition id, its signatures, all anonymised now.
    """

    from participatie.jobs import Steps
    from participatie.petitions.models import CoinitiatorRow
    from participatie.petitions.privacy import anonymise_signatures, erase_messages

    cutoff = now - p.settings.petitions.anonymise_after
    with p.unit_of_work(readonly=True) as s:
        due = list(
            s.execute(
                select(PetitionRow.id).where(
                    PetitionRow.anonymised_at.is_(None),
                    or_(
                        (PetitionRow.status == ANSWERED) & (PetitionRow.answered_at <= cutoff),
                        (PetitionRow.status.in_((CLOSED, HANDED_OVER)))
                        & (PetitionRow.closed_at <= cutoff),
                        (PetitionRow.status.in_((REJECTED, WITHDRAWN)))
                        & (PetitionRow.updated_at <= cutoff),
                    ),
                )
            ).scalars()
        )
    steps = Steps(p)
    done: dict[str, Any] = {}
    for petition_id in due:
        with p.unit_of_work(readonly=True) as s:
            left = list(
                s.execute(
                    select(SignatureRow.id).where(
                        SignatureRow.petition_id == petition_id,
                        SignatureRow.anonymised_at.is_(None),
                    )
                ).scalars()
            )
        for start in range(0, len(left), ANONYMISE_STEP):
            chunk = left[start : start + ANONYMISE_STEP]
            with steps.step() as s:
                erase_messages(s, address=None, subject_ids=[str(i) for i in chunk])
                # Pending signatures never counted; they go. The others keep state,
                # area and day.
                tally.delete_pending(s, SignatureRow.id.in_(chunk))
                anonymise_signatures(
                    s, SignatureRow.id.in_(chunk) & SignatureRow.anonymised_at.is_(None), now
                )
        with steps.step() as s:
            # Every signature left is anonymised now, also those of an earlier run that
            # stopped half-way: the count is the petition's, not this run's.
            count = s.execute(
                select(func.count())
                .select_from(SignatureRow)
                .where(SignatureRow.petition_id == petition_id)
            ).scalar_one()
            erase_messages(s, address=None, subject_ids=[str(petition_id)])
            s.execute(
                update(PetitionRow)
                .where(PetitionRow.id == petition_id)
                .values(creator_email=None, creator_email_hash=None, anonymised_at=now)
                .execution_options(synchronize_session=False)
            )
            s.execute(
                update(CoinitiatorRow)
                .where(CoinitiatorRow.petition_id == petition_id)
                .values(email=None, email_hash=None, mailbox_hash=None)
                .execution_options(synchronize_session=False)
            )
            p.audit.record(
                s,
                actor="system",
                action="petition.anonymised",
                subject_type="petition",
                subject_id=petition_id,
                data={"signatures": count},
            )
        done[str(petition_id)] = count
    return done


def verify_counts(p: Participatie, session: Session, now: datetime) -> dict[str, Any]:
    """Check the counter and the tally (counts per state, wijk and day) of every open or
    recently changed petition against its rows.

    A drift is logged, written to the audit log (``petition.count_drift``, both numbers)
    and returned in the job result; it is not corrected. A counter that drifted is
    evidence of a fault, and the griffie decides what to do with it (the signatures are
    the truth; the check says by how much the counter is off).
    """

    from participatie.petitions import counts

    ids = session.execute(
        select(PetitionRow.id)
        .where(
            or_(
                PetitionRow.status.in_((OPEN, CLOSED)),
                PetitionRow.updated_at >= now - RECENT,
            )
        )
        .order_by(PetitionRow.id)
    ).scalars()
    checked = 0
    drifts: dict[str, dict[str, int]] = {}
    for petition_id in list(ids):
        result = counts.check(session, petition_id)
        checked += 1
        if result.ok:
            continue
        log.warning("petition counter drift: %s", result.error.message if result.error else "")
        found: dict[str, Any] = {"counter": result.counter, "rows": result.rows}
        if result.tallies:
            found["tallies"] = [d.model_dump() for d in result.tallies]
        drifts[str(petition_id)] = found
        p.audit.record(
            session,
            actor="system",
            action="petition.count_drift",
            subject_type="petition",
            subject_id=petition_id,
            data=found,
        )
    return {"checked": checked, "drift": drifts}
