"""What casting keeps in memory of a poll (its options, the open poll's row) comes only
from transactions that committed: a host's opening discarded with ``Session.close()``
(which fires no rollback event) or rolled back is never kept, so a later real opening
with other options, another ``max_choices`` or an earlier closing time is what ballots
are checked against. On every dialect."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from participatie.clock import FixedClock
from participatie.engine import Participatie
from participatie.polls.errors import InvalidBallot, PollClosed
from participatie.polls.models import BallotChoiceRow, BallotRow
from participatie.polls.schemas import BallotIn, OptionIn, PollIn, PollUpdate


def codes_of(p: Participatie, poll_id: object, count: int) -> list[str]:
    buffer = io.BytesIO()
    p.polls.issue_codes(poll_id, buffer, count=count, actor="griffie")  # type: ignore[arg-type]
    return [line.split(";")[2] for line in buffer.getvalue().decode("utf-8-sig").splitlines()[1:]]


def ballots(p: Participatie) -> tuple[int, int]:
    with p.session_scope(readonly=True) as s:
        return (
            s.execute(select(func.count()).select_from(BallotRow)).scalar_one(),
            s.execute(select(func.count()).select_from(BallotChoiceRow)).scalar_one(),
        )


def test_options_of_a_discarded_opening_are_not_kept(p: Participatie) -> None:
    poll = p.polls.create(
        PollIn(
            title="Naam",
            question="Welke naam?",
            rule="plurality",
            seats=1,
            max_choices=1,
            options=[OptionIn(name=n) for n in ("Alfa", "Bravo", "Charlie")],
        ),
        actor="griffie",
    )
    codes = codes_of(p, poll.id, 3)
    host = Session(p.engine)
    host.begin()
    p.polls.open(poll.id, actor="host", session=host)
    p.polls.cast(poll.id, BallotIn(choices=["Alfa"]), code=codes[0], session=host)
    host.close()  # discarded: no rollback event
    new = [OptionIn(name=n) for n in ("Xray", "Yankee", "Zulu")]
    p.polls.update(poll.id, PollUpdate(options=new), actor="griffie")
    p.polls.open(poll.id, actor="griffie")
    host.begin()
    host.execute(text("SELECT 1"))
    host.commit()  # the same session commits something else later
    host.close()
    with pytest.raises(InvalidBallot):
        p.polls.cast(poll.id, BallotIn(choices=["Alfa"]), code=codes[1])
    p.polls.cast(poll.id, BallotIn(choices=["Xray"]), code=codes[2])
    with p.session_scope(readonly=True) as s:
        (line,) = s.execute(select(BallotRow.line)).scalars()
    assert '"Xray"' in line


def test_an_open_poll_of_a_rolled_back_opening_is_not_used(
    p: Participatie, clock: FixedClock
) -> None:
    poll = p.polls.create(
        PollIn(
            title="Plekken",
            question="Welke plekken?",
            rule="approval",
            seats=1,
            max_choices=3,
            closes_at=clock.now() + timedelta(hours=4),
            options=[OptionIn(name=n) for n in ("Alfa", "Bravo", "Charlie", "Delta")],
        ),
        actor="griffie",
    )
    codes = codes_of(p, poll.id, 5)
    for _ in range(2):  # twice: the options, then the open poll, would be kept
        with Session(p.engine) as host:
            host.begin()
            p.polls.open(poll.id, actor="host", session=host)
            p.polls.cast(poll.id, BallotIn(choices=["Alfa"]), code=codes[0], session=host)
            host.rollback()
    p.polls.update(
        poll.id,
        PollUpdate(max_choices=1, closes_at=clock.now() + timedelta(hours=1)),
        actor="griffie",
    )
    p.polls.open(poll.id, actor="griffie")
    with pytest.raises(InvalidBallot):
        p.polls.cast(poll.id, BallotIn(choices=["Alfa", "Bravo", "Charlie"]), code=codes[1])
    clock.advance(timedelta(hours=2))  # past the real closing time, the job not run yet
    with pytest.raises(PollClosed):
        p.polls.cast(poll.id, BallotIn(choices=["Alfa"]), code=codes[2])
    assert ballots(p) == (0, 0)
