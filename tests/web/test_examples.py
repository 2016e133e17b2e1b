"""The host examples run: FastAPI mounting the app, Flask on the Python API, Django views
on Django's own database."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, inspect

from examples.fastapi_host.app import build
from participatie.engine import Participatie
from participatie.testing import TEST_SECRET
from tests.web.conftest import csrf_token
from tests.web.helpers import open_petition, tokens


def test_fastapi_host_mounts_participatie(p: Participatie) -> None:
    petition = open_petition(p)
    with TestClient(build(p)) as site:
        assert 'href="/meedoen/"' in site.get("/").text
        home = site.get("/meedoen/")
        assert home.status_code == 200
        assert f'href="/meedoen/petitions/{petition.id}"' in home.text
        page = site.get(f"/meedoen/petitions/{petition.id}")
        signed = site.post(
            f"/meedoen/petitions/{petition.id}",
            data={
                "csrf_token": csrf_token(page.text),
                "name": "Fenna",
                "email": "fenna@example.nl",
                "postcode": "9742 AB",
            },
            follow_redirects=False,
        )
        assert signed.headers["location"] == f"/meedoen/petitions/{petition.id}/signed"
        assert tokens(p, "fenna@example.nl")["confirm"]

        stats = f"/meedoen/api/admin/petitions/{petition.id}/stats"
        assert site.get(stats).status_code == 403
        assert site.get(stats, headers={"x-staff-token": "wrong"}).status_code == 403
        allowed = site.get(stats, headers={"x-staff-token": "griffie-token"})
        assert allowed.status_code == 200
        assert allowed.json()["pending"] == 1
        # The griffie may not manage polls: the host's permission table says so.
        polls = site.get("/meedoen/api/admin/polls", headers={"x-staff-token": "griffie-token"})
        assert polls.status_code == 403


def test_flask_host_uses_the_python_api(p: Participatie) -> None:
    from examples.flask_host.app import create_flask_app

    petition = open_petition(p)
    app = create_flask_app(p, secret_key="flask-example-secret")
    site = app.test_client()
    page = site.get(f"/petitions/{petition.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "0 handtekeningen" in html
    csrf = html.split('name="csrf" value="')[1].split('"')[0]
    assert site.post(f"/petitions/{petition.id}", data={"name": "X"}).status_code == 403
    bad = site.post(
        f"/petitions/{petition.id}",
        data={"csrf": csrf, "name": "Gerrit", "email": "gerrit@", "postcode": "9742 AB"},
    )
    assert "Dat e-mailadres klopt niet." in bad.get_data(as_text=True)
    signed = site.post(
        f"/petitions/{petition.id}",
        data={"csrf": csrf, "name": "Gerrit", "email": "gerrit@example.nl", "postcode": "9742AB"},
        environ_base={"REMOTE_ADDR": "198.51.100.7"},
    )
    assert signed.status_code == 303
    # The library's e-mail links to a path this Flask site serves.
    token = tokens(p, "gerrit@example.nl")["confirm"]
    shown = site.get(f"/petitions/confirm/{token}")
    assert "Ja, ik teken" in shown.get_data(as_text=True)
    assert p.petitions.count(petition.id) == 0
    done = site.post(f"/petitions/confirm/{token}", data={"csrf": csrf})
    assert "telt" in done.get_data(as_text=True)
    assert p.petitions.count(petition.id) == 1


def test_django_views_share_djangos_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once per process (Django is configured once): Django's tables and participatie's
    side by side in one SQLite file, the views signing and confirming through the API."""

    # The browser tests' Playwright keeps an event loop in this thread; Django then takes
    # every call for an async context. The views here are plain synchronous code.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

    from django.core.management import call_command  # type: ignore[import-untyped]
    from django.test import Client  # type: ignore[import-untyped]

    from examples.django_host import site

    database = tmp_path / "django.db"
    site.configure(str(database), secret_key="django-example-secret-key")
    call_command("migrate", verbosity=0)
    p = site.participatie_for_django(
        secret_keys=[TEST_SECRET], public_base_url="https://gemeente.example.nl"
    )
    site.PARTICIPATIE = p
    try:
        tables = set(inspect(create_engine(f"sqlite:///{database}")).get_table_names())
        assert {"auth_user", "django_migrations", "participatie_alembic_version"} <= tables
        assert "participatie_petition_signature" in tables

        petition = open_petition(p)
        browser = Client(enforce_csrf_checks=True, REMOTE_ADDR="198.51.100.8")
        page = browser.get(f"/petitions/{petition.id}")
        assert page.status_code == 200
        csrf = page.content.decode().split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
        assert browser.post(f"/petitions/{petition.id}", {"name": "H"}).status_code == 403
        signed = browser.post(
            f"/petitions/{petition.id}",
            {
                "csrfmiddlewaretoken": csrf,
                "name": "Hilde",
                "email": "hilde@example.nl",
                "postcode": "9742 AB",
            },
        )
        assert signed.status_code == 302
        token = tokens(p, "hilde@example.nl")["confirm"]
        assert "Ja, ik teken" in browser.get(f"/petitions/confirm/{token}").content.decode()
        done = browser.post(f"/petitions/confirm/{token}", {"csrfmiddlewaretoken": csrf})
        assert "telt" in done.content.decode()
        assert p.petitions.count(petition.id) == 1
    finally:
        site.PARTICIPATIE = None
        p.dispose()
