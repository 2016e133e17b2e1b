"""Digests are queued a page of subscribers per transaction, so a run for 100,000
subscribers never holds SQLite's write lock for long; a run stopped half-way is finished
by the next, and nobody gets a digest twice. On every dialect."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event

from participatie.clock import FixedClock
from participatie.engine import Participatie
from participatie.subscriptions import delivery

from .conftest import new_dossier, subscribe

pytestmark = pytest.mark.usefixtures("areas")

SUBSCRIBERS = 23


def with_news(p: Participatie, clock: FixedClock) -> None:
    for n in range(SUBSCRIBERS):
        subscribe(p, f"inwoner{n}@example.nl")
    clock.advance(timedelta(minutes=1))
    new_dossier(p, ["paddepoel"])


def digests(p: Participatie) -> list[str]:
    return sorted(m.to_address for m in p.outbox.messages(template="subscriptions_digest"))


def test_digests_are_queued_a_page_per_transaction(
    p: Participatie, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(delivery, "PAGE", 5)
    with_news(p, clock)
    commits: list[int] = []
    event.listen(p.engine, "commit", lambda conn: commits.append(1))
    (run,) = p.subscriptions.digest(frequency="daily", force=True)
    assert (run.subscribers, run.queued) == (SUBSCRIBERS, SUBSCRIBERS)
    assert len(commits) >= 5  # five pages, each committed on its own
    assert digests(p) == sorted(f"inwoner{n}@example.nl" for n in range(SUBSCRIBERS))


def test_a_digest_run_stopped_half_way_is_finished_by_the_next(
    p: Participatie, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(delivery, "PAGE", 5)
    with_news(p, clock)
    enqueue = p.outbox.enqueue_many
    calls: list[int] = []

    def failing(s: Any, mails: Any) -> Any:
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("the process stopped here")
        return enqueue(s, mails)

    monkeypatch.setattr(p.outbox, "enqueue_many", failing)
    with pytest.raises(RuntimeError):
        p.subscriptions.digest(frequency="daily", force=True)
    assert len(digests(p)) == 10  # two pages went out
    monkeypatch.setattr(p.outbox, "enqueue_many", enqueue)
    (run,) = p.subscriptions.digest(frequency="daily", force=True)
    assert run.queued == SUBSCRIBERS - 10
    assert digests(p) == sorted(f"inwoner{n}@example.nl" for n in range(SUBSCRIBERS))


def test_the_digest_job_is_stepped(p: Participatie, clock: FixedClock) -> None:
    with_news(p, clock)
    hour = p.settings.subscriptions.digest_hour
    moment = clock.now().replace(hour=hour, minute=5) + timedelta(days=1)
    runs = {run.name: run for run in p.jobs.run_due(moment)}
    assert runs["subscriptions.digest"].status == "ok", runs["subscriptions.digest"]
    assert len(digests(p)) == SUBSCRIBERS
