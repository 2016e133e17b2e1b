"""Running a whole poll over the admin API: life cycle, lost letters, paper ballots typed
twice by two staff members, desk ballots, the ballots file; refused without the host's
consent, and bad input named by its field."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.requests import Request

from participatie.engine import Participatie
from participatie.polls.codes import parse_code
from participatie.polls.schemas import BallotIn
from participatie.retention import text_digest
from participatie.web import create_app
from tests.web.helpers import open_code_poll

STAFF = "beheerder@gemeente.example.nl"
ANNA = {"x-staff": "anna@gemeente.example.nl"}
BOB = {"x-staff": "bob@gemeente.example.nl"}
CARLA = {"x-staff": "carla@gemeente.example.nl"}


def staff_header(request: Request, action: str, subject: str | None) -> str:
    """Allows everything; the staff member is whoever the x-staff header names."""

    return request.headers.get("x-staff", STAFF)


@pytest.fixture
def staff(p: Participatie) -> Iterator[TestClient]:
    with TestClient(create_app(p, authorize=staff_header), raise_server_exceptions=False) as c:
        yield c


def _actors(p: Participatie, poll: object, action: str) -> list[str]:
    return [e.actor for e in p.audit.events(subject_id=str(poll), action=action)]


def test_paper_ballots_typed_twice(p: Participatie, staff: TestClient) -> None:
    poll, codes = open_code_poll(p, households=4)
    base = f"/api/admin/polls/{poll.id}"

    first = staff.post(
        f"{base}/paper", json={"sheet": "1", "code": codes[0], "marks": ["Ecozone"]}, headers=ANNA
    )
    assert first.status_code == 201, first.text
    assert first.json() == {"sheet": "1", "status": "pending", "tracker": None, "note": ""}

    # The same typist cannot confirm her own typing.
    own = staff.post(
        f"{base}/paper", json={"sheet": "1", "code": codes[0], "marks": ["Ecozone"]}, headers=ANNA
    )
    assert own.status_code == 409
    assert own.json()["code"] == "poll.paper_entry"
    assert own.json()["field"] == "staff"
    assert "someone else" in own.json()["detail"]

    # Lower case, without dashes, by option position: read the same as the first typing.
    second = staff.post(
        f"{base}/paper",
        json={"sheet": "1", "code": codes[0].replace("-", "").lower(), "marks": ["2"]},
        headers=BOB,
    )
    assert second.status_code == 201, second.text
    assert second.json()["status"] == "matched"
    tracker = second.json()["tracker"]
    assert tracker

    third = staff.post(
        f"{base}/paper", json={"sheet": "1", "code": codes[0], "marks": ["Ecozone"]}, headers=CARLA
    )
    assert third.status_code == 409
    assert third.json()["field"] == "sheet"

    # Sheet 2: the two typings differ, so nothing counts until someone looks at the paper.
    staff.post(
        f"{base}/paper",
        json={"sheet": "2", "code": codes[1], "marks": ["Ecozone", "Siriusstraat"]},
        headers=ANNA,
    )
    differ = staff.post(
        f"{base}/paper",
        json={"sheet": "2", "code": codes[1], "marks": ["Siriusstraat"]},
        headers=BOB,
    )
    assert differ.json()["status"] == "mismatch"
    assert differ.json()["tracker"] is None
    listed = staff.get(f"{base}/paper/mismatches")
    assert listed.status_code == 200
    assert listed.json() == [
        {
            "sheet": "2",
            "first_staff": ANNA["x-staff"],
            "second_staff": BOB["x-staff"],
            "first": {"marks": ["Ecozone", "Siriusstraat"], "unreadable": False, "points": None},
            "second": {"marks": ["Siriusstraat"], "unreadable": False, "points": None},
            "resolved_by": None,
        }
    ]
    nothing = staff.post(
        f"{base}/paper/resolve",
        json={"sheet": "1", "code": codes[0], "marks": ["Ecozone"]},
        headers=CARLA,
    )
    assert nothing.status_code == 409
    assert nothing.json()["field"] == "sheet"

    # Closed with a sheet unresolved: the result cannot be published yet.
    assert staff.post(f"{base}/close").json()["state"] == "closed"
    before = staff.get(f"{base}/tally").json()
    assert before["ballots"] == 1
    assert before["channels"]["paper"] == 1
    assert before["paper"]["status"] == {"matched": 1, "mismatch": 1}
    refused = staff.post(f"{base}/publish")
    assert refused.status_code == 409
    assert refused.json()["field"] == "paper"

    resolved = staff.post(
        f"{base}/paper/resolve",
        json={"sheet": "2", "code": codes[1], "marks": ["Ecozone", "Siriusstraat"]},
        headers=CARLA,
    )
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["status"] == "resolved"
    assert resolved.json()["tracker"]
    assert staff.get(f"{base}/paper/mismatches").json()[0]["resolved_by"] == CARLA["x-staff"]

    tally = staff.get(f"{base}/tally").json()
    assert tally["ballots"] == 2
    assert tally["channels"] == {"online": 0, "paper": 2, "desk": 0}
    votes = {o["name"]: o["votes"] for o in tally["options"]}
    assert votes == {"Hoog Paddepoel": 0, "Ecozone": 2, "Siriusstraat": 1}
    assert tally["paper"]["typed_by"] == {
        ANNA["x-staff"]: 2,
        BOB["x-staff"]: 2,
        CARLA["x-staff"]: 1,
    }
    published = staff.post(f"{base}/publish")
    assert published.status_code == 200, published.text
    assert published.json()["state"] == "published"
    assert p.polls.find_tracker(poll.id, tracker).channel == "paper"  # type: ignore[union-attr]
    # The audit log names the typist, not the host's default actor.
    assert _actors(p, poll.id, "poll.paper_entered") == [ANNA["x-staff"], ANNA["x-staff"]]
    assert _actors(p, poll.id, "poll.paper_recorded") == [BOB["x-staff"], CARLA["x-staff"]]


def test_paper_envelopes_and_a_code_used_on_two_channels(
    p: Participatie, staff: TestClient
) -> None:
    poll, codes = open_code_poll(p, households=2)
    base = f"/api/admin/polls/{poll.id}"
    online = staff.post(f"/api/polls/{poll.id}/ballots", json={"code": codes[0], "choices": ["1"]})
    assert online.status_code == 201
    sheet = {"sheet": "A-1", "code": codes[0], "marks": ["Siriusstraat"]}
    staff.post(f"{base}/paper", json=sheet, headers=ANNA)
    late = staff.post(f"{base}/paper", json=sheet, headers=BOB)
    assert late.status_code == 201
    assert late.json()["status"] == "conflict"
    assert late.json()["tracker"] is None
    unreadable = {"sheet": "A-2", "code": codes[1], "unreadable": True}
    staff.post(f"{base}/paper", json=unreadable, headers=ANNA)
    assert staff.post(f"{base}/paper", json=unreadable, headers=BOB).json()["status"] == "matched"
    envelopes = staff.put(f"{base}/paper/envelopes", json={"count": 3})
    assert envelopes.status_code == 204
    staff.post(f"{base}/close")
    tally = staff.get(f"{base}/tally").json()
    assert tally["ballots"] == 2
    assert tally["invalid"] == 1
    assert tally["reconciliation"]["channel_conflicts"] == 1
    assert tally["paper"]["envelopes_counted"] == 3
    assert tally["paper"]["sheets_entered"] == 2
    assert tally["paper"]["envelopes_match"] is False
    assert tally["paper"]["status"] == {"conflict": 1, "matched": 1}
    assert {o["name"]: o["votes"] for o in tally["options"]}["Siriusstraat"] == 0


def test_lost_letter_gets_a_new_code(p: Participatie, staff: TestClient) -> None:
    poll, codes = open_code_poll(p, households=3)
    base = f"/api/admin/polls/{poll.id}"
    new = staff.post(f"{base}/codes/1/reissue", json={"reason": "brief kwijt"})
    assert new.status_code == 200, new.text
    assert new.headers["cache-control"] == "no-store"
    issued = new.json()
    assert issued["serial"] == 4
    assert parse_code(issued["code"])  # a well-formed code with its check character
    # The poll's short URL, as the letters print it; it opens the voting page.
    short = issued["url"].split("/k/")
    assert short[0] == p.settings.public_base_url.split("://", 1)[1] and len(short) == 2
    opened = staff.get(f"/k/{short[1]}", follow_redirects=False)
    assert opened.headers["location"] == f"/polls/{poll.id}/vote"
    assert issued["code"] not in codes

    old = staff.post(f"/api/polls/{poll.id}/ballots", json={"code": codes[0], "choices": ["1"]})
    assert old.status_code == 403
    assert old.json()["code"] == "poll.code_revoked"
    vote = staff.post(
        f"/api/polls/{poll.id}/ballots", json={"code": issued["code"], "choices": ["Ecozone"]}
    )
    assert vote.status_code == 201, vote.text

    again = staff.post(f"{base}/codes/1/reissue")
    assert again.status_code == 409
    assert again.json()["field"] == "serial"
    used = staff.post(f"{base}/codes/4/reissue")
    assert used.status_code == 409
    assert "used to vote" in used.json()["detail"]
    unknown = staff.post(f"{base}/codes/99/reissue")
    assert unknown.status_code == 404
    assert unknown.json()["field"] == "serial"

    # A stolen letter: its code is revoked without a new one.
    revoked = staff.post(f"{base}/codes/2/revoke", json={"reason": "gestolen"})
    assert revoked.status_code == 204
    refused = staff.post(f"/api/polls/{poll.id}/ballots", json={"code": codes[1], "choices": ["1"]})
    assert refused.json()["code"] == "poll.code_revoked"

    staff.post(f"{base}/close")
    tally = staff.get(f"{base}/tally").json()
    assert tally["eligible"] == 2  # letters 3 and 4
    assert tally["ballots"] == 1
    assert tally["reconciliation"]["credentials_issued"] == 4
    assert tally["reconciliation"]["credentials_revoked"] == 2
    reissued = p.audit.events(subject_id=str(poll.id), action="poll.code_reissued")
    assert [(e.actor, e.data["reason_sha256"]) for e in reissued] == [
        (STAFF, text_digest("brief kwijt"))
    ]
    assert staff.post(f"{base}/codes/3/reissue").json()["code"] == "poll.closed"


def test_desk_ballot(p: Participatie, staff: TestClient) -> None:
    poll, codes = open_code_poll(p)
    base = f"/api/admin/polls/{poll.id}"
    desk = staff.post(
        f"{base}/desk-ballots",
        json={"code": codes[2], "choices": ["Hoog Paddepoel", "Ecozone"]},
        headers=ANNA,
    )
    assert desk.status_code == 201, desk.text
    assert desk.json()["channel"] == "desk"
    again = staff.post(f"{base}/desk-ballots", json={"code": codes[2], "choices": ["3"]})
    assert again.status_code == 409
    assert again.json()["code"] == "poll.already_voted"
    no_code = staff.post(f"{base}/desk-ballots", json={"choices": ["3"]})
    assert no_code.status_code == 422
    assert no_code.json()["field"] == "code"
    assert _actors(p, poll.id, "poll.ballot_recorded") == [ANNA["x-staff"]]

    staff.post(f"{base}/close")
    tally = staff.get(f"{base}/tally").json()
    assert tally["channels"]["desk"] == 1
    assert tally["ballots"] == 1


def test_life_cycle_over_the_admin_api(p: Participatie, staff: TestClient) -> None:
    created = staff.post(
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
    base = f"/api/admin/polls/{created.json()['id']}"
    assert staff.get(base).json()["state"] == "draft"
    # The public API does not show a draft; the admin API does.
    assert staff.get(f"/api/polls/{created.json()['id']}").status_code == 404

    early = staff.post(f"{base}/schedule")
    assert early.status_code == 422
    assert early.json()["field"] == "opens_at"
    now = p.clock.now()
    edited = staff.patch(
        base,
        json={
            "title": "Nieuwe bankjes",
            "opens_at": (now + timedelta(days=1)).isoformat(),
            "closes_at": (now + timedelta(days=8)).isoformat(),
        },
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["title"] == "Nieuwe bankjes"
    scheduled = staff.post(f"{base}/schedule")
    assert scheduled.status_code == 200, scheduled.text
    assert scheduled.json()["state"] == "scheduled"
    assert staff.post(f"{base}/schedule").status_code == 409

    blank = staff.post(f"{base}/cancel", json={"reason": "   "})
    assert blank.status_code == 422
    assert blank.json()["field"] == "reason"
    cancelled = staff.post(f"{base}/cancel", json={"reason": "Het plein wordt verbouwd."})
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["state"] == "cancelled"
    for action in ("open", "schedule", "cancel"):
        body = {"reason": "nog eens"} if action == "cancel" else None
        refused = staff.post(f"{base}/{action}", json=body)
        assert refused.status_code == 409, action
    assert staff.patch(base, json={"title": "Toch wel"}).json()["code"] == "poll.closed"
    events = p.audit.events(subject_id=created.json()["id"], action="poll.cancelled")
    assert events[0].data == {"before": "scheduled", "reason": "Het plein wordt verbouwd."}


def test_letters_with_addresses_publish_with_witness_and_ballots_file(
    p: Participatie, staff: TestClient
) -> None:
    created = staff.post(
        "/api/admin/polls",
        json={
            "title": "Bankjes",
            "question": "Waar komen de bankjes?",
            "options": [{"name": "Park"}, {"name": "Plein"}],
            "rule": "plurality",
            "max_choices": 1,
            "tie_break": "lot",
        },
    )
    poll = created.json()["id"]
    base = f"/api/admin/polls/{poll}"
    both = staff.post(
        f"{base}/codes",
        json={"count": 1, "addresses": [{"line": "Dorpsstraat 1", "postcode": "9742 AB"}]},
    )
    assert both.status_code == 422
    assert both.json()["field"] == "count"
    letters = staff.post(
        f"{base}/codes",
        json={
            "addresses": [
                {"line": "Dorpsstraat 1", "postcode": "9742ab"},
                {"line": "Dorpsstraat 3", "postcode": "9742 AB"},
            ]
        },
    )
    assert letters.status_code == 200, letters.text
    assert letters.headers["cache-control"] == "no-store"
    rows = [r.split(";") for r in letters.content.decode("utf-8-sig").splitlines()[1:]]
    assert [r[1] for r in rows] == ["Dorpsstraat 1, 9742 AB", "Dorpsstraat 3, 9742 AB"]

    staff.post(f"{base}/open")
    assert staff.get(f"{base}/ballots-file").status_code == 409
    for row, choice in zip(rows, ("Park", "Plein"), strict=True):
        vote = staff.post(f"/api/polls/{poll}/ballots", json={"code": row[2], "choices": [choice]})
        assert vote.status_code == 201
    staff.post(f"{base}/close")
    ballots = staff.get(f"{base}/ballots-file")
    assert ballots.status_code == 200
    digest = hashlib.sha256(ballots.content).hexdigest()
    assert ballots.headers["x-participatie-sha256"] == digest
    assert [b["channel"] for b in ballots.json()] == ["online", "online"]

    # A tie drawn by lot: the witness of the draw goes into the result and the log.
    result = staff.post(f"{base}/publish", json={"witness": "notaris De Boer"})
    assert result.status_code == 200, result.text
    assert result.json()["lot_witness"] == "notaris De Boer"
    assert result.json()["ballots_sha256"] == digest
    assert result.json()["ties"][0]["resolution"] == "lot"
    published = p.audit.events(subject_id=poll, action="poll.published")
    assert published[0].data["witness"] == "notaris De Boer"


ROUTES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "", None),
    ("PATCH", "", {"title": "Anders"}),
    ("POST", "/schedule", None),
    ("POST", "/cancel", {"reason": "zomaar"}),
    ("POST", "/codes/1/revoke", {"reason": "gestolen"}),
    ("POST", "/codes/1/reissue", {"reason": "kwijt"}),
    ("POST", "/desk-ballots", {"code": "X", "choices": ["1"]}),
    ("POST", "/paper", {"sheet": "1", "marks": ["1"]}),
    ("GET", "/paper/mismatches", None),
    ("POST", "/paper/resolve", {"sheet": "1", "marks": ["1"]}),
    ("PUT", "/paper/envelopes", {"count": 1}),
    ("GET", "/ballots-file", None),
]


def test_admin_routes_refused_without_callback(p: Participatie) -> None:
    poll, codes = open_code_poll(p)
    with TestClient(create_app(p)) as c:
        for method, path, body in ROUTES:
            if body is not None and "code" in body:
                body = {**body, "code": codes[0]}
            response = c.request(method, f"/api/admin/polls/{poll.id}{path}", json=body)
            assert response.status_code == 403, (method, path)
            assert response.json()["code"] == "permission.denied"
    # Nothing happened: the poll is open and every code still votes.
    assert p.polls.get(poll.id).state == "open"
    assert p.polls.paper_mismatches(poll.id) == []
    assert p.audit.events(subject_id=str(poll.id), action="poll.code_reissued") == []
    receipt = p.polls.cast(poll.id, BallotIn(choices=["Ecozone"]), code=codes[0])
    assert receipt.channel == "online"


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("POST", "/paper", {"sheet": "x" * 51, "marks": []}, "sheet"),
        ("POST", "/paper", {"sheet": "1", "marks": ["x" * 201]}, "marks.0"),
        ("POST", "/paper", {"sheet": "1", "code": "A" * 41}, "code"),
        ("POST", "/paper", {"sheet": "1", "points": {"Ecozone": -1}}, "points.Ecozone"),
        ("POST", "/paper", {"sheet": "1", "staff": "iemand anders"}, "staff"),
        ("POST", "/paper/resolve", {"marks": ["1"]}, "sheet"),
        ("PUT", "/paper/envelopes", {"count": -1}, "count"),
        ("POST", "/cancel", {"reason": ""}, "reason"),
        ("POST", "/cancel", {"reason": "x" * 1001}, "reason"),
        ("POST", "/codes/abc/reissue", None, "serial"),
        ("POST", "/codes/0/revoke", None, "serial"),
        ("POST", "/codes/1/reissue", {"reason": "x" * 501}, "reason"),
        ("POST", "/desk-ballots", {"code": "A" * 41, "choices": ["1"]}, "code"),
        ("POST", "/desk-ballots", {"subject": "x" * 256, "choices": ["1"]}, "subject"),
        ("POST", "/publish", {"witness": "x" * 201}, "witness"),
        ("PATCH", "", {"rule": "borda"}, "rule"),
    ],
)
def test_bad_input_is_named(
    p: Participatie,
    client: TestClient,
    method: str,
    path: str,
    body: dict[str, Any] | None,
    field: str,
) -> None:
    poll, _ = open_code_poll(p)
    response = client.request(method, f"/api/admin/polls/{poll.id}{path}", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "input.invalid"
    assert response.json()["field"] == field


def test_unknown_poll_is_not_found(client: TestClient) -> None:
    for method, path, body in ROUTES:
        response = client.request(method, f"/api/admin/polls/not-a-poll{path}", json=body)
        assert response.status_code == 404, (method, path, response.text)
        assert response.json()["code"] == "poll.not_found"
        assert response.json()["field"] == "poll"
