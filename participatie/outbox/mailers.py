"""Mailers: the ``Mailer`` protocol, an SMTP mailer and a folder mailer for local trials.

A mailer raises ``TransientDeliveryError`` (retry later) or ``PermanentDeliveryError``.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from pathlib import Path
from types import TracebackType
from typing import Protocol, Self

from participatie.config import SmtpSettings
from participatie.errors import PermanentDeliveryError, TransientDeliveryError
from participatie.exports.files import write_private_bytes


@dataclass(frozen=True)
class OutgoingMessage:
    id: str
    to: str
    subject: str
    text: str
    html: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


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


def build_email(
    message: OutgoingMessage, from_address: str, from_name: str | None = None
) -> EmailMessage:
    email = EmailMessage()
    email["From"] = formataddr((from_name, from_address)) if from_name else from_address
    email["To"] = message.to
    email["Subject"] = message.subject
    domain = from_address.rpartition("@")[2] or "participatie"
    email["Message-ID"] = f"<{message.id}@{domain}>"
    email["X-Participatie-Id"] = message.id
    for name, value in message.headers.items():
        email[name] = value
    email.set_content(message.text)
    if message.html:
        email.add_alternative(message.html, subtype="html")
    return email


class SmtpMailer:
    """SMTP with connection reuse within a batch, STARTTLS or implicit TLS."""

    def __init__(self, settings: SmtpSettings, *, from_name: str | None = None) -> None:
        self.settings = settings
        self.from_name = from_name
        self._conn: smtplib.SMTP | None = None
        #: Connections opened so far (one per batch when the server keeps it open).
        self.connections = 0

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
        try:
            conn: smtplib.SMTP
            if s.security == "ssl":
                conn = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=self._tls())
            else:
                conn = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
                if s.security == "starttls":
                    conn.starttls(context=self._tls())
            if s.username:
                password = s.password.get_secret_value() if s.password else ""
                conn.login(s.username, password)
        except smtplib.SMTPAuthenticationError as exc:
            raise PermanentDeliveryError(f"SMTP login refused: {exc.smtp_code}") from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise TransientDeliveryError(
                f"cannot reach SMTP server {s.host}:{s.port}: {exc}"
            ) from exc
        self.connections += 1
        return conn

    def _tls(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.settings.ca_file)

    def send(self, message: OutgoingMessage) -> None:
        email = build_email(message, self.settings.from_address, self.from_name)
        for attempt in (1, 2):
            if self._conn is None:
                self._conn = self._connect()
            try:
                refused = self._conn.send_message(email)
            except smtplib.SMTPServerDisconnected as exc:
                # A reused connection the server closed meanwhile: reconnect once.
                self._conn = None
                if attempt == 2:
                    raise TransientDeliveryError(f"SMTP server disconnected: {exc}") from exc
                continue
            except smtplib.SMTPRecipientsRefused as exc:
                codes = [code for code, _ in exc.recipients.values()]
                self._reset()
                raise _classify(min(codes), str(exc.recipients)) from exc
            except smtplib.SMTPResponseException as exc:
                self._reset()
                error = exc.smtp_error
                text = error.decode(errors="replace") if isinstance(error, bytes) else str(error)
                raise _classify(exc.smtp_code, text) from exc
            except (OSError, smtplib.SMTPException) as exc:
                self._conn = None
                raise TransientDeliveryError(f"SMTP error: {exc}") from exc
            if refused:
                code = min(code for code, _ in refused.values())
                raise _classify(code, str(refused))
            return

    def _reset(self) -> None:
        if self._conn is None:
            return
        try:
            self._conn.rset()
        except (OSError, smtplib.SMTPException):
            self._conn.close()
            self._conn = None


def _classify(code: int, text: str) -> TransientDeliveryError | PermanentDeliveryError:
    if 400 <= code < 500:
        return TransientDeliveryError(f"SMTP {code}: {text}", smtp_code=code)
    return PermanentDeliveryError(f"SMTP {code}: {text}", smtp_code=code)


class FolderMailer:
    """Writes each message as an ``.eml`` file into a folder (for demos and local trials)."""

    def __init__(
        self, folder: str | os.PathLike[str], *, from_address: str = "participatie@localhost"
    ) -> None:
        self.folder = Path(folder)
        self.from_address = from_address

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
        email = build_email(message, self.from_address)
        email["Date"] = format_datetime(datetime.now(UTC))
        target = self.folder / f"{message.id}.eml"
        tmp = target.with_suffix(".tmp")
        write_private_bytes(tmp, bytes(email))
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
