"""The petition desk over HTTP: extend, hide, paper batches, hand-over and answer (mailed
once to consenting signers), bulk invalidation after a preview, the hand-over exports,
the allow/block list, refusal without an authorize callback and input checks (422)."""

from __future__ import annotations

import csv
import glob
import hashlib
import io
import os
import sys
import tempfile
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.requests import Request

from participatie.engine import Participatie
from participatie.petitions.schemas import Petition
from participatie.retention import text_digest
from participatie.web import create_app
from tests.web.helpers import open_petition, seed_areas, tokens

ADMIN = "/api/admin/petitions"
ACTOR = "beheerder@gemeente.example.nl"


def _sign(
    client: TestClient,
    p: Participatie,
    petition: Petition,
    email: str,
    *,
    name: str | None = None,
    postcode: str = "9742 CD",
    notify_answer: bool = False,
    confirm: bool = True,
) -> None:
    body = {
        "name": name or email.split("@")[0].title(),
        "email": email,
        "postcode": postcode,
        "notify_answer": notify_answer,
    }
    signed = client.post(f"/api/petitions/{petition.id}/signatures", json=body)
    assert signed.status_code == 202, signed.text
    if confirm:
        token = tokens(p, email)["confirm"]
        done = client.post("/api/petitions/confirm", json={"token": token})
        assert done.status_code == 200, done.text


def _stats(client: TestClient, petition: Petition) -> dict[str, Any]:
    response = client.get(f"{ADMIN}/{petition.id}/stats")
    assert response.status_code == 200, response.text
    stats: dict[str, Any] = response.json()
    return stats


def test_desk_flow_hand_over_and_answer_mailed_once(p: Participatie, client: TestClient) -> None:
    seed_areas(p)
    petition = open_petition(p)
    _sign(client, p, petition, "ans@example.nl", notify_answer=True)
    _sign(client, p, petition, "bob@example.nl", postcode="9711 AB", notify_answer=True)
    _sign(client, p, petition, "cor@example.nl", notify_answer=False)
    _sign(client, p, petition, "dirk@example.nl", notify_answer=True, confirm=False)

    desk = client.get(f"{ADMIN}/{petition.id}")
    assert desk.status_code == 200
    assert desk.json()["verified"] == 3

    later = (petition.closes_at or p.clock.now()) + timedelta(days=14)
    extended = client.post(
        f"{ADMIN}/{petition.id}/extend",
        json={"closes_at": later.isoformat(), "reason": "Veel belangstelling op de markt"},
    )
    assert extended.status_code == 200, extended.text
    assert datetime.fromisoformat(extended.json()["closes_at"]) == later
    event = p.audit.events(action="petition.extended")[-1]
    assert event.actor == ACTOR
    assert event.data["reason"] == "Veel belangstelling op de markt"
    earlier = client.post(
        f"{ADMIN}/{petition.id}/extend",
        json={"closes_at": (later - timedelta(days=1)).isoformat(), "reason": "terug"},
    )
    assert earlier.status_code == 422
    assert earlier.json()["field"] == "closes_at"

    paper = client.post(
        f"{ADMIN}/{petition.id}/paper",
        json={"area": "Centrum", "count": 12, "note": "Lijsten van de kraam"},
    )
    assert paper.status_code == 201, paper.text
    assert (paper.json()["area"], paper.json()["count"]) == ("centrum", 12)
    unknown_area = client.post(
        f"{ADMIN}/{petition.id}/paper", json={"area": "atlantis", "count": 3}
    )
    assert unknown_area.status_code == 422
    assert unknown_area.json()["field"] == "area"
    stats = _stats(client, petition)
    assert (stats["verified"], stats["paper"], stats["total"], stats["pending"]) == (3, 12, 15, 1)
    centrum = next(a for a in stats["per_area"] if a["area"] == "centrum")
    assert (centrum["online"], centrum["paper"]) == (1, 12)

    # An answer before the hand-over does not fit the life cycle.
    early = client.post(f"{ADMIN}/{petition.id}/answer", json={"text": "Te vroeg"})
    assert early.status_code == 409
    assert early.json()["code"] == "petition.state"

    closed = client.post(f"{ADMIN}/{petition.id}/close")
    assert closed.status_code == 200
    assert closed.json()["status"] == "closed"

    handed = client.post(
        f"{ADMIN}/{petition.id}/hand-over",
        json={"to": "de gemeenteraad", "note": "Raadsvergadering 12 mei"},
    )
    assert handed.status_code == 200, handed.text
    assert handed.json()["status"] == "handed_over"
    assert handed.json()["handed_over_to"] == "de gemeenteraad"
    assert p.audit.events(action="petition.handed_over")[-1].data["total"] == 15

    answer = {
        "text": "De raad steunt het scherm op de Grote Markt.",
        "decision_url": "https://gemeente.example.nl/raad/besluiten/2026-17",
    }
    answered = client.post(f"{ADMIN}/{petition.id}/answer", json=answer)
    assert answered.status_code == 200, answered.text
    assert answered.json()["signers_notified"] == 2
    assert answered.json()["petition"]["status"] == "answered"
    assert answered.json()["petition"]["answer_url"] == answer["decision_url"]

    def answer_mails(to: str) -> int:
        return len(p.outbox.messages(to=to, template="petitions_answer"))

    # Consenting, verified signers get the answer; the others (and the pending one) do not.
    assert answer_mails("ans@example.nl") == 1
    assert answer_mails("bob@example.nl") == 1
    assert answer_mails("cor@example.nl") == 0
    assert answer_mails("dirk@example.nl") == 0
    assert answer_mails("anna@example.nl") == 1  # the creator
    mail = p.outbox.messages(to="ans@example.nl", template="petitions_answer")[0]
    assert "De raad steunt het scherm" in mail.text_body

    again = client.post(f"{ADMIN}/{petition.id}/answer", json=answer)
    assert again.status_code == 409
    assert again.json()["code"] == "petition.state"
    assert answer_mails("ans@example.nl") == 1
    assert answer_mails("bob@example.nl") == 1
    public = client.get(f"/api/petitions/{petition.id}").json()
    assert public["status"] == "answered"
    assert public["answer_text"] == answer["text"]
    # Paper signatures are only taken while open or closed.
    late_paper = client.post(f"{ADMIN}/{petition.id}/paper", json={"count": 5})
    assert late_paper.status_code == 409


def test_hide_and_unhide(p: Participatie, client: TestClient) -> None:
    petition = open_petition(p)
    blank = client.post(f"{ADMIN}/{petition.id}/hide", json={"reason": "   "})
    assert blank.status_code == 422
    assert blank.json()["field"] == "reason"
    assert client.get(f"/api/petitions/{petition.id}").status_code == 200

    hidden = client.post(f"{ADMIN}/{petition.id}/hide", json={"reason": "beledigend"})
    assert hidden.status_code == 200
    assert hidden.json()["hidden"] is True
    assert client.get(f"/api/petitions/{petition.id}").status_code == 404
    assert client.get(f"/petitions/{petition.id}").status_code == 404
    assert client.get(f"{ADMIN}/{petition.id}").json()["hidden"] is True
    assert [x["id"] for x in client.get(ADMIN).json()] == [str(petition.id)]
    event = p.audit.events(action="petition.hidden")[-1]
    assert (event.actor, event.data["reason_sha256"]) == (ACTOR, text_digest("beledigend"))

    shown = client.post(f"{ADMIN}/{petition.id}/unhide")
    assert shown.status_code == 200
    assert shown.json()["hidden"] is False
    assert client.get(f"/api/petitions/{petition.id}").status_code == 200
    assert len(p.audit.events(action="petition.unhidden")) == 1


def test_invalidation_preview_is_what_the_invalidation_hits(p: Participatie, app: FastAPI) -> None:
    seed_areas(p)
    petition = open_petition(p)
    with TestClient(app, client=("192.0.2.9", 5000)) as bots:
        for n in range(3):
            _sign(bots, p, petition, f"bot{n}@example.nl", confirm=n < 2)
    p.clock.advance(timedelta(hours=3))  # type: ignore[attr-defined]
    since = p.clock.now()
    with TestClient(app, client=("198.51.100.7", 5000)) as farm:
        for n in range(2):
            _sign(farm, p, petition, f"f{n}@botfarm.example", postcode="9711 AB")
    with TestClient(app, client=("203.0.113.20", 5000)) as client:
        _sign(client, p, petition, "echt@example.nl")
        assert _stats(client, petition)["verified"] == 5

        url = f"{ADMIN}/{petition.id}/invalidation"
        preview = client.post(f"{url}/preview", json={"ip": "192.0.2.9"})
        assert preview.status_code == 200, preview.text
        counted = preview.json()
        assert counted["by_status"] == {"pending": 1, "verified": 2}
        assert counted["total"] == 3
        assert _stats(client, petition)["verified"] == 5  # a preview writes nothing

        wrong = client.post(
            url, json={"criteria": counted["criteria"], "expected_total": 2, "reason": "bots"}
        )
        assert wrong.status_code == 409
        assert wrong.json()["code"] == "petition.preview_mismatch"
        assert wrong.json()["field"] == "expected_total"
        stats = _stats(client, petition)
        assert (stats["verified"], stats["pending"], stats["invalidated"]) == (5, 1, 0)
        assert p.audit.events(action="petition.signatures_invalidated") == []

        done = client.post(
            url,
            json={
                "criteria": counted["criteria"],
                "expected_total": counted["total"],
                "reason": "bots",
            },
        )
        assert done.status_code == 200, done.text
        result = done.json()
        assert result["invalidated"] == counted["total"] == 3
        assert result["by_status"] == counted["by_status"]
        stats = _stats(client, petition)
        assert (stats["verified"], stats["pending"], stats["invalidated"]) == (3, 0, 3)
        assert client.get(f"/api/petitions/{petition.id}").json()["verified"] == 3
        event = p.audit.events(action="petition.signatures_invalidated")[0]
        assert event.actor == ACTOR
        assert event.data["reason"] == "bots"
        assert event.data["by_status"] == {"pending": 1, "verified": 2}
        assert "192.0.2.9" not in str(event.data)  # the address only as its keyed hash

        # Domain, wijk and time window: the preview and the invalidation agree again.
        criteria = {
            "domain": "BotFarm.example",
            "area": "centrum",
            "since": since.isoformat(),
            "until": (since + timedelta(hours=1)).isoformat(),
        }
        window = client.post(f"{url}/preview", json=criteria).json()
        assert window["by_status"] == {"pending": 0, "verified": 2}
        before = client.post(f"{url}/preview", json={**criteria, "until": since.isoformat()})
        assert before.json()["total"] == 0
        hit = client.post(
            url, json={"criteria": criteria, "expected_total": window["total"], "reason": "farm"}
        )
        assert hit.status_code == 200
        assert hit.json()["invalidated"] == 2
        assert _stats(client, petition)["verified"] == 1

        nothing = client.post(f"{url}/preview", json={})
        assert nothing.status_code == 422
        assert nothing.json()["field"] == "criteria"
        everything = client.post(f"{url}/preview", json={"everything": True})
        assert everything.json()["by_status"] == {"pending": 0, "verified": 1}
        bad_ip = client.post(f"{url}/preview", json={"ip": "not-an-address"})
        assert bad_ip.status_code == 422
        assert bad_ip.json()["field"] == "ip"


def test_exports_csv_and_handover_document(p: Participatie, client: TestClient) -> None:
    seed_areas(p)
    petition = open_petition(p)
    _sign(client, p, petition, "ans@example.nl", postcode="9711 AB")
    _sign(client, p, petition, "bram@example.nl", name='=HYPERLINK("http://x")')
    _sign(client, p, petition, "cor@example.nl", confirm=False)  # pending: not on the list
    leftovers = set(glob.glob(os.path.join(tempfile.gettempdir(), "participatie-petition-*")))

    listed = client.get(f"{ADMIN}/{petition.id}/signatures.csv")
    assert listed.status_code == 200, listed.text
    data = listed.content
    assert data.startswith(b"\xef\xbb\xbf")
    assert listed.headers["content-type"].startswith("text/csv")
    assert listed.headers["cache-control"] == "no-store"
    disposition = listed.headers["content-disposition"]
    assert disposition == f'attachment; filename="handtekeningen-{petition.id}.csv"'
    assert listed.headers["x-participatie-sha256"] == hashlib.sha256(data).hexdigest()
    assert listed.headers["x-participatie-rows"] == "2"
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["nr", "naam", "postcode", "wijk", "bevestigd_op", "naam_openbaar"]
    assert len(rows) == 1 + 2  # one row per verified signature
    assert [r[1] for r in rows[1:]] == ["Ans", '\'=HYPERLINK("http://x")']
    assert rows[1][3] == "centrum"
    assert "@example.nl" not in data.decode("utf-8")
    # The temporary file is gone once it is sent.
    after = set(glob.glob(os.path.join(tempfile.gettempdir(), "participatie-petition-*")))
    assert after <= leftovers

    client.post(f"{ADMIN}/{petition.id}/hand-over", json={"to": "de gemeenteraad"})
    html = client.get(f"{ADMIN}/{petition.id}/handover.html")
    assert html.status_code == 200, html.text
    assert html.headers["content-type"].startswith("text/html")
    assert html.headers["cache-control"] == "no-store"
    assert html.headers["content-disposition"] == (
        f'attachment; filename="overdracht-{petition.id}.html"'
    )
    assert hashlib.sha256(data).hexdigest() in html.text
    assert html.headers["x-participatie-sha256"] == hashlib.sha256(data).hexdigest()
    assert "de gemeenteraad" in html.text
    pdf = client.get(f"{ADMIN}/{petition.id}/handover.pdf")
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["cache-control"] == "no-store"
    assert pdf.headers["content-disposition"] == (
        f'attachment; filename="overdracht-{petition.id}.pdf"'
    )
    assert pdf.content.startswith(b"%PDF")
    assert client.get(f"{ADMIN}/{petition.id}/handover.docx").status_code == 422
    missing = client.get(f"{ADMIN}/{uuid.uuid4()}/signatures.csv")
    assert missing.status_code == 404
    assert missing.json()["code"] == "petition.not_found"
    assert client.get(f"{ADMIN}/not-a-uuid/handover.pdf").status_code == 404


def test_pdf_without_the_reports_extra_is_a_clear_501(
    p: Participatie, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    petition = open_petition(p)
    client.post(f"{ADMIN}/{petition.id}/close")
    client.post(f"{ADMIN}/{petition.id}/hand-over", json={"to": "de gemeenteraad"})
    # As on an installation without typst: importing it fails.
    monkeypatch.setitem(sys.modules, "typst", None)
    response = client.get(f"{ADMIN}/{petition.id}/handover.pdf")
    assert response.status_code == 501
    assert response.json()["code"] == "extra.missing"
    # The HTML document does not need the extra.
    assert client.get(f"{ADMIN}/{petition.id}/handover.html").status_code == 200


def test_rules_and_trends(p: Participatie, client: TestClient) -> None:
    petition = open_petition(p)
    assert client.get(f"{ADMIN}/{petition.id}/trends").json() == []
    assert client.get(f"{ADMIN}/{uuid.uuid4()}/trends").status_code == 404
    added = client.post(
        f"{ADMIN}/rules",
        json={"kind": "block_domain", "value": "BotFarm.example", "note": "golf van nepmail"},
    )
    assert added.status_code == 201, added.text
    rule = added.json()
    assert (rule["kind"], rule["value"]) == ("block_domain", "botfarm.example")
    twice = client.post(f"{ADMIN}/rules", json={"kind": "block_domain", "value": "botfarm.example"})
    assert twice.status_code == 422
    assert twice.json()["field"] == "value"
    assert [r["id"] for r in client.get(f"{ADMIN}/rules").json()] == [rule["id"]]
    # A blocked domain's signature is set aside as fraudulent (the answer stays the same).
    _sign(client, p, petition, "nep@botfarm.example", confirm=False)
    stats = _stats(client, petition)
    assert (stats["fraudulent"], stats["pending"]) == (1, 0)
    assert client.delete(f"{ADMIN}/rules/{rule['id']}").status_code == 204
    assert client.get(f"{ADMIN}/rules").json() == []
    gone = client.delete(f"{ADMIN}/rules/{rule['id']}")
    assert gone.status_code == 404
    assert gone.json()["field"] == "rule"
    assert client.delete(f"{ADMIN}/rules/not-a-uuid").status_code == 404
    assert [e.actor for e in p.audit.events(action="petition.rule_added")] == [ACTOR]


NEW_ROUTES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/rules", None),
    ("POST", "/rules", {"kind": "block_domain", "value": "botfarm.example"}),
    ("DELETE", f"/rules/{uuid.UUID(int=1)}", None),
    ("GET", "/{id}", None),
    ("GET", "/{id}/trends", None),
    ("POST", "/{id}/extend", {"closes_at": "2030-01-01T00:00:00Z", "reason": "x"}),
    ("POST", "/{id}/hide", {"reason": "beledigend"}),
    ("POST", "/{id}/unhide", None),
    ("POST", "/{id}/hand-over", {"to": "de raad"}),
    ("POST", "/{id}/answer", {"text": "Ja"}),
    ("POST", "/{id}/paper", {"count": 5}),
    ("POST", "/{id}/invalidation/preview", {"everything": True}),
    (
        "POST",
        "/{id}/invalidation",
        {"criteria": {"everything": True}, "expected_total": 0, "reason": "x"},
    ),
    ("GET", "/{id}/signatures.csv", None),
    ("GET", "/{id}/handover.html", None),
    ("GET", "/{id}/handover.pdf", None),
]


def test_new_admin_routes_refused_without_callback(p: Participatie) -> None:
    petition = open_petition(p)
    with TestClient(create_app(p)) as c:
        for method, path, body in NEW_ROUTES:
            url = ADMIN + path.format(id=petition.id)
            response = c.request(method, url, json=body)
            assert response.status_code == 403, (method, url, response.text)
            assert response.json()["code"] == "permission.denied"
    assert client_free_state(p, petition)

    asked: list[tuple[str, str | None]] = []

    def deny(request: Request, action: str, subject: str | None) -> bool:
        asked.append((action, subject))
        return False

    with TestClient(create_app(p, authorize=deny)) as c:
        for method, path, body in NEW_ROUTES:
            response = c.request(method, ADMIN + path.format(id=petition.id), json=body)
            assert response.status_code == 403
    pid = str(petition.id)
    assert asked == [
        ("petitions.read", None),
        ("petitions.moderate", None),
        ("petitions.moderate", None),
        ("petitions.read", pid),
        ("petitions.read", pid),
        *[("petitions.moderate", pid)] * 8,
        ("petitions.export", pid),
        ("petitions.read", pid),
        ("petitions.read", pid),
    ]
    # Allowed only for reading, the personal-data export stays refused.
    with TestClient(create_app(p, authorize=lambda r, action, s: action == "petitions.read")) as c:
        assert c.get(f"{ADMIN}/{petition.id}/handover.html").status_code == 200
        assert c.get(f"{ADMIN}/{petition.id}/signatures.csv").status_code == 403


def client_free_state(p: Participatie, petition: Petition) -> bool:
    """Nothing the refused requests asked for happened."""

    now = p.petitions.get(petition.id)
    return (
        now.status == "open"
        and not now.hidden
        and now.paper == 0
        and now.closes_at == petition.closes_at
        and p.petitions.rules() == []
    )


def test_bad_input_is_422_naming_the_field(p: Participatie, client: TestClient) -> None:
    petition = open_petition(p)
    base = f"{ADMIN}/{petition.id}"
    cases: list[tuple[str, dict[str, Any], str]] = [
        ("/extend", {"closes_at": "2030-01-01T00:00:00", "reason": "x"}, "closes_at"),
        ("/extend", {"closes_at": "2030-01-01T00:00:00Z", "reason": ""}, "reason"),
        ("/extend", {"closes_at": "0001-01-01T00:00:00+01:00", "reason": "x"}, "closes_at"),
        ("/hide", {"reason": "x" * 501}, "reason"),
        ("/hide", {}, "reason"),
        ("/hand-over", {"to": ""}, "to"),
        ("/hand-over", {"to": "de raad", "at": "2026-05-12T10:00:00"}, "at"),
        ("/hand-over", {"to": "de raad", "note": "x" * 2001}, "note"),
        ("/answer", {"text": ""}, "text"),
        ("/answer", {"text": "Ja", "decision_url": "x" * 1001}, "decision_url"),
        ("/paper", {"count": 0}, "count"),
        ("/paper", {"count": 1_000_001}, "count"),
        ("/paper", {"count": 5, "area": "x" * 51}, "area"),
        ("/invalidation/preview", {"ip": "1" * 46}, "ip"),
        ("/invalidation/preview", {"statuses": ["withdrawn"]}, "statuses.0"),
        ("/invalidation/preview", {"statuses": []}, "statuses"),
        ("/invalidation/preview", {"since": "2026-01-01T00:00:00"}, "since"),
        (
            "/invalidation",
            {"criteria": {"everything": True}, "expected_total": -1, "reason": "x"},
            "expected_total",
        ),
        ("/invalidation", {"criteria": {"everything": True}, "reason": "x"}, "expected_total"),
        (
            "/invalidation",
            {"criteria": {"domain": "x" * 254}, "expected_total": 0, "reason": "x"},
            "criteria.domain",
        ),
        (
            "/invalidation",
            {"criteria": {"everything": True}, "expected_total": 0, "reason": "   "},
            "reason",
        ),
    ]
    for path, body, field in cases:
        response = client.post(base + path, json=body)
        assert response.status_code == 422, (path, body, response.text)
        assert response.json()["field"] == field, (path, body, response.json())
    # The service's own checks answer the same way.
    assert client.post(f"{base}/hand-over", json={"to": "de raad"}).status_code == 200
    not_http = client.post(f"{base}/answer", json={"text": "Ja", "decision_url": "ftp://x.nl"})
    assert not_http.status_code == 422
    assert not_http.json()["field"] == "decision_url"
    kind = client.post(f"{ADMIN}/rules", json={"kind": "allow_everything", "value": "x.nl"})
    assert kind.status_code == 422
    assert kind.json()["field"] == "kind"
    # Nothing of the refused input was written.
    now = p.petitions.get(petition.id)
    assert (now.status, now.paper, now.hidden, now.answer_text) == ("handed_over", 0, False, None)
    unknown = client.post(f"{ADMIN}/not-a-uuid/hide", json={"reason": "x"})
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "petition.not_found"
