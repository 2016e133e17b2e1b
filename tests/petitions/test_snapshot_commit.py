"""What signing keeps in memory of a petition (its state, for two seconds) comes only
from transactions that committed: a host's approval rolled back or discarded with
``Session.close()`` never lets a resident sign a petition that is not open. On every
dialect."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from participatie.engine import Participatie
from participatie.petitions.errors import PetitionClosed
from tests.petitions.conftest import links, petition_in, signer


@pytest.mark.parametrize("ending", ["rollback", "close"])
def test_an_approval_that_did_not_commit_is_not_kept(areas: Participatie, ending: str) -> None:
    p = areas
    petition = p.petitions.create(petition_in())
    p.petitions.confirm_creator(links(p, "anna@example.nl", "petitions_creator_confirm")["creator"])
    host = Session(p.engine)
    host.begin()
    p.petitions.approve(
        petition.id, actor="griffie", closes_at=p.clock.now() + timedelta(days=30), session=host
    )
    p.petitions.sign(petition.id, signer(1), session=host)  # reads the petition as open
    if ending == "rollback":
        host.rollback()
    host.close()
    with pytest.raises(PetitionClosed):
        p.petitions.sign(petition.id, signer(2))
    assert p.petitions.count(petition.id) == 0
