"""The creator's and co-initiators' mails name the button their page shows and how long
the link works; the page, opened again after confirming, says so instead of asking."""

from __future__ import annotations

from fastapi.testclient import TestClient

from participatie.engine import Participatie
from participatie.petitions.schemas import PetitionIn
from tests.web.conftest import csrf_token
from tests.web.helpers import tokens

PETITION = {
    "title": "Groot scherm op de Grote Markt",
    "summary": "Zet een groot scherm neer voor de WK-finale.",
    "body": "Wij vragen de raad om een groot scherm te plaatsen.",
    "creator_name": "Anna de Vries",
    "creator_email": "anna@example.nl",
}


def mail(p: Participatie, to: str) -> str:
    return p.outbox.messages(to=to)[-1].text_body


def test_the_creator_mail_says_what_the_link_does(p: Participatie, client: TestClient) -> None:
    p.petitions.create(PetitionIn.model_validate(PETITION))
    text = " ".join(mail(p, "anna@example.nl").split())
    assert 'klik op de knop "Ja, ik heb deze petitie gestart":' in text
    assert f"De link werkt {p.settings.tokens.confirm.days} dagen." in text
    assert "beheert" not in text and "Bewaar deze mail" not in text
    token = tokens(p, "anna@example.nl")["creator"]

    ask = client.get(f"/petitions/creator/{token}")
    assert ask.status_code == 200
    assert "Ja, ik heb deze petitie gestart" in ask.text and "al bevestigd" not in ask.text
    done = client.post(f"/petitions/creator/{token}", data={"csrf_token": csrf_token(ask.text)})
    assert done.status_code == 200 and "Uw petitie is bevestigd" in done.text

    again = client.get(f"/petitions/creator/{token}")
    assert again.status_code == 200
    assert "U heeft deze petitie al bevestigd." in again.text
    assert "Ja, ik heb deze petitie gestart" not in again.text and "<form" not in again.text
    assert PETITION["title"] in again.text


def test_the_creator_mail_in_english(p: Participatie) -> None:
    p.petitions.create(PetitionIn.model_validate({**PETITION, "locale": "en"}))
    text = " ".join(mail(p, "anna@example.nl").split())
    assert 'press the button "Yes, I started this petition":' in text
    assert f"The link works for {p.settings.tokens.confirm.days} days." in text
    assert "manage" not in text and "Keep this mail" not in text


def test_the_coinitiator_mail_and_page(p: Participatie, client: TestClient) -> None:
    p.petitions.create(PetitionIn.model_validate(PETITION))
    creator = tokens(p, "anna@example.nl")["creator"]
    p.petitions.invite_coinitiator(creator, name="Bram Bakker", email="bram@example.nl")
    text = " ".join(mail(p, "bram@example.nl").split())
    assert 'klik op de knop "Ja, ik dien deze petitie mee in":' in text
    assert f"De link werkt {p.settings.tokens.confirm.days} dagen." in text
    token = tokens(p, "bram@example.nl")["coinitiator"]

    ask = client.get(f"/petitions/coinitiator/{token}")
    assert ask.status_code == 200
    assert "Ja, ik dien deze petitie mee in" in ask.text and PETITION["title"] in ask.text
    done = client.post(f"/petitions/coinitiator/{token}", data={"csrf_token": csrf_token(ask.text)})
    assert done.status_code == 200 and "U bent nu mede-indiener" in done.text

    again = client.get(f"/petitions/coinitiator/{token}")
    assert "U heeft al bevestigd dat u deze petitie mee indient." in again.text
    assert "Ja, ik dien deze petitie mee in" not in again.text and "<form" not in again.text


def test_the_coinitiator_mail_in_english(p: Participatie) -> None:
    p.petitions.create(PetitionIn.model_validate({**PETITION, "locale": "en"}))
    creator = tokens(p, "anna@example.nl")["creator"]
    p.petitions.invite_coinitiator(creator, name="Bram Bakker", email="bram@example.nl")
    text = " ".join(mail(p, "bram@example.nl").split())
    assert 'press the button "Yes, I co-submit this petition":' in text
    assert f"The link works for {p.settings.tokens.confirm.days} days." in text
