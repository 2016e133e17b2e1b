"""The dossier editor on every database: a draft made with the form, every section saved
at once, the preview as residents see it, publishing and taking back, the planning with a
delayed phase, rounds, documents (stored and linked) and the upload refusals."""

from __future__ import annotations

import hashlib
import re
import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from participatie.engine import Participatie
from participatie.storage import LocalStore
from tests.backoffice.dossier_support import (
    EDITOR,
    EXE,
    HTML,
    JPEG,
    PNG,
    SVG,
    create_draft,
    docx_bytes,
    later,
    odt_bytes,
    pdf_bytes,
    token,
    upload,
)

H = {"x-test-staff": EDITOR}


@pytest.fixture(autouse=True)
def local_store(p: Participatie, tmp_path: Path) -> LocalStore:
    store = LocalStore(tmp_path / "documenten")
    p.document_store = store
    return store


def save(client: TestClient, dossier: str, **fields: object) -> tuple[int, str]:
    data: dict[str, object] = {
        "csrf_token": token(client, f"/beheer/dossiers/{dossier}"),
        "title": "Noorderplantsoen",
        "summary": "Paden, licht en speelplekken.\n\nWat vindt u belangrijk?",
        "procedure": "Zes weken reageren, dan de nota.",
        "meeting_reports": "Informatieavond 3 maart: 40 bewoners kwamen.",
        "responsible_official": "J. de Vries (projectleider)",
        "responsible_email": "park@gemeente.example.nl",
        "reaction_form": "1",
        "areas": ["centrum"],
        "also_areas": ["paddepoel"],
        "acknowledgement_days": "5",
        "acknowledgement_day_count": "working",
        "answer_days": "6",
        "answer_day_count": "weeks",
    }
    data.update(fields)
    answer = client.post(
        f"/beheer/dossiers/{dossier}", headers=H, data=data, follow_redirects=False
    )
    return answer.status_code, answer.text


def test_dossier_draft_is_filled_previewed_published_and_taken_back(
    p: Participatie, bo_client: TestClient
) -> None:
    dossier = create_draft(bo_client, p)
    # A draft: the residents' page does not know it, the list calls it a draft.
    assert bo_client.get(f"/dossiers/{dossier}").status_code == 404
    assert "Concept" in bo_client.get("/beheer/dossiers", headers=H).text
    status, _ = save(bo_client, dossier)
    assert status == 303
    found = p.reactions.get_dossier(uuid.UUID(dossier))
    assert found.meeting_reports.startswith("Informatieavond")
    assert found.areas == ["centrum"] and found.also_areas == ["paddepoel"]
    assert (found.acknowledgement_days, found.acknowledgement_day_count) == (5, "working")
    assert (found.answer_days, found.answer_day_count) == (6, "weeks")

    preview = bo_client.get(f"/beheer/dossiers/{dossier}/voorbeeld", headers=H)
    assert preview.status_code == 200
    assert preview.headers["cache-control"] == "no-store"
    assert "Informatieavond 3 maart" in preview.text
    assert "Ook van belang voor: Paddepoel" in preview.text

    publish = bo_client.post(
        f"/beheer/dossiers/{dossier}/zichtbaar",
        headers=H,
        data={"csrf_token": token(bo_client, f"/beheer/dossiers/{dossier}"), "published": "1"},
        follow_redirects=False,
    )
    assert publish.status_code == 303
    resident = bo_client.get(f"/dossiers/{dossier}")
    assert resident.status_code == 200
    # The preview is the residents' page itself, apart from the banner.
    assert "Informatieavond 3 maart" in resident.text
    assert "Voorbeeld: zo zien bewoners deze pagina." not in resident.text, (
        "no preview banner for residents"
    )
    assert [e.kind for e in p.subscriptions.events()] == ["dossier.created"]

    bo_client.post(
        f"/beheer/dossiers/{dossier}/zichtbaar",
        headers=H,
        data={"csrf_token": token(bo_client, f"/beheer/dossiers/{dossier}"), "published": "0"},
    )
    assert bo_client.get(f"/dossiers/{dossier}").status_code == 404
    assert bo_client.get(f"/api/dossiers/{dossier}").status_code == 404


def test_dossier_editor_names_the_wrong_field_and_saves_nothing(
    p: Participatie, bo_client: TestClient
) -> None:
    dossier = create_draft(bo_client, p)
    status, text = save(bo_client, dossier, responsible_email="geen-adres", title="Anders")
    assert status == 422
    assert "E-mailadres voor reacties" in text
    assert 'value="Anders"' in text  # what was typed stays
    assert p.reactions.get_dossier(uuid.UUID(dossier)).title == "Noorderplantsoen"
    status, text = save(bo_client, dossier, answer_day_count="maanden")
    assert status == 422 and "Telling antwoord" in text


def test_dossier_reaction_form_off_refuses_web_reactions(
    p: Participatie, bo_client: TestClient
) -> None:
    dossier = create_draft(bo_client, p)
    save(bo_client, dossier, reaction_form="")
    p.reactions.set_published(uuid.UUID(dossier), True, actor="test")
    page = bo_client.get(f"/dossiers/{dossier}")
    assert page.status_code == 200
    assert "niet via de website reageren" in page.text
    assert 'name="text"' not in page.text
    answer = bo_client.post(
        f"/api/dossiers/{dossier}/reactions",
        json={"name": "An", "email": "an@example.nl", "text": "Meer bankjes"},
    )
    assert answer.status_code == 409
    assert answer.json()["code"] == "dossier.closed"


def test_dossier_delayed_phase_needs_reason_and_expected_date(
    p: Participatie, bo_client: TestClient
) -> None:
    dossier = create_draft(bo_client, p)
    path = f"/beheer/dossiers/{dossier}/fasen"

    def phase(**fields: str) -> tuple[int, str]:
        data = {
            "csrf_token": token(bo_client, f"/beheer/dossiers/{dossier}"),
            "name": "Besluit van het college",
            "planned_date": later(p, 60).isoformat(),
            "status": "planned",
            "delay_reason": "",
            "expected_date": "",
        }
        data.update(fields)
        answer = bo_client.post(path, headers=H, data=data, follow_redirects=False)
        return answer.status_code, answer.text

    assert phase()[0] == 303
    status, text = phase(position="1", status="delayed")
    assert status == 422 and "Reden van de vertraging" in text
    status, text = phase(position="1", status="delayed", delay_reason="Meer reacties")
    assert status == 422 and "Nieuwe verwachte datum" in text
    new_date = later(p, 90)
    status, _ = phase(
        position="1",
        status="delayed",
        delay_reason="Er kwamen meer reacties dan verwacht.",
        expected_date=new_date.isoformat(),
    )
    assert status == 303
    [ph] = p.reactions.get_dossier(uuid.UUID(dossier)).phases
    assert ph.status == "delayed" and ph.expected_date == new_date
    preview = bo_client.get(f"/beheer/dossiers/{dossier}/voorbeeld", headers=H).text
    assert "Er kwamen meer reacties dan verwacht." in preview
    assert "Nieuwe verwachte datum" in preview


def test_dossier_round_waits_for_published_answers(p: Participatie, bo_client: TestClient) -> None:
    dossier = create_draft(bo_client, p)
    page = bo_client.get(f"/beheer/dossiers/{dossier}", headers=H).text
    assert "als de antwoorden van deze ronde gepubliceerd zijn" in page
    answer = bo_client.post(
        f"/beheer/dossiers/{dossier}/ronde",
        headers=H,
        data={
            "csrf_token": csrf(bo_client, dossier),
            "label": "Ontwerpbesluit",
            "period_start": later(p, 1).isoformat(),
        },
        follow_redirects=False,
    )
    # Refused on the editor itself (422), with the reason; no round is started.
    assert answer.status_code == 422 and "<title>Fout:" in answer.text
    assert len(p.reactions.get_dossier(uuid.UUID(dossier)).rounds) == 1


def csrf(client: TestClient, dossier: str) -> str:
    return token(client, f"/beheer/dossiers/{dossier}")


@pytest.mark.parametrize(
    ("name", "body", "ctype"),
    [
        ("plan.pdf", pdf_bytes(2 * 1024 * 1024), "application/pdf"),
        ("tekening.png", PNG, "image/png"),
        ("foto.jpeg", JPEG, "image/jpeg"),
        ("notitie.odt", odt_bytes(), "application/octet-stream"),
        ("brief.docx", docx_bytes(), "application/octet-stream"),
    ],
)
def test_dossier_document_is_stored_served_and_archived(
    p: Participatie,
    bo_client: TestClient,
    local_store: LocalStore,
    tmp_path: Path,
    name: str,
    body: bytes,
    ctype: str,
) -> None:
    dossier = create_draft(bo_client, p)
    status, text = upload(bo_client, dossier, name, body, ctype=ctype)
    assert status == 303, text[:2000]
    [doc] = p.reactions.get_dossier(uuid.UUID(dossier)).documents
    assert doc.stored and doc.size == len(body)
    assert doc.sha256 == hashlib.sha256(body).hexdigest()
    served = bo_client.get(f"/beheer/dossiers/{dossier}/documenten/{doc.id}", headers=H)
    assert served.content == body
    assert served.headers["content-type"].split(";")[0] == doc.content_type
    assert served.headers["x-content-type-options"] == "nosniff"
    assert served.headers["content-disposition"].startswith("attachment; filename=")
    # Residents get it once the dossier is published, not before.
    resident = f"/dossiers/{dossier}/documents/{doc.id}"
    assert bo_client.get(resident).status_code == 404
    p.reactions.set_published(doc_dossier := uuid.UUID(dossier), True, actor="test")
    served = bo_client.get(resident)
    assert served.status_code == 200 and served.content == body
    [listed] = bo_client.get(f"/api/dossiers/{dossier}").json()["documents"]
    assert listed["url"] == resident and listed["sha256"] == doc.sha256
    assert served.headers["x-content-type-options"] == "nosniff"
    manifest = p.reactions.write_archive(doc_dossier, tmp_path / "archief", actor="test")
    [stored] = [n for n in manifest.files if n.startswith("document-001-")]
    assert manifest.files[stored] == doc.sha256
    assert re.search(
        rf"{doc.sha256}  {re.escape(stored)}", (tmp_path / "archief" / "SHA256SUMS").read_text()
    )
    bo_client.post(
        f"/beheer/dossiers/{dossier}/documenten/{doc.id}/verwijderen",
        headers=H,
        data={"csrf_token": csrf(bo_client, dossier)},
    )
    assert p.reactions.get_dossier(doc_dossier).documents == []
    assert not any(path.is_file() for path in local_store.folder.rglob("*"))


@pytest.mark.parametrize(
    ("name", "body", "ctype", "message"),
    [
        ("groot.pdf", pdf_bytes(10 * 1024 * 1024 + 1), "application/pdf", "te groot"),
        ("verslag.pdf", EXE, "application/pdf", "dit is een programma"),
        ("pagina.pdf", HTML, "application/pdf", "webpagina (HTML)"),
        ("kaart.svg", SVG, "image/svg+xml", "SVG-tekening met een script"),
        ("lijst.txt", b"gewoon wat tekst", "text/plain", "geen PDF, ODT, DOCX, PNG of JPEG"),
    ],
)
def test_dossier_upload_refusals_name_the_file_and_the_reason(
    p: Participatie,
    bo_client: TestClient,
    local_store: LocalStore,
    name: str,
    body: bytes,
    ctype: str,
    message: str,
) -> None:
    dossier = create_draft(bo_client, p)
    status, text = upload(bo_client, dossier, name, body, ctype=ctype)
    assert status in (413, 422), status
    assert f"Het bestand {name} is niet toegevoegd" in text
    assert message in text
    assert p.reactions.get_dossier(uuid.UUID(dossier)).documents == []
    assert not any(path.is_file() for path in local_store.folder.rglob("*"))


def test_dossier_links_are_https_only(p: Participatie, bo_client: TestClient) -> None:
    dossier = create_draft(bo_client, p)

    def link(url: str) -> tuple[int, str]:
        answer = bo_client.post(
            f"/beheer/dossiers/{dossier}/link",
            headers=H,
            data={"csrf_token": csrf(bo_client, dossier), "title": "Raadsvoorstel", "url": url},
            follow_redirects=False,
        )
        return answer.status_code, answer.text

    for bad in ("http://example.nl/plan.pdf", "javascript:alert(1)", "ftp://example.nl/x"):
        status, text = link(bad)
        assert status == 422, bad
        assert "Webadres" in text
    assert link("https://raad.gemeente.example.nl/stukken/42.pdf")[0] == 303
    [doc] = p.reactions.get_dossier(uuid.UUID(dossier)).documents
    assert not doc.stored and doc.url.startswith("https://")


def test_dossier_only_the_upload_route_takes_a_large_body(
    p: Participatie, bo_client: TestClient
) -> None:
    dossier = create_draft(bo_client, p)
    three_mb = "x" * (3 * 1024 * 1024)
    status, _ = save(bo_client, dossier, meeting_reports=three_mb)
    assert status == 413, "the editor keeps the back office's 2 MB limit"
    status, _ = upload(bo_client, dossier, "plan.pdf", pdf_bytes(9 * 1024 * 1024))
    assert status == 303, "a 9 MB document passes"
    status, _ = upload(bo_client, dossier, "enorm.pdf", pdf_bytes(12 * 1024 * 1024))
    assert status == 413, "far over the limit: refused before it is read"
