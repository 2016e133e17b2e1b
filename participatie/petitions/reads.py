"""Reading petitions and their numbers: one or a list, the exact count and its check,
the desk's statistics and what the public pages may show.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from participatie.errors import InvalidInput
from participatie.petitions import counts, tally
from participatie.petitions.core import Part, petition_key
from participatie.petitions.errors import (
    PetitionNotFound,
)
from participatie.petitions.models import (
    PetitionRow,
)
from participatie.petitions.schemas import (
    PUBLIC_STATUSES,
    CountCheck,
    DeskStats,
    Petition,
    PublicPage,
    PublicSigner,
    PublicSigners,
    PublicStats,
)
from participatie.petitions.statements import NAMES_PAGE, PUBLIC_ROW


class Reads(Part):
    """Reading petitions and their numbers (part of ``p.petitions``)."""

    def get(self, petition_id: uuid.UUID, *, session: Session | None = None) -> Petition:
        """One petition as the desk sees it (also hidden or not yet public ones).

        Args:
            petition_id: the petition's id.
            session: the host's SQLAlchemy session to read in; without it, one of its own.

        Returns:
            Petition: its texts, status, times (UTC), thresholds, the moderation and the
            answer, the confirmed co-initiators, the verified and paper counts and its
            public URL.

        Raises:
            PetitionNotFound: ``petition.not_found``, field ``petition`` (also for an id
                that is not a UUID).
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        with self._p.unit_of_work(session, readonly=True) as s:
            return self.core.public(s, self.core.petition(s, petition_id))

    def list(
        self,
        *,
        status: str | None = None,
        include_hidden: bool = False,
        session: Session | None = None,
    ) -> list[Petition]:
        """The petitions, oldest first.

        Args:
            status: only this status (``draft``, ``coinitiators``, ``submitted``,
                ``rejected``, ``open``, ``closed``, ``handed_over``, ``answered``,
                ``withdrawn``); None: all.
            include_hidden: also hidden petitions.
            session: the host's SQLAlchemy session to read in; without it, one of its own.

        Returns:
            list[Petition]: by creation time; empty when none match.

        Raises:
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        with self._p.unit_of_work(session, readonly=True) as s:
            query = select(PetitionRow).order_by(PetitionRow.created_at, PetitionRow.id)
            if status is not None:
                query = query.where(PetitionRow.status == status)
            if not include_hidden:
                query = query.where(PetitionRow.hidden.is_(False))
            return [self.core.public(s, row) for row in s.execute(query).scalars()]

    def count(self, petition_id: uuid.UUID, *, session: Session | None = None) -> int:
        """The exact number of verified online signatures (sum of the counter shards);
        paper batches are not included.

        Args:
            petition_id: the petition's id.
            session: the host's SQLAlchemy session to read in; without it, one of its own.

        Returns:
            int: the verified count.

        Raises:
            PetitionNotFound: ``petition.not_found``, field ``petition`` (also for an id
                that is not a UUID).
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        with self._p.unit_of_work(session, readonly=True) as s:
            self.core.petition(s, petition_id)
            return self.core.verified(s, petition_id)

    def verify_counts(
        self, petition_id: uuid.UUID, *, session: Session | None = None
    ) -> CountCheck:
        """Compare the verified counter (the sum of the counter shards, what pages show)
        with the signatures in state ``verified``, and the tally (per state, wijk and
        day) with the rows. Reads only: the numbers come from one statement, so a
        confirmation committing meanwhile is never a drift.

        Args:
            petition_id: the petition's id.
            session: the host's SQLAlchemy session to read in; without it, one of its own.

        Returns:
            CountCheck: ``counter``, ``rows`` and ``ok``; when they differ ``ok`` is False
            and ``error`` carries ``petition.count_drift`` (reported, not raised), and
            ``tallies`` lists each differing count. Nothing is changed.

        Raises:
            PetitionNotFound: ``petition.not_found``, field ``petition`` (also for an id
                that is not a UUID).
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        with self._p.unit_of_work(session, readonly=True) as s:
            self.core.petition(s, petition_id)
            return counts.check(s, petition_id)

    # -- signing ---------------------------------------------------------------------

    def stats(self, petition_id: uuid.UUID, *, session: Session | None = None) -> DeskStats:
        """Counts for the desk: verified, paper and per area and day, plus the states.
        Reads the counters and the tally, not the signatures: the same cost at any size.

        Args:
            petition_id: the petition's id.
            session: the host's SQLAlchemy session to read in; without it, one of its own.

        Returns:
            DeskStats: verified, paper and total, per wijk and per day (local date of
            confirmation), thresholds and those reached, the closing time, and the
            pending, fraudulent, invalidated and withdrawn counts.

        Raises:
            PetitionNotFound: ``petition.not_found``, field ``petition`` (also for an id
                that is not a UUID).
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        from participatie.petitions import report

        with self._p.unit_of_work(session, readonly=True) as s:
            return report.desk_stats(self._p, s, self.core.petition(s, petition_id))

    def public_stats(
        self, petition_id: uuid.UUID, *, session: Session | None = None
    ) -> PublicStats:
        """Statistics without personal data (hidden petitions are not found, nor those in
        draft, waiting for co-initiators or moderation, rejected or withdrawn).

        Args:
            petition_id: the petition's id.
            session: the host's SQLAlchemy session to read in; without it, one of its own.

        Returns:
            PublicStats: verified, paper and total, per wijk and day, the thresholds and
            those reached, and the closing time.

        Raises:
            PetitionNotFound: ``petition.not_found``, also for a petition the public may
                not see.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

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

        Only signers who ticked the box; never an address; nothing of a hidden, withdrawn
        or not yet public petition, and nothing once the personal data is anonymised.

        Args:
            petition_id: the petition's id.
            limit: names per page, 1 to 500.
            offset: names to skip (0 or more).
            session: the host's SQLAlchemy session to read in; without it, one of its own.

        Returns:
            PublicSigners: ``total`` shown names and one page of name, wijk name and day
            of confirmation.

        Raises:
            InvalidInput: ``input.invalid``, field ``limit`` or ``offset``.
            PetitionNotFound: ``petition.not_found``, also for a petition the public may
                not see.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        if not 1 <= limit <= 500:
            raise InvalidInput("limit must be between 1 and 500", field="limit")
        if offset < 0:
            raise InvalidInput("offset cannot be negative", field="offset")
        with self._p.unit_of_work(session, readonly=True) as s:
            row = self._public_row(s, petition_id)
            return self._signers(s, row, tally.named_count(s, row.id), limit, offset, None)

    def public_page(
        self, petition_id: uuid.UUID, *, names: int = 50, session: Session | None = None
    ) -> PublicPage:
        """What the petition's public page shows, read together: the petition, its
        statistics and the newest names. The same as :meth:`get`, :meth:`public_stats`
        and :meth:`public_signers` (``limit=names``), in one read-only transaction and
        three to seven statements (one more when a signer's wijk is no longer listed),
        none of which reads more as signatures come in.

        Args:
            petition_id: the petition's id.
            names: how many of the newest names, 1 to 500.
            session: the host's SQLAlchemy session to read in; without it, one of its own.

        Returns:
            PublicPage: ``petition``, ``stats`` and ``signers``.

        Raises:
            InvalidInput: ``input.invalid``, field ``names``.
            PetitionNotFound: ``petition.not_found``, also for a petition the public may
                not see.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        from participatie.petitions import report

        if not 1 <= names <= 500:
            raise InvalidInput("names must be between 1 and 500", field="names")
        key = petition_key(petition_id)
        with self._p.unit_of_work(session, readonly=True) as s:
            # The row's columns, not an ORM object: the page only reads them.
            row: Any = s.connection().execute(PUBLIC_ROW, {"pid": key}).first()
            if row is None or not self._public(row):
                raise PetitionNotFound("no such petition", field="petition")
            numbers = self.core.numbers(s, row.id)
            counted = tally.read(s, row.id)
            full = report.desk_stats(self._p, s, row, numbers, counted)
            known = {a.area: a.name for a in full.per_area if a.area and a.name}
            return PublicPage(
                petition=self.core.public(s, row, numbers),
                stats=PublicStats(**full.model_dump(include=set(PublicStats.model_fields))),
                signers=self._signers(s, row, counted.named, names, 0, known),
            )

    def _signers(
        self,
        s: Session,
        row: PetitionRow,
        total: int,
        limit: int,
        offset: int,
        known: dict[str, str] | None,
    ) -> PublicSigners:
        """One page of the public list of names; ``known`` wijk names when read already."""

        from participatie.petitions.report import area_names

        result: list[Any] = []
        if total > offset:
            # The count comes from the tally and the page from an index: neither reads
            # more rows as the petition grows.
            params = {"pid": row.id, "limit": limit, "offset": offset}
            result = list(s.connection().execute(NAMES_PAGE, params))
        names = known or {}
        if any(area and area not in names for _, area, _ in result):
            names = area_names(s)
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
        if not self._public(row):
            raise PetitionNotFound("no such petition", field="petition")
        return row

    @staticmethod
    def _public(row: Any) -> bool:
        """Whether the public may see the petition: not hidden, and open, closed, handed
        over or answered (``PUBLIC_STATUSES``; not a draft, not waiting for co-initiators
        or moderation, not rejected, not withdrawn), as the web pages decide."""

        return not row.hidden and row.status in PUBLIC_STATUSES
