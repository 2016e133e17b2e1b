"""Delivery of claimed outbox messages: one fenced step per message, lease renewal, and
the outcome of each message committed before the next one is sent.
"""

from __future__ import annotations

import json
import logging
import random
import re
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Connection, Table, or_, select, update
from sqlalchemy.exc import DBAPIError

from participatie.db import supports_skip_locked
from participatie.errors import (
    DeliveryOutcomeUnknown,
    MailServerUnavailable,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from participatie.outbox.mailers import Mailer, OutgoingMessage
from participatie.outbox.models import FAILED, PENDING, SENDING, SENT, OutboxMessageRow
from participatie.retry import ATTEMPTS, classify, database_errors, pause, retry_transient

if TYPE_CHECKING:
    from participatie.engine import Participatie

log = logging.getLogger("participatie.outbox")
_T = TypeVar("_T")
_ADDRESS = re.compile(r"[^\s<>@'\"]+@[^\s<>'\"]+")


def without_addresses(text: str) -> str:
    """``text`` with e-mail addresses replaced, for logs: a server's refusal often quotes
    the recipient, and logs must hold nothing personal."""

    return _ADDRESS.sub("<address>", text)


OUTBOX: Table = OutboxMessageRow.__table__  # type: ignore[assignment]

#: Backoff before attempt n+1: 1, 2, 4, ... minutes (each +-10 % at random), at most 6 h.
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_MAX = timedelta(hours=6)
BACKOFF_JITTER = 0.1
#: When the server cannot be reached at all (refused, TLS, login): the batch waits this
#: long and no attempt is counted, so a message never expires on a configuration error.
UNAVAILABLE_RETRY = timedelta(minutes=1)
#: ``last_error`` of messages held back because the server could not be reached.
UNAVAILABLE_PREFIX = "unavailable: "


def backoff(attempts: int, *, spread: float | None = None) -> timedelta:
    """The wait after the ``attempts``-th failed try. ``spread`` in [-1, 1] fixes the
    jitter (tests); by default it is random, so retries of a burst do not line up."""

    delay: timedelta = min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_MAX)
    if spread is None:
        spread = random.uniform(-1.0, 1.0)
    return min(delay * (1 + BACKOFF_JITTER * spread), BACKOFF_MAX)


@dataclass
class DeliveryReport:
    claimed: int = 0
    sent: int = 0
    #: Put back for a later try (temporary failure, unknown outcome, server unreachable).
    retried: int = 0
    failed: int = 0
    #: Of ``retried``: the connection broke after the message was handed over.
    unknown: int = 0
    #: Claimed but not tried (stop requested, claim lost, server unreachable): released.
    released: int = 0
    #: Another deliverer took over this batch's claim (the lease ran out).
    lost_claim: bool = False
    #: Why the mail server could not be reached at all (a configuration problem, say).
    unavailable: str | None = None
    errors: list[str] = field(default_factory=list)

    def add(self, other: DeliveryReport) -> None:
        self.claimed += other.claimed
        self.sent += other.sent
        self.retried += other.retried
        self.failed += other.failed
        self.unknown += other.unknown
        self.released += other.released
        self.lost_claim = self.lost_claim or other.lost_claim
        self.unavailable = other.unavailable
        self.errors.extend(other.errors)


@dataclass
class _Claimed:
    message: OutgoingMessage
    attempts: int
    unknown_outcomes: int = 0


def _held(take: Future[bool]) -> bool:
    """The claim check's answer; a database error counts as "no" here and is raised by
    the caller once the mailer has let go."""

    try:
        return take.result()
    except Exception:
        return False


class Delivery:
    """One batch: claim, then per message a fenced step, the send, and its outcome."""

    def __init__(self, p: Participatie, mailer: Mailer, stop: threading.Event | None) -> None:
        self._p = p
        self._mailer = mailer
        self._stop = stop
        self._claim = uuid.uuid4()
        self._lease = timedelta(seconds=p.settings.outbox_lease_seconds)
        # The message in hand stays claimed long enough for one SMTP exchange to finish
        # even when it is slow, so nobody takes it over while it is on the wire.
        grace = float(getattr(mailer, "max_send_seconds", 0.0))
        self._in_hand = self._lease + timedelta(seconds=grace)
        self._renewed = time.monotonic()
        self._outcome: dict[str, Any] | None = None
        self.report = DeliveryReport()

    # -- claim ----------------------------------------------------------------------

    @retry_transient
    def claim(self, limit: int, now: datetime | None = None) -> list[_Claimed]:
        """Take up to ``limit`` due messages for this batch, in one transaction of their
        own: a deadlock with another deliverer's claim (MariaDB locks the index range it
        reads) undoes all of it, and the claim is made again."""

        with database_errors():
            return self._claim_due(limit, now or self._p.clock.now())

    def _claim_due(self, limit: int, now: datetime) -> list[_Claimed]:
        c = OUTBOX.c
        due = or_(
            (c.status == PENDING) & (c.next_attempt_at <= now),
            (c.status == SENDING) & (c.claimed_until < now),
        )
        with self._p.engine.begin() as conn:
            query = select(c.id).where(due).order_by(c.next_attempt_at, c.id).limit(limit)
            if supports_skip_locked(conn.dialect):
                query = query.with_for_update(skip_locked=True)
            ids = list(conn.execute(query).scalars())
            if not ids:
                return []
            conn.execute(
                update(OUTBOX)
                .where(c.id.in_(ids), due)
                .values(status=SENDING, claim_token=self._claim, claimed_until=now + self._lease)
            )
            rows = conn.execute(
                select(
                    c.id,
                    c.to_address,
                    c.subject,
                    c.text_body,
                    c.html_body,
                    c.headers,
                    c.created_at,
                    c.attempts,
                    c.unknown_outcomes,
                )
                .where(c.claim_token == self._claim)
                .order_by(c.next_attempt_at, c.id)
            ).all()
        self._renewed = time.monotonic()
        return [
            _Claimed(
                OutgoingMessage(
                    id=str(row.id),
                    to=row.to_address,
                    subject=row.subject,
                    text=row.text_body,
                    html=row.html_body,
                    headers=json.loads(row.headers or "{}"),
                    date=row.created_at,
                ),
                int(row.attempts),
                int(row.unknown_outcomes),
            )
            for row in rows
        ]

    # -- the batch ------------------------------------------------------------------

    def run(self, limit: int, now: datetime | None = None) -> DeliveryReport:
        claimed = self.claim(limit, now)
        self.report.claimed = len(claimed)
        if not claimed:
            return self.report
        # One database connection serves the batch: a checkout per message would add a
        # ping and a reset round trip to each.
        with self._p.engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                # One statement per message (see _take_in_one_statement): autocommit
                # spares the BEGIN and COMMIT round trips.
                conn.execution_options(isolation_level="AUTOCOMMIT")
            send_fenced = getattr(self._mailer, "send_fenced", None)
            overlap = send_fenced is not None and conn.dialect.name != "sqlite"
            pool = ThreadPoolExecutor(1, "outbox-fence") if overlap else None
            try:
                with self._mailer:
                    for item in claimed:
                        if self._stop is not None and self._stop.is_set():
                            break
                        if pool is not None:
                            # The claim check (with the previous outcome) runs while the
                            # envelope goes out; the message itself waits for it.
                            future = pool.submit(self._take, conn, item)
                            if not self._send(item, future):
                                break
                            continue
                        if not self._take(conn, item):
                            self._lost()
                            break
                        if not self._send(item, None):
                            break
            finally:
                if pool is not None:
                    pool.shutdown(wait=True)
                if conn.in_transaction():
                    conn.rollback()
                self._finish(conn)
        return self.report

    def _lost(self) -> None:
        self.report.lost_claim = True
        log.warning("claim %s was taken over; this deliverer stops", self._claim)

    def _again_on_conflict(self, step: Callable[[], _T]) -> _T:
        """Run ``step`` again when a deadlock undid it. MariaDB's lease renewal locks the
        rows it reads, so two deliverers can deadlock here.

        Whenever ``step`` raises, the outcome it was to record (of a message already
        sent) is put back, and so is the time of the last lease renewal: the next try,
        or the release at the end of the batch, records the outcome, so the message is
        not sent again. Recording an outcome twice changes nothing the second time: the
        first clears the claim token the statement matches on.
        """

        outcome, renewed = self._outcome, self._renewed
        attempt = 1
        while True:
            try:
                return step()
            except Exception as exc:
                self._outcome, self._renewed = outcome, renewed
                if not isinstance(exc, DBAPIError) or classify(exc) != "conflict":
                    raise
                if attempt >= ATTEMPTS:
                    raise
                log.info("outbox: deadlock, attempt %d of %d again", attempt + 1, ATTEMPTS)
                time.sleep(pause(attempt))
                attempt += 1

    def _take(self, conn: Connection, item: _Claimed) -> bool:
        """Commit the previous outcome, renew the lease when due, and fence the next
        message: it is sent only if this claim still holds it."""

        return self._again_on_conflict(lambda: self._take_once(conn, item))

    def _take_once(self, conn: Connection, item: _Claimed) -> bool:
        if conn.dialect.name == "postgresql":
            return self._take_in_one_statement(conn, item)
        c = OUTBOX.c
        with conn.begin():
            self._write_outcome(conn)
            now = self._p.clock.now()
            if time.monotonic() - self._renewed >= self._lease.total_seconds() / 3:
                conn.execute(
                    update(OUTBOX)
                    .where(c.claim_token == self._claim, c.status == SENDING)
                    .values(claimed_until=now + self._lease)
                )
                self._renewed = time.monotonic()
            result = conn.execute(
                update(OUTBOX)
                .where(
                    c.id == uuid.UUID(item.message.id),
                    c.claim_token == self._claim,
                    c.status == SENDING,
                )
                .values(attempts=c.attempts + 1, claimed_until=now + self._in_hand)
            )
        item.attempts += 1
        return int(result.rowcount or 0) == 1

    def _take_in_one_statement(self, conn: Connection, item: _Claimed) -> bool:
        """``_take`` as one PostgreSQL statement: the previous outcome and the lease
        renewal are data-modifying CTEs of the UPDATE that fences the next message, so
        they commit together, in one round trip."""

        c = OUTBOX.c
        now = self._p.clock.now()
        next_id = uuid.UUID(item.message.id)
        fence = (
            update(OUTBOX)
            .where(c.id == next_id, c.claim_token == self._claim, c.status == SENDING)
            .values(attempts=c.attempts + 1, claimed_until=now + self._in_hand)
            .returning(c.id)
        )
        # Each row may be changed by one part of the statement only.
        others = [next_id]
        if self._outcome is not None:
            outcome, self._outcome = self._outcome, None
            previous = uuid.UUID(outcome["id"])
            others.append(previous)
            done = (
                update(OUTBOX)
                .where(c.id == previous, c.claim_token == self._claim)
                .values(claim_token=None, claimed_until=None, **outcome["values"])
                .returning(c.id)
                .cte("done")
            )
            fence = fence.add_cte(done)
        if time.monotonic() - self._renewed >= self._lease.total_seconds() / 3:
            renew = (
                update(OUTBOX)
                .where(c.claim_token == self._claim, c.status == SENDING, c.id.not_in(others))
                .values(claimed_until=now + self._lease)
                .returning(c.id)
                .cte("renew")
            )
            fence = fence.add_cte(renew)
            self._renewed = time.monotonic()
        held = conn.execute(fence).first() is not None
        item.attempts += 1
        return held

    def _send(self, item: _Claimed, take: Future[bool] | None) -> bool:
        """Send one message and keep its outcome; False when the batch should stop.

        With ``take`` (the claim check running in parallel), the message is handed over
        only after the check succeeded; the outcome is kept only once the check is done.
        """

        message = item.message
        failure: BaseException | None = None
        handed = True
        try:
            if take is None:
                self._mailer.send(message)
            else:
                fenced = getattr(self._mailer, "send_fenced")  # noqa: B009
                handed = bool(fenced(message, lambda: _held(take)))
        except Exception as exc:
            failure = exc
        if take is not None and not take.result():  # a database error is raised here
            self._lost()
            return False
        if not handed:  # the check failed after all: nothing was handed over
            return False
        try:
            if failure is not None:
                raise failure
        except MailServerUnavailable as exc:
            log.error("mail server unavailable: %s", exc.message)
            self.report.unavailable = exc.message
            self._keep(message, retry_in=UNAVAILABLE_RETRY, error=UNAVAILABLE_PREFIX + exc.message)
            self._outcome_values(attempts=OUTBOX.c.attempts - 1)
            self.report.retried += 1
            return False
        except DeliveryOutcomeUnknown as exc:
            self.report.unknown += 1
            item.unknown_outcomes += 1
            limit = self._p.settings.outbox_max_unknown_outcomes
            if item.unknown_outcomes >= limit:
                error = f"outcome unknown {limit} times (it most likely arrived): {exc.message}"
                self._failed(item, error, permanent=True)
            else:
                self._failed(item, exc.message, permanent=False)
            self._outcome_values(unknown_outcomes=OUTBOX.c.unknown_outcomes + 1)
        except TransientDeliveryError as exc:
            self._failed(item, exc.message, permanent=False)
        except PermanentDeliveryError as exc:
            self._failed(item, exc.message, permanent=True)
        except Exception as exc:  # a mailer bug must not lose the message
            log.exception("mailer raised while sending %s", message.id)
            self._failed(item, repr(exc), permanent=False)
        else:
            self._outcome = {
                "id": message.id,
                "values": {"status": SENT, "sent_at": self._p.clock.now(), "last_error": None},
            }
            self.report.sent += 1
            log.info("sent message %s", message.id)
        return True

    def _failed(self, item: _Claimed, error: str, *, permanent: bool) -> None:
        self.report.errors.append(f"{item.message.id}: {error}")
        if permanent or item.attempts >= self._p.settings.outbox_max_attempts:
            self._outcome = {
                "id": item.message.id,
                "values": {"status": FAILED, "last_error": error[:2000]},
            }
            self.report.failed += 1
            log.warning("message %s failed: %s", item.message.id, without_addresses(error))
            return
        retry_in = backoff(item.attempts)
        self._keep(item.message, retry_in=retry_in, error=error)
        self.report.retried += 1
        log.info(
            "message %s: attempt %d failed, next in %s: %s",
            item.message.id,
            item.attempts,
            retry_in,
            without_addresses(error),
        )

    def _keep(self, message: OutgoingMessage, *, retry_in: timedelta, error: str) -> None:
        self._outcome = {
            "id": message.id,
            "values": {
                "status": PENDING,
                "next_attempt_at": self._p.clock.now() + retry_in,
                "last_error": error[:2000],
            },
        }

    def _outcome_values(self, **values: Any) -> None:
        assert self._outcome is not None
        self._outcome["values"].update(values)

    def _write_outcome(self, conn: Connection) -> None:
        if self._outcome is None:
            return
        c = OUTBOX.c
        outcome, self._outcome = self._outcome, None
        result = conn.execute(
            update(OUTBOX)
            .where(c.id == uuid.UUID(outcome["id"]), c.claim_token == self._claim)
            .values(claim_token=None, claimed_until=None, **outcome["values"])
        )
        if int(result.rowcount or 0) != 1:
            log.warning("claim on %s was lost before its outcome was recorded", outcome["id"])

    def _finish(self, conn: Connection) -> None:
        """Record the last outcome and release what was claimed but not tried (one
        transaction; on PostgreSQL, in autocommit, two statements)."""

        self._again_on_conflict(lambda: self._finish_once(conn))

    def _finish_once(self, conn: Connection) -> None:
        c = OUTBOX.c
        values: dict[str, Any] = {"status": PENDING, "claim_token": None, "claimed_until": None}
        if self.report.unavailable is not None:
            values["next_attempt_at"] = self._p.clock.now() + UNAVAILABLE_RETRY
            values["last_error"] = (UNAVAILABLE_PREFIX + self.report.unavailable)[:2000]
        with conn.begin():
            self._write_outcome(conn)
            result = conn.execute(
                update(OUTBOX)
                .where(c.claim_token == self._claim, c.status == SENDING)
                .values(**values)
            )
        released = int(result.rowcount or 0)
        self.report.released += released
        if self.report.unavailable is not None:
            self.report.retried += released


__all__ = [
    "BACKOFF_BASE",
    "BACKOFF_JITTER",
    "BACKOFF_MAX",
    "OUTBOX",
    "UNAVAILABLE_PREFIX",
    "UNAVAILABLE_RETRY",
    "Delivery",
    "DeliveryReport",
    "backoff",
    "without_addresses",
]
