"""Assessment of the reactions facade: themes, splitting reactions into points, and who
assesses which theme or point.
"""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from participatie.errors import NotFound
from participatie.reactions.context import ReactionsPart
from participatie.reactions.errors import ThemeExists
from participatie.reactions.models import PointRow, ReactionRow, ThemeRow
from participatie.reactions.outputs import point_out, theme_out
from participatie.reactions.schemas import Point, PointIn, Theme, ThemeIn


class Assessment(ReactionsPart):
    """Themes and points: the reactions taken apart to be answered."""

    def create_theme(
        self,
        dossier_id: uuid.UUID,
        data: ThemeIn,
        *,
        assessor: str | None = None,
        actor: str = "system",
        session: Session | None = None,
    ) -> Theme:
        with self._ctx.p.unit_of_work(session) as s:
            dossier = self._ctx.dossier(s, dossier_id, lock=True)
            exists = s.execute(
                select(ThemeRow.id).where(
                    ThemeRow.dossier_id == dossier.id, ThemeRow.code == data.code
                )
            ).first()
            if exists:
                raise ThemeExists(f"theme {data.code!r} exists already", field="code")
            count = s.execute(
                select(func.count()).where(ThemeRow.dossier_id == dossier.id)
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
        dossier_id: uuid.UUID,
        number: int,
        data: PointIn,
        *,
        actor: str = "system",
        session: Session | None = None,
    ) -> Point:
        """Split a reaction: one more point, optionally in a theme."""

        with self._ctx.p.unit_of_work(session) as s:
            # Locked: two points split off one reaction at once each get their own position.
            reaction = self._ctx.by_number(s, dossier_id, number, lock=True)
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
                number=number,
                position=row.position,
                theme=theme.code if theme else None,
            )
            return point_out(row, number, theme.code if theme else None)

    def assign_point(
        self,
        point_id: uuid.UUID,
        *,
        theme: str | None = None,
        assessor: str | None = None,
        actor: str = "system",
        session: Session | None = None,
    ) -> Point:
        """Put a point in a theme (``theme``) and/or give it to an assessor."""

        with self._ctx.p.unit_of_work(session) as s:
            row = s.get(PointRow, point_id)
            if row is None:
                raise NotFound(f"no point {point_id}", field="point_id")
            reaction = self._ctx.reaction(s, row.reaction_id)
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
        actor: str = "system",
        session: Session | None = None,
    ) -> Theme:
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
            return theme_out(row, 0, 0)

    def points(
        self,
        dossier_id: uuid.UUID,
        *,
        theme: str | None = None,
        number: int | None = None,
        session: Session | None = None,
    ) -> list[Point]:
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
            if number is not None:
                query = query.where(ReactionRow.number == number)
            return [point_out(row, n, code) for row, n, code in s.execute(query).all()]
