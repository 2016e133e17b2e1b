"""The SMTP mailer against a real server speaking STARTTLS and implicit TLS."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest

from participatie import MailServerUnavailable, SmtpSettings
from participatie.outbox.mailers import OutgoingMessage, SmtpMailer
from participatie.testing import free_port, smtp_server

trustme = pytest.importorskip("trustme")


@pytest.fixture(scope="module")
def ca() -> object:
    return trustme.CA()


@pytest.fixture
def server_context(ca: object) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)  # type: ignore[attr-defined]
    return context


@pytest.fixture
def ca_file(ca: object, tmp_path: Path) -> str:
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))  # type: ignore[attr-defined]
    return str(path)


def _message(i: int) -> OutgoingMessage:
    return OutgoingMessage(id=f"m{i}", to=f"r{i}@example.nl", subject=f"S{i}", text="tekst")


def test_starttls_with_trusted_ca(server_context: ssl.SSLContext, ca_file: str) -> None:
    with smtp_server(starttls_context=server_context) as sink:
        settings = SmtpSettings(
            host=sink.host, port=sink.port, security="starttls", ca_file=ca_file
        )
        with SmtpMailer(settings) as mailer:
            for i in range(3):
                mailer.send(_message(i))
        assert len(sink.messages) == 3
        assert mailer.connections == 1  # one connection served the whole batch


def test_plain_connection_refused_by_server_requiring_starttls(
    server_context: ssl.SSLContext,
) -> None:
    with smtp_server(starttls_context=server_context) as sink:
        settings = SmtpSettings(host=sink.host, port=sink.port, security="none")
        with (
            SmtpMailer(settings) as mailer,
            pytest.raises(MailServerUnavailable, match=r"530.*STARTTLS"),
        ):
            mailer.send(_message(0))
        assert sink.messages == []


def test_untrusted_certificate_is_not_accepted(server_context: ssl.SSLContext) -> None:
    with smtp_server(starttls_context=server_context) as sink:
        settings = SmtpSettings(host=sink.host, port=sink.port, security="starttls")
        with (
            SmtpMailer(settings) as mailer,
            pytest.raises(MailServerUnavailable, match=r"TLS.*certificate"),
        ):
            mailer.send(_message(0))
        assert sink.messages == []


def test_implicit_tls(server_context: ssl.SSLContext, ca_file: str) -> None:
    with smtp_server(ssl_context=server_context) as sink:
        settings = SmtpSettings(host=sink.host, port=sink.port, security="ssl", ca_file=ca_file)
        with SmtpMailer(settings) as mailer:
            mailer.send(_message(0))
            mailer.send(_message(1))
        assert [str(m["To"]) for m in sink.messages] == ["r0@example.nl", "r1@example.nl"]
        assert mailer.connections == 1


def test_implicit_tls_against_a_plain_server_is_a_configuration_error() -> None:
    with smtp_server() as sink:
        settings = SmtpSettings(host=sink.host, port=sink.port, security="ssl", timeout=3)
        with SmtpMailer(settings) as mailer, pytest.raises(MailServerUnavailable, match="TLS"):
            mailer.send(_message(0))


def test_login_against_a_server_without_auth_is_a_configuration_error() -> None:
    with smtp_server() as sink:
        settings = SmtpSettings(host=sink.host, port=sink.port, username="u", password="p")
        with (
            SmtpMailer(settings) as mailer,
            pytest.raises(MailServerUnavailable, match=r"does not offer login \(AUTH\)"),
        ):
            mailer.send(_message(0))
        assert sink.messages == []


def test_login_against_a_server_with_auth_works() -> None:
    with smtp_server(auth=True) as sink:
        settings = SmtpSettings(host=sink.host, port=sink.port, username="u", password="p")
        with SmtpMailer(settings) as mailer:
            mailer.send(_message(0))
        assert len(sink.messages) == 1


def test_closed_port_is_a_configuration_error() -> None:
    settings = SmtpSettings(host="127.0.0.1", port=free_port(), timeout=2)
    with SmtpMailer(settings) as mailer, pytest.raises(MailServerUnavailable, match="refused"):
        mailer.send(_message(0))
