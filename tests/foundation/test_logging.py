"""What an operator reads in the logs: mail sent and failed with the reason, job runs and
migrations, at INFO on named loggers, and nothing personal."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path
from typing import Self

import pytest

from participatie import migrations
from participatie.engine import Participatie
from participatie.errors import PermanentDeliveryError
from participatie.outbox.mailers import OutgoingMessage, RecordingMailer
from participatie.testing import make_participatie


class Refusing(RecordingMailer):
    def __enter__(self) -> Self:
        return self

    def send(self, message: OutgoingMessage) -> None:
        raise PermanentDeliveryError(f"550 5.1.1 <{message.to}>: no such user here")


def test_mail_outcomes_are_logged_without_addresses(
    p: Participatie, caplog: pytest.LogCaptureFixture
) -> None:
    with p.session_scope() as s:
        p.outbox.enqueue(
            s,
            to="jan.jansen@example.nl",
            template="notice",
            context={"title": "T", "message": "M"},
        )
    with caplog.at_level(logging.INFO, logger="participatie"):
        p.outbox.deliver(10)
        with p.session_scope() as s:
            p.outbox.enqueue(
                s,
                to="piet@example.nl",
                template="notice",
                context={"title": "T", "message": "M"},
            )
        p.outbox.deliver(10, mailer=Refusing())
    text = "\n".join(f"{r.name} {r.levelname} {r.getMessage()}" for r in caplog.records)
    assert "participatie.outbox INFO sent message" in text
    assert "participatie.outbox WARNING message" in text and "no such user here" in text
    assert "@" not in text, text


def test_job_runs_and_migrations_are_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    p = make_participatie(f"sqlite:///{tmp_path / 'log.db'}")
    with caplog.at_level(logging.INFO, logger="participatie"):
        migrations.upgrade(p.engine)
        p.jobs.register("test.quiet", lambda p, s, now: {"done": 1}, every=timedelta(hours=1))
        p.jobs.run_due(only="test.quiet")
    names = {(r.name, r.levelname) for r in caplog.records}
    assert ("participatie.migrations", "INFO") in names
    messages = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("migrated the database from base to ") for m in messages)
    assert "job test.quiet ran: {'done': 1}" in messages
    p.dispose()
