"""Poll pages and API over HTTP: code entry with the check character, ballot, receipt,
tracker look-up after closing, the result with its chart, e-mail links, the API."""

from __future__ import annotations

from fastapi.testclient import TestClient

from participatie.engine import Participatie
from participatie.polls.codes import ALPHABET
from tests.web.conftest import csrf_token
from tests.web.helpers import open_code_poll


def _typo(code: str) -> str:
    """The code with its first character replaced: the check character must notice."""

    first = code[0]
    other = next(ch for ch in ALPHABET if ch != first)
    return other + code[1:]


def test_vote_with_a_code_from_the_letter(p: Participatie, client: TestClient) -> None:
    poll, codes = open_code_poll(p)
    page = client.get(f"/polls/{poll.id}")
    assert page.status_code == 200
    assert "Waar moeten de twee nieuwe speelplekken komen?" in page.text
    assert f'href="/polls/{poll.id}/vote"' in page.text

    vote_page = client.get(f"/polls/{poll.id}/vote")
    token = csrf_token(vote_page.text)
    typo = client.post(
        f"/polls/{poll.id}/vote",
        data={"csrf_token": token, "step": "code", "code": _typo(codes[0])},
    )
    assert typo.status_code == 422
    assert "Er zit een tikfout in de code" in typo.text
    assert 'aria-invalid="true"' in typo.text

    # Lower case, no dashes: read as the resident types it.
    typed = codes[0].replace("-", "").lower()
    ballot = client.post(
        f"/polls/{poll.id}/vote", data={"csrf_token": token, "step": "code", "code": typed}
    )
    assert ballot.status_code == 200
    assert 'type="checkbox"' in ballot.text
    assert "U mag er hoogstens 2 kiezen" in ballot.text

    too_many = client.post(
        f"/polls/{poll.id}/vote",
        data={"csrf_token": token, "step": "ballot", "code": codes[0], "choice": ["1", "2", "3"]},
    )
    assert too_many.status_code == 422
    assert "Kies hoogstens 2 antwoorden." in too_many.text

    cast = client.post(
        f"/polls/{poll.id}/vote",
        data={"csrf_token": token, "step": "ballot", "code": codes[0], "choice": ["1", "2"]},
    )
    assert cast.status_code == 200
    assert "Uw stem is ontvangen" in cast.text
    tracker = cast.text.split('id="tracker">')[1].split("<")[0]
    assert len(tracker) >= 8

    again = client.post(
        f"/polls/{poll.id}/vote",
        data={"csrf_token": token, "step": "ballot", "code": codes[0], "choice": ["3"]},
    )
    assert again.status_code == 422
    assert "Met deze code is al gestemd" in again.text
    # A used or unknown code is refused at the code step, before a ballot is shown.
    used = client.post(
        f"/polls/{poll.id}/vote", data={"csrf_token": token, "step": "code", "code": codes[0]}
    )
    assert used.status_code == 422
    assert "Met deze code is al gestemd" in used.text and 'type="checkbox"' not in used.text

    # Before closing the tracker page says to come back later; afterwards it finds the ballot.
    assert "als de stemming voorbij is" in client.get(f"/polls/{poll.id}/ballots").text
    p.polls.close(poll.id, actor="projectleider")
    found = client.get(f"/polls/{poll.id}/ballots", params={"tracker": tracker})
    assert found.status_code == 200
    assert "Uw stem is gevonden" in found.text
    assert "Hoog Paddepoel, Ecozone" in found.text
    missing = client.get(f"/polls/{poll.id}/ballots", params={"tracker": "0" * 16})
    assert missing.status_code == 404
    assert "We vinden geen stem" in missing.text
    assert "De uitslag komt hier" in client.get(f"/polls/{poll.id}/result").text
    assert "de uitslag volgt" in client.get("/").text

    p.polls.publish(poll.id, actor="projectleider")
    result = client.get(f"/polls/{poll.id}/result")
    assert result.status_code == 200
    assert "<svg" in result.text and 'role="img"' in result.text
    assert "1 van de 3 huishoudens stemden (33,3%)" in result.text
    assert result.text.count("<rect") == 3


def test_closed_poll_cannot_be_voted_on(p: Participatie, client: TestClient) -> None:
    poll, codes = open_code_poll(p)
    token = csrf_token(client.get(f"/polls/{poll.id}/vote").text)
    p.polls.close(poll.id, actor="projectleider")
    assert "Ga stemmen" not in client.get(f"/polls/{poll.id}").text
    late = client.post(
        f"/polls/{poll.id}/vote",
        data={"csrf_token": token, "step": "ballot", "code": codes[0], "choice": ["1"]},
    )
    assert late.status_code == 409
    assert "De stemming is voorbij" in late.text


def test_vote_by_e_mail_link(p: Participatie, client: TestClient) -> None:
    poll, _ = open_code_poll(p, eligibility="email")
    page = client.get(f"/polls/{poll.id}/vote")
    assert 'autocomplete="email"' in page.text
    sent = client.post(
        f"/polls/{poll.id}/vote",
        data={"csrf_token": csrf_token(page.text), "step": "email", "email": "dirk@example.nl"},
    )
    assert sent.status_code == 200
    mail = p.outbox.messages(to="dirk@example.nl")
    assert mail, "a voting link was mailed"
    link = mail[-1].text_body.split("/polls/confirm/")[1].split()[0]
    ballot = client.get(f"/polls/confirm/{link}")
    assert ballot.status_code == 200
    cast = client.post(
        f"/polls/{poll.id}/vote",
        data={
            "csrf_token": csrf_token(ballot.text),
            "step": "ballot",
            "email_token": link,
            "choice": ["2"],
        },
    )
    assert cast.status_code == 200, cast.text
    assert "Uw stem is ontvangen" in cast.text


def test_polls_api(p: Participatie, client: TestClient) -> None:
    poll, codes = open_code_poll(p)
    assert [x["id"] for x in client.get("/api/polls").json()] == [str(poll.id)]
    check = client.post(f"/api/polls/{poll.id}/check-code", json={"code": _typo(codes[1])})
    assert check.status_code == 422
    assert check.json()["code"] == "poll.code_typo"
    good = client.post(f"/api/polls/{poll.id}/check-code", json={"code": codes[1].lower()})
    assert good.json()["code"] == codes[1]
    receipt = client.post(
        f"/api/polls/{poll.id}/ballots", json={"code": codes[1], "choices": ["Ecozone"]}
    )
    assert receipt.status_code == 201
    tracker = receipt.json()["tracker"]
    assert client.get(f"/api/polls/{poll.id}/ballots").status_code == 409
    assert client.get(f"/api/polls/{poll.id}/result").status_code == 409
    p.polls.close(poll.id, actor="projectleider")
    # Closed: a voter checks their own ballot; the list is the result, so it waits for it.
    assert client.get(f"/api/polls/{poll.id}/ballots/{tracker}").json()["choices"] == ["Ecozone"]
    assert client.get(f"/api/polls/{poll.id}/ballots").status_code == 409
    p.polls.publish(poll.id, actor="projectleider")
    ballots = client.get(f"/api/polls/{poll.id}/ballots").json()
    assert [b["tracker"] for b in ballots] == [tracker]
    result = client.get(f"/api/polls/{poll.id}/result").json()
    assert result["ballots"] == 1
    # Administration needs the host's consent; the test app allows everything.
    assert client.get("/api/admin/polls").status_code == 200


def test_ranked_and_cumulative_ballots_from_the_form(p: Participatie, client: TestClient) -> None:
    ranked, codes = open_code_poll(p, rule="borda", seats=1, max_choices=None)
    page = client.get(f"/polls/{ranked.id}/vote")
    token = csrf_token(page.text)
    ballot = client.post(
        f"/polls/{ranked.id}/vote", data={"csrf_token": token, "step": "code", "code": codes[0]}
    )
    assert "<select" in ballot.text and 'for="plaats-1"' in ballot.text
    same_place = client.post(
        f"/polls/{ranked.id}/vote",
        data={
            "csrf_token": token,
            "step": "ballot",
            "code": codes[0],
            "rank-1": "1",
            "rank-2": "1",
        },
    )
    assert same_place.status_code == 422
    assert 'value="1" selected' in same_place.text  # what was chosen stays chosen
    cast = client.post(
        f"/polls/{ranked.id}/vote",
        data={
            "csrf_token": token,
            "step": "ballot",
            "code": codes[0],
            "rank-3": "1",
            "rank-1": "2",
        },
    )
    assert cast.status_code == 200, cast.text
    tracker = cast.text.split('id="tracker">')[1].split("<")[0]
    p.polls.close(ranked.id, actor="projectleider")
    assert p.polls.find_tracker(ranked.id, tracker).choices == ["Siriusstraat", "Hoog Paddepoel"]  # type: ignore[union-attr]

    points, codes = open_code_poll(p, rule="cumulative", seats=1, max_choices=None, points=5)
    ballot = client.post(
        f"/polls/{points.id}/vote", data={"csrf_token": token, "step": "code", "code": codes[0]}
    )
    assert "Verdeel hoogstens 5 punten" in ballot.text
    too_many = client.post(
        f"/polls/{points.id}/vote",
        data={
            "csrf_token": token,
            "step": "ballot",
            "code": codes[0],
            "points-1": "4",
            "points-2": "3",
        },
    )
    assert too_many.status_code == 422
    assert 'value="4"' in too_many.text
    cast = client.post(
        f"/polls/{points.id}/vote",
        data={
            "csrf_token": token,
            "step": "ballot",
            "code": codes[0],
            "points-1": "3",
            "points-2": "2",
        },
    )
    assert cast.status_code == 200, cast.text


def test_codes_for_the_letters_once_over_the_admin_api(p: Participatie, client: TestClient) -> None:
    created = client.post(
        "/api/admin/polls",
        json={
            "title": "Bankjes",
            "question": "Waar komen de bankjes?",
            "options": [{"name": "Park"}, {"name": "Plein"}],
            "rule": "plurality",
            "max_choices": 1,
        },
    )
    assert created.status_code == 201, created.text
    poll = created.json()["id"]
    letters = client.post(f"/api/admin/polls/{poll}/codes", json={"count": 3})
    assert letters.status_code == 200
    assert letters.headers["content-type"].startswith("text/csv")
    rows = letters.content.decode("utf-8-sig").splitlines()
    assert len(rows) == 4
    again = client.post(f"/api/admin/polls/{poll}/codes", json={"count": 3})
    assert again.status_code == 409
    assert again.json()["code"] == "poll.codes_already_issued"
    assert client.post(f"/api/admin/polls/{poll}/open").status_code == 200
    code = rows[1].split(";")[2]
    vote = client.post(f"/api/polls/{poll}/ballots", json={"code": code, "choices": ["Park"]})
    assert vote.status_code == 201
