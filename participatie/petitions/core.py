"""The shared ground of ``p.petitions``: loading a petition, mail, audit, tokens,
counters and thresholds, used by every part and by the scheduled jobs.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from participatie.areas import AreaRangeRow, AreaRow
from participatie.db import when_committed
from participatie.errors import TokenExpired, TokenInvalid
from participatie.identity import (
    Email,
    mailbox_key,
    normalize_email,
)
from participatie.outbox.bulk import Mail
from participatie.petitions import abuse
from participatie.petitions.errors import (
    PetitionNotFound,
    PetitionState,
)
from participatie.petitions.models import (
    CLOSED,
    OPEN,
    CoinitiatorRow,
    CounterShardRow,
    MilestoneRow,
    PetitionRow,
)
from participatie.petitions.schemas import (
    Petition,
    Trend,
)
from participatie.petitions.settings import PetitionSettings
from participatie.petitions.statements import (
    AREA_CACHE_SIZE,
    BUMP,
    NUMBERS,
    PETITION,
    PETITIONS,
    RULES_CACHE_SECONDS,
    SIGNATURE,
    SNAPSHOT_QUERY,
    SNAPSHOT_SECONDS,
    THRESHOLD_RECHECK,
    TOTAL,
    AreaRef,
    Cap,
    Numbers,
    TrendCallback,
)

if TYPE_CHECKING:
    from participatie.engine import Participatie


def petition_key(petition_id: uuid.UUID | str) -> uuid.UUID:
    """A petition id as given by a caller; what is not an id is a petition not found."""

    try:
        return petition_id if isinstance(petition_id, uuid.UUID) else uuid.UUID(str(petition_id))
    except ValueError:
        raise PetitionNotFound(f"no petition {petition_id!r}", field="petition") from None


def sum_of(s: Session, column: Any, where: Any) -> int:
    """The sum of ``column`` over the rows ``where`` selects (0 for none)."""

    return int(s.execute(select(func.coalesce(func.sum(column), 0)).where(where)).scalar_one())


class PetitionCore:
    """The operations the parts of ``p.petitions`` (and its jobs) share, with the caches
    they share: one per facade, at ``p.petitions.core``."""

    def __init__(self, p: Participatie) -> None:
        self._p = p
        self._trend_callbacks: list[TrendCallback] = []
        self._rules_cache: tuple[float, abuse.RuleSet] | None = None
        self._area_cache: dict[str, tuple[float, AreaRef | None]] = {}
        self._snapshots: dict[uuid.UUID, tuple[float, Any]] = {}
        self._lock = threading.Lock()
        #: Trends known to be recorded (committed), so signing asks no more about them.
        self.known_trends = abuse.KnownTrends()

    @property
    def settings(self) -> PetitionSettings:
        return self._p.settings.petitions

    def on_trend(self, callback: TrendCallback) -> None:
        self._trend_callbacks.append(callback)

    def email(self, value: str, *, field: str) -> Email:
        return normalize_email(
            value, check_deliverability=self._p.settings.email_check_deliverability, field=field
        )

    def mailbox_hash(self, email: Email) -> str:
        return self._p.hasher.mailbox(mailbox_key(email, self._p.settings.mailboxes))

    def petition(
        self, s: Session, petition_id: uuid.UUID | str, *, lock: bool = False
    ) -> PetitionRow:
        key = petition_key(petition_id)
        row = s.get(PetitionRow, key, with_for_update=lock or None)
        if row is None:
            raise PetitionNotFound(f"no petition {key}", field="petition")
        return row

    def snapshot(self, s: Session, petition_id: uuid.UUID | str) -> Any:
        """The columns signing and confirming need, without loading an ORM object."""

        key = petition_key(petition_id)
        now = time.monotonic()
        with self._lock:
            hit = self._snapshots.get(key)
        if hit is not None and now - hit[0] < SNAPSHOT_SECONDS:
            return hit[1]
        row = SNAPSHOT_QUERY.execute(s, {"pid": key}).first()
        if row is None:
            raise PetitionNotFound("no such petition", field="petition")

        def keep() -> None:
            with self._lock:
                if len(self._snapshots) >= AREA_CACHE_SIZE:
                    self._snapshots.clear()
                self._snapshots[key] = (now, row)

        # Kept once the reading transaction commits: a host's approval (or closing)
        # that never commits leaves nothing behind.
        when_committed(s, keep)
        return row

    def forget(self, petition_id: uuid.UUID) -> None:
        with self._lock:
            self._snapshots.pop(petition_id, None)

    def expect(self, row: PetitionRow, status: str, what: str) -> None:
        if row.status != status:
            raise PetitionState(
                f"cannot {what} a petition in status {row.status} (needs {status})",
                field="status",
                status=row.status,
            )

    def token(self, purpose: str, subject: str, *, bound_to: str | None, **extra: Any) -> str:
        # The issue time rides along signed, so expiry follows the facade's clock (the
        # signer's own timestamp follows the wall clock).
        issued = int(self._p.clock.now().timestamp())
        return self._p.tokens.make(purpose, subject, bound_to=bound_to, t=issued, **extra)

    def subject(self, purpose: str, token: str, max_age: timedelta) -> uuid.UUID:
        payload = self._p.tokens.load(purpose, token, max_age=max_age)
        issued = payload.extra.get("t")
        if isinstance(issued, int):
            age = self._p.clock.now().timestamp() - issued
            if age > max_age.total_seconds():
                raise TokenExpired("this link has expired", field="token")
        try:
            return uuid.UUID(payload.subject)
        except ValueError:
            raise TokenInvalid("this link is not valid", field="token") from None

    def close(self, s: Session, row: PetitionRow, actor: str) -> None:
        now = self._p.clock.now()
        row.status = CLOSED
        row.closed_at = row.updated_at = now
        total = self.total(s, row.id)
        self.audit(s, actor, "petition.closed", row, {"total": total})
        self.mail_creator(s, row, "petitions_closed", "closed", {"total": total})

    def confirmable(self, row: Any) -> bool:
        now = self._p.clock.now()
        if row.hidden:
            return False
        if row.status == OPEN:
            return row.closes_at is None or now < row.closes_at + self.settings.confirm_grace
        if row.status == CLOSED:
            end = row.closes_at or row.closed_at or now
            return now < end + self.settings.confirm_grace
        return False

    def send_confirmation(
        self,
        s: Session,
        row: Any,
        sig: Any,
        *,
        template: str,
        dedupe_key: str | None,
        cap: Cap = None,
    ) -> uuid.UUID | None:
        mail = self.confirmation_mail(row, sig, template=template, dedupe_key=dedupe_key)
        return self.mail(
            s,
            to=mail.to,
            template=mail.template,
            locale=mail.locale,
            context=dict(mail.context or {}),
            dedupe_key=mail.dedupe_key,
            subject_type=mail.subject_type,
            subject_id=mail.subject_id,
            cap=cap,
        )

    def confirmation_mail(
        self, row: Any, sig: Any, *, template: str, dedupe_key: str | None
    ) -> Mail:
        """The confirmation (or reminder) mail of a signature, with its two links."""

        assert sig.email is not None and sig.email_hash is not None
        confirm = self.token("petition.confirm", str(sig.id), bound_to=sig.email_hash)
        withdraw = self.token("petition.withdraw", str(sig.id), bound_to=sig.email_hash)
        return Mail(
            to=sig.email,
            template=template,
            locale=sig.locale,
            context={
                "title": row.title,
                "name": sig.name,
                "confirm_url": self._p.url("petition.confirm", token=confirm),
                "withdraw_url": self._p.url("petition.withdraw", token=withdraw),
                "days": self._p.settings.tokens.confirm.days,
            },
            dedupe_key=dedupe_key,
            subject_type=SIGNATURE,
            subject_id=sig.id,
        )

    def mail(self, s: Session, *, cap: Cap = None, **kwargs: Any) -> uuid.UUID | None:
        # ``cap``: the typed address and the requester's IP; over a send cap, no mail.
        if cap is not None and not self._p.send_caps.allow(s, email=cap[0], ip=cap[1]):
            return None
        return self._p.outbox.enqueue(s, **kwargs)

    def mail_creator(
        self, s: Session, row: Any, template: str, key: str, context: dict[str, Any]
    ) -> None:
        if row.creator_email is None:
            return
        self.mail(
            s,
            to=row.creator_email,
            template=template,
            locale=row.locale,
            context={
                "title": row.title,
                "name": row.creator_name,
                "url": self._p.url("petition", petition=row.id),
                **context,
            },
            dedupe_key=f"petition:{row.id}:{key}",
            subject_type=PETITION,
            subject_id=row.id,
        )

    def mail_desk(
        self, s: Session, row: Any, template: str, key: str, context: dict[str, Any]
    ) -> None:
        """Tell the griffie (``desk_email`` in the settings, if set) about a petition."""

        desk = self.settings.desk_email
        if not desk:
            return
        self.mail(
            s,
            to=desk,
            template=template,
            locale="nl",
            context={
                "title": row.title,
                "url": self._p.url("petition", petition=row.id),
                **context,
            },
            dedupe_key=f"petition:{row.id}:{key}",
            subject_type=PETITION,
            subject_id=row.id,
        )

    def audit(self, s: Session, actor: str, action: str, row: Any, data: dict[str, Any]) -> None:
        self._p.audit.record(
            s, actor=actor, action=action, subject_type=PETITION, subject_id=row.id, data=data
        )
        self.forget(row.id)

    def bump(
        self, s: Session, petition_id: uuid.UUID, delta: int, *, shard: int | None = None
    ) -> None:
        # A random shard: concurrent confirmations rarely wait on the same row.
        index = random.randrange(self.settings.counter_shards) if shard is None else shard
        s.connection().execute(BUMP, {"pid": petition_id, "shard_no": index, "delta": delta})

    def verified(self, s: Session, petition_id: uuid.UUID) -> int:
        return sum_of(s, CounterShardRow.verified, CounterShardRow.petition_id == petition_id)

    def total(self, s: Session, petition_id: uuid.UUID) -> int:
        return int(TOTAL.execute(s, {"pid": petition_id}).scalar_one())

    def coinitiators(self, s: Session, petition_id: uuid.UUID) -> int:
        return int(
            s.execute(
                select(func.count()).where(
                    CoinitiatorRow.petition_id == petition_id,
                    CoinitiatorRow.confirmed_at.is_not(None),
                )
            ).scalar_one()
        )

    def check_thresholds(self, s: Session, row: Any, *, total: int | None = None) -> None:
        """Record the thresholds the petition's total has reached (milestone, audit,
        mails). ``total``: the total a statement of this transaction already read, as of
        that statement's start; within ``THRESHOLD_RECHECK`` of a threshold still ahead it
        is read again (confirmations that committed meanwhile count)."""

        waiting = [int(t) for t in row.thresholds or [] if int(t) > row.reached_threshold]
        if not waiting:
            return
        if total is None or min(waiting) - total <= THRESHOLD_RECHECK:
            total = self.total(s, row.id)
        reached = [t for t in sorted(waiting) if t <= total]
        if not reached:
            return
        # Lock order: the petition row before the milestone. The milestone's foreign key
        # takes a shared lock on the petition row (InnoDB), and the UPDATE below wants
        # it exclusively: two confirmations crossing a threshold together each held the
        # shared lock and waited for the other. Now the second waits here, then sees the
        # threshold recorded.
        current = (
            s.connection()
            .execute(
                select(PETITIONS.c.reached_threshold)
                .where(PETITIONS.c.id == row.id)
                .with_for_update()
            )
            .scalar_one()
        )
        reached = [t for t in reached if t > current]
        if not reached:
            self.forget(row.id)
            return
        now = self._p.clock.now()
        for threshold in reached:
            try:
                with s.begin_nested():
                    s.add(
                        MilestoneRow(
                            petition_id=row.id, threshold=threshold, reached_at=now, count=total
                        )
                    )
                    s.flush()
            except IntegrityError:
                continue  # another confirmation got there first
            self.audit(
                s,
                "system",
                "petition.threshold_reached",
                row,
                {"threshold": threshold, "total": total},
            )
            context = {"threshold": threshold, "total": total}
            self.mail_creator(s, row, "petitions_threshold", f"threshold:{threshold}", context)
            self.mail_desk(
                s,
                row,
                "petitions_threshold",
                f"desk-threshold:{threshold}",
                {"name": "griffie", **context},
            )
        s.execute(
            update(PetitionRow)
            .where(PetitionRow.id == row.id, PetitionRow.reached_threshold < max(reached))
            .values(reached_threshold=max(reached))
            .execution_options(synchronize_session=False)
        )
        self.forget(row.id)

    def area(self, s: Session, postcode: str) -> AreaRef | None:
        # Wijk borders change a few times a decade; a short cache saves a join per signature.
        now = time.monotonic()
        with self._lock:
            hit = self._area_cache.get(postcode)
            if hit is not None and now - hit[0] < RULES_CACHE_SECONDS:
                return hit[1]
        row = s.execute(
            select(AreaRow.id, AreaRow.code)
            .join(AreaRangeRow, AreaRangeRow.area_id == AreaRow.id)
            .where(AreaRangeRow.low <= postcode, AreaRangeRow.high >= postcode)
            .order_by(AreaRangeRow.low.desc())
            .limit(1)
        ).first()
        ref = AreaRef(row[0], row[1]) if row is not None else None

        def keep() -> None:
            with self._lock:
                if len(self._area_cache) >= AREA_CACHE_SIZE:
                    self._area_cache.clear()
                self._area_cache[postcode] = (now, ref)

        when_committed(s, keep)
        return ref

    def rule_set(self, s: Session) -> abuse.RuleSet:
        with self._lock:
            cached = self._rules_cache
            if cached is not None and time.monotonic() - cached[0] < RULES_CACHE_SECONDS:
                return cached[1]
        rules = abuse.RuleSet.load(s, self.settings, self._p.hasher)
        loaded = time.monotonic()

        def keep() -> None:
            with self._lock:
                self._rules_cache = (loaded, rules)

        when_committed(s, keep)
        return rules

    def clear_rules(self) -> None:
        with self._lock:
            self._rules_cache = None
            self._area_cache.clear()

    def notify_trend(self, trend: Trend) -> None:
        for callback in list(self._trend_callbacks):
            try:
                callback(trend)
            except Exception:  # a host's callback must not undo a signature
                import logging

                logging.getLogger("participatie.petitions").exception("trend callback failed")

    def numbers(self, s: Session, petition_id: uuid.UUID) -> Numbers:
        """The confirmed co-initiators, the verified count and the paper count, in one
        round trip."""

        found = s.connection().execute(NUMBERS, {"pid": petition_id}).one()
        return Numbers(int(found[0]), int(found[1]), int(found[2]))

    def public(self, s: Session, row: PetitionRow, numbers: Numbers | None = None) -> Petition:
        """The petition as callers see it; ``numbers`` when the caller read them already."""

        if numbers is None:
            numbers = self.numbers(s, row.id)
        return Petition(
            id=row.id,
            title=row.title,
            summary=row.summary,
            body=row.body,
            locale=row.locale,
            status=row.status,
            hidden=row.hidden,
            creator_name=row.creator_name,
            created_at=row.created_at,
            submitted_at=row.submitted_at,
            moderated_at=row.moderated_at,
            reject_reason=row.reject_reason,
            reject_note=row.reject_note,
            opens_at=row.opens_at,
            closes_at=row.closes_at,
            closed_at=row.closed_at,
            thresholds=[int(t) for t in row.thresholds or []],
            min_age=row.min_age,
            residents_only=row.residents_only,
            household_rule=row.household_rule,
            handed_over_at=row.handed_over_at,
            handed_over_to=row.handed_over_to,
            answer_text=row.answer_text,
            answer_url=row.answer_url,
            answered_at=row.answered_at,
            coinitiators_confirmed=numbers.coinitiators,
            verified=numbers.verified,
            paper=numbers.paper,
            url=self._p.url("petition", petition=row.id),
        )


class Part:
    """What every part of the facade holds: the library and the shared operations."""

    _p: Participatie
    core: PetitionCore

    @property
    def settings(self) -> PetitionSettings:
        return self._p.settings.petitions
