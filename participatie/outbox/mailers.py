"""Mailers: the ``Mailer`` protocol, an SMTP mailer and a folder mailer for local trials.

A mailer raises ``TransientDeliveryError`` (retry later) or ``PermanentDeliveryError``.
"""

from __future__ import annotations

import contextlib
import os
import re
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from types import TracebackType
from typing import Protocol, Self

from participatie.config import SmtpSettings
from participatie.errors import (
    DeliveryOutcomeUnknown,
    MailServerUnavailable,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from participatie.exports.files import write_private_bytes

#: Lines up to RFC 5322's hard limit: a long List-Unsubscribe URL stays one plain ASCII
#: line instead of being folded into RFC 2047 encoded-words.
ASCII_POLICY = policy.SMTP.clone(max_line_length=998)
#: The same for servers that speak SMTPUTF8: addresses and headers as raw UTF-8.
UTF8_POLICY = ASCII_POLICY.clone(utf8=True)
#: ``.eml`` files: the same headers with the platform's plain line ends.
FILE_POLICY = policy.default.clone(max_line_length=998)

#: Replies to MAIL FROM that mean the connection's settings are wrong, not the message:
#: 530 (STARTTLS or login required), 534/535/538 (login mechanism or credentials).
CONFIGURATION_CODES = frozenset({530, 534, 535, 538})


@dataclass(frozen=True)
class OutgoingMessage:
    id: str
    to: str
    subject: str
    text: str
    html: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    #: When the message was composed (the ``Date`` header); a resend keeps it.
    date: datetime | None = None


class Mailer(Protocol):
    """Sends messages; used as a context manager so a connection serves a batch."""

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def send(self, message: OutgoingMessage) -> None: ...


@dataclass(frozen=True)
class Sender:
    """Who a message is from: address, display name and an optional Reply-To."""

    address: str
    name: str | None = None
    reply_to: str | None = None

    @classmethod
    def from_settings(cls, settings: SmtpSettings, organisation: str | None = None) -> Sender:
        return cls(settings.from_address, settings.from_name or organisation, settings.reply_to)


def ascii_address(address: str) -> str:
    """``jan@bücher.example`` -> ``jan@xn--bcher-kva.example`` (IDNA for the domain).

    The local part is kept; it is ASCII for every address the library accepts as input.
    """

    local, _, domain = address.rpartition("@")
    if domain.isascii():
        return address
    try:
        return f"{local}@{domain.encode('idna').decode('ascii')}"
    except UnicodeError as exc:
        raise PermanentDeliveryError(f"domain of {address!r} is not a valid IDN: {exc}") from exc


def message_id(message: OutgoingMessage, from_address: str) -> str:
    """A stable ``Message-ID`` from the outbox row's id: a resend carries the same one."""

    domain = ascii_address(from_address).rpartition("@")[2] or "participatie"
    return f"<{message.id}@{domain}>"


def build_email(
    message: OutgoingMessage,
    sender: Sender | str,
    from_name: str | None = None,
    *,
    utf8: bool = False,
) -> EmailMessage:
    """The MIME message: ``utf8`` for a server with SMTPUTF8, otherwise all ASCII."""

    if isinstance(sender, str):
        sender = Sender(sender, from_name)
    email = EmailMessage(policy=UTF8_POLICY if utf8 else ASCII_POLICY)
    email["Date"] = format_datetime((message.date or datetime.now(UTC)).astimezone(UTC))
    email["Message-ID"] = message_id(message, sender.address)
    email["From"] = _address_header(sender.address, sender.name, utf8)
    email["To"] = _address_header(message.to, None, utf8)
    if sender.reply_to:
        email["Reply-To"] = _address_header(sender.reply_to, None, utf8)
    email["Subject"] = message.subject
    # RFC 3834: tells auto-responders (out-of-office) not to answer.
    email["Auto-Submitted"] = "auto-generated"
    email["X-Participatie-Id"] = message.id
    for name, value in message.headers.items():
        del email[name]
        email[name] = value
    email.set_content(message.text)
    if message.html:
        email.add_alternative(message.html, subtype="html")
    return email


def _address_header(address: str, name: str | None, utf8: bool) -> Address:
    written = address if utf8 else ascii_address(address)
    local, _, domain = written.rpartition("@")
    return Address(display_name=name or "", username=local, domain=domain)


class SmtpMailer:
    """SMTP with connection reuse within a batch, STARTTLS or implicit TLS.

    A message is resent at once only when the server cannot have accepted it (the
    connection broke before the message body was handed over). A break after that is
    ``DeliveryOutcomeUnknown``; the outbox retries it after the normal backoff.
    """

    def __init__(self, settings: SmtpSettings, *, from_name: str | None = None) -> None:
        self.settings = settings
        self.sender = Sender.from_settings(settings, from_name)
        self._conn: smtplib.SMTP | None = None
        #: Connections opened so far (one per batch when the server keeps it open).
        self.connections = 0

    @property
    def max_send_seconds(self) -> float:
        """How long one message may take: connect and greet, hand over, wait for the reply."""

        return self.settings.timeout * 3

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.quit()
            except (smtplib.SMTPException, OSError):
                self._conn.close()
            self._conn = None

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        where = f"{s.host}:{s.port}"
        conn: smtplib.SMTP | None = None
        try:
            if s.security == "ssl":
                conn = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=self._tls())
            else:
                conn = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
                if s.security == "starttls":
                    conn.starttls(context=self._tls())
            conn.ehlo_or_helo_if_needed()
            if s.username:
                password = s.password.get_secret_value() if s.password else ""
                conn.login(s.username, password)
        except smtplib.SMTPAuthenticationError as exc:
            _close_quietly(conn)
            raise MailServerUnavailable(
                f"SMTP login at {where} refused ({exc.smtp_code}): check username and password",
                reason="auth",
            ) from exc
        except smtplib.SMTPNotSupportedError as exc:
            _close_quietly(conn)
            what = "login (AUTH)" if s.username else "STARTTLS"
            raise MailServerUnavailable(
                f"SMTP server {where} does not offer {what}: {exc}", reason="settings"
            ) from exc
        except ssl.SSLError as exc:
            _close_quietly(conn)
            raise MailServerUnavailable(
                f"TLS with SMTP server {where} failed (security={s.security!r}): {exc}",
                reason="tls",
            ) from exc
        except ConnectionRefusedError as exc:
            raise MailServerUnavailable(
                f"cannot reach SMTP server {where}: connection refused", reason="refused"
            ) from exc
        except (OSError, smtplib.SMTPException) as exc:
            _close_quietly(conn)
            raise MailServerUnavailable(
                f"cannot reach SMTP server {where}: {exc}", reason="unreachable"
            ) from exc
        self.connections += 1
        return conn

    def _tls(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.settings.ca_file)

    def send(self, message: OutgoingMessage) -> None:
        self.send_fenced(message, None)

    def send_fenced(self, message: OutgoingMessage, fence: Callable[[], bool] | None) -> bool:
        """Send ``message``; ``fence`` is asked after the server said go ahead (354) and
        before the message is handed over. When it answers False the connection is
        dropped (the server discards the unfinished message) and False is returned.

        The outbox uses it to run its claim check while the envelope is on the wire.
        """

        for attempt in (1, 2):
            fresh = self._conn is None
            if self._conn is None:
                self._conn = self._connect()
            try:
                return self._transaction(self._conn, message, fence)
            except _BrokeBeforeData as exc:
                # Nothing was handed over: a reused connection the server had closed
                # meanwhile. Reconnect once and send; a fresh connection failing is real.
                self._conn = None
                if fresh or attempt == 2:
                    raise TransientDeliveryError(f"SMTP connection lost: {exc}") from exc
        raise AssertionError("unreachable")

    def _transaction(
        self, conn: smtplib.SMTP, message: OutgoingMessage, fence: Callable[[], bool] | None
    ) -> bool:
        recipient = message.to
        needs_utf8 = not recipient.rpartition("@")[0].isascii()
        utf8 = conn.has_extn("smtputf8") and not recipient.isascii()
        if needs_utf8 and not utf8:
            raise PermanentDeliveryError(
                f"{recipient!r} has a non-ASCII local part and the server lacks SMTPUTF8"
            )
        envelope_to = recipient if utf8 else ascii_address(recipient)
        email = build_email(message, self.sender, utf8=utf8)
        options = ["SMTPUTF8", "BODY=8BITMIME"] if utf8 else []
        data = email.as_bytes(policy=email.policy)
        # Until the body is written nothing can have been accepted: a broken connection
        # there is safe to retry at once (``_BrokeBeforeData``).
        try:
            code, reply = conn.mail(ascii_address(self.sender.address), options)
            if code != 250:
                self._reset()
                if code in CONFIGURATION_CODES:
                    raise MailServerUnavailable(
                        f"SMTP server refused the sender ({code} {_text(reply)}): "
                        "check security (STARTTLS) and login settings",
                        reason="settings",
                    )
                raise _classify(code, _text(reply))
            code, reply = conn.rcpt(envelope_to)
            if code not in (250, 251):
                self._reset()
                raise _classify(code, f"{envelope_to}: {_text(reply)}")
            code, reply = conn.docmd("DATA")
            if code != 354:
                self._reset()
                raise _classify(code, _text(reply))
        except smtplib.SMTPServerDisconnected as exc:
            raise _BrokeBeforeData(str(exc)) from exc
        except OSError as exc:
            self._drop()
            raise TransientDeliveryError(f"SMTP error before the message was sent: {exc}") from exc
        if fence is not None and not fence():
            self._drop()
            return False
        try:
            conn.send(_dot_stuff(data) + b".\r\n")
            code, reply = conn.getreply()
        except (OSError, smtplib.SMTPServerDisconnected) as exc:
            self._drop()
            raise DeliveryOutcomeUnknown(
                f"connection broke after the message was sent, before the server's reply: {exc}"
            ) from exc
        if code != 250:
            raise _classify(code, _text(reply))
        return True

    def _drop(self) -> None:
        _close_quietly(self._conn)
        self._conn = None

    def _reset(self) -> None:
        if self._conn is None:
            return
        try:
            self._conn.rset()
        except (OSError, smtplib.SMTPException):
            self._drop()


class _BrokeBeforeData(Exception):
    pass


_LEADING_DOT = re.compile(rb"(?m)^\.")


def _dot_stuff(data: bytes) -> bytes:
    data = _LEADING_DOT.sub(b"..", data)
    return data if data.endswith(b"\r\n") else data + b"\r\n"


def _text(reply: bytes | str) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)


def _close_quietly(conn: smtplib.SMTP | None) -> None:
    if conn is not None:
        with contextlib.suppress(OSError):
            conn.close()


def _classify(code: int, text: str) -> TransientDeliveryError | PermanentDeliveryError:
    if 400 <= code < 500 or code == -1:
        return TransientDeliveryError(f"SMTP {code}: {text}", smtp_code=code)
    return PermanentDeliveryError(f"SMTP {code}: {text}", smtp_code=code)


class FolderMailer:
    """Writes each message as an ``.eml`` file into a folder (for demos and local trials)."""

    def __init__(
        self,
        folder: str | os.PathLike[str],
        *,
        from_address: str = "participatie@localhost",
        from_name: str | None = None,
        reply_to: str | None = None,
    ) -> None:
        self.folder = Path(folder)
        self.sender = Sender(from_address, from_name, reply_to)

    @property
    def from_address(self) -> str:
        return self.sender.address

    def __enter__(self) -> Self:
        self.folder.mkdir(parents=True, exist_ok=True)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    def send(self, message: OutgoingMessage) -> None:
        email = build_email(message, self.sender)
        target = self.folder / f"{message.id}.eml"
        tmp = target.with_suffix(".tmp")
        write_private_bytes(tmp, email.as_bytes(policy=FILE_POLICY))
        os.replace(tmp, target)


class RecordingMailer:
    """Keeps sent messages in memory: for host applications' own tests."""

    def __init__(self) -> None:
        self.sent: list[OutgoingMessage] = []

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    def send(self, message: OutgoingMessage) -> None:
        self.sent.append(message)


__all__ = [
    "ASCII_POLICY",
    "CONFIGURATION_CODES",
    "FILE_POLICY",
    "UTF8_POLICY",
    "FolderMailer",
    "Mailer",
    "OutgoingMessage",
    "RecordingMailer",
    "Sender",
    "SmtpMailer",
    "ascii_address",
    "build_email",
    "message_id",
]
