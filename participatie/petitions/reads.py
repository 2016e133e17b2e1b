"""Reading petitions and their numbers: one or a list, the exact count and its check,
the desk's statistics and what the public pages may show.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select, true
from sqlalchemy.orm import Session

from participatie.errors import InvalidInput
from participatie.petitions import counts, tally
from participatie.petitions.core import Part
from participatie.petitions.errors import (
    PetitionNotFound,
)
from participatie.petitions.models import (
    COINITIATORS,
    DRAFT,
    REJECTED,
    SUBMITTED,
    VERIFIED,
    PetitionRow,
    SignatureRow,
)
from participatie.petitions.schemas import (
    CountCheck,
    DeskStats,
    Petition,
    PublicSigner,
    PublicSigners,
    PublicStats,
)


class Reads(Part):
    """Reading petitions and their numbers (part of ``p.petitions``)."""

    def get(self, petition_id: uuid.UUID, *, session: Session | None = None) -> Petition:
        with self._p.unit_of_work(session, readonly=True) as s:
            return self.core.public(s, self.core.petition(s, petition_id))

    def list(
        self,
        *,
        status: str | None = None,
        include_hidden: bool = False,
        session: Session | None = None,
    ) -> list[Petition]:
        with self._p.unit_of_work(session, readonly=True) as s:
            query = select(PetitionRow).order_by(PetitionRow.created_at, PetitionRow.id)
            if status is not None:
                query = query.where(PetitionRow.status == status)
            if not include_hidden:
                query = query.where(PetitionRow.hidden.is_(False))
            return [self.core.public(s, row) for row in s.execute(query).scalars()]

    def count(self, petition_id: uuid.UUID, *, session: Session | None = None) -> int:
        """The exact number of verified online signatures (sum of the counter shards)."""

        with self._p.unit_of_work(session, readonly=True) as s:
            self.core.petition(s, petition_id)
            return self.core.verified(s, petition_id)

    def verify_counts(
        self, petition_id: uuid.UUID, *, session: Session | None = None
    ) -> CountCheck:
        """Compare the verified counter (the sum of the counter shards, what pages show)
        with the signatures in state ``verified``.

        Returns a ``CountCheck``: ``{petition_id, counter, rows, ok, error}``. When the
        two differ, ``ok`` is False and ``error`` is ``{code: "petition.count_drift",
        message, counter, rows}``; nothing is changed. Raises ``PetitionNotFound``
        (``petition.not_found``) for an unknown petition. Reads only: both numbers come
        from one statement, so a confirmation committing meanwhile is never a drift.
        """

        with self._p.unit_of_work(session, readonly=True) as s:
            self.core.petition(s, petition_id)
            return counts.check(s, petition_id)

    # -- signing ---------------------------------------------------------------------

    def stats(self, petition_id: uuid.UUID, *, session: Session | None = None) -> DeskStats:
        """Counts for the desk: verified, paper and per area and day, plus the states."""

        from participatie.petitions import report

        with self._p.unit_of_work(session, readonly=True) as s:
            return report.desk_stats(self._p, s, self.core.petition(s, petition_id))

    def public_stats(
        self, petition_id: uuid.UUID, *, session: Session | None = None
    ) -> PublicStats:
        """Statistics without personal data (hidden petitions are not found)."""

        from participatie.petitions import report

        with self._p.unit_of_work(session, readonly=True) as s:
            row = self._public_row(s, petition_id)
            full = report.desk_stats(self._p, s, row)
            return PublicStats(**full.model_dump(include=set(PublicStats.model_fields)))

    def public_signers(
        self,
        petition_id: uuid.UUID,
        *,
        limit: int = 50,
        offset: int = 0,
        session: Session | None = None,
    ) -> PublicSigners:
        """Names of verified signers who agreed to be shown (newest first), with their wijk.

        Only signers who ticked the box; never an address; nothing of a hidden or not yet
        public petition, and nothing once the personal data is anonymised.
        """

        if not 1 <= limit <= 500:
            raise InvalidInput("limit must be between 1 and 500", field="limit")
        if offset < 0:
            raise InvalidInput("offset cannot be negative", field="offset")
        with self._p.unit_of_work(session, readonly=True) as s:
            row = self._public_row(s, petition_id)
            # The count comes from the tally and the page from the index on (petition,
            # state, show_name, confirmed_at): neither reads more rows as the petition
            # grows. ``show_name == true`` (not ``IS true``) lets the index serve it.
            shown = (
                (SignatureRow.petition_id == row.id)
                & (SignatureRow.status == VERIFIED)
                & (SignatureRow.show_name == true())
                & SignatureRow.name.is_not(None)
            )
            total = tally.named_count(s, row.id)
            names = {a.code: a.name for a in self._p.areas.list(session=s)}
            result = s.execute(
                select(SignatureRow.name, SignatureRow.area_code, SignatureRow.confirmed_day)
                .where(shown)
                .order_by(SignatureRow.confirmed_at.desc(), SignatureRow.id.desc())
                .limit(limit)
                .offset(offset)
            ).all()
            return PublicSigners(
                total=int(total),
                signers=[
                    PublicSigner(
                        name=str(name),
                        area=names.get(area) if area else None,
                        confirmed_on=day,
                    )
                    for name, area, day in result
                ],
            )

    def _public_row(self, s: Session, petition_id: uuid.UUID) -> PetitionRow:
        # Hidden, or not yet (or never) public: to a public page it does not exist.
        row = self.core.petition(s, petition_id)
        if row.hidden or row.status in (DRAFT, COINITIATORS, SUBMITTED, REJECTED):
            raise PetitionNotFound("no such petition", field="petition")
        return row
