"""The app factory a host calls once: ``create_app(participatie, authorize=...)`` gives a
FastAPI app with the JSON API, the resident pages, the widget and the feeds.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from participatie.engine import Participatie
from participatie.web import edge, errors
from participatie.web.common import Authorize, WebState
from participatie.web.i18n import TEMPLATE_EXTENSIONS
from participatie.web.security import Csrf, RequestLimits, SecurityHeaders

STATIC_DIR = Path(__file__).resolve().parent / "static"


def create_app(
    participatie: Participatie,
    authorize: Authorize | None = None,
    *,
    frame_ancestors: Sequence[str] | None = None,
    stylesheets: Sequence[str] = (),
    trusted_proxies: Sequence[str] | None = None,
    max_body_bytes: int | None = None,
    title: str | None = None,
    notice: str | None = None,
) -> FastAPI:
    """Build the ASGI app; mount it anywhere (``host.mount("/meedoen", app)``).

    ``authorize(request, action, subject)``: the host's decision on administrative
    routes; without it they answer 403. ``frame_ancestors``: origins allowed to embed
    the widget (CSP ``frame-ancestors``), e.g. ``["https://wijk.example.nl"]``.
    ``stylesheets``: extra CSS URLs loaded after the library's own (a gemeente theme).
    ``notice``: plain text shown at the top of the start page (one paragraph per line),
    for example a maintenance window; ``serve --demo`` lists the demo voting codes there.
    ``trusted_proxies``: networks of reverse proxies whose X-Forwarded-For is believed,
    for the per-address rate limits. Left out, these three come from
    ``Settings.web`` (``PARTICIPATIE_WEB__FRAME_ANCESTORS`` and so on).
    """

    web = participatie.settings.web
    frame_ancestors = web.frame_ancestors if frame_ancestors is None else frame_ancestors
    trusted_proxies = web.trusted_proxies if trusted_proxies is None else trusted_proxies
    max_body_bytes = web.max_body_bytes if max_body_bytes is None else max_body_bytes

    app = FastAPI(
        title=title or f"participatie — {participatie.settings.organisation_name}",
        version=_version(),
        description=(
            "HTTP API of participatie: polls, e-mail-verified petitions and reactions. "
            "Errors carry a stable `code`, a translated `message` (Dutch by default, "
            "English with `Accept-Language: en`) and the offending `field`."
        ),
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.participatie_web = WebState(
        p=participatie,
        authorize=authorize,
        csrf=Csrf(participatie.settings.signing_keys),
        env=participatie.templates.overlay(extensions=TEMPLATE_EXTENSIONS),
        trusted_proxies=tuple(trusted_proxies),
        stylesheets=tuple(stylesheets),
        frame_ancestors=tuple(frame_ancestors),
    )
    app.state.participatie_notice = notice
    errors.install(app)
    # Tokens from e-mail links are in the path; the server's access log must not keep them.
    edge.install_log_filter()

    from participatie.web import feeds, pages, short_codes, widget

    app.include_router(pages.router)
    app.include_router(short_codes.router)
    for module in _module_routers():
        module.install(app)
    app.include_router(feeds.router)
    app.include_router(widget.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    # The middleware added last is outermost: the headers go on the limits' refusals and
    # on the 500 answer too.
    text_limit = max(max_body_bytes, web.max_text_body_bytes)
    app.add_middleware(
        RequestLimits,
        max_body_bytes=max_body_bytes,
        larger=[(pattern, text_limit) for pattern in LONG_TEXT_ROUTES],
    )
    app.add_middleware(errors.ServerErrors)
    app.add_middleware(
        SecurityHeaders, frame_ancestors=tuple(frame_ancestors), stylesheets=tuple(stylesheets)
    )
    return app


#: The routes that take a long text from a resident: starting a petition (form and API)
#: and a reaction to a dossier (form and API). They get ``web.max_text_body_bytes``.
LONG_TEXT_ROUTES = tuple(
    re.compile(path)
    for path in (
        r"/petitions/new",
        r"/api/petitions",
        r"/dossiers/[^/]+/react",
        r"/api/dossiers/[^/]+/reactions",
    )
)


class _Module(Protocol):
    def install(self, app: FastAPI) -> None: ...


def _module_routers() -> list[_Module]:
    from participatie.web import dossiers, petitions, polls, privacy, sendcaps, subscriptions

    return [petitions, polls, dossiers, privacy, sendcaps, subscriptions]


def _version() -> str:
    from participatie import __version__

    return __version__
