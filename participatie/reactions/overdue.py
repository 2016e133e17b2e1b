"""Deadlines of the reactions facade in the database: what is overdue (also for the
reminder job), and moving answer dates with a delay notice to every submitter.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from participatie.errors import InvalidInput, InvalidState
from participatie.reactions.context import ReactionsPart
from participatie.reactions.deadlines import escalation_level
from participatie.reactions.dispatch import pending_letter, recipients, send_email
from participatie.reactions.errors import ReactionNotFound
from participatie.reactions.models import DossierRow, ExtensionRow, ReactionRow, SubmitterRow
from participatie.reactions.outputs import postal
from participatie.reactions.schemas import Extension, ExtensionPreview, OverdueItem


def overdue_items(
    s: Session, today: date, thresholds: tuple[int, int], dossier_id: uuid.UUID | None
) -> Iterator[OverdueItem]:
    """Reactions of open dossiers past their acknowledgement or answer date."""

    base = (
        select(ReactionRow, DossierRow.title)
        .join(DossierRow, DossierRow.id == ReactionRow.dossier_id)
        .where(DossierRow.status == "open")
    )
    if dossier_id is not None:
        base = base.where(ReactionRow.dossier_id == dossier_id)
    ack = base.where(ReactionRow.acknowledged_at.is_(None), ReactionRow.acknowledgement_due < today)
    answer = base.where(
        ReactionRow.answered_at.is_(None),
        ReactionRow.answer_due < today,
        ReactionRow.admissible.is_not(False),
    )
    for kind, query in (("acknowledgement", ack), ("answer", answer)):
        for row, title in s.execute(query.order_by(ReactionRow.number)).all():
            due = row.acknowledgement_due if kind == "acknowledgement" else row.answer_due
            days = (today - due).days
            yield OverdueItem(
                dossier_id=row.dossier_id,
                dossier_title=title,
                reaction_id=row.id,
                number=row.number,
                kind=kind,
                due=due,
                days_overdue=days,
                level=escalation_level(days, thresholds),
            )


def due_items(
    s: Session, today: date, until: date, dossier_id: uuid.UUID | None
) -> Iterator[OverdueItem]:
    """Acknowledgements and answers of open dossiers due from ``today`` up to ``until``."""

    base = (
        select(ReactionRow, DossierRow.title)
        .join(DossierRow, DossierRow.id == ReactionRow.dossier_id)
        .where(DossierRow.status == "open")
    )
    if dossier_id is not None:
        base = base.where(ReactionRow.dossier_id == dossier_id)
    ack = base.where(
        ReactionRow.acknowledged_at.is_(None),
        ReactionRow.acknowledgement_due >= today,
        ReactionRow.acknowledgement_due <= until,
    )
    answer = base.where(
        ReactionRow.answered_at.is_(None),
        ReactionRow.answer_due >= today,
        ReactionRow.answer_due <= until,
        ReactionRow.admissible.is_not(False),
    )
    for kind, query in (("acknowledgement", ack), ("answer", answer)):
        for row, title in s.execute(query.order_by(ReactionRow.number)).all():
            due = row.acknowledgement_due if kind == "acknowledgement" else row.answer_due
            yield OverdueItem(
                dossier_id=row.dossier_id,
                dossier_title=title,
                reaction_id=row.id,
                number=row.number,
                kind=kind,
                due=due,
                days_overdue=(today - due).days,
                level=0,
            )


class Deadlines(ReactionsPart):
    """Overdue reactions and extended answer dates."""

    def due(
        self,
        dossier_id: uuid.UUID | None = None,
        *,
        within_days: int = 14,
        today: date | None = None,
        session: Session | None = None,
    ) -> list[OverdueItem]:
        """Acknowledgements and answers still on time, due within ``within_days`` (days
        until due: ``-days_overdue``), soonest first; open dossiers only.

        Args:
            dossier_id: one dossier; None: every open dossier.
            within_days: how many days ahead (calendar days).
            today: the day to count from; default today (``Settings.zone``).
            session: the host's SQLAlchemy session to read in; without it, one of its own.

        Returns:
            list[OverdueItem]: reaction, kind (``acknowledgement`` or ``answer``), due
            date and ``level`` 0.

        Raises:
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        day = today or self._ctx.today()
        until = day + timedelta(days=within_days)
        with self._ctx.p.unit_of_work(session, readonly=True) as s:
            items = list(due_items(s, day, until, dossier_id))
        items.sort(key=lambda i: (i.due, i.dossier_title, i.number, i.kind))
        return items

    def preview_extension(
        self,
        dossier_id: uuid.UUID,
        *,
        new_due: date,
        reason: str,
        reaction_ids: Sequence[uuid.UUID] | None = None,
        session: Session | None = None,
    ) -> ExtensionPreview:
        """What :meth:`extend_answer_deadline` with the same arguments would move and send;
        writes nothing. Same errors as the extension itself.

        Args:
            dossier_id: the dossier's id.
            new_due: the new answer date; after today.
            reason: the reason the submitters read (required).
            reaction_ids: only these reactions (``Reaction.id``; those already answered
                or due later are left out); None: every unanswered one due before
                ``new_due``.
            session: the host's SQLAlchemy session to read in; without it, one of its own.

        Returns:
            ExtensionPreview: the reactions and their numbers, the e-mails and letters
            the notice takes, and the mail as the first submitter with an address gets it.

        Raises:
            InvalidInput: ``input.invalid``, field ``reason`` (empty) or ``new_due`` (not
                in the future).
            DossierNotFound: ``dossier.not_found``, field ``dossier_id``.
            ReactionNotFound: ``reaction.not_found``, field ``reaction_ids``: an id that
                is not a reaction of this dossier.
            InvalidState: ``state.invalid``, field ``new_due``: no unanswered reaction is
                due before that date.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        reason = reason.strip()
        if not reason:
            raise InvalidInput("an extension needs a reason for the submitters", field="reason")
        if new_due <= self._ctx.today():
            raise InvalidInput("the new date must lie in the future", field="new_due")
        with self._ctx.p.unit_of_work(session, readonly=True) as s:
            dossier = self._ctx.dossier(s, dossier_id)
            reactions = self._extendable(s, dossier.id, new_due, reaction_ids)
            subs_by_reaction = self._submitters(s, reactions)
            emails = letters = 0
            sample: tuple[str, str] | None = None
            for reaction in reactions:
                for sub in recipients(self._ctx, subs_by_reaction.get(reaction.id, [])):
                    if sub.email:
                        emails += 1
                        if sample is None:
                            subject, body, _ = self._ctx.p.render_mail(
                                "reactions_delay",
                                sub.locale,
                                {
                                    **self._ctx.p.template_globals(),
                                    "dossier_title": dossier.title,
                                    "number": reaction.number,
                                    "old_due": reaction.answer_due,
                                    "new_due": new_due,
                                    "reason": reason,
                                    "official": dossier.responsible_official,
                                    "name": sub.name,
                                },
                            )
                            sample = (subject, body)
                    elif postal(sub):
                        letters += 1
            return ExtensionPreview(
                reactions=len(reactions),
                reaction_ids=[r.id for r in reactions],
                numbers=[r.number for r in reactions],
                new_due=new_due,
                emails=emails,
                letters=letters,
                mail_subject=sample[0] if sample else None,
                mail_body=sample[1] if sample else None,
            )

    def _extendable(
        self,
        s: Session,
        dossier_id: uuid.UUID,
        new_due: date,
        reaction_ids: Sequence[uuid.UUID] | None,
    ) -> list[ReactionRow]:
        query = select(ReactionRow).where(
            ReactionRow.dossier_id == dossier_id,
            ReactionRow.answered_at.is_(None),
            ReactionRow.answer_due < new_due,
            ReactionRow.admissible.is_not(False),
        )
        if reaction_ids is not None:
            wanted = set(reaction_ids)
            found = set(
                s.execute(
                    select(ReactionRow.id).where(
                        ReactionRow.dossier_id == dossier_id, ReactionRow.id.in_(list(wanted))
                    )
                ).scalars()
            )
            if wanted - found:
                missing = ", ".join(sorted(str(i) for i in wanted - found))
                raise ReactionNotFound(
                    f"not a reaction of this dossier: {missing}", field="reaction_ids"
                )
            query = query.where(ReactionRow.id.in_(list(wanted)))
        reactions = list(s.execute(query.order_by(ReactionRow.number)).scalars())
        if not reactions:
            raise InvalidState("no unanswered reaction is due before that date", field="new_due")
        return reactions

    def _submitters(
        self, s: Session, reactions: list[ReactionRow]
    ) -> dict[uuid.UUID, list[SubmitterRow]]:
        subs_by_reaction: dict[uuid.UUID, list[SubmitterRow]] = {}
        for sub in s.execute(
            select(SubmitterRow)
            .where(SubmitterRow.reaction_id.in_([r.id for r in reactions]))
            .order_by(SubmitterRow.position)
        ).scalars():
            subs_by_reaction.setdefault(sub.reaction_id, []).append(sub)
        return subs_by_reaction

    def overdue(
        self,
        dossier_id: uuid.UUID | None = None,
        *,
        today: date | None = None,
        session: Session | None = None,
    ) -> list[OverdueItem]:
        """Reactions past their acknowledgement or answer target, worst first; open
        dossiers only, reactions not admitted left out for the answer.

        Args:
            dossier_id: one dossier; None: every open dossier.
            today: the day to count from; default today (``Settings.zone``).
            session: the host's SQLAlchemy session to read in; without it, one of its own.

        Returns:
            list[OverdueItem]: reaction, kind, due date, days overdue and escalation
            level (1, 2 or 3 by ``Settings.reactions.escalation_days``).

        Raises:
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        day = today or self._ctx.today()
        thresholds = self._ctx.settings.escalation_days
        with self._ctx.p.unit_of_work(session, readonly=True) as s:
            items = list(overdue_items(s, day, thresholds, dossier_id))
        items.sort(key=lambda i: (-i.level, -i.days_overdue, i.dossier_title, i.number, i.kind))
        return items

    def extend_answer_deadline(
        self,
        dossier_id: uuid.UUID,
        *,
        new_due: date,
        reason: str,
        reaction_ids: Sequence[uuid.UUID] | None = None,
        actor: str,
        session: Session | None = None,
    ) -> Extension:
        """Move the answer deadline of unanswered reactions; every submitter gets a delay
        notice with the reason (e-mail, else a pending letter; the first
        ``max_recipients_per_reaction`` per reaction, Awb art. 3:44).

        Args:
            dossier_id: the dossier's id.
            new_due: the new answer date; after today.
            reason: the reason the submitters read (required).
            reaction_ids: only these reactions (``Reaction.id``; those already answered
                or due later are left out); None: every unanswered one due before
                ``new_due``.
            actor: who extends (audit log).
            session: the host's SQLAlchemy session to work in (the library only
                flushes); without it the call commits on its own.

        Returns:
            Extension: the reactions moved, the new date, e-mails queued and letters due.

        Raises:
            InvalidInput: ``input.invalid``, field ``reason`` or ``new_due``.
            DossierNotFound: ``dossier.not_found``, field ``dossier_id``.
            ReactionNotFound: ``reaction.not_found``, field ``reaction_ids``: an id that
                is not a reaction of this dossier.
            InvalidState: ``state.invalid``, field ``new_due``: no unanswered reaction is
                due before that date.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        reason = reason.strip()
        if not reason:
            raise InvalidInput("an extension needs a reason for the submitters", field="reason")
        if new_due <= self._ctx.today():
            raise InvalidInput("the new date must lie in the future", field="new_due")
        with self._ctx.p.unit_of_work(session) as s:
            dossier = self._ctx.dossier(s, dossier_id, lock=True)
            reactions = self._extendable(s, dossier.id, new_due, reaction_ids)
            extension = ExtensionRow(
                dossier_id=dossier.id,
                new_due=new_due,
                reason=reason,
                reactions=len(reactions),
                created_at=self._ctx.now(),
                created_by=actor,
            )
            s.add(extension)
            s.flush()
            emails = letters = 0
            subs_by_reaction = self._submitters(s, reactions)
            for reaction in reactions:
                old_due = reaction.answer_due
                reaction.answer_due = new_due
                context = {
                    "dossier_title": dossier.title,
                    "number": reaction.number,
                    "old_due": old_due,
                    "new_due": new_due,
                    "reason": reason,
                    "official": dossier.responsible_official,
                }
                for sub in recipients(self._ctx, subs_by_reaction.get(reaction.id, [])):
                    key = f"reactions:delay:{extension.id}:{sub.id}"
                    if sub.email:
                        if send_email(
                            self._ctx,
                            s,
                            dossier,
                            reaction,
                            sub,
                            "delay",
                            "reactions_delay",
                            context,
                            key,
                        ):
                            emails += 1
                    elif postal(sub) and pending_letter(
                        self._ctx,
                        s,
                        dossier,
                        reaction,
                        sub,
                        "delay",
                        key,
                        {
                            "old_due": old_due.isoformat(),
                            "new_due": new_due.isoformat(),
                            "reason": reason,
                        },
                    ):
                        letters += 1
            s.flush()
            self._ctx.audit(
                s,
                actor,
                "reactions.deadline_extended",
                dossier.id,
                new_due=new_due,
                reason=reason,
                numbers=[r.number for r in reactions],
            )
            return Extension(
                reactions=len(reactions), new_due=new_due, emails=emails, letters_due=letters
            )
