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
