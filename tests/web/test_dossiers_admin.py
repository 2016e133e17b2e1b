"""The assessment of a dossier over the admin API: themes with assessors, reactions split
into points, an answer per theme (outcome and reason), publication with feedback mail,
late reactions, deadline extensions with delay mail, overdue report, progress and the
import of paper forms from a spreadsheet."""

from __future__ import annotations

import base64
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from participatie.engine import Participatie
from participatie.exports.writers import write_excel_csv, write_xlsx
from participatie.formatting import format_day
from participatie.reactions.schemas import ReactionIn, SubmitterIn
from participatie.web import create_app
from tests.web.helpers import open_dossier

ADMIN = "/api/admin/dossiers"
HEADER = ["nummer", "datum", "tekst", "naam", "e-mail", "thema"]
ROWS = [
    ["F1", "", "Meer losloopgebieden", "Anna", "anna@example.nl", "losloop"],
    ["F2", "", "", "Bert", "", ""],
    ["F3", "", "Foute mail", "Cor", "cor@", ""],
    ["F4", "", "Meer afvalbakken", "Dien", "dien@example.nl", ""],
]


def _today(p: Participatie) -> date:
    return p.clock.now().astimezone(p.settings.zone).date()


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def test_assess_answer_and_publish_tells_the_submitter(p: Participatie, client: TestClient) -> None:
    dossier = open_dossier(p)
    base = f"{ADMIN}/{dossier.id}"
    sent = client.post(
        f"/api/dossiers/{dossier.id}/reactions",
        json={
            "name": "Els",
            "email": "els@example.nl",
            "text": "Graag meer losloopgebieden. En meer afvalbakken langs het park.",
        },
    )
    assert sent.status_code == 201, sent.text

    theme = _ok(
        client.post(
            f"{base}/themes",
            json={"code": "Losloop", "title": "Losloopgebieden", "assessor": "a.bakker"},
        ),
        201,
    )
    assert (theme["code"], theme["assessor"]) == ("losloop", "a.bakker")
    _ok(client.post(f"{base}/themes", json={"code": "afval", "title": "Afval"}), 201)
    twice = client.post(f"{base}/themes", json={"code": "afval", "title": "Nog eens"})
    assert twice.status_code == 409
    assert (twice.json()["code"], twice.json()["field"]) == ("reaction.theme_exists", "code")
    given = _ok(client.post(f"{base}/themes/afval/assessor", json={"assessor": "b.smit"}))
    assert given["assessor"] == "b.smit"

    rid = p.reactions.reaction_by_number(dossier.id, 1).id
    first = _ok(
        client.post(
            f"{base}/reactions/{rid}/points",
            json={"text": "Meer losloopgebieden", "theme": "losloop"},
        ),
        201,
    )
    assert (first["reaction_number"], first["position"], first["theme"]) == (1, 1, "losloop")
    second = _ok(
        client.post(f"{base}/reactions/{rid}/points", json={"text": "Meer afvalbakken"}), 201
    )
    assert first["reaction_id"] == second["reaction_id"] == str(rid)
    assert second["theme"] is None
    moved = _ok(
        client.post(
            f"{base}/points/{second['id']}/assign", json={"theme": "afval", "assessor": "c.dijk"}
        )
    )
    assert (moved["theme"], moved["assessor"]) == ("afval", "c.dijk")
    assert [pt["text"] for pt in _ok(client.get(f"{base}/points?theme=afval"))] == [
        "Meer afvalbakken"
    ]
    assert len(_ok(client.get(f"{base}/points?reaction_id={rid}"))) == 2
    themes = {t["code"]: t for t in _ok(client.get(f"{base}/themes"))}
    assert (themes["losloop"]["points"], themes["afval"]["reactions"]) == (1, 1)

    # Not every point answered yet: publishing is refused with its own code.
    early = client.post(f"{base}/publish")
    assert early.status_code == 409
    assert early.json()["code"] == "reaction.answers_incomplete"

    honoured = _ok(
        client.post(
            f"{base}/answers",
            json={
                "theme": "losloop",
                "outcome": "honoured",
                "motivation": "Er komt een losloopgebied in het Noorderplantsoen.",
                "changes_plan": True,
                "change_reference": "paragraaf 3.2",
            },
        ),
        201,
    )
    assert (honoured["status"], honoured["version"]) == ("draft", 1)
    draft = _ok(
        client.post(
            f"{base}/answers",
            json={"theme": "afval", "outcome": "noted", "motivation": "Eerste versie."},
        ),
        201,
    )
    again = client.post(
        f"{base}/answers", json={"theme": "afval", "outcome": "noted", "motivation": "Nog een."}
    )
    assert again.status_code == 409
    # The assessor revises the draft; an edit on the old version is refused, not lost.
    revised = _ok(
        client.put(
            f"{base}/answers/{draft['id']}",
            json={
                "outcome": "partially_honoured",
                "motivation": "Langs het park komen twee afvalbakken, niet overal.",
                "expected_version": 1,
            },
        )
    )
    assert (revised["version"], revised["theme"]) == (2, "afval")
    stale = client.put(
        f"{base}/answers/{draft['id']}",
        json={"outcome": "not_honoured", "motivation": "Toch niet.", "expected_version": 1},
    )
    assert stale.status_code == 409
    assert stale.json()["code"] == "conflict.stale"
    history = _ok(client.get(f"{base}/answers/{draft['id']}/history"))
    assert [(v["version"], v["outcome"]) for v in history] == [
        (1, "noted"),
        (2, "partially_honoured"),
    ]
    assert len(_ok(client.get(f"{base}/answers"))) == 2

    # Review before publishing: the nota as it stands (no names) and the progress.
    nota = _ok(client.get(f"{base}/nota"))
    assert nota["published_at"] is None
    assert {row["outcome"] for row in nota["rows"]} == {"honoured", "partially_honoured"}
    assert "Els" not in str(nota)
    stats = _ok(client.get(f"{base}/stats"))
    assert (stats["reactions"], stats["points"], stats["themes"]) == (1, 2, 2)
    assert stats["answered"] == 0
    assert client.get(f"/api/dossiers/{dossier.id}/stats").status_code == 409

    result = _ok(client.post(f"{base}/publish"))
    assert (result["answers"], result["reactions"], result["emails"]) == (2, 1, 1)
    feedback = p.outbox.messages(to="els@example.nl", template="reactions_feedback")
    assert len(feedback) == 1
    body = feedback[0].text_body
    # Plain words for the resident (B1); the formal terms are the nota's.
    assert "Conclusie: Overgenomen - wij passen het plan aan (paragraaf 3.2)" in body
    assert "Conclusie: Deels overgenomen" in body
    assert "gehonoreerd" not in body.lower()
    assert "Er komt een losloopgebied in het Noorderplantsoen." in body
    assert "Langs het park komen twee afvalbakken, niet overal." in body
    assert _ok(client.get(f"{base}/stats"))["answered"] == 1

    published = {a["id"]: a for a in _ok(client.get(f"{base}/answers"))}
    assert {a["status"] for a in published.values()} == {"published"}
    final = client.put(
        f"{base}/answers/{draft['id']}",
        json={
            "outcome": "honoured",
            "motivation": "Achteraf.",
            "expected_version": published[draft["id"]]["version"],
        },
    )
    assert final.status_code == 409
    assert final.json()["code"] == "reaction.already_published"


def test_late_reaction_extension_and_overdue(p: Participatie, client: TestClient) -> None:
    dossier = open_dossier(p)
    base = f"{ADMIN}/{dossier.id}"
    on_time = client.post(
        f"/api/dossiers/{dossier.id}/reactions",
        json={"name": "Piet", "email": "piet@example.nl", "text": "Meer afvalbakken."},
    )
    assert on_time.status_code == 201, on_time.text
    answer_due = date.fromisoformat(on_time.json()["answer_due"])
    assert _ok(client.get(f"{base}/overdue")) == []

    p.clock.advance(timedelta(weeks=7))  # type: ignore[attr-defined]
    late = _ok(
        client.post(
            f"{base}/reactions",
            json={
                "channel": "letter",
                "text": "Mijn brief kwam te laat.",
                "submitters": [{"name": "Karin", "email": "karin@example.nl"}],
            },
        ),
        201,
    )["reaction"]
    assert (late["number"], late["late"], late["admissible"]) == (2, True, None)
    no_reason = client.post(
        f"{base}/reactions/{late['id']}/admissibility", json={"admissible": False, "reason": ""}
    )
    assert no_reason.status_code == 422
    assert no_reason.json()["field"] == "reason"
    decided = _ok(
        client.post(
            f"{base}/reactions/{late['id']}/admissibility",
            json={"admissible": False, "reason": "De brief kwam na de termijn binnen."},
        )
    )
    assert (decided["admissible"], decided["admissibility_reason"]) == (
        False,
        "De brief kwam na de termijn binnen.",
    )
    # A number, an unknown id and a reaction of another dossier are all not found.
    other = open_dossier(p)
    stranger = p.reactions.register(
        other.id, ReactionIn(text="Elders.", submitters=[SubmitterIn(name="X")]), actor="test"
    ).reaction.id
    for wrong in ("2", uuid.uuid4(), stranger):
        missing = client.post(
            f"{base}/reactions/{wrong}/admissibility", json={"admissible": True, "reason": "Ja."}
        )
        assert missing.status_code == 404, wrong
        assert (missing.json()["code"], missing.json()["field"]) == (
            "reaction.not_found",
            "reaction",
        )
    assert p.reactions.reaction(stranger).admissible is not False

    # Reaction 1 is past its answer date: in the dossier's report and in the overall one.
    overdue = _ok(client.get(f"{base}/overdue"))
    assert [(i["number"], i["kind"], i["due"]) for i in overdue] == [
        (1, "answer", answer_due.isoformat())
    ]
    assert overdue[0]["days_overdue"] > 0
    everywhere = _ok(client.get(f"{ADMIN}/overdue"))
    assert {(i["dossier_id"], i["number"]) for i in everywhere} >= {(str(dossier.id), 1)}

    past = client.post(
        f"{base}/extensions", json={"new_due": _today(p).isoformat(), "reason": "Drukte."}
    )
    assert past.status_code == 422
    assert past.json()["field"] == "new_due"
    new_due = _today(p) + timedelta(days=30)
    extension = _ok(
        client.post(
            f"{base}/extensions",
            json={
                "new_due": new_due.isoformat(),
                "reason": "Er kwamen veel meer reacties dan verwacht.",
            },
        )
    )
    # The reaction judged inadmissible is not waiting for an answer.
    assert extension == {
        "reactions": 1,
        "new_due": new_due.isoformat(),
        "emails": 1,
        "letters_due": 0,
    }
    [delay] = p.outbox.messages(to="piet@example.nl", template="reactions_delay")
    assert "Er kwamen veel meer reacties dan verwacht." in delay.text_body
    assert format_day(new_due) in delay.text_body
    assert p.outbox.messages(to="karin@example.nl", template="reactions_delay") == []
    assert _ok(client.get(f"{base}/overdue")) == []
    stats = _ok(client.get(f"{base}/stats"))
    assert (stats["reactions"], stats["late"], stats["not_admissible"], stats["extended"]) == (
        2,
        1,
        1,
        1,
    )
    # Nothing due before that date any more.
    nothing = client.post(
        f"{base}/extensions",
        json={
            "new_due": new_due.isoformat(),
            "reason": "Nog eens.",
            "reaction_ids": [str(p.reactions.reaction_by_number(dossier.id, 1).id)],
        },
    )
    assert nothing.status_code == 409


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_paper_import_reports_bad_rows_and_keeps_good_ones(
    p: Participatie, client: TestClient, tmp_path: Path, kind: str
) -> None:
    dossier = open_dossier(p)
    base = f"{ADMIN}/{dossier.id}"
    _ok(client.post(f"{base}/themes", json={"code": "losloop", "title": "Losloop"}), 201)
    path = tmp_path / f"informatiemarkt.{kind}"
    if kind == "csv":
        write_excel_csv(path, HEADER, ROWS)
    else:
        write_xlsx(path, [("Blad1", HEADER, ROWS)])
    upload = {
        "filename": f"C:\\scans\\{path.name}",
        "content_base64": base64.b64encode(path.read_bytes()).decode(),
    }
    report = _ok(client.post(f"{base}/import", json=upload))
    assert (report["rows"], report["imported"], report["numbers"]) == (4, 2, [1, 2])
    assert report["reaction_ids"] == [
        str(p.reactions.reaction_by_number(dossier.id, n).id) for n in (1, 2)
    ]
    assert [(e["row"], e["field"]) for e in report["errors"]] == [(3, "tekst"), (4, "e-mail")]
    assert all(e["reason"] for e in report["errors"])
    listed = _ok(client.get(f"{base}/reactions"))
    assert [(r["external_ref"], r["channel"]) for r in listed] == [("F1", "paper"), ("F4", "paper")]
    assert [pt["reaction_number"] for pt in _ok(client.get(f"{base}/points?theme=losloop"))] == [1]
    # The same file again doubles nothing.
    again = _ok(client.post(f"{base}/import", json=upload))
    assert again["imported"] == 0
    assert len(_ok(client.get(f"{base}/reactions"))) == 2


def test_import_refuses_what_it_cannot_read(p: Participatie, client: TestClient) -> None:
    dossier = open_dossier(p)
    url = f"{ADMIN}/{dossier.id}/import"
    csv = base64.b64encode(b"naam;adres\nA;B\n").decode()
    no_text = client.post(url, json={"filename": "lijst.csv", "content_base64": csv})
    assert no_text.status_code == 422
    assert (no_text.json()["code"], no_text.json()["field"]) == ("reaction.import_failed", "file")
    pdf = client.post(url, json={"filename": "scan.pdf", "content_base64": csv})
    assert pdf.status_code == 422
    assert pdf.json()["field"] == "filename"
    garbage = client.post(url, json={"filename": "lijst.csv", "content_base64": "@@@@"})
    assert garbage.status_code == 422
    assert garbage.json()["field"] == "content_base64"
    # A multipart upload is refused before the route: API writes are JSON only.
    multipart = client.post(url, files={"file": ("lijst.csv", b"tekst\nHallo\n", "text/csv")})
    assert multipart.status_code == 415
    assert list(p.reactions.reactions(dossier.id)) == []


def test_bad_input_is_422_naming_the_field(p: Participatie, client: TestClient) -> None:
    dossier = open_dossier(p)
    base = f"{ADMIN}/{dossier.id}"
    _ok(
        client.post(
            f"/api/dossiers/{dossier.id}/reactions",
            json={"name": "Els", "email": "els@example.nl", "text": "Meer bankjes."},
        ),
        201,
    )
    _ok(client.post(f"{base}/themes", json={"code": "bankjes", "title": "Bankjes"}), 201)
    rid = p.reactions.reaction_by_number(dossier.id, 1).id
    cases: list[tuple[str, str, dict[str, Any], str]] = [
        ("post", f"{base}/themes", {"code": "x" * 51, "title": "Lang"}, "code"),
        ("post", f"{base}/themes", {"code": "kort", "title": ""}, "title"),
        (
            "post",
            f"{base}/themes",
            {"code": "kort", "title": "T", "assessor": "a" * 256},
            "assessor",
        ),
        ("post", f"{base}/themes/bankjes/assessor", {"assessor": ""}, "assessor"),
        ("post", f"{base}/reactions/{rid}/points", {"text": ""}, "text"),
        ("post", f"{base}/reactions/{rid}/points", {"text": "Punt", "theme": "vuurwerk"}, "theme"),
        (
            "post",
            f"{base}/answers",
            {"theme": "bankjes", "outcome": "misschien", "motivation": "Omdat."},
            "outcome",
        ),
        ("post", f"{base}/answers", {"theme": "bankjes", "outcome": "noted"}, "motivation"),
        (
            "post",
            f"{base}/answers",
            {"theme": "bestaat-niet", "outcome": "noted", "motivation": "Omdat."},
            "theme",
        ),
        ("post", f"{base}/reactions/{rid}/admissibility", {"reason": "Omdat."}, "admissible"),
        ("post", f"{base}/extensions", {"new_due": "morgen", "reason": "Drukte."}, "new_due"),
        (
            "post",
            f"{base}/extensions",
            {"new_due": "2099-01-01", "reason": "Drukte.", "reaction_ids": ["12"]},
            "reaction_ids.0",
        ),
        ("post", f"{base}/import", {"filename": "a.csv"}, "content_base64"),
    ]
    for method, url, body, field in cases:
        response = client.request(method, url, json=body)
        assert response.status_code == 422, (url, body, response.text)
        assert response.json()["field"] == field, (url, body, response.json())
    for wrong in ("abc", "0", str(uuid.uuid4())):
        missing = client.post(f"{base}/reactions/{wrong}/points", json={"text": "Punt"})
        assert (missing.status_code, missing.json()["field"]) == (404, "reaction"), wrong
    assert client.get(f"{base}/points?reaction_id=0").json()["field"] == "reaction_id"
    assert client.get(f"{base}/stats?round=0").status_code == 422
    assert client.get(f"{base}/points?theme=vuurwerk").json()["code"] == "reaction.unknown_theme"
    neither = client.post(f"{base}/points/00000000-0000-0000-0000-000000000000/assign", json={})
    assert neither.status_code == 422
    # Points and answers of another dossier are not reached through this one.
    other = open_dossier(p, title="Parkeren")
    point = _ok(client.post(f"{base}/reactions/{rid}/points", json={"text": "Bankjes"}), 201)
    answer = _ok(
        client.post(
            f"{base}/answers",
            json={"point_id": point["id"], "outcome": "noted", "motivation": "Omdat."},
        ),
        201,
    )
    elsewhere = f"{ADMIN}/{other.id}"
    assert (
        client.post(f"{elsewhere}/points/{point['id']}/assign", json={"assessor": "x"}).status_code
        == 404
    )
    assert (
        client.post(f"{elsewhere}/points/geen-id/assign", json={"assessor": "x"}).json()["field"]
        == "point"
    )
    assert client.get(f"{elsewhere}/answers/{answer['id']}/history").status_code == 404
    assert (
        client.put(
            f"{elsewhere}/answers/{answer['id']}",
            json={"outcome": "noted", "motivation": "Omdat.", "expected_version": 1},
        ).status_code
        == 404
    )
    assert (
        client.post(
            f"{elsewhere}/answers",
            json={"point_id": point["id"], "outcome": "noted", "motivation": "Omdat."},
        ).status_code
        == 404
    )
    assert client.get(f"{ADMIN}/not-a-uuid/themes").json()["code"] == "dossier.not_found"


def test_admin_routes_refused_without_callback(p: Participatie) -> None:
    dossier = open_dossier(p)
    base = f"{ADMIN}/{dossier.id}"
    some = "00000000-0000-0000-0000-000000000001"
    routes: list[tuple[str, str, dict[str, Any] | None]] = [
        ("get", f"{ADMIN}/overdue", None),
        ("post", f"{base}/themes", {"code": "a", "title": "A"}),
        ("get", f"{base}/themes", None),
        ("post", f"{base}/themes/a/assessor", {"assessor": "x"}),
        ("get", f"{base}/points", None),
        ("post", f"{base}/reactions/{some}/points", {"text": "Punt"}),
        ("post", f"{base}/points/{some}/assign", {"assessor": "x"}),
        ("get", f"{base}/answers", None),
        ("post", f"{base}/answers", {"theme": "a", "outcome": "noted", "motivation": "M"}),
        (
            "put",
            f"{base}/answers/{some}",
            {"outcome": "noted", "motivation": "M", "expected_version": 1},
        ),
        ("get", f"{base}/answers/{some}/history", None),
        ("get", f"{base}/nota", None),
        ("post", f"{base}/reactions/{some}/admissibility", {"admissible": True, "reason": "R"}),
        ("post", f"{base}/extensions", {"new_due": "2099-01-01", "reason": "R"}),
        ("get", f"{base}/overdue", None),
        ("get", f"{base}/stats", None),
        ("post", f"{base}/import", {"filename": "a.csv", "content_base64": "dGVrc3QK"}),
    ]
    with TestClient(create_app(p)) as c:
        for method, url, body in routes:
            response = c.request(method, url, json=body)
            assert response.status_code == 403, (method, url, response.text)
            assert response.json()["code"] == "permission.denied"
    assert p.reactions.themes(dossier.id) == []
