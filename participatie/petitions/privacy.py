"""Personal data of one address: showing it (to the desk or behind a mailed link) and
erasing it; also the blanking that the retention jobs share.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from participatie.errors import TokenExpired, TokenInvalid
from participatie.outbox.models import OutboxMessageRow
from participatie.petitions import tally
from participatie.petitions.core import Part
from participatie.petitions.models import (
    VERIFIED,
    CoinitiatorRow,
    PetitionRow,
    SignatureRow,
)
from participatie.petitions.retention import PRIVACY_KEY
from participatie.petitions.schemas import (
    ErasureResult,
    PersonalData,
    SignatureRecord,
)
from participatie.petitions.statements import (
    ERASED,
    PAGE,
)


class Privacy(Part):
    """Personal data of one address (part of ``p.petitions``)."""

    def personal_data(self, email: str, *, session: Session | None = None) -> PersonalData:
        """Everything this module stores about an address (for an access request, AVG art.
        15): its signatures, the petitions it started and those it co-initiates.

        Args:
            email: the address in any spelling (it is normalised; matched by keyed hash).
            session: the host's SQLAlchemy session to read in; without it, one of its own.

        Returns:
            PersonalData: the address, each signature with its petition, state, name,
            postcode and times, and the ids of petitions created and co-initiated.

        Raises:
            InvalidEmail: ``input.email``, field ``email``.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        address = self.core.email(email, field="email")
        with self._p.unit_of_work(session, readonly=True) as s:
            return self._personal_data(s, self._p.hasher.email(address), address.address)

    def erase_personal_data(
        self, email: str, *, actor: str, session: Session | None = None
    ) -> ErasureResult:
        """Erase an address's personal data (AVG art. 17); verified signatures keep
        counting anonymously, pending ones go. Co-initiatorships and the creator's
        address are blanked, and the mail to the address is erased (unsent mail removed,
        sent mail blanked). The audit log names the request by a truncated keyed hash.

        Args:
            email: the address in any spelling (it is normalised).
            actor: who carries the request out (audit log).
            session: the host's SQLAlchemy session to work in (the library only
                flushes); without it the call commits on its own.

        Returns:
            ErasureResult: the number of signatures, petitions, co-initiatorships and
            messages touched.

        Raises:
            InvalidEmail: ``input.email``, field ``email``.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        address = self.core.email(email, field="email")
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
        same whether or not the address signed anything. The link lives
        ``Settings.tokens.confirm`` (seven days by default).

        Args:
            email: the address as typed.
            locale: the mail's language, ``"nl"`` or ``"en"`` (anything else: ``"nl"``).
            ip: the requester's IP address, for the per-network send cap.
            session: the host's SQLAlchemy session to work in (the library only
                flushes); without it the call commits on its own.

        Returns:
            None: the same for every address.

        Raises:
            InvalidEmail: ``input.email``, field ``email``.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        address = self.core.email(email, field="email")
        email_hash = self._p.hasher.email(address)
        with self._p.unit_of_work(session) as s:
            token = self.core.token(
                "privacy.request", email_hash, bound_to=email_hash, m="petitions"
            )
            day = self._p.clock.now().astimezone(self._p.settings.zone).date().isoformat()
            self.core.mail(
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
        """The page behind the link from ``request_personal_data``: shows, changes nothing.

        Args:
            token: the last part of the link (``privacy.request``).
            session: the host's SQLAlchemy session to read in; without it, one of its own.

        Returns:
            PersonalData: as ``personal_data``; empty lists when nothing is stored.

        Raises:
            TokenExpired: ``token.expired``, the link is older than its lifetime.
            TokenInvalid: ``token.invalid``, the link was altered, or is the privacy
                link of another module.
            TokenWrongPurpose: ``token.wrong_purpose``, a link made for something else.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        email_hash = self._privacy_subject(token)
        with self._p.unit_of_work(session, readonly=True) as s:
            return self._personal_data(s, email_hash, None)

    def erase_from_link(self, token: str, *, session: Session | None = None) -> ErasureResult:
        """The erase button on that page (a POST): erases as ``erase_personal_data`` does,
        with ``"resident"`` as the actor. Twice is harmless (nothing is left).

        Args:
            token: the last part of the link (``privacy.request``).
            session: the host's SQLAlchemy session to work in (the library only
                flushes); without it the call commits on its own.

        Returns:
            ErasureResult: the counts of what was erased.

        Raises:
            TokenExpired: ``token.expired``, the link is older than its lifetime.
            TokenInvalid: ``token.invalid``, the link was altered, or is the privacy
                link of another module.
            TokenWrongPurpose: ``token.wrong_purpose``, a link made for something else.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

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
        tally.delete_pending(s, SignatureRow.email_hash == email_hash)
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


def anonymise_signatures(s: Session, where: Any, now: datetime) -> int:
    """Blank the personal data of matching signatures; state, area and day stay. Names
    leave the public list, so its count (the tally's ``named``) goes down by the verified
    rows that showed one: those are locked and counted first, then blanked."""

    shown = s.execute(
        select(SignatureRow.petition_id, SignatureRow.id)
        .where(where, SignatureRow.status == VERIFIED, tally.shown_name())
        .with_for_update()
    ).all()
    per_petition = Counter(row.petition_id for row in shown)
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
    for pid, n in sorted(per_petition.items(), key=lambda item: str(item[0])):
        tally.apply(s, pid, {(tally.NAMED, ""): -n}, shard=0)
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
