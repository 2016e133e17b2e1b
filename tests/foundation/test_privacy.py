"""A privacy request covers every module: one address's signatures, reactions and
subscription are shown together and erased together, and nothing of anyone else is
touched. On every database."""

from __future__ import annotations

import pytest

from participatie.engine import Participatie
from participatie.errors import InvalidEmail
from participatie.petitions.schemas import SignatureIn
from participatie.reactions.schemas import ReactionIn, SubmitterIn
from participatie.testing import confirmation_token
from tests.reactions.conftest import new_dossier
from tests.subscriptions.conftest import areas as areas
from tests.subscriptions.conftest import subscribe
from tests.web.helpers import open_petition

ASKER = "Fenna.Bakker@example.nl"
OTHER = "jan@example.nl"


def _sign(p: Participatie, petition_id: object, email: str) -> None:
    p.petitions.sign(
        petition_id,  # type: ignore[arg-type]
        SignatureIn(name="Fenna Bakker", email=email, postcode="9742 AB"),
        ip="192.0.2.7",
    )
    p.petitions.confirm(confirmation_token(p, email))


def _react(p: Participatie, dossier: object, email: str, name: str) -> int:
    received = p.reactions.submit(
        dossier,  # type: ignore[arg-type]
        ReactionIn(
            text=f"Ik ben {name}, bel mij op 06-12345678 over de losloopweide.",
            submitters=[
                SubmitterIn(
                    name=name,
                    email=email,
                    street="Kerkstraat",
                    house_number="4",
                    postcode="9742 AB",
                    city="Groningen",
                    phone="06-12345678",
                )
            ],
        ),
    )
    return received.reaction.number


@pytest.fixture
def people(areas: Participatie) -> Participatie:
    p = areas
    petition = open_petition(p)
    _sign(p, petition.id, ASKER)
    _sign(p, petition.id, OTHER)
    dossier = new_dossier(p)
    _react(p, dossier, ASKER, "Fenna Bakker")
    _react(p, dossier, OTHER, "Jan de Boer")
    subscribe(p, ASKER)
    subscribe(p, OTHER)
    return p


def test_an_access_request_shows_every_module(people: Participatie) -> None:
    report = people.privacy.personal_data(ASKER.lower())
    assert not report.empty
    assert [s.email for s in report.petitions.signatures] == [ASKER]
    assert len(report.reactions) == 1
    record = report.reactions[0]
    assert record.dossier_title == "Hondenbeleid"
    assert (record.submitter.name, record.submitter.phone) == ("Fenna Bakker", "06-12345678")
    assert report.subscription is not None and report.subscription.email == ASKER
    assert people.privacy.personal_data("niemand@example.nl").empty


def test_an_erasure_request_erases_every_module_and_nothing_else(people: Participatie) -> None:
    p = people
    petition = p.petitions.list()[0]
    result = p.privacy.erase_personal_data(ASKER, actor="griffie")
    assert result.petitions.signatures == 1
    assert result.reaction_signatories == 1
    assert result.subscriptions == 1
    after = p.privacy.personal_data(ASKER)
    assert after.empty
    # The reaction stays in the file, without its sender's details.
    reactions = list(p.reactions.reactions(p.reactions.list_dossiers()[0].id))
    assert len(reactions) == 2
    mine = reactions[0]
    assert "Fenna" not in mine.text and "06-12345678" not in mine.text
    assert "losloopweide" in mine.text
    assert p.petitions.stats(petition.id).verified == 2, "the signature keeps counting"
    # Nobody else lost anything.
    other = p.privacy.personal_data(OTHER)
    assert len(other.petitions.signatures) == 1
    assert other.reactions[0].submitter.phone == "06-12345678"
    assert other.subscription is not None
    assert "Jan de Boer" in reactions[1].text
    # No mail to the address is left in the outbox.
    assert [m for m in p.outbox.messages() if m.to_address.lower() == ASKER.lower()] == []
    # The log says who erased, not whose.
    events = [e for e in p.audit.events() if e.actor == "griffie"]
    assert events and all(ASKER.lower() not in str(e.data).lower() for e in events)
    assert p.audit.verify().ok


def test_a_malformed_address_is_refused_by_name(people: Participatie) -> None:
    with pytest.raises(InvalidEmail) as refused:
        people.privacy.erase_personal_data("fenna@@example", actor="griffie")
    assert refused.value.field == "email"
    assert not people.privacy.personal_data(ASKER).empty
