"""Privacy requests at the desk, across every module: what is stored about one e-mail
address (AVG art. 15, right of access) and erasing it (art. 17, right to erasure).

``p.privacy`` asks each module in one transaction: petitions (signatures, petitions
started, co-initiatorships, their mail), reactions (the signatories' contact details in
every dossier; the reactions stay as part of the decision's file, art. 17(3)(b)) and
subscriptions (the subscription, unconfirmed requests, their mail). Polls keep no
readable address: an e-mail credential is a keyed hash that cannot be listed by address,
and removing it would let the address vote again, so polls are left to their retention
rule (``Settings.retention``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel
from sqlalchemy.orm import Session

from participatie.identity import normalize_email
from participatie.petitions.schemas import ErasureResult, PersonalData
from participatie.reactions.schemas import SubmitterRecord
from participatie.subscriptions.schemas import Subscription

if TYPE_CHECKING:
    from participatie.engine import Participatie


class PersonalDataReport(BaseModel):
    """Everything the library stores about one address, per module."""

    email: str
    petitions: PersonalData
    reactions: list[SubmitterRecord]
    subscription: Subscription | None

    @property
    def empty(self) -> bool:
        found = self.petitions
        return not (
            found.signatures
            or found.petitions_created
            or found.coinitiator_of
            or self.reactions
            or self.subscription
        )


class ErasureReport(BaseModel):
    """What an erasure removed, per module (counts of records)."""

    petitions: ErasureResult
    reaction_signatories: int
    subscriptions: int


class Privacy:
    """The facade's ``privacy`` attribute."""

    def __init__(self, p: Participatie) -> None:
        self._p = p

    def personal_data(self, email: str, *, session: Session | None = None) -> PersonalDataReport:
        """Everything stored about ``email`` in every module (read only).

        Args:
            email: the address asked about, in any spelling (it is normalised).
            session: the host's transaction, or None for one of its own.

        Returns:
            A :class:`PersonalDataReport`: the petitions' records, the reactions signed
            in every dossier and the subscription (None when there is none).

        Raises:
            InvalidEmail: ``input.email`` for a malformed address.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        address = normalize_email(email, field="email")
        p = self._p
        with p.unit_of_work(session, readonly=True) as s:
            return PersonalDataReport(
                email=address.address,
                petitions=p.petitions.personal_data(address.address, session=s),
                reactions=p.reactions.contact_details(address.address, session=s),
                subscription=p.subscriptions.personal_data(address.address, session=s),
            )

    def erase_personal_data(
        self, email: str, *, actor: str, session: Session | None = None
    ) -> ErasureReport:
        """Erase ``email``'s personal data in every module, all or nothing; the audit
        log names ``actor`` and keeps no address. Verified signatures keep counting
        anonymously; reactions stay without their sender's details.

        Args:
            email: the address to erase, in any spelling (it is normalised).
            actor: who carries the request out (the audit log names them).
            session: the host's transaction, or None for one of its own.

        Returns:
            An :class:`ErasureReport` with the counts per module.

        Raises:
            InvalidEmail: ``input.email`` for a malformed address.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        address = normalize_email(email, field="email").address
        p = self._p
        with p.unit_of_work(session) as s:
            return ErasureReport(
                petitions=p.petitions.erase_personal_data(address, actor=actor, session=s),
                reaction_signatories=p.reactions.erase_contact_details(
                    address, actor=actor, session=s
                ),
                subscriptions=p.subscriptions.erase_address(address, actor=actor, session=s),
            )


__all__ = ["ErasureReport", "PersonalDataReport", "Privacy"]
