"""A host reads what residents get without scraping mail text: the outbox's messages carry
their template and links, and the testing helpers return the tokens."""

from __future__ import annotations

import pytest

from participatie.engine import Participatie
from participatie.links import find_links, link_params
from participatie.petitions.schemas import SignatureIn
from participatie.testing import (
    confirmation_token,
    creator_token,
    last_links,
    withdraw_token,
)
from tests.web.helpers import open_petition


def test_links_are_found_by_name() -> None:
    base = "https://gemeente.example.nl/meedoen"
    text = (
        f"Bevestig: {base}/petitions/confirm/abc.DEF-1_x.\n"
        f"Intrekken: {base}/petitions/withdraw/zz9\n"
        f"Stemmen: {base}/polls/0b3c/vote en elders https://elders.example/petitions/confirm/q"
    )
    links = find_links(text, base)
    assert links == {
        "petition.confirm": f"{base}/petitions/confirm/abc.DEF-1_x",
        "petition.withdraw": f"{base}/petitions/withdraw/zz9",
        "poll.vote": f"{base}/polls/0b3c/vote",
    }
    assert link_params("petition.confirm", links["petition.confirm"], base) == {
        "token": "abc.DEF-1_x"
    }


def test_a_signers_links_come_from_the_outbox(p: Participatie) -> None:
    petition = open_petition(p)
    assert creator_token(p, "anna@example.nl")
    p.petitions.sign(
        petition.id, SignatureIn(name="Fenna", email="fenna@example.nl", postcode="9742 AB")
    )
    message = p.outbox.messages(to="fenna@example.nl")[-1]
    assert message.template and {"petition.confirm", "petition.withdraw"} <= set(message.links)
    assert last_links(p, "fenna@example.nl") == message.links
    p.petitions.confirm(confirmation_token(p, "fenna@example.nl"))
    assert p.petitions.count(petition.id) == 1
    p.petitions.withdraw_signature(withdraw_token(p, "fenna@example.nl"))
    assert p.petitions.count(petition.id) == 0
    with pytest.raises(LookupError):
        last_links(p, "nobody@example.nl")
