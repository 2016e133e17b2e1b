"""The demo's back office: the sign-in offers the demo's staff, works only on loopback and
only with a signed cookie; ``participatie serve --demo`` mounts it at /beheer, where each
page is Dutch, 200 for a demo user with the action and 403 without."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from starlette.applications import Starlette
from starlette.routing import Mount

from participatie.engine import Participatie
from participatie.testing import free_port
from participatie.web import create_app
from participatie.web.backoffice import route_table
from participatie.web.backoffice.demo import COOKIE, DEMO_STAFF, create_demo_backoffice
from tests.backoffice.dossier_support import api_dossier, pdf_bytes
from tests.web.conftest import csrf_token
from tests.web.helpers import open_code_poll, open_petition

BIN = Path(sys.executable).parent / "participatie"
STARTUP_SECONDS = 120
LOOPBACK = ("127.0.0.1", 50000)


def demo_site(p: Participatie) -> Starlette:
    """The resident app and the demo's back office side by side, as ``serve --demo`` and a
    host mount them."""

    return Starlette(
        routes=[Mount("/beheer", app=create_demo_backoffice(p)), Mount("", app=create_app(p))]
    )


def sign_in(client: TestClient | httpx.Client, staff: str) -> None:
    page = client.get("/beheer/aanmelden")
    assert page.status_code == 200
    answer = client.post(
        "/beheer/aanmelden",
        data={"csrf_token": csrf_token(page.text), "staff": staff, "next": "/beheer/"},
        follow_redirects=False,
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/beheer/"


def test_sign_in_offers_the_demo_staff(p: Participatie) -> None:
    with TestClient(demo_site(p), client=LOOPBACK, follow_redirects=False) as client:
        first = client.get("/beheer/")
        assert first.status_code == 303
        assert first.headers["location"].startswith("/beheer/aanmelden?next=")
        page = client.get("/beheer/aanmelden")
        assert '<html lang="nl"' in page.text
        for staff in DEMO_STAFF:
            assert staff.name in page.text
        sign_in(client, "griffie")
        todo = client.get("/beheer/")
        assert todo.status_code == 200 and "Griffie – J. de Vries" in todo.text
        assert client.get("/beheer/stemmingen").status_code == 403
        client.get("/beheer/afmelden")
        assert client.get("/beheer/").status_code == 303


def test_a_forged_or_remote_sign_in_is_refused(p: Participatie) -> None:
    with TestClient(demo_site(p), client=LOOPBACK, follow_redirects=False) as client:
        client.cookies.set(COOKIE, "griffie", path="/beheer")
        assert client.get("/beheer/").status_code == 303, "an unsigned cookie is nobody"
        client.cookies.clear()
        sign_in(client, "griffie")
        cookie = client.cookies.get(COOKIE)
    with TestClient(demo_site(p), client=("192.0.2.10", 50000), follow_redirects=False) as remote:
        assert remote.get("/beheer/aanmelden").status_code == 403
        assert cookie
        remote.cookies.set(COOKIE, cookie, path="/beheer")
        assert remote.get("/beheer/").status_code == 303, "the cookie does not work remotely"


# -- participatie serve --demo -----------------------------------------------------------


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    out = tmp_path_factory.mktemp("serve-beheer") / "demo"
    log = out.parent / "serve.log"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARTICIPATIE_")}
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            [str(BIN), "serve", "--demo", "--port", str(port), "--out", str(out)],
            stdout=log_file,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=out.parent,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + STARTUP_SECONDS
            while True:
                if process.poll() is not None:
                    pytest.fail(f"serve exited early:\n{log.read_text()}")
                # The finished cases load behind the open ones: the pages are walked
                # once all of them are there (a poll still being counted answers 409).
                text = log.read_text(errors="replace")
                if "loading the demo failed" in text:
                    pytest.fail(f"the demo did not load:\n{text}")
                try:
                    healthy = httpx.get(base + "/api/health", timeout=2).status_code == 200
                except httpx.HTTPError:
                    healthy = False
                if healthy and "demo loaded in" in text:
                    break
                if time.monotonic() > deadline:
                    pytest.fail(f"serve did not answer in {STARTUP_SECONDS} s:\n{log.read_text()}")
                time.sleep(0.3)
            assert f"{base}/beheer/" in log.read_text()
            yield base
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


@pytest.mark.slow
def test_serve_demo_mounts_the_back_office(served: str) -> None:
    first = httpx.get(served + "/beheer/", follow_redirects=True, timeout=10)
    assert first.status_code == 200 and '<html lang="nl"' in first.text
    assert "Aanmelden (demo)" in first.text
    petitions = httpx.get(served + "/api/petitions", timeout=10).json()
    polls = httpx.get(served + "/api/polls", timeout=10).json()
    dossiers = httpx.get(served + "/api/dossiers", timeout=10).json()
    values = {
        "petition": petitions[0]["id"],
        "poll": polls[0]["id"],
        "dossier": dossiers[0]["id"],
        "dossier_id": dossiers[0]["id"],
        "fmt": "html",
    }
    clients = {}
    for staff in DEMO_STAFF:
        client = httpx.Client(base_url=served, timeout=30)
        sign_in(client, staff.id)
        clients[staff.id] = (staff, client)
    try:
        checked = 0
        for spec in route_table():
            # A stored document's download: the demo's dossier links its documents.
            if spec.methods != ("GET",) or "{rule}" in spec.path or "{document}" in spec.path:
                continue
            path = "/beheer" + re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], spec.path)
            for staff, client in clients.values():
                allowed = not spec.actions or bool(staff.actions & set(spec.actions))
                response = client.get(path)
                if allowed:
                    assert response.status_code == 200, (path, staff.id, response.status_code)
                else:
                    assert response.status_code == 403, (path, staff.id, response.status_code)
                if response.headers["content-type"].startswith("text/html"):
                    assert '<html lang="nl"' in response.text, path
                checked += 1
        assert checked > 50
    finally:
        for _, client in clients.values():
            client.close()


@pytest.mark.slow
def test_serve_demo_takes_a_dossier_document_of_two_megabytes(served: str) -> None:
    """The back office's own upload limit (10 MB) holds under ``serve --demo``, not the
    resident app's 64 KiB; a body past it is still refused (413)."""

    dossier = httpx.get(served + "/api/dossiers", timeout=10).json()[0]["id"]
    with httpx.Client(base_url=served, timeout=60) as client:
        sign_in(client, "projectleider")
        path = f"/beheer/dossiers/{dossier}"
        token = csrf_token(client.get(path).text)
        body = pdf_bytes(2 * 1024 * 1024)
        answer = client.post(
            path + "/documenten",
            data={"csrf_token": token, "title": "Ontwerp speelplek (2 MB)"},
            files={"file": ("ontwerp.pdf", body, "application/pdf")},
            follow_redirects=False,
        )
        assert answer.status_code == 303, (answer.status_code, answer.text[:300])
        page = client.get(path).text
        assert "Ontwerp speelplek (2 MB)" in page
        too_large = client.post(
            path + "/documenten",
            data={"csrf_token": token, "title": "Te groot"},
            files={"file": ("groot.pdf", pdf_bytes(11 * 1024 * 1024), "application/pdf")},
            follow_redirects=False,
        )
        assert too_large.status_code == 413


def test_in_process_demo_pages(p: Participatie) -> None:
    """The same walk in-process, over subjects that exist on this database."""

    petition = open_petition(p)
    poll, _ = open_code_poll(p)
    dossier = api_dossier(p)
    values = {
        "petition": str(petition.id),
        "poll": str(poll.id),
        "dossier": dossier,
        "dossier_id": dossier,
        "fmt": "html",
    }
    for staff in DEMO_STAFF:
        with TestClient(demo_site(p), client=LOOPBACK) as client:
            sign_in(client, staff.id)
            for spec in route_table():
                if spec.methods != ("GET",) or "{rule}" in spec.path or "{document}" in spec.path:
                    continue
                path = "/beheer" + re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], spec.path)
                status = client.get(path).status_code
                allowed = not spec.actions or bool(staff.actions & set(spec.actions))
                if allowed:
                    assert status < 500 and status not in (401, 403), (path, staff.id, status)
                else:
                    assert status == 403, (path, staff.id, status)
