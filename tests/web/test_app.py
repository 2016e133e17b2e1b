"""The web foundation: language, errors, security headers, CSRF, limits, admin guard,
mounting under a prefix, host template overrides."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient
from starlette.requests import Request

from participatie.engine import Participatie
from participatie.errors import InvalidState
from participatie.web import create_app
from participatie.web.common import check_csrf
from participatie.web.i18n import Translator, negotiate
from participatie.web.security import client_ip
from tests.web.conftest import csrf_token
from tests.web.helpers import open_petition


def test_home_is_dutch_by_default(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert '<html lang="nl">' in response.text
    assert "Praat mee met de gemeente" in response.text


def test_english_from_accept_language_and_lang_parameter(client: TestClient) -> None:
    response = client.get("/", headers={"accept-language": "en-GB,en;q=0.9,nl;q=0.5"})
    assert '<html lang="en">' in response.text
    assert "Have your say" in response.text
    chosen = client.get("/?lang=en")
    assert chosen.cookies.get("participatie_lang") == "en"
    # The choice sticks for the next page, over the browser's own preference.
    again = client.get("/", headers={"accept-language": "nl"})
    assert '<html lang="en">' in again.text


def test_negotiation() -> None:
    assert negotiate(None, None, "") == "nl"
    assert negotiate(None, None, "de-DE,en;q=0.8") == "en"
    assert negotiate(None, None, "en;q=0.4,nl;q=0.9") == "nl"
    assert negotiate("en", "nl", "nl") == "en"
    assert negotiate("fr", None, "fr") == "nl"


def test_every_error_code_has_a_dutch_and_english_message() -> None:
    import participatie.models  # noqa: F401  (every module's errors are defined)
    from participatie.catalogues import catalogue
    from participatie.errors import error_classes

    for lang in ("nl", "en"):
        missing = [c.code for c in error_classes() if f"errors.{c.code}" not in catalogue(lang)]
        assert missing == [], f"no {lang} message for {missing}"
    assert Translator("en").error(InvalidState("x")) == "This is no longer possible."


def test_security_headers(client: TestClient) -> None:
    headers = client.get("/").headers
    csp = headers["content-security-policy"]
    assert "default-src 'none'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "script-src" not in csp  # no scripts at all
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert client.get("/static/participatie.css").headers["x-content-type-options"] == "nosniff"


def _app_with_extra_routes(p: Participatie, **options: Any) -> FastAPI:
    app = create_app(p, **options)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internals /etc/passwd")

    @app.get("/api/state")
    def state() -> None:
        raise InvalidState("poll is closed", field="poll")

    @app.post("/form", dependencies=[Depends(check_csrf)])
    def form() -> dict[str, str]:
        return {"ok": "yes"}

    return app


def test_unexpected_error_is_a_plain_500_without_trace(p: Participatie) -> None:
    with TestClient(_app_with_extra_routes(p), raise_server_exceptions=False) as c:
        response = c.get("/boom")
    assert response.status_code == 500
    assert "Er ging bij ons iets mis" in response.text
    assert "Traceback" not in response.text
    assert "RuntimeError" not in response.text
    assert "passwd" not in response.text


def test_domain_error_maps_to_status_and_translated_message(p: Participatie) -> None:
    with TestClient(_app_with_extra_routes(p)) as c:
        nl = c.get("/api/state")
        en = c.get("/api/state?lang=en")
    assert nl.status_code == 409
    assert nl.json()["code"] == "state.invalid"
    assert nl.json()["message"] == "Dit kan nu niet meer."
    assert nl.json()["field"] == "poll"
    assert en.json()["message"] == "This is no longer possible."


def test_not_found_page_and_json(client: TestClient) -> None:
    page = client.get("/bestaat-niet")
    assert page.status_code == 404
    assert "Pagina niet gevonden" in page.text
    api = client.get("/api/bestaat-niet", headers={"accept-language": "en"})
    assert api.status_code == 404
    assert api.json()["code"] == "not_found"


def test_csrf_refuses_forms_without_a_matching_token(p: Participatie) -> None:
    petition = open_petition(p)
    with TestClient(_app_with_extra_routes(p)) as c:
        assert "participatie_csrf" not in c.get("/").headers.get("set-cookie", "")
        page = c.get(f"/petitions/{petition.id}")
        assert "HttpOnly" in page.headers["set-cookie"]
        token = csrf_token(page.text)
        assert c.post("/form", data={}).status_code == 403
        assert c.post("/form", data={"csrf_token": "forged"}).status_code == 403
        assert c.post("/form", data={"csrf_token": token}).status_code == 200
        # The same token with another cookie (an attacker's own) is refused.
        c.cookies.set("participatie_csrf", "x" * 43)
        refused = c.post("/form", data={"csrf_token": token})
        assert refused.status_code == 403
        assert refused.text.count("Het formulier is verlopen") == 1


def test_body_limit_and_json_only_api_writes(p: Participatie) -> None:
    app = _app_with_extra_routes(p, max_body_bytes=1000)
    with TestClient(app) as c:
        big = c.post(
            "/api/health",
            content=b"{" + b" " * 2000 + b"}",
            headers={"content-type": "application/json"},
        )
        assert big.status_code == 413
        assert big.json()["code"] == "input.too_large"

        def chunks() -> Iterator[bytes]:
            for _ in range(10):
                yield b"a" * 500

        # No Content-Length: the limit is counted while the body streams in.
        streamed = c.post(
            "/form",
            content=chunks(),
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert streamed.status_code == 413
        assert '<html lang="nl">' in streamed.text  # a page for residents, not JSON
        assert "U stuurde te veel tekst" in streamed.text
        form_post = c.post("/api/health", data={"a": "b"})
        assert form_post.status_code == 415
        cross_site = c.post("/api/health", headers={"sec-fetch-site": "cross-site"})
        assert cross_site.status_code == 403
        # A write without a body needs no content type (closing a poll, say).
        assert c.post("/api/health").status_code == 405


def test_admin_routes_refused_without_callback_and_when_refused(p: Participatie) -> None:
    calls: list[tuple[str, str | None]] = []

    def deny(request: Request, action: str, subject: str | None) -> bool:
        calls.append((action, subject))
        return False

    async def allow(request: Request, action: str, subject: str | None) -> bool:
        return request.headers.get("x-staff") == "ja"

    with TestClient(create_app(p)) as c:
        none = c.get("/api/admin/audit/verify")
        assert none.status_code == 403
        assert none.json()["code"] == "permission.denied"
    with TestClient(create_app(p, authorize=deny)) as c:
        assert c.get("/api/admin/audit/verify").status_code == 403
    assert calls == [("audit.verify", None)]
    with TestClient(create_app(p, authorize=allow)) as c:
        assert c.get("/api/admin/audit/verify").status_code == 403
        ok = c.get("/api/admin/audit/verify", headers={"x-staff": "ja"})
        assert ok.status_code == 200
        assert ok.json()["ok"] is True


def test_mounted_under_a_prefix_links_carry_it(p: Participatie) -> None:
    host = FastAPI()
    host.mount("/meedoen", create_app(p))
    petition = open_petition(p)
    with TestClient(host) as c:
        form_page = c.get(f"/meedoen/petitions/{petition.id}")
        assert f'action="/meedoen/petitions/{petition.id}"' in form_page.text
        assert "Path=/meedoen" in form_page.headers["set-cookie"]
        page = c.get("/meedoen/")
        assert page.status_code == 200
        assert 'href="/meedoen/static/participatie.css"' in page.text
        assert 'href="/meedoen/feeds/all.atom"' in page.text
        assert 'href="/meedoen/"' in page.text
        assert f'href="/meedoen/petitions/{petition.id}"' in page.text
        assert c.get("/meedoen/static/participatie.css").status_code == 200


def test_host_template_override(tmp_path: Path) -> None:
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "home.html").write_text(
        '{% extends "web/base.html" %}{% block content %}<h1>Gemeente Eigen</h1>{% endblock %}'
    )
    from participatie.config import Settings
    from participatie.outbox.mailers import RecordingMailer

    own = Participatie(
        Settings.load(database_url=f"sqlite:///{tmp_path / 'o.db'}", secret_keys=["k" * 20]),
        mailer=RecordingMailer(),
        template_dirs=[tmp_path],
    )
    own.create_all()
    try:
        with TestClient(create_app(own)) as c:
            page = c.get("/")
        assert "<h1>Gemeente Eigen</h1>" in page.text
        assert '<html lang="nl">' in page.text
    finally:
        own.dispose()


@pytest.mark.parametrize(
    ("peer", "forwarded", "trusted", "expected"),
    [
        ("203.0.113.5", "198.51.100.1", (), "203.0.113.5"),
        ("10.0.0.2", "198.51.100.1", ("10.0.0.0/8",), "198.51.100.1"),
        ("10.0.0.2", "6.6.6.6, 198.51.100.1, 10.0.0.3", ("10.0.0.0/8",), "198.51.100.1"),
        ("10.0.0.2", "", ("10.0.0.0/8",), "10.0.0.2"),
        # A dual-stack socket's IPv4 peers and hops: unwrapped, and a listed IPv4 proxy
        # is recognised in its mapped form.
        ("::ffff:203.0.113.5", "", (), "203.0.113.5"),
        ("::ffff:10.0.0.2", "::ffff:198.51.100.1", ("10.0.0.0/8",), "198.51.100.1"),
    ],
)
def test_client_ip_behind_trusted_proxies(
    peer: str, forwarded: str, trusted: tuple[str, ...], expected: str
) -> None:
    scope = {
        "type": "http",
        "client": (peer, 1234),
        "headers": [(b"x-forwarded-for", forwarded.encode())] if forwarded else [],
    }
    assert client_ip(scope, trusted) == expected


def test_nul_characters_are_refused_before_they_reach_the_database(p: Participatie) -> None:
    with TestClient(create_app(p, authorize=lambda r, a, s: True)) as c:
        raw = c.post(
            "/api/admin/polls",
            content=b'{"title": "a\\u0000b", "question": "q", "options": []}',
            headers={"content-type": "application/json"},
        )
        assert raw.status_code == 422
        assert raw.json()["code"] == "input.invalid"
        split = c.post(
            "/api/admin/polls",
            content=iter([b'{"title": "a\\u00', b'00b", "question": "q"}']),
            headers={"content-type": "application/json"},
        )
        assert split.status_code == 422


def test_theme_stylesheets_are_allowed_by_origin(p: Participatie) -> None:
    app = create_app(
        p, stylesheets=["https://huisstijl.gemeente.example.nl/thema.css?v=3", "/eigen.css"]
    )
    with TestClient(app) as c:
        page = c.get("/")
    csp = page.headers["content-security-policy"]
    assert "style-src 'self' https://huisstijl.gemeente.example.nl;" in csp
    assert 'href="https://huisstijl.gemeente.example.nl/thema.css?v=3"' in page.text
    assert 'href="/eigen.css"' in page.text


def test_every_answer_carries_the_security_headers(p: Participatie) -> None:
    # Errors too: Starlette's own handler for unexpected exceptions runs outside the
    # app's middleware, so a 500 once went out without them.
    with TestClient(
        _app_with_extra_routes(p, max_body_bytes=1000), raise_server_exceptions=False
    ) as c:
        answers = {
            500: c.get("/boom"),
            404: c.get("/no/such/page"),
            405: c.delete("/api/health"),
            422: c.post("/api/polls/not-a-uuid/email-link", json={}),
            413: c.post("/api/petitions/confirm", content=b"{" + b" " * 2000, headers=_json),
        }
        reference = c.get("/").headers
    for status, response in answers.items():
        assert response.status_code == status, (status, response.text)
        for name in ("content-security-policy", "x-content-type-options", "x-frame-options"):
            assert response.headers.get(name) == reference[name], (status, name)
        assert response.headers["referrer-policy"] == "no-referrer"


_json = {"content-type": "application/json"}


def test_the_longest_text_a_form_allows_is_not_refused_at_the_edge(p: Participatie) -> None:
    """A petition's body (50,000 characters) and a reaction (20,000) in a script that
    escapes to six bytes a character fit the long-text limit; the same body elsewhere,
    or a body past that limit, is refused (413)."""

    from tests.web.helpers import open_dossier

    dossier = open_dossier(p)
    reaction_text = "ë" * 20_000
    petition_body = "ë" * 50_000
    with TestClient(create_app(p)) as c:
        page = c.get(f"/dossiers/{dossier.id}")
        token = csrf_token(page.text)
        form = c.post(
            f"/dossiers/{dossier.id}/react",
            data={
                "csrf_token": token,
                "name": "Fenna",
                "email": "fenna@example.nl",
                "text": reaction_text,
            },
            follow_redirects=False,
        )
        assert form.status_code in (200, 303), (form.status_code, form.text[:200])
        api = c.post(
            f"/api/dossiers/{dossier.id}/reactions",
            content=json.dumps(
                {"name": "Jan", "email": "jan@example.nl", "text": reaction_text[:-1] + "a"}
            ).encode(),
            headers={"content-type": "application/json"},
        )
        assert api.status_code == 201, (api.status_code, api.text[:200])
        token = csrf_token(c.get("/petitions/new").text)
        started = c.post(
            "/petitions/new",
            data={
                "csrf_token": token,
                "title": "Bankjes in het park",
                "summary": "Meer bankjes.",
                "body": petition_body,
                "creator_name": "Anna de Vries",
                "creator_email": "anna@example.nl",
            },
            follow_redirects=False,
        )
        assert started.status_code in (200, 303), (started.status_code, started.text[:200])
        assert any(x.body == petition_body for x in p.petitions.list())
        # Not every route: a signature with the same body is refused at the edge.
        petition = open_petition(p)
        signed = c.post(
            f"/petitions/{petition.id}",
            data={"csrf_token": token, "name": reaction_text},
            follow_redirects=False,
        )
        assert signed.status_code == 413
        # And the long-text routes have a limit too.
        huge = c.post(
            f"/api/dossiers/{dossier.id}/reactions",
            content=json.dumps({"text": "ë" * 200_000}).encode(),
            headers={"content-type": "application/json"},
        )
        assert huge.status_code == 413
    texts = [r.text for r in p.reactions.reactions(dossier.id)]
    assert reaction_text in texts


def test_json_routes_hand_over_to_a_thread_once(p: Participatie) -> None:
    """Every JSON route that answers one record is a coroutine on the event loop: a plain
    route runs in the thread pool once (``in_threadpool``), not once for itself and once
    more for checking its answer, and its answer is still checked against the documented
    model. A route answering a list stays plain, so a long list is checked in a worker
    thread, not on the loop."""

    import inspect

    from fastapi.routing import APIRoute

    from participatie.web.common import answers_a_list

    def routes(listed: list[Any]) -> Iterator[APIRoute]:
        for route in listed:
            if isinstance(route, APIRoute):
                yield route
            included = getattr(route, "original_router", None)  # FastAPI 0.16x keeps routers
            if included is not None:
                yield from routes(included.routes)

    app = create_app(p)
    json_routes = [r for r in routes(app.routes) if r.path.startswith("/api/")]
    assert len(json_routes) > 20
    plain = [r for r in json_routes if not inspect.iscoroutinefunction(r.endpoint)]
    assert all(answers_a_list(r.endpoint, r.response_model) for r in plain)
    assert "/api/petitions" in {r.path for r in plain}  # a list
    one = {r.path for r in json_routes if inspect.iscoroutinefunction(r.endpoint)}
    assert {"/api/petitions/{petition}/signatures", "/api/petitions/confirm"} <= one
    assert len(one) > 50
    petition = open_petition(p)
    with TestClient(app) as client:
        answer = client.get(f"/api/petitions/{petition.id}")
        assert answer.status_code == 200
        # The model filters what the route returned: the desk's fields stay out.
        assert "hidden" not in answer.json() and answer.json()["id"] == str(petition.id)
        schema = client.get("/openapi.json").json()
        sign = schema["paths"]["/api/petitions/{petition}/signatures"]["post"]
        assert "SignReceipt" in json.dumps(sign["responses"]["202"])
