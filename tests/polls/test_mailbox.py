"""E-mail-eligible polls key voters on the mailbox: four spellings of one Gmail mailbox
get four links (each to the address as typed) and one vote."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from participatie.engine import Participatie
from participatie.polls.errors import AlreadyVoted
from participatie.polls.models import BallotRow
from participatie.polls.schemas import BallotIn
from tests.polls.conftest import make_poll

PIETER = (
    "pieter.dijkstra@gmail.com",
    "pieterdijkstra@gmail.com",
    "pieter.dijkstra+petitie@gmail.com",
    "p.i.e.t.e.r.dijkstra@googlemail.com",
)


def test_four_spellings_of_one_mailbox_vote_once(p: Participatie) -> None:
    poll = make_poll(p, eligibility="email", eligible_count=100)
    p.polls.open(poll.id, actor="a")
    for n, address in enumerate(PIETER):
        p.polls.request_email_link(poll.id, address)
        body = p.outbox.messages(to=address)[-1].text_body
        found = re.search(r"/polls/confirm/(\S+)", body)
        assert found is not None  # the link goes to the address as typed
        if n == 0:
            p.polls.cast(poll.id, BallotIn(choices=["Ecozone"]), email_token=found.group(1))
        else:
            with pytest.raises(AlreadyVoted):
                p.polls.cast(poll.id, BallotIn(choices=["Ecozone"]), email_token=found.group(1))
    with p.session_scope(readonly=True) as s:
        assert s.execute(select(func.count()).select_from(BallotRow)).scalar_one() == 1
