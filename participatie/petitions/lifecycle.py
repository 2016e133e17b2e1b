"""Creating and moderating a petition: the creator, co-initiators and the griffie's
decisions (approve, reject, hide, extend, close, withdraw).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from participatie.errors import InvalidInput, TokenInvalid
from participatie.identity import (
    mailbox_key,
)
from participatie.petitions.core import Part
from participatie.petitions.errors import (
    PetitionState,
    UnknownReason,
)
from participatie.petitions.models import (
    ANSWERED,
    COINITIATORS,
    DRAFT,
    HANDED_OVER,
    OPEN,
    REJECTED,
    SUBMITTED,
    WITHDRAWN,
    CoinitiatorRow,
    CounterShardRow,
    PetitionRow,
)
from participatie.petitions.schemas import (
    Petition,
    PetitionIn,
)
from participatie.petitions.statements import (
    PETITION,
)
from participatie.retention import text_digest
from participatie.retry import retry_transient


class Lifecycle(Part):
    """Creating and moderating a petition (part of ``p.petitions``)."""

    @retry_transient
    def create(
        self, data: PetitionIn, *, ip: str | None = None, session: Session | None = None
    ) -> Petition:
        """A creator submits a petition; it waits for the creator to confirm their address.

        Args:
            data: title, summary, text, the creator's name and address, the closing time
                asked for, the language and optional requirements.
            ip: the requester's address, for the send caps on the confirmation mail.
            session: the host's SQLAlchemy session to work in (the library only
                flushes); without it the call commits on its own.

        Returns:
            Petition: the petition in status ``draft``.

        Raises:
            InvalidEmail: ``input.email``, field ``creator_email``.
            InvalidInput: ``input.invalid``, field ``closes_at``: no time zone, in the
                past, or later than ``Settings.petitions.max_duration`` allows.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        email = self.core.email(data.creator_email, field="creator_email")
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
            token = self.core.token(
                "petition.creator", str(row.id), bound_to=row.creator_email_hash
            )
            self.core.mail(
                s,
                to=email.address,
                template="petitions_creator_confirm",
                locale=row.locale,
                context={
                    "title": row.title,
                    "name": row.creator_name,
                    "confirm_url": self._p.url("petition.creator", token=token),
                    "min_coinitiators": self.settings.min_coinitiators,
                    "days": self._p.settings.tokens.confirm.days,
                },
                dedupe_key=f"petition:{row.id}:creator-confirm",
                subject_type=PETITION,
                subject_id=row.id,
                cap=(email, ip),
            )
            # The title is the creator's own words: the permanent log keeps a digest.
            self.core.audit(
                s, "creator", "petition.created", row, {"title_sha256": text_digest(row.title)}
            )
            s.flush()
            return self.core.public(s, row)

    @retry_transient
    def confirm_creator(self, token: str, *, session: Session | None = None) -> Petition:
        """The creator's link (a POST on the page): the petition goes on to co-initiators
        or moderation (the desk is mailed). Twice is harmless. The link lives
        ``Settings.tokens.confirm``.

        Args:
            token: the last part of the creator's link (``petition.creator``).
            session: the host's SQLAlchemy session to work in (the library only
                flushes); without it the call commits on its own.

        Returns:
            Petition: in status ``coinitiators`` (too few confirmed yet) or
            ``submitted``; unchanged when confirmed before.

        Raises:
            TokenExpired: ``token.expired``, the link is older than its lifetime.
            TokenInvalid: ``token.invalid``, the link was altered or no longer matches
                (the record or its address is gone).
            TokenWrongPurpose: ``token.wrong_purpose``, a link made for something else.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        with self._p.unit_of_work(session) as s:
            row = self._creator_petition(s, token, self._p.settings.tokens.confirm)
            if row.status == DRAFT:
                now = self._p.clock.now()
                row.creator_confirmed_at = now
                row.updated_at = now
                self.core.audit(s, "creator", "petition.creator_confirmed", row, {})
                self._advance_to_moderation(s, row)
            return self.core.public(s, row)

    @retry_transient
    def invite_coinitiator(
        self, creator_token: str, *, name: str, email: str, session: Session | None = None
    ) -> None:
        """The creator invites a co-initiator, who confirms through their own link. Inviting
        the same address again does nothing (the first invitation stands).

        Args:
            creator_token: the creator's link token (valid ``Settings.tokens.withdraw``).
            name: the co-initiator's name (1 to 200 characters; spaces folded).
            email: the co-initiator's address.
            session: the host's SQLAlchemy session to work in (the library only
                flushes); without it the call commits on its own.

        Returns:
            None.

        Raises:
            InvalidEmail: ``input.email``, field ``email``.
            InvalidInput: ``input.invalid``, field ``name`` (empty or too long) or
                ``email`` (the creator's own mailbox).
            TokenExpired: ``token.expired``, the link is older than its lifetime.
            TokenInvalid: ``token.invalid``, the link was altered or no longer matches
                (the record or its address is gone).
            TokenWrongPurpose: ``token.wrong_purpose``, a link made for something else.
            PetitionState: ``petition.state``, past moderation.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        address = self.core.email(email, field="email")
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
            mailbox_hash = self.core.mailbox_hash(address)
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
            token = self.core.token("petition.coinitiator", str(co.id), bound_to=email_hash)
            self.core.mail(
                s,
                to=address.address,
                template="petitions_coinitiator",
                locale=row.locale,
                context={
                    "title": row.title,
                    "name": name,
                    "creator": row.creator_name,
                    "confirm_url": self._p.url("petition.coinitiator", token=token),
                    "days": self._p.settings.tokens.confirm.days,
                },
                dedupe_key=f"petition:{row.id}:coinitiator:{co.id}",
                subject_type=PETITION,
                subject_id=row.id,
                cap=(address, None),
            )
            self.core.audit(
                s, "creator", "petition.coinitiator_invited", row, {"coinitiator": co.id}
            )

    @retry_transient
    def confirm_coinitiator(self, token: str, *, session: Session | None = None) -> Petition:
        """A co-initiator confirms (their link); with enough confirmed
        (``Settings.petitions.min_coinitiators``) a petition waiting for them goes to
        moderation. Twice is harmless.

        Args:
            token: the last part of the co-initiator's link (``petition.coinitiator``).
            session: the host's SQLAlchemy session to work in (the library only
                flushes); without it the call commits on its own.

        Returns:
            Petition: the petition as it is now.

        Raises:
            TokenExpired: ``token.expired``, the link is older than its lifetime.
            TokenInvalid: ``token.invalid``, the link was altered or no longer matches
                (the record or its address is gone).
            TokenWrongPurpose: ``token.wrong_purpose``, a link made for something else.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        subject = self.core.subject("petition.coinitiator", token, self._p.settings.tokens.confirm)
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
            row = self.core.petition(s, co.petition_id)
            if co.confirmed_at is None:
                co.confirmed_at = self._p.clock.now()
                s.flush()
                self.core.audit(
                    s, "coinitiator", "petition.coinitiator_confirmed", row, {"id": co.id}
                )
                if row.status == COINITIATORS:
                    self._advance_to_moderation(s, row)
            return self.core.public(s, row)

    def confirmation_link(
        self, token: str, *, role: str, session: Session | None = None
    ) -> tuple[Petition | None, bool]:
        """What the page behind a creator's or co-initiator's link shows, changing nothing
        (mail scanners open links): the petition, and whether this link's holder has
        confirmed already (then the page says so instead of asking again).

        Args:
            token: the last part of the link (``petition.creator`` or
                ``petition.coinitiator``).
            role: ``"creator"`` or ``"coinitiator"``.
            session: the host's SQLAlchemy session to read in; without it the call uses
                its own.

        Returns:
            tuple[Petition | None, bool]: the petition (None when it or the invitation
            is gone) and True when confirmed before.

        Raises:
            ValueError: ``role`` is neither ``"creator"`` nor ``"coinitiator"``.
            TokenExpired: ``token.expired``, the link is older than
                ``Settings.tokens.confirm``.
            TokenInvalid: ``token.invalid``, the link was altered.
            TokenWrongPurpose: ``token.wrong_purpose``, a link made for something else.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached.
        """

        if role not in ("creator", "coinitiator"):
            raise ValueError(f"no confirmation link for {role!r}")
        subject = self.core.subject(f"petition.{role}", token, self._p.settings.tokens.confirm)
        with self._p.unit_of_work(session, readonly=True) as s:
            if role == "coinitiator":
                co = s.get(CoinitiatorRow, subject)
                row = s.get(PetitionRow, co.petition_id) if co is not None else None
                confirmed = co is not None and co.confirmed_at is not None
            else:
                row = s.get(PetitionRow, subject)
                confirmed = row is not None and row.creator_confirmed_at is not None
            if row is None:
                return None, False
            return self.core.public(s, row), confirmed

    @retry_transient
    def withdraw_petition(
        self, creator_token: str, *, reason: str | None = None, session: Session | None = None
    ) -> Petition:
        """The creator withdraws the petition (possible until it is handed over). The
        reason is kept in the audit log as a SHA-256 only.

        Args:
            creator_token: the creator's link token (valid ``Settings.tokens.withdraw``).
            reason: why (optional).
            session: the host's SQLAlchemy session to work in (the library only
                flushes); without it the call commits on its own.

        Returns:
            Petition: in status ``withdrawn``.

        Raises:
            TokenExpired: ``token.expired``, the link is older than its lifetime.
            TokenInvalid: ``token.invalid``, the link was altered or no longer matches
                (the record or its address is gone).
            TokenWrongPurpose: ``token.wrong_purpose``, a link made for something else.
            PetitionState: ``petition.state``: handed over, answered, rejected or
                withdrawn already.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        with self._p.unit_of_work(session) as s:
            row = self._creator_petition(s, creator_token, self._p.settings.tokens.withdraw)
            if row.status in (HANDED_OVER, ANSWERED, REJECTED, WITHDRAWN):
                raise PetitionState(f"cannot withdraw a petition in status {row.status}")
            before = row.status
            row.status = WITHDRAWN
            row.withdrawn_at = row.updated_at = self._p.clock.now()
            # The creator's own words may name people; the permanent log keeps a digest.
            self.core.audit(
                s,
                "creator",
                "petition.withdrawn",
                row,
                {"before": before, "reason_sha256": text_digest(reason)},
            )
            return self.core.public(s, row)

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
        """The griffie approves: the petition opens now and closes at ``closes_at``.

        Args:
            petition_id: the petition's id.
            actor: who approves (audit log).
            closes_at: the closing time; default the creator's, else 90 days from now.
            thresholds: signature counts that mean something locally (a milestone each);
                default ``Settings.petitions.default_thresholds``.
            session: the host's SQLAlchemy session to work in (the library only
                flushes); without it the call commits on its own.

        Returns:
            Petition: the petition in status ``open``.

        Raises:
            PetitionNotFound: ``petition.not_found``.
            PetitionState: ``petition.state``, the petition is not ``submitted``.
            InvalidInput: ``input.invalid``, fields ``thresholds`` or ``closes_at`` (no
                time zone, in the past, or beyond ``max_duration``).
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        now = self._p.clock.now()
        levels = sorted({int(t) for t in (thresholds or self.settings.default_thresholds)})
        if any(t < 1 or t > 100_000_000 for t in levels):
            raise InvalidInput(
                "thresholds must be whole numbers from 1 to 100,000,000", field="thresholds"
            )
        with self._p.unit_of_work(session) as s:
            row = self.core.petition(s, petition_id, lock=True)
            self.core.expect(row, SUBMITTED, "approve")
            closing = closes_at or row.requested_closes_at or now + timedelta(days=90)
            self._check_closing(closing, now, field="closes_at")
            row.status = OPEN
            row.opens_at = row.moderated_at = row.updated_at = now
            row.closes_at = closing
            row.moderated_by = actor
            row.thresholds = levels
            self.core.audit(
                s,
                actor,
                "petition.approved",
                row,
                {"closes_at": closing, "thresholds": levels},
            )
            self.core.mail_creator(s, row, "petitions_approved", "approved", {})
            return self.core.public(s, row)

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
        """The griffie refuses the petition with a reason code from the settings.

        Args:
            petition_id: the petition's id.
            actor: who refuses (audit log).
            reason: a code of ``Settings.petitions.reject_reasons`` (``outside_remit``, ...).
            note: an explanation for the creator (in the log only as its SHA-256).
            session: the host's SQLAlchemy session to work in (the library only
                flushes); without it the call commits on its own.

        Returns:
            Petition: the petition in status ``rejected``.

        Raises:
            PetitionNotFound: ``petition.not_found``.
            UnknownReason: ``petition.reason``, the code is not in the settings.
            PetitionState: ``petition.state``, the petition is not ``submitted``.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        reasons = self.settings.reject_reasons
        if reason not in reasons:
            raise UnknownReason(
                f"unknown reason {reason!r}: choose one of {', '.join(sorted(reasons))}",
                field="reason",
            )
        with self._p.unit_of_work(session) as s:
            row = self.core.petition(s, petition_id, lock=True)
            self.core.expect(row, SUBMITTED, "reject")
            row.status = REJECTED
            row.moderated_at = row.updated_at = self._p.clock.now()
            row.moderated_by = actor
            row.reject_reason = reason
            row.reject_note = note
            self.core.audit(
                s,
                actor,
                "petition.rejected",
                row,
                {"reason": reason, "note_sha256": text_digest(note)},
            )
            labels = reasons[reason]
            self.core.mail_creator(
                s,
                row,
                "petitions_rejected",
                "rejected",
                {"reason": labels[0] if row.locale == "nl" else labels[1], "note": note or ""},
            )
            return self.core.public(s, row)

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
        """Hide an offensive petition from every public place (``hidden=False`` undoes).
        Works in any status; signing and confirming stop while hidden.

        Args:
            petition_id: the petition's id.
            actor: who hides (audit log).
            reason: why (required to hide; in the audit log as a SHA-256).
            hidden: True hides, False shows it again.
            session: the host's SQLAlchemy session to work in (the library only
                flushes); without it the call commits on its own.

        Returns:
            Petition: the petition with ``hidden`` set.

        Raises:
            InvalidInput: ``input.invalid``, field ``reason``: empty while hiding.
            PetitionNotFound: ``petition.not_found``, field ``petition`` (also for an id
                that is not a UUID).
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        if hidden and not reason.strip():
            raise InvalidInput("give a reason for hiding", field="reason")
        with self._p.unit_of_work(session) as s:
            row = self.core.petition(s, petition_id, lock=True)
            row.hidden = hidden
            row.hidden_reason = reason if hidden else None
            row.updated_at = self._p.clock.now()
            action = "petition.hidden" if hidden else "petition.unhidden"
            self.core.audit(s, actor, action, row, {"reason_sha256": text_digest(reason)})
            return self.core.public(s, row)

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
        """Move the closing time later; the reason is recorded.

        Args:
            petition_id: the petition's id (open).
            actor: who extends (audit log).
            closes_at: the new closing time, timezone-aware, later than the current one
                and within ``Settings.petitions.max_duration`` of opening.
            reason: why (required; in the audit log).
            session: the host's SQLAlchemy session to work in (the library only
                flushes); without it the call commits on its own.

        Returns:
            Petition: the petition with its new closing time.

        Raises:
            InvalidInput: ``input.invalid``, field ``reason`` (empty) or ``closes_at``
                (not later, no time zone, in the past or beyond ``max_duration``).
            PetitionNotFound: ``petition.not_found``, field ``petition`` (also for an id
                that is not a UUID).
            PetitionState: ``petition.state``, the petition is not open.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        if not reason.strip():
            raise InvalidInput("give a reason for the extension", field="reason")
        now = self._p.clock.now()
        with self._p.unit_of_work(session) as s:
            row = self.core.petition(s, petition_id, lock=True)
            self.core.expect(row, OPEN, "extend")
            self._check_closing(closes_at, row.opens_at or now, field="closes_at")
            before = row.closes_at
            if before is not None and closes_at <= before:
                raise InvalidInput("the new closing time must be later", field="closes_at")
            row.closes_at = closes_at
            row.updated_at = now
            self.core.audit(
                s,
                actor,
                "petition.extended",
                row,
                {"before": before, "after": closes_at, "reason": reason},
            )
            return self.core.public(s, row)

    @retry_transient
    def close(
        self, petition_id: uuid.UUID, *, actor: str, session: Session | None = None
    ) -> Petition:
        """Close an open petition now (the job closes those past ``closes_at``); the creator
        is mailed the total. Signatures made before may still be confirmed for
        ``Settings.petitions.confirm_grace``.

        Args:
            petition_id: the petition's id.
            actor: who closes (audit log).
            session: the host's SQLAlchemy session to work in (the library only
                flushes); without it the call commits on its own.

        Returns:
            Petition: in status ``closed``.

        Raises:
            PetitionNotFound: ``petition.not_found``, field ``petition`` (also for an id
                that is not a UUID).
            PetitionState: ``petition.state``, the petition is not open.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        with self._p.unit_of_work(session) as s:
            row = self.core.petition(s, petition_id, lock=True)
            self.core.expect(row, OPEN, "close")
            self.core.close(s, row, actor)
            return self.core.public(s, row)

    def _check_closing(self, closes_at: datetime, start: datetime, *, field: str) -> None:
        if closes_at.tzinfo is None:
            raise InvalidInput("give the closing time with a time zone", field=field)
        if closes_at <= self._p.clock.now():
            raise InvalidInput("the closing time lies in the past", field=field)
        if closes_at > start + self.settings.max_duration:
            raise InvalidInput(
                f"a petition runs at most {self.settings.max_duration.days} days", field=field
            )

    def _creator_petition(self, s: Session, token: str, max_age: timedelta) -> PetitionRow:
        subject = self.core.subject("petition.creator", token, max_age)
        row = s.get(PetitionRow, subject)
        if row is None or row.creator_email_hash is None:
            raise TokenInvalid("this link is no longer valid", field="token")
        self._p.tokens.load(
            "petition.creator", token, max_age=max_age, bound_to=row.creator_email_hash
        )
        return row

    def _advance_to_moderation(self, s: Session, row: PetitionRow) -> None:
        confirmed = self.core.coinitiators(s, row.id)
        if confirmed < self.settings.min_coinitiators:
            row.status = COINITIATORS
            return
        row.status = SUBMITTED
        row.submitted_at = row.updated_at = self._p.clock.now()
        self.core.audit(s, "system", "petition.submitted", row, {"coinitiators": confirmed})
        self.core.mail_desk(
            s, row, "petitions_desk_submitted", "desk-submitted", {"creator": row.creator_name}
        )
