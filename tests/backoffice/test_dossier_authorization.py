"""Every route about one dossier asks the host first, on every database: no user is a
redirect to the login (or 401), a user without the action is 403, a user who may work on
another dossier only is 403, a form without its CSRF token is 403, and the user with the
action on this dossier gets an answer (200 or 303, or a refusal of the input)."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from participatie.engine import Participatie
from participatie.storage import LocalStore
from participatie.web.backoffice import RouteSpec, route_table
from tests.backoffice.conftest import ALL, Host, host_app
from tests.backoffice.dossier_support import api_dossier, pdf_bytes
from tests.web.conftest import csrf_token

DOSSIER_ROUTES = [spec for spec in route_table() if spec.subject == "dossier"]
PAGES = [s for s in route_table() if s.path.startswith(("/dossiers", "/termijnen"))]


@dataclass
class Subjects:
    dossier: str
    document: str
    other: str


@pytest.fixture
def subjects(p: Participatie, tmp_path: Path) -> Subjects:
    p.document_store = LocalStore(tmp_path / "documenten")
    dossier = api_dossier(p)
    other = api_dossier(p, title="Bomenkap Selwerd", areas=[])
    doc = p.reactions.upload_document(
        uuid.UUID(dossier), title="Plan", filename="plan.pdf", data=pdf_bytes(2000), actor="test"
    )
    return Subjects(dossier, str(doc.id), other)


def test_dossier_routes_are_in_the_table() -> None:
    names = {spec.name for spec in PAGES}
    assert {
        "dossier_list",
        "dossier_new",
        "dossier_create",
        "dossier_page",
        "dossier_save",
        "dossier_preview",
        "dossier_publish",
        "dossier_round",
        "dossier_phase",
        "document_upload",
        "document_link",
        "document_download",
        "document_remove",
        "deadlines_all",
        "deadlines_dossier",
        "deadlines_extend",
    } <= names
    for spec in PAGES:
        assert spec.actions and all(a.startswith("dossiers.") for a in spec.actions)
        if "{dossier}" in spec.path:
            assert spec.subject == "dossier", spec.path


@pytest.mark.parametrize(
    "spec", DOSSIER_ROUTES, ids=[f"{s.methods[0]} {s.path}" for s in DOSSIER_ROUTES]
)
def test_dossier_route_asks_the_host(p: Participatie, subjects: Subjects, spec: RouteSpec) -> None:
    host = Host(
        actions={
            "allowed": ALL,
            "without": ALL - set(spec.actions),
            "elsewhere": ALL,
        },
        only={"allowed": subjects.dossier, "elsewhere": subjects.other},
    )
    values = {"dossier": subjects.dossier, "document": subjects.document}
    path = "/beheer" + re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], spec.path)
    with TestClient(host_app(p, host), raise_server_exceptions=False) as client:
        page = client.get("/beheer/dossiers", headers={"x-test-staff": "allowed"})
        token = csrf_token(page.text) if "csrf_token" in page.text else _token(client)
        unsafe = spec.methods[0] == "POST"

        def call(user: str | None, with_token: bool = True) -> int:
            headers = {"x-test-staff": user} if user else {}
            if not unsafe:
                return int(client.get(path, headers=headers, follow_redirects=False).status_code)
            data = {"csrf_token": token} if with_token else {}
            return int(
                client.post(path, headers=headers, data=data, follow_redirects=False).status_code
            )

        if unsafe:
            assert call(None) == 401
        else:
            assert call(None) == 303
        assert call("without") == 403, "without the action"
        assert call("elsewhere") == 403, "on another dossier"
        asked = {subject for user, _, subject in host.asked if user == "elsewhere"}
        assert asked == {subjects.dossier}
        if unsafe:
            assert call("allowed", with_token=False) == 403, "a form without CSRF token"
        status = call("allowed")
        assert status not in (401, 403) and status < 500, f"allowed: {status}"


def _token(client: TestClient) -> str:
    page = client.get("/beheer/privacy", headers={"x-test-staff": "allowed"})
    return csrf_token(page.text)


def test_dossier_list_shows_only_the_users_dossiers(p: Participatie, subjects: Subjects) -> None:
    host = Host(actions={"lead": frozenset({"dossiers.edit"})}, only={"lead": subjects.dossier})
    with TestClient(host_app(p, host), raise_server_exceptions=False) as client:
        page = client.get("/beheer/dossiers", headers={"x-test-staff": "lead"})
        assert page.status_code == 200
        assert "Hondenbeleid" in page.text and "Bomenkap Selwerd" not in page.text
        # Publishing is another action: the button is not there.
        editor = client.get(
            f"/beheer/dossiers/{subjects.dossier}", headers={"x-test-staff": "lead"}
        )
        assert "Terughalen" not in editor.text and "Publiceren voor bewoners" not in editor.text
        anonymous = client.get(
            "/beheer/dossiers", headers={"x-test-staff": "nobody"}, follow_redirects=False
        )
        assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
