"""The staff's back office: server-rendered pages for the petition desk, polls and
dossiers, mounted by the host (``/beheer`` by default). The host says who is signed in and
what they may do.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from participatie.engine import Participatie
from participatie.web.backoffice.frame import (
    ACTIONS,
    AuthorizeStaff,
    BackofficeState,
    CurrentUser,
    RouteSpec,
    StaffUser,
    install_errors,
)

__all__ = [
    "ACTIONS",
    "AuthorizeStaff",
    "CurrentUser",
    "RouteSpec",
    "StaffUser",
    "create_backoffice",
    "route_table",
]


def route_table() -> list[RouteSpec]:
    """Every route of the back office with the actions it asks for (for tests and docs)."""

    return [spec for module in _modules() for spec in module.pages.specs]


def _modules() -> tuple[Any, ...]:
    """The back office's rooms, in the order their routes match."""

    from participatie.web.backoffice import (
        dossier_deadlines,
        dossier_documents,
        dossiers,
        home,
        petitions,
        petitions_desk,
        polls,
        polls_paper,
    )

    return (
        home,
        petitions,
        petitions_desk,
        polls,
        polls_paper,
        dossier_deadlines,
        dossier_documents,
        dossiers,
        *_dossier_modules(),
    )


def _dossier_modules() -> tuple[Any, ...]:
    """The dossier pages: intake, assessment, answers and outputs."""

    from participatie.web.backoffice import (
        dossier_assess,
        dossier_assess_answers,
        dossier_intake,
        dossier_outputs,
    )

    return (dossier_intake, dossier_assess, dossier_assess_answers, dossier_outputs)


def create_backoffice(
    participatie: Participatie,
    *,
    current_user: CurrentUser,
    authorize: AuthorizeStaff,
    login_url: str | None = None,
    logout_url: str | None = None,
    stylesheets: Sequence[str] = (),
    max_body_bytes: int = 2 * 1024 * 1024,
) -> FastAPI:
    """The back office as an ASGI app; mount it anywhere (``host.mount("/beheer", app)``).

    ``current_user(request)`` returns the signed-in :class:`StaffUser` (from the host's own
    login) or None; ``authorize(user, action, subject)`` says whether that user may do
    ``action`` (one of :data:`ACTIONS`) on ``subject`` (a petition's or poll's id, or
    None). Either may be a coroutine function. Without a user a page redirects to
    ``login_url`` (with ``?next=``) or answers 401; without the action it answers 403.
    """

    if current_user is None or authorize is None:
        raise TypeError("create_backoffice needs both current_user and authorize")
    if not callable(current_user) or not callable(authorize):
        raise TypeError("current_user and authorize must be callables")

    from participatie.web.app import STATIC_DIR
    from participatie.web.backoffice.dossier_documents import upload_limit
    from participatie.web.common import WebState
    from participatie.web.i18n import TEMPLATE_EXTENSIONS
    from participatie.web.security import Csrf, RequestLimits, SecurityHeaders

    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    env = participatie.templates.overlay(extensions=TEMPLATE_EXTENSIONS)
    state = BackofficeState(
        p=participatie,
        current_user=current_user,
        authorize=authorize,
        env=env,
        login_url=login_url,
        logout_url=logout_url,
        stylesheets=tuple(stylesheets),
    )
    app.state.participatie_backoffice = state
    # The resident pages' helpers (language, CSRF tokens) read this.
    app.state.participatie_web = WebState(
        p=participatie,
        authorize=None,
        csrf=Csrf(participatie.settings.signing_keys),
        env=env,
        stylesheets=tuple(stylesheets),
    )
    install_errors(app)
    for module in _modules():
        app.include_router(module.pages.router)
        state.routes.extend(module.pages.specs)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    # Only the document upload takes a file: its route alone may carry the largest
    # document (``Settings.documents.max_bytes``) and the form around it.
    app.add_middleware(
        RequestLimits,
        max_body_bytes=max_body_bytes,
        larger=[upload_limit(participatie.settings.documents.max_bytes)],
    )
    # Nothing of the back office may be framed.
    app.add_middleware(SecurityHeaders, stylesheets=tuple(stylesheets), framable_prefix="\0")
    return app
