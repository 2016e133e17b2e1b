"""Faults from outside: real deliverer processes killed or stopped, a slow relay, a
connection that drops after DATA, a long outage. The promise under test: every message
arrives at least once, and again only when the deliverer could not know whether the
server took it (at most once more per such event)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta

import pytest

from participatie import Participatie, SmtpSettings
from participatie.outbox import BACKOFF_MAX, backoff
from participatie.outbox.mailers import OutgoingMessage, SmtpMailer
from participatie.testing import TEST_SECRET, SmtpSink

LEASE = 5  # the smallest lease the settings allow


def _queue(p: Participatie, n: int, *, prefix: str = "r") -> list[str]:
    ids = []
    with p.unit_of_work() as s:
        for i in range(n):
            message_id = p.outbox.enqueue(
                s,
                to=f"{prefix}{i}@example.nl",
                template="notice",
                context={"title": f"Bericht {i}", "message": "Hallo"},
            )
            assert message_id is not None
            ids.append(str(message_id))
    return ids


def _mailer(smtp: SmtpSink) -> SmtpMailer:
    return SmtpMailer(SmtpSettings(host=smtp.host, port=smtp.port, timeout=5))


def _doubles(smtp: SmtpSink) -> int:
    return sum(n - 1 for n in Counter(smtp.ids()).values())


def _deliverer(p: Participatie, smtp: SmtpSink, *args: str) -> subprocess.Popen[str]:
    """``participatie outbox ...`` in its own process, on the test's database."""

    env = {
        **os.environ,
        "PARTICIPATIE_SECRET_KEYS": TEST_SECRET,
        "PARTICIPATIE_DATABASE_URL": p.settings.database_url,
        "PARTICIPATIE_SMTP__HOST": smtp.host,
        "PARTICIPATIE_SMTP__PORT": str(smtp.port),
        "PARTICIPATIE_SMTP__TIMEOUT": "0.5",
        "PARTICIPATIE_OUTBOX_LEASE_SECONDS": str(LEASE),
        "PARTICIPATIE_SQLITE_SYNCHRONOUS": "NORMAL",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "participatie", "outbox", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(condition: Callable[[], bool], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


def _stop(proc: subprocess.Popen[str]) -> tuple[str, str]:
    if proc.poll() is None:
        proc.kill()
    return proc.communicate(timeout=30)


def test_killed_deliverers_send_at_most_one_message_again(p: Participatie, smtp: SmtpSink) -> None:
    ids = _queue(p, 60)
    smtp.delay = 0.01
    rng = random.Random()
    kills = 2
    for _ in range(kills):
        before = len(smtp.messages)
        proc = _deliverer(p, smtp, "work", "--batch", "20", "--idle", "0.1")
        try:
            point = before + rng.randint(1, 15)
            _wait_for(lambda point=point: len(smtp.messages) >= point, 15)  # type: ignore[misc]
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
        finally:
            _stop(proc)
    # A survivor takes over what the killed ones held once their leases run out.
    proc = _deliverer(p, smtp, "work", "--batch", "20", "--idle", "0.2")
    try:
        _wait_for(lambda: set(smtp.ids()) >= set(ids), 20)
        _wait_for(lambda: p.outbox.counts()["sent"] == 60, 5)
    finally:
        proc.send_signal(signal.SIGTERM)
        _stop(proc)
    print(f"killed {kills} deliverers: {_doubles(smtp)} message(s) arrived twice")
    assert _doubles(smtp) <= kills, Counter(smtp.ids()).most_common(3)
    assert p.outbox.counts() == {"pending": 0, "sending": 0, "sent": 60, "failed": 0}


def test_slow_relay_with_short_lease_and_a_competing_deliverer_sends_no_double(
    p: Participatie, smtp: SmtpSink
) -> None:
    # 60 messages at 0.1 s each outlive the 5 s lease: the batch must renew it.
    ids = _queue(p, 60)
    smtp.delay = 0.1
    first = _deliverer(p, smtp, "work", "--batch", "100", "--idle", "1")
    second = None
    try:
        _wait_for(lambda: len(smtp.messages) >= 1, 15)
        second = _deliverer(p, smtp, "work", "--batch", "100", "--idle", "1")
        _wait_for(lambda: set(smtp.ids()) >= set(ids), 20)
    finally:
        for proc in (first, second):
            if proc is not None:
                proc.send_signal(signal.SIGTERM)
                _stop(proc)
    print(f"slow relay, competing deliverer: {_doubles(smtp)} doubles")
    assert _doubles(smtp) == 0
    assert len(smtp.messages) == 60


def test_lost_claim_stops_the_deliverer_before_the_next_send(
    p: Participatie, smtp: SmtpSink
) -> None:
    _queue(p, 5)

    class Thief(SmtpMailer):
        """After the first message, another deliverer takes the batch over."""

        def send_fenced(self, message: OutgoingMessage, fence: Callable[[], bool] | None) -> bool:
            handed = super().send_fenced(message, fence)
            from sqlalchemy import update

            from participatie.outbox.models import SENDING, OutboxMessageRow

            with p.engine.begin() as conn:
                conn.execute(
                    update(OutboxMessageRow)
                    .where(OutboxMessageRow.status == SENDING)
                    .values(claim_token=__import__("uuid").uuid4())
                )
            return handed

    report = p.outbox.deliver(mailer=Thief(SmtpSettings(host=smtp.host, port=smtp.port)))
    assert report.lost_claim
    assert (report.claimed, report.sent) == (5, 1)
    assert len(smtp.messages) == 1


def test_drop_after_data_is_not_resent_at_once(p: Participatie, smtp: SmtpSink) -> None:
    _queue(p, 1, prefix="drop")
    _queue(p, 2, prefix="ok")
    smtp.drop_after_data.add("drop0@example.nl")
    report = p.outbox.deliver(mailer=_mailer(smtp))
    assert (report.sent, report.retried, report.unknown) == (2, 1, 1)
    assert len(smtp.to("drop0@example.nl")) == 1  # it did arrive; the client cannot know
    # Not again at once: the normal backoff applies.
    assert p.outbox.deliver(mailer=_mailer(smtp)).claimed == 0
    p.clock.advance(backoff(1, spread=1))  # type: ignore[attr-defined]
    report = p.outbox.deliver(mailer=_mailer(smtp))
    assert report.unknown == 1
    assert len(smtp.to("drop0@example.nl")) == 2  # one copy per attempt
    smtp.drop_after_data.clear()
    p.clock.advance(backoff(2, spread=1))  # type: ignore[attr-defined]
    assert p.outbox.deliver(mailer=_mailer(smtp)).sent == 1
    [message] = p.outbox.messages(to="drop0@example.nl")
    assert (message.status, message.attempts) == ("sent", 3)
    assert len(smtp.to("drop0@example.nl")) == 3


def test_a_connection_that_always_drops_after_data_gets_a_bounded_number_of_copies(
    p: Participatie, smtp: SmtpSink
) -> None:
    _queue(p, 1, prefix="drop")
    smtp.drop_after_data.add("drop0@example.nl")
    limit = p.settings.outbox_max_unknown_outcomes
    for attempt in range(1, limit + 3):
        p.outbox.deliver(mailer=_mailer(smtp))
        p.clock.advance(backoff(attempt, spread=1))  # type: ignore[attr-defined]
    assert len(smtp.to("drop0@example.nl")) == limit
    [message] = p.outbox.messages()
    assert message.status == "failed"
    assert message.last_error is not None and "outcome unknown" in message.last_error


def test_sigterm_stops_after_the_message_in_hand_and_releases_the_rest(
    p: Participatie, smtp: SmtpSink
) -> None:
    _queue(p, 200)
    smtp.delay = 0.05
    proc = _deliverer(p, smtp, "work", "--batch", "200", "--idle", "1")
    try:
        _wait_for(lambda: len(smtp.messages) >= 10, 15)
        at_signal = len(smtp.messages)
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
        latency = time.monotonic() - started
    finally:
        _stop(proc)
    print(f"SIGTERM: exit after {latency:.2f} s, {len(smtp.messages) - at_signal} sent after")
    assert proc.returncode == 0, err
    assert latency < 3, latency
    assert len(smtp.messages) - at_signal <= 1  # only the message in hand
    counts = p.outbox.counts()
    assert counts["sending"] == 0  # nothing waits for a lease to run out
    assert counts["pending"] == 200 - len(smtp.messages)
    assert "released" in out
    # Another deliverer can take the rest right away.
    smtp.delay = 0
    p.clock.set(p.clock.now() + timedelta(days=365))  # type: ignore[attr-defined]
    assert p.outbox.deliver(300, mailer=_mailer(smtp)).sent == counts["pending"]
    assert _doubles(smtp) == 0


def test_long_4xx_outage_then_recovery_delivers_without_intervention(
    p: Participatie, smtp: SmtpSink
) -> None:
    [message_id] = _queue(p, 1)
    smtp.fail_next = 10**6  # 451 for every message
    start = p.clock.now()
    # 24 hours of outage, a deliverer every 5 minutes (simulated time).
    while p.clock.now() - start < timedelta(hours=24):
        p.outbox.deliver(mailer=_mailer(smtp))
        p.clock.advance(timedelta(minutes=5))  # type: ignore[attr-defined]
    [message] = p.outbox.messages()
    assert message.status == "pending"
    assert 10 <= message.attempts < p.settings.outbox_max_attempts
    smtp.fail_next = 0
    recovered = p.clock.now()
    while not smtp.messages:
        p.outbox.deliver(mailer=_mailer(smtp))
        p.clock.advance(timedelta(minutes=5))  # type: ignore[attr-defined]
    # Delivered within one step of the capped backoff after the server recovered.
    assert p.clock.now() - recovered <= BACKOFF_MAX + timedelta(minutes=5)
    assert smtp.ids() == [message_id]


def test_permanent_failure_is_not_retried(p: Participatie, smtp: SmtpSink) -> None:
    _queue(p, 1)
    smtp.reject.add("r0@example.nl")
    assert p.outbox.deliver(mailer=_mailer(smtp)).failed == 1
    p.clock.advance(timedelta(days=30))  # type: ignore[attr-defined]
    assert p.outbox.deliver(mailer=_mailer(smtp)).claimed == 0


@pytest.mark.parametrize("dialect", ["sqlite"], indirect=True)
def test_deliver_reports_an_unreachable_server_with_exit_3(p: Participatie, smtp: SmtpSink) -> None:
    from participatie.testing import free_port

    _queue(p, 2)
    smtp.port = free_port()
    proc = _deliverer(p, smtp, "deliver")
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 3, (out, err)
    assert "mail server unavailable" in err and "connection refused" in err
    proc = _deliverer(p, smtp, "status")
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0
    assert "2 message(s) wait" in err and "connection refused" in err


@pytest.mark.parametrize("dialect", ["sqlite"], indirect=True)
def test_work_says_why_the_server_cannot_be_reached(p: Participatie, smtp: SmtpSink) -> None:
    from participatie.testing import free_port

    _queue(p, 1)
    smtp.port = free_port()
    proc = _deliverer(p, smtp, "work", "--idle", "0.2")
    try:
        assert proc.stderr is not None
        lines = [proc.stderr.readline() for _ in range(2)]
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=30)
    finally:
        _stop(proc)
    text = "".join(lines) + err
    assert "mail server unavailable" in text and "connection refused" in text
    assert proc.returncode == 0
    assert p.outbox.counts()["pending"] == 1
