"""A vote by code in one statement on PostgreSQL (``polls.combined``): the claim, the
ballot, its marks and the audit head's lock. Every refusal it meets goes the long way and
writes nothing; the other dialects send the statements one by one. Each test runs on
every dialect."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, func, select

from participatie.clock import FixedClock
from participatie.engine import Participatie
from participatie.polls.errors import (
    AlreadyVoted,
    CodeRevoked,
    InvalidBallot,
    PollClosed,
    UnknownCode,
)
from participatie.polls.models import BallotChoiceRow, BallotRow, CredentialRow
from participatie.polls.schemas import BallotIn, Poll

CodePoll = Callable[..., tuple[Poll, list[str]]]


def state(p: Participatie) -> tuple[int, int, int, int]:
    """Ballots, marks, credential uses and audit events."""

    with p.session_scope() as s:
        ballots = s.execute(select(func.count()).select_from(BallotRow)).scalar_one()
        marks = s.execute(select(func.count()).select_from(BallotChoiceRow)).scalar_one()
        used = s.execute(select(func.coalesce(func.sum(CredentialRow.uses), 0))).scalar_one()
    return int(ballots), int(marks), int(used), p.audit.verify().checked


def statements(p: Participatie, call: Callable[[], Any]) -> list[str]:
    """The statements ``call`` sent (BEGIN and COMMIT are the driver's, not counted)."""

    sent: list[str] = []

    def seen(conn: Any, cursor: Any, sql: str, *args: Any) -> None:
        sent.append(sql.split(None, 1)[0].upper())

    event.listen(p.engine, "before_cursor_execute", seen)
    try:
        call()
    finally:
        event.remove(p.engine, "before_cursor_execute", seen)
    return sent


def test_a_vote_by_code_is_two_statements_on_postgresql(
    p: Participatie, code_poll: CodePoll
) -> None:
    poll, codes = code_poll(3)
    # The first vote keeps the options in memory, the second the open poll.
    for code in codes[:2]:
        p.polls.cast(poll.id, BallotIn(choices=["Ecozone"]), code=code)
    before = state(p)
    sent = statements(
        p, lambda: p.polls.cast(poll.id, BallotIn(choices=["Ecozone", "1"]), code=codes[2])
    )
    assert state(p) == (before[0] + 1, before[1] + 2, before[2] + 1, before[3] + 1)
    if p.engine.dialect.name == "postgresql":
        # The poll's lock, the claim, the ballot, its marks and the head; the event.
        assert sent == ["WITH", "WITH"]
    else:
        assert len(sent) >= 5
    assert p.audit.verify().ok


def test_a_blank_vote_in_one_statement(p: Participatie, code_poll: CodePoll) -> None:
    poll, codes = code_poll(1, allow_blank=True)
    before = state(p)
    p.polls.cast(poll.id, BallotIn(), code=codes[0])
    assert state(p) == (before[0] + 1, before[1], before[2] + 1, before[3] + 1)
    with p.session_scope() as s:
        assert s.execute(select(BallotRow.blank)).scalar_one() is True


@pytest.mark.parametrize("case", ["used", "revoked", "unknown"])
def test_a_refused_code_writes_nothing(p: Participatie, code_poll: CodePoll, case: str) -> None:
    poll, codes = code_poll(2)
    code = codes[0]
    if case == "used":
        p.polls.cast(poll.id, BallotIn(choices=["Ecozone"]), code=code)
    elif case == "revoked":
        p.polls.revoke_code(poll.id, 1, actor="griffie")
    else:
        _, others = code_poll(1)  # a well-formed code, of another poll
        code = others[0]
    before = state(p)
    errors = {"used": AlreadyVoted, "revoked": CodeRevoked, "unknown": UnknownCode}
    with pytest.raises(errors[case]):
        p.polls.cast(poll.id, BallotIn(choices=["Ecozone"]), code=code)
    assert state(p) == before
    # The other code still votes, and the chain holds.
    p.polls.cast(poll.id, BallotIn(choices=["Hoog Paddepoel"]), code=codes[1])
    assert p.audit.verify().ok


@pytest.mark.parametrize("how", ["closed", "cancelled", "time"])
def test_a_poll_in_memory_that_ended_refuses_the_vote(
    p: Participatie, code_poll: CodePoll, clock: FixedClock, how: str
) -> None:
    """The first vote leaves the open poll in memory; once the poll has ended the next
    vote is refused as closed (even with a ballot the poll would also refuse), and
    nothing is written."""

    poll, codes = code_poll(3, closes_at=clock.now() + timedelta(hours=2))
    for code in codes[:2]:
        p.polls.cast(poll.id, BallotIn(choices=["Ecozone"]), code=code)
    if how == "closed":
        p.polls.close(poll.id, actor="griffie")
    elif how == "cancelled":
        p.polls.cancel(poll.id, actor="griffie", reason="test")
    else:
        clock.advance(timedelta(hours=2))
    before = state(p)
    for choices in (["Ecozone"], ["Ecozone", "Ecozone", "Ecozone"]):
        with pytest.raises(PollClosed):
            p.polls.cast(poll.id, BallotIn(choices=choices), code=codes[2])
    assert state(p) == before


def test_a_wrong_ballot_in_an_open_poll_in_memory(p: Participatie, code_poll: CodePoll) -> None:
    poll, codes = code_poll(3)
    for code in codes[:2]:
        p.polls.cast(poll.id, BallotIn(choices=["Ecozone"]), code=code)
    before = state(p)
    with pytest.raises(InvalidBallot):
        p.polls.cast(poll.id, BallotIn(choices=["Nergens"]), code=codes[2])
    assert state(p) == before
    p.polls.cast(poll.id, BallotIn(choices=["Ecozone"]), code=codes[2])
    assert state(p)[0] == before[0] + 1
