"""Operations of the petitions module: the life cycle, signing and confirming, abuse
handling, counting, notifications, privacy and the scheduled jobs (``p.petitions``).
"""

from __future__ import annotations

import builtins
import hashlib
import os
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta
from typing import IO, TYPE_CHECKING, Any, NamedTuple, cast

from sqlalchemy import Table, bindparam, delete, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from participatie.areas import AreaRangeRow, AreaRow
from participatie.db import new_id
from participatie.errors import InvalidInput, NotFound, TokenExpired, TokenInvalid
from participatie.identity import (
    Email,
    mailbox_key,
    normalize_email,
    normalize_house_number,
    normalize_postcode,
    parse_ip,
)
from participatie.outbox.models import OutboxMessageRow
from participatie.petitions import abuse, counts
from participatie.petitions.errors import (
    PetitionClosed,
    PetitionNotFound,
    PetitionState,
    PreviewMismatch,
    RequirementNotMet,
    UnknownReason,
)
from participatie.petitions.models import (
    ANSWERED,
    CLOSED,
    COINITIATORS,
    DRAFT,
    FRAUDULENT,
    HANDED_OVER,
    INVALIDATED,
    OPEN,
    PENDING,
    REJECTED,
    SIG_WITHDRAWN,
    SUBMITTED,
    VERIFIED,
    WITHDRAWN,
    CoinitiatorRow,
    CounterShardRow,
    MilestoneRow,
    PaperBatchRow,
    PetitionRow,
    RuleRow,
    SignatureRow,
    TrendRow,
)
from participatie.petitions.retention import HOUSEHOLD_KEY, PRIVACY_KEY
from participatie.petitions.schemas import (
    Confirmation,
    ConfirmPage,
    CountCheck,
    DeskStats,
    ErasureResult,
    ExportResult,
    HandoverDocument,
    InvalidationCriteria,
    InvalidationPreview,
    InvalidationResult,
    PaperBatch,
    PaperBatchIn,
    PersonalData,
    Petition,
    PetitionIn,
    PublicSigner,
    PublicSigners,
    PublicStats,
    Rule,
    SignatureIn,
    SignatureRecord,
    SignReceipt,
    Trend,
)
from participatie.petitions.settings import PetitionSettings
from participatie.retention import text_digest
from participatie.retry import retry_transient
from participatie.urls import require_allowed

if TYPE_CHECKING:
    from participatie.engine import Participatie

#: A mail to an address a requester typed: the address and their IP (send caps).
Cap = tuple[Email, str | None] | None

#: Seconds the allow/block lists are cached per process (changes here clear it at once).
RULES_CACHE_SECONDS = 30.0
SIGNATURE = "petition_signature"
PETITION = "petition"
#: Signatures that take part in a petition (count, or may still count).
LIVE = (PENDING, VERIFIED)
PAGE = 1000
ERASED = "erased@invalid"

TrendCallback = Callable[[Trend], None]
AREA_CACHE_SIZE = 20_000
#: Seconds a petition's state is cached for signing and confirming in this process; this
#: process's own changes clear it at once, other processes' show within this time.
SNAPSHOT_SECONDS = 2.0

# The statements on the signing path are built once, on the tables (not the mapped
# classes), and run on the session's connection: no ORM work and no cache-key traversal per
# call, which is most of the library's own cost per signature.
PETITIONS = cast(Table, PetitionRow.__table__)
SIGNATURES = cast(Table, SignatureRow.__table__)
COUNTERS = cast(Table, CounterShardRow.__table__)
_P = PETITIONS.c
_S = SIGNATURES.c
_C = COUNTERS.c
SNAPSHOT_QUERY = select(
    _P.id,
    _P.status,
    _P.hidden,
    _P.opens_at,
    _P.closes_at,
    _P.closed_at,
    _P.min_age,
    _P.residents_only,
    _P.household_rule,
    _P.title,
    _P.thresholds,
    _P.reached_threshold,
    _P.creator_email,
    _P.creator_name,
    _P.locale,
).where(_P.id == bindparam("pid"))
#: A signature of the same mailbox (or, for rows from before mailbox keys, the same address).
EXISTING = (
    select(_S.id, _S.status, _S.resends, _S.email, _S.email_hash, _S.name, _S.locale)
    .where(
        _S.petition_id == bindparam("pid"),
        (_S.mailbox_hash == bindparam("mailbox_hash")) | (_S.email_hash == bindparam("email_hash")),
    )
    .limit(1)
)
CONFIRM_LOOKUP = select(_S.id, _S.petition_id, _S.status, _S.email_hash).where(
    _S.id == bindparam("sid")
)
CONFIRM = (
    update(SIGNATURES)
    .where(_S.id == bindparam("sid"), _S.status == PENDING)
    .values(status=VERIFIED, confirmed_at=bindparam("now"), confirmed_day=bindparam("day"))
)
BUMP = (
    update(COUNTERS)
    .where(_C.petition_id == bindparam("pid"), _C.shard == bindparam("shard_no"))
    .values(verified=_C.verified + bindparam("delta"))
)
_B = cast(Table, PaperBatchRow.__table__).c
#: Online (the shards) plus paper, in one round trip: read after every confirmation while
#: a threshold is still ahead.
TOTAL = select(
    select(func.coalesce(func.sum(_C.verified), 0))
    .where(_C.petition_id == bindparam("pid"))
    .scalar_subquery()
    + select(func.coalesce(func.sum(_B.count), 0))
    .where(_B.petition_id == bindparam("pid"))
    .scalar_subquery()
)
_INSERTS: dict[str, Any] = {}


def _insert_or_nothing(dialect: str) -> Any:
    """INSERT .. ON CONFLICT DO NOTHING RETURNING id, built once: a clash on the address
    or on the mailbox (both unique per petition) inserts nothing."""

    if dialect not in _INSERTS:
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            base: Any = pg_insert(SIGNATURES)
        else:
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert

            base = sqlite_insert(SIGNATURES)
        _INSERTS[dialect] = base.on_conflict_do_nothing().returning(_S.id)
    return _INSERTS[dialect]


class SigRef(NamedTuple):
    """What a confirmation mail needs to know about a signature."""

    id: uuid.UUID
    email: str | None
    email_hash: str | None
    name: str | None
    locale: str


class AreaRef(NamedTuple):
    id: uuid.UUID
    code: str


class Petitions:
    """The facade's ``petitions`` attribute."""

    def __init__(self, p: Participatie) -> None:
        self._p = p
        self._trend_callbacks: list[TrendCallback] = []
        self._rules_cache: tuple[float, abuse.RuleSet] | None = None
        self._area_cache: dict[str, tuple[float, AreaRef | None]] = {}
        self._snapshots: dict[uuid.UUID, tuple[float, Any]] = {}
        self._rules_lock = threading.Lock()
        from participatie.petitions import jobs

        jobs.register(p)

    @property
    def settings(self) -> PetitionSettings:
        return self._p.settings.petitions

    # -- creating and moderating -----------------------------------------------------

    @retry_transient
    def create(
        self, data: PetitionIn, *, ip: str | None = None, session: Session | None = None
    ) -> Petition:
        """A creator submits a petition; it waits for the creator to confirm their address.
        ``ip``: the requester's address, for the send caps on the confirmation mail."""

        email = self._email(data.creator_email, field="creator_email")
        now = self._p.clock.now()
        if data.closes_at is not None:
            self._check_closing(data.closes_at, now, field="closes_at")
        with self._p.unit_of_work(session) as s:
            row = PetitionRow(
                created_at=now,
                updated_at=now,
                title=data.title,
                summary=data.summary,
                body=data.body,
                locale=data.locale,
                status=DRAFT,
                hidden=False,
                creator_name=data.creator_name,
                creator_email=email.address,
                creator_email_hash=self._p.hasher.email(email),
                requested_closes_at=data.closes_at,
                thresholds=[],
                reached_threshold=0,
                min_age=data.min_age,
                residents_only=data.residents_only,
                household_rule=data.household_rule,
            )
            s.add(row)
            s.flush()
            for shard in range(self.settings.counter_shards):
                s.add(CounterShardRow(petition_id=row.id, shard=shard, verified=0))
            token = self._token("petition.creator", str(row.id), bound_to=row.creator_email_hash)
            self._mail(
                s,
                to=email.address,
                template="petitions_creator_confirm",
                locale=row.locale,
                context={
                    "title": row.title,
                    "name": row.creator_name,
                    "confirm_url": self._p.url("petition.creator", token=token),
                    "min_coinitiators": self.settings.min_coinitiators,
                },
                dedupe_key=f"petition:{row.id}:creator-confirm",
                subject_type=PETITION,
                subject_id=row.id,
                cap=(email, ip),
            )
            # The title is the creator's own words: the permanent log keeps a digest.
            self._audit(
                s, "creator", "petition.created", row, {"title_sha256": text_digest(row.title)}
            )
            s.flush()
            return self._public(s, row)

    @retry_transient
    def confirm_creator(self, token: str, *, session: Session | None = None) -> Petition:
        """The creator's link (a POST on the page): the petition goes on to co-initiators
        or moderation. Twice is harmless."""

        with self._p.unit_of_work(session) as s:
            row = self._creator_petition(s, token, self._p.settings.tokens.confirm)
            if row.status == DRAFT:
                now = self._p.clock.now()
                row.creator_confirmed_at = now
                row.updated_at = now
                self._audit(s, "creator", "petition.creator_confirmed", row, {})
                self._advance_to_moderation(s, row)
            return self._public(s, row)

    @retry_transient
    def invite_coinitiator(
        self, creator_token: str, *, name: str, email: str, session: Session | None = None
    ) -> None:
        """The creator invites a co-initiator, who confirms through their own link."""

        address = self._email(email, field="email")
        name = " ".join(name.split())
        if not name or len(name) > 200:
            raise InvalidInput("name is empty or longer than 200 characters", field="name")
        with self._p.unit_of_work(session) as s:
            row = self._creator_petition(s, creator_token, self._p.settings.tokens.withdraw)
            if row.status not in (DRAFT, COINITIATORS, SUBMITTED):
                raise PetitionState(
                    f"co-initiators can no longer be added (status {row.status})", field="status"
                )
            email_hash = self._p.hasher.email(address)
            mailbox_hash = self._mailbox_hash(address)
            creator_mailbox = (
                self._p.hasher.mailbox(mailbox_key(row.creator_email, self._p.settings.mailboxes))
                if row.creator_email
                else None
            )
            if email_hash == row.creator_email_hash or mailbox_hash == creator_mailbox:
                raise InvalidInput("the creator cannot be their own co-initiator", field="email")
            co = CoinitiatorRow(
                petition_id=row.id,
                name=name,
                email=address.address,
                email_hash=email_hash,
                mailbox_hash=mailbox_hash,
                invited_at=self._p.clock.now(),
            )
            try:
                with s.begin_nested():
                    s.add(co)
                    s.flush()
            except IntegrityError:
                return  # invited already: the first invitation stands
            token = self._token("petition.coinitiator", str(co.id), bound_to=email_hash)
            self._mail(
                s,
                to=address.address,
                template="petitions_coinitiator",
                locale=row.locale,
                context={
                    "title": row.title,
                    "name": name,
                    "creator": row.creator_name,
                    "confirm_url": self._p.url("petition.coinitiator", token=token),
                },
                dedupe_key=f"petition:{row.id}:coinitiator:{co.id}",
                subject_type=PETITION,
                subject_id=row.id,
                cap=(address, None),
            )
            self._audit(s, "creator", "petition.coinitiator_invited", row, {"coinitiator": co.id})

    @retry_transient
    def confirm_coinitiator(self, token: str, *, session: Session | None = None) -> Petition:
        subject = self._subject("petition.coinitiator", token, self._p.settings.tokens.confirm)
        with self._p.unit_of_work(session) as s:
            co = s.get(CoinitiatorRow, subject)
            if co is None or co.email_hash is None:
                raise TokenInvalid("this link is no longer valid", field="token")
            self._p.tokens.load(
                "petition.coinitiator",
                token,
                max_age=self._p.settings.tokens.confirm,
                bound_to=co.email_hash,
            )
            row = self._petition(s, co.petition_id)
            if co.confirmed_at is None:
                co.confirmed_at = self._p.clock.now()
                s.flush()
                self._audit(s, "coinitiator", "petition.coinitiator_confirmed", row, {"id": co.id})
                if row.status == COINITIATORS:
                    self._advance_to_moderation(s, row)
            return self._public(s, row)

    @retry_transient
    def withdraw_petition(
        self, creator_token: str, *, reason: str | None = None, session: Session | None = None
    ) -> Petition:
        """The creator withdraws the petition (possible until it is handed over)."""

        with self._p.unit_of_work(session) as s:
            row = self._creator_petition(s, creator_token, self._p.settings.tokens.withdraw)
            if row.status in (HANDED_OVER, ANSWERED, REJECTED, WITHDRAWN):
                raise PetitionState(f"cannot withdraw a petition in status {row.status}")
            before = row.status
            row.status = WITHDRAWN
            row.withdrawn_at = row.updated_at = self._p.clock.now()
            # The creator's own words may name people; the permanent log keeps a digest.
            self._audit(
                s,
                "creator",
                "petition.withdrawn",
                row,
                {"before": before, "reason_sha256": text_digest(reason)},
            )
            return self._public(s, row)

    @retry_transient
    def approve(
        self,
        petition_id: uuid.UUID,
        *,
        actor: str,
        closes_at: datetime | None = None,
        thresholds: Iterable[int] | None = None,
        session: Session | None = None,
    ) -> Petition:
        """The griffie approves: the petition opens now and closes at ``closes_at``."""

        now = self._p.clock.now()
        levels = sorted({int(t) for t in (thresholds or self.settings.default_thresholds)})
        if any(t < 1 or t > 100_000_000 for t in levels):
            raise InvalidInput(
                "thresholds must be whole numbers from 1 to 100,000,000", field="thresholds"
            )
        with self._p.unit_of_work(session) as s:
            row = self._petition(s, petition_id, lock=True)
            self._expect(row, SUBMITTED, "approve")
            closing = closes_at or row.requested_closes_at or now + timedelta(days=90)
            self._check_closing(closing, now, field="closes_at")
            row.status = OPEN
            row.opens_at = row.moderated_at = row.updated_at = now
            row.closes_at = closing
            row.moderated_by = actor
            row.thresholds = levels
            self._audit(
                s,
                actor,
                "petition.approved",
                row,
                {"closes_at": closing, "thresholds": levels},
            )
            self._mail_creator(s, row, "petitions_approved", "approved", {})
            return self._public(s, row)

    @retry_transient
    def reject(
        self,
        petition_id: uuid.UUID,
        *,
        actor: str,
        reason: str,
        note: str | None = None,
        session: Session | None = None,
    ) -> Petition:
        """The griffie refuses the petition with a reason code from the settings."""

        reasons = self.settings.reject_reasons
        if reason not in reasons:
            raise UnknownReason(
                f"unknown reason {reason!r}: choose one of {', '.join(sorted(reasons))}",
                field="reason",
            )
        with self._p.unit_of_work(session) as s:
            row = self._petition(s, petition_id, lock=True)
            self._expect(row, SUBMITTED, "reject")
            row.status = REJECTED
            row.moderated_at = row.updated_at = self._p.clock.now()
            row.moderated_by = actor
            row.reject_reason = reason
            row.reject_note = note
            self._audit(
                s,
                actor,
                "petition.rejected",
                row,
                {"reason": reason, "note_sha256": text_digest(note)},
            )
            labels = reasons[reason]
            self._mail_creator(
                s,
                row,
                "petitions_rejected",
                "rejected",
                {"reason": labels[0] if row.locale == "nl" else labels[1], "note": note or ""},
            )
            return self._public(s, row)

    @retry_transient
    def hide(
        self,
        petition_id: uuid.UUID,
        *,
        actor: str,
        reason: str,
        hidden: bool = True,
        session: Session | None = None,
    ) -> Petition:
        """Hide an offensive petition from every public place (``hidden=False`` undoes)."""

        if hidden and not reason.strip():
            raise InvalidInput("give a reason for hiding", field="reason")
        with self._p.unit_of_work(session) as s:
            row = self._petition(s, petition_id, lock=True)
            row.hidden = hidden
            row.hidden_reason = reason if hidden else None
            row.updated_at = self._p.clock.now()
            action = "petition.hidden" if hidden else "petition.unhidden"
            self._audit(s, actor, action, row, {"reason_sha256": text_digest(reason)})
            return self._public(s, row)

    @retry_transient
    def extend(
        self,
        petition_id: uuid.UUID,
        *,
        actor: str,
        closes_at: datetime,
        reason: str,
        session: Session | None = None,
    ) -> Petition:
        """Move the closing time later; the reason is recorded."""

        if not reason.strip():
            raise InvalidInput("give a reason for the extension", field="reason")
        now = self._p.clock.now()
        with self._p.unit_of_work(session) as s:
            row = self._petition(s, petition_id, lock=True)
            self._expect(row, OPEN, "extend")
            before = row.closes_at
            if before is not None and closes_at <= before:
                raise InvalidInput("the new closing time must be later", field="closes_at")
            self._check_closing(closes_at, row.opens_at or now, field="closes_at")
            row.closes_at = closes_at
            row.updated_at = now
            self._audit(
                s,
                actor,
                "petition.extended",
                row,
                {"before": before, "after": closes_at, "reason": reason},
            )
            return self._public(s, row)

    @retry_transient
    def close(
        self, petition_id: uuid.UUID, *, actor: str = "system", session: Session | None = None
    ) -> Petition:
        with self._p.unit_of_work(session) as s:
            row = self._petition(s, petition_id, lock=True)
            self._expect(row, OPEN, "close")
            self._close(s, row, actor)
            return self._public(s, row)

    @retry_transient
    def hand_over(
        self,
        petition_id: uuid.UUID,
        *,
        actor: str,
        to: str,
        at: datetime | None = None,
        note: str | None = None,
        session: Session | None = None,
    ) -> Petition:
        """Record the hand-over to the council (closing the petition if still open)."""

        if not to.strip():
            raise InvalidInput("say to whom the petition was handed over", field="to")
        with self._p.unit_of_work(session) as s:
            row = self._petition(s, petition_id, lock=True)
            if row.status == OPEN:
                self._close(s, row, actor)
            self._expect(row, CLOSED, "hand over")
            row.status = HANDED_OVER
            row.handed_over_at = at or self._p.clock.now()
            row.handed_over_to = to.strip()
            row.handed_over_note = note
            row.updated_at = self._p.clock.now()
            total = self._total(s, row.id)
            self._audit(
                s,
                actor,
                "petition.handed_over",
                row,
                {"to": row.handed_over_to, "at": row.handed_over_at, "total": total},
            )
            self._mail_creator(
                s,
                row,
                "petitions_handed_over",
                "handed-over",
                {"to": row.handed_over_to, "total": total},
            )
            return self._public(s, row)

    def answer(
        self,
        petition_id: uuid.UUID,
        *,
        actor: str,
        text: str,
        decision_url: str | None = None,
        session: Session | None = None,
    ) -> int:
        """Record the council's answer and queue it to the creator and to every verified
        signer who asked for it, spread over time; returns the number of signers queued."""

        if not text.strip():
            raise InvalidInput("the answer is empty", field="text")
        http = self._p.settings.allow_http_links
        decision_url = require_allowed(decision_url, allow_http=http, field="decision_url")
        now = self._p.clock.now()
        with self._p.unit_of_work(session) as s:
            row = self._petition(s, petition_id, lock=True)
            self._expect(row, HANDED_OVER, "answer")
            row.status = ANSWERED
            row.answer_text = text
            row.answer_url = decision_url
            row.answered_at = row.updated_at = now
            context = {"title": row.title, "answer": text, "decision_url": decision_url or ""}
            self._mail_creator(s, row, "petitions_answer", "answer", {**context, "unsub": ""})
            queued = 0
            per_minute = self.settings.answer_per_minute
            for sig_id, address, email_hash, locale in self._answer_recipients(s, row.id):
                token = self._token("petition.unsubscribe", str(sig_id), bound_to=email_hash)
                unsub = self._p.url("petition.unsubscribe", token=token)
                message = self._mail(
                    s,
                    to=address,
                    template="petitions_answer",
                    locale=locale,
                    context={**context, "unsub": unsub},
                    headers={
                        "List-Unsubscribe": f"<{unsub}>",
                        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                    },
                    dedupe_key=f"petition-answer:{sig_id}",
                    subject_type=SIGNATURE,
                    subject_id=sig_id,
                    available_at=now + timedelta(minutes=queued // per_minute),
                )
                if message is not None:
                    queued += 1
            self._audit(
                s,
                actor,
                "petition.answered",
                row,
                {"decision_url": decision_url, "signers_notified": queued},
            )
            return queued

    # -- reading ---------------------------------------------------------------------

    def get(self, petition_id: uuid.UUID, *, session: Session | None = None) -> Petition:
        with self._p.unit_of_work(session, readonly=True) as s:
            return self._public(s, self._petition(s, petition_id))

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
            return [self._public(s, row) for row in s.execute(query).scalars()]

    def count(self, petition_id: uuid.UUID, *, session: Session | None = None) -> int:
        """The exact number of verified online signatures (sum of the counter shards)."""

        with self._p.unit_of_work(session, readonly=True) as s:
            self._petition(s, petition_id)
            return self._verified(s, petition_id)

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
            self._petition(s, petition_id)
            return counts.check(s, petition_id)

    # -- signing ---------------------------------------------------------------------

    @retry_transient
    def sign(
        self,
        petition_id: uuid.UUID,
        data: SignatureIn,
        *,
        ip: str | None = None,
        session: Session | None = None,
    ) -> SignReceipt:
        """Sign: a pending signature and a confirmation mail. The receipt is the same for a
        first signature, a repeat, a duplicate and a silently refused one."""

        email = self._email(data.email, field="email")
        postcode = normalize_postcode(data.postcode)
        house = normalize_house_number(data.house_number) if data.house_number else None
        ip_obj = None
        if ip is not None:
            try:
                ip_obj = parse_ip(ip)
            except ValueError:
                raise InvalidInput(f"{ip!r} is not an IP address", field="ip") from None
        email_hash = self._p.hasher.email(email)
        mailbox_hash = self._mailbox_hash(email)
        trends: list[Trend] = []
        now = self._p.clock.now()
        with self._p.unit_of_work(session) as s:
            row = self._snapshot(s, petition_id)
            receipt = SignReceipt(petition_id=row.id)
            if not self._signable(row, now):
                raise PetitionClosed("this petition cannot be signed now", field="petition")
            if row.min_age is not None and not data.declared_min_age:
                raise RequirementNotMet(
                    f"declare that you are {row.min_age} or older", field="declared_min_age"
                )
            if row.residents_only and not data.declared_resident:
                raise RequirementNotMet(
                    "declare that you live in the municipality", field="declared_resident"
                )
            if row.household_rule and house is None:
                raise InvalidInput("this petition asks for your house number", field="house_number")
            area = self._area(s, postcode)
            if row.residents_only and area is None:
                raise RequirementNotMet(
                    f"postcode {postcode} is not in the municipality", field="postcode"
                )
            existing = (
                s.connection()
                .execute(
                    EXISTING,
                    {"pid": row.id, "email_hash": email_hash, "mailbox_hash": mailbox_hash},
                )
                .first()
            )
            cap = (email, ip)  # mail to a typed address: within the send caps
            if existing is not None:
                self._sign_again(s, row, existing, cap)
                return receipt
            ip_hash = self._p.hasher.ip(str(ip_obj)) if ip_obj is not None else None
            subnet_hash = self._p.hasher.subnet(str(ip_obj)) if ip_obj is not None else None
            # Requests for one household, or from one network, sent in parallel must not
            # all count the same rows and all slip under the rule or the limit.
            turns = [f"household:{row.id}:{postcode}:{house}"] if row.household_rule else []
            if subnet_hash is not None:
                turns.append(f"subnet:{row.id}:{subnet_hash}")
            _serialise(s, row.id, turns, self.settings.counter_shards)
            if row.household_rule and not self._household_has_room(s, row, postcode, house, data):
                self._mail(
                    s,
                    to=email.address,
                    template="petitions_household",
                    locale=data.locale,
                    context={"title": row.title, "limit": self.settings.household_limit},
                    dedupe_key=f"{HOUSEHOLD_KEY}{row.id}:{email_hash[:32]}",
                    subject_type=PETITION,
                    subject_id=row.id,
                    cap=cap,
                )
                return receipt
            verdict = abuse.assess(
                s,
                self.settings,
                self._rules(s),
                petition_id=row.id,
                now=now,
                ip=ip_obj,
                ip_hash=ip_hash,
                subnet_hash=subnet_hash,
                domain=email.domain,
                email_hash=email_hash,
            )
            sig = SigRef(new_id(), email.address, email_hash, data.name, data.locale)
            values = {
                "id": sig.id,
                "petition_id": row.id,
                "created_at": now,
                "status": FRAUDULENT if verdict.fraud_reason else PENDING,
                "fraud_reason": verdict.fraud_reason,
                "name": data.name,
                "email": email.address,
                "email_hash": email_hash,
                "mailbox_hash": mailbox_hash,
                "email_domain": email.domain,
                "postcode": postcode,
                "house_number": house,
                "ip_hash": ip_hash,
                "subnet_hash": subnet_hash,
                "area_id": area.id if area else None,
                "area_code": area.code if area else None,
                "show_name": data.show_name,
                "notify_answer": data.notify_answer,
                "declared_min_age": data.declared_min_age,
                "declared_resident": data.declared_resident,
                "locale": data.locale,
                "resends": 0,
            }
            if not self._insert_signature(s, values):
                # The same address signed at this very moment: the database decided.
                return receipt
            # The mail goes out for a fraudulent signature too: a bot learns nothing.
            self._send_confirmation(
                s, row, sig, template="petitions_confirm", dedupe_key=None, cap=cap
            )
            for kind, key, count in verdict.trends:
                trend = abuse.raise_trend(
                    s, petition_id=row.id, kind=kind, key=key, count=count, now=now
                )
                if trend is not None:
                    self._audit(
                        s,
                        "system",
                        "petition.trending",
                        row,
                        {"kind": kind, "key": key, "count": count},
                    )
                    trends.append(trend)
        for trend in trends:
            self._notify_trend(trend)
        return receipt

    def confirmation_page(self, token: str, *, session: Session | None = None) -> ConfirmPage:
        """What the link in the mail opens: reads only, so a mail scanner confirms nothing."""

        with self._p.unit_of_work(session, readonly=True) as s:
            sig = self._signature_for(s, "petition.confirm", token, self._p.settings.tokens.confirm)
            row = self._petition(s, sig.petition_id)
            can = sig.status in (PENDING, FRAUDULENT) and self._confirmable(row)
            return ConfirmPage(
                petition_id=row.id, petition_title=row.title, name=sig.name, can_confirm=can
            )

    @retry_transient
    def confirm(self, token: str, *, session: Session | None = None) -> Confirmation:
        """The button on the confirmation page (a POST). Confirming twice is harmless."""

        now = self._p.clock.now()
        max_age = self._p.settings.tokens.confirm
        subject = self._subject("petition.confirm", token, max_age)
        with self._p.unit_of_work(session) as s:
            sig = s.connection().execute(CONFIRM_LOOKUP, {"sid": subject}).first()
            if sig is None or sig.email_hash is None:
                raise TokenInvalid("this link is no longer valid", field="token")
            self._p.tokens.load("petition.confirm", token, max_age=max_age, bound_to=sig.email_hash)
            row = self._snapshot(s, sig.petition_id)
            if sig.status == PENDING:
                if not self._confirmable(row):
                    raise PetitionClosed("this petition has closed", field="token")
                done = s.connection().execute(
                    CONFIRM,
                    {
                        "sid": sig.id,
                        "now": now,
                        "day": now.astimezone(self._p.settings.zone).date(),
                    },
                )
                if done.rowcount == 1:
                    self._bump(s, row.id, 1)
                    self._check_thresholds(s, row)
            return Confirmation(petition_id=row.id, petition_title=row.title)

    @retry_transient
    def withdraw_signature(self, token: str, *, session: Session | None = None) -> None:
        """The signer takes their signature back (until the hand-over)."""

        with self._p.unit_of_work(session) as s:
            sig = self._signature_for(
                s, "petition.withdraw", token, self._p.settings.tokens.withdraw
            )
            row = self._petition(s, sig.petition_id)
            if row.status in (HANDED_OVER, ANSWERED):
                raise PetitionState(
                    "the petition has been handed over; the signature can no longer be withdrawn",
                    field="token",
                )
            if sig.status not in LIVE:
                return
            done = s.execute(
                update(SignatureRow)
                .where(SignatureRow.id == sig.id, SignatureRow.status == sig.status)
                .values(status=SIG_WITHDRAWN, withdrawn_at=self._p.clock.now())
                .execution_options(synchronize_session=False)
            )
            if done.rowcount == 1 and sig.status == VERIFIED:  # type: ignore[attr-defined]
                self._bump(s, row.id, -1)

    @retry_transient
    def unsubscribe(self, token: str, *, session: Session | None = None) -> None:
        """Stop mail about this petition (the answer); the signature keeps counting."""

        with self._p.unit_of_work(session) as s:
            sig = self._signature_for(
                s, "petition.unsubscribe", token, self._p.settings.tokens.unsubscribe
            )
            sig.notify_answer = False

    # -- counting and statistics -------------------------------------------------------

    def stats(self, petition_id: uuid.UUID, *, session: Session | None = None) -> DeskStats:
        """Counts for the desk: verified, paper and per area and day, plus the states."""

        from participatie.petitions import report

        with self._p.unit_of_work(session, readonly=True) as s:
            return report.desk_stats(self._p, s, self._petition(s, petition_id))

    def public_stats(
        self, petition_id: uuid.UUID, *, session: Session | None = None
    ) -> PublicStats:
        """Statistics without personal data (hidden petitions are not found)."""

        from participatie.petitions import report

        with self._p.unit_of_work(session, readonly=True) as s:
            row = self._petition(s, petition_id)
            if row.hidden or row.status in (DRAFT, COINITIATORS, SUBMITTED, REJECTED):
                raise PetitionNotFound("no such petition", field="petition")
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
            row = self._petition(s, petition_id)
            if row.hidden or row.status in (DRAFT, COINITIATORS, SUBMITTED, REJECTED):
                raise PetitionNotFound("no such petition", field="petition")
            shown = (
                (SignatureRow.petition_id == row.id)
                & (SignatureRow.status == VERIFIED)
                & SignatureRow.show_name.is_(True)
                & SignatureRow.name.is_not(None)
            )
            total = s.scalar(select(func.count()).select_from(SignatureRow).where(shown)) or 0
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

    @retry_transient
    def add_paper_batch(
        self,
        petition_id: uuid.UUID,
        data: PaperBatchIn,
        *,
        actor: str,
        session: Session | None = None,
    ) -> PaperBatch:
        """Add signatures collected on paper as a counted batch for one area."""

        with self._p.unit_of_work(session) as s:
            row = self._petition(s, petition_id, lock=True)
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
            self._audit(
                s,
                actor,
                "petition.paper_batch_added",
                row,
                {"batch": batch.id, "area": batch.area_code, "count": batch.count},
            )
            self._check_thresholds(s, row)
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

        Called after the signing transaction (with a host's session: after its flush)."""

        self._trend_callbacks.append(callback)

    def trends(
        self, petition_id: uuid.UUID, *, session: Session | None = None
    ) -> builtins.list[Trend]:
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
        """Add an allow- or block-list entry (domain, network in CIDR, or address)."""

        if kind not in abuse.RULE_KINDS:
            raise InvalidInput(
                f"unknown rule kind {kind!r}: one of {', '.join(abuse.RULE_KINDS)}", field="kind"
            )
        stored = value.strip().lower()
        shown = stored
        if kind.endswith("_network"):
            stored = shown = str(abuse.parse_network(value))
        elif kind == "block_address":
            address = self._email(value, field="value")
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
        self._clear_rules()
        return Rule(id=rule.id, kind=kind, value=shown, note=note)

    @retry_transient
    def remove_rule(
        self, rule_id: uuid.UUID, *, actor: str, session: Session | None = None
    ) -> None:
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
        self._clear_rules()

    def rules(self, *, session: Session | None = None) -> builtins.list[Rule]:
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
        """How many signatures, per state, a bulk invalidation would hit. Writes nothing."""

        with self._p.unit_of_work(session, readonly=True) as s:
            self._petition(s, petition_id)
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
        """Invalidate what the preview showed; refuses when the number changed since."""

        if not reason.strip():
            raise InvalidInput("give a reason for the invalidation", field="reason")
        with self._p.unit_of_work(session) as s:
            row = self._petition(s, petition_id, lock=True)
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
                self._bump(s, row.id, -verified, shard=0)
            self._audit(
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

    def export_csv(
        self,
        petition_id: uuid.UUID,
        out: str | os.PathLike[str] | IO[bytes],
        *,
        session: Session | None = None,
    ) -> ExportResult:
        """The hand-over list of verified signatures, streamed (Excel CSV)."""

        from participatie.petitions import report

        with self._p.unit_of_work(session, readonly=True) as s:
            row = self._petition(s, petition_id)
            return report.write_signatures_csv(self._p, s, row, out)

    def handover_document(
        self, petition_id: uuid.UUID, *, session: Session | None = None
    ) -> HandoverDocument:
        from participatie.petitions import report

        with self._p.unit_of_work(session, readonly=True) as s:
            row = self._petition(s, petition_id)
            return report.handover_document(self._p, s, row, self._public(s, row))

    def handover_html(self, document: HandoverDocument) -> str:
        from participatie.petitions import report

        return report.handover_html(self._p, document)

    def handover_pdf(self, document: HandoverDocument) -> bytes:
        from participatie.petitions import report

        return report.handover_pdf(self._p, document)

    # -- privacy -----------------------------------------------------------------------

    def personal_data(self, email: str, *, session: Session | None = None) -> PersonalData:
        """Everything this module stores about an address (for an access request)."""

        address = self._email(email, field="email")
        with self._p.unit_of_work(session, readonly=True) as s:
            return self._personal_data(s, self._p.hasher.email(address), address.address)

    def erase_personal_data(
        self, email: str, *, actor: str, session: Session | None = None
    ) -> ErasureResult:
        """Erase an address's personal data; verified signatures keep counting anonymously."""

        address = self._email(email, field="email")
        with self._p.unit_of_work(session) as s:
            return self._erase(s, self._p.hasher.email(address), {address.address}, actor)

    def request_personal_data(
        self,
        email: str,
        *,
        locale: str = "nl",
        ip: str | None = None,
        session: Session | None = None,
    ) -> None:
        """A resident asks for their data: a link goes to the address (at most one mail a
        day, within the send caps); the page behind it shows what is stored, or nothing.

        Nothing is looked up here: the work, and so the time the answer takes, is the
        same whether or not the address signed anything.
        """

        address = self._email(email, field="email")
        email_hash = self._p.hasher.email(address)
        with self._p.unit_of_work(session) as s:
            token = self._token("privacy.request", email_hash, bound_to=email_hash, m="petitions")
            day = self._p.clock.now().astimezone(self._p.settings.zone).date().isoformat()
            self._mail(
                s,
                to=address.address,
                template="petitions_privacy",
                locale=locale if locale in ("nl", "en") else "nl",
                context={"url": self._p.url("privacy.request", token=token)},
                dedupe_key=f"{PRIVACY_KEY}{email_hash[:32]}:{day}",
                subject_type="privacy_request",
                subject_id=email_hash[:32],
                cap=(address, ip),
            )

    def personal_data_from_link(
        self, token: str, *, session: Session | None = None
    ) -> PersonalData:
        """The page behind the link from ``request_personal_data``: shows, changes nothing."""

        email_hash = self._privacy_subject(token)
        with self._p.unit_of_work(session, readonly=True) as s:
            return self._personal_data(s, email_hash, None)

    def erase_from_link(self, token: str, *, session: Session | None = None) -> ErasureResult:
        """The erase button on that page (a POST)."""

        email_hash = self._privacy_subject(token)
        with self._p.unit_of_work(session) as s:
            return self._erase(s, email_hash, set(), "resident")

    def _privacy_subject(self, token: str) -> str:
        max_age = self._p.settings.tokens.confirm
        payload = self._p.tokens.load("privacy.request", token, max_age=max_age)
        if payload.extra.get("m") != "petitions":
            raise TokenInvalid("this link is not for petitions", field="token")
        issued = payload.extra.get("t")
        if isinstance(issued, int) and self._p.clock.now().timestamp() - issued > (
            max_age.total_seconds()
        ):
            raise TokenExpired("this link has expired", field="token")
        self._p.tokens.load("privacy.request", token, max_age=max_age, bound_to=payload.subject)
        return payload.subject

    def _personal_data(self, s: Session, email_hash: str, shown: str | None) -> PersonalData:
        records = []
        rows = s.execute(
            select(SignatureRow, PetitionRow.title)
            .join(PetitionRow, PetitionRow.id == SignatureRow.petition_id)
            .where(SignatureRow.email_hash == email_hash)
            .order_by(SignatureRow.created_at)
        ).all()
        for sig, title in rows:
            shown = shown or sig.email
            records.append(
                SignatureRecord(
                    petition_id=sig.petition_id,
                    petition_title=title,
                    status=sig.status,
                    name=sig.name,
                    email=sig.email,
                    postcode=sig.postcode,
                    house_number=sig.house_number,
                    area=sig.area_code,
                    show_name=sig.show_name,
                    notify_answer=sig.notify_answer,
                    created_at=sig.created_at,
                    confirmed_at=sig.confirmed_at,
                    ip_stored_as="keyed hash" if sig.ip_hash else "not stored",
                )
            )
        created = list(
            s.execute(
                select(PetitionRow.id, PetitionRow.creator_email).where(
                    PetitionRow.creator_email_hash == email_hash
                )
            ).all()
        )
        co = list(
            s.execute(
                select(CoinitiatorRow.petition_id, CoinitiatorRow.email).where(
                    CoinitiatorRow.email_hash == email_hash
                )
            ).all()
        )
        for _id, address in [*created, *co]:
            shown = shown or address
        return PersonalData(
            email=shown or "",
            signatures=records,
            petitions_created=[row[0] for row in created],
            coinitiator_of=[row[0] for row in co],
        )

    def _erase(self, s: Session, email_hash: str, addresses: set[str], actor: str) -> ErasureResult:
        now = self._p.clock.now()
        found = self._personal_data(s, email_hash, None)
        addresses |= {r.email for r in found.signatures if r.email}
        if found.email:
            addresses.add(found.email)
        sig_ids = list(
            s.execute(
                select(SignatureRow.id).where(SignatureRow.email_hash == email_hash)
            ).scalars()
        )
        # Pending ones never counted: they go entirely.
        s.execute(
            delete(SignatureRow)
            .where(SignatureRow.email_hash == email_hash, SignatureRow.status == PENDING)
            .execution_options(synchronize_session=False)
        )
        anonymise_signatures(s, SignatureRow.email_hash == email_hash, now)
        petitions = s.execute(
            update(PetitionRow)
            .where(PetitionRow.creator_email_hash == email_hash)
            .values(creator_email=None, creator_email_hash=None)
            .execution_options(synchronize_session=False)
        ).rowcount  # type: ignore[attr-defined]
        coinitiators = s.execute(
            update(CoinitiatorRow)
            .where(CoinitiatorRow.email_hash == email_hash)
            .values(name=None, email=None, email_hash=None, mailbox_hash=None)
            .execution_options(synchronize_session=False)
        ).rowcount  # type: ignore[attr-defined]
        messages = erase_messages(s, address=None, subject_ids=[str(i) for i in sig_ids])
        for address in sorted(addresses):
            messages += erase_messages(s, address=address, subject_ids=[])
        result = ErasureResult(
            signatures=len(sig_ids),
            petitions=int(petitions or 0),
            coinitiators=int(coinitiators or 0),
            messages=messages,
        )
        self._p.audit.record(
            s,
            actor=actor,
            action="petition.personal_data_erased",
            subject_type="privacy_request",
            subject_id=email_hash[:32],
            data=result.model_dump(),
        )
        return result

    # -- internals ---------------------------------------------------------------------

    def _email(self, value: str, *, field: str) -> Email:
        return normalize_email(
            value, check_deliverability=self._p.settings.email_check_deliverability, field=field
        )

    def _mailbox_hash(self, email: Email) -> str:
        return self._p.hasher.mailbox(mailbox_key(email, self._p.settings.mailboxes))

    def _check_closing(self, closes_at: datetime, start: datetime, *, field: str) -> None:
        if closes_at.tzinfo is None:
            raise InvalidInput("give the closing time with a time zone", field=field)
        if closes_at <= self._p.clock.now():
            raise InvalidInput("the closing time lies in the past", field=field)
        if closes_at > start + self.settings.max_duration:
            raise InvalidInput(
                f"a petition runs at most {self.settings.max_duration.days} days", field=field
            )

    def _petition(
        self, s: Session, petition_id: uuid.UUID | str, *, lock: bool = False
    ) -> PetitionRow:
        try:
            key = petition_id if isinstance(petition_id, uuid.UUID) else uuid.UUID(str(petition_id))
        except ValueError:
            raise PetitionNotFound("no such petition", field="petition") from None
        row = s.get(PetitionRow, key, with_for_update=lock or None)
        if row is None:
            raise PetitionNotFound("no such petition", field="petition")
        return row

    def _snapshot(self, s: Session, petition_id: uuid.UUID | str) -> Any:
        """The columns signing and confirming need, without loading an ORM object."""

        try:
            key = petition_id if isinstance(petition_id, uuid.UUID) else uuid.UUID(str(petition_id))
        except ValueError:
            raise PetitionNotFound("no such petition", field="petition") from None
        now = time.monotonic()
        with self._rules_lock:
            hit = self._snapshots.get(key)
        if hit is not None and now - hit[0] < SNAPSHOT_SECONDS:
            return hit[1]
        row = s.connection().execute(SNAPSHOT_QUERY, {"pid": key}).first()
        if row is None:
            raise PetitionNotFound("no such petition", field="petition")
        with self._rules_lock:
            if len(self._snapshots) >= AREA_CACHE_SIZE:
                self._snapshots.clear()
            self._snapshots[key] = (now, row)
        return row

    def _forget(self, petition_id: uuid.UUID) -> None:
        with self._rules_lock:
            self._snapshots.pop(petition_id, None)

    def _insert_signature(self, s: Session, values: dict[str, Any]) -> bool:
        """Insert unless the address signed already; False when the database said no."""

        dialect = s.get_bind().dialect.name
        if dialect in ("postgresql", "sqlite"):
            # One statement, no savepoint: the unique index decides, also between
            # concurrent transactions (the second waits for the first, then does nothing).
            statement = _insert_or_nothing(dialect)
            return s.connection().execute(statement, values).first() is not None
        # MariaDB: INSERT IGNORE would swallow other errors too, so a savepoint.
        try:
            with s.begin_nested():
                s.execute(insert(SignatureRow).values(**values))
        except IntegrityError:
            return False
        return True

    def _expect(self, row: PetitionRow, status: str, what: str) -> None:
        if row.status != status:
            raise PetitionState(
                f"cannot {what} a petition in status {row.status} (needs {status})",
                field="status",
                status=row.status,
            )

    def _token(self, purpose: str, subject: str, *, bound_to: str | None, **extra: Any) -> str:
        # The issue time rides along signed, so expiry follows the facade's clock (the
        # signer's own timestamp follows the wall clock).
        issued = int(self._p.clock.now().timestamp())
        return self._p.tokens.make(purpose, subject, bound_to=bound_to, t=issued, **extra)

    def _subject(self, purpose: str, token: str, max_age: timedelta) -> uuid.UUID:
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

    def _creator_petition(self, s: Session, token: str, max_age: timedelta) -> PetitionRow:
        subject = self._subject("petition.creator", token, max_age)
        row = s.get(PetitionRow, subject)
        if row is None or row.creator_email_hash is None:
            raise TokenInvalid("this link is no longer valid", field="token")
        self._p.tokens.load(
            "petition.creator", token, max_age=max_age, bound_to=row.creator_email_hash
        )
        return row

    def _signature_for(
        self, s: Session, purpose: str, token: str, max_age: timedelta
    ) -> SignatureRow:
        subject = self._subject(purpose, token, max_age)
        sig = s.get(SignatureRow, subject)
        if sig is None or sig.email_hash is None:
            raise TokenInvalid("this link is no longer valid", field="token")
        self._p.tokens.load(purpose, token, max_age=max_age, bound_to=sig.email_hash)
        return sig

    def _advance_to_moderation(self, s: Session, row: PetitionRow) -> None:
        confirmed = self._coinitiators(s, row.id)
        if confirmed < self.settings.min_coinitiators:
            row.status = COINITIATORS
            return
        row.status = SUBMITTED
        row.submitted_at = row.updated_at = self._p.clock.now()
        self._audit(s, "system", "petition.submitted", row, {"coinitiators": confirmed})
        desk = self.settings.desk_email
        if desk:
            self._mail(
                s,
                to=desk,
                template="petitions_desk_submitted",
                locale="nl",
                context={
                    "title": row.title,
                    "creator": row.creator_name,
                    "url": self._p.url("petition", petition=row.id),
                },
                dedupe_key=f"petition:{row.id}:desk-submitted",
                subject_type=PETITION,
                subject_id=row.id,
            )

    def _close(self, s: Session, row: PetitionRow, actor: str) -> None:
        now = self._p.clock.now()
        row.status = CLOSED
        row.closed_at = row.updated_at = now
        total = self._total(s, row.id)
        self._audit(s, actor, "petition.closed", row, {"total": total})
        self._mail_creator(s, row, "petitions_closed", "closed", {"total": total})

    def _signable(self, row: Any, now: datetime) -> bool:
        if row.status != OPEN or row.hidden:
            return False
        if row.opens_at is not None and now < row.opens_at:
            return False
        return row.closes_at is None or now < row.closes_at

    def _confirmable(self, row: Any) -> bool:
        now = self._p.clock.now()
        if row.hidden:
            return False
        if row.status == OPEN:
            return row.closes_at is None or now < row.closes_at + self.settings.confirm_grace
        if row.status == CLOSED:
            end = row.closes_at or row.closed_at or now
            return now < end + self.settings.confirm_grace
        return False

    def _sign_again(self, s: Session, row: Any, sig: Any, cap: Cap) -> None:
        if sig.status == VERIFIED and sig.email is not None:
            # Only the owner of the mailbox learns that the address signed already.
            self._mail(
                s,
                to=sig.email,
                template="petitions_already_signed",
                locale=sig.locale,
                context={"title": row.title, "name": sig.name},
                dedupe_key=f"petition-already:{sig.id}",
                subject_type=SIGNATURE,
                subject_id=sig.id,
                cap=cap,
            )
            return
        # Invalidated: nothing happens, and the answer looks the same.
        if sig.status not in (PENDING, FRAUDULENT, SIG_WITHDRAWN):
            return
        if sig.resends >= self.settings.max_resends:
            return
        values: dict[str, Any] = {"resends": sig.resends + 1}
        if sig.status == SIG_WITHDRAWN:
            values.update(status=PENDING, withdrawn_at=None)
        done = s.execute(
            update(SignatureRow)
            .where(SignatureRow.id == sig.id, SignatureRow.resends == sig.resends)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if done.rowcount == 1:  # type: ignore[attr-defined]
            self._send_confirmation(
                s,
                row,
                sig,
                template="petitions_confirm",
                dedupe_key=f"petition-confirm:{sig.id}:{sig.resends + 1}",
                cap=cap,
            )

    def _household_has_room(
        self, s: Session, row: Any, postcode: str, house: str | None, data: SignatureIn
    ) -> bool:
        names = list(
            s.execute(
                select(SignatureRow.name).where(
                    SignatureRow.petition_id == row.id,
                    SignatureRow.postcode == postcode,
                    SignatureRow.house_number == house,
                    SignatureRow.status.in_(LIVE),
                )
            ).scalars()
        )
        if len(names) >= self.settings.household_limit:
            return False
        wanted = data.name.casefold()
        return all((n or "").casefold() != wanted for n in names)

    def _send_confirmation(
        self,
        s: Session,
        row: Any,
        sig: Any,
        *,
        template: str,
        dedupe_key: str | None,
        cap: Cap = None,
    ) -> uuid.UUID | None:
        assert sig.email is not None and sig.email_hash is not None
        confirm = self._token("petition.confirm", str(sig.id), bound_to=sig.email_hash)
        withdraw = self._token("petition.withdraw", str(sig.id), bound_to=sig.email_hash)
        return self._mail(
            s,
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
            cap=cap,
        )

    def _mail(self, s: Session, *, cap: Cap = None, **kwargs: Any) -> uuid.UUID | None:
        # ``cap``: the typed address and the requester's IP; over a send cap, no mail.
        if cap is not None and not self._p.send_caps.allow(s, email=cap[0], ip=cap[1]):
            return None
        return self._p.outbox.enqueue(s, **kwargs)

    def _mail_creator(
        self, s: Session, row: Any, template: str, key: str, context: dict[str, Any]
    ) -> None:
        if row.creator_email is None:
            return
        self._mail(
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

    def _audit(self, s: Session, actor: str, action: str, row: Any, data: dict[str, Any]) -> None:
        self._p.audit.record(
            s, actor=actor, action=action, subject_type=PETITION, subject_id=row.id, data=data
        )
        self._forget(row.id)

    def _bump(
        self, s: Session, petition_id: uuid.UUID, delta: int, *, shard: int | None = None
    ) -> None:
        # A random shard: concurrent confirmations rarely wait on the same row.
        index = random.randrange(self.settings.counter_shards) if shard is None else shard
        s.connection().execute(BUMP, {"pid": petition_id, "shard_no": index, "delta": delta})

    def _verified(self, s: Session, petition_id: uuid.UUID) -> int:
        value = s.execute(
            select(func.coalesce(func.sum(CounterShardRow.verified), 0)).where(
                CounterShardRow.petition_id == petition_id
            )
        ).scalar_one()
        return int(value)

    def _paper(self, s: Session, petition_id: uuid.UUID) -> int:
        value = s.execute(
            select(func.coalesce(func.sum(PaperBatchRow.count), 0)).where(
                PaperBatchRow.petition_id == petition_id
            )
        ).scalar_one()
        return int(value)

    def _total(self, s: Session, petition_id: uuid.UUID) -> int:
        return int(s.connection().execute(TOTAL, {"pid": petition_id}).scalar_one())

    def _coinitiators(self, s: Session, petition_id: uuid.UUID) -> int:
        return int(
            s.execute(
                select(func.count()).where(
                    CoinitiatorRow.petition_id == petition_id,
                    CoinitiatorRow.confirmed_at.is_not(None),
                )
            ).scalar_one()
        )

    def _check_thresholds(self, s: Session, row: Any) -> None:
        waiting = [int(t) for t in row.thresholds or [] if int(t) > row.reached_threshold]
        if not waiting:
            return
        total = self._total(s, row.id)
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
            .execute(select(_P.reached_threshold).where(_P.id == row.id).with_for_update())
            .scalar_one()
        )
        reached = [t for t in reached if t > current]
        if not reached:
            self._forget(row.id)
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
            self._audit(
                s,
                "system",
                "petition.threshold_reached",
                row,
                {"threshold": threshold, "total": total},
            )
            context = {"threshold": threshold, "total": total}
            self._mail_creator(s, row, "petitions_threshold", f"threshold:{threshold}", context)
            if self.settings.desk_email:
                self._mail(
                    s,
                    to=self.settings.desk_email,
                    template="petitions_threshold",
                    locale="nl",
                    context={
                        "title": row.title,
                        "name": "griffie",
                        "url": self._p.url("petition", petition=row.id),
                        **context,
                    },
                    dedupe_key=f"petition:{row.id}:desk-threshold:{threshold}",
                    subject_type=PETITION,
                    subject_id=row.id,
                )
        s.execute(
            update(PetitionRow)
            .where(PetitionRow.id == row.id, PetitionRow.reached_threshold < max(reached))
            .values(reached_threshold=max(reached))
            .execution_options(synchronize_session=False)
        )
        self._forget(row.id)

    def _answer_recipients(
        self, s: Session, petition_id: uuid.UUID
    ) -> Iterator[tuple[uuid.UUID, str, str, str]]:
        # Keyset pages, not one open cursor: the loop writes on the same connection, which
        # MariaDB's unbuffered cursors do not allow, and memory stays flat.
        last: tuple[datetime, uuid.UUID] | None = None
        while True:
            query = (
                select(
                    SignatureRow.created_at,
                    SignatureRow.id,
                    SignatureRow.email,
                    SignatureRow.email_hash,
                    SignatureRow.locale,
                )
                .where(
                    SignatureRow.petition_id == petition_id,
                    SignatureRow.status == VERIFIED,
                    SignatureRow.notify_answer.is_(True),
                    SignatureRow.email.is_not(None),
                )
                .order_by(SignatureRow.created_at, SignatureRow.id)
                .limit(PAGE)
            )
            if last is not None:
                query = query.where(
                    (SignatureRow.created_at > last[0])
                    | ((SignatureRow.created_at == last[0]) & (SignatureRow.id > last[1]))
                )
            page = s.execute(query).all()
            for _created, sig_id, address, email_hash, locale in page:
                if address is not None and email_hash is not None:
                    yield sig_id, address, email_hash, locale
            if len(page) < PAGE:
                return
            last = (page[-1][0], page[-1][1])

    def _area(self, s: Session, postcode: str) -> AreaRef | None:
        # Wijk borders change a few times a decade; a short cache saves a join per signature.
        now = time.monotonic()
        with self._rules_lock:
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
        with self._rules_lock:
            if len(self._area_cache) >= AREA_CACHE_SIZE:
                self._area_cache.clear()
            self._area_cache[postcode] = (now, ref)
        return ref

    def _rules(self, s: Session) -> abuse.RuleSet:
        with self._rules_lock:
            cached = self._rules_cache
            if cached is not None and time.monotonic() - cached[0] < RULES_CACHE_SECONDS:
                return cached[1]
        rules = abuse.RuleSet.load(s, self.settings, self._p.hasher)
        with self._rules_lock:
            self._rules_cache = (time.monotonic(), rules)
        return rules

    def _clear_rules(self) -> None:
        with self._rules_lock:
            self._rules_cache = None
            self._area_cache.clear()

    def _notify_trend(self, trend: Trend) -> None:
        for callback in list(self._trend_callbacks):
            try:
                callback(trend)
            except Exception:  # a host's callback must not undo a signature
                import logging

                logging.getLogger("participatie.petitions").exception("trend callback failed")

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

    def _public(self, s: Session, row: PetitionRow) -> Petition:
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
            coinitiators_confirmed=self._coinitiators(s, row.id),
            verified=self._verified(s, row.id),
            paper=self._paper(s, row.id),
            url=self._p.url("petition", petition=row.id),
        )


ADVISORY_LOCK = text("SELECT pg_advisory_xact_lock(:key)")


def _serialise(s: Session, petition_id: uuid.UUID, names: list[str], shards: int) -> None:
    """Make transactions about the same ``names`` take turns until they commit.

    PostgreSQL: a transaction-scoped advisory lock per name. MariaDB (READ COMMITTED):
    the names map onto the petition's counter shard rows, locked FOR UPDATE in shard
    order (one statement, so two signers never lock two shards in opposite orders);
    unrelated names that share a shard wait briefly too. SQLite runs one writer at a
    time anyway.
    """

    if not names:
        return
    digests = [hashlib.blake2b(name.encode(), digest_size=8).digest() for name in names]
    dialect = s.get_bind().dialect.name
    if dialect == "postgresql":
        for digest in digests:
            key = int.from_bytes(digest, "big", signed=True)
            s.connection().execute(ADVISORY_LOCK, {"key": key})
    elif dialect in ("mysql", "mariadb"):
        wanted = sorted({int.from_bytes(digest, "big") % shards for digest in digests})
        s.connection().execute(
            select(CounterShardRow.shard)
            .where(CounterShardRow.petition_id == petition_id, CounterShardRow.shard.in_(wanted))
            .order_by(CounterShardRow.shard)
            .with_for_update()
        ).all()


def anonymise_signatures(s: Session, where: Any, now: datetime) -> int:
    """Blank the personal data of matching signatures; state, area and day stay."""

    result = s.execute(
        update(SignatureRow)
        .where(where)
        .values(
            name=None,
            email=None,
            email_hash=None,
            mailbox_hash=None,
            email_domain=None,
            postcode=None,
            house_number=None,
            ip_hash=None,
            subnet_hash=None,
            notify_answer=False,
            anonymised_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def erase_messages(s: Session, *, address: str | None, subject_ids: Iterable[str]) -> int:
    """Remove personal data from the outbox: unsent messages go, sent ones are blanked."""

    ids = list(subject_ids)
    total = 0
    matches: list[Any] = []
    if address is not None:
        matches.append(OutboxMessageRow.to_address == address)
    for start in range(0, len(ids), PAGE):
        matches.append(OutboxMessageRow.subject_id.in_(ids[start : start + PAGE]))
    for match in matches:
        removed = s.execute(
            delete(OutboxMessageRow)
            .where(match, OutboxMessageRow.status == "pending")
            .execution_options(synchronize_session=False)
        ).rowcount  # type: ignore[attr-defined]
        blanked = s.execute(
            update(OutboxMessageRow)
            .where(match, OutboxMessageRow.to_address != ERASED)
            .values(
                to_address=ERASED, subject="(erased)", text_body="", html_body=None, last_error=None
            )
            .execution_options(synchronize_session=False)
        ).rowcount  # type: ignore[attr-defined]
        total += int(removed or 0) + int(blanked or 0)
    return total
