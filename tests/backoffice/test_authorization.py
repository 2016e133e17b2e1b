"""Every route of the back office asks the host first, on every database: no user is a
redirect to the login (or 401), a user without the action is 403, and an action on another
petition or poll than the one the user may work on is 403. Walks the route table, so a new
route without a check fails here."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from participatie.engine import Participatie
from participatie.web.backoffice import RouteSpec, create_backoffice, route_table
from tests.backoffice.conftest import ALL, Host, host_app
from tests.web.conftest import csrf_token
from tests.web.helpers import open_code_poll, open_dossier, open_petition

# Routes about one dossier are walked in test_dossier_authorization.py.
ROUTES = [spec for spec in route_table() if spec.subject != "dossier"]
FORMATS = {"handover_document": "pdf", "report": "csv"}


@dataclass
class Subjects:
    petition: str
    poll: str
    other_petition: str
    other_poll: str
    dossier: str = ""
    other_dossier: str = ""

    def of(self, param: str | None, *, other: bool = False) -> str:
        """The subject a route's parameter names (or the other one of its kind)."""

        kind = {"poll": "poll", "dossier_id": "dossier"}.get(param or "", "petition")
        return str(getattr(self, f"other_{kind}" if other else kind))


def fill(spec: RouteSpec, petition: str, poll: str, dossier: str = "") -> str:
    values = {
        "petition": petition,
        "poll": poll,
        "dossier_id": dossier,
        "rule": str(uuid.uuid4()),
        "fmt": FORMATS.get(spec.name, "html"),
    }
    return "/beheer" + re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], spec.path)


def csrf(client: TestClient, user: str) -> str:
    page = client.get("/beheer/privacy", headers={"x-test-staff": user})
    return csrf_token(page.text)


def call(
    client: TestClient, spec: RouteSpec, path: str, user: str | None, token: str | None = None
) -> int:
    headers = {"x-test-staff": user} if user else {}
    method = spec.methods[0]
    if method == "GET":
        return int(client.get(path, headers=headers, follow_redirects=False).status_code)
    data = {"csrf_token": token} if token else {}
    return int(client.post(path, headers=headers, data=data, follow_redirects=False).status_code)


@pytest.fixture
def subjects(p: Participatie) -> Subjects:
    petition = open_petition(p)
    other = open_petition(p, creator_email="bert@example.nl", title="Bankjes in het park")
    poll, _ = open_code_poll(p, households=2)
    other_poll, _ = open_code_poll(p, households=2, title="Bomen in de straat")
    dossier = open_dossier(p)
    other_dossier = open_dossier(p, title="Bomen aan de singel")
    return Subjects(
        str(petition.id),
        str(poll.id),
        str(other.id),
        str(other_poll.id),
        str(dossier.id),
        str(other_dossier.id),
    )


def test_no_two_routes_share_a_path() -> None:
    """Two rooms must not claim one path under different parameter names: the first one
    mounted would silently take the other's posts."""

    seen: dict[tuple[str, str], str] = {}
    for spec in ROUTES:
        shape = re.sub(r"\{\w+\}", "{}", spec.path)
        for method in spec.methods:
            other = seen.setdefault((method, shape), spec.name)
            assert other == spec.name, f"{method} {spec.path}: {other} and {spec.name}"


def test_the_table_covers_every_route() -> None:
    assert len(ROUTES) >= 30
    names = [spec.name for spec in ROUTES]
    assert len(names) == len(set(names)), "route names are unique"
    for spec in ROUTES:
        if spec.path != "/":
            assert spec.actions, f"{spec.path} asks for no action"
        if "{petition}" in spec.path:
            assert spec.subject == "petition", spec.path
        if "{poll}" in spec.path:
            assert spec.subject == "poll", spec.path
        if "{dossier_id}" in spec.path:
            assert spec.subject == "dossier_id", spec.path


@pytest.mark.parametrize("spec", ROUTES, ids=[f"{s.methods[0]} {s.path}" for s in ROUTES])
def test_route_asks_the_host(p: Participatie, subjects: Subjects, spec: RouteSpec) -> None:
    host = Host(
        actions={
            "allowed": ALL,
            "without": ALL - set(spec.actions) if spec.actions else frozenset(),
            "elsewhere": ALL,
        },
        only={"allowed": subjects.petition, "elsewhere": ""},
    )
    # "allowed" may act on one petition, poll or dossier; "elsewhere" only on others.
    host.only["allowed"] = subjects.of(spec.subject)
    host.only["elsewhere"] = subjects.of(spec.subject, other=True)
    with TestClient(host_app(p, host), raise_server_exceptions=False) as client:
        token = csrf(client, "allowed")
        path = fill(spec, subjects.petition, subjects.poll, subjects.dossier)
        unsafe = spec.methods[0] == "POST"

        status = call(client, spec, path, None, token)
        if unsafe:
            assert status == 401, f"no user: {status}"
        else:
            assert status == 303, f"no user: {status}"
            response = client.get(path, follow_redirects=False)
            assert response.headers["location"].startswith("/login?next=%2Fbeheer")

        if spec.actions:
            assert call(client, spec, path, "without", token) == 403, "without the action"
        if spec.subject is not None:
            assert call(client, spec, path, "elsewhere", token) == 403, "on another subject"
            asked = {subject for user, _, subject in host.asked if user == "elsewhere"}
            assert asked == {subjects.of(spec.subject)}

        if unsafe:
            assert call(client, spec, path, "allowed", None) == 403, "a form without CSRF token"
        status = call(client, spec, path, "allowed", token)
        assert status not in (401, 403) and status < 500, f"allowed: {status}"


def test_without_a_login_url_no_user_is_401(p: Participatie) -> None:
    host = Host(actions={"x": ALL})
    app = create_backoffice(p, current_user=host.current_user, authorize=host.authorize)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/")
        assert response.status_code == 401
        assert response.headers["cache-control"] == "no-store"
        assert '<html lang="nl"' in response.text


def test_both_callbacks_are_required(p: Participatie) -> None:
    host = Host()
    with pytest.raises(TypeError):
        create_backoffice(p, current_user=host.current_user, authorize=None)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        create_backoffice(p, current_user=None, authorize=host.authorize)  # type: ignore[arg-type]


def test_pages_show_only_what_the_user_may_do(
    bo_client: TestClient, p: Participatie, subjects: Subjects
) -> None:
    typist = bo_client.get(
        f"/beheer/stemmingen/{subjects.poll}", headers={"x-test-staff": "typist-a"}
    )
    assert typist.status_code == 200
    assert "/papier" in typist.text
    assert "/codes" not in typist.text and "/status" not in typist.text
    assert "/petities" not in typist.text  # no petition actions: no menu item
    manager = bo_client.get(
        f"/beheer/stemmingen/{subjects.poll}", headers={"x-test-staff": "projectleider"}
    )
    assert "/status" in manager.text and "/papier" not in manager.text
    griffie = bo_client.get(
        f"/beheer/petities/{subjects.petition}", headers={"x-test-staff": "griffie"}
    )
    assert "/verlengen" in griffie.text and "/stemmingen" not in griffie.text
    for response in (typist, manager, griffie):
        assert response.headers["cache-control"] == "no-store"
        assert "default-src 'none'" in response.headers["content-security-policy"]
        assert response.headers["x-frame-options"] == "DENY"


def test_the_docs_list_every_action() -> None:
    from pathlib import Path

    from participatie.web.backoffice import ACTIONS

    docs = (Path(__file__).resolve().parents[2] / "docs" / "web" / "backoffice.md").read_text()
    for action in ACTIONS:
        assert f"| `{action}` |" in docs, action


def test_async_callbacks(p: Participatie, subjects: Subjects) -> None:
    from starlette.requests import Request

    from participatie.web.backoffice import StaffUser

    async def current_user(request: Request) -> tuple[str, str] | None:
        return ("a.sync", "A. Sync") if request.headers.get("x-me") else None

    async def authorize(user: StaffUser, action: str, subject: str | None) -> bool:
        return action.startswith("polls.") and subject in (None, subjects.poll)

    app = create_backoffice(p, current_user=current_user, authorize=authorize)
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/").status_code == 401
        assert client.get(f"/stemmingen/{subjects.poll}", headers={"x-me": "1"}).status_code == 200
        listing = client.get("/stemmingen", headers={"x-me": "1"})
        assert subjects.poll in listing.text and subjects.other_poll not in listing.text
        other = client.get(f"/stemmingen/{subjects.other_poll}", headers={"x-me": "1"})
        assert other.status_code == 403
        assert client.get("/petities", headers={"x-me": "1"}).status_code == 403


def test_the_subject_is_asked_in_one_spelling(p: Participatie, subjects: Subjects) -> None:
    """A host that refuses one petition cannot be passed by spelling its id differently."""

    from starlette.requests import Request

    from participatie.web.backoffice import StaffUser

    asked: list[str | None] = []

    def current_user(request: Request) -> StaffUser:
        return StaffUser(id="x", name="X")

    def authorize(user: StaffUser, action: str, subject: str | None) -> bool:
        asked.append(subject)
        return subject != subjects.petition

    app = create_backoffice(p, current_user=current_user, authorize=authorize)
    with TestClient(app, raise_server_exceptions=False) as client:
        for spelling in (
            subjects.petition.upper(),
            "{" + subjects.petition + "}",
            subjects.petition.replace("-", ""),
        ):
            assert client.get(f"/petities/{spelling}").status_code == 403, spelling
        assert set(asked) == {subjects.petition}
        assert client.get(f"/petities/{subjects.other_petition.upper()}").status_code == 200
        assert client.get("/petities/geen-id").status_code == 404


def test_large_staff_forms(p: Participatie, bo_client: TestClient) -> None:
    """A poll for 60 wijken and the addresses of 2,000 letters (about 90 KB) get through."""

    from participatie.areas import AreaIn

    for n in range(60):
        p.areas.create(
            AreaIn(code=f"wijk{n}", name=f"Wijk {n}", postcodes=[f"{9000 + n}"]), actor="test"
        )
    token = csrf(bo_client, "beheerder")
    me = {"x-test-staff": "projectleider"}
    created = bo_client.post(
        "/beheer/stemmingen/nieuw",
        headers=me,
        data={
            "csrf_token": token,
            "title": "Bomen",
            "question": "Welke bomen?",
            "options": "Eik\nBeuk\nLinde",
            "rule": "plurality",
            "eligibility": "codes",
            "seats": "1",
            "closes_at": "2026-04-01T20:00",
            "area_codes": [f"wijk{n}" for n in range(60)],
        },
        follow_redirects=False,
    )
    assert created.status_code == 303, created.text[:500]
    poll_id = created.headers["location"].split("/")[-1].split("?")[0]
    assert len(p.polls.get(poll_id).area_codes) == 60
    addresses = "\n".join(
        f"Burgemeester van Roijensingel {n};{9000 + n % 60} AB" for n in range(1, 2001)
    )
    assert len(addresses) > 64 * 1024
    letters = bo_client.post(
        f"/beheer/stemmingen/{poll_id}/codes",
        headers=me,
        data={"csrf_token": token, "addresses": addresses},
        follow_redirects=False,
    )
    assert letters.status_code == 200, letters.text[:500]
    assert letters.text.count("\n") == 2001
