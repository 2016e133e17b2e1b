"""A vote by code in one statement on PostgreSQL (``polls.combined``): the claim, the
ballot, its marks and the audit head's lock. Every refusal it meets goes the long way and
writes nothing; the other dialects send the statements one by one. Each test runs on
every dialect."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Integer, event, func, select, update
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from participatie.clock import FixedClock
from participatie.engine import Participatie
from participatie.polls.codes import parse_code
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


def test_a_vote_by_code_is_three_statements_on_postgresql(
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
        # The poll's lock and the claim; the ballot, its marks and the head; the event.
        assert sent == ["WITH", "WITH", "WITH"]
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


class _HostBase(DeclarativeBase):
    """A host application's own tables."""


class _HostVoter(_HostBase):
    __tablename__ = "host_voter_for_cast_tests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    votes: Mapped[int] = mapped_column(Integer)


@pytest.mark.parametrize("dialect", ["postgresql", "mariadb"])
def test_a_hosts_pending_change_is_written_before_the_vote_takes_its_locks(
    p: Participatie, code_poll: CodePoll
) -> None:
    """Two hosts' transactions each change the host's own row, then vote in the same
    transaction. The host's change must be written (and its row locked) before the vote
    takes the library's locks, as the host made them in that order: otherwise one waits
    for the host row while holding the audit log's head, and the other for the head
    while holding the host row (a deadlock)."""

    _HostBase.metadata.drop_all(p.engine)
    _HostBase.metadata.create_all(p.engine)
    try:
        with Session(p.engine) as s, s.begin():
            s.add(_HostVoter(id=1, votes=0))
        poll, codes = code_poll(4)
        for code in codes[:2]:  # the options and the open poll in memory
            p.polls.cast(poll.id, BallotIn(choices=["Ecozone"]), code=code)
        outcome: dict[str, str] = {}
        first_changed = threading.Event()
        second_holds_row = threading.Event()

        def first() -> None:
            try:
                with Session(p.engine) as s1, s1.begin():
                    row = s1.get(_HostVoter, 1)
                    assert row is not None
                    row.votes = _HostVoter.votes + 1  # pending: not flushed yet
                    first_changed.set()
                    second_holds_row.wait(10)
                    p.polls.cast(poll.id, BallotIn(choices=["Ecozone"]), code=codes[2], session=s1)
                outcome["first"] = "ok"
            except Exception as exc:  # the deadlock this test is about
                outcome["first"] = repr(exc)

        thread = threading.Thread(target=first)
        thread.start()
        with Session(p.engine) as s2:
            try:
                with s2.begin():
                    first_changed.wait(10)
                    s2.execute(
                        update(_HostVoter)
                        .where(_HostVoter.id == 1)
                        .values(votes=_HostVoter.votes + 10)
                    )
                    second_holds_row.set()
                    time.sleep(0.5)  # the first is inside cast meanwhile
                    p.polls.cast(poll.id, BallotIn(choices=["Ecozone"]), code=codes[3], session=s2)
                outcome["second"] = "ok"
            except Exception as exc:
                outcome["second"] = repr(exc)
        thread.join(timeout=60)
        assert outcome == {"first": "ok", "second": "ok"}
        with Session(p.engine) as s:
            assert s.get(_HostVoter, 1).votes == 11  # type: ignore[union-attr]
        assert state(p)[0] == 4
        assert p.audit.verify().ok
    finally:
        _HostBase.metadata.drop_all(p.engine)


def test_no_statement_names_both_the_voter_and_the_ballot(
    p: Participatie, code_poll: CodePoll
) -> None:
    """A statement's parameters reach the server's log when it is slow, and an error's
    report: the code's keyed hash and the ballot (its tracker, its line) never travel in
    one statement."""

    poll, codes = code_poll(3)
    seen: list[str] = []

    def record(conn: Any, cursor: Any, sql: str, params: Any, *_: Any) -> None:
        seen.append(repr(params))

    event.listen(p.engine, "before_cursor_execute", record)
    try:
        receipts = [
            p.polls.cast(poll.id, BallotIn(choices=["Ecozone", "1"]), code=code) for code in codes
        ]
    finally:
        event.remove(p.engine, "before_cursor_execute", record)
    keys = [p.hasher.code(parse_code(code)) for code in codes]
    trackers = [r.tracker for r in receipts]
    assert any(key in params for params in seen for key in keys)  # the claims were seen
    for params in seen:
        named = any(key in params for key in keys)
        ballot = any(tracker in params for tracker in trackers) or "Ecozone" in params
        assert not (named and ballot), params
