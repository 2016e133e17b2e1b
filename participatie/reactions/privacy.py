"""One resident's contact details across every dossier: shown for an access request and
removed for an erasure request (AVG articles 15 and 17).

The reactions themselves stay: a zienswijze is part of the decision's file, which the
municipality must keep (AVG art. 17(3)(b), Archiefwet 1995). What goes is who sent it:
name, address, e-mail, phone, and those details where the reaction's own text carries
them; the wijk stays for the participation figures.
"""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from participatie.identity import normalize_email
from participatie.reactions.context import ReactionsPart
from participatie.reactions.models import DossierRow, ReactionRow, SubmitterRow
from participatie.reactions.outputs import submitter_out
from participatie.reactions.redaction import name_pattern, redact
from participatie.reactions.retention import SUBMITTER_SUBJECT
from participatie.reactions.schemas import SubmitterRecord


class ContactDetails(ReactionsPart):
    """A resident's contact details in every dossier (part of ``p.reactions``)."""

    def contact_details(
        self, email: str, *, session: Session | None = None
    ) -> list[SubmitterRecord]:
        """Every reaction this address signed, with the details stored about its sender,
        oldest first (an access request, AVG art. 15).

        Args:
            email: the address in any spelling (matched case-insensitively).
            session: the host's SQLAlchemy session to read in; without it, one of its own.

        Returns:
            list[SubmitterRecord]: the dossier, time received, channel and the stored
            contact details of each.

        Raises:
            InvalidEmail: ``input.email``, field ``email``.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        address = normalize_email(email, field="email").key
        with self._ctx.p.unit_of_work(session, readonly=True) as s:
            return [
                SubmitterRecord(
                    dossier_id=dossier.id,
                    dossier_title=dossier.title,
                    received_at=reaction.received_at,
                    channel=reaction.channel,
                    submitter=submitter_out(row, reaction.number),
                )
                for row, reaction, dossier in _rows(s, address)
            ]

    def erase_contact_details(
        self, email: str, *, actor: str, session: Session | None = None
    ) -> int:
        """Remove this address's contact details from every reaction it signed, redact its
        name from those reactions' texts and erase the mail sent to it (AVG art. 17). The
        reactions, their numbers, points, answers and wijk stay (art. 17(3)(b)).

        Args:
            email: the address in any spelling (matched case-insensitively).
            actor: who carries the request out (audit log, without the address).
            session: the host's SQLAlchemy session to work in (the library only
                flushes); without it the call commits on its own.

        Returns:
            int: the number of signatories cleared.

        Raises:
            InvalidEmail: ``input.email``, field ``email``.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        address = normalize_email(email, field="email").key
        now = self._ctx.now()
        with self._ctx.p.unit_of_work(session) as s:
            found = list(_rows(s, address))
            cleared: list[uuid.UUID] = []
            for row, reaction, dossier in found:
                names = name_pattern([n for n in (row.name,) if n])
                reaction.text = redact(reaction.text, names)
                row.name = row.email = row.street = row.house_number = None
                row.postcode = row.city = row.phone = None
                row.removed_at = now
                cleared.append(row.id)
                self._ctx.audit(
                    s,
                    actor,
                    "reactions.contact_erased",
                    dossier.id,
                    number=reaction.number,
                    position=row.position,
                )
            s.flush()
            self._ctx.p.outbox.erase(s, subject_type=SUBMITTER_SUBJECT, subject_ids=cleared)
            return len(cleared)


def _rows(s: Session, address: str) -> list[tuple[SubmitterRow, ReactionRow, DossierRow]]:
    query = (
        select(SubmitterRow, ReactionRow, DossierRow)
        .join(ReactionRow, ReactionRow.id == SubmitterRow.reaction_id)
        .join(DossierRow, DossierRow.id == SubmitterRow.dossier_id)
        .where(func.lower(SubmitterRow.email) == address)
        .order_by(ReactionRow.received_at, SubmitterRow.position)
    )
    return [(row, reaction, dossier) for row, reaction, dossier in s.execute(query).all()]
