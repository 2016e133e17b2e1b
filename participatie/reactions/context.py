"""What every room of the reactions facade shares: the library, the clock, the calendar,
the audit trail and the lookups of dossiers, rounds, reactions and themes.
"""

from __future__ import annotations

import functools
import inspect
import uuid
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from pydantic_core import to_jsonable_python
from sqlalchemy import select
from sqlalchemy.orm import Session

from participatie.errors import NotFound
from participatie.reactions.deadlines import WorkingDays
from participatie.reactions.errors import (
    AlreadyPublished,
    DossierNotFound,
    ReactionNotFound,
    UnknownTheme,
)
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
        key = as_key(dossier_id, DossierNotFound, "dossier_id")
        query = select(DossierRow).where(DossierRow.id == key)
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
        key = as_key(reaction_id, ReactionNotFound, "reaction_id")
        query = select(ReactionRow).where(ReactionRow.id == key)
        row = s.execute(query.with_for_update() if lock else query).scalar_one_or_none()
        if row is None:
            raise ReactionNotFound(f"no reaction {reaction_id}", field="reaction_id")
        return row

    def by_number(
        self, s: Session, dossier_id: uuid.UUID, number: int, *, lock: bool = False
    ) -> ReactionRow:
        if isinstance(number, bool) or not isinstance(number, int):
            raise ReactionNotFound(
                f"a reaction number is a whole number, not {number!r}", field="number"
            )
        key = as_key(dossier_id, DossierNotFound, "dossier_id")
        query = select(ReactionRow).where(
            ReactionRow.dossier_id == key, ReactionRow.number == number
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

    def check_unpublished(
        self, s: Session, dossier_id: uuid.UUID, round_no: int, field: str
    ) -> None:
        """Refuse a change to the points or themes of a round whose answers are out: the
        nota and the letters were made from them (``AlreadyPublished`` naming ``field``)."""

        published = s.execute(
            select(RoundRow.published_at).where(
                RoundRow.dossier_id == dossier_id, RoundRow.number == round_no
            )
        ).scalar_one_or_none()
        if published is not None:
            raise AlreadyPublished(f"the answers of round {round_no} are published", field=field)

    def touch(self, dossier: DossierRow) -> None:
        dossier.updated_at = self.now()


def as_key(value: object, error: type[NotFound], field: str) -> uuid.UUID:
    """An id the host gave: a UUID or its text; anything else names nothing, so ``error``
    (not found) naming ``field``, whatever the database would have made of it."""

    if isinstance(value, uuid.UUID):
        return value
    if isinstance(value, str):
        try:
            return uuid.UUID(value.strip())
        except ValueError:
            pass
    raise error(f"no {field.removesuffix('_id')} {value!r}", field=field)


#: The id parameters of the facade's calls, read the same way by every call.
KEY_PARAMETERS: dict[str, type[NotFound]] = {
    "dossier_id": DossierNotFound,
    "reaction_id": ReactionNotFound,
    "reaction_ids": ReactionNotFound,
}


def _coerce_keys(method: Callable[..., Any], names: list[str]) -> Callable[..., Any]:
    signature = inspect.signature(method)

    @functools.wraps(method)
    def call(*args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(*args, **kwargs)
        for name in names:
            if name not in bound.arguments or bound.arguments[name] is None:
                continue
            value, error = bound.arguments[name], KEY_PARAMETERS[name]
            if name.endswith("_ids"):
                if isinstance(value, str | bytes) or not isinstance(value, Iterable):
                    raise error(f"{name} must be a list of ids", field=name)
                bound.arguments[name] = [as_key(v, error, name) for v in value]
            else:
                bound.arguments[name] = as_key(value, error, name)
        return method(*bound.args, **bound.kwargs)

    return call


class ReactionsPart:
    """Base of each room of the facade: all parts share one context.

    Every public call that takes ``dossier_id``, ``reaction_id`` or ``reaction_ids``
    reads them the same way (:func:`as_key`): a UUID or its text, anything else is not
    found, on every database alike.
    """

    def __init__(self, ctx: ReactionContext) -> None:
        self._ctx = ctx

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name, method in list(vars(cls).items()):
            if name.startswith("_") or not inspect.isfunction(method):
                continue
            keys = [k for k in inspect.signature(method).parameters if k in KEY_PARAMETERS]
            if keys:
                setattr(cls, name, _coerce_keys(method, keys))
