"""The polls' retention job erases in steps: each a short transaction of its own, so a
poll of many e-mail voters never holds SQLite's write lock for long; a run stopped
half-way leaves the rest to the next. On every dialect."""

from __future__ import annotations

import secrets
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, insert, select, text

from participatie.clock import FixedClock
from participatie.engine import Participatie
from participatie.jobs import Steps
from participatie.outbox.bulk import Mail
from participatie.outbox.models import OutboxMessageRow
from participatie.polls import retention
from participatie.polls.models import CredentialRow
from participatie.polls.schemas import OptionIn, PollIn
from participatie.testing import make_participatie

VOTERS = 35


def ended_email_poll(p: Participatie) -> uuid.UUID:
    """A closed e-mail poll of ``VOTERS`` voters, each with a mailed voting link."""

    poll = p.polls.create(
        PollIn(
            title="Hondenbeleid",
            question="Welke regel?",
            options=[OptionIn(name="A"), OptionIn(name="B")],
            rule="plurality",
            seats=1,
            max_choices=1,
            eligibility="email",
        ),
        actor="griffie",
    )
    p.polls.open(poll.id, actor="griffie")
    now = p.clock.now()
    with p.unit_of_work() as s:
        s.execute(
            insert(CredentialRow),
            [
                {
                    "id": uuid.uuid4(),
                    "poll_id": poll.id,
                    "kind": "email",
                    "key_hash": secrets.token_hex(32),
                    "address_hash": secrets.token_hex(32),
                    "status": "active",
                    "max_uses": 1,
                    "uses": 0,
                    "changes": 0,
                    "created_at": now,
                }
                for _ in range(VOTERS)
            ],
        )
    with p.unit_of_work() as s:
        p.outbox.enqueue_many(
            s,
            [
                Mail(
                    to=f"kiezer{n}@example.nl",
                    template="polls_invite",
                    subject_type="poll",
                    subject_id=poll.id,
                    rendered=(
                        "Uw stemlink",
                        "https://example.nl/stem/" + secrets.token_hex(8),
                        None,
                    ),
                )
                for n in range(VOTERS)
            ],
        )
    p.polls.close(poll.id, actor="griffie")
    return poll.id


def left(p: Participatie, poll_id: uuid.UUID) -> tuple[int, int]:
    """Credentials and messages of the poll that still say something of a person."""

    with p.session_scope(readonly=True) as s:
        credentials = s.execute(
            select(func.count())
            .select_from(CredentialRow)
            .where(
                CredentialRow.poll_id == poll_id,
                CredentialRow.address_hash.is_not(None)
                | CredentialRow.key_hash.not_like(retention.ERASED_KEY + "%"),
            )
        ).scalar_one()
        messages = s.execute(
            select(func.count())
            .select_from(OutboxMessageRow)
            .where(OutboxMessageRow.subject_id == str(poll_id), OutboxMessageRow.to_address != "")
        ).scalar_one()
    return int(credentials), int(messages)


def test_retention_erases_in_short_steps(
    p: Participatie, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(retention, "BATCH", 10)
    monkeypatch.setattr(retention, "MESSAGES_PER_STEP", 10)
    poll_id = ended_email_poll(p)
    assert left(p, poll_id) == (VOTERS, VOTERS)
    clock.advance(p.settings.polls.personal_data_after + timedelta(days=1))
    writes: list[int] = []

    def count(conn: Any, cursor: Any, sql: str, params: Any, *_: Any) -> None:
        if sql.lstrip().upper().startswith("UPDATE"):
            writes.append(1)

    commits: list[int] = []
    event.listen(p.engine, "before_cursor_execute", count)
    event.listen(p.engine, "commit", lambda conn: commits.append(len(writes)))
    try:
        (run,) = p.jobs.run_due(only="polls.retention")
    finally:
        event.remove(p.engine, "before_cursor_execute", count)
    assert run.status == "ok", run
    assert run.result == {"polls": 1, "credentials": VOTERS, "messages": VOTERS}
    assert left(p, poll_id) == (0, 0)
    # Four steps of credentials and four of messages (two statements each), besides the
    # runner's own transactions: no transaction wrote all.
    per_commit = [b - a for a, b in zip([0, *commits], commits, strict=False)]
    assert max(per_commit) <= 2
    assert sum(1 for n in per_commit if n) >= 4 + 4


def test_a_retention_run_stopped_half_way_is_finished_by_the_next(
    p: Participatie, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(retention, "MESSAGES_PER_STEP", 10)
    poll_id = ended_email_poll(p)
    clock.advance(p.settings.polls.personal_data_after + timedelta(days=1))
    erase = p.outbox.erase_messages
    calls: list[int] = []

    def failing(session: Any, ids: list[uuid.UUID]) -> int:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("the process stopped here")
        return erase(session, ids)

    monkeypatch.setattr(p.outbox, "erase_messages", failing)
    (run,) = p.jobs.run_due(only="polls.retention")
    assert run.status == "error"
    assert left(p, poll_id) == (0, VOTERS - 10)  # the first step of messages went through
    clock.advance(timedelta(days=1))
    (run,) = p.jobs.run_due(only="polls.retention")
    assert run.status == "ok", run
    assert left(p, poll_id) == (0, 0)


def test_steps_let_a_waiting_sqlite_writer_in(tmp_path: Path) -> None:
    """Forty steps of 20 ms each on SQLite, back to back; another connection writing
    meanwhile waits at most 0.5 s (its busy timeout) every time."""

    url = f"sqlite:///{tmp_path / 'steps.db'}"
    p = make_participatie(url, sqlite_busy_timeout_ms=500)
    p.create_all()
    with p.unit_of_work() as s:
        s.execute(text("CREATE TABLE probe (n INTEGER)"))
    stop = threading.Event()
    errors: list[BaseException] = []
    written: list[int] = []

    def writer() -> None:
        while not stop.is_set():
            try:
                with p.unit_of_work() as s:
                    s.execute(text("INSERT INTO probe VALUES (1)"))
                written.append(1)
            except BaseException as exc:  # a timeout is the failure this test looks for
                errors.append(exc)
                return
            time.sleep(0.005)

    steps = Steps(p)
    thread = threading.Thread(target=writer)
    thread.start()
    try:
        for _ in range(40):
            with steps.step() as s:
                s.execute(text("INSERT INTO probe VALUES (2)"))
                time.sleep(0.02)  # a step's work, holding the write lock
    finally:
        stop.set()
        thread.join(timeout=30)
        p.dispose()
    assert errors == []
    assert len(written) > 5
