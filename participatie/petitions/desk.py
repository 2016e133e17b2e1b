"""The griffie's tools against abuse and for paper: allow/block rules, trends,
bulk invalidation with its preview, and batches of paper signatures.
"""

from __future__ import annotations

import builtins
import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from participatie.areas import AreaRow
from participatie.errors import InvalidInput, NotFound
from participatie.petitions import abuse, counts
from participatie.petitions.core import Part
from participatie.petitions.errors import (
    PetitionState,
    PreviewMismatch,
)
from participatie.petitions.models import (
    CLOSED,
    INVALIDATED,
    OPEN,
    VERIFIED,
    PaperBatchRow,
    RuleRow,
    SignatureRow,
    TrendRow,
)
from participatie.petitions.schemas import (
    InvalidationCriteria,
    InvalidationPreview,
    InvalidationResult,
    PaperBatch,
    PaperBatchIn,
    Rule,
    Trend,
)
from participatie.petitions.statements import (
    TrendCallback,
)
from participatie.retention import text_digest
from participatie.retry import retry_transient


class Desk(Part):
    """The griffie's tools against abuse and for paper (part of ``p.petitions``)."""

    @retry_transient
    def add_paper_batch(
        self,
        petition_id: uuid.UUID,
        data: PaperBatchIn,
        *,
        actor: str,
        session: Session | None = None,
    ) -> PaperBatch:
        """Add signatures collected on paper as a counted batch for one area; they count in
        the total and the thresholds (a milestone reached is recorded and mailed).

        Args:
            petition_id: the petition's id (open or closed).
            data: the wijk code (None when unknown), the number of signatures (1 to
                1,000,000) and a note.
            actor: who records the batch (audit log).
            session: the host's SQLAlchemy session to work in (the library only
                flushes); without it the call commits on its own.

        Returns:
            PaperBatch: the batch with its id, area code, count and time received.

        Raises:
            PetitionNotFound: ``petition.not_found``, field ``petition`` (also for an id
                that is not a UUID).
            PetitionState: ``petition.state``, the petition is neither open nor closed.
            InvalidInput: ``input.invalid``, field ``area``: no such wijk.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        with self._p.unit_of_work(session) as s:
            row = self.core.petition(s, petition_id, lock=True)
            if row.status not in (OPEN, CLOSED):
                raise PetitionState(
                    f"paper signatures can be added while open or closed, not {row.status}"
                )
            area_id = None
            if data.area is not None:
                found = s.execute(
                    select(AreaRow.id).where(AreaRow.code == data.area.strip().lower())
                ).scalar_one_or_none()
                if found is None:
                    raise InvalidInput(f"no area {data.area!r}", field="area")
                area_id = found
            batch = PaperBatchRow(
                petition_id=row.id,
                area_id=area_id,
                area_code=data.area.strip().lower() if data.area else None,
                count=data.count,
                received_at=self._p.clock.now(),
                note=data.note,
                recorded_by=actor,
            )
            s.add(batch)
            s.flush()
            self.core.audit(
                s,
                actor,
                "petition.paper_batch_added",
                row,
                {"batch": batch.id, "area": batch.area_code, "count": batch.count},
            )
            self.core.check_thresholds(s, row)
            return PaperBatch(
                id=batch.id,
                petition_id=row.id,
                area=batch.area_code,
                count=batch.count,
                received_at=batch.received_at,
                note=batch.note,
            )

    # -- abuse -------------------------------------------------------------------------

    def subscribe_trending(self, callback: TrendCallback) -> None:
        """Call ``callback(trend)`` when signatures from one IP address or domain trend.

        Called after the signing transaction (with a host's session: after its flush).
        An exception in the callback is logged and does not undo the signature.

        Args:
            callback: a function taking a :class:`Trend`; kept for the facade's life.

        Returns:
            None.

        Raises:
            Nothing of its own: it only registers the callback.
        """

        self.core.on_trend(callback)

    def trends(
        self, petition_id: uuid.UUID, *, session: Session | None = None
    ) -> builtins.list[Trend]:
        """The trends raised for a petition: signatures from one IP address (keyed hash) or
        mail domain above the hourly threshold, oldest first.

        Args:
            petition_id: the petition's id; an unknown one has no trends.
            session: the host's SQLAlchemy session to read in; without it, one of its own.

        Returns:
            list[Trend]: kind (``ip`` or ``domain``), key, the hour's start (UTC) and the
            count.

        Raises:
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        with self._p.unit_of_work(session, readonly=True) as s:
            rows = s.execute(
                select(TrendRow)
                .where(TrendRow.petition_id == petition_id)
                .order_by(TrendRow.raised_at)
            ).scalars()
            return [
                Trend(
                    petition_id=r.petition_id,
                    kind="ip" if r.kind == "ip" else "domain",
                    key=r.key,
                    window_start=r.bucket,
                    count=r.count,
                )
                for r in rows
            ]

    @retry_transient
    def add_rule(
        self,
        kind: str,
        value: str,
        *,
        actor: str,
        note: str | None = None,
        session: Session | None = None,
    ) -> Rule:
        """Add an allow- or block-list entry (domain, network in CIDR, or address). A
        blocked address is stored as a keyed hash only; the rules apply to new
        signatures at once.

        Args:
            kind: ``allow_domain``, ``allow_network``, ``block_domain``,
                ``block_network`` or ``block_address``.
            value: the domain (``example.org``), the network (``192.0.2.0/24``; an
                IPv4-mapped IPv6 network is stored as IPv4) or the e-mail address.
            actor: who adds the rule (audit log).
            note: why (in the audit log as a SHA-256 only).
            session: the host's SQLAlchemy session to work in (the library only
                flushes); without it the call commits on its own.

        Returns:
            Rule: the rule with its id; a blocked address shows as
            ``"(address, stored as a keyed hash)"``.

        Raises:
            InvalidInput: ``input.invalid``, field ``kind`` (unknown kind) or ``value``
                (not a domain, not a network, or the rule exists already).
            InvalidEmail: ``input.email``, field ``value``, for ``block_address``.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        if kind not in abuse.RULE_KINDS:
            raise InvalidInput(
                f"unknown rule kind {kind!r}: one of {', '.join(abuse.RULE_KINDS)}", field="kind"
            )
        stored = value.strip().lower()
        shown = stored
        if kind.endswith("_network"):
            stored = shown = str(abuse.parse_network(value))
        elif kind == "block_address":
            address = self.core.email(value, field="value")
            stored = self._p.hasher.email(address)
            shown = "(address, stored as a keyed hash)"
        elif not stored or "." not in stored or "@" in stored:
            raise InvalidInput(f"{value!r} is not a domain", field="value")
        with self._p.unit_of_work(session) as s:
            rule = RuleRow(
                kind=kind, value=stored, note=note, created_at=self._p.clock.now(), created_by=actor
            )
            try:
                with s.begin_nested():
                    s.add(rule)
                    s.flush()
            except IntegrityError:
                raise InvalidInput("this rule exists already", field="value") from None
            self._p.audit.record(
                s,
                actor=actor,
                action="petition.rule_added",
                subject_type="petition_rule",
                subject_id=rule.id,
                data={"kind": kind, "value": shown, "note_sha256": text_digest(note)},
            )
        self.core.clear_rules()
        return Rule(id=rule.id, kind=kind, value=shown, note=note)

    @retry_transient
    def remove_rule(
        self, rule_id: uuid.UUID, *, actor: str, session: Session | None = None
    ) -> None:
        """Remove an allow- or block-list entry; the removal is audited.

        Args:
            rule_id: the rule's id.
            actor: who removes it (audit log).
            session: the host's SQLAlchemy session to work in (the library only
                flushes); without it the call commits on its own.

        Returns:
            None.

        Raises:
            NotFound: ``not_found``, field ``rule``: no such rule.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        with self._p.unit_of_work(session) as s:
            rule = s.get(RuleRow, rule_id)
            if rule is None:
                raise NotFound("no such rule", field="rule")
            self._p.audit.record(
                s,
                actor=actor,
                action="petition.rule_removed",
                subject_type="petition_rule",
                subject_id=rule.id,
                data={"kind": rule.kind},
            )
            s.delete(rule)
        self.core.clear_rules()

    def rules(self, *, session: Session | None = None) -> builtins.list[Rule]:
        """The allow- and block-list entries, by kind and then age.

        Args:
            session: the host's SQLAlchemy session to read in; without it, one of its own.

        Returns:
            list[Rule]: each with its id, kind, value and note; blocked addresses show as
            ``"(address, stored as a keyed hash)"``.

        Raises:
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        with self._p.unit_of_work(session, readonly=True) as s:
            rows = s.execute(select(RuleRow).order_by(RuleRow.kind, RuleRow.created_at)).scalars()
            return [
                Rule(
                    id=r.id,
                    kind=r.kind,
                    value="(address, stored as a keyed hash)"
                    if r.kind == "block_address"
                    else r.value,
                    note=r.note,
                )
                for r in rows
            ]

    def preview_invalidation(
        self,
        petition_id: uuid.UUID,
        criteria: InvalidationCriteria,
        *,
        session: Session | None = None,
    ) -> InvalidationPreview:
        """How many signatures, per state, a bulk invalidation would hit. Writes nothing;
        pass its ``total`` to ``invalidate`` as ``expected_total``.

        Args:
            petition_id: the petition's id.
            criteria: which signatures: IP address, subnet (/24 or /48), mail domain,
                wijk, ``since``/``until`` (creation time, UTC; ``until`` excluded), the
                states (default pending and verified), or ``everything``; all given must
                match.
            session: the host's SQLAlchemy session to read in; without it, one of its own.

        Returns:
            InvalidationPreview: the criteria, the total and the count per state.

        Raises:
            PetitionNotFound: ``petition.not_found``, field ``petition`` (also for an id
                that is not a UUID).
            InvalidInput: ``input.invalid``, field ``ip`` or ``subnet`` (not an IP
                address) or ``criteria`` (no criterion and not ``everything``).
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        with self._p.unit_of_work(session, readonly=True) as s:
            self.core.petition(s, petition_id)
            by_status = self._invalidation_counts(s, petition_id, criteria)
            return InvalidationPreview(
                petition_id=petition_id,
                criteria=criteria,
                total=sum(by_status.values()),
                by_status=by_status,
            )

    @retry_transient
    def invalidate(
        self,
        petition_id: uuid.UUID,
        criteria: InvalidationCriteria,
        *,
        actor: str,
        expected_total: int,
        reason: str,
        session: Session | None = None,
    ) -> InvalidationResult:
        """Invalidate what the preview showed; refuses when the number changed since.
        Verified signatures that go leave the counter; the audit log keeps the criteria
        (IP addresses as keyed hashes) and the reason.

        Args:
            petition_id: the petition's id.
            criteria: the same criteria as given to ``preview_invalidation``.
            actor: who invalidates (audit log).
            expected_total: the ``total`` the preview showed.
            reason: why (required; stored with each signature, cut to 255 characters).
            session: the host's SQLAlchemy session to work in (the library only
                flushes); without it the call commits on its own.

        Returns:
            InvalidationResult: the criteria, the total counted, the signatures changed
            per state and how many were invalidated.

        Raises:
            InvalidInput: ``input.invalid``, field ``reason`` (empty), ``ip``, ``subnet``
                or ``criteria``, as for ``preview_invalidation``.
            PetitionNotFound: ``petition.not_found``, field ``petition`` (also for an id
                that is not a UUID).
            PreviewMismatch: ``petition.preview_mismatch``, field ``expected_total``: the
                number differs from the preview (``details["now"]``); preview again.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        if not reason.strip():
            raise InvalidInput("give a reason for the invalidation", field="reason")
        with self._p.unit_of_work(session) as s:
            row = self.core.petition(s, petition_id, lock=True)
            by_status = self._invalidation_counts(s, petition_id, criteria)
            total = sum(by_status.values())
            if total != expected_total:
                raise PreviewMismatch(
                    f"the preview showed {expected_total} signatures, now it is {total}: "
                    "preview again",
                    field="expected_total",
                    now=total,
                )
            # The counter moves by what the statements changed, not by the count above:
            # a confirmation may commit in between (see counts.change_states).
            # _criteria: [petition, status IN (...), *the rest]; the states go one by one.
            where = self._criteria(petition_id, criteria)
            changed = counts.change_states(
                s,
                row.id,
                [where[0], *where[2:]],
                criteria.statuses,
                {
                    "status": INVALIDATED,
                    "invalidated_at": self._p.clock.now(),
                    "invalidated_reason": reason[:255],
                },
            )
            verified = changed.get(VERIFIED, 0)
            if verified:
                self.core.bump(s, row.id, -verified, shard=0)
            self.core.audit(
                s,
                actor,
                "petition.signatures_invalidated",
                row,
                {
                    "criteria": self._audited_criteria(criteria),
                    "by_status": changed,
                    "reason": reason,
                },
            )
            return InvalidationResult(
                petition_id=petition_id,
                criteria=criteria,
                total=total,
                by_status=changed,
                invalidated=sum(changed.values()),
            )

    # -- exports -----------------------------------------------------------------------

    def _criteria(self, petition_id: uuid.UUID, c: InvalidationCriteria) -> builtins.list[Any]:
        where: builtins.list[Any] = [
            SignatureRow.petition_id == petition_id,
            SignatureRow.status.in_(c.statuses),
        ]
        if c.ip is not None:
            try:
                where.append(SignatureRow.ip_hash == self._p.hasher.ip(c.ip))
                where.append(SignatureRow.subnet_hash == self._p.hasher.subnet(c.ip))
            except ValueError:
                raise InvalidInput(f"{c.ip!r} is not an IP address", field="ip") from None
        if c.subnet is not None:
            try:
                where.append(SignatureRow.subnet_hash == self._p.hasher.subnet(c.subnet))
            except ValueError:
                raise InvalidInput(f"{c.subnet!r} is not an IP address", field="subnet") from None
        if c.domain is not None:
            where.append(SignatureRow.email_domain == c.domain.strip().lower())
        if c.area is not None:
            where.append(SignatureRow.area_code == c.area.strip().lower())
        if c.since is not None:
            where.append(SignatureRow.created_at >= c.since)
        if c.until is not None:
            where.append(SignatureRow.created_at < c.until)
        if len(where) == 2 and not c.everything:
            raise InvalidInput(
                "give at least one criterion (ip, subnet, domain, area, since, until) "
                "or ask for everything",
                field="criteria",
            )
        return where

    def _audited_criteria(self, c: InvalidationCriteria) -> dict[str, Any]:
        # IP addresses go into the append-only log only as keyed hashes.
        data = c.model_dump(mode="json", exclude_none=True)
        if c.ip is not None:
            data["ip"] = self._p.hasher.ip(c.ip)
        if c.subnet is not None:
            data["subnet"] = self._p.hasher.subnet(c.subnet)
        return data

    def _invalidation_counts(
        self, s: Session, petition_id: uuid.UUID, c: InvalidationCriteria
    ) -> dict[str, int]:
        rows = s.execute(
            select(SignatureRow.status, func.count())
            .where(*self._criteria(petition_id, c))
            .group_by(SignatureRow.status)
        ).all()
        counts: dict[str, int] = {str(status): 0 for status in c.statuses}
        counts.update({str(status): int(n) for status, n in rows})
        return counts
