"""A deadlock while a deliverer records a sent message's outcome: the step is repeated
with the outcome put back, so the message is recorded as sent once, never lost and
never sent again."""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, event, select, update

from participatie import Participatie, SmtpSettings
from participatie.outbox.mailers import Mailer, RecordingMailer, SmtpMailer
from participatie.outbox.models import SENT, OutboxMessageRow
from participatie.testing import SmtpSink

FENCE = "UPDATE PARTICIPATIE_OUTBOX_MESSAGE SET ATTEMPTS"


@pytest.mark.parametrize("dialect", ["mariadb"], indirect=True)
@pytest.mark.parametrize("over_smtp", [False, True], ids=["recording", "smtp-overlapped"])
def test_a_deadlock_recording_an_outcome_is_repeated(
    p: Participatie, smtp: SmtpSink, caplog: pytest.LogCaptureFixture, over_smtp: bool
) -> None:
    """With the SMTP mailer the fence runs in a worker thread while the envelope goes out
    (the production path); with the recording mailer, before the message is sent."""

    row = OutboxMessageRow
    later = p.clock.now() + timedelta(days=1)
    with p.unit_of_work() as s:
        for i in range(3):
            p.outbox.enqueue(
                s,
                to=f"r{i}@example.nl",
                template="notice",
                context={"title": "x", "message": "y"},
                available_at=later if i == 2 else None,
            )
    other = p.engine.connect()
    fences: list[str] = []
    errors: list[BaseException] = []

    def wants_the_first() -> None:
        try:
            other.execute(
                update(row).where(row.to_address == "r0@example.nl").values(last_error="b")
            )
        except BaseException as exc:  # the test says which side lost
            errors.append(exc)
        finally:
            other.rollback()

    thread = threading.Thread(target=wants_the_first)

    def listener(conn: Connection, cursor: Any, statement: str, *args: Any) -> None:
        if conn is other or not statement.upper().startswith(FENCE):
            return
        fences.append(statement)
        if len(fences) == 1:
            # After the claim: the second connection takes the next message and one
            # more row (it is the heavier transaction, so the deliverer is the victim).
            other.execute(
                update(row)
                .where(row.to_address.in_(["r1@example.nl", "r2@example.nl"]))
                .values(last_error="held")
            )
        elif len(fences) == 2:
            # The deliverer holds the first message's row (its outcome) and is about to
            # fence the next: the second connection now asks for the first's row.
            thread.start()
            time.sleep(0.5)

    caplog.set_level(logging.INFO, logger="participatie.outbox")
    recording = RecordingMailer()
    mailer: Mailer = recording
    if over_smtp:
        settings = SmtpSettings(host=smtp.host, port=smtp.port, from_address="noreply@gemeente.nl")
        mailer = SmtpMailer(settings)
    event.listen(p.engine, "before_cursor_execute", listener)
    try:
        report = p.outbox.deliver(10, mailer=mailer)
    finally:
        event.remove(p.engine, "before_cursor_execute", listener)
        thread.join(30)
        other.close()
    assert not errors, f"the second connection was rolled back instead: {errors[0]!r}"
    assert len(fences) >= 3, "the fence was not repeated"
    assert any("deadlock" in r.getMessage() for r in caplog.records), "nothing was repeated"
    sent_to = [m["To"] for m in smtp.messages] if over_smtp else [m.to for m in recording.sent]
    assert sent_to == ["r0@example.nl", "r1@example.nl"]
    assert report.sent == 2
    with p.session_scope(readonly=True) as s:
        states = {r.to_address: r.status for r in s.execute(select(row.to_address, row.status))}
    assert states["r0@example.nl"] == SENT and states["r1@example.nl"] == SENT
