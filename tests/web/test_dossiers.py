"""Dossier pages and API over HTTP: summary, documents, planning with the delay said,
the reaction form (plain errors, number and deadlines after sending), closed periods."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from participatie.engine import Participatie
from tests.web.conftest import csrf_token
from tests.web.helpers import open_dossier, seed_areas


def test_dossier_page_and_reaction(p: Participatie, client: TestClient) -> None:
    seed_areas(p)
    dossier = open_dossier(p)
    page = client.get(f"/dossiers/{dossier.id}")
    assert page.status_code == 200
    assert "Hondenbeleid 2026" in page.text
    assert "Conceptnota hondenbeleid" in page.text
    assert "vertraagd" in page.text
    assert "Er kwamen veel meer reacties dan verwacht." in page.text
    assert "Reageer op dit plan" in page.text

    token = csrf_token(page.text)
    empty = client.post(
        f"/dossiers/{dossier.id}/react",
        data={"csrf_token": token, "name": "Els", "email": "els@example.nl", "text": ""},
    )
    assert empty.status_code == 422
    assert "Schrijf uw reactie in het tekstvak." in empty.text
    assert 'value="Els"' in empty.text

    bad_mail = client.post(
        f"/dossiers/{dossier.id}/react",
        data={"csrf_token": token, "name": "Els", "email": "els@", "text": "Meer losloopveld."},
    )
    assert bad_mail.status_code == 422
    assert "Meer losloopveld." in bad_mail.text

    sent = client.post(
        f"/dossiers/{dossier.id}/react",
        data={
            "csrf_token": token,
            "name": "Els",
            "email": "els@example.nl",
            "text": "Graag meer losloopgebieden in Paddepoel.",
        },
    )
    assert sent.status_code == 200
    assert "Uw reactie heeft nummer 1" in sent.text
    assert "ontvangstbevestiging" in sent.text
    assert len(list(p.reactions.reactions(dossier.id))) == 1

    react_page = client.get(f"/dossiers/{dossier.id}/react?lang=en")
    assert react_page.status_code == 200
    assert "React to this plan" in react_page.text


def test_reactions_refused_after_the_period(p: Participatie, client: TestClient) -> None:
    dossier = open_dossier(p)
    token = csrf_token(client.get(f"/dossiers/{dossier.id}").text)
    p.clock.advance(timedelta(weeks=7))  # type: ignore[attr-defined]
    page = client.get(f"/dossiers/{dossier.id}")
    assert "U kunt niet meer reageren" in page.text
    late = client.post(
        f"/dossiers/{dossier.id}/react",
        data={"csrf_token": token, "name": "K", "email": "k@example.nl", "text": "Te laat"},
    )
    assert late.status_code == 409
    assert "De termijn om te reageren is voorbij" in late.text
    assert client.get("/dossiers/00000000-0000-0000-0000-000000000000").status_code == 404


def test_dossiers_api(p: Participatie, client: TestClient) -> None:
    dossier = open_dossier(p)
    listed = client.get("/api/dossiers").json()
    assert [d["id"] for d in listed] == [str(dossier.id)]
    assert listed[0]["accepts_reactions"] is True
    assert "responsible_email" not in listed[0]
    sent = client.post(
        f"/api/dossiers/{dossier.id}/reactions",
        json={"name": "Piet", "email": "piet@example.nl", "text": "Meer afvalbakken."},
    )
    assert sent.status_code == 201
    assert sent.json()["number"] == 1
    assert client.get(f"/api/dossiers/{dossier.id}/stats").status_code == 409
    assert client.get(f"/dossiers/{dossier.id}/nota.pdf").status_code == 409


def test_home_lists_what_is_open_and_feeds_per_area(p: Participatie, client: TestClient) -> None:
    from tests.web.helpers import open_code_poll, open_petition

    seed_areas(p)
    dossier = open_dossier(p, areas=["paddepoel"])
    elsewhere = open_dossier(p, title="Parkeren Centrum", areas=["centrum"])
    petition = open_petition(p)
    poll, _ = open_code_poll(p, area_codes=["paddepoel"])
    home = client.get("/")
    for path in (
        f"/dossiers/{dossier.id}",
        f"/dossiers/{elsewhere.id}",
        f"/petitions/{petition.id}",
        f"/polls/{poll.id}",
    ):
        assert f'href="{path}"' in home.text
    assert home.text.index("Stemmingen") < home.text.index("Petities")
    assert 'href="/feeds/paddepoel.atom"' in home.text
    assert [a["code"] for a in client.get("/api/areas").json()] == ["centrum", "paddepoel"]

    feed = client.get("/feeds/paddepoel.atom")
    assert feed.status_code == 200
    assert feed.headers["content-type"].startswith("application/atom+xml")
    assert f"/dossiers/{dossier.id}" in feed.text
    assert f"/polls/{poll.id}" in feed.text
    assert f"/petitions/{petition.id}" in feed.text  # municipality-wide
    assert f"/dossiers/{elsewhere.id}" not in feed.text
    assert client.get("/feeds/nergens.atom").status_code == 404
    import xml.etree.ElementTree as ET

    root = ET.fromstring(feed.text)  # noqa: S314  (our own output)
    assert root.tag == "{http://www.w3.org/2005/Atom}feed"
    assert len(root.findall("{http://www.w3.org/2005/Atom}entry")) == 3


def test_staff_register_a_paper_reaction(p: Participatie, client: TestClient) -> None:
    dossier = open_dossier(p)
    paper = client.post(
        f"/api/admin/dossiers/{dossier.id}/reactions",
        json={
            "channel": "paper",
            "text": "Ingevuld formulier van de informatiemarkt: meer afvalbakken.",
            "submitters": [
                {
                    "name": "Mevrouw Smit",
                    "street": "Zonnelaan",
                    "house_number": "12",
                    "postcode": "9742 BA",
                    "city": "Groningen",
                }
            ],
            "external_ref": "F-017",
        },
    )
    assert paper.status_code == 201, paper.text
    assert paper.json()["reaction"]["channel"] == "paper"
    listed = client.get(f"/api/admin/dossiers/{dossier.id}/reactions").json()
    assert [r["external_ref"] for r in listed] == ["F-017"]
    assert "Mevrouw Smit" not in str(listed)  # personal data stays with the submitters
    # Publishing needs every reaction answered first: said with its own code.
    refused = client.post(f"/api/admin/dossiers/{dossier.id}/publish")
    assert refused.status_code in (409, 422), refused.text
    assert refused.json()["code"].startswith("reaction.")
