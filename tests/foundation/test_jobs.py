from __future__ import annotations

import random
import threading
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from participatie import Participatie
from participatie.areas import AreaIn
from participatie.jobs import RUNNING_ELSEWHERE, STEPPED_LEASE, JobStateRow


def test_run_due_runs_once_per_interval(p: Participatie) -> None:
    calls: list[datetime] = []

    def job(px: Participatie, session: Session, now: datetime) -> int:
        calls.append(now)
        return len(calls)

    p.jobs.register("test.counter", job, every=timedelta(minutes=5))
    start = p.clock.now()
    [run] = p.jobs.run_due(start, only="test.counter")
    assert (run.status, run.result) == ("ok", 1)
    assert p.jobs.run_due(start + timedelta(minutes=1), only="test.counter")[0].status == "skipped"
    assert p.jobs.run_due(start + timedelta(minutes=5), only="test.counter")[0].status == "ok"
    assert len(calls) == 2


def test_failing_job_rolls_back_its_work_and_others_still_run(p: Participatie) -> None:
    def bad(px: Participatie, session: Session, now: datetime) -> None:
        px.areas.create(AreaIn(code="half", name="Half written"), session=session, actor="test")
        raise RuntimeError("broken job")

    def good(px: Participatie, session: Session, now: datetime) -> str:
        px.areas.create(AreaIn(code="good", name="Good"), session=session, actor="test")
        return "done"

    p.jobs.register("test.bad", bad)
    p.jobs.register("test.good", good)
    runs = {r.name: r for r in p.jobs.run_due() if r.name.startswith("test.")}
    assert runs["test.bad"].status == "error"
    assert "broken job" in (runs["test.bad"].error or "")
    assert runs["test.good"].status == "ok"
    assert [a.code for a in p.areas.list()] == ["good"]


def test_two_runners_at_once_run_a_job_once(p: Participatie) -> None:
    entered = threading.Event()
    release = threading.Event()
    calls: list[int] = []

    def slow(px: Participatie, session: Session, now: datetime) -> None:
        calls.append(1)
        entered.set()
        release.wait(10)

    p.jobs.register("test.slow", slow, every=timedelta(hours=1))
    results: dict[str, Any] = {}

    def first() -> None:
        results["first"] = p.jobs.run_due(only="test.slow")[0].status

    thread = threading.Thread(target=first)
    thread.start()
    assert entered.wait(10)
    if p.engine.dialect.name == "sqlite":
        # SQLite has one writer at a time: the second runner waits, then finds it done.
        second = threading.Thread(
            target=lambda: results.update(second=p.jobs.run_due(only="test.slow")[0].status)
        )
        second.start()
        release.set()
        second.join(30)
    else:
        results["second"] = p.jobs.run_due(only="test.slow")[0].status
        release.set()
    thread.join(30)
    assert results == {"first": "ok", "second": "skipped"}
    assert calls == [1]


def test_a_stepped_job_commits_its_own_steps_and_is_run_once(p: Participatie) -> None:
    """A stepped job (``register_stepped``) runs outside the runner's transaction: its
    first step is committed and seen by others (on SQLite: the write lock is free)
    while it runs; a second runner skips it meanwhile, also once it is due again, and
    takes it over once the lease of a run that never ended has passed; a failure is
    recorded."""

    entered = threading.Event()
    release = threading.Event()
    seen: list[list[str]] = []

    def stepped(px: Participatie, now: datetime) -> str:
        px.areas.create(AreaIn(code="stap1", name="Stap 1"), actor="test")
        entered.set()
        release.wait(10)
        px.areas.create(AreaIn(code="stap2", name="Stap 2"), actor="test")
        return "two steps"

    p.jobs.register_stepped("test.stepped", stepped, every=timedelta(minutes=1))
    start = p.clock.now()
    results: dict[str, Any] = {}
    thread = threading.Thread(
        target=lambda: results.update(first=p.jobs.run_due(start, only="test.stepped")[0])
    )
    thread.start()
    assert entered.wait(10)
    seen.append([a.code for a in p.areas.list()])
    p.areas.create(AreaIn(code="elders", name="Elders"), actor="test")
    # Two minutes on, the job is due again but still running.
    later = start + timedelta(minutes=2)
    results["second"] = p.jobs.run_due(later, only="test.stepped")[0]
    release.set()
    thread.join(30)
    assert seen == [["stap1"]]
    assert (results["first"].status, results["first"].result) == ("ok", "two steps")
    assert (results["second"].status, results["second"].reason) == ("skipped", RUNNING_ELSEWHERE)
    assert sorted(a.code for a in p.areas.list()) == ["elders", "stap1", "stap2"]

    # A run killed before it recorded its end: skipped within the lease, then taken over.
    calls: list[datetime] = []
    p.jobs.register_stepped("test.killed", lambda px, now: calls.append(now))
    with p.session_scope() as s:
        s.add(JobStateRow(name="test.killed", last_run_at=start, last_status="running"))
    assert p.jobs.run_due(start + timedelta(minutes=5), only="test.killed")[0].status == "skipped"
    after = start + STEPPED_LEASE + timedelta(minutes=1)
    assert p.jobs.run_due(after, only="test.killed")[0].status == "ok"
    assert calls == [after]

    def broken(px: Participatie, now: datetime) -> None:
        raise RuntimeError("broken step")

    p.jobs.register_stepped("test.broken", broken)
    [run] = p.jobs.run_due(only="test.broken")
    assert run.status == "error" and "broken step" in (run.error or "")
    with pytest.raises(ValueError, match="registered already"):
        p.jobs.register_stepped("test.broken", broken)


def test_duplicate_registration_is_refused(p: Participatie) -> None:
    p.jobs.register("test.once", lambda px, s, n: None)
    with pytest.raises(ValueError, match="registered already"):
        p.jobs.register("test.once", lambda px, s, n: None)


def test_a_runner_with_start_up_jitter_runs_an_every_minute_job_every_minute(
    p: Participatie,
) -> None:
    calls: list[datetime] = []
    p.jobs.register("test.minute", lambda px, s, now: calls.append(now))
    start = p.clock.now()
    rng = random.Random(7)
    for minute in range(60):  # an hour of cron calls, each 0 to 1.5 s late
        now = start + timedelta(minutes=minute, seconds=rng.uniform(0, 1.5))
        [run] = p.jobs.run_due(now, only="test.minute")
        assert run.status == "ok", (minute, run)
    assert len(calls) == 60


def test_a_job_is_due_on_its_grid_and_missed_slots_are_not_made_up(p: Participatie) -> None:
    calls: list[datetime] = []
    p.jobs.register("test.five", lambda px, s, now: calls.append(now), every=timedelta(minutes=5))
    start = p.clock.now()  # 08:00:00, on the grid
    assert p.jobs.run_due(start + timedelta(seconds=40), only="test.five")[0].status == "ok"
    # Due again at 08:05:00, not at 08:05:40.
    assert p.jobs.run_due(start + timedelta(minutes=5), only="test.five")[0].status == "ok"
    # Nobody ran for an hour: one run, then the grid again.
    later = start + timedelta(hours=1, minutes=7)
    assert p.jobs.run_due(later, only="test.five")[0].status == "ok"
    assert p.jobs.run_due(later + timedelta(minutes=1), only="test.five")[0].status == "skipped"
    assert (
        p.jobs.run_due(start + timedelta(hours=1, minutes=10), only="test.five")[0].status == "ok"
    )
    assert len(calls) == 4


def test_a_clock_stepping_back_an_hour_does_not_pause_jobs(
    p: Participatie, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[datetime] = []
    p.jobs.register("test.minute", lambda px, s, now: calls.append(now))
    start = p.clock.now()
    for minute in range(3):
        assert (
            p.jobs.run_due(start + timedelta(minutes=minute), only="test.minute")[0].status == "ok"
        )
    # The host clock steps back an hour (it was an hour ahead; NTP corrected it).
    back = start + timedelta(minutes=3) - timedelta(hours=1)
    with caplog.at_level("WARNING", logger="participatie.jobs"):
        for minute in range(10):
            now = back + timedelta(minutes=minute, seconds=1)
            assert p.jobs.run_due(now, only="test.minute")[0].status == "ok", minute
    assert len(calls) == 13
    assert any("clock went back" in record.getMessage() for record in caplog.records)
