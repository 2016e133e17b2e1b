"""Transactional outbox: messages are rows written with the change that caused them;
``deliver()`` claims, sends and marks them, retrying transient failures with backoff.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from jinja2 import Environment
from pydantic import BaseModel
from sqlalchemy import Table, bindparam, case, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from participatie.errors import InvalidInput
from participatie.links import find_links
from participatie.outbox.bulk import Mail, insert_rows, row_values
from participatie.outbox.delivery import (
    BACKOFF_MAX,
    UNAVAILABLE_PREFIX,
    Delivery,
    DeliveryReport,
    backoff,
)
from participatie.outbox.mailers import (
    FolderMailer,
    Mailer,
    OutgoingMessage,
    RecordingMailer,
    SmtpMailer,
)
from participatie.outbox.models import FAILED, PENDING, SENDING, SENT, OutboxMessageRow
from participatie.prepared import Prepared
from participatie.retention import BLANKED, ERASED_ADDRESSES, OWN_ERRORS
from participatie.retry import database_errors

if TYPE_CHECKING:
    from participatie.engine import Participatie

log = logging.getLogger("participatie.outbox")


def _erase_where(session: Session, where: Any) -> int:
    """Blank the messages ``where`` picks; cancel those not sent. Returns how many."""

    session.execute(
        update(OutboxMessageRow)
        .where(where, OutboxMessageRow.status != SENT)
        .values(status=FAILED, last_error=ERASED, claim_token=None, claimed_until=None)
    )
    result = session.execute(
        update(OutboxMessageRow)
        .where(where)
        .values(
            **BLANKED,
            # A server's refusal often quotes the address; "erased" says why.
            last_error=case((OutboxMessageRow.status == SENT, None), else_=ERASED),
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


__all__ = [
    "BACKOFF_MAX",
    "DeliveryReport",
    "FolderMailer",
    "Mail",
    "Mailer",
    "Outbox",
    "OutboxMessage",
    "OutgoingMessage",
    "RecordingMailer",
    "SmtpMailer",
    "backoff",
]

OUTBOX: Table = OutboxMessageRow.__table__  # type: ignore[assignment]
#: The columns a queued message gives (all but the delivery's own).
QUEUED = (
    "id",
    "created_at",
    "template",
    "locale",
    "to_address",
    "subject",
    "text_body",
    "html_body",
    "headers",
    "dedupe_key",
    "subject_type",
    "subject_id",
    "status",
    "attempts",
    "unknown_outcomes",
    "next_attempt_at",
)
#: One message without a dedupe key: a plain INSERT, sent on the driver's cursor.
_QUEUE_ONE = Prepared(
    insert(OUTBOX).values({name: bindparam(name, type_=OUTBOX.c[name].type) for name in QUEUED})
)
#: ``last_error`` of messages cancelled by a privacy erasure.
ERASED = "erased"


class OutboxMessage(BaseModel):
    id: uuid.UUID
    template: str
    to_address: str
    subject: str
    text_body: str
    html_body: str | None
    headers: dict[str, str]
    status: str
    attempts: int
    created_at: datetime
    sent_at: datetime | None
    last_error: str | None
    dedupe_key: str | None
    #: The library's own links in the message, by name (``participatie.links.PATHS``):
    #: ``{"petition.confirm": "https://.../petitions/confirm/<token>", ...}``, plus
    #: ``"unsubscribe"`` from the List-Unsubscribe header. Empty once a message is erased.
    links: dict[str, str] = {}


class Outbox:
    """The facade's ``outbox`` attribute."""

    def __init__(self, p: Participatie) -> None:
        self._p = p

    @property
    def templates(self) -> Environment:
        return self._p.templates

    def message(self, mail: Mail, *, now: datetime | None = None) -> dict[str, Any]:
        """A message rendered and ready to queue, as :meth:`enqueue` and
        :meth:`enqueue_many` insert it (and a statement that writes the message together
        with its cause).

        Args:
            mail: what to send (the fields of :meth:`enqueue`; ``rendered`` skips
                rendering).
            now: the time of queueing; default the facade's clock.

        Returns:
            dict[str, Any]: the row's values, one per column of the outbox (a new
            message id under ``id``).

        Raises:
            InvalidInput: ``input.invalid``, field ``to``, not an address.
            jinja2.TemplateNotFound: no such template (a programming error).
        """

        if not mail.to or "@" not in mail.to:
            raise InvalidInput(f"cannot send mail to {mail.to!r}", field="to")
        locale = mail.locale or self._p.settings.locale
        rendered = mail.rendered
        if rendered is None:
            ctx = {**self._p.template_globals(), **(mail.context or {})}
            rendered = self._p.render_mail(mail.template, locale, ctx)
        return row_values(mail, locale, rendered, now or self._p.clock.now())

    def enqueue(
        self,
        session: Session,
        *,
        to: str,
        template: str,
        context: dict[str, Any] | None = None,
        locale: str | None = None,
        headers: dict[str, str] | None = None,
        dedupe_key: str | None = None,
        subject_type: str | None = None,
        subject_id: str | uuid.UUID | None = None,
        available_at: datetime | None = None,
    ) -> uuid.UUID | None:
        """Render ``mail/<template>.<locale>.txt`` (+ ``.html`` when present) and queue it.

        With a ``dedupe_key`` already queued, nothing is added and ``None`` is returned:
        the same notice is never sent twice.

        Args:
            session: the transaction of the change that causes the mail (required: the
                mail is sent only if that change commits).
            to: the recipient's address.
            template: the template's name, without language and suffix.
            context: the template's variables (besides the facade's globals).
            locale: ``"nl"`` or ``"en"``; default ``Settings.locale``.
            headers: extra mail headers (``List-Unsubscribe``, say).
            dedupe_key: a key unique among all messages: "never send this twice".
            subject_type: what the mail is about (for privacy erasure), with ``subject_id``.
            subject_id: the id of that subject.
            available_at: not before this moment (UTC); default now.

        Returns:
            uuid.UUID | None: the message's id, or ``None`` when ``dedupe_key`` was queued
            before.

        Raises:
            InvalidInput: ``input.invalid``, field ``to``, not an address.
            jinja2.TemplateNotFound: no such template (a programming error).
        """

        values = self.message(
            Mail(
                to=to,
                template=template,
                context=context,
                locale=locale,
                headers=headers,
                dedupe_key=dedupe_key,
                subject_type=subject_type,
                subject_id=subject_id,
                available_at=available_at,
            )
        )
        if dedupe_key is None:
            # One INSERT on the transaction's connection: no unit of work to flush.
            # A page of mails goes through ``enqueue_many`` (one statement per page).
            _QUEUE_ONE.execute(session, values)
            return values["id"]  # type: ignore[no-any-return]
        # "Never twice": the unique index on dedupe_key decides, also between concurrent
        # transactions, without an error that would spoil the caller's transaction.
        statement = _insert_ignoring_duplicates(session, values)
        if statement is None:
            try:
                with session.begin_nested():
                    session.execute(insert(OUTBOX).values(values))
            except IntegrityError:
                return None
            return values["id"]  # type: ignore[no-any-return]
        inserted: uuid.UUID | None = session.execute(
            statement.returning(OUTBOX.c.id)
        ).scalar_one_or_none()
        return inserted

    def enqueue_many(self, session: Session, mails: Iterable[Mail]) -> list[uuid.UUID | None]:
        """Queue a page of messages in one statement; what ``enqueue`` does for each.

        Inserts go a thousand rows per statement (``INSERT .. ON CONFLICT (dedupe_key) DO
        NOTHING RETURNING id`` on PostgreSQL and SQLite; on MariaDB the known keys are
        read first, see ``outbox.bulk.insert_rows``).

        Args:
            session: the caller's transaction; the messages are queued in it.
            mails: ``participatie.outbox.Mail`` items (to, template, context, locale,
                headers, dedupe_key, subject_type, subject_id, available_at, and
                optionally the text already ``rendered``).

        Returns:
            In order, each message's id, or ``None`` where its ``dedupe_key`` was queued
            before (or earlier in the same page): running the same page twice queues
            nothing twice.

        Raises:
            InvalidInput: ``input.invalid`` (field ``to``) for an address without ``@``,
                before anything is written.
            jinja2.TemplateNotFound: no such template for a mail not yet ``rendered``
                (a programming error).
        """

        now = self._p.clock.now()
        rows = [self.message(mail, now=now) for mail in mails]
        # The caller's pending ORM rows go first, in order.
        session.flush()
        inserted = insert_rows(session, rows)
        return [row["id"] if row["id"] in inserted else None for row in rows]

    # -- delivery -------------------------------------------------------------------

    def deliver(
        self,
        limit: int = 100,
        *,
        mailer: Mailer | None = None,
        now: datetime | None = None,
        stop: threading.Event | None = None,
    ) -> DeliveryReport:
        """Claim up to ``limit`` due messages and send them one by one.

        Each message's outcome is committed before the next is sent, in the same
        transaction that checks the claim still holds the next one (and renews the
        lease). With ``stop`` set, the batch ends after the message in hand and the
        rest is released for other deliverers at once.

        Args:
            limit: at most this many messages.
            mailer: send with this mailer instead of the facade's.
            now: the moment to act at (default: the facade's clock).
            stop: set it (from another thread or a signal handler) to end the batch.

        Returns:
            DeliveryReport: claimed, sent, retried, failed and released messages, and in
            ``unavailable`` why the mail server could not be reached at all.

        Raises:
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
            A mail server that cannot be reached is reported, not raised.
        """

        with database_errors():  # what the batch's own repeats could not get through
            return Delivery(self._p, mailer or self._p.mailer, stop).run(limit, now)

    def work(
        self,
        *,
        stop: threading.Event,
        batch: int = 100,
        idle_seconds: float = 5.0,
        mailer: Mailer | None = None,
        on_report: Callable[[DeliveryReport], None] | None = None,
    ) -> DeliveryReport:
        """Deliver until ``stop`` is set; sleeps ``idle_seconds`` when nothing is due.

        ``on_report`` sees each batch's report (the CLI uses it to say when the mail
        server cannot be reached).

        Args:
            stop: set it to end after the message in hand.
            batch: messages claimed at a time.
            idle_seconds: the pause when nothing is due or the server is unreachable.
            mailer: send with this mailer instead of the facade's.
            on_report: called with each batch's report.

        Returns:
            DeliveryReport: the totals over all batches.

        Raises:
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        total = DeliveryReport()
        while not stop.is_set():
            report = self.deliver(batch, mailer=mailer, stop=stop)
            total.add(report)
            if on_report is not None:
                on_report(report)
            if report.claimed < batch or report.unavailable is not None:
                stop.wait(idle_seconds)
        return total

    def unavailable(self, *, session: Session | None = None) -> tuple[int, str | None]:
        """Messages held back because the mail server could not be reached, and why.

        Args:
            session: the host's SQLAlchemy session to read in; without it, one of its own.

        Returns:
            tuple[int, str | None]: the number held back and the newest reason.

        Raises:
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        with self._p.unit_of_work(session, readonly=True) as s:
            held = OutboxMessageRow.last_error.startswith(UNAVAILABLE_PREFIX)
            where = (OutboxMessageRow.status == PENDING) & held
            count = s.execute(select(func.count()).where(where)).scalar_one()
            reason = s.execute(
                select(OutboxMessageRow.last_error)
                .where(where)
                .order_by(OutboxMessageRow.next_attempt_at.desc())
                .limit(1)
            ).scalar_one_or_none()
        if reason is not None:
            reason = reason.removeprefix(UNAVAILABLE_PREFIX)
        return int(count), reason

    # -- inspection -----------------------------------------------------------------

    def counts(self, *, session: Session | None = None) -> dict[str, int]:
        """Messages per status.

        Args:
            session: the host's SQLAlchemy session to read in; without it, one of its own.

        Returns:
            dict[str, int]: ``pending``, ``sending``, ``sent`` and ``failed`` (0 when none).

        Raises:
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        with self._p.unit_of_work(session, readonly=True) as s:
            rows = s.execute(
                select(OutboxMessageRow.status, func.count()).group_by(OutboxMessageRow.status)
            ).all()
        counts = {PENDING: 0, SENDING: 0, SENT: 0, FAILED: 0}
        counts.update({status: int(n) for status, n in rows})
        return counts

    def messages(
        self,
        *,
        status: str | None = None,
        to: str | None = None,
        template: str | None = None,
        session: Session | None = None,
    ) -> list[OutboxMessage]:
        """The messages, oldest first, with their template and the links they contain.

        Args:
            status: only ``pending``, ``sending``, ``sent`` or ``failed``.
            to: only to this address (as stored).
            template: only of this template.
            session: the host's SQLAlchemy session to read in; without it, one of its own.

        Returns:
            list[OutboxMessage]: each with ``links`` by name (``participatie.links``).

        Raises:
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        with self._p.unit_of_work(session, readonly=True) as s:
            query = select(OutboxMessageRow).order_by(
                OutboxMessageRow.created_at, OutboxMessageRow.id
            )
            if status is not None:
                query = query.where(OutboxMessageRow.status == status)
            if to is not None:
                query = query.where(OutboxMessageRow.to_address == to)
            if template is not None:
                query = query.where(OutboxMessageRow.template == template)
            base = self._p.settings.public_base_url
            return [_to_message(row, base) for row in s.execute(query).scalars()]

    def erase(
        self,
        session: Session,
        *,
        subject_type: str,
        subject_ids: list[str] | list[uuid.UUID],
    ) -> int:
        """Remove personal data from the messages about these subjects (privacy erasure).

        Addresses and bodies are blanked; what stays is that a message of a template was
        sent when, so statistics and the "never twice" keys still hold. Messages not yet
        sent are cancelled (marked failed with the reason "erased").

        Args:
            session: the transaction of the erasure (required).
            subject_type: the kind of subject the messages were queued about.
            subject_ids: the subjects' ids.

        Returns:
            int: the number of messages blanked.

        Raises:
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        ids = [str(i) for i in subject_ids]
        total = 0
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            where = (OutboxMessageRow.subject_type == subject_type) & (
                OutboxMessageRow.subject_id.in_(chunk)
            )
            total += _erase_where(session, where)
        return total

    def erasable(
        self, session: Session, *, subject_type: str, subject_ids: list[str] | list[uuid.UUID]
    ) -> list[uuid.UUID]:
        """The ids of the messages about these subjects that :meth:`erase` would still
        change (an address not yet blanked), for erasing them in steps
        (:meth:`erase_messages`, a transaction per step).

        Args:
            session: the transaction to read in.
            subject_type: the kind of subject the messages were queued about.
            subject_ids: the subjects' ids.

        Returns:
            list[uuid.UUID]: the messages' ids, in no particular order.

        Raises:
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached.
        """

        ids = [str(i) for i in subject_ids]
        found: list[uuid.UUID] = []
        for start in range(0, len(ids), 500):
            found += session.execute(
                select(OutboxMessageRow.id).where(
                    OutboxMessageRow.subject_type == subject_type,
                    OutboxMessageRow.subject_id.in_(ids[start : start + 500]),
                    OutboxMessageRow.to_address.not_in(ERASED_ADDRESSES),
                )
            ).scalars()
        return found

    def erase_messages(self, session: Session, message_ids: list[uuid.UUID]) -> int:
        """:meth:`erase` for these messages (at most 500, a step's worth).

        Args:
            session: the transaction of the erasure.
            message_ids: the messages' ids (from :meth:`erasable`).

        Returns:
            int: the number of messages blanked.

        Raises:
            InvalidInput: ``input.invalid`` (field ``message_ids``), more than 500 ids.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        if len(message_ids) > 500:
            raise InvalidInput("erase at most 500 messages per call", field="message_ids")
        if not message_ids:
            return 0
        return _erase_where(session, OutboxMessageRow.id.in_(message_ids))

    def retry_failed(self, *, session: Session | None = None) -> int:
        """Put failed messages back in the queue (after fixing the mail settings, say).
        Erased and expired messages stay failed: they have no address left.

        Args:
            session: the host's SQLAlchemy session to work in (the library only
                flushes); without it the call commits on its own.

        Returns:
            int: the number of messages queued again.

        Raises:
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        with self._p.unit_of_work(session) as s:
            result = s.execute(
                update(OutboxMessageRow)
                .where(
                    OutboxMessageRow.status == FAILED,
                    # Erased or expired messages have no address left and never go out.
                    OutboxMessageRow.to_address.not_in(ERASED_ADDRESSES),
                    or_(
                        OutboxMessageRow.last_error.is_(None),
                        OutboxMessageRow.last_error.not_in(OWN_ERRORS),
                    ),
                )
                .values(
                    status=PENDING,
                    attempts=0,
                    unknown_outcomes=0,
                    next_attempt_at=self._p.clock.now(),
                )
            )
            return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _insert_ignoring_duplicates(session: Session, values: dict[str, Any]) -> Any | None:
    table = OUTBOX
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).values(values).on_conflict_do_nothing(index_elements=["dedupe_key"])
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return (
            sqlite_insert(table)
            .values(values)
            .on_conflict_do_nothing(index_elements=["dedupe_key"])
        )
    # MariaDB/MySQL: INSERT IGNORE would also turn other errors into warnings, and
    # ON DUPLICATE KEY reports "found" rows as affected; a savepoint is the honest way.
    return None


def _to_message(row: OutboxMessageRow, base_url: str) -> OutboxMessage:
    headers = json.loads(row.headers or "{}")
    links = find_links(row.text_body or "", base_url)
    unsubscribe = re.search(r"<(https?://[^>]+)>", headers.get("List-Unsubscribe", ""))
    if unsubscribe:
        links["unsubscribe"] = unsubscribe.group(1)
    return OutboxMessage(
        id=row.id,
        template=row.template,
        to_address=row.to_address,
        subject=row.subject,
        text_body=row.text_body,
        html_body=row.html_body,
        headers=headers,
        status=row.status,
        attempts=row.attempts,
        created_at=row.created_at,
        sent_at=row.sent_at,
        last_error=row.last_error,
        dedupe_key=row.dedupe_key,
        links=links,
    )
