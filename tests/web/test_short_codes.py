"""Short codes from letters: made once per page, typed forgivingly, opening the page."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

from fastapi.testclient import TestClient

from participatie.engine import Participatie
from participatie.reactions.schemas import ReactionIn, SubmitterIn
from participatie.shortcodes import ALPHABET, normalise
from tests.polls.conftest import make_poll
from tests.web.helpers import open_dossier


def test_one_code_per_page_from_a_plain_alphabet(p: Participatie) -> None:
    first, second = uuid.uuid4(), uuid.uuid4()
    code = p.short_codes.code_for("dossier", first)
    assert len(code) == 4 and all(c in ALPHABET for c in code)
    assert not set(ALPHABET) & set("0O1IL5SBUV")
    assert p.short_codes.code_for("dossier", first) == code
    assert p.short_codes.code_for("dossier", second) != code
    assert p.short_codes.code_for("poll", first) != code
    assert p.short_codes.resolve(code) == f"/dossiers/{first}"
    assert p.short_codes.resolve(f" {code[:2].lower()}-{code[2:].lower()} ") == f"/dossiers/{first}"
    unused = next(
        a + b + c + d
        for a in ALPHABET
        for b in ALPHABET
        for c in ALPHABET
        for d in ALPHABET
        if a + b + c + d not in {code, p.short_codes.code_for("dossier", second)}
    )
    assert p.short_codes.resolve(unused) is None
    assert normalise("K0QF") is None and normalise("K7") is None


def test_the_code_opens_the_page(p: Participatie, client: TestClient) -> None:
    dossier = open_dossier(p)
    code = p.short_codes.code_for("dossier", dossier.id)
    response = client.get(f"/k/{code.lower()}", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/dossiers/{dossier.id}"
    page = client.get(f"/k/{code}")
    assert page.status_code == 200 and dossier.title in page.text
    assert client.get("/k/QQQQQQQQ", follow_redirects=False).status_code == 404


def test_a_letter_prints_the_code(p: Participatie, tmp_path: Path) -> None:
    dossier = open_dossier(p)
    p.reactions.register(
        dossier.id,
        ReactionIn(
            channel="paper",
            text="Graag meer bankjes.",
            submitters=[
                SubmitterIn(
                    name="Piet Post",
                    street="Kerkstraat",
                    house_number="4",
                    postcode="9742 AB",
                    city="Groningen",
                )
            ],
        ),
        actor="desk",
    )
    batch = p.reactions.write_letters(
        dossier.id, tmp_path / "b", kind="acknowledgement", pdf=False, actor="test"
    )
    letter = (tmp_path / "b" / batch.files[0]).read_text(encoding="utf-8")
    host = p.settings.public_base_url.split("://", 1)[1]
    found = re.search(re.escape(host) + r"/k/([A-Z0-9]{4,8})", letter)
    assert found, letter
    assert p.short_codes.resolve(found.group(1)) == f"/dossiers/{dossier.id}"
    assert str(dossier.id) not in letter


def test_the_code_letters_print_the_polls_short_url(
    p: Participatie, client: TestClient, tmp_path: Path
) -> None:
    poll = make_poll(p)
    letters = tmp_path / "letters.csv"
    p.polls.issue_codes(poll.id, letters, count=3, actor="projectleider")
    p.polls.open(poll.id, actor="projectleider")
    rows = [line.split(";") for line in letters.read_text(encoding="utf-8-sig").splitlines()]
    assert rows[0] == ["volgnummer", "adres", "stemcode", "stemadres"]
    addresses = {row[3] for row in rows[1:]}
    assert len(rows) == 4 and len(addresses) == 1
    (printed,) = addresses
    host = p.settings.public_base_url.split("://", 1)[1]
    found = re.fullmatch(re.escape(host) + r"/k/([A-Z0-9]{4,8})", printed)
    assert found, printed
    assert str(poll.id) not in printed
    response = client.get(f"/k/{found.group(1)}", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/polls/{poll.id}/vote"
    page = client.get(f"/k/{found.group(1)}")
    assert page.status_code == 200 and poll.title in page.text
    # A reissued letter carries the same short URL.
    assert p.polls.reissue_code(poll.id, 2, actor="balie").url == printed
