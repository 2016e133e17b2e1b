"""The web edge as an outsider meets it: one-click unsubscribe from a mail client,
secrets kept out of access logs, and the pages behind e-mail links."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from fastapi.testclient import TestClient

from participatie.engine import Participatie
from participatie.web.edge import RedactSecrets, redact_target
from tests.web.helpers import open_petition, seed_areas, tokens


def _answered_signer(p: Participatie, client: TestClient) -> str:
    """Sign, confirm, hand over and answer; the path of the answer's List-Unsubscribe URL."""

    from tests.web.conftest import csrf_token

    seed_areas(p)
    petition = open_petition(p)
    page = client.get(f"/petitions/{petition.id}")
    data = {
        "csrf_token": csrf_token(page.text),
        "name": "Bram Bakker",
        "email": "bram@example.nl",
        "postcode": "9742 CD",
        "notify_answer": "1",
    }
    assert client.post(f"/petitions/{petition.id}", data=data).status_code == 200
    p.petitions.confirm(tokens(p, "bram@example.nl")["confirm"])
    p.petitions.hand_over(petition.id, actor="griffie", to="raad")
    assert p.petitions.answer(petition.id, actor="griffie", text="Ja.") == 1
    (answer,) = p.outbox.messages(to="bram@example.nl", template="petitions_answer")
    assert answer.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    return urlsplit(answer.headers["List-Unsubscribe"].strip("<>")).path


def test_one_click_unsubscribe_from_a_mail_client(p: Participatie, client: TestClient) -> None:
    path = _answered_signer(p, client)
    # A browser opening the link sees a page with a button; nothing changes yet.
    shown = client.get(path)
    assert shown.status_code == 200
    assert 'method="post"' in shown.text
    # The mail client's RFC 8058 POST: no cookie, no CSRF token, only the signed link.
    mail_client = TestClient(client.app, raise_server_exceptions=False)
    done = mail_client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200, done.text
    assert done.headers["referrer-policy"] == "no-referrer"
    # Without the one-click body the CSRF check still stands, and a forged token fails.
    assert mail_client.post(path, data={"other": "x"}).status_code == 403
    forged = path.rsplit("/", 1)[0] + "/not-a-token"
    assert mail_client.post(forged, data={"List-Unsubscribe": "One-Click"}).status_code >= 400
    # Other forms do not accept the one-click body in place of a CSRF token.
    confirm = "/petitions/confirm/" + path.rsplit("/", 1)[1]
    assert mail_client.post(confirm, data={"List-Unsubscribe": "One-Click"}).status_code == 403


def test_redaction_of_request_targets() -> None:
    cases = {
        "/petitions/confirm/eyJhIjoxfQ.abc.def": "/petitions/confirm/[redacted]",
        "/meedoen/petitions/withdraw/tok?lang=en": "/meedoen/petitions/withdraw/[redacted]?lang=en",
        "/petitions/unsubscribe/tok": "/petitions/unsubscribe/[redacted]",
        "/privacy/tok": "/privacy/[redacted]",
        "/polls/confirm/tok": "/polls/confirm/[redacted]",
        "/polls/abc/ballots?tracker=T-123": "/polls/abc/ballots?tracker=[redacted]",
        "/api/polls/abc/ballots/T-123": "/api/polls/abc/ballots/[redacted]",
        "/petitions/abc": "/petitions/abc",
        "/privacy": "/privacy",
    }
    for given, expected in cases.items():
        assert redact_target(given) == expected
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/privacy/secret?token=x", "1.1", 200),
        None,
    )
    assert RedactSecrets().filter(record)
    assert "secret" not in record.getMessage()
    assert "/privacy/[redacted]?token=[redacted]" in record.getMessage()


def test_links_from_staff_are_web_addresses_only(p: Participatie, client: TestClient) -> None:
    import pytest
    from pydantic import ValidationError

    from participatie.errors import InvalidInput
    from participatie.reactions.schemas import DocumentIn
    from participatie.testing import make_participatie
    from tests.web.helpers import open_dossier

    dossier = open_dossier(p)
    body = {
        "title": "Hondenbeleid",
        "summary": "Nieuwe regels.",
        "responsible_official": "J. Jansen",
        "responsible_email": "hondenbeleid@gemeente.example.nl",
        "period_start": "2026-03-02",
    }
    bad = [
        "javascript:alert(document.cookie)",
        "JavaScript:alert(1)",
        " javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "//evil.example/x",
        "/relative/path.pdf",
        "https://user:pw@example.nl/x.pdf",
        "https://exa mple.nl/x.pdf",
        "http://example.nl/x.pdf",  # plain http: only when the deployment allows it
    ]
    for url in bad:
        doc = {"title": "Nota", "url": url, "published_on": "2026-03-02"}
        created = client.post("/api/admin/dossiers", json={**body, "documents": [doc]})
        assert created.status_code == 422, (url, created.text)
        assert created.json()["field"].endswith("url"), created.json()
        with pytest.raises((ValidationError, InvalidInput)):
            p.reactions.add_document(dossier.id, DocumentIn.model_validate(doc), actor="test")
    page = client.get(f"/dossiers/{dossier.id}")
    assert "javascript:" not in page.text.lower()

    # The council's decision link of a petition: the same type, the same rule.
    petition = open_petition(p)
    p.petitions.hand_over(petition.id, actor="griffie", to="raad")
    answer = client.post(
        f"/api/admin/petitions/{petition.id}/answer",
        json={"text": "Ja.", "decision_url": "javascript:alert(1)"},
    )
    assert answer.status_code == 422
    assert answer.json()["field"] == "decision_url"
    with pytest.raises(InvalidInput) as info:
        p.petitions.answer(petition.id, actor="griffie", text="Ja.", decision_url="http://x.nl/b")
    assert info.value.field == "decision_url"

    # A deployment that allows http links accepts them; https is always fine.
    q = make_participatie(p.settings.database_url, engine=p.engine, allow_http_links=True)
    old = {"title": "Oud", "url": "http://example.nl/oud.pdf", "published_on": "2026-03-02"}
    q.reactions.add_document(dossier.id, DocumentIn.model_validate(old), actor="test")
    assert (
        p.petitions.answer(
            petition.id, actor="griffie", text="Ja.", decision_url="https://gemeente.example.nl/b"
        )
        >= 0
    )
