"""Intake of the reactions facade: the web form, staff registering paper, letters, e-mail
and oral reactions, bulk import, admissibility of late ones, and reading them back.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from participatie.areas import area_for_postcode
from participatie.errors import InvalidInput
from participatie.identity import normalize_email, normalize_house_number, normalize_postcode
from participatie.reactions.context import ReactionContext, ReactionsPart
from participatie.reactions.dispatch import acknowledge
from participatie.reactions.errors import DossierClosed, EmptyReaction, UnknownTheme
from participatie.reactions.models import PointRow, ReactionRow, SubmitterRow, ThemeRow
from participatie.reactions.outputs import reaction_out, submitter_out, submitter_rows
from participatie.reactions.schemas import (
    ImportReport,
    Reaction,
    ReactionIn,
    ReceivedReaction,
    Submitter,
    SubmitterIn,
)
from participatie.retention import text_digest
from participatie.retry import retry_transient


def _clean_submitters(
    ctx: ReactionContext, s: Session, submitters: Sequence[SubmitterIn]
) -> list[dict[str, Any]]:
    cleaned = []
    for index, sub in enumerate(submitters):
        prefix = f"submitters.{index}."
        item: dict[str, Any] = sub.model_dump()
        if sub.email:
            item["email"] = normalize_email(
                sub.email,
                field=prefix + "email",
                check_deliverability=ctx.p.settings.email_check_deliverability,
            ).address
        if sub.postcode:
            item["postcode"] = normalize_postcode(sub.postcode, field=prefix + "postcode")
        if sub.house_number:
            item["house_number"] = normalize_house_number(
                sub.house_number, field=prefix + "house_number"
            )
        if sub.postcode and not sub.house_number:
            raise InvalidInput(
                "a postal address needs a house number", field=prefix + "house_number"
            )
        if not sub.consent and (sub.email or sub.postcode or sub.phone):
            raise InvalidInput(
                "contact details can only be stored with consent", field=prefix + "consent"
            )
        area = area_for_postcode(s, item["postcode"]) if item.get("postcode") else None
        item["area_code"] = area.code if area else None
        cleaned.append(item)
    return cleaned


def receive(
    ctx: ReactionContext,
    s: Session,
    dossier_id: uuid.UUID,
    data: ReactionIn,
    *,
    actor: str,
    web: bool,
) -> ReceivedReaction:
    """One reaction in: checked, numbered, acknowledged and audited; ``web`` refuses it
    outside the reaction period."""

    text = data.text.strip()
    if not text:
        raise EmptyReaction("the reaction is empty", field="text")
    now = ctx.now()
    received_at = data.received_at or now
    if received_at.tzinfo is None:
        raise InvalidInput("give the received time with a time zone", field="received_at")
    if received_at > now + timedelta(minutes=5):
        raise InvalidInput("the received time lies in the future", field="received_at")
    submitters = _clean_submitters(ctx, s, data.submitters)
    dossier = ctx.dossier(s, dossier_id, lock=True)
    # Under the dossier's lock, so two racing posts of one form see each other.
    earlier = _same_reaction(s, dossier.id, data.channel, text, submitters, now)
    if earlier is not None:
        return ReceivedReaction(
            reaction=reaction_out(earlier), acknowledgement_emails=0, duplicate=True
        )
    themes: dict[str, ThemeRow] = {}
    for index, point in enumerate(data.points):
        if point.theme:
            try:
                themes[point.theme] = ctx.theme(s, dossier.id, point.theme, dossier.round)
            except UnknownTheme as exc:
                raise UnknownTheme(exc.message, field=f"points.{index}.theme") from None
    current = ctx.round(dossier)
    received_on = ctx.local_date(received_at)
    timely_on = data.postmark_date or received_on
    late = timely_on > current.period_end or dossier.status != "open"
    if web and not (dossier.published and dossier.reaction_form):
        # The web form is off (or the dossier is not shown): staff still register
        # reactions that come in by other channels.
        raise DossierClosed("this dossier takes no reactions through the web", field="dossier_id")
    if web and (late or received_on < current.period_start):
        raise DossierClosed(
            "the reaction period of this dossier is closed"
            if late
            else "the reaction period of this dossier has not started yet",
            field="dossier_id",
            period_start=current.period_start.isoformat(),
            period_end=current.period_end.isoformat(),
        )
    number = dossier.next_number
    dossier.next_number = number + 1
    answer_due = ctx.calendar.due_date(
        received_on,
        dossier.answer_days,
        dossier.answer_day_count,  # type: ignore[arg-type]
    )
    reaction = ReactionRow(
        dossier_id=dossier.id,
        number=number,
        round=dossier.round,
        channel=data.channel,
        text=text,
        received_at=received_at,
        postmark_date=data.postmark_date,
        reported_by=data.reported_by,
        external_ref=data.external_ref,
        late=late,
        # An on-time reaction is admissible; a late one waits for a decision.
        admissible=None if late else True,
        acknowledgement_due=ctx.calendar.due_date(
            received_on,
            dossier.acknowledgement_days,
            dossier.acknowledgement_day_count,  # type: ignore[arg-type]
        ),
        answer_due=answer_due,
        answer_target=answer_due,
        signatories=len(submitters),
        created_at=now,
        created_by=actor,
    )
    s.add(reaction)
    s.flush()
    rows = []
    for position, item in enumerate(submitters, start=1):
        row = SubmitterRow(
            reaction_id=reaction.id, dossier_id=dossier.id, position=position, **item
        )
        rows.append(row)
        s.add(row)
    for position, point in enumerate(data.points, start=1):
        theme = themes.get(point.theme) if point.theme else None
        s.add(
            PointRow(
                reaction_id=reaction.id,
                dossier_id=dossier.id,
                position=position,
                text=point.text,
                theme_id=theme.id if theme else None,
            )
        )
    s.flush()
    emails = acknowledge(ctx, s, dossier, reaction, rows)
    ctx.audit(
        s,
        actor,
        "reactions.received",
        dossier.id,
        number=number,
        channel=data.channel,
        late=late,
        signatories=len(submitters),
        points=len(data.points),
    )
    return ReceivedReaction(reaction=reaction_out(reaction), acknowledgement_emails=emails)


#: A form posted twice within this time (a double click, the back button, a retry after a
#: dropped connection) is one reaction.
REPOST_WINDOW = timedelta(minutes=30)


def _same_reaction(
    s: Session,
    dossier_id: uuid.UUID,
    channel: str,
    text: str,
    submitters: Sequence[dict[str, Any]],
    now: Any,
) -> ReactionRow | None:
    """The reaction this one repeats: same dossier, channel, text and first submitter (by
    e-mail address, else by name), received within :data:`REPOST_WINDOW`. A reaction
    without a name or address is never taken for another one."""

    if not submitters:
        return None
    first = submitters[0]
    email, name = first.get("email"), first.get("name")
    if not email and not name:
        return None
    query = (
        select(ReactionRow)
        .join(SubmitterRow, SubmitterRow.reaction_id == ReactionRow.id)
        .where(
            ReactionRow.dossier_id == dossier_id,
            ReactionRow.channel == channel,
            ReactionRow.created_at >= now - REPOST_WINDOW,
            SubmitterRow.position == 1,
            SubmitterRow.email == email if email else SubmitterRow.name == name,
        )
        .order_by(ReactionRow.number)
    )
    for row in s.scalars(query):
        # Text compared here, not in SQL: long text columns do not compare alike everywhere.
        if row.text == text:
            return row
    return None


class Intake(ReactionsPart):
    """Reactions coming in, on every channel."""

    @retry_transient
    def submit(
        self,
        dossier_id: uuid.UUID,
        data: ReactionIn,
        *,
        actor: str = "resident",
        session: Session | None = None,
    ) -> ReceivedReaction:
        """A reaction through the web form: refused outside the reaction period.

        The reaction is numbered, its acknowledgement and answer dates are set from the
        day it came in (``Settings.zone``), and each submitter with an address gets an
        acknowledgement. The same form posted again within 30 minutes (same channel,
        text and first submitter) is the same reaction: ``duplicate`` is True.

        Args:
            dossier_id: the dossier's id.
            data: channel ``web``, the text, the submitters (name, address, consent to
                store contact details) and optional points; no received date.
            actor: who submits (audit log); default ``"resident"``.
            session: the host's SQLAlchemy session to work in (the library only
                flushes); without it the call commits on its own.

        Returns:
            ReceivedReaction: the reaction (number, dates) and the number of
            acknowledgement mails queued.

        Raises:
            InvalidInput: ``input.invalid``, field ``channel``, ``received_at``,
                ``submitters`` (none given), ``submitters.N.house_number`` (a postcode
                without one) or ``submitters.N.consent`` (contact details without
                consent).
            InvalidEmail: ``input.email``; InvalidPostcode: ``input.postcode``, field
                ``submitters.N.email`` or ``.postcode``.
            EmptyReaction: ``reaction.empty``, field ``text``.
            DossierNotFound: ``dossier.not_found``, field ``dossier_id``.
            DossierClosed: ``dossier.closed``, the web form is off, the dossier is not
                published, decided, or the period has not started or is over
                (``details`` give the period).
            UnknownTheme: ``reaction.unknown_theme``, field ``points.N.theme``.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        if data.channel != "web":
            raise InvalidInput("the web form only takes channel 'web'", field="channel")
        if data.received_at is not None:
            raise InvalidInput("the web form does not set a received date", field="received_at")
        if not data.submitters:
            raise InvalidInput("say who you are: a name and e-mail address", field="submitters")
        with self._ctx.p.unit_of_work(session) as s:
            return receive(self._ctx, s, dossier_id, data, actor=actor, web=True)

    def register(
        self,
        dossier_id: uuid.UUID,
        data: ReactionIn,
        *,
        actor: str,
        session: Session | None = None,
    ) -> ReceivedReaction:
        """Staff register a reaction from any channel; a late one is flagged, not refused,
        and waits for ``decide_admissibility``. A letter is on time by its postmark
        (Awb art. 6:9).

        Args:
            dossier_id: the dossier's id.
            data: the channel (``web``, ``email``, ``letter``, ``paper``, ``oral``),
                the text, the submitters, the time received (timezone-aware; default
                now), the postmark date, who wrote an oral report, an external
                reference and optional points.
            actor: who registers (audit log).
            session: the host's SQLAlchemy session to work in (the library only
                flushes); without it the call commits on its own.

        Returns:
            ReceivedReaction: the reaction and the number of acknowledgement mails
            queued (``duplicate`` True for the same reaction registered again within 30
            minutes).

        Raises:
            InvalidInput: ``input.invalid``, field ``reported_by`` (an oral reaction
                without it), ``received_at`` (no time zone, or in the future),
                ``submitters.N.house_number`` or ``submitters.N.consent``.
            InvalidEmail: ``input.email``; InvalidPostcode: ``input.postcode``.
            EmptyReaction: ``reaction.empty``, field ``text``.
            DossierNotFound: ``dossier.not_found``, field ``dossier_id``.
            UnknownTheme: ``reaction.unknown_theme``, field ``points.N.theme``.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        if data.channel == "oral" and not data.reported_by:
            raise InvalidInput(
                "an oral reaction needs the official who wrote the report", field="reported_by"
            )
        with self._ctx.p.unit_of_work(session) as s:
            return receive(self._ctx, s, dossier_id, data, actor=actor, web=False)

    def decide_admissibility(
        self,
        reaction_id: uuid.UUID,
        *,
        admissible: bool,
        reason: str,
        actor: str,
        session: Session | None = None,
    ) -> Reaction:
        """Record whether a (late) reaction is taken into account, with the reason; can be
        changed later (the audit log keeps before and after, the reason as a digest).

        Args:
            reaction_id: the reaction's id (``Reaction.id``).
            admissible: True takes it into account.
            reason: why (required; shown in the feedback).
            actor: who decides (audit log).
            session: the host's SQLAlchemy session to work in (the library only
                flushes); without it the call commits on its own.

        Returns:
            Reaction: the reaction with its decision.

        Raises:
            InvalidInput: ``input.invalid``, field ``reason``: empty.
            ReactionNotFound: ``reaction.not_found``, field ``reaction_id``.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        if not isinstance(reason, str) or not reason.strip():
            raise InvalidInput("give the reason for the decision", field="reason")
        with self._ctx.p.unit_of_work(session) as s:
            row = self._ctx.reaction(s, reaction_id, lock=True)
            before = row.admissible
            row.admissible = admissible
            row.admissibility_reason = reason.strip()
            s.flush()
            self._ctx.audit(
                s,
                actor,
                "reactions.admissibility",
                row.dossier_id,
                number=row.number,
                before=before,
                after=admissible,
                reason_sha256=text_digest(reason.strip()),
            )
            return reaction_out(row)

    def reaction(self, reaction_id: uuid.UUID, *, session: Session | None = None) -> Reaction:
        """One reaction by its id, without personal data.

        Args:
            reaction_id: the reaction's id (``Reaction.id``, ``ReactionLine.reaction_id``,
                ``Point.reaction_id``, ...).
            session: the host's SQLAlchemy session to read in; without it, one of its own.

        Returns:
            Reaction: its text, channel, times, dates due and admissibility.

        Raises:
            ReactionNotFound: ``reaction.not_found``, field ``reaction_id`` (also for a
                value that is not a UUID).
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        with self._ctx.p.unit_of_work(session, readonly=True) as s:
            return reaction_out(self._ctx.reaction(s, reaction_id))

    def reaction_by_number(
        self, dossier_id: uuid.UUID, number: int, *, session: Session | None = None
    ) -> Reaction:
        """The reaction a resident or a letter quotes by its number ("reactie 12"): the
        one way from a displayed number to the reaction; every other call takes its id.

        Args:
            dossier_id: the dossier's id.
            number: the reaction's number in the dossier, as shown on the
                acknowledgement.
            session: the host's SQLAlchemy session to read in; without it, one of its own.

        Returns:
            Reaction: the reaction, with its ``id``.

        Raises:
            ReactionNotFound: ``reaction.not_found``, field ``number`` (also for an
                unknown dossier).
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        with self._ctx.p.unit_of_work(session, readonly=True) as s:
            return reaction_out(self._ctx.by_number(s, dossier_id, number))

    def undecided(self, dossier_id: uuid.UUID, *, session: Session | None = None) -> list[Reaction]:
        """Late reactions still waiting for ``decide_admissibility``, in number order.

        Args:
            dossier_id: the dossier's id; an unknown one has none.
            session: the host's SQLAlchemy session to read in; without it, one of its own.

        Returns:
            list[Reaction]: the reactions with ``admissible`` None.

        Raises:
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        with self._ctx.p.unit_of_work(session, readonly=True) as s:
            rows = s.execute(
                select(ReactionRow)
                .where(ReactionRow.dossier_id == dossier_id, ReactionRow.admissible.is_(None))
                .order_by(ReactionRow.number)
            ).scalars()
            return [reaction_out(row) for row in rows]

    def reactions(
        self, dossier_id: uuid.UUID, *, session: Session | None = None
    ) -> Iterator[Reaction]:
        """All reactions of a dossier in number order (streamed, 500 rows a fetch). A
        generator: the transaction stays open until it is read to the end.

        Args:
            dossier_id: the dossier's id; an unknown one has none.
            session: the host's SQLAlchemy session to read in; without it, one of its own.

        Returns:
            Iterator[Reaction]: every round's reactions, without personal data.

        Raises:
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        with self._ctx.p.unit_of_work(session, readonly=True) as s:
            query = (
                select(ReactionRow)
                .where(ReactionRow.dossier_id == dossier_id)
                .order_by(ReactionRow.number)
                .execution_options(yield_per=500)
            )
            for row in s.execute(query).scalars():
                yield reaction_out(row)

    def submitters(
        self, dossier_id: uuid.UUID, *, session: Session | None = None
    ) -> list[Submitter]:
        """Personal data of every signatory (internal use only).

        Args:
            dossier_id: the dossier's id; an unknown one has none.
            session: the host's SQLAlchemy session to read in; without it, one of its own.

        Returns:
            list[Submitter]: by reaction number and position; fields are None once the
            contact details were removed.

        Raises:
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        with self._ctx.p.unit_of_work(session, readonly=True) as s:
            return [submitter_out(sub, number) for sub, number in submitter_rows(s, dossier_id)]

    def import_file(
        self,
        dossier_id: uuid.UUID,
        path: str | Path,
        *,
        actor: str,
        channel: str = "paper",
        session: Session | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> ImportReport:
        """Bulk import of paper reactions from CSV or XLSX, one reaction a row (see
        ``imports.py`` for the columns). The file is read and bounded (``Settings.imports``)
        before the transaction opens. A row that cannot be imported is reported with its
        reason (in Dutch) and the others go in; a reference (``nummer``) already in the
        dossier is skipped as an error.

        Args:
            dossier_id: the dossier's id.
            path: the ``.csv`` or ``.xlsx`` file.
            actor: who imports (audit log).
            channel: the channel of rows that name none (default ``paper``).
            session: the host's SQLAlchemy session to work in (the library only
                flushes); without it the call commits on its own.
            progress: called before each row with (rows begun, rows in the file), for
                a progress bar.

        Returns:
            ImportReport: rows read, imported, their numbers and the errors per row.

        Raises:
            ImportFailed: ``reaction.import_failed``, field ``file``: no such file, not
                CSV or XLSX, unreadable, no text column, or XLSX without the ``reports``
                extra.
            ImportTooLarge: ``import.too_large``, past ``imports.max_rows`` or another
                bound (``details["bound"]``).
            DossierNotFound: ``dossier.not_found``, field ``dossier_id``.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        from participatie.reactions import imports

        return imports.import_file(
            self._ctx,
            dossier_id,
            Path(path),
            actor=actor,
            channel=channel,
            session=session,
            progress=progress,
        )
