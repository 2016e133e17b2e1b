"""What every room of the reactions facade shares: the library, the clock, the calendar,
the audit trail and the lookups of dossiers, rounds, reactions and themes.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from pydantic_core import to_jsonable_python
from sqlalchemy import select
from sqlalchemy.orm import Session

from participatie.errors import NotFound
from participatie.reactions.deadlines import WorkingDays
from participatie.reactions.errors import DossierNotFound, ReactionNotFound, UnknownTheme
from participatie.reactions.models import DossierRow, ReactionRow, RoundRow, ThemeRow

if TYPE_CHECKING:
    from participatie.engine import Participatie
    from participatie.reactions.settings import ReactionSettings

#: Every event of the module is filed under its dossier, so one query finds them all.
SUBJECT = "reactions_dossier"


def record_event(
    p: Participatie, s: Session, actor: str, action: str, dossier_id: uuid.UUID, **data: Any
) -> None:
    """One audit event filed under its dossier."""

    # Audit events are permanent: they never carry personal data, only numbers. The
    # log's JSON encoder knows datetimes but not dates: make everything plain JSON.
    p.audit.record(
        s,
        actor=actor,
        action=action,
        subject_type=SUBJECT,
        subject_id=dossier_id,
        data=to_jsonable_python(data),
    )


class ReactionContext:
    """The library and the lookups every part of the reactions facade works with."""

    def __init__(self, p: Participatie) -> None:
        self.p = p
        s = p.settings.reactions
        self.calendar = WorkingDays(liberation_day=s.liberation_day, good_friday=s.good_friday)

    @property
    def settings(self) -> ReactionSettings:
        return self.p.settings.reactions

    def now(self) -> datetime:
        return self.p.clock.now()

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.p.settings.zone).date()

    def today(self) -> date:
        return self.local_date(self.now())

    def audit(
        self, s: Session, actor: str, action: str, dossier_id: uuid.UUID, **data: Any
    ) -> None:
        record_event(self.p, s, actor, action, dossier_id, **data)

    def dossier(self, s: Session, dossier_id: uuid.UUID, *, lock: bool = False) -> DossierRow:
        query = select(DossierRow).where(DossierRow.id == dossier_id)
        if lock:
            query = query.with_for_update()
        row = s.execute(query).scalar_one_or_none()
        if row is None:
            raise DossierNotFound(f"no dossier {dossier_id}", field="dossier_id")
        return row

    def round(self, dossier: DossierRow, number: int | None = None) -> RoundRow:
        wanted = dossier.round if number is None else number
        for r in dossier.rounds:
            if r.number == wanted:
                return r
        raise NotFound(f"dossier has no round {wanted}", field="round")

    def reaction(
        self, s: Session, reaction_id: uuid.UUID | str, *, lock: bool = False
    ) -> ReactionRow:
        try:
            key = reaction_id if isinstance(reaction_id, uuid.UUID) else uuid.UUID(reaction_id)
        except (TypeError, ValueError, AttributeError):
            raise ReactionNotFound(f"no reaction {reaction_id!r}", field="reaction_id") from None
        query = select(ReactionRow).where(ReactionRow.id == key)
        row = s.execute(query.with_for_update() if lock else query).scalar_one_or_none()
        if row is None:
            raise ReactionNotFound(f"no reaction {reaction_id}", field="reaction_id")
        return row

    def by_number(
        self, s: Session, dossier_id: uuid.UUID, number: int, *, lock: bool = False
    ) -> ReactionRow:
        query = select(ReactionRow).where(
            ReactionRow.dossier_id == dossier_id, ReactionRow.number == number
        )
        row = s.execute(query.with_for_update() if lock else query).scalar_one_or_none()
        if row is None:
            raise ReactionNotFound(f"no reaction number {number}", field="number")
        return row

    def theme(
        self, s: Session, dossier_id: uuid.UUID, code: str, round_no: int | None = None
    ) -> ThemeRow:
        row = s.execute(
            select(ThemeRow).where(
                ThemeRow.dossier_id == dossier_id, ThemeRow.code == code.strip().lower()
            )
        ).scalar_one_or_none()
        if row is None:
            raise UnknownTheme(f"no theme {code!r} in this dossier", field="theme")
        # Themes belong to a round: a later round's points get answers of their own.
        if round_no is not None and row.round != round_no:
            raise UnknownTheme(
                f"theme {code!r} belongs to round {row.round}, not round {round_no}",
                field="theme",
            )
        return row

    def touch(self, dossier: DossierRow) -> None:
        dossier.updated_at = self.now()


class ReactionsPart:
    """Base of each room of the facade: all parts share one context."""

    def __init__(self, ctx: ReactionContext) -> None:
        self._ctx = ctx
