"""What every route needs: the app's state (facade, authorisation, CSRF), the request's
language, links that respect the mount prefix, page rendering and the admin guard.
"""

from __future__ import annotations

import functools
import inspect
import typing
import uuid
from collections import abc
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import GenericAlias
from typing import Any, TypeVar

from fastapi import APIRouter, Depends, FastAPI, Request
from jinja2 import Environment
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse, Response

from participatie.engine import Participatie
from participatie.errors import ParticipatieError, PermissionDenied
from participatie.links import build_path
from participatie.web.i18n import LANG_COOKIE, Translator, negotiate
from participatie.web.schemas import ERRORS
from participatie.web.security import CSRF_COOKIE, CSRF_FIELD, Csrf, client_ip

#: The host's decision on an administrative action: ``authorize(request, action, subject)``
#: returns False/None to refuse, True to allow, or a string naming the staff member (used
#: as the actor in the audit log). It may be a coroutine function.
Authorize = Callable[[Request, str, str | None], "bool | str | Awaitable[bool | str | None] | None"]


@dataclass(frozen=True)
class HomeItem:
    """One open thing: its resident page is the link ``link_name`` with ``params``."""

    title: str
    link_name: str
    params: dict[str, str]
    meta: str = ""
    #: Text written by staff shown before ``meta`` (a poll's question): marked with the
    #: content's language on a page in another language.
    meta_content: str = ""
    summary: str = ""
    updated: datetime | None = None
    #: Wijk codes the item is for; empty: the whole municipality.
    areas: tuple[str, ...] = ()


@dataclass(frozen=True)
class HomeSection:
    key: str
    title: str
    items: list[HomeItem]


#: A module's contribution to the home page and the feeds: what is open now.
SectionSource = Callable[[Request], HomeSection]


@dataclass
class WebState:
    p: Participatie
    authorize: Authorize | None
    csrf: Csrf
    env: Environment
    trusted_proxies: tuple[str, ...] = ()
    stylesheets: tuple[str, ...] = ()
    frame_ancestors: tuple[str, ...] = ()
    sections: list[SectionSource] = field(default_factory=list)


def state(request: Request) -> WebState:
    value: WebState = request.app.state.participatie_web
    return value


def facade(request: Request) -> Participatie:
    return state(request).p


def request_lang(request: Request) -> str:
    cached = getattr(request.state, "lang", None)
    if isinstance(cached, str):
        return cached
    lang = negotiate(
        request.query_params.get("lang"),
        request.cookies.get(LANG_COOKIE),
        request.headers.get("accept-language", ""),
    )
    request.state.lang = lang
    return lang


def translator(request: Request) -> Translator:
    return Translator(request_lang(request))


def root(request: Request) -> str:
    return str(request.scope.get("root_path", "")).rstrip("/")


def link(request: Request, name: str, **params: object) -> str:
    """Path of a resident page (``participatie.links``) below the mount prefix."""

    return root(request) + build_path(name, **params)


def local(request: Request, path: str) -> str:
    return root(request) + path


def remote_ip(request: Request) -> str:
    return client_ip(request.scope, state(request).trusted_proxies)


def _csrf_cookie(request: Request) -> tuple[str, bool]:
    existing = request.cookies.get(CSRF_COOKIE)
    if existing and 20 <= len(existing) <= 100:
        return existing, False
    cached = getattr(request.state, "csrf_cookie", None)
    if isinstance(cached, str):
        return cached, True
    value = Csrf.new_cookie_value()
    request.state.csrf_cookie = value
    return value, True


def csrf_field(request: Request) -> Markup:
    value, _ = _csrf_cookie(request)
    token = state(request).csrf.form_token(value)
    return Markup('<input type="hidden" name="{}" value="{}">').format(CSRF_FIELD, token)


def render(
    request: Request,
    template: str,
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """Render ``web/<template>`` with the page globals; sets the CSRF and language cookies."""

    st = state(request)
    t = translator(request)
    p = st.p
    query_lang = request.query_params.get("lang")
    other = t("common.language_switch_lang")
    page = st.env.get_template(f"web/{template}")
    html = page.render(
        {
            **p.template_globals(),
            "request": request,
            "lang": t.lang,
            "t": t,
            "link": lambda name, **params: link(request, name, **params),
            "local": lambda path: local(request, path),
            "csrf_field": lambda: csrf_field(request),
            "date": lambda value, time=False: t.date(value, p.settings.zone, time=time),
            # Relative, so it stays right whatever prefix or proxy sits in front.
            "switch_url": "?" + str(request.url.include_query_params(lang=other).query),
            "stylesheets": st.stylesheets,
            "content_lang": content_lang(p.settings.locale, t.lang),
            **context,
        }
    )
    response = HTMLResponse(html, status_code=status, headers=headers)
    response.headers.setdefault("cache-control", "no-store")
    # Only a page that carries a form needs the cookie; the widget and feeds set none.
    fresh = getattr(request.state, "csrf_cookie", None)
    secure = request.url.scheme == "https"
    cookie_path = root(request) or "/"
    if isinstance(fresh, str):
        response.set_cookie(
            CSRF_COOKIE,
            fresh,
            httponly=True,
            samesite="lax",
            secure=secure,
            path=cookie_path,
        )
    if query_lang in ("nl", "en") and request.cookies.get(LANG_COOKIE) != query_lang:
        response.set_cookie(
            LANG_COOKIE,
            query_lang,
            max_age=365 * 24 * 3600,
            samesite="lax",
            secure=secure,
            path=cookie_path,
        )
    return response


def content_lang(content: str, page: str) -> Markup:
    """`` lang="nl"`` for an element holding what staff or residents wrote (titles,
    summaries, options), when the page is in another language than that text: WCAG 2.1
    success criterion 3.1.2 (Language of Parts). Empty when both are the same.

    Args:
        content: the language texts are written in (``settings.locale``).
        page: the language of the page.

    Returns:
        The attribute with a leading space, or an empty string, safe to print in a tag.
    """

    return Markup(' lang="{}"').format(content) if content != page else Markup("")


#: Routes a mail client may post to with ``List-Unsubscribe=One-Click`` (RFC 8058).
ONE_CLICK = frozenset({"/petitions/unsubscribe/{token}", "/subscriptions/unsubscribe/{token}"})


def _route_path(request: Request) -> str | None:
    route = request.scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else None


async def check_csrf(request: Request) -> None:
    """Router dependency of the resident pages: every unsafe request carries a valid token."""

    from participatie.web.errors import CsrfFailed

    if request.method not in ("POST", "PUT", "PATCH", "DELETE"):
        return
    # One field may be as long as the body the edge lets through (RequestLimits bounds
    # the whole body first): a reaction of 20,000 characters, percent-encoded.
    web = facade(request).settings.web
    most = max(web.max_body_bytes, web.max_text_body_bytes)
    form = await request.form(max_files=0, max_fields=50, max_part_size=most)
    if form.get("List-Unsubscribe") == "One-Click" and _route_path(request) in ONE_CLICK:
        # RFC 8058: a mail client posts this without cookies; the signed token in the
        # path is the proof, checked by the route itself.
        return
    token = form.get(CSRF_FIELD)
    if not state(request).csrf.check(
        request.cookies.get(CSRF_COOKIE), token if isinstance(token, str) else None
    ):
        raise CsrfFailed("the form's CSRF token is missing or does not match", field=CSRF_FIELD)


async def authorized(request: Request, action: str, subject: str | None = None) -> str:
    """Ask the host's callback; refuse when it says no or when no callback was given."""

    callback = state(request).authorize
    if callback is None:
        raise PermissionDenied(
            "administrative routes are off: create_app() was given no authorize callback"
        )
    if inspect.iscoroutinefunction(callback):
        verdict = await callback(request, action, subject)
    else:
        # A host's check may ask its own database: keep it off the event loop.
        verdict = await run_in_threadpool(callback, request, action, subject)
    if inspect.isawaitable(verdict):
        verdict = await verdict
    if verdict is None or verdict is False:
        raise PermissionDenied(f"not allowed: {action}")
    return verdict if isinstance(verdict, str) else "host"


def page_router() -> APIRouter:
    """Routes of resident pages: every unsafe request carries a CSRF token, and none of
    them is part of the OpenAPI description."""

    return APIRouter(dependencies=[Depends(check_csrf)], include_in_schema=False)


def in_threadpool(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """A plain (``def``) route as an ``async def`` that runs it in the thread pool.

    FastAPI runs a plain route in the pool, and then, because the route is plain, also
    checks its answer against the response model in the pool: two hand-overs between
    the event loop and a thread per request. Wrapped, the route runs there once and the
    answer is checked on the loop. FastAPI reads the parameters, the answer's type and
    the docs from the wrapped function.
    """

    @functools.wraps(endpoint)
    async def route(*args: Any, **kwargs: Any) -> Any:
        return await run_in_threadpool(endpoint, *args, **kwargs)

    return route


def answers_a_list(endpoint: Callable[..., Any], response_model: Any = None) -> bool:
    """Whether a route's answer is a list (of any length), by its response model or its
    return annotation; an answer whose type cannot be read counts as a list."""

    answer = response_model if isinstance(response_model, type | GenericAlias) else None
    if answer is None:
        try:
            answer = typing.get_type_hints(endpoint).get("return")
        except (NameError, TypeError):
            return True
    return typing.get_origin(answer) in (list, tuple, set, frozenset, abc.Sequence)


class JsonRouter(APIRouter):
    """JSON routes: a plain route whose answer is one record runs through
    :func:`in_threadpool`. A route answering a list stays plain: checking a long list
    takes long enough that it belongs in a worker thread, not on the event loop."""

    def add_api_route(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        plain = not inspect.iscoroutinefunction(endpoint)
        if plain and not answers_a_list(endpoint, kwargs.get("response_model")):
            endpoint = in_threadpool(endpoint)
        super().add_api_route(path, endpoint, **kwargs)


def api_router(prefix: str, tag: str) -> APIRouter:
    """JSON routes below ``prefix``, filed under ``tag``, with the documented error bodies."""

    return JsonRouter(prefix=prefix, tags=[tag], responses=ERRORS)


def install_parts(
    app: FastAPI, routers: Sequence[APIRouter], sources: Sequence[SectionSource] = ()
) -> None:
    """Add a module's routers in the order given (the order of matching) and what it
    contributes to the home page and the feeds."""

    for router in routers:
        app.include_router(router)
    app.state.participatie_web.sections.extend(sources)


def require(action: str, subject_param: str | None = None) -> Any:
    """Dependency for an admin route: the actor the host's callback named."""

    async def dependency(request: Request) -> str:
        subject = request.path_params.get(subject_param) if subject_param else None
        return await authorized(request, action, None if subject is None else str(subject))

    return Depends(dependency)


def form_text(form: Any, name: str, *, limit: int = 2000) -> str:
    """A form field as text: trimmed, cut at ``limit``, without NUL or other control
    characters a browser never sends from a text field (newlines and tabs stay)."""

    value = form.get(name)
    if not isinstance(value, str):
        return ""
    clean = "".join(ch for ch in value if ch >= " " or ch in "\n\r\t")
    return clean.strip()[:limit]


def check_fields(
    t: Translator, errors: dict[str, str], values: dict[str, Any], checks: dict[str, Any]
) -> None:
    """Run each field's own check (``normalize_email``, ``normalize_postcode``) on what
    was typed, adding its message to ``errors`` unless the field has one already: a form
    reports every problem at once, not one round at a time."""

    from participatie.errors import InvalidInput

    for name, check in checks.items():
        value = values.get(name)
        if name in errors or not isinstance(value, str) or not value:
            continue
        try:
            check(value, field=name)
        except InvalidInput as exc:
            errors[name] = t.error(exc)


def plain_redirect(url: str) -> Response:
    return Response(status_code=303, headers={"location": url, "cache-control": "no-store"})


Result = TypeVar("Result")


async def with_form(request: Request, handler: Callable[..., Result], *args: str) -> Result:
    """Read the posted form, then run ``handler(request, *args, form)`` off the event loop:
    the service calls behind a form block on the database."""

    form = await request.form()
    return await run_in_threadpool(handler, request, *args, form)


def parse_key(value: str, error: type[ParticipatieError], what: str, field: str) -> uuid.UUID:
    """An id from the path; text that is no UUID names nothing, so ``error`` (not found)."""

    try:
        return uuid.UUID(value)
    except ValueError:
        raise error(f"no {what} {value!r}", field=field) from None


def download_headers(filename: str) -> dict[str, str]:
    """Headers of a file staff download: saved under ``filename``, kept by no cache."""

    return {
        "content-disposition": f'attachment; filename="{filename}"',
        "cache-control": "no-store",
    }


#: Order of the sections on the home page; what is open first, results last.
SECTION_ORDER = ("polls", "petitions", "dossiers", "results")


def sections(request: Request, area: str | None = None) -> Sequence[HomeSection]:
    """What every module has open (and recent results), sections of the same key merged;
    with ``area``, only what concerns that wijk (items for the whole municipality concern
    every wijk)."""

    merged: dict[str, HomeSection] = {}
    for source in state(request).sections:
        section = source(request)
        items = [i for i in section.items if area is None or not i.areas or area in i.areas]
        if section.key in merged:
            items = merged[section.key].items + items
        merged[section.key] = HomeSection(key=section.key, title=section.title, items=items)
    rank = {key: n for n, key in enumerate(SECTION_ORDER)}
    return sorted(merged.values(), key=lambda s: rank.get(s.key, len(rank)))
