"""Signing and confirming: scanner-safe confirmation, no enumeration, bad input, windows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from participatie.clock import FixedClock
from participatie.engine import Participatie
from participatie.errors import (
    InvalidEmail,
    InvalidInput,
    InvalidPostcode,
    TokenExpired,
    TokenInvalid,
    TokenWrongPurpose,
)
from participatie.petitions.errors import PetitionClosed, PetitionNotFound, RequirementNotMet
from participatie.petitions.models import SignatureRow
from tests.petitions.conftest import links, open_petition, sign_and_confirm, signer


def signature_rows(p: Participatie) -> int:
    with p.session_scope(readonly=True) as s:
        return int(s.execute(select(func.count()).select_from(SignatureRow)).scalar_one())


def test_link_page_does_not_confirm_the_button_does(areas: Participatie) -> None:
    p = areas
    petition = open_petition(p)
    receipt = p.petitions.sign(petition.id, signer(1, show_name=True), ip="192.0.2.1")
    assert receipt.message == "check_your_mail"
    token = links(p, "inwoner1@example.nl", "petitions_confirm")["confirm"]
    page = p.petitions.confirmation_page(token)  # what a mail scanner's GET reaches
    assert page.can_confirm
    assert page.name == "Inwoner 1"
    assert p.petitions.count(petition.id) == 0
    assert p.petitions.stats(petition.id).pending == 1
    p.petitions.confirm(token)
    p.petitions.confirm(token)  # twice is harmless
    assert p.petitions.count(petition.id) == 1
    stats = p.petitions.stats(petition.id)
    assert (stats.verified, stats.pending) == (1, 0)
    assert stats.per_area[0].area == "centrum"
    assert stats.per_day[0].verified == 1
    assert not p.petitions.confirmation_page(token).can_confirm


def test_signing_again_looks_the_same_and_resends_a_limited_number_of_times(
    areas: Participatie,
) -> None:
    p = areas
    petition = open_petition(p)
    first = p.petitions.sign(petition.id, signer(1))
    for _ in range(5):
        again = p.petitions.sign(petition.id, signer(1, email="INWONER1@example.nl"))
        assert again == first
    max_resends = p.settings.petitions.max_resends
    assert len(p.outbox.messages(to="inwoner1@example.nl")) == 1 + max_resends
    assert signature_rows(p) == 1
    p.petitions.confirm(links(p, "inwoner1@example.nl")["confirm"])
    before = len(p.outbox.messages())
    assert p.petitions.sign(petition.id, signer(1)) == first
    assert p.petitions.sign(petition.id, signer(1)) == first
    # The mailbox's owner hears once that the address signed already; the form says nothing.
    assert len(p.outbox.messages()) == before + 1
    assert p.outbox.messages(template="petitions_already_signed")[0].to_address == (
        "inwoner1@example.nl"
    )
    assert p.petitions.count(petition.id) == 1


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("email", "geen-adres", InvalidEmail),
        ("email", "iemand@", InvalidEmail),
        ("postcode", "12345", InvalidPostcode),
        ("postcode", "0123 AB", InvalidPostcode),
        ("house_number", "nul", InvalidInput),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(
    areas: Participatie, field: str, value: str, error: type[Exception]
) -> None:
    p = areas
    petition = open_petition(p)
    mails = len(p.outbox.messages())
    with pytest.raises(error) as info:
        p.petitions.sign(petition.id, signer(1, **{field: value}))
    assert getattr(info.value, "field", None) == field
    assert signature_rows(p) == 0
    assert len(p.outbox.messages()) == mails


def test_bad_ip_and_unknown_petition(areas: Participatie) -> None:
    p = areas
    petition = open_petition(p)
    with pytest.raises(InvalidInput) as info:
        p.petitions.sign(petition.id, signer(1), ip="999.1.1.1")
    assert info.value.field == "ip"
    with pytest.raises(PetitionNotFound) as missing:
        p.petitions.sign("nope", signer(1))  # type: ignore[arg-type]
    assert missing.value.message == "no petition 'nope'"
    assert signature_rows(p) == 0


def test_tampered_expired_and_wrong_purpose_tokens(areas: Participatie, clock: FixedClock) -> None:
    p = areas
    petition = open_petition(p)
    p.petitions.sign(petition.id, signer(1))
    tokens = links(p, "inwoner1@example.nl")
    with pytest.raises(TokenInvalid):
        p.petitions.confirm(tokens["confirm"][:-2] + "xx")
    with pytest.raises(TokenWrongPurpose):
        p.petitions.confirm(tokens["withdraw"])
    # A token made for another address does not confirm this signature.
    with p.session_scope(readonly=True) as s:
        sig_id = s.execute(select(SignatureRow.id)).scalar_one()
    forged = p.tokens.make("petition.confirm", str(sig_id), bound_to="someone-else")
    with pytest.raises(TokenInvalid):
        p.petitions.confirm(forged)
    clock.advance(p.settings.tokens.confirm + timedelta(seconds=1))
    with pytest.raises(TokenExpired):
        p.petitions.confirm(tokens["confirm"])
    assert p.petitions.count(petition.id) == 0
    assert p.petitions.stats(petition.id).pending == 1


def test_confirmation_works_for_a_day_after_closing(areas: Participatie, clock: FixedClock) -> None:
    p = areas
    petition = open_petition(p)
    assert petition.closes_at is not None
    clock.set(petition.closes_at - timedelta(hours=2))
    p.petitions.sign(petition.id, signer(1))
    p.petitions.sign(petition.id, signer(2))
    clock.set(petition.closes_at + timedelta(hours=1))
    p.jobs.run_due()
    assert p.petitions.get(petition.id).status == "closed"
    with pytest.raises(PetitionClosed):
        p.petitions.sign(petition.id, signer(3))
    p.petitions.confirm(links(p, "inwoner1@example.nl")["confirm"])
    clock.set(petition.closes_at + timedelta(hours=25))
    with pytest.raises(PetitionClosed):
        p.petitions.confirm(links(p, "inwoner2@example.nl")["confirm"])
    assert p.petitions.count(petition.id) == 1


def test_withdraw_and_sign_again(areas: Participatie) -> None:
    p = areas
    petition = open_petition(p)
    sign_and_confirm(p, petition, 1)
    sign_and_confirm(p, petition, 2)
    p.petitions.withdraw_signature(links(p, "inwoner1@example.nl")["withdraw"])
    p.petitions.withdraw_signature(links(p, "inwoner1@example.nl")["withdraw"])
    assert p.petitions.count(petition.id) == 1
    assert p.petitions.stats(petition.id).withdrawn == 1
    sign_and_confirm(p, petition, 1)
    assert p.petitions.count(petition.id) == 2


def test_unsubscribe_stops_the_answer(areas: Participatie) -> None:
    p = areas
    petition = open_petition(p)
    sign_and_confirm(p, petition, 1)
    sign_and_confirm(p, petition, 2)
    with p.session_scope(readonly=True) as s:
        sig_id = s.execute(
            select(SignatureRow.id).where(SignatureRow.name == "Inwoner 1")
        ).scalar_one()
    token = p.tokens.make(
        "petition.unsubscribe", str(sig_id), bound_to=p.hasher.hash("email", "inwoner1@example.nl")
    )
    p.petitions.unsubscribe(token)
    p.petitions.hand_over(petition.id, actor="griffie", to="raad")
    assert p.petitions.answer(petition.id, actor="griffie", text="Ja.") == 1
    assert not p.outbox.messages(to="inwoner1@example.nl", template="petitions_answer")


def test_declarations_and_residents_only(areas: Participatie) -> None:
    p = areas
    petition = open_petition(p, min_age=16, residents_only=True)
    with pytest.raises(RequirementNotMet) as info:
        p.petitions.sign(petition.id, signer(1, declared_resident=True))
    assert info.value.field == "declared_min_age"
    with pytest.raises(RequirementNotMet) as info:
        p.petitions.sign(petition.id, signer(1, declared_min_age=True))
    assert info.value.field == "declared_resident"
    with pytest.raises(RequirementNotMet) as info:
        p.petitions.sign(
            petition.id,
            signer(1, declared_min_age=True, declared_resident=True, postcode="1011 AB"),
        )
    assert info.value.field == "postcode"
    assert signature_rows(p) == 0
    p.petitions.sign(petition.id, signer(1, declared_min_age=True, declared_resident=True))
    assert signature_rows(p) == 1


def test_household_rule(areas: Participatie) -> None:
    p = areas
    petition = open_petition(p, household_rule=True)
    home = {"postcode": "9742 CD", "house_number": "12"}
    with pytest.raises(InvalidInput) as info:
        p.petitions.sign(petition.id, signer(1, postcode="9742 CD", house_number=None))
    assert info.value.field == "house_number"
    p.petitions.sign(petition.id, signer(1, name="Piet Jansen", **home))
    same_name = p.petitions.sign(petition.id, signer(2, name="piet jansen", **home))
    p.petitions.sign(petition.id, signer(3, name="Marie Jansen", **home))
    third = p.petitions.sign(petition.id, signer(4, name="Kees Jansen", **home))
    assert same_name.message == third.message == "check_your_mail"
    assert signature_rows(p) == 2
    assert len(p.outbox.messages(template="petitions_household")) == 2


def test_a_hosts_session_commits_or_rolls_back_everything(areas: Participatie) -> None:
    p = areas
    petition = open_petition(p)
    mails = len(p.outbox.messages())
    with pytest.raises(RuntimeError), p.session_scope() as host:
        p.petitions.sign(petition.id, signer(1), session=host)
        raise RuntimeError("the host's own work failed")
    assert signature_rows(p) == 0
    assert len(p.outbox.messages()) == mails  # no mail for a signature that never was
    with p.session_scope() as host:
        p.petitions.sign(petition.id, signer(1), session=host)
        p.petitions.sign(petition.id, signer(2), session=host)
    assert signature_rows(p) == 2
    assert len(p.outbox.messages(template="petitions_confirm")) == 2
