"""Mail through a real SMTP server: nothing is lost while the server is down."""

from __future__ import annotations

import socket
from datetime import timedelta

from participatie.clock import FixedClock
from participatie.config import SmtpSettings
from participatie.engine import Participatie
from participatie.outbox.mailers import SmtpMailer
from participatie.testing import SmtpSink, make_participatie
from tests.petitions.conftest import open_petition, seed_areas, signer


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_smtp_down_during_signing_loses_no_confirmation(
    p: Participatie, clock: FixedClock, smtp: SmtpSink
) -> None:
    down = SmtpMailer(SmtpSettings(host="127.0.0.1", port=_free_port(), timeout=2))
    up = SmtpMailer(SmtpSettings(host=smtp.host, port=smtp.port, timeout=5))
    q = make_participatie(p.settings.database_url, engine=p.engine, clock=clock, mailer=down)
    seed_areas(q)
    petition = open_petition(q)
    q.outbox.deliver(100, mailer=up)
    smtp.messages.clear()
    for n in range(8):
        q.petitions.sign(petition.id, signer(n), ip=f"192.0.2.{n + 1}")
    # Nobody listens on the port: every attempt fails and is kept for later.
    report = q.outbox.deliver(100)
    assert (report.sent, report.retried) == (0, 8)
    # The server answers again, but refuses the first three with a 451.
    smtp.fail_next = 3
    clock.advance(timedelta(minutes=2))
    report = q.outbox.deliver(100, mailer=up)
    assert (report.sent, report.retried) == (5, 3)
    clock.advance(timedelta(minutes=10))
    assert q.outbox.deliver(100, mailer=up).sent == 3
    received = sorted(str(m["To"]) for m in smtp.messages)
    assert received == sorted(f"inwoner{n}@example.nl" for n in range(8))
    assert all("/petitions/confirm/" in str(m.get_payload()) for m in smtp.messages)
    assert q.outbox.deliver(100, mailer=up).claimed == 0  # nothing twice
