"""What the dossier back-office tests share: a dossier made through the back office's own
form, files of each kind made here (a real PDF, PNG, JPEG, ODT and DOCX header), and
signing in on the test client."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, timedelta

from fastapi.testclient import TestClient

from participatie.engine import Participatie
from participatie.reactions.schemas import DossierIn
from tests.web.conftest import csrf_token
from tests.web.helpers import seed_areas

EDITOR = "beheerder"


def pdf_bytes(size: int) -> bytes:
    """A small valid PDF padded with a comment to ``size`` bytes."""

    head = (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    )
    tail = b"trailer<</Root 1 0 R>>\n%%EOF\n"
    padding = max(0, size - len(head) - len(tail) - 2)
    return head + b"%" + b"x" * padding + b"\n" + tail


def odt_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text")
        z.writestr("content.xml", "<office:document-content/>")
    return out.getvalue()


def docx_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
EXE = b"MZ\x90\x00" + b"\x00" * 200 + b"This program cannot be run in DOS mode."
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg">'
    b"<script>alert(document.cookie)</script></svg>"
)


def areas(p: Participatie) -> None:
    """The test wijken, once."""

    if not p.areas.list():
        seed_areas(p)


def api_dossier(p: Participatie, **overrides: object) -> str:
    """A published dossier made through the Python API (the way hosts did before)."""

    areas(p)
    today = p.reactions.today()
    data: dict[str, object] = {
        "title": "Hondenbeleid",
        "summary": "Nieuwe regels voor honden in parken.",
        "responsible_official": "R. de Boer",
        "responsible_email": "honden@gemeente.example.nl",
        "areas": ["centrum"],
        "period_start": today,
    }
    data.update(overrides)
    return str(p.reactions.create_dossier(DossierIn.model_validate(data), actor="test").id)


def token(client: TestClient, path: str, user: str = EDITOR) -> str:
    page = client.get(path, headers={"x-test-staff": user})
    assert page.status_code == 200, page.text[:500]
    return csrf_token(page.text)


def create_draft(client: TestClient, p: Participatie, title: str = "Noorderplantsoen") -> str:
    """A dossier made with the back office's form; returns its id."""

    areas(p)
    answer = client.post(
        "/beheer/dossiers/nieuw",
        headers={"x-test-staff": EDITOR},
        data={
            "csrf_token": token(client, "/beheer/dossiers/nieuw"),
            "title": title,
            "summary": "De gemeente wil het park vernieuwen.",
            "responsible_official": "J. de Vries (projectleider)",
            "responsible_email": "park@gemeente.example.nl",
            "period_start": p.reactions.today().isoformat(),
            "period_end": "",
            "round_label": "",
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text[:1000]
    match = re.search(r"/beheer/dossiers/([0-9a-f-]{36})", answer.headers["location"])
    assert match
    return match.group(1)


def upload(
    client: TestClient, dossier: str, name: str, body: bytes, *, ctype: str = "application/pdf"
) -> tuple[int, str]:
    answer = client.post(
        f"/beheer/dossiers/{dossier}/documenten",
        headers={"x-test-staff": EDITOR},
        data={"csrf_token": token(client, f"/beheer/dossiers/{dossier}"), "title": ""},
        files={"file": (name, body, ctype)},
        follow_redirects=False,
    )
    return answer.status_code, answer.text


def later(p: Participatie, days: int) -> date:
    return p.reactions.today() + timedelta(days=days)
