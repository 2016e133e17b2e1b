"""Helpers for tests, the library's own and host applications': temporary databases per
dialect, a facade with a fixed clock, and a loopback SMTP server (aiosmtpd, test extra).
"""

from __future__ import annotations

import os
import secrets
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from participatie.clock import FixedClock
from participatie.config import Settings
from participatie.db import metadata
from participatie.engine import Participatie
from participatie.outbox.mailers import Mailer, RecordingMailer

TEST_SECRET = "test-secret-key-that-is-long-enough"  # noqa: S105
#: A fixed, ordinary moment: Tuesday 3 March 2026, 09:00 in Groningen.
TEST_START = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)


@contextmanager
def temporary_database(base_url: str, *, prefix: str = "participatie_t") -> Iterator[str]:
    """Create a fresh database next to ``base_url`` (PostgreSQL or MariaDB), drop it after."""

    url = make_url(base_url)
    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(3)}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    backend = url.get_backend_name()
    quote = '"' if backend == "postgresql" else "`"
    with admin.connect() as conn:
        if backend == "mysql" or backend == "mariadb":
            conn.execute(
                text(
                    f"CREATE DATABASE {quote}{name}{quote} "
                    "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
                )
            )
        else:
            conn.execute(text(f"CREATE DATABASE {quote}{name}{quote}"))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            if backend == "postgresql":
                conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = :name AND pid <> pg_backend_pid()"
                    ),
                    {"name": name},
                )
            conn.execute(text(f"DROP DATABASE IF EXISTS {quote}{name}{quote}"))
        admin.dispose()


def reset_database(engine: Engine) -> None:
    """Delete every row of the library's tables (children first)."""

    with engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())


def make_participatie(
    database_url: str,
    *,
    engine: Engine | None = None,
    clock: FixedClock | None = None,
    mailer: Mailer | None = None,
    **settings: Any,
) -> Participatie:
    """A facade for tests: a fixed clock at ``TEST_START`` and a recording mailer."""

    options: dict[str, Any] = {
        "database_url": database_url,
        "secret_keys": [TEST_SECRET],
        "public_base_url": "https://participatie.example.nl",
        "sqlite_synchronous": "NORMAL",
    }
    options.update(settings)
    return Participatie(
        Settings.load(**options),
        engine=engine,
        clock=clock or FixedClock(TEST_START),
        mailer=mailer or RecordingMailer(),
    )


def last_links(p: Participatie, to: str, *, template: str | None = None) -> dict[str, str]:
    """The links of the newest queued or sent mail to ``to`` (optionally of one
    ``template``), by name: ``{"petition.confirm": url, "petition.withdraw": url, ...}``.

    Raises:
        LookupError: no mail to ``to`` (of that template) is in the outbox.
    """

    messages = p.outbox.messages(to=to, template=template)
    if not messages:
        raise LookupError(f"no mail to {to!r} in the outbox")
    return messages[-1].links


def link_token(p: Participatie, to: str, name: str) -> str:
    """The token of the newest link named ``name`` (a name of ``participatie.links.PATHS``,
    such as ``"subscription.confirm"``) in a mail to ``to``: what a resident's click on
    that link hands to the library.

    Raises:
        LookupError: no mail to ``to`` holds such a link.
    """

    from participatie.links import link_params

    for message in reversed(p.outbox.messages(to=to)):
        if name in message.links:
            return link_params(name, message.links[name], p.settings.public_base_url)["token"]
    raise LookupError(f"no mail to {to!r} holds a {name!r} link")


def confirmation_token(p: Participatie, to: str) -> str:
    """The token of the newest signature confirmation link mailed to ``to``
    (for ``p.petitions.confirm``). Raises LookupError when there is none."""

    return link_token(p, to, "petition.confirm")


def withdraw_token(p: Participatie, to: str) -> str:
    """The token of the newest withdraw link mailed to ``to`` (for
    ``p.petitions.withdraw_signature``). Raises LookupError when there is none."""

    return link_token(p, to, "petition.withdraw")


def voting_token(p: Participatie, to: str) -> str:
    """The token of the newest voting link mailed to ``to`` (an e-mail-eligible poll).
    Raises LookupError when there is none."""

    return link_token(p, to, "poll.email")


def creator_token(p: Participatie, to: str) -> str:
    """The token of the newest link a petition's creator got to confirm their address."""

    return link_token(p, to, "petition.creator")


def privacy_token(p: Participatie, to: str) -> str:
    """The token of the newest link to a resident's stored data mailed to ``to`` (for
    ``p.petitions.personal_data_from_link`` and ``erase_from_link``). Raises LookupError
    when there is none."""

    return link_token(p, to, "privacy.request")


@dataclass
class SmtpSink:
    """What a loopback SMTP server received."""

    host: str
    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    #: The bytes of each accepted message as they came over the wire.
    raw: list[bytes] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    #: Reply with 451 to the next N messages (a server that fails, then recovers).
    fail_next: int = 0
    #: Reply with 550 to these recipients.
    reject: set[str] = field(default_factory=set)
    #: Take the message from these recipients, then drop the connection before the
    #: reply (the client cannot know the message arrived).
    drop_after_data: set[str] = field(default_factory=set)
    #: Seconds to wait before answering each message (a slow relay).
    delay: float = 0.0
    #: Envelope of each accepted message: (MAIL FROM, RCPT TO list, MAIL options).
    envelopes: list[tuple[str, list[str], list[str]]] = field(default_factory=list)

    def ids(self) -> list[str]:
        with self.lock:
            return [str(m["X-Participatie-Id"]) for m in self.messages]

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [m for m in self.messages if str(m["To"]) == address]


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now."""

    import socket

    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@contextmanager
def smtp_server(
    host: str = "127.0.0.1",
    *,
    starttls_context: ssl.SSLContext | None = None,
    ssl_context: ssl.SSLContext | None = None,
    smtputf8: bool = True,
    auth: bool = False,
) -> Iterator[SmtpSink]:
    """A real SMTP server on loopback (aiosmtpd) collecting every message it accepts.

    ``starttls_context`` makes it offer (and require) STARTTLS; ``ssl_context`` makes it
    speak implicit TLS from the first byte. ``smtputf8=False`` makes a server without the
    SMTPUTF8 extension; ``auth=True`` one that offers AUTH and takes any login.
    """

    import asyncio

    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    sink = SmtpSink(host=host, port=0)

    class Handler:
        async def handle_RCPT(
            self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
        ) -> str:
            if address in sink.reject:
                return "550 5.1.1 mailbox unavailable"
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            if sink.delay:
                await asyncio.sleep(sink.delay)
            with sink.lock:
                if sink.fail_next > 0:
                    sink.fail_next -= 1
                    return "451 4.3.0 try again later"
                parsed = message_from_bytes(envelope.content, policy=policy.default)
                assert isinstance(parsed, EmailMessage)
                sink.messages.append(parsed)
                sink.raw.append(bytes(envelope.original_content or envelope.content))
                sink.envelopes.append(
                    (envelope.mail_from, list(envelope.rcpt_tos), list(envelope.mail_options))
                )
                drop = sink.drop_after_data.intersection(envelope.rcpt_tos)
            if drop:
                server.transport.abort()
            return "250 Message accepted"

    sink.port = free_port(host)
    options: dict[str, Any] = {"enable_SMTPUTF8": smtputf8}
    if auth:
        options.update(
            auth_require_tls=False,
            authenticator=lambda *args: AuthResult(success=True),
        )
    if starttls_context is not None:
        options.update(tls_context=starttls_context, require_starttls=True)
    if ssl_context is not None:
        options.update(ssl_context=ssl_context)
    controller = Controller(Handler(), hostname=host, port=sink.port, **options)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


__all__ = [
    "TEST_SECRET",
    "TEST_START",
    "SmtpSink",
    "confirmation_token",
    "creator_token",
    "free_port",
    "last_links",
    "link_token",
    "make_participatie",
    "privacy_token",
    "reset_database",
    "smtp_server",
    "temporary_database",
    "voting_token",
    "withdraw_token",
]
