"""Notices to submitters: who is written to, e-mails through the outbox, letters waiting
to be printed, the acknowledgement of receipt, and the facade's letters and dispatch list.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from participatie.exports.files import Output, output_files
from participatie.outbox.models import OutboxMessageRow
from participatie.reactions.context import ReactionContext, ReactionsPart
from participatie.reactions.models import DispatchRow, DossierRow, ReactionRow, SubmitterRow
from participatie.reactions.outputs import postal
from participatie.reactions.schemas import Dispatch, LetterBatch


def recipients(ctx: ReactionContext, submitters: Sequence[SubmitterRow]) -> list[SubmitterRow]:
    # Awb art. 3:44 lid 1 sub b: with more than five signatories, the first five.
    ordered = sorted(submitters, key=lambda sub: sub.position)
    return ordered[: ctx.settings.max_recipients_per_reaction]


def notice_context(
    ctx: ReactionContext, dossier: DossierRow, reaction: ReactionRow
) -> dict[str, Any]:
    """What every notice about a reaction says, by e-mail or by letter."""

    return {
        "dossier_title": dossier.title,
        "number": reaction.number,
        "received_on": ctx.local_date(reaction.received_at),
        "answer_due": reaction.answer_due,
        "late": reaction.late,
        "official": dossier.responsible_official,
        "dossier_url": ctx.p.url("dossier", dossier=dossier.id),
    }


def acknowledge(
    ctx: ReactionContext,
    s: Session,
    dossier: DossierRow,
    reaction: ReactionRow,
    submitters: Sequence[SubmitterRow],
) -> int:
    """E-mail the receipt to each recipient with an address, or queue a letter for a
    postal-only one; returns the e-mails."""

    emails = 0
    context = notice_context(ctx, dossier, reaction)
    for sub in recipients(ctx, submitters):
        key = f"reactions:ack:{sub.id}"
        if sub.email:
            send_email(
                ctx,
                s,
                dossier,
                reaction,
                sub,
                "acknowledgement",
                "reactions_acknowledgement",
                context,
                key,
            )
            emails += 1
        elif postal(sub):
            pending_letter(ctx, s, dossier, reaction, sub, "acknowledgement", key, {})
    if emails:
        reaction.acknowledged_at = ctx.now()
    return emails


def send_email(
    ctx: ReactionContext,
    s: Session,
    dossier: DossierRow,
    reaction: ReactionRow,
    sub: SubmitterRow,
    kind: str,
    template: str,
    context: dict[str, Any],
    key: str,
    known: set[str] | None = None,
) -> bool:
    """Queue one e-mail and record its dispatch; False when it went out before.

    ``known``: the dispatch keys a batch loaded up front, saving a query per message
    (the unique index on the key still decides).
    """

    if known is not None:
        if key in known:
            return False
    elif s.execute(select(DispatchRow.id).where(DispatchRow.dedupe_key == key)).first():
        return False
    values = {**context, "name": sub.name}
    outbox_id = ctx.p.outbox.enqueue(
        s,
        to=sub.email or "",
        template=template,
        context=values,
        locale=sub.locale,
        dedupe_key=key,
        subject_type="reactions_submitter",
        subject_id=sub.id,
    )
    if outbox_id is None:  # the outbox had this key already: sent before
        return False
    # The message was rendered once, by the outbox: hash exactly what will be sent.
    message = s.get(OutboxMessageRow, outbox_id)
    body = f"{message.subject}\n\n{message.text_body}" if message else ""
    now = ctx.now()
    s.add(
        _dispatch(
            dossier,
            reaction,
            sub,
            kind,
            key,
            now,
            channel="email",
            status="sent",
            sent_at=now,
            sha256=hashlib.sha256(body.encode()).hexdigest(),
            outbox_id=outbox_id,
            data={},
        )
    )
    return True


#: A delay letter never printed because the answer went out first.
SUPERSEDED = "superseded"


def pending_letter(
    ctx: ReactionContext,
    s: Session,
    dossier: DossierRow,
    reaction: ReactionRow,
    sub: SubmitterRow,
    kind: str,
    key: str,
    data: dict[str, Any],
    *,
    channel: str = "letter",
) -> bool:
    """Record a letter to print (or, with ``channel="publication"``, a notice given by
    publication); False when it was recorded before."""

    if s.execute(select(DispatchRow.id).where(DispatchRow.dedupe_key == key)).first():
        return False
    if kind == "feedback":
        # The answer replaces a delay notice still waiting to be printed: the resident
        # gets the answer, not "our answer comes later" in the same envelope.
        s.execute(
            update(DispatchRow)
            .where(
                DispatchRow.reaction_id == reaction.id,
                DispatchRow.kind == "delay",
                DispatchRow.status == "pending",
            )
            .values(status=SUPERSEDED)
        )
    now = ctx.now()
    s.add(
        _dispatch(
            dossier,
            reaction,
            sub,
            kind,
            key,
            now,
            channel=channel,
            status="pending" if channel == "letter" else "sent",
            sent_at=None if channel == "letter" else now,
            data=data,
        )
    )
    return True


def _dispatch(
    dossier: DossierRow,
    reaction: ReactionRow,
    sub: SubmitterRow,
    kind: str,
    key: str,
    now: datetime,
    **fields: Any,
) -> DispatchRow:
    return DispatchRow(
        dossier_id=dossier.id,
        reaction_id=reaction.id,
        submitter_id=sub.id,
        kind=kind,
        dedupe_key=key,
        created_at=now,
        **fields,
    )


class Letters(ReactionsPart):
    """Printing the letters that wait, and the list of what was sent."""

    def write_letters(
        self,
        dossier_id: uuid.UUID,
        out: Output,
        *,
        kind: str | None = None,
        pdf: bool = True,
        actor: str,
        session: Session | None = None,
    ) -> LetterBatch:
        """Print every pending letter (postal-only submitters) as HTML, one print file, and
        PDF (PDF/A-2U); records each dispatch as sent with the SHA-256 of its document.

        Each letter is written as it is rendered. A folder gets the files; a binary file
        gets one ZIP archive of the same files, streamed.

        Args:
            dossier_id: the dossier's id.
            out: a folder path (made when missing; an existing one must be empty) or a
                binary file for one ZIP archive (written to and flushed, not closed).
            kind: only ``acknowledgement``, ``delay`` or ``feedback`` letters; None: all.
            pdf: also write the PDF (needs the ``reports`` extra).
            actor: who does it (audit log).
            session: the host's SQLAlchemy session to work in (the library only
                flushes); without it the call commits on its own.

        Returns:
            LetterBatch: the kind, the number of letters, the file names, the print file
            and the PDF (None when nothing waited; the folder or ZIP is then empty).

        Raises:
            DossierNotFound: ``dossier.not_found``, field ``dossier_id``.
            InvalidInput: ``input.invalid``, field ``out``: the folder is not empty, or
                ``out`` is neither a path nor a binary file.
            MissingExtra: ``extra.missing``, ``pdf`` without typst installed (checked
                before anything is written).
            OSError: the folder could not be written.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was recorded.
        """

        from participatie.reactions import letters

        with self._ctx.p.unit_of_work(session) as s:
            dossier = self._ctx.dossier(s, dossier_id, lock=True)
            with output_files(out, when=self._ctx.now()) as files:
                batch = letters.generate(self._ctx, s, dossier, files, kind=kind, pdf=pdf)
            if batch.letters:
                self._ctx.audit(
                    s,
                    actor,
                    "reactions.letters_generated",
                    dossier.id,
                    kind=kind,
                    letters=batch.letters,
                    print_file=batch.print_file,
                )
            return batch

    def pending_letters(
        self, dossier_id: uuid.UUID, *, session: Session | None = None
    ) -> dict[str, int]:
        """Letters waiting to be printed, by kind (acknowledgement, delay, feedback).

        Args:
            dossier_id: the dossier's id; an unknown one has none.
            session: the host's SQLAlchemy session to read in; without it, one of its own.

        Returns:
            dict[str, int]: ``acknowledgement``, ``delay`` and ``feedback``, 0 when none.

        Raises:
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        with self._ctx.p.unit_of_work(session, readonly=True) as s:
            counts = dict.fromkeys(("acknowledgement", "delay", "feedback"), 0)
            for kind, count in s.execute(
                select(DispatchRow.kind, func.count())
                .where(
                    DispatchRow.dossier_id == dossier_id,
                    DispatchRow.channel == "letter",
                    DispatchRow.status == "pending",
                )
                .group_by(DispatchRow.kind)
            ).all():
                counts[kind] = int(count)
            return counts

    def dispatches(
        self, dossier_id: uuid.UUID, *, session: Session | None = None
    ) -> list[Dispatch]:
        """What was sent: every acknowledgement, delay notice and feedback that went out.

        Args:
            dossier_id: the dossier's id; an unknown one has none.
            session: the host's SQLAlchemy session to read in; without it, one of its own.

        Returns:
            list[Dispatch]: by reaction number and time, each with kind, channel
            (``email``, ``letter``, ``publication``), time sent and the SHA-256 of what
            was sent.

        Raises:
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        with self._ctx.p.unit_of_work(session, readonly=True) as s:
            rows = s.execute(
                select(DispatchRow, ReactionRow.number)
                .join(ReactionRow, ReactionRow.id == DispatchRow.reaction_id)
                .where(DispatchRow.dossier_id == dossier_id, DispatchRow.status == "sent")
                .order_by(ReactionRow.number, DispatchRow.created_at)
            ).all()
            return [
                Dispatch(
                    id=row.id,
                    reaction_id=row.reaction_id,
                    reaction_number=number,
                    submitter_id=row.submitter_id,
                    kind=row.kind,
                    channel=row.channel,
                    sent_at=row.sent_at or row.created_at,
                    sha256=row.sha256 or "",
                    document=row.document,
                )
                for row, number in rows
            ]
