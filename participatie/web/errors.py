"""Errors to responses: a domain error's ``code`` gives the status and a translated
message (JSON for the API, a page for residents); anything unexpected is a plain 500.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from participatie.errors import DatabaseUnavailable, ParticipatieError, PermissionDenied
from participatie.retry import unavailable
from participatie.web.common import local, render, translator

log = logging.getLogger("participatie.web")


class CsrfFailed(PermissionDenied):
    """A form came without a valid CSRF token (forged, expired, or cookies off)."""

    code = "csrf"


def wants_json(request: Request) -> bool:
    path = request.scope.get("path", "")
    return str(path).startswith(local(request, "/api/")) or str(path).endswith(".json")


def error_response(request: Request, status: int, body: dict[str, Any]) -> Response:
    if wants_json(request):
        return JSONResponse(body, status_code=status)
    t = translator(request)
    title_key = f"error_page.title_{status}"
    title = t(title_key) if t.has(title_key) else t("error_page.title_other")
    try:
        return render(request, "error.html", status=status, title=title, message=body["message"])
    except Exception:
        # The error page itself failed (a broken host template, say): still no trace.
        log.exception("error page could not be rendered")
        return PlainTextResponse(body["message"], status_code=status)


async def domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ParticipatieError)
    t = translator(request)
    body: dict[str, Any] = {"code": exc.code, "message": t.error(exc)}
    if exc.field is not None:
        body["field"] = exc.field
    if exc.status >= 500:
        log.error("domain error %s: %s", exc.code, exc.message)
    else:
        body["detail"] = exc.message
    response = error_response(request, exc.status, body)
    if isinstance(exc, DatabaseUnavailable):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


async def validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    t = translator(request)
    errors = [
        {
            "field": ".".join(str(part) for part in err.get("loc", ())[1:]) or None,
            "detail": str(err.get("msg", "")),
        }
        for err in exc.errors()
    ]
    body: dict[str, Any] = {
        "code": "input.invalid",
        "message": t.error("input.invalid"),
        "errors": errors,
    }
    if errors and errors[0]["field"]:
        body["field"] = errors[0]["field"]
    return error_response(request, 422, body)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    t = translator(request)
    code = {404: "not_found", 405: "method", 403: "permission.denied", 413: "input.too_large"}
    name = code.get(exc.status_code, "error")
    response = error_response(request, exc.status_code, {"code": name, "message": t.error(name)})
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def server_error(request: Request, exc: Exception) -> Response:
    translated = unavailable(exc)
    if translated is not None:
        # A database failure outside the library's units of work: still a 503.
        return await domain_error(request, translated)
    log.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    t = translator(request)
    message = t.error("server")
    if wants_json(request):
        return JSONResponse({"code": "server", "message": message}, status_code=500)
    # Deliberately not the templated page: whatever broke may be in the templates.
    title = t("error_page.title_500")
    html = (
        f'<!DOCTYPE html><html lang="{t.lang}"><head><meta charset="utf-8">'
        f"<title>{title}</title></head><body><main><h1>{title}</h1><p>{message}</p>"
        "</main></body></html>"
    )
    return Response(html, status_code=500, media_type="text/html")


class ServerErrors:
    """Turns an unexpected exception into the plain 500 inside the app's own middleware.

    Starlette runs a handler for ``Exception`` in its outermost layer, outside every
    middleware the app adds, so that answer would miss the security headers. This layer
    sits inside them; it answers and stops the exception there (it is logged).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            if started:
                raise
            response = await server_error(Request(scope, receive), exc)
            await response(scope, receive, send)


def install(app: FastAPI) -> None:
    app.add_exception_handler(ParticipatieError, domain_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, server_error)
