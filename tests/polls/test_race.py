"""Twenty threads racing with one code: exactly one ballot, nineteen ``AlreadyVoted``."""

from __future__ import annotations

import threading
from collections.abc import Callable

from sqlalchemy import func, select

from participatie.engine import Participatie
from participatie.polls.errors import AlreadyVoted
from participatie.polls.models import BallotRow, CredentialRow
from participatie.polls.schemas import BallotIn, Poll

THREADS = 20


def race(p: Participatie, poll: Poll, call: Callable[[], object]) -> tuple[int, int, list[str]]:
    barrier = threading.Barrier(THREADS)
    wins: list[int] = []
    refused: list[int] = []
    other: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        barrier.wait()
        try:
            call()
        except AlreadyVoted:
            with lock:
                refused.append(1)
        except Exception as exc:  # anything else is a failure of the test
            with lock:
                other.append(repr(exc))
        else:
            with lock:
                wins.append(1)

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return len(wins), len(refused), other


def test_twenty_threads_one_code(
    p: Participatie, code_poll: Callable[..., tuple[Poll, list[str]]]
) -> None:
    poll, codes = code_poll(1)
    wins, refused, other = race(
        p, poll, lambda: p.polls.cast(poll.id, BallotIn(choices=["Ecozone"]), code=codes[0])
    )
    assert other == []
    assert (wins, refused) == (1, THREADS - 1)
    with p.session_scope() as s:
        assert s.execute(select(func.count()).select_from(BallotRow)).scalar_one() == 1
        assert s.execute(select(CredentialRow.uses)).scalar_one() == 1


def test_twenty_threads_one_host_identity(p: Participatie) -> None:
    from tests.polls.conftest import make_poll

    poll = make_poll(p, eligibility="host")
    p.polls.open(poll.id, actor="a")
    wins, refused, other = race(
        p, poll, lambda: p.polls.cast(poll.id, BallotIn(choices=["Ecozone"]), subject="digid:1")
    )
    assert other == []
    assert (wins, refused) == (1, THREADS - 1)
    with p.session_scope() as s:
        assert s.execute(select(func.count()).select_from(BallotRow)).scalar_one() == 1
        assert s.execute(select(func.count()).select_from(CredentialRow)).scalar_one() == 1


def test_closing_while_votes_come_in(
    p: Participatie, code_poll: Callable[..., tuple[Poll, list[str]]]
) -> None:
    """Closing in the middle of a stream of votes: closing waits for the votes in flight,
    so every receipt has its ballot after the rewrite at closing, the hash taken at closing
    is the hash of the ballots, and every later vote is refused as closed."""

    import io

    from participatie.polls.errors import PollClosed

    poll, codes = code_poll(60)
    receipts: list[str] = []
    closed: list[int] = []
    other: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(5)

    def voter(mine: list[str]) -> None:
        start.wait()
        for code in mine:
            try:
                receipt = p.polls.cast(poll.id, BallotIn(choices=["Ecozone"]), code=code)
            except PollClosed:
                with lock:
                    closed.append(1)
            except Exception as exc:
                with lock:
                    other.append(repr(exc))
            else:
                with lock:
                    receipts.append(receipt.tracker)

    def closer() -> None:
        start.wait()
        while len(receipts) < 10 and not other:
            pass
        try:
            p.polls.close(poll.id, actor="projectleider")
        except Exception as exc:
            with lock:
                other.append(repr(exc))

    threads = [threading.Thread(target=voter, args=(codes[i::4],)) for i in range(4)]
    threads.append(threading.Thread(target=closer))
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert other == []
    assert len(receipts) + len(closed) == 60 and receipts
    published = {b.tracker for b in p.polls.published_ballots(poll.id)}
    assert published == set(receipts)
    tally = p.polls.tally(poll.id)
    assert tally.ballots == len(receipts) and tally.reconciliation.matches
    assert tally.ballots_sha256 == p.polls.write_ballots(poll.id, io.BytesIO())
