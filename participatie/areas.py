"""Areas (wijken): a code, a name and the postcode ranges they cover; postcode -> area.

Ranges are on the four digits (PC4) and may narrow to letter ranges (``9742 AA``-``9742 KZ``)
for the places where a wijk border runs through a PC4 area.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field, field_validator
from sqlalchemy import ForeignKey, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from participatie.db import Base, IdMixin
from participatie.errors import Conflict, InvalidInput, NotFound
from participatie.identity import normalize_postcode

if TYPE_CHECKING:
    from participatie.engine import Participatie


class AreaRow(IdMixin, Base):
    __tablename__ = "participatie_area"

    code: Mapped[str] = mapped_column(String(50), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    ranges: Mapped[list[AreaRangeRow]] = relationship(
        back_populates="area", cascade="all, delete-orphan", lazy="selectin"
    )


class AreaRangeRow(IdMixin, Base):
    __tablename__ = "participatie_area_range"

    area_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("participatie_area.id", ondelete="CASCADE"), index=True
    )
    #: Inclusive bounds as normalised postcodes, "9742 AA" .. "9742 ZZ".
    low: Mapped[str] = mapped_column(String(7), index=True)
    high: Mapped[str] = mapped_column(String(7))
    area: Mapped[AreaRow] = relationship(back_populates="ranges")


class PostcodeRange(BaseModel):
    """``low``/``high`` as ``9742`` or ``9742 AB``; a bare PC4 covers all its letters."""

    low: str
    high: str | None = None


class AreaIn(BaseModel):
    code: str = Field(min_length=1, max_length=50)
    name: str = Field(min_length=1, max_length=200)
    postcodes: list[PostcodeRange | str] = Field(default_factory=list)

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        return value.strip().lower()


class Area(BaseModel):
    id: uuid.UUID
    code: str
    name: str


def _bound(value: str, *, upper: bool) -> str:
    text = value.strip()
    if len(text) == 4 and text.isdigit():
        return f"{text} {'ZZ' if upper else 'AA'}"
    return normalize_postcode(text, field="postcodes")


class Areas:
    """The facade's ``areas`` attribute."""

    def __init__(self, p: Participatie) -> None:
        self._p = p

    def create(self, data: AreaIn, *, actor: str, session: Session | None = None) -> Area:
        with self._p.unit_of_work(session) as s:
            if s.execute(select(AreaRow.id).where(AreaRow.code == data.code)).first():
                raise Conflict(f"area {data.code!r} exists already", field="code")
            row = AreaRow(code=data.code, name=data.name)
            for item in data.postcodes:
                rng = PostcodeRange(low=item) if isinstance(item, str) else item
                if "-" in rng.low and rng.high is None:
                    low_text, _, high_text = rng.low.partition("-")
                    rng = PostcodeRange(low=low_text, high=high_text)
                low = _bound(rng.low, upper=False)
                high = _bound(rng.high or rng.low, upper=True)
                if high < low:
                    raise InvalidInput(f"postcode range {low}..{high} is empty", field="postcodes")
                row.ranges.append(AreaRangeRow(low=low, high=high))
            s.add(row)
            s.flush()
            self._p.audit.record(
                s,
                actor=actor,
                action="area.created",
                subject_type="area",
                subject_id=row.id,
                data={"code": row.code, "name": row.name},
            )
            return Area(id=row.id, code=row.code, name=row.name)

    def list(self, *, session: Session | None = None) -> list[Area]:
        with self._p.unit_of_work(session, readonly=True) as s:
            rows = s.execute(select(AreaRow).order_by(AreaRow.name)).scalars()
            return [Area(id=r.id, code=r.code, name=r.name) for r in rows]

    def get(self, code: str, *, session: Session | None = None) -> Area:
        with self._p.unit_of_work(session, readonly=True) as s:
            row = s.execute(
                select(AreaRow).where(AreaRow.code == code.lower())
            ).scalar_one_or_none()
            if row is None:
                raise NotFound(f"no area {code!r}", field="area")
            return Area(id=row.id, code=row.code, name=row.name)

    def for_postcode(self, postcode: str, *, session: Session | None = None) -> Area | None:
        """The area a postcode lies in, or None when no range covers it."""

        normalized = normalize_postcode(postcode)
        with self._p.unit_of_work(session, readonly=True) as s:
            return area_for_postcode(s, normalized)


def area_for_postcode(session: Session, normalized_postcode: str) -> Area | None:
    """Look-up inside a caller's session; the postcode must be normalised already."""

    row = session.execute(
        select(AreaRow.id, AreaRow.code, AreaRow.name)
        .join(AreaRangeRow)
        .where(AreaRangeRow.low <= normalized_postcode, AreaRangeRow.high >= normalized_postcode)
        .order_by(AreaRangeRow.low.desc())
        .limit(1)
    ).first()
    return None if row is None else Area(id=row.id, code=row.code, name=row.name)


__all__ = [
    "Area",
    "AreaIn",
    "Areas",
    "PostcodeRange",
    "area_for_postcode",
]
