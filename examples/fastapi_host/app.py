"""Example host: the gemeente's own FastAPI site mounts participatie under ``/meedoen`` and
decides itself who may use the administrative routes (the library keeps no accounts).

Run it with ``uvicorn --factory examples.fastapi_host.app:main --no-proxy-headers --port 8000``
(with ``PARTICIPATIE_SECRET_KEYS`` set; ``PARTICIPATIE_DATABASE_URL`` defaults to
``sqlite:///participatie.db``); see ``examples/README.md``. The app reads X-Forwarded-For
itself, only from its ``trusted_proxies``; uvicorn's own proxy handling would replace the
peer address first. In Python:
``uvicorn.run(main(), **participatie.web.edge.uvicorn_options(["10.0.0.0/8"]))``.
"""

from __future__ import annotations

import hmac

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse

from participatie import Participatie, Settings
from participatie.web import create_app

#: Who counts as staff is the host's business: here a shared header for the example; a
#: real site asks its own login (OpenID Connect, its CMS session, ...).
STAFF_TOKENS = {"griffie-token": "griffie@gemeente.example.nl"}
#: What each staff member may do; actions are named by the library (``polls.manage``...).
PERMISSIONS = {
    "griffie@gemeente.example.nl": {"petitions.read", "petitions.moderate", "petitions.export"}
}


def authorize(request: Request, action: str, subject: str | None) -> str | None:
    """The library asks before every administrative operation; the answer names the actor
    for the audit log, or refuses with None."""

    token = request.headers.get("x-staff-token", "")
    for known, who in STAFF_TOKENS.items():
        if hmac.compare_digest(token, known) and action in PERMISSIONS.get(who, set()):
            return who
    return None


def build(participatie: Participatie) -> FastAPI:
    site = FastAPI(title="Gemeente Voorbeeld")

    @site.get("/", response_class=HTMLResponse)
    def home() -> str:
        return (
            '<!DOCTYPE html><html lang="nl"><head><title>Gemeente Voorbeeld</title></head>'
            "<body><main><h1>Gemeente Voorbeeld</h1>"
            '<p><a href="/meedoen/">Doe mee: stemmen, petities en plannen</a></p>'
            "</main></body></html>"
        )

    site.mount(
        "/meedoen",
        create_app(
            participatie,
            authorize=authorize,
            # Neighbourhood websites that may show the widget in an iframe.
            frame_ancestors=["https://paddepoel.example.nl"],
            # The gemeente's own theme (NL Design System tokens) after the library's CSS.
            stylesheets=["https://huisstijl.voorbeeld.example.nl/thema.css"],
            trusted_proxies=["10.0.0.0/8"],
        ),
    )
    return site


def main() -> FastAPI:
    """The site for ``uvicorn --factory``; e-mail links point at ``PARTICIPATIE_PUBLIC_BASE_URL``
    (default: this example on port 8000)."""

    import os

    base = os.environ.get("PARTICIPATIE_PUBLIC_BASE_URL", "http://127.0.0.1:8000/meedoen")
    settings = Settings.load(public_base_url=base)
    participatie = Participatie(settings)
    participatie.migrate()
    return build(participatie)
