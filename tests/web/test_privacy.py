"""Privacy pages: ask by address (same answer whether or not anything is stored), see
the data behind the mailed link without changing it, erase it with the button."""

from __future__ import annotations

from fastapi.testclient import TestClient

from participatie.engine import Participatie
from participatie.petitions.schemas import SignatureIn
from tests.web.conftest import csrf_token
from tests.web.helpers import open_petition


def test_see_and_erase_personal_data(p: Participatie, client: TestClient) -> None:
    petition = open_petition(p)
    p.petitions.sign(
        petition.id,
        SignatureIn(name="Ilse Mulder", email="ilse@example.nl", postcode="9742 AB"),
        ip="198.51.100.20",
    )
    page = client.get("/privacy")
    assert page.status_code == 200
    token = csrf_token(page.text)
    unknown = client.post("/privacy", data={"csrf_token": token, "email": "nobody@example.nl"})
    known = client.post("/privacy", data={"csrf_token": token, "email": "ilse@example.nl"})
    assert unknown.status_code == known.status_code == 200
    assert unknown.text == known.text  # nobody learns who signed
    # Both get the link; behind it, nothing is stored about the one who did not sign.
    nobody = p.outbox.messages(to="nobody@example.nl")[-1].text_body
    nothing = client.get("/privacy/" + nobody.split("/privacy/")[1].split()[0])
    assert "Bij petities is niets over dit e-mailadres opgeslagen." in nothing.text
    assert "Wis mijn gegevens" not in nothing.text
    mail = p.outbox.messages(to="ilse@example.nl")[-1].text_body
    link = mail.split("/privacy/")[1].split()[0]

    shown = client.get(f"/privacy/{link}")
    assert "<title>Uw gegevens – " in shown.text
    assert shown.status_code == 200
    assert "Ilse Mulder" in shown.text
    assert "Groot scherm op de Grote Markt" in shown.text
    assert p.petitions.personal_data("ilse@example.nl").signatures[0].name == "Ilse Mulder"

    erased = client.post(f"/privacy/{link}", data={"csrf_token": csrf_token(shown.text)})
    assert erased.status_code == 200
    assert "Uw gegevens zijn gewist" in erased.text
    # The title says it is done, as the page does.
    assert "<title>Uw gegevens (gelukt) – " in erased.text
    assert "Ilse Mulder" not in erased.text
    left = p.petitions.personal_data("ilse@example.nl")
    assert all(s.name is None for s in left.signatures)

    bad = client.post("/privacy", data={"csrf_token": token, "email": "ilse@"})
    assert bad.status_code == 422
    assert "Dit e-mailadres klopt niet" in bad.text
    assert client.post("/api/privacy/request", json={"email": "x@example.nl"}).status_code == 202
