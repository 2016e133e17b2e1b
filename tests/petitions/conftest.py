"""Helpers for the petition tests: wijken, an open petition, links read from the outbox."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from participatie.areas import AreaIn
from participatie.engine import Participatie
from participatie.petitions.schemas import Petition, PetitionIn, SignatureIn

LINK = re.compile(
    r"/petitions/(confirm|withdraw|unsubscribe|creator|coinitiator)/([A-Za-z0-9_.\-]+)"
)


def links(p: Participatie, to: str, template: str | None = None) -> dict[str, str]:
    """The tokens in the newest message to ``to`` (by purpose: confirm, withdraw, ...)."""

    messages = p.outbox.messages(to=to, template=template)
    assert messages, f"no mail to {to}"
    return dict(LINK.findall(messages[-1].text_body))


def seed_areas(p: Participatie) -> None:
    p.areas.create(AreaIn(code="centrum", name="Centrum", postcodes=["9711-9712"]), actor="test")
    p.areas.create(AreaIn(code="paddepoel", name="Paddepoel", postcodes=["9742"]), actor="test")


def petition_in(**overrides: object) -> PetitionIn:
    data: dict[str, object] = {
        "title": "Groot scherm op de Grote Markt",
        "summary": "Zet een groot scherm neer voor de WK-finale.",
        "body": "Wij vragen de raad om een groot scherm op de Grote Markt te plaatsen.",
        "creator_name": "Anna de Vries",
        "creator_email": "anna@example.nl",
    }
    data.update(overrides)
    return PetitionIn.model_validate(data)


def open_petition(
    p: Participatie, *, thresholds: list[int] | None = None, **overrides: object
) -> Petition:
    petition = p.petitions.create(petition_in(**overrides))
    creator = str(overrides.get("creator_email", "anna@example.nl"))
    p.petitions.confirm_creator(links(p, creator, "petitions_creator_confirm")["creator"])
    return p.petitions.approve(
        petition.id,
        actor="griffie",
        closes_at=p.clock.now() + timedelta(days=30),
        thresholds=thresholds,
    )


def signer(n: int, **overrides: object) -> SignatureIn:
    data: dict[str, object] = {
        "name": f"Inwoner {n}",
        "email": f"inwoner{n}@example.nl",
        "postcode": "9711 AB" if n % 2 else "9742 CD",
        "house_number": str(n % 200 + 1),
        "notify_answer": True,
    }
    data.update(overrides)
    return SignatureIn.model_validate(data)


def sign_and_confirm(p: Participatie, petition: Petition, n: int, **overrides: object) -> None:
    data = signer(n, **overrides)
    p.petitions.sign(petition.id, data, ip=f"10.{n // 250 % 250}.{n % 250}.1")
    p.petitions.confirm(links(p, data.email, "petitions_confirm")["confirm"])


@pytest.fixture
def areas(p: Participatie) -> Participatie:
    seed_areas(p)
    return p
