"""Races: one link confirmed from many threads at once, digests run by several runners
at once; the database's unique keys decide, on every dialect."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from participatie.clock import FixedClock
from participatie.engine import Participatie
from participatie.subscriptions.schemas import SubscriptionIn

from .conftest import counts, new_dossier, subscribe, token

pytestmark = pytest.mark.usefixtures("areas")


def test_one_link_confirmed_at_once_is_one_subscription(p: Participatie) -> None:
    p.subscriptions.subscribe(
        SubscriptionIn(email="fenna@example.nl", areas=["paddepoel", "centrum"])
    )
    link = token(p, "fenna@example.nl", "subscription.confirm")
    start = threading.Barrier(8)

    def confirm() -> str:
        start.wait()
        return str(p.subscriptions.confirm(link).id)

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = set(pool.map(lambda _: confirm(), range(8)))
    assert len(ids) == 1
    assert counts(p) == (1, 1, 2)


def test_digests_from_parallel_runners_are_sent_once(p: Participatie, clock: FixedClock) -> None:
    for n in range(20):
        subscribe(p, f"inwoner{n}@example.nl")
    clock.advance(timedelta(minutes=1))
    new_dossier(p, ["paddepoel"])
    start = threading.Barrier(4)

    def run() -> int:
        start.wait()
        return sum(r.queued for r in p.subscriptions.digest(frequency="daily", force=True))

    with ThreadPoolExecutor(max_workers=4) as pool:
        queued = list(pool.map(lambda _: run(), range(4)))
    assert sum(queued) == 20
    digests = p.outbox.messages(template="subscriptions_digest")
    assert sorted(m.to_address for m in digests) == sorted(
        f"inwoner{n}@example.nl" for n in range(20)
    )
