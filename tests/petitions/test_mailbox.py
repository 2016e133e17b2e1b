"""One mailbox is one signer: dots, +tags and googlemail.com fold onto one Gmail
mailbox, for petition signatures and co-initiators (polls: tests/polls/test_mailbox.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from participatie.engine import Participatie
from participatie.errors import InvalidInput
from participatie.identity import MailboxSettings, mailbox_key
from participatie.petitions.models import SignatureRow
from tests.petitions.conftest import links, open_petition, petition_in, signer

PIETER = (
    "pieter.dijkstra@gmail.com",
    "pieterdijkstra@gmail.com",
    "pieter.dijkstra+petitie@gmail.com",
    "p.i.e.t.e.r.dijkstra@googlemail.com",
)


def test_mailbox_key_per_provider() -> None:
    rules = MailboxSettings()
    assert {mailbox_key(a, rules) for a in PIETER} == {"pieterdijkstra@gmail.com"}
    assert mailbox_key("Jan.Jansen+buurt@Outlook.com", rules) == "jan.jansen@outlook.com"
    assert mailbox_key("jan+x@icloud.com", rules) == "jan@icloud.com"
    assert mailbox_key("jan+x@proton.me", rules) == "jan@proton.me"
    # Unknown providers keep dots and tags: they may be separate mailboxes there.
    assert mailbox_key("jan.jansen+x@ziggo.nl", rules) == "jan.jansen+x@ziggo.nl"
    assert mailbox_key("+x@gmail.com", rules) == "+x@gmail.com"
    own = MailboxSettings(plus_tag_domains=("groningen.nl",), dot_blind_domains=())
    assert mailbox_key("a.b+x@groningen.nl", own) == "a.b@groningen.nl"
    assert mailbox_key("a.b+x@gmail.com", own) == "a.b+x@gmail.com"


def test_four_spellings_of_one_gmail_mailbox_sign_once(areas: Participatie) -> None:
    p = areas
    petition = open_petition(p)
    for n, address in enumerate(PIETER):
        p.petitions.sign(petition.id, signer(n, email=address), ip=f"10.0.{n}.1")
        newest = links(p, PIETER[0])
        if "confirm" in newest:
            p.petitions.confirm(newest["confirm"])
    assert p.petitions.count(petition.id) == 1
    with p.session_scope(readonly=True) as s:
        rows = s.execute(select(SignatureRow.email)).scalars().all()
    assert rows == [PIETER[0]]  # mail goes to the address as typed the first time
    # The later spellings got nothing of their own: the mailbox got the answer.
    for address in PIETER[1:]:
        assert not p.outbox.messages(to=address)
    assert p.outbox.messages(to=PIETER[0], template="petitions_already_signed")


def test_the_creator_is_not_their_own_coinitiator_under_another_spelling(
    areas: Participatie,
) -> None:
    p = areas
    p.petitions.create(petition_in(creator_email=PIETER[0]))
    creator = links(p, PIETER[0], "petitions_creator_confirm")["creator"]
    with pytest.raises(InvalidInput) as info:
        p.petitions.invite_coinitiator(creator, name="Pieter", email=PIETER[3])
    assert info.value.field == "email"
    p.petitions.invite_coinitiator(creator, name="Ria", email="ria.smit@gmail.com")
    p.petitions.invite_coinitiator(creator, name="Ria", email="riasmit+co@googlemail.com")
    assert len(p.outbox.messages(template="petitions_coinitiator")) == 1


def test_signatures_count_signers_not_spellings(areas: Participatie) -> None:
    p = areas
    petition = open_petition(p)
    for n, address in enumerate(("a.b@example.nl", "ab@example.nl")):
        p.petitions.sign(petition.id, signer(n, email=address), ip=f"10.0.{n}.1")
    with p.session_scope(readonly=True) as s:
        rows = s.execute(select(func.count()).select_from(SignatureRow)).scalar_one()
    assert rows == 2  # an unknown provider: two addresses may be two people
