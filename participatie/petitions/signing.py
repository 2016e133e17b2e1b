"""A resident's signature from the form to the count: sign, the confirmation page and
button, withdrawing and unsubscribing.
"""

from __future__ import annotations

import random
import uuid
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from participatie.db import new_id
from participatie.errors import InvalidInput, TokenInvalid
from participatie.identity import (
    normalize_house_number,
    normalize_postcode,
    parse_ip,
)
from participatie.petitions import abuse, tally
from participatie.petitions.combined import (
    CONFIRM_WHOLE,
    MAIL,
    sign_whole,
)
from participatie.petitions.core import Part
from participatie.petitions.errors import (
    PetitionClosed,
    PetitionState,
    RequirementNotMet,
)
from participatie.petitions.models import (
    ANSWERED,
    FRAUDULENT,
    HANDED_OVER,
    OPEN,
    PENDING,
    SIG_WITHDRAWN,
    VERIFIED,
    SignatureRow,
)
from participatie.petitions.retention import HOUSEHOLD_KEY
from participatie.petitions.schemas import (
    Confirmation,
    ConfirmPage,
    SignatureIn,
    SignReceipt,
    Trend,
)
from participatie.petitions.statements import (
    CONFIRM,
    CONFIRM_LOOKUP,
    CONFIRM_RETURNING,
    EXISTING,
    LIVE,
    PETITION,
    SIGNATURE,
    Cap,
    SigRef,
    insert_or_nothing,
    serialise,
)
from participatie.retry import retry_transient


class Signing(Part):
    """A resident's signature from the form to the count (part of ``p.petitions``)."""

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
        first signature, a repeat, a duplicate and a silently refused one.

        Args:
            petition_id: the petition's id.
            data: name, e-mail address, postcode (house number where the petition asks),
                whether the name may be shown and whether to get the council's answer.
            ip: the signer's IP address, for the rate limits (stored as a keyed hash).
            session: the host's SQLAlchemy session to work in (the library only
                flushes); without it the call commits on its own.

        Returns:
            SignReceipt: the same for every outcome (no enumeration, no hint to a bot).

        Raises:
            PetitionNotFound: ``petition.not_found``.
            PetitionClosed: ``petition.closed``, the petition is not open for signing.
            RequirementNotMet: ``petition.requirement``, a declaration the petition asks
                for (age, living in the municipality) was not made.
            InvalidEmail: ``input.email``; InvalidPostcode: ``input.postcode``.
            InvalidInput: ``input.invalid``, fields ``ip`` or ``house_number``.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        email = self.core.email(data.email, field="email")
        postcode = normalize_postcode(data.postcode)
        house = normalize_house_number(data.house_number) if data.house_number else None
        ip_obj = None
        if ip is not None:
            try:
                ip_obj = parse_ip(ip)
            except ValueError:
                raise InvalidInput(f"{ip!r} is not an IP address", field="ip") from None
        email_hash = self._p.hasher.email(email)
        mailbox_hash = self.core.mailbox_hash(email)
        trends: list[Trend] = []
        recorded: list[tuple[uuid.UUID, str, str, datetime]] = []
        now = self._p.clock.now()
        with self._p.unit_of_work(session) as s:
            row = self.core.snapshot(s, petition_id)
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
            area = self.core.area(s, postcode)
            if row.residents_only and area is None:
                raise RequirementNotMet(
                    f"postcode {postcode} is not in the municipality", field="postcode"
                )
            existing = EXISTING.execute(
                s, {"pid": row.id, "email_hash": email_hash, "mailbox_hash": mailbox_hash}
            ).first()
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
            serialise(s, row.id, turns, self.settings.counter_shards)
            if row.household_rule and not self._household_has_room(s, row, postcode, house, data):
                self.core.mail(
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
                self.core.rule_set(s),
                petition_id=row.id,
                now=now,
                ip=ip_obj,
                ip_hash=ip_hash,
                subnet_hash=subnet_hash,
                domain=email.domain,
                email_hash=email_hash,
                known=self.core.known_trends,
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
            # The mail goes out for a fraudulent signature too: a bot learns nothing.
            if s.get_bind().dialect.name == "postgresql":
                if not self._sign_at_once(s, row, sig, values, cap):
                    return receipt  # the same address signed at this very moment
            else:
                if not self._insert_signature(s, values):
                    # The same address signed at this very moment: the database decided.
                    return receipt
                self._tally(s, row.id, tally.moves(None, values["status"], area=None, day=None))
                self.core.send_confirmation(
                    s, row, sig, template="petitions_confirm", dedupe_key=None, cap=cap
                )
            for kind, key, count in verdict.trends:
                trend = abuse.raise_trend(
                    s, petition_id=row.id, kind=kind, key=key, count=count, now=now
                )
                recorded.append((row.id, kind, key, abuse.hour_bucket(now)))
                if trend is not None:
                    self.core.audit(
                        s,
                        "system",
                        "petition.trending",
                        row,
                        {"kind": kind, "key": key, "count": count},
                    )
                    trends.append(trend)
        if session is None:  # committed: known from now on (a host's session may roll back)
            for seen in recorded:
                self.core.known_trends.add(seen)
        for trend in trends:
            self.core.notify_trend(trend)
        return receipt

    def confirmation_page(self, token: str, *, session: Session | None = None) -> ConfirmPage:
        """What the link in the mail opens: reads only, so a mail scanner confirms nothing.

        Args:
            token: the last part of the confirmation link (``petition.confirm``).
            session: the host's SQLAlchemy session to read in; without it, one of its own.

        Returns:
            ConfirmPage: the petition's id and title, the signer's name, and whether the
            button can still confirm (pending, and the petition open or closed less than
            ``Settings.petitions.confirm_grace`` ago, not hidden).

        Raises:
            TokenExpired: ``token.expired``, the link is older than its lifetime.
            TokenInvalid: ``token.invalid``, the link was altered or no longer matches
                (the record or its address is gone).
            TokenWrongPurpose: ``token.wrong_purpose``, a link made for something else.
            PetitionNotFound: ``petition.not_found``, field ``petition`` (also for an id
                that is not a UUID).
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        with self._p.unit_of_work(session, readonly=True) as s:
            sig = self._signature_for(s, "petition.confirm", token, self._p.settings.tokens.confirm)
            row = self.core.petition(s, sig.petition_id)
            can = sig.status in (PENDING, FRAUDULENT) and self.core.confirmable(row)
            return ConfirmPage(
                petition_id=row.id, petition_title=row.title, name=sig.name, can_confirm=can
            )

    @retry_transient
    def confirm(self, token: str, *, session: Session | None = None) -> Confirmation:
        """The button on the confirmation page (a POST). Confirming twice is harmless.

        Args:
            token: the last part of the confirmation link (``petition.confirm``).
            session: the host's SQLAlchemy session to work in (the library only
                flushes); without it the call commits on its own.

        Returns:
            Confirmation: the petition's id and title, ``status="confirmed"`` every time.

        Raises:
            TokenExpired: ``token.expired``; TokenInvalid: ``token.invalid`` (altered,
                or the signature is gone).
            PetitionClosed: ``petition.closed``, more than a day after closing.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        now = self._p.clock.now()
        max_age = self._p.settings.tokens.confirm
        subject = self.core.subject("petition.confirm", token, max_age)
        day = now.astimezone(self._p.settings.zone).date()
        with self._p.unit_of_work(session) as s:
            if session is None:
                confirmed = self._confirm_at_once(s, subject, now, day, token)
                if confirmed is not None:
                    return confirmed
            sig: Any = s.connection().execute(CONFIRM_LOOKUP, {"sid": subject}).first()
            row = self._checked(s, sig, token, confirming=sig is not None and sig.status == PENDING)
            if sig.status == PENDING:
                done = s.connection().execute(CONFIRM, {"sid": sig.id, "now": now, "day": day})
                if done.rowcount == 1:
                    self._counted(s, row, sig, day, bump=True)
            return Confirmation(petition_id=row.id, petition_title=row.title)

    def _checked(self, s: Session, sig: Any, token: str, *, confirming: bool) -> Any:
        """The petition of a confirmation link's signature once the link is its own
        (bound to the address) and, when ``confirming``, the petition still confirmable."""

        if sig is None or sig.email_hash is None:
            raise TokenInvalid("this link is no longer valid", field="token")
        max_age = self._p.settings.tokens.confirm
        self._p.tokens.load("petition.confirm", token, max_age=max_age, bound_to=sig.email_hash)
        row = self.core.snapshot(s, sig.petition_id)
        if confirming and not self.core.confirmable(row):
            raise PetitionClosed("this petition has closed", field="token")
        return row

    def _counted(self, s: Session, row: Any, sig: Any, day: date, *, bump: bool) -> None:
        """A signature just confirmed: the count's shard (unless the statement raised it),
        the tally, and the thresholds it may have crossed."""

        if bump:
            self.core.bump(s, row.id, 1)
        moved = tally.moves(PENDING, VERIFIED, area=sig.area_code, day=day, named=bool(sig.named))
        self._tally(s, row.id, moved)
        self.core.check_thresholds(s, row)

    def _confirm_at_once(
        self, s: Session, subject: uuid.UUID, now: datetime, day: date, token: str
    ) -> Confirmation | None:
        """PostgreSQL and SQLite, in the library's own transaction: confirm a pending
        signature first and check after (the statement returns what the checks need). A
        failed check raises, and the transaction with the change is rolled back, so the
        outcome is the one of checking first, in fewer round trips. On PostgreSQL the
        one statement also raises the count's shard, moves the tally and reads the total
        (``CONFIRM_WHOLE``). None: nothing was pending under this id (or another
        database), and ``confirm`` goes the long way.
        """

        conn = s.connection()
        dialect = conn.dialect.name
        params: dict[str, Any] = {"sid": subject, "now": now, "day": day}
        if dialect == "postgresql":
            params["shard_no"] = random.randrange(self.settings.counter_shards)
            params["day_label"] = day.isoformat()
            sig = CONFIRM_WHOLE.execute(conn, params).first()
            if sig is None:
                return None
            row = self._checked(s, sig, token, confirming=True)
            self.core.check_thresholds(s, row, total=sig.total)
            return Confirmation(petition_id=row.id, petition_title=row.title)
        if dialect != "sqlite":
            return None
        sig = CONFIRM_RETURNING.execute(conn, params).first()
        if sig is None:
            return None
        row = self._checked(s, sig, token, confirming=True)
        self._counted(s, row, sig, day, bump=True)
        return Confirmation(petition_id=row.id, petition_title=row.title)

    @retry_transient
    def withdraw_signature(self, token: str, *, session: Session | None = None) -> None:
        """The signer takes their signature back (until the hand-over). A verified one
        leaves the count; withdrawing twice, or a signature no longer pending or
        verified, does nothing. The link lives ``Settings.tokens.withdraw`` (a year).

        Args:
            token: the last part of the withdraw link (``petition.withdraw``).
            session: the host's SQLAlchemy session to work in (the library only
                flushes); without it the call commits on its own.

        Returns:
            None.

        Raises:
            TokenExpired: ``token.expired``, the link is older than its lifetime.
            TokenInvalid: ``token.invalid``, the link was altered or no longer matches
                (the record or its address is gone).
            TokenWrongPurpose: ``token.wrong_purpose``, a link made for something else.
            PetitionState: ``petition.state``, field ``token``: handed over or answered.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        with self._p.unit_of_work(session) as s:
            sig = self._signature_for(
                s, "petition.withdraw", token, self._p.settings.tokens.withdraw
            )
            row = self.core.petition(s, sig.petition_id)
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
            if done.rowcount != 1:  # type: ignore[attr-defined]
                return
            if sig.status == VERIFIED:
                self.core.bump(s, row.id, -1)
            moved = tally.moves(
                sig.status,
                SIG_WITHDRAWN,
                area=sig.area_code,
                day=sig.confirmed_day,
                named=bool(sig.show_name and sig.name is not None),
            )
            self._tally(s, row.id, moved)

    @retry_transient
    def unsubscribe(self, token: str, *, session: Session | None = None) -> None:
        """Stop mail about this petition (the answer); the signature keeps counting. The
        target of the answer mail's one-click ``List-Unsubscribe`` (RFC 8058); twice is
        harmless.

        Args:
            token: the last part of the unsubscribe link (``petition.unsubscribe``).
            session: the host's SQLAlchemy session to work in (the library only
                flushes); without it the call commits on its own.

        Returns:
            None.

        Raises:
            TokenExpired: ``token.expired``, the link is older than its lifetime.
            TokenInvalid: ``token.invalid``, the link was altered or no longer matches
                (the record or its address is gone).
            TokenWrongPurpose: ``token.wrong_purpose``, a link made for something else.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        with self._p.unit_of_work(session) as s:
            sig = self._signature_for(
                s, "petition.unsubscribe", token, self._p.settings.tokens.unsubscribe
            )
            sig.notify_answer = False

    # -- counting and statistics -------------------------------------------------------

    def _tally(self, s: Session, petition_id: uuid.UUID, changes: tally.Moves) -> None:
        tally.apply(s, petition_id, changes, shards=self.settings.counter_shards)

    def _sign_at_once(
        self, s: Session, row: Any, sig: SigRef, values: dict[str, Any], cap: Cap
    ) -> bool:
        """PostgreSQL: the signature, its count, the send caps' slots and the confirmation
        mail in one statement (``combined.sign_whole``); False when the unique indexes
        refused the signature (nothing was written)."""

        assert cap is not None
        message = self._p.outbox.message(
            self.core.confirmation_mail(row, sig, template="petitions_confirm", dedupe_key=None)
        )
        caps = self._p.send_caps
        slots = caps.slots(
            cap[0], cap[1], email_hash=sig.email_hash, subnet_hash=values["subnet_hash"]
        )
        start = caps.window(s)
        params = {f"{MAIL}{name}": value for name, value in message.items()}
        params.update(values)
        params["shard_no"] = random.randrange(self.settings.counter_shards)
        params["start"] = start
        for n, (scope, key, limit) in enumerate(slots):
            params.update({f"scope{n}": scope, f"key{n}": key, f"cap{n}": limit})
        done = sign_whole(len(slots)).execute(s, params).one()
        if done.signed is None:
            return False
        caps.settle(s, slots, set(done.taken.split(",")) if done.taken else set(), start)
        return True

    def _insert_signature(self, s: Session, values: dict[str, Any]) -> bool:
        """Insert unless the address signed already; False when the database said no."""

        dialect = s.get_bind().dialect.name
        if dialect in ("postgresql", "sqlite"):
            # One statement, no savepoint: the unique index decides, also between
            # concurrent transactions (the second waits for the first, then does nothing).
            return insert_or_nothing(dialect).execute(s, values).first() is not None
        # MariaDB: INSERT IGNORE would swallow other errors too, so a savepoint.
        try:
            with s.begin_nested():
                s.execute(insert(SignatureRow).values(**values))
        except IntegrityError:
            return False
        return True

    def _signature_for(
        self, s: Session, purpose: str, token: str, max_age: timedelta
    ) -> SignatureRow:
        subject = self.core.subject(purpose, token, max_age)
        sig = s.get(SignatureRow, subject)
        if sig is None or sig.email_hash is None:
            raise TokenInvalid("this link is no longer valid", field="token")
        self._p.tokens.load(purpose, token, max_age=max_age, bound_to=sig.email_hash)
        return sig

    def _signable(self, row: Any, now: datetime) -> bool:
        if row.status != OPEN or row.hidden:
            return False
        if row.opens_at is not None and now < row.opens_at:
            return False
        return row.closes_at is None or now < row.closes_at

    def _sign_again(self, s: Session, row: Any, sig: Any, cap: Cap) -> None:
        if sig.status == VERIFIED and sig.email is not None:
            # Only the owner of the mailbox learns that the address signed already.
            self.core.mail(
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
            .where(
                SignatureRow.id == sig.id,
                SignatureRow.resends == sig.resends,
                SignatureRow.status == sig.status,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if done.rowcount == 1:  # type: ignore[attr-defined]
            if sig.status == SIG_WITHDRAWN:
                self._tally(s, row.id, tally.moves(sig.status, PENDING, area=None, day=None))
            self.core.send_confirmation(
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
