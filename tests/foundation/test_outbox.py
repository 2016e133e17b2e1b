from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from participatie import Participatie, SmtpSettings
from participatie.outbox import BACKOFF_MAX, backoff
from participatie.outbox.delivery import Delivery
from participatie.outbox.mailers import SmtpMailer
from participatie.testing import SmtpSink, free_port


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
    return SmtpMailer(
        SmtpSettings(host=smtp.host, port=smtp.port, from_address="noreply@gemeente.nl")
    )


def test_enqueue_renders_and_delivery_sends_over_smtp(p: Participatie, smtp: SmtpSink) -> None:
    [message_id] = _queue(p, 1)
    report = p.outbox.deliver(mailer=_mailer(smtp))
    assert (report.claimed, report.sent, report.failed) == (1, 1, 0)
    [received] = smtp.messages
    assert received["To"] == "r0@example.nl"
    assert received["Subject"] == "Bericht 0"
    assert received["X-Participatie-Id"] == message_id
    body = received.get_body(("plain",))
    assert body is not None and "Beste inwoner" in body.get_content()
    assert received.get_body(("html",)) is not None
    assert p.outbox.counts()["sent"] == 1
    # Nothing left: a second run sends nothing.
    assert p.outbox.deliver(mailer=_mailer(smtp)).claimed == 0
    assert len(smtp.messages) == 1


def test_enqueue_is_part_of_the_callers_transaction(p: Participatie) -> None:
    with pytest.raises(RuntimeError), p.unit_of_work() as s:
        p.outbox.enqueue(
            s, to="a@example.nl", template="notice", context={"title": "t", "message": "m"}
        )
        raise RuntimeError("the change failed")
    assert p.outbox.counts()["pending"] == 0


def test_dedupe_key_means_never_twice(p: Participatie) -> None:
    with p.unit_of_work() as s:
        first = p.outbox.enqueue(
            s,
            to="a@example.nl",
            template="notice",
            context={"title": "t", "message": "m"},
            dedupe_key="answer:1",
        )
    with p.unit_of_work() as s:
        second = p.outbox.enqueue(
            s,
            to="a@example.nl",
            template="notice",
            context={"title": "t", "message": "m"},
            dedupe_key="answer:1",
        )
    assert first is not None
    assert second is None
    assert p.outbox.counts()["pending"] == 1


def test_transient_failure_is_retried_with_backoff_then_delivered(
    p: Participatie, smtp: SmtpSink
) -> None:
    _queue(p, 3)
    smtp.fail_next = 3  # the server says 451 three times, then recovers
    report = p.outbox.deliver(mailer=_mailer(smtp))
    assert (report.sent, report.retried, report.failed) == (0, 3, 0)
    assert p.outbox.counts()["pending"] == 3
    # Not due yet: the backoff holds them back.
    assert p.outbox.deliver(mailer=_mailer(smtp)).claimed == 0
    p.clock.advance(backoff(1, spread=1))  # type: ignore[attr-defined]
    report = p.outbox.deliver(mailer=_mailer(smtp))
    assert report.sent == 3
    assert sorted(str(m["To"]) for m in smtp.messages) == [
        "r0@example.nl",
        "r1@example.nl",
        "r2@example.nl",
    ]
    [message] = p.outbox.messages(to="r0@example.nl")
    assert message.attempts == 2
    assert message.status == "sent"


def test_connection_refused_is_reported_and_costs_no_attempt(p: Participatie) -> None:
    _queue(p, 2)
    mailer = SmtpMailer(SmtpSettings(host="127.0.0.1", port=free_port(), timeout=2))
    report = p.outbox.deliver(mailer=mailer)
    assert (report.sent, report.retried, report.failed) == (0, 2, 0)
    assert report.unavailable is not None and "connection refused" in report.unavailable
    messages = p.outbox.messages()
    assert all("cannot reach SMTP server" in (m.last_error or "") for m in messages)
    assert all(m.attempts == 0 and m.status == "pending" for m in messages)
    count, reason = p.outbox.unavailable()
    assert count == 2 and reason is not None and "connection refused" in reason


def test_permanent_failure_is_marked_failed_with_reason(p: Participatie, smtp: SmtpSink) -> None:
    _queue(p, 2)
    smtp.reject.add("r1@example.nl")
    report = p.outbox.deliver(mailer=_mailer(smtp))
    assert (report.sent, report.failed) == (1, 1)
    [failed] = p.outbox.messages(status="failed")
    assert failed.to_address == "r1@example.nl"
    assert failed.last_error is not None and "550" in failed.last_error
    # Failed messages are not retried by themselves ...
    p.clock.advance(timedelta(days=1))  # type: ignore[attr-defined]
    assert p.outbox.deliver(mailer=_mailer(smtp)).claimed == 0
    # ... until staff put them back.
    smtp.reject.clear()
    assert p.outbox.retry_failed() == 1
    assert p.outbox.deliver(mailer=_mailer(smtp)).sent == 1


def test_gives_up_after_max_attempts(p: Participatie, smtp: SmtpSink) -> None:
    _queue(p, 1)
    smtp.fail_next = 100
    for _ in range(p.settings.outbox_max_attempts):
        p.outbox.deliver(mailer=_mailer(smtp))
        p.clock.advance(BACKOFF_MAX)  # type: ignore[attr-defined]
    [message] = p.outbox.messages()
    assert message.status == "failed"
    assert message.attempts == p.settings.outbox_max_attempts


def test_crashed_deliverer_claim_is_taken_over_after_lease(p: Participatie, smtp: SmtpSink) -> None:
    _queue(p, 1)
    # A deliverer claims the message and dies before sending.
    claimed = Delivery(p, _mailer(smtp), None).claim(10)
    assert len(claimed) == 1
    assert p.outbox.deliver(mailer=_mailer(smtp)).claimed == 0  # still leased
    p.clock.advance(timedelta(seconds=p.settings.outbox_lease_seconds + 1))  # type: ignore[attr-defined]
    report = p.outbox.deliver(mailer=_mailer(smtp))
    assert report.sent == 1
    assert len(smtp.messages) == 1


@pytest.mark.parametrize("dialect", ["postgresql", "mariadb", "sqlite"], indirect=True)
def test_two_deliverers_drain_1000_messages_once_each(p: Participatie, smtp: SmtpSink) -> None:
    ids = _queue(p, 1000)
    reports = []
    errors: list[BaseException] = []

    def deliverer() -> None:
        try:
            while True:
                report = p.outbox.deliver(25, mailer=_mailer(smtp))
                reports.append(report)
                if report.claimed == 0:
                    return
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=deliverer) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors
    received = smtp.ids()
    assert len(received) == 1000
    assert sorted(received) == sorted(ids)  # each message arrived exactly once
    assert p.outbox.counts() == {"pending": 0, "sending": 0, "sent": 1000, "failed": 0}
    # Both deliverers did real work (the claims interleaved).
    assert sum(r.sent for r in reports) == 1000


def test_work_loop_stops_on_event(p: Participatie, smtp: SmtpSink) -> None:
    _queue(p, 5)
    stop = threading.Event()
    result = {}

    def run() -> None:
        result["report"] = p.outbox.work(
            stop=stop, batch=2, idle_seconds=0.05, mailer=_mailer(smtp)
        )

    thread = threading.Thread(target=run)
    thread.start()
    for _ in range(200):
        if len(smtp.messages) == 5:
            break
        threading.Event().wait(0.05)
    stop.set()
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert result["report"].sent == 5


def test_erase_blanks_personal_data_and_cancels_unsent(p: Participatie, smtp: SmtpSink) -> None:
    with p.unit_of_work() as s:
        for i in range(3):
            p.outbox.enqueue(
                s,
                to=f"r{i}@example.nl",
                template="notice",
                context={"title": "T", "name": f"Naam {i}", "message": "M"},
                subject_type="person",
                subject_id=f"p{i}",
            )
    # The first is sent, the others are still waiting.
    p.outbox.deliver(1, mailer=_mailer(smtp))
    with p.unit_of_work() as s:
        assert p.outbox.erase(s, subject_type="person", subject_ids=["p0", "p1"]) == 2
    by_status = {m.status: m for m in p.outbox.messages() if m.to_address == ""}
    assert set(by_status) == {"sent", "failed"}
    assert by_status["failed"].last_error == "erased"
    assert all("Naam" not in m.text_body for m in by_status.values())
    [kept] = [m for m in p.outbox.messages() if m.to_address]
    assert kept.to_address == "r2@example.nl"
    # Erased messages are never sent afterwards.
    p.outbox.deliver(mailer=_mailer(smtp))
    assert sorted(str(m["To"]) for m in smtp.messages) == ["r0@example.nl", "r2@example.nl"]


def test_retry_failed_never_brings_back_erased_messages(p: Participatie, smtp: SmtpSink) -> None:
    with p.unit_of_work() as s:
        p.outbox.enqueue(
            s,
            to="a@example.nl",
            template="notice",
            context={"title": "T", "message": "M"},
            subject_type="person",
            subject_id="p1",
        )
    with p.unit_of_work() as s:
        p.outbox.erase(s, subject_type="person", subject_ids=["p1"])
    assert p.outbox.retry_failed() == 0
    assert p.outbox.deliver(mailer=_mailer(smtp)).claimed == 0


def test_retry_failed_never_brings_back_expired_messages(p: Participatie, smtp: SmtpSink) -> None:
    """A message past its retention is blanked; it keeps saying why and never goes out."""

    from datetime import timedelta

    from participatie.retention import expire_messages

    with p.unit_of_work() as s:
        p.outbox.enqueue(
            s, to="b@example.nl", template="notice", context={"title": "T", "message": "M"}
        )
    later = p.clock.now() + p.settings.retention.outbox_messages + timedelta(days=1)
    with p.unit_of_work() as s:
        expire_messages(p, s, later)
    (message,) = p.outbox.messages()
    assert message.status == "failed" and message.last_error == "expired"
    assert message.to_address == ""
    assert p.outbox.retry_failed() == 0
    assert p.outbox.deliver(mailer=_mailer(smtp)).claimed == 0
