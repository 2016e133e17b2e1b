"""Life cycle: creator confirmation, co-initiators, moderation, closing, hand-over, answer."""

from __future__ import annotations

from datetime import timedelta

import pytest

from participatie.clock import FixedClock
from participatie.engine import Participatie
from participatie.errors import InvalidInput
from participatie.petitions.errors import PetitionClosed, PetitionState, UnknownReason
from participatie.testing import make_participatie
from tests.petitions.conftest import (
    links,
    open_petition,
    petition_in,
    sign_and_confirm,
    signer,
)


def test_creator_confirms_then_griffie_approves(p: Participatie) -> None:
    petition = p.petitions.create(petition_in())
    assert petition.status == "draft"
    with pytest.raises(PetitionClosed):
        p.petitions.sign(petition.id, signer(1))
    token = links(p, "anna@example.nl", "petitions_creator_confirm")["creator"]
    assert p.petitions.confirm_creator(token).status == "submitted"
    assert p.petitions.confirm_creator(token).status == "submitted"  # twice is harmless
    opened = p.petitions.approve(petition.id, actor="griffie")
    assert opened.status == "open"
    assert opened.thresholds == list(p.settings.petitions.default_thresholds)
    assert p.outbox.messages(to="anna@example.nl", template="petitions_approved")
    actions = [e.action for e in p.audit.events(subject_id=petition.id)]
    assert actions == [
        "petition.created",
        "petition.creator_confirmed",
        "petition.submitted",
        "petition.approved",
    ]
    with pytest.raises(PetitionState):
        p.petitions.approve(petition.id, actor="griffie")


def test_reject_needs_a_known_reason(p: Participatie) -> None:
    petition = p.petitions.create(petition_in())
    p.petitions.confirm_creator(links(p, "anna@example.nl")["creator"])
    before = len(p.audit.events())
    with pytest.raises(UnknownReason) as info:
        p.petitions.reject(petition.id, actor="griffie", reason="boring")
    assert info.value.field == "reason"
    assert len(p.audit.events()) == before
    assert p.petitions.get(petition.id).status == "submitted"
    rejected = p.petitions.reject(
        petition.id, actor="griffie", reason="commercial", note="Reclame voor een bar."
    )
    assert rejected.status == "rejected"
    assert rejected.reject_reason == "commercial"
    mail = p.outbox.messages(to="anna@example.nl", template="petitions_rejected")[0]
    assert "commercieel" in mail.text_body
    assert "Reclame voor een bar." in mail.text_body


def test_invalid_creator_input_writes_nothing(p: Participatie) -> None:
    with pytest.raises(InvalidInput) as info:
        p.petitions.create(petition_in(creator_email="not-an-address"))
    assert info.value.field == "creator_email"
    with pytest.raises(InvalidInput) as info:
        p.petitions.create(petition_in(closes_at=p.clock.now() - timedelta(days=1)))
    assert info.value.field == "closes_at"
    assert p.petitions.list() == []
    assert p.outbox.counts()["pending"] == 0


def test_coinitiators_must_confirm_before_moderation(
    p: Participatie, clock: FixedClock, tmp_path: object
) -> None:
    q = make_participatie(
        p.settings.database_url,
        engine=p.engine,
        clock=clock,
        petitions={"min_coinitiators": 2, "desk_email": "griffie@gemeente.example"},
    )
    q.petitions.create(petition_in())
    creator = links(q, "anna@example.nl")["creator"]
    assert q.petitions.confirm_creator(creator).status == "coinitiators"
    q.petitions.invite_coinitiator(creator, name="Bram", email="bram@example.nl")
    q.petitions.invite_coinitiator(creator, name="Bram", email="bram@example.nl")
    q.petitions.invite_coinitiator(creator, name="Carla", email="carla@example.nl")
    assert len(q.outbox.messages(to="bram@example.nl")) == 1
    with pytest.raises(InvalidInput):
        q.petitions.invite_coinitiator(creator, name="Anna", email="Anna@Example.nl")
    first = q.petitions.confirm_coinitiator(links(q, "bram@example.nl")["coinitiator"])
    assert first.status == "coinitiators"
    assert first.coinitiators_confirmed == 1
    assert not q.outbox.messages(to="griffie@gemeente.example")
    second = q.petitions.confirm_coinitiator(links(q, "carla@example.nl")["coinitiator"])
    assert second.status == "submitted"
    assert len(q.outbox.messages(to="griffie@gemeente.example")) == 1


def test_extend_close_hand_over_and_answer(areas: Participatie, clock: FixedClock) -> None:
    p = areas
    petition = open_petition(p)
    for n in range(4):
        sign_and_confirm(p, petition, n, notify_answer=n != 3)
    assert petition.closes_at is not None
    later = petition.closes_at + timedelta(days=7)
    with pytest.raises(InvalidInput) as info:
        p.petitions.extend(petition.id, actor="griffie", closes_at=later, reason=" ")
    assert info.value.field == "reason"
    extended = p.petitions.extend(
        petition.id, actor="griffie", closes_at=later, reason="Zomervakantie"
    )
    assert extended.closes_at == later
    event = p.audit.events(subject_id=petition.id, action="petition.extended")[0]
    assert event.data["reason"] == "Zomervakantie"
    with pytest.raises(PetitionState):
        p.petitions.answer(petition.id, actor="griffie", text="Ja.")
    clock.advance(timedelta(days=40))
    runs = {run.name: run for run in p.jobs.run_due()}
    assert runs["petitions.close_due"].result == 1
    assert p.petitions.get(petition.id).status == "closed"
    closed_mail = p.outbox.messages(to="anna@example.nl", template="petitions_closed")
    assert len(closed_mail) == 1
    assert "4 handtekeningen" in closed_mail[0].text_body
    handed = p.petitions.hand_over(petition.id, actor="griffie", to="de gemeenteraad")
    assert handed.status == "handed_over"
    assert p.outbox.messages(to="anna@example.nl", template="petitions_handed_over")
    queued = p.petitions.answer(
        petition.id,
        actor="griffie",
        text="Het scherm komt er.",
        decision_url="https://gemeente.example/besluit/42",
    )
    assert queued == 3
    answers = p.outbox.messages(template="petitions_answer")
    assert {m.to_address for m in answers} == {
        "anna@example.nl",
        "inwoner0@example.nl",
        "inwoner1@example.nl",
        "inwoner2@example.nl",
    }
    for message in answers:
        if message.to_address != "anna@example.nl":
            assert message.headers["List-Unsubscribe"].startswith("<https://")
    with pytest.raises(PetitionState):
        p.petitions.answer(petition.id, actor="griffie", text="Nogmaals.")
    assert len(p.outbox.messages(template="petitions_answer")) == 4


def test_answer_is_throttled(areas: Participatie, clock: FixedClock) -> None:
    q = make_participatie(
        areas.settings.database_url,
        engine=areas.engine,
        clock=clock,
        petitions={"answer_per_minute": 2},
    )
    petition = open_petition(q)
    for n in range(5):
        sign_and_confirm(q, petition, n)
    q.petitions.hand_over(petition.id, actor="griffie", to="raad")
    q.outbox.deliver(100)
    assert q.petitions.answer(petition.id, actor="griffie", text="Nee.") == 5
    report = q.outbox.deliver(100)
    assert report.sent == 1 + 2  # the creator and the first two signers
    clock.advance(timedelta(minutes=2))
    assert q.outbox.deliver(100).sent == 3


def test_threshold_notifies_creator_and_desk_once(areas: Participatie, clock: FixedClock) -> None:
    q = make_participatie(
        areas.settings.database_url,
        engine=areas.engine,
        clock=clock,
        petitions={"desk_email": "griffie@gemeente.example"},
    )
    petition = open_petition(q, thresholds=[3])
    for n in range(5):
        sign_and_confirm(q, petition, n)
    assert q.petitions.stats(petition.id).thresholds_reached == [3]
    assert len(q.outbox.messages(to="anna@example.nl", template="petitions_threshold")) == 1
    desk = q.outbox.messages(to="griffie@gemeente.example", template="petitions_threshold")
    assert len(desk) == 1
    assert len(q.audit.events(action="petition.threshold_reached")) == 1


def test_hidden_petition_cannot_be_signed(areas: Participatie) -> None:
    p = areas
    petition = open_petition(p)
    p.petitions.hide(petition.id, actor="griffie", reason="kwetsende reacties")
    with pytest.raises(PetitionClosed):
        p.petitions.sign(petition.id, signer(1))
    assert p.petitions.list() == []
    assert len(p.petitions.list(include_hidden=True)) == 1


def test_creator_withdraws(areas: Participatie) -> None:
    p = areas
    petition = open_petition(p)
    token = links(p, "anna@example.nl", "petitions_creator_confirm")["creator"]
    assert p.petitions.withdraw_petition(token, reason="opgelost").status == "withdrawn"
    with pytest.raises(PetitionClosed):
        p.petitions.sign(petition.id, signer(1))


def test_limits_of_the_life_cycle(areas: Participatie) -> None:
    p = areas
    petition = p.petitions.create(petition_in())
    p.petitions.confirm_creator(links(p, "anna@example.nl")["creator"])
    with pytest.raises(InvalidInput) as info:
        p.petitions.approve(petition.id, actor="griffie", thresholds=[0, 10])
    assert info.value.field == "thresholds"
    with pytest.raises(InvalidInput) as info:
        p.petitions.approve(
            petition.id, actor="griffie", closes_at=p.clock.now() + timedelta(days=400)
        )
    assert info.value.field == "closes_at"
    assert p.petitions.get(petition.id).status == "submitted"
    opened = p.petitions.approve(petition.id, actor="griffie")
    assert opened.closes_at is not None
    with pytest.raises(InvalidInput):
        p.petitions.extend(
            petition.id,
            actor="griffie",
            closes_at=opened.closes_at - timedelta(days=1),
            reason="korter",
        )
    sign_and_confirm(p, petition, 1)
    p.petitions.sign(petition.id, signer(2))
    p.petitions.hide(petition.id, actor="griffie", reason="beledigend")
    with pytest.raises(PetitionClosed):
        p.petitions.confirm(links(p, "inwoner2@example.nl")["confirm"])
    p.petitions.hide(petition.id, actor="griffie", reason="", hidden=False)
    p.petitions.hand_over(petition.id, actor="griffie", to="raad")
    with pytest.raises(PetitionState):
        p.petitions.withdraw_signature(links(p, "inwoner1@example.nl")["withdraw"])
    assert p.petitions.count(petition.id) == 1


def test_extend_refuses_a_closing_time_without_a_time_zone(p: Participatie) -> None:
    petition = open_petition(p)
    assert petition.closes_at is not None
    naive = (petition.closes_at + timedelta(days=7)).replace(tzinfo=None)
    with pytest.raises(InvalidInput) as info:
        p.petitions.extend(petition.id, actor="griffie", closes_at=naive, reason="Zomervakantie")
    assert info.value.field == "closes_at"
    assert p.petitions.get(petition.id).closes_at == petition.closes_at
