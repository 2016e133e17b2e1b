"""The end of a petition's road: the hand-over to the council with its list and
document, and the council's answer to the creator and the signers.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from participatie.errors import InvalidInput
from participatie.exports.files import Output
from participatie.outbox.bulk import Mail, Texts
from participatie.petitions.core import Part
from participatie.petitions.models import (
    ANSWERED,
    CLOSED,
    HANDED_OVER,
    OPEN,
    VERIFIED,
    SignatureRow,
)
from participatie.petitions.schemas import (
    ExportResult,
    HandoverDocument,
    Petition,
)
from participatie.petitions.statements import (
    PAGE,
    SIGNATURE,
)
from participatie.retry import retry_transient
from participatie.urls import require_allowed


class Handover(Part):
    """The end of a petition's road (part of ``p.petitions``)."""

    @retry_transient
    def hand_over(
        self,
        petition_id: uuid.UUID,
        *,
        actor: str,
        to: str,
        at: datetime | None = None,
        note: str | None = None,
        session: Session | None = None,
    ) -> Petition:
        """Record the hand-over to the council (closing the petition if still open).

        Args:
            petition_id: the petition's id.
            actor: who hands over (audit log).
            to: to whom (``"de gemeenteraad"``).
            at: when; default now.
            note: a note (the meeting, say).
            session: the host's SQLAlchemy session to work in (the library only
                flushes); without it the call commits on its own.

        Returns:
            Petition: the petition in status ``handed_over``.

        Raises:
            InvalidInput: ``input.invalid``, field ``to`` is empty.
            PetitionNotFound: ``petition.not_found``.
            PetitionState: ``petition.state``, the petition is neither open nor closed.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        if not to.strip():
            raise InvalidInput("say to whom the petition was handed over", field="to")
        with self._p.unit_of_work(session) as s:
            row = self.core.petition(s, petition_id, lock=True)
            if row.status == OPEN:
                self.core.close(s, row, actor)
            self.core.expect(row, CLOSED, "hand over")
            row.status = HANDED_OVER
            row.handed_over_at = at or self._p.clock.now()
            row.handed_over_to = to.strip()
            row.handed_over_note = note
            row.updated_at = self._p.clock.now()
            total = self.core.total(s, row.id)
            self.core.audit(
                s,
                actor,
                "petition.handed_over",
                row,
                {"to": row.handed_over_to, "at": row.handed_over_at, "total": total},
            )
            self.core.mail_creator(
                s,
                row,
                "petitions_handed_over",
                "handed-over",
                {"to": row.handed_over_to, "total": total},
            )
            return self.core.public(s, row)

    def answer(
        self,
        petition_id: uuid.UUID,
        *,
        actor: str,
        text: str,
        decision_url: str | None = None,
        session: Session | None = None,
    ) -> int:
        """Record the council's answer and queue it to the creator and to every verified
        signer who asked for it, spread over time (``answer_per_minute``), each under a
        dedupe key so nobody gets it twice.

        Args:
            petition_id: the petition's id.
            actor: who records the answer (audit log).
            text: the answer.
            decision_url: a link to the council's decision (https unless
                ``Settings.allow_http_links``).
            session: the host's SQLAlchemy session to work in (the library only
                flushes); without it the call commits on its own.

        Returns:
            int: the number of signers the answer was queued for.

        Raises:
            InvalidInput: ``input.invalid``, field ``text`` empty or ``decision_url`` not
                an allowed web address.
            PetitionNotFound: ``petition.not_found``.
            PetitionState: ``petition.state``, the petition is not ``handed_over``.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        if not text.strip():
            raise InvalidInput("the answer is empty", field="text")
        http = self._p.settings.allow_http_links
        decision_url = require_allowed(decision_url, allow_http=http, field="decision_url")
        now = self._p.clock.now()
        with self._p.unit_of_work(session) as s:
            row = self.core.petition(s, petition_id, lock=True)
            self.core.expect(row, HANDED_OVER, "answer")
            row.status = ANSWERED
            row.answer_text = text
            row.answer_url = decision_url
            row.answered_at = row.updated_at = now
            context = {"title": row.title, "answer": text, "decision_url": decision_url or ""}
            self.core.mail_creator(s, row, "petitions_answer", "answer", {**context, "unsub": ""})
            queued = 0
            per_minute = self.settings.answer_per_minute
            # A page of signers at a time: the text rendered once per language (the
            # unsubscribe link filled in), the page's messages queued in one statement.
            texts = Texts(self._p, "petitions_answer", "unsub")
            mails: list[Mail] = []
            for sig_id, address, email_hash, locale in self._answer_recipients(s, row.id):
                token = self.core.token("petition.unsubscribe", str(sig_id), bound_to=email_hash)
                unsub = self._p.url("petition.unsubscribe", token=token)
                mails.append(
                    Mail(
                        to=address,
                        template="petitions_answer",
                        locale=locale,
                        headers={
                            "List-Unsubscribe": f"<{unsub}>",
                            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                        },
                        dedupe_key=f"petition-answer:{sig_id}",
                        subject_type=SIGNATURE,
                        subject_id=sig_id,
                        # Spread by position: never faster than the rate per minute.
                        available_at=now + timedelta(minutes=(queued + len(mails)) // per_minute),
                        rendered=texts.render(locale, locale, context, unsub),
                    )
                )
                if len(mails) >= PAGE:
                    queued += sum(i is not None for i in self._p.outbox.enqueue_many(s, mails))
                    mails = []
            queued += sum(i is not None for i in self._p.outbox.enqueue_many(s, mails))
            self.core.audit(
                s,
                actor,
                "petition.answered",
                row,
                {"decision_url": decision_url, "signers_notified": queued},
            )
            return queued

    # -- reading ---------------------------------------------------------------------

    def write_signatures(
        self,
        petition_id: uuid.UUID,
        out: Output,
        *,
        session: Session | None = None,
    ) -> ExportResult:
        """Write the hand-over list of verified signatures, streamed as it is read (Excel
        CSV: UTF-8 with BOM, semicolons, CRLF; cells that would start a formula are
        escaped).

        Columns: ``nr``, ``naam`` (``(geanonimiseerd)`` once erased), ``postcode``,
        ``wijk``, ``bevestigd_op`` (local time, ``YYYY-MM-DD HH:MM``) and
        ``naam_openbaar``; in signing order.

        Args:
            petition_id: the petition's id.
            out: a path (a new file with mode 0600, its folder made when missing) or a
                binary file (written to and flushed, not closed).
            session: the host's SQLAlchemy session to read in; without it, one of its own.

        Returns:
            ExportResult: the number of rows and the file's SHA-256, the digest the
            hand-over document names.

        Raises:
            PetitionNotFound: ``petition.not_found``, field ``petition`` (also for an id
                that is not a UUID).
            InvalidInput: ``input.invalid``, field ``out``: neither a path nor a binary
                file.
            OSError: the file could not be written.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        from participatie.petitions import report

        with self._p.unit_of_work(session, readonly=True) as s:
            row = self.core.petition(s, petition_id)
            return report.write_signatures_csv(self._p, s, row, out)

    def handover_document(
        self, petition_id: uuid.UUID, *, session: Session | None = None
    ) -> HandoverDocument:
        """What the hand-over document shows: the petition, the counts (online, paper, per
        wijk and day) and the signature list's row count and SHA-256 (the list is
        streamed once to compute it, not stored).

        Args:
            petition_id: the petition's id.
            session: the host's SQLAlchemy session to read in; without it, one of its own.

        Returns:
            HandoverDocument: for ``write_handover``; ``generated_at`` is now (UTC).

        Raises:
            PetitionNotFound: ``petition.not_found``, field ``petition`` (also for an id
                that is not a UUID).
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        from participatie.petitions import report

        with self._p.unit_of_work(session, readonly=True) as s:
            row = self.core.petition(s, petition_id)
            return report.handover_document(self._p, s, row, self.core.public(s, row))

    def write_handover(self, document: HandoverDocument, out: Output, *, fmt: str = "html") -> str:
        """Write the hand-over document: an HTML page (times in ``Settings.zone``) or a
        PDF/A-2U file (ISO 19005-2, fonts embedded) on the organisation's letterhead, in
        Dutch.

        Args:
            document: from ``handover_document``.
            out: a path (a new file with mode 0600, its folder made when missing) or a
                binary file (written to and flushed, not closed).
            fmt: ``html`` or ``pdf`` (as ``participatie petitions export --format``).

        Returns:
            str: the file's SHA-256 (hex).

        Raises:
            InvalidInput: ``input.invalid``, field ``format``: another ``fmt``; field
                ``out``: neither a path nor a binary file.
            MissingExtra: ``extra.missing``, ``pdf`` without the ``reports`` extra
                (typst).
            OSError: the file could not be written.
        """

        from participatie.petitions import report

        return report.write_handover(self._p, document, out, fmt)

    # -- privacy -----------------------------------------------------------------------

    def _answer_recipients(
        self, s: Session, petition_id: uuid.UUID
    ) -> Iterator[tuple[uuid.UUID, str, str, str]]:
        # Keyset pages, not one open cursor: the loop writes on the same connection, which
        # MariaDB's unbuffered cursors do not allow, and memory stays flat.
        last: tuple[datetime, uuid.UUID] | None = None
        while True:
            query = (
                select(
                    SignatureRow.created_at,
                    SignatureRow.id,
                    SignatureRow.email,
                    SignatureRow.email_hash,
                    SignatureRow.locale,
                )
                .where(
                    SignatureRow.petition_id == petition_id,
                    SignatureRow.status == VERIFIED,
                    SignatureRow.notify_answer.is_(True),
                    SignatureRow.email.is_not(None),
                )
                .order_by(SignatureRow.created_at, SignatureRow.id)
                .limit(PAGE)
            )
            if last is not None:
                query = query.where(
                    (SignatureRow.created_at > last[0])
                    | ((SignatureRow.created_at == last[0]) & (SignatureRow.id > last[1]))
                )
            page = s.execute(query).all()
            for _created, sig_id, address, email_hash, locale in page:
                if address is not None and email_hash is not None:
                    yield sig_id, address, email_hash, locale
            if len(page) < PAGE:
                return
            last = (page[-1][0], page[-1][1])
