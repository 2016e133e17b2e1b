"""The public list of names: only those who agreed, verified, newest first, no address."""

from __future__ import annotations

from datetime import timedelta

import pytest

from participatie import InvalidInput
from participatie.engine import Participatie
from participatie.petitions.errors import PetitionNotFound
from tests.petitions.conftest import open_petition, petition_in, sign_and_confirm, signer


def test_only_consenting_verified_signers_are_named(areas: Participatie) -> None:
    p = areas
    petition = open_petition(p)
    sign_and_confirm(p, petition, 1, show_name=True)
    p.clock.advance(timedelta(minutes=5))  # type: ignore[attr-defined]
    sign_and_confirm(p, petition, 2, show_name=True)
    sign_and_confirm(p, petition, 3)  # did not tick the box
    p.petitions.sign(petition.id, signer(4, show_name=True), ip="10.9.9.9")  # never confirmed
    listed = p.petitions.public_signers(petition.id)
    assert listed.total == 2
    assert [s.name for s in listed.signers] == ["Inwoner 2", "Inwoner 1"]
    assert [s.area for s in listed.signers] == ["Paddepoel", "Centrum"]
    assert all(s.confirmed_on is not None for s in listed.signers)
    dumped = listed.model_dump_json()
    assert "example.nl" not in dumped
    # Upper-case postcodes: ids and hashes are lower-case hex, so no chance match.
    for postcode in ("9711AB", "9711 AB", "9742CD", "9742 CD"):
        assert postcode not in dumped
    page = p.petitions.public_signers(petition.id, limit=1, offset=1)
    assert (page.total, [s.name for s in page.signers]) == (2, ["Inwoner 1"])


def test_bad_paging_and_hidden_petitions(areas: Participatie) -> None:
    p = areas
    petition = open_petition(p)
    with pytest.raises(InvalidInput) as info:
        p.petitions.public_signers(petition.id, limit=0)
    assert info.value.field == "limit"
    with pytest.raises(InvalidInput):
        p.petitions.public_signers(petition.id, offset=-1)
    draft = p.petitions.create(petition_in(title="Nog niet open"))
    with pytest.raises(PetitionNotFound):
        p.petitions.public_signers(draft.id)
