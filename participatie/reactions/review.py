"""The four-eyes rule on answers: a writer offers an answer for review, another person
approves it (or sends it back); and the preview of everything publishing will send.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from participatie.errors import NotFound
from participatie.reactions.context import ReactionsPart
from participatie.reactions.dispatch import recipients
from participatie.reactions.errors import AlreadyPublished, AnswerNotReady, FourEyes
from participatie.reactions.feedback import AnswerBook, by_publication, feedback_context
from participatie.reactions.letters import letter_text, render_letter
from participatie.reactions.models import AnswerRow, PointRow, ReactionRow, SubmitterRow
from participatie.reactions.outputs import answer_out, postal
from participatie.reactions.schemas import Answer, NoticePreview, PublicationPreview
from participatie.staff import same_staff


def _answers(s: Session, dossier_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> list[AnswerRow]:
    rows = {
        row.id: row
        for row in s.execute(
            select(AnswerRow)
            .where(AnswerRow.id.in_(list(ids)), AnswerRow.dossier_id == dossier_id)
            .with_for_update()
        ).scalars()
    }
    missing = [str(i) for i in ids if i not in rows]
    if missing:
        raise NotFound(f"no answer {missing[0]} in this dossier", field="answer_id")
    return [rows[i] for i in ids]


#: What an answer goes back to when it needs a new review.
DRAFT: dict[str, Any] = {
    "status": "draft",
    "ready_by": None,
    "ready_at": None,
    "approved_by": None,
    "approved_at": None,
}


def _set(s: Session, rows: Sequence[AnswerRow], **values: Any) -> None:
    """Change the review state of answers without a new version: the version counts
    changes of the text (and guards its edits), not its review."""

    if not rows:
        return
    s.execute(
        update(AnswerRow)
        .where(AnswerRow.id.in_([row.id for row in rows]))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    for row in rows:
        s.refresh(row)


class Review(ReactionsPart):
    """Answers from draft to approved: offered by their writer, approved by another."""

    def mark_ready(
        self,
        dossier_id: uuid.UUID,
        answer_ids: Sequence[uuid.UUID],
        *,
        actor: str,
        session: Session | None = None,
    ) -> list[Answer]:
        """Offer draft answers for review ("klaar voor controle"). Answers that are ready or
        approved already stay as they are; all or nothing.

        Args:
            dossier_id: the dossier's id.
            answer_ids: the answers, all of this dossier; the result keeps their order.
            actor: who offers them (may not approve them).
            session: the host's SQLAlchemy session to work in (the library only
                flushes); without it the call commits on its own.

        Returns:
            list[Answer]: the answers as they are now.

        Raises:
            NotFound: ``not_found``, field ``answer_id``: not an answer of this dossier.
            AlreadyPublished: ``reaction.already_published``, nothing changes.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        with self._ctx.p.unit_of_work(session) as s:
            rows = _answers(s, dossier_id, answer_ids)
            now = self._ctx.now()
            changed = []
            for row in rows:
                if row.status == "published":
                    raise AlreadyPublished("a published answer is final", field="answer_id")
                if row.status == "draft":
                    changed.append(row)
            _set(s, changed, status="ready", ready_by=actor, ready_at=now)
            if changed:
                self._ctx.audit(
                    s,
                    actor,
                    "reactions.answers_ready",
                    dossier_id,
                    answers=[str(r.id) for r in changed],
                    versions=[r.version for r in changed],
                )
            return [answer_out(s, row) for row in rows]

    def approve_answers(
        self,
        dossier_id: uuid.UUID,
        answer_ids: Sequence[uuid.UUID],
        *,
        actor: str,
        session: Session | None = None,
    ) -> list[Answer]:
        """Approve answers offered for review. The four-eyes rule: the approver is not the
        person who wrote the answer's current version nor the one who offered it (names
        compared as one person whatever their case, spacing or Unicode form). Approved
        ones stay approved. All or nothing.

        Args:
            dossier_id: the dossier's id.
            answer_ids: the answers, all of this dossier; the result keeps their order.
            actor: who approves.
            session: the host's SQLAlchemy session to work in (the library only
                flushes); without it the call commits on its own.

        Returns:
            list[Answer]: the answers as they are now.

        Raises:
            NotFound: ``not_found``, field ``answer_id``: not an answer of this dossier.
            AnswerNotReady: ``reaction.answer_not_ready``, a draft or published answer.
            FourEyes: ``reaction.four_eyes``, ``actor`` wrote or offered it.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        with self._ctx.p.unit_of_work(session) as s:
            rows = _answers(s, dossier_id, answer_ids)
            now = self._ctx.now()
            for row in rows:
                if row.status == "approved":
                    continue
                if row.status != "ready":
                    raise AnswerNotReady(
                        f"answer {row.id} is {row.status}, not ready for review",
                        field="answer_id",
                    )
                if same_staff(actor, row.updated_by) or same_staff(actor, row.ready_by or ""):
                    raise FourEyes(
                        "an answer is approved by someone other than its writer",
                        field="answer_id",
                        answer=str(row.id),
                    )
            waiting = [row for row in rows if row.status == "ready"]
            _set(s, waiting, status="approved", approved_by=actor, approved_at=now)
            self._ctx.audit(
                s,
                actor,
                "reactions.answers_approved",
                dossier_id,
                answers=[str(r.id) for r in rows],
                versions=[r.version for r in rows],
            )
            return [answer_out(s, row) for row in rows]

    def return_answers(
        self,
        dossier_id: uuid.UUID,
        answer_ids: Sequence[uuid.UUID],
        *,
        actor: str,
        session: Session | None = None,
    ) -> list[Answer]:
        """Send answers back to draft (a reviewer's "not yet"), withdrawing an approval;
        all or nothing.

        Args:
            dossier_id: the dossier's id.
            answer_ids: the answers, all of this dossier; the result keeps their order.
            actor: who sends them back (audit log).
            session: the host's SQLAlchemy session to work in (the library only
                flushes); without it the call commits on its own.

        Returns:
            list[Answer]: the answers, in draft.

        Raises:
            NotFound: ``not_found``, field ``answer_id``: not an answer of this dossier.
            AlreadyPublished: ``reaction.already_published``.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        with self._ctx.p.unit_of_work(session) as s:
            rows = _answers(s, dossier_id, answer_ids)
            for row in rows:
                if row.status == "published":
                    raise AlreadyPublished("a published answer is final", field="answer_id")
            _set(s, rows, **DRAFT)
            self._ctx.audit(
                s,
                actor,
                "reactions.answers_returned",
                dossier_id,
                answers=[str(r.id) for r in rows],
            )
            return [answer_out(s, row) for row in rows]

    def preview_publication(
        self, dossier_id: uuid.UUID, *, texts: bool = True, session: Session | None = None
    ) -> PublicationPreview:
        """Every notice ``publish_answers`` would send now for the current round, with its
        subject and text, and the counts. Follows the same rules: the first five
        signatories (Awb art. 3:44 lid 1 sub b), e-mail where there is an address, else a
        letter, or a publication above the mass threshold (lid 2). Writes nothing but
        the dossier's short code, made on first use in a transaction of its own.

        Args:
            dossier_id: the dossier's id.
            texts: False: the notices without subject and text (the counts, fast).
            session: the host's SQLAlchemy session to read in; without it, one of its own.

        Returns:
            PublicationPreview: answers, reactions, e-mails, letters, by publication,
            not reachable, and the notices one by one.

        Raises:
            DossierNotFound: ``dossier.not_found``, field ``dossier_id``.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        p = self._ctx.p
        # The letters print the dossier's short address; it is made on first use (the one
        # thing a preview may write, in a transaction of its own).
        short_url = p.short_codes.printed(p.short_codes.code_for("dossier", dossier_id))
        with p.unit_of_work(session, readonly=True) as s:
            dossier = self._ctx.dossier(s, dossier_id)
            publication = by_publication(self._ctx, s, dossier)
            book = AnswerBook(s, dossier.id)
            answers = sum(
                1
                for row in [*book.by_theme.values(), *book.by_point.values()]
                if row.status != "published"
            )
            reactions = list(
                s.execute(
                    select(ReactionRow)
                    .where(ReactionRow.dossier_id == dossier.id, ReactionRow.round == dossier.round)
                    .order_by(ReactionRow.number)
                ).scalars()
            )
            subs: dict[uuid.UUID, list[SubmitterRow]] = {}
            for sub in s.execute(
                select(SubmitterRow).where(SubmitterRow.dossier_id == dossier.id)
            ).scalars():
                subs.setdefault(sub.reaction_id, []).append(sub)
            pts: dict[uuid.UUID, list[PointRow]] = {}
            for point in s.execute(
                select(PointRow).where(PointRow.dossier_id == dossier.id)
            ).scalars():
                pts.setdefault(point.reaction_id, []).append(point)
            notices: list[NoticePreview] = []
            unreachable = 0
            for reaction in reactions:
                chosen = recipients(self._ctx, subs.get(reaction.id, []))
                mine = pts.get(reaction.id, [])
                reached = False
                for sub in chosen:
                    if not texts and (sub.email or postal(sub)):
                        channel = "email" if sub.email else "letter"
                        if channel == "letter" and publication:
                            channel = "publication"
                        notices.append(
                            NoticePreview(
                                reaction_id=reaction.id,
                                reaction_number=reaction.number,
                                channel=channel,
                                recipient=sub.email or "",
                                subject="",
                                text="",
                            )
                        )
                        reached = True
                    elif sub.email:
                        context = feedback_context(
                            self._ctx, dossier, reaction, book, mine, sub.locale
                        )
                        subject, text, _ = p.render_mail(
                            "reactions_feedback",
                            sub.locale,
                            {**p.template_globals(), **context, "name": sub.name},
                        )
                        notices.append(
                            NoticePreview(
                                reaction_id=reaction.id,
                                reaction_number=reaction.number,
                                channel="email",
                                recipient=sub.email,
                                subject=subject,
                                text=text,
                            )
                        )
                        reached = True
                    elif postal(sub):
                        address = f"{sub.name or ''} {sub.postcode} {sub.house_number}".strip()
                        article = render_letter(
                            self._ctx,
                            dossier,
                            reaction,
                            sub,
                            "feedback",
                            {"round": dossier.round},
                            book,
                            mine,
                            short_url=short_url,
                        )
                        notices.append(
                            NoticePreview(
                                reaction_id=reaction.id,
                                reaction_number=reaction.number,
                                channel="publication" if publication else "letter",
                                recipient=address,
                                subject=dossier.title,
                                text=letter_text(article),
                            )
                        )
                        reached = True
                if not reached:
                    unreachable += 1
            return PublicationPreview(
                answers=answers,
                reactions=len(reactions),
                emails=sum(1 for n in notices if n.channel == "email"),
                letters=sum(1 for n in notices if n.channel == "letter"),
                by_publication=sum(1 for n in notices if n.channel == "publication"),
                not_reachable=unreachable,
                notices=notices,
            )
