"""The headers every message carries, checked on what a real SMTP server received and
on the folder mailer's ``.eml`` files, parsed with Python's ``email`` package."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from participatie import ConfigurationError, InvalidEmail, Participatie, Settings, SmtpSettings
from participatie.identity import normalize_email
from participatie.outbox.mailers import FolderMailer, OutgoingMessage, SmtpMailer
from participatie.testing import TEST_SECRET, SmtpSink, smtp_server

UNSUB = (
    "https://participatie.example.nl/petitions/unsubscribe/"
    "eyJzIjoiMDE5MzRmYTItN2RmMy03YjQ0LWE4ZTAtOGM1ZTJmNjE3YjQ0In0.Z1x2Yw.abcdefghijklmnop"
)


def _settings(smtp: SmtpSink, **extra: str) -> SmtpSettings:
    return SmtpSettings(
        host=smtp.host,
        port=smtp.port,
        from_address="noreply@groningen.nl",
        from_name="Gemeente Groningen",
        **extra,
    )


def _enqueue(p: Participatie, to: str, *, unsubscribe: bool) -> str:
    headers = (
        {"List-Unsubscribe": f"<{UNSUB}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
        if unsubscribe
        else None
    )
    with p.unit_of_work() as s:
        message_id = p.outbox.enqueue(
            s,
            to=to,
            template="notice",
            context={"title": "Uw reactie", "message": "Dank u wel"},
            headers=headers,
        )
    assert message_id is not None
    return str(message_id)


def _check_headers(raw: bytes, message_id: str, *, unsubscribe: bool) -> EmailMessage:
    parsed = message_from_bytes(raw, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    head = raw.replace(b"\r\n", b"\n").split(b"\n\n")[0]
    assert b"=?" not in head  # every header here is plain ASCII
    assert parsed["Date"] is not None
    assert parsed["Message-ID"] == f"<{message_id}@groningen.nl>"
    assert parsed["From"].addresses[0].display_name == "Gemeente Groningen"
    assert parsed["From"].addresses[0].addr_spec == "noreply@groningen.nl"
    assert parsed["Auto-Submitted"] == "auto-generated"
    assert parsed.get_body(("plain",)) is not None
    assert parsed.get_body(("html",)) is not None
    if unsubscribe:
        # Plain ASCII, angle-bracketed, on one line: no RFC 2047 encoded-words.
        assert f"List-Unsubscribe: <{UNSUB}>".encode() in raw
        assert parsed["List-Unsubscribe"] == f"<{UNSUB}>"
        assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    else:
        assert parsed["List-Unsubscribe"] is None
        assert parsed["List-Unsubscribe-Post"] is None
    return parsed


def test_headers_on_the_smtp_wire(p: Participatie, smtp: SmtpSink) -> None:
    with_unsub = _enqueue(p, "a@example.nl", unsubscribe=True)
    without = _enqueue(p, "b@example.nl", unsubscribe=False)
    mailer = SmtpMailer(_settings(smtp, reply_to="info@groningen.nl"))
    assert p.outbox.deliver(mailer=mailer).sent == 2
    by_to = {str(m["To"]): raw for m, raw in zip(smtp.messages, smtp.raw, strict=True)}
    parsed = _check_headers(by_to["a@example.nl"], with_unsub, unsubscribe=True)
    assert parsed["Reply-To"] == "info@groningen.nl"
    _check_headers(by_to["b@example.nl"], without, unsubscribe=False)


def test_headers_in_the_folder_mailers_eml(p: Participatie, tmp_path: Path) -> None:
    message_id = _enqueue(p, "a@example.nl", unsubscribe=True)
    mailer = FolderMailer(
        tmp_path, from_address="noreply@groningen.nl", from_name="Gemeente Groningen"
    )
    assert p.outbox.deliver(mailer=mailer).sent == 1
    raw = (tmp_path / f"{message_id}.eml").read_bytes()
    parsed = _check_headers(raw, message_id, unsubscribe=True)
    assert parsed["Reply-To"] is None


def _idn_message() -> OutgoingMessage:
    return OutgoingMessage(id="m1", to="jan@bücher.example", subject="Hallo", text="tekst")


def test_idn_domain_goes_out_as_punycode_without_smtputf8() -> None:
    with smtp_server(smtputf8=False) as sink:
        with SmtpMailer(_settings(sink)) as mailer:
            mailer.send(_idn_message())
        [(_, rcpt, options)] = sink.envelopes
        assert rcpt == ["jan@xn--bcher-kva.example"]
        assert "SMTPUTF8" not in options
        assert b"To: jan@xn--bcher-kva.example" in sink.raw[0]
        assert b"=?" not in sink.raw[0].split(b"\r\n\r\n")[0]


def test_idn_domain_uses_smtputf8_when_the_server_has_it() -> None:
    with smtp_server(smtputf8=True) as sink:
        with SmtpMailer(_settings(sink)) as mailer:
            mailer.send(_idn_message())
            mailer.send(OutgoingMessage(id="m2", to="jän@example.nl", subject="S", text="t"))
        assert [rcpt for _, rcpt, _ in sink.envelopes] == [
            ["jan@bücher.example"],
            ["jän@example.nl"],
        ]
        assert all("SMTPUTF8" in options for _, _, options in sink.envelopes)
        assert "To: jan@bücher.example".encode() in sink.raw[0]


def test_non_ascii_local_part_without_smtputf8_is_a_permanent_failure() -> None:
    from participatie import PermanentDeliveryError

    with smtp_server(smtputf8=False) as sink:
        with SmtpMailer(_settings(sink)) as mailer, pytest.raises(PermanentDeliveryError):
            mailer.send(OutgoingMessage(id="m2", to="jän@example.nl", subject="S", text="t"))
        assert sink.messages == []


def test_input_refuses_a_non_ascii_local_part_and_takes_an_idn_domain() -> None:
    with pytest.raises(InvalidEmail, match="before the @") as caught:
        normalize_email("jän@example.nl", field="email")
    assert caught.value.field == "email"
    email = normalize_email("Jan@Bücher.example")
    assert email.address == "Jan@bücher.example"
    assert email.key == "jan@xn--bcher-kva.example"


def test_invalid_from_address_is_a_configuration_error_at_start_up() -> None:
    with pytest.raises(ConfigurationError, match="PARTICIPATIE_SMTP__FROM_ADDRESS"):
        Settings.load(secret_keys=[TEST_SECRET], smtp={"from_address": "noreply"})
