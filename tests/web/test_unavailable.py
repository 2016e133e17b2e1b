"""A database that goes away mid-request: 503 with Retry-After and a Dutch page that says
to try again in a minute, on the JSON API and the resident pages; nothing is written."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from participatie.engine import Participatie
from participatie.petitions.models import SignatureRow
from tests.faults import outage_at
from tests.web.conftest import csrf_token
from tests.web.helpers import open_petition, seed_areas


def _signature_insert(p: Participatie) -> str:
    """The statement that writes a new signature (on PostgreSQL with its count and mail)."""

    if p.engine.dialect.name == "postgresql":
        return "WITH signed AS (\n    INSERT INTO participatie_petition_signature"
    return "INSERT INTO participatie_petition_signature"


def _signatures(p: Participatie) -> int:
    with p.session_scope(readonly=True) as s:
        return int(s.execute(select(func.count()).select_from(SignatureRow)).scalar_one())


def test_database_outage_is_503_with_retry_after(
    p: Participatie, client: TestClient, tmp_path: Path
) -> None:
    seed_areas(p)
    petition = open_petition(p)
    db = str(tmp_path / "test.db")
    body = {"name": "Cor", "email": "cor@example.nl", "postcode": "9711AB"}
    with outage_at(p, _signature_insert(p), db):
        answer = client.post(f"/api/petitions/{petition.id}/signatures", json=body)
    assert answer.status_code == 503
    assert answer.headers["retry-after"] == "60"
    assert answer.json()["code"] == "db.unavailable"
    assert "detail" not in answer.json()  # no database message for the outside world

    page = client.get(f"/petitions/{petition.id}")
    form = {
        "csrf_token": csrf_token(page.text),
        "name": "Bram Bakker",
        "email": "bram@example.nl",
        "postcode": "9742 CD",
    }
    with outage_at(p, _signature_insert(p), db):
        answer = client.post(f"/petitions/{petition.id}", data=form, follow_redirects=False)
    assert answer.status_code == 503
    assert answer.headers["retry-after"] == "60"
    assert "text/html" in answer.headers["content-type"]
    assert "Probeer het over een minuut opnieuw" in answer.text
    assert _signatures(p) == 0

    again = client.post(f"/api/petitions/{petition.id}/signatures", json=body)
    assert again.status_code == 202
    assert _signatures(p) == 1
