"""Assessment of the reactions facade: themes, splitting reactions into points, and who
assesses which theme or point.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from participatie.errors import InvalidInput, NotFound
from participatie.reactions.context import ReactionsPart
from participatie.reactions.errors import ThemeExists, ThemeMergeRefused
from participatie.reactions.feedback import AnswerBook
from participatie.reactions.models import AnswerRow, PointRow, ReactionRow, ThemeRow
from participatie.reactions.outputs import point_out, theme_out
from participatie.reactions.review import DRAFT
from participatie.reactions.schemas import Point, PointIn, ReactionLine, Theme, ThemeIn


class Assessment(ReactionsPart):
    """Themes and points: the reactions taken apart to be answered."""

    def create_theme(
        self,
        dossier_id: uuid.UUID,
        data: ThemeIn,
        *,
        assessor: str | None = None,
        actor: str,
        session: Session | None = None,
    ) -> Theme:
        """A new theme in the dossier's current round, numbered after the highest so far.

        Args:
            dossier_id: the dossier's id.
            data: the code (lower-cased; unique in the dossier), title and summary.
            assessor: who assesses its points (None: nobody yet).
            actor: who does it (audit log).
            session: the host's SQLAlchemy session to work in (the library only
                flushes); without it the call commits on its own.

        Returns:
            Theme: the theme, without points yet.

        Raises:
            AlreadyPublished: ``reaction.already_published``, field ``dossier_id``: the
                round's answers are published.
            DossierNotFound: ``dossier.not_found``, field ``dossier_id``.
            ThemeExists: ``reaction.theme_exists``, field ``code``.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        with self._ctx.p.unit_of_work(session) as s:
            dossier = self._ctx.dossier(s, dossier_id, lock=True)
            self._ctx.check_unpublished(s, dossier.id, dossier.round, "dossier_id")
            exists = s.execute(
                select(ThemeRow.id).where(
                    ThemeRow.dossier_id == dossier.id, ThemeRow.code == data.code
                )
            ).first()
            if exists:
                raise ThemeExists(f"theme {data.code!r} exists already", field="code")
            # The highest number, not the count: a merged theme leaves its number unused.
            count = s.execute(
                select(func.coalesce(func.max(ThemeRow.number), 0)).where(
                    ThemeRow.dossier_id == dossier.id
                )
            ).scalar_one()
            row = ThemeRow(
                dossier_id=dossier.id,
                code=data.code,
                number=int(count) + 1,
                round=dossier.round,
                title=data.title,
                summary=data.summary,
                assessor=assessor,
            )
            s.add(row)
            try:
                s.flush()
            except IntegrityError:
                raise ThemeExists(f"theme {data.code!r} exists already", field="code") from None
            self._ctx.audit(
                s, actor, "reactions.theme_created", dossier.id, code=row.code, title=row.title
            )
            return theme_out(row, 0, 0)

    def themes(self, dossier_id: uuid.UUID, *, session: Session | None = None) -> list[Theme]:
        """The dossier's themes (all rounds) by number, with their counts.

        Args:
            dossier_id: the dossier's id; an unknown one has none.
            session: the host's SQLAlchemy session to read in; without it, one of its own.

        Returns:
            list[Theme]: each with its round, assessor, number of points and of reactions
            those points come from.

        Raises:
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        with self._ctx.p.unit_of_work(session, readonly=True) as s:
            counts = {
                theme_id: (int(points), int(reactions))
                for theme_id, points, reactions in s.execute(
                    select(
                        PointRow.theme_id,
                        func.count(),
                        func.count(func.distinct(PointRow.reaction_id)),
                    )
                    .where(PointRow.dossier_id == dossier_id)
                    .group_by(PointRow.theme_id)
                ).all()
            }
            rows = s.execute(
                select(ThemeRow).where(ThemeRow.dossier_id == dossier_id).order_by(ThemeRow.number)
            ).scalars()
            return [theme_out(row, *counts.get(row.id, (0, 0))) for row in rows]

    def add_point(
        self,
        reaction_id: uuid.UUID,
        data: PointIn,
        *,
        actor: str,
        session: Session | None = None,
    ) -> Point:
        """Split a reaction: one more point, optionally in a theme of the reaction's round.

        Args:
            reaction_id: the reaction's id (``Reaction.id``; a number a resident quotes
                is looked up with :meth:`reaction_by_number`).
            data: the point's text and optionally a theme code.
            actor: who does it (audit log).
            session: the host's SQLAlchemy session to work in (the library only
                flushes); without it the call commits on its own.

        Returns:
            Point: the point with its position in the reaction.

        Raises:
            AlreadyPublished: ``reaction.already_published``, field ``reaction_id``: the
                round's answers are published.
            ReactionNotFound: ``reaction.not_found``, field ``reaction_id``.
            UnknownTheme: ``reaction.unknown_theme``, field ``theme``: none, or of another
                round.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        with self._ctx.p.unit_of_work(session) as s:
            # Locked: two points split off one reaction at once each get their own position.
            reaction = self._ctx.reaction(s, reaction_id, lock=True)
            dossier_id = reaction.dossier_id
            self._ctx.check_unpublished(s, dossier_id, reaction.round, "reaction_id")
            theme = (
                self._ctx.theme(s, dossier_id, data.theme, reaction.round) if data.theme else None
            )
            position = s.execute(
                select(func.coalesce(func.max(PointRow.position), 0)).where(
                    PointRow.reaction_id == reaction.id
                )
            ).scalar_one()
            row = PointRow(
                reaction_id=reaction.id,
                dossier_id=dossier_id,
                position=int(position) + 1,
                text=data.text,
                theme_id=theme.id if theme else None,
            )
            s.add(row)
            s.flush()
            self._ctx.audit(
                s,
                actor,
                "reactions.point_added",
                dossier_id,
                number=reaction.number,
                position=row.position,
                theme=theme.code if theme else None,
            )
            return point_out(row, reaction.number, theme.code if theme else None)

    def assign_point(
        self,
        point_id: uuid.UUID,
        *,
        theme: str | None = None,
        assessor: str | None = None,
        actor: str,
        session: Session | None = None,
    ) -> Point:
        """Put a point in a theme (``theme``) and/or give it to an assessor; what is None
        stays.

        Args:
            point_id: the point's id.
            theme: a theme code of the point's round.
            assessor: who assesses the point.
            actor: who does it (audit log).
            session: the host's SQLAlchemy session to work in (the library only
                flushes); without it the call commits on its own.

        Returns:
            Point: the point as it is now.

        Raises:
            AlreadyPublished: ``reaction.already_published``, field ``point_id``: the
                round's answers are published, and a theme is given.
            NotFound: ``not_found``, field ``point_id``.
            ReactionNotFound: ``reaction.not_found``, the point's reaction is gone.
            UnknownTheme: ``reaction.unknown_theme``, field ``theme``.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        with self._ctx.p.unit_of_work(session) as s:
            row = s.get(PointRow, point_id)
            if row is None:
                raise NotFound(f"no point {point_id}", field="point_id")
            reaction = self._ctx.reaction(s, row.reaction_id)
            if theme:
                self._ctx.check_unpublished(s, row.dossier_id, reaction.round, "point_id")
            theme_row = self._ctx.theme(s, row.dossier_id, theme, reaction.round) if theme else None
            before = {"theme_id": row.theme_id, "assessor": row.assessor}
            if theme_row is not None:
                row.theme_id = theme_row.id
            if assessor is not None:
                row.assessor = assessor
            s.flush()
            code = None
            if row.theme_id is not None:
                t = s.get(ThemeRow, row.theme_id)
                code = t.code if t else None
            self._ctx.audit(
                s,
                actor,
                "reactions.point_assigned",
                row.dossier_id,
                number=reaction.number,
                position=row.position,
                before=before,
                after={"theme": code, "assessor": row.assessor},
            )
            return point_out(row, reaction.number, code)

    def assign_theme(
        self,
        dossier_id: uuid.UUID,
        theme: str,
        *,
        assessor: str,
        actor: str,
        session: Session | None = None,
    ) -> Theme:
        """Give a theme to an assessor.

        Args:
            dossier_id: the dossier's id.
            theme: the theme's code.
            assessor: who assesses it.
            actor: who does it (audit log).
            session: the host's SQLAlchemy session to work in (the library only
                flushes); without it the call commits on its own.

        Returns:
            Theme: the theme with its assessor, and its ``points`` and ``reactions``
            counted as ``themes`` counts them.

        Raises:
            UnknownTheme: ``reaction.unknown_theme``, field ``theme`` (also for an
                unknown dossier).
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        with self._ctx.p.unit_of_work(session) as s:
            row = self._ctx.theme(s, dossier_id, theme)
            before = row.assessor
            row.assessor = assessor
            s.flush()
            self._ctx.audit(
                s,
                actor,
                "reactions.theme_assigned",
                dossier_id,
                theme=row.code,
                before=before,
                after=assessor,
            )
            return self._theme_counted(s, row)

    def points(
        self,
        dossier_id: uuid.UUID,
        *,
        theme: str | None = None,
        reaction_id: uuid.UUID | None = None,
        session: Session | None = None,
    ) -> list[Point]:
        """The dossier's points by reaction number and position.

        Args:
            dossier_id: the dossier's id; an unknown one has none.
            theme: only the points of this theme (code).
            reaction_id: only the points of this reaction (``Reaction.id``).
            session: the host's SQLAlchemy session to read in; without it, one of its own.

        Returns:
            list[Point]: each with its reaction number, theme code and assessor.

        Raises:
            UnknownTheme: ``reaction.unknown_theme``, field ``theme``.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        with self._ctx.p.unit_of_work(session, readonly=True) as s:
            query = (
                select(PointRow, ReactionRow.number, ThemeRow.code)
                .join(ReactionRow, ReactionRow.id == PointRow.reaction_id)
                .outerjoin(ThemeRow, ThemeRow.id == PointRow.theme_id)
                .where(PointRow.dossier_id == dossier_id)
                .order_by(ReactionRow.number, PointRow.position)
            )
            if theme is not None:
                query = query.where(ThemeRow.id == self._ctx.theme(s, dossier_id, theme).id)
            if reaction_id is not None:
                query = query.where(PointRow.reaction_id == reaction_id)
            return [point_out(row, n, code) for row, n, code in s.execute(query).all()]

    def rename_theme(
        self,
        dossier_id: uuid.UUID,
        theme: str,
        *,
        title: str,
        summary: str | None = None,
        actor: str,
        session: Session | None = None,
    ) -> Theme:
        """Give a theme a new title (and summary); its code, number, points and answer stay.

        Args:
            dossier_id: the dossier's id.
            theme: the theme's code.
            title: the new title (1 to 255 characters).
            summary: the new summary; None keeps it.
            actor: who does it (audit log).
            session: the host's SQLAlchemy session to work in (the library only
                flushes); without it the call commits on its own.

        Returns:
            Theme: the theme with its counts.

        Raises:
            AlreadyPublished: ``reaction.already_published``, field ``theme``: the
                round's answers are published.
            InvalidInput: ``input.invalid``, field ``title``.
            UnknownTheme: ``reaction.unknown_theme``, field ``theme``.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        title = title.strip()
        if not title or len(title) > 255:
            raise InvalidInput("a theme needs a title of at most 255 characters", field="title")
        with self._ctx.p.unit_of_work(session) as s:
            row = self._ctx.theme(s, dossier_id, theme)
            self._ctx.check_unpublished(s, row.dossier_id, row.round, "theme")
            before = row.title
            row.title = title
            if summary is not None:
                row.summary = summary.strip()
            s.flush()
            self._ctx.audit(
                s,
                actor,
                "reactions.theme_renamed",
                dossier_id,
                theme=row.code,
                before=before,
                after=title,
            )
            return self._theme_counted(s, row)

    def merge_themes(
        self,
        dossier_id: uuid.UUID,
        source: str,
        into: str,
        *,
        actor: str,
        session: Session | None = None,
    ) -> Theme:
        """Merge theme ``source`` into ``into``: its points move, ``source`` is removed.

        The answer of ``into`` stays; when only ``source`` had one, it moves with the
        points, otherwise ``source``'s answer is removed (the audit log names it). The
        remaining answer goes back to draft: it now answers more points and needs a new
        review.

        Args:
            dossier_id: the dossier's id.
            source: the code of the theme that goes.
            into: the code of the theme that stays.
            actor: who does it (audit log).
            session: the host's SQLAlchemy session to work in (the library only
                flushes); without it the call commits on its own.

        Returns:
            Theme: ``into`` with its counts after the merge.

        Raises:
            DossierNotFound: ``dossier.not_found``, field ``dossier_id``.
            UnknownTheme: ``reaction.unknown_theme``, field ``theme``.
            ThemeMergeRefused: ``reaction.theme_merge``: a theme into itself or themes
                of different rounds (field ``into``), or a published answer (field
                ``source``).
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        with self._ctx.p.unit_of_work(session) as s:
            self._ctx.dossier(s, dossier_id, lock=True)
            src = self._ctx.theme(s, dossier_id, source)
            dst = self._ctx.theme(s, dossier_id, into)
            if src.id == dst.id:
                raise ThemeMergeRefused("a theme cannot be merged into itself", field="into")
            if src.round != dst.round:
                raise ThemeMergeRefused("the themes belong to different rounds", field="into")
            answers = {
                row.theme_id: row
                for row in s.execute(
                    select(AnswerRow).where(AnswerRow.theme_id.in_([src.id, dst.id]))
                ).scalars()
            }
            if any(a.status == "published" for a in answers.values()):
                raise ThemeMergeRefused("a published answer is final", field="source")
            moved = s.execute(
                update(PointRow)
                .where(PointRow.theme_id == src.id)
                .values(theme_id=dst.id)
                .execution_options(synchronize_session=False)
            ).rowcount  # type: ignore[attr-defined]
            kept = answers.get(dst.id)
            dropped = answers.get(src.id)
            changes: dict[str, Any] = {}
            if kept is None and dropped is not None:
                # The source's answer becomes the target's (its versions come along).
                kept, dropped = dropped, None
                changes["theme_id"] = dst.id
            if dropped is not None:
                s.delete(dropped)
                s.flush()
            if kept is not None:
                # Statements, not the mapped row: the answer's version counts text changes.
                s.execute(
                    update(AnswerRow)
                    .where(AnswerRow.id == kept.id)
                    .values(**changes, **DRAFT)
                    .execution_options(synchronize_session=False)
                )
            s.delete(src)
            s.flush()
            self._ctx.audit(
                s,
                actor,
                "reactions.themes_merged",
                dossier_id,
                source=src.code,
                into=dst.code,
                points=int(moved or 0),
                answer_removed=str(dropped.id) if dropped is not None else None,
            )
            return self._theme_counted(s, dst)

    def _theme_counted(self, s: Session, row: ThemeRow) -> Theme:
        points, reactions = s.execute(
            select(func.count(), func.count(func.distinct(PointRow.reaction_id))).where(
                PointRow.theme_id == row.id
            )
        ).one()
        return theme_out(row, int(points), int(reactions))

    def reaction_overview(
        self, dossier_id: uuid.UUID, *, session: Session | None = None
    ) -> list[ReactionLine]:
        """Every reaction of the current round in number order with its points and the
        points still without an answer: the assessment page's list (three queries).

        Args:
            dossier_id: the dossier's id.
            session: the host's SQLAlchemy session to read in; without it, one of its own.

        Returns:
            list[ReactionLine]: number, channel, time received, late, admissibility,
            signatories, the first 160 characters, points and unanswered points.

        Raises:
            DossierNotFound: ``dossier.not_found``, field ``dossier_id``.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        with self._ctx.p.unit_of_work(session, readonly=True) as s:
            dossier = self._ctx.dossier(s, dossier_id)
            book = AnswerBook(s, dossier.id)
            counts: dict[uuid.UUID, list[int]] = {}
            for point_id, reaction_id, theme_id in s.execute(
                select(PointRow.id, PointRow.reaction_id, PointRow.theme_id).where(
                    PointRow.dossier_id == dossier.id
                )
            ).all():
                answered = point_id in book.by_point or (
                    theme_id is not None and theme_id in book.by_theme
                )
                entry = counts.setdefault(reaction_id, [0, 0])
                entry[0] += 1
                entry[1] += int(not answered)
            rows = s.execute(
                select(
                    ReactionRow.id,
                    ReactionRow.number,
                    ReactionRow.channel,
                    ReactionRow.received_at,
                    ReactionRow.late,
                    ReactionRow.admissible,
                    ReactionRow.signatories,
                    func.substr(ReactionRow.text, 1, 160),
                )
                .where(ReactionRow.dossier_id == dossier.id, ReactionRow.round == dossier.round)
                .order_by(ReactionRow.number)
            ).all()
            lines = []
            for rid, number, channel, received, late, admissible, signatories, excerpt in rows:
                points, unanswered = counts.get(rid, [0, 0])
                lines.append(
                    ReactionLine(
                        reaction_id=rid,
                        number=number,
                        channel=channel,
                        received_at=received,
                        late=late,
                        admissible=admissible,
                        signatories=signatories,
                        excerpt=excerpt,
                        points=points,
                        unanswered=unanswered,
                    )
                )
            return lines
