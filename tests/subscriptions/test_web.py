"""The subscription pages and API over the real app: the form, confirming by button,
the one-click POST of a mail client (RFC 8058), and the headers a real SMTP server got."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes, policy
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from participatie.clock import FixedClock
from participatie.config import SmtpSettings
from participatie.engine import Participatie
from participatie.outbox.mailers import SmtpMailer
from participatie.testing import SmtpSink
from participatie.web.app import create_app

from .conftest import counts, new_dossier, subscribe, token

pytestmark = pytest.mark.usefixtures("areas")


def allow_all(request: object, action: str, subject: str | None) -> str:
    return "staff"


@pytest.fixture
def app(p: Participatie) -> FastAPI:
    return create_app(p, authorize=allow_all)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def csrf(html: str) -> str:
    import re

    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match
    return match.group(1)


def _digest_unsubscribe_path(p: Participatie, clock: FixedClock) -> str:
    subscribe(p, "fenna@example.nl")
    clock.advance(timedelta(minutes=1))
    new_dossier(p, ["paddepoel"])
    p.subscriptions.digest(frequency="daily", force=True)
    (digest,) = p.outbox.messages(template="subscriptions_digest")
    assert digest.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    return urlsplit(digest.headers["List-Unsubscribe"].strip("<>")).path


def test_form_confirm_and_one_click(p: Participatie, client: TestClient, clock: FixedClock) -> None:
    page = client.get("/subscriptions?area=paddepoel")
    assert page.status_code == 200
    assert 'for="veld-email"' in page.text and 'value="paddepoel" checked' in page.text
    bad = client.post(
        "/subscriptions",
        data={"csrf_token": csrf(page.text), "email": "fenna@example.nl", "areas": "atlantis"},
    )
    assert bad.status_code == 422
    assert 'href="#veld-areas"' in bad.text and 'aria-describedby="fout-areas"' in bad.text
    assert counts(p) == (0, 0, 0)
    sent = client.post(
        "/subscriptions",
        data={
            "csrf_token": csrf(page.text),
            "email": "jan@example.nl",
            "areas": ["paddepoel", "*"],
            "topics": "polls",
            "frequency": "daily",
        },
    )
    assert sent.status_code == 200
    link = token(p, "jan@example.nl", "subscription.confirm")
    shown = client.get(f"/subscriptions/confirm/{link}")
    assert shown.status_code == 200 and counts(p)[1] == 0  # a scanner's GET changes nothing
    done = client.post(f"/subscriptions/confirm/{link}", data={"csrf_token": csrf(shown.text)})
    assert done.status_code == 200 and counts(p)[1] == 1

    path = _digest_unsubscribe_path(p, clock)
    assert client.get(path).status_code == 200  # the manage page
    mail_client = TestClient(client.app, raise_server_exceptions=False)
    assert mail_client.post(path, data={"other": "x"}).status_code == 403
    answer = mail_client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 200, answer.text
    assert counts(p)[1] == 1  # fenna is erased, jan stays
    assert all(m.to_address != "fenna@example.nl" for m in p.outbox.messages())
    # Confirming by the one-click body is refused: only the unsubscribe route takes it.
    again = mail_client.post(
        f"/subscriptions/confirm/{link}", data={"List-Unsubscribe": "One-Click"}
    )
    assert again.status_code == 403


def test_json_api_and_stats(p: Participatie, client: TestClient) -> None:
    assert (
        client.post(
            "/api/subscriptions", json={"email": "fenna@example.nl", "areas": ["paddepoel"]}
        ).status_code
        == 202
    )
    bad = client.post("/api/subscriptions", json={"email": "x@example.nl", "topics": ["x"]})
    assert bad.status_code == 422 and bad.json()["code"] in ("subscription.topic", "input.invalid")
    confirmed = client.post(
        "/api/subscriptions/confirm",
        json={"token": token(p, "fenna@example.nl", "subscription.confirm")},
    )
    assert confirmed.status_code == 200
    stats = client.get("/api/admin/subscriptions/stats").json()
    assert stats["subscribers"] == 1 and "example.nl" not in str(stats)
    tampered = client.post("/api/subscriptions/unsubscribe", json={"token": "x.y.z"})
    assert tampered.status_code == 400


def test_headers_through_real_smtp(p: Participatie, smtp: SmtpSink, clock: FixedClock) -> None:
    p.mailer = SmtpMailer(
        SmtpSettings(host=smtp.host, port=smtp.port, from_address="noreply@groningen.nl")
    )
    _digest_unsubscribe_path(p, clock)
    p.outbox.deliver()
    raw = next(r for r in smtp.raw if b"subscriptions/unsubscribe" in r)
    parsed = message_from_bytes(raw, policy=policy.default)
    value = str(parsed["List-Unsubscribe"])
    assert value.startswith("<https://") and value.endswith(">")
    assert value.isascii() and "/subscriptions/unsubscribe/" in value
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_change_choices_on_the_manage_page(p: Participatie, client: TestClient) -> None:
    sub = subscribe(p, "fenna@example.nl")
    path = urlsplit(p.subscriptions.manage_link(sub.id)).path
    page = client.get(path)
    assert page.status_code == 200 and 'id="wijk-paddepoel" name="areas"' in page.text
    assert "<title>Uw berichten – " in page.text
    changed = client.post(
        path + "/change",
        data={
            "csrf_token": csrf(page.text),
            "areas": ["centrum", "paddepoel"],
            "topics": "polls",
            "frequency": "weekly",
        },
    )
    assert changed.status_code == 200
    # The title names the page's state once the change is saved.
    assert "<title>Uw berichten (gelukt) – " in changed.text
    now = p.subscriptions.get(path.rsplit("/", 1)[1])
    assert now.frequency == "weekly"
    assert sorted(f.target for f in now.follows) == ["centrum", "paddepoel"]
    refused = client.post(path + "/change", data={"csrf_token": csrf(page.text), "areas": "x"})
    assert refused.status_code == 422 and 'href="#veld-areas"' in refused.text
    assert "<title>Fout: Uw berichten – " in refused.text
