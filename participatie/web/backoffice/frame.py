"""The back office's frame: who is signed in and what they may do (both the host's
answer), the table of routes with the action each one needs, page rendering and errors.
"""

from __future__ import annotations

import inspect
import logging
import re
import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from dataclasses import field as dataclass_field
from datetime import datetime
from html import escape as html_escape
from typing import Any
from urllib.parse import quote

import anyio.from_thread
from fastapi import APIRouter, FastAPI, Request
from jinja2 import Environment
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import HTMLResponse, Response

from participatie.engine import Participatie
from participatie.errors import NotFound, ParticipatieError
from participatie.staff import staff_key
from participatie.web.backoffice.forms import FormCheck, FormProblems
from participatie.web.common import check_csrf, content_lang, csrf_field, root, translator
from participatie.web.i18n import LANG_COOKIE
from participatie.web.security import CSRF_FIELD

log = logging.getLogger("participatie.web.backoffice")


#: Every action the back office asks the host about, with what it allows (the docs'
#: table is made from the same words).
ACTIONS: dict[str, str] = {
    "petitions.moderate": "approve or reject submitted petitions; hide and unhide",
    "petitions.desk": "allow and block rules, trend alerts, bulk invalidation, paper "
    "batches, extension, hand-over",
    "petitions.export": "download the signature list with names and postcodes",
    "petitions.answer": "record the council's answer and send it to consenting signers",
    "polls.manage": "create and edit polls; schedule, open, close and cancel them",
    "polls.codes": "make the voting codes and download the letters (once); revoke and "
    "reissue a letter",
    "polls.desk": "cast a ballot at the desk for a resident",
    "polls.paper": "type in paper ballots (first or second typing) and record envelopes",
    "polls.resolve": "settle a difference between two typings from the paper itself",
    "polls.publish": "see the tally before publication, publish, download the reports",
    "dossiers.edit": "create dossiers and edit every section (summary, meeting reports, "
    "wijken, who answers, reaction form), documents, planning and rounds; deadline "
    "targets and extensions with the delay notice",
    "dossiers.intake": "type in paper forms, letters, e-mail and desk reactions; import a "
    "spreadsheet; decide whether a late reaction is admissible",
    "dossiers.assess": "split reactions into points; make, rename and merge themes; write "
    "answers from templates; offer them for review and approve another's answers",
    "dossiers.publish": "publish and unpublish a dossier for residents; approve answers, "
    "preview and publish them with the notices; download the nota, letters, dispatch list "
    "and archive package; see the statistics",
    "privacy.requests": "see, export and erase what is stored about an e-mail address",
    "system.status": "see failed mail and jobs that failed or did not run",
}

#: The largest form field (a list of letters' addresses); the whole body is limited by
#: ``create_backoffice(max_body_bytes=...)``.
FORM_FIELD_BYTES = 2 * 1024 * 1024

PETITION_ACTIONS = tuple(a for a in ACTIONS if a.startswith("petitions."))
POLL_ACTIONS = tuple(a for a in ACTIONS if a.startswith("polls."))
DOSSIER_ACTIONS = tuple(a for a in ACTIONS if a.startswith("dossiers."))


@dataclass(frozen=True)
class StaffUser:
    """Who is signed in, as the host's login says: a stable id (in the audit log) and a
    name to show."""

    id: str
    name: str


#: ``current_user(request)``: the signed-in user as a StaffUser or an ``(id, name)`` pair,
#: or None.
CurrentUser = Callable[
    [Request],
    "StaffUser | tuple[str, str] | Awaitable[StaffUser | tuple[str, str] | None] | None",
]
#: ``authorize(user, action, subject)``: may this user do ``action`` on ``subject`` (the
#: id of a petition or poll, or None for work not about one of them)?
AuthorizeStaff = Callable[[StaffUser, str, str | None], "bool | Awaitable[bool]"]


@dataclass(frozen=True)
class RouteSpec:
    """One route of the back office and the check it makes before anything else."""

    name: str
    path: str
    methods: tuple[str, ...]
    #: Allowed when the user may do any of these; empty: any signed-in user.
    actions: tuple[str, ...]
    #: The path parameter naming the petition or poll the action is about.
    subject: str | None


@dataclass
class BackofficeState:
    p: Participatie
    current_user: CurrentUser
    authorize: AuthorizeStaff
    env: Environment
    login_url: str | None = None
    logout_url: str | None = None
    stylesheets: tuple[str, ...] = ()
    routes: list[RouteSpec] = field(default_factory=list)


@dataclass
class Staff:
    """The request's signed-in user, the subject of the route and what they may do."""

    user: StaffUser
    subject: str | None
    allowed: frozenset[str]
    form: FormData | None
    _state: BackofficeState

    @property
    def actor(self) -> str:
        """Who the audit log names: the host's id of the user."""

        return self.user.id

    @property
    def key(self) -> str:
        """The identity the four-eyes rules compare."""

        return staff_key(self.user.id)

    def may(self, action: str, subject: object = ...) -> bool:
        """May the user do ``action`` on the route's subject (or on ``subject``)?"""

        if subject is ...:
            return action in self.allowed
        return ask_sync(self._state, self.user, action, None if subject is None else str(subject))

    def field(self, name: str, *, limit: int = 2000) -> str:
        """A form field as text: trimmed, cut, without control characters."""

        value = self.form.get(name) if self.form is not None else None
        if not isinstance(value, str):
            return ""
        clean = "".join(ch for ch in value if ch >= " " or ch in "\n\r\t")
        return clean.strip()[:limit]

    def fields(self, name: str) -> list[str]:
        if self.form is None:
            return []
        return [v for v in self.form.getlist(name) if isinstance(v, str)]


def bo_state(request: Request) -> BackofficeState:
    value: BackofficeState = request.app.state.participatie_backoffice
    return value


async def _maybe_await(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


async def ask(state: BackofficeState, user: StaffUser, action: str, subject: str | None) -> bool:
    callback = state.authorize
    if inspect.iscoroutinefunction(callback):
        verdict = await callback(user, action, subject)
    else:
        # The host's check may ask its own database: keep it off the event loop.
        verdict = await _maybe_await(await run_in_threadpool(callback, user, action, subject))
    return verdict is True


def ask_sync(state: BackofficeState, user: StaffUser, action: str, subject: str | None) -> bool:
    """``ask`` from a handler running in a worker thread."""

    callback = state.authorize
    if inspect.iscoroutinefunction(callback):
        return bool(anyio.from_thread.run(ask, state, user, action, subject))
    verdict = callback(user, action, subject)
    if inspect.isawaitable(verdict):
        return bool(anyio.from_thread.run(_maybe_await, verdict) is True)
    return verdict is True


class NotSignedIn(Exception):
    """No user: a redirect to the host's login, or 401."""


class Forbidden(Exception):
    """The host's ``authorize`` said no: 403."""


Handler = Callable[[Request, Staff], Response]


class Pages:
    """A router whose every route asks ``current_user`` and ``authorize`` first, and
    records what it asks in a table (the tests walk that table)."""

    def __init__(self) -> None:
        self.router = APIRouter()
        self.specs: list[RouteSpec] = []

    def route(
        self,
        path: str,
        *,
        action: str | Sequence[str] | None,
        subject: str | None = None,
        methods: Iterable[str] = ("GET",),
        files: int = 0,
    ) -> Callable[[Handler], Handler]:
        """``files``: how many uploaded files the form may carry (spooled to disk by the
        parser; their size is bounded by the app's body limit for the route)."""

        actions = () if action is None else (action,) if isinstance(action, str) else tuple(action)
        unknown = [a for a in actions if a not in ACTIONS]
        if unknown:
            raise ValueError(f"unknown actions {unknown}")
        verbs = tuple(methods)

        def decorate(handler: Handler) -> Handler:
            async def endpoint(request: Request) -> Response:
                staff = await guard(request, actions, subject)
                if request.method == "POST":
                    # Staff forms are larger than residents': a poll for 42 wijken, the
                    # addresses of thousands of letters. Parsed here first (the parse is
                    # kept), then checked as every form is.
                    staff.form = await request.form(
                        max_files=files, max_fields=2000, max_part_size=FORM_FIELD_BYTES
                    )
                    await check_csrf(request)
                return await run_in_threadpool(handler, request, staff)

            self.router.add_api_route(
                path,
                endpoint,
                methods=list(verbs),
                name=handler.__name__,
                include_in_schema=False,
            )
            self.specs.append(RouteSpec(handler.__name__, path, verbs, actions, subject))
            return handler

        return decorate


async def guard(request: Request, actions: tuple[str, ...], subject_param: str | None) -> Staff:
    state = bo_state(request)
    if inspect.iscoroutinefunction(state.current_user):
        user = await state.current_user(request)
    else:
        # The host's login may read its own session store: off the event loop.
        user = await _maybe_await(await run_in_threadpool(state.current_user, request))
    if isinstance(user, tuple) and len(user) == 2 and all(isinstance(v, str) for v in user):
        user = StaffUser(id=user[0], name=user[1])
    if not isinstance(user, StaffUser) or not user.id.strip():
        raise NotSignedIn
    subject = None
    if subject_param is not None:
        # One spelling per subject, so a host's list of ids cannot be passed by another
        # spelling of the same id (upper case, braces, no dashes).
        subject = str(subject_id(request.path_params[subject_param]))
    if inspect.iscoroutinefunction(state.authorize):
        allowed = frozenset([a for a in ACTIONS if await ask(state, user, a, subject)])
    else:
        allowed = await run_in_threadpool(_allowed_sync, state, user, subject)
    if actions and not allowed.intersection(actions):
        raise Forbidden
    return Staff(user=user, subject=subject, allowed=allowed, form=None, _state=state)


def _allowed_sync(state: BackofficeState, user: StaffUser, subject: str | None) -> frozenset[str]:
    return frozenset([a for a in ACTIONS if ask_sync(state, user, a, subject)])


def subject_id(value: str | None) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise NotFound(f"no such item {value!r}", field="id") from None


def url(request: Request, path: str) -> str:
    """A back-office path below the mount prefix."""

    return root(request) + path


def render(
    request: Request,
    staff: Staff | None,
    template: str,
    *,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    state = bo_state(request)
    p = state.p
    t = translator(request)
    other = t("common.language_switch_lang")
    may: Callable[[str], bool] = staff.may if staff is not None else (lambda action: False)
    # After a POST the page says what happened (?gedaan=key) or what went wrong (?fout=code).
    done = request.query_params.get("gedaan", "")
    if "notice" not in context and t.has(f"backoffice.done_{done}"):
        count = request.query_params.get("aantal", "")
        context["notice"] = t(f"backoffice.done_{done}", count=count[:12])
    code = request.query_params.get("fout", "")
    if "problem" not in context and code and len(code) < 60:
        context["problem"] = t.error(code)
    refusal = getattr(request.state, "refusal", None)
    if isinstance(refusal, Refusal):
        # A refused form: the page it came from, with what was typed and what is wrong.
        status = refusal.status
        context.update(refusal.context())
    html = state.env.get_template(f"backoffice/{template}").render(
        {
            **p.template_globals(),
            "request": request,
            "lang": t.lang,
            "t": t,
            "url": lambda path: url(request, path),
            "csrf_field": lambda: csrf_field(request),
            "date": lambda value, time=True: (
                t.date(value, p.settings.zone, time=time) if value else ""
            ),
            "local_input": lambda value: _local_input(value, p),
            "switch_url": "?" + str(request.url.include_query_params(lang=other).query),
            "stylesheets": state.stylesheets,
            # What staff wrote is in the content's language (the written filter).
            "content_lang": content_lang(p.settings.locale, t.lang),
            "staff": staff,
            "may": may,
            "logout_url": state.logout_url,
            # Optional parts of pages (the environment refuses undefined names).
            "notice": None,
            "problem": None,
            "values": None,
            "receipt": None,
            "erased": None,
            "form": None,
            "section": "",
            "typed": {},
            "ticked": {},
            "refused_form": "",
            "error_field": "",
            "error_message": "",
            "problems": {},
            "problem_marks": [],
            **context,
        }
    )
    if isinstance(refusal, Refusal) and refusal.problems:
        html = name_the_field(request, html, refusal)
    response = HTMLResponse(html, status_code=status)
    finish(request, response)
    return response


@dataclass
class Refusal:
    """A form the service refused: which form (its id prefix), which fields with their
    messages, and every value as typed, so the page shows it again with the fields
    marked. ``field`` and ``message`` are the first wrong field (it gets the focus)."""

    form: str
    field: str
    message: str
    typed: dict[str, str]
    #: Every wrong field with its own message, in the order found.
    problems: dict[str, str] = dataclass_field(default_factory=dict)
    #: Every value of fields sent more than once (ticked boxes), as typed.
    ticked: dict[str, list[str]] = dataclass_field(default_factory=dict)
    status: int = 422

    def context(self) -> dict[str, Any]:
        several = len(self.problems) > 1
        return {
            # The summary names each field by the label the page shows it with: filled in
            # after the page is rendered (see ``name_the_field``).
            "problem": (
                LABEL_MARK
                if len(self.problems) == 1
                else PROBLEMS_MARK
                if several
                else self.message
            ),
            "typed": self.typed,
            "ticked": self.ticked,
            "refused_form": self.form,
            "error_field": self.field,
            "error_message": self.message,
            "problems": self.problems,
            "problem_marks": [
                (name, f"{LABEL_MARK}{index}{LABEL_END}")
                for index, name in enumerate(self.problems)
            ]
            if several
            else [],
        }


#: Stands in the error summary for the refused field's label until the page is rendered.
LABEL_MARK = "\x1e"
LABEL_END = "\x1f"
#: Stands for the summary's opening sentence when several fields are wrong.
PROBLEMS_MARK = "\x1d"


def _label(page: str, element_id: str) -> str | None:
    """The visible text of the label of ``element_id`` (or of the legend of the fieldset
    with that id), without "(optional)"."""

    target = re.escape(element_id)
    found = re.search(rf'<label[^>]*\bfor="{target}"[^>]*>(.*?)</label>', page, re.S)
    if not found:
        found = re.search(
            rf'<fieldset[^>]*\bid="{target}"[^>]*>.*?<legend[^>]*>(.*?)</legend>', page, re.S
        )
    if not found:
        return None
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()


def name_the_field(request: Request, page: str, refusal: Refusal) -> str:
    """Put each refused field's visible label and its message in the error summary."""

    t = translator(request)
    optional = html_escape(f"({t('common.optional')})")

    def text(name: str, message: str) -> str:
        label = _label(page, f"{refusal.form}-{name}") if name else None
        if label is None:
            return html_escape(message)
        label = label.removesuffix(optional).strip()
        return t("backoffice.refused_field", label=label, message=html_escape(message))

    if len(refusal.problems) == 1:
        name, message = next(iter(refusal.problems.items()))
        return page.replace(LABEL_MARK, text(name, message), 1)
    page = page.replace(
        PROBLEMS_MARK, html_escape(t("backoffice.refused_fields", count=len(refusal.problems))), 1
    )
    for index, (name, message) in enumerate(refusal.problems.items()):
        page = page.replace(f"{LABEL_MARK}{index}{LABEL_END}", text(name, message), 1)
    return page


def refusal(
    request: Request,
    staff: Staff,
    exc: ParticipatieError | ValidationError,
    *,
    form: str,
    rename: Callable[[str], str] | None = None,
    message: str | None = None,
) -> Refusal:
    """What to show when ``form`` was refused.

    ``exc`` is a domain error (its ``field`` names the field), :class:`FormProblems`
    (several fields) or pydantic's ``ValidationError`` (every error's location names a
    field). ``rename`` turns the library's field names (``submitters.0.postcode``) into
    the form's; ``message`` replaces the first field's message.
    """

    t = translator(request)
    check = FormCheck(rename)
    if isinstance(exc, ValidationError):
        check.add_validation(exc)
    elif isinstance(exc, FormProblems):
        # Named by the form's own fields already.
        check.problems.update(exc.problems)
    else:
        check.add(exc)
    problems = {name: t.error(problem) for name, problem in check.problems.items()}
    first = next(iter(problems), "")
    if message is not None:
        problems[first] = message
    # A problem of no field of the form is said without a field to link to.
    field_problems = {name: text for name, text in problems.items() if name}
    status = 413 if isinstance(exc, ParticipatieError) and exc.status == 413 else 422
    typed: dict[str, str] = {}
    ticked: dict[str, list[str]] = {}
    if staff.form is not None:
        for key in staff.form:
            if key != CSRF_FIELD:
                typed[key] = staff.field(key, limit=100_000)
                ticked[key] = staff.fields(key)
    return Refusal(
        form=form,
        field=first,
        message=problems.get(first, t.error("input.invalid")),
        typed=typed,
        problems=field_problems,
        ticked=ticked,
        status=status,
    )


def refuse(
    request: Request,
    staff: Staff,
    exc: ParticipatieError | ValidationError,
    page: Callable[[Request, Staff], Response],
    *,
    form: str,
    rename: Callable[[str], str] | None = None,
    message: str | None = None,
) -> Response:
    """Answer a refused form with ``page`` (the GET handler the form sits on) shown again
    with status 422: the error summary names each wrong field and links to it, the fields
    are marked, and everything typed is still there (see :func:`refusal`)."""

    if isinstance(exc, ParticipatieError) and exc.status >= 500:
        # Not the form's fault: the error page, as for any other request.
        raise exc
    request.state.refusal = refusal(request, staff, exc, form=form, rename=rename, message=message)
    return page(request, staff)


def attempt(
    request: Request,
    staff: Staff,
    work: Callable[[], Response],
    page: Callable[[Request, Staff], Response],
    *,
    form: str,
    rename: Callable[[str], str] | None = None,
) -> Response:
    """Run a form's ``work`` (its checks, its one service call and the answer after it);
    when a check or the service refuses, ``page`` comes back as :func:`refuse` shows it.

    Args:
        request: the POST.
        staff: who sent it, with the form.
        work: what the form does; raises a domain error or pydantic's when refused.
        page: the GET handler the form sits on.
        form: the form's id prefix on that page.
        rename: the library's field names as the form's.

    Returns:
        What ``work`` answered, or the refused page (422).
    """

    try:
        return work()
    except (ParticipatieError, ValidationError) as exc:
        return refuse(request, staff, exc, page, form=form, rename=rename)


def _local_input(value: Any, p: Participatie) -> str:
    """A value for ``<input type="datetime-local">``: local time, or what was typed."""

    if isinstance(value, datetime):
        return value.astimezone(p.settings.zone).strftime("%Y-%m-%dT%H:%M")
    return str(value or "")


def finish(request: Request, response: Response) -> None:
    """What every back-office response carries: no caching, the cookies it needs."""

    from participatie.web.security import CSRF_COOKIE

    response.headers["cache-control"] = "no-store"
    secure = request.url.scheme == "https"
    path = root(request) or "/"
    fresh = getattr(request.state, "csrf_cookie", None)
    if isinstance(fresh, str):
        response.set_cookie(
            CSRF_COOKIE, fresh, httponly=True, samesite="strict", secure=secure, path=path
        )
    query_lang = request.query_params.get("lang")
    if query_lang in ("nl", "en") and request.cookies.get(LANG_COOKIE) != query_lang:
        response.set_cookie(
            LANG_COOKIE, query_lang, max_age=365 * 24 * 3600, samesite="lax", secure=secure
        )


def redirect(request: Request, path: str, **query: str) -> Response:
    """303 to a back-office page (after a POST: the browser's back button stays harmless)."""

    target = url(request, path)
    if query:
        target += "?" + "&".join(f"{k}={quote(v, safe='')}" for k, v in query.items())
    return Response(status_code=303, headers={"location": target, "cache-control": "no-store"})


def download(request: Request, body: bytes, media_type: str, filename: str) -> Response:
    response = Response(
        body,
        media_type=media_type,
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )
    finish(request, response)
    return response


def install_errors(app: FastAPI) -> None:
    async def not_signed_in(request: Request, exc: Exception) -> Response:
        state = bo_state(request)
        if state.login_url and request.method == "GET":
            target = state.login_url
            here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            sep = "&" if "?" in target else "?"
            return Response(
                status_code=303,
                headers={
                    "location": f"{target}{sep}next={quote(here, safe='')}",
                    "cache-control": "no-store",
                },
            )
        return _error_page(request, 401, "backoffice.error_401")

    async def forbidden(request: Request, exc: Exception) -> Response:
        return _error_page(request, 403, "backoffice.error_403")

    async def domain(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ParticipatieError)
        if exc.status >= 500:
            log.error("domain error %s: %s", exc.code, exc.message)
        return _error_page(request, exc.status, None, message=translator(request).error(exc))

    async def http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        key = {404: "backoffice.error_404", 405: "backoffice.error_405"}
        return _error_page(request, exc.status_code, key.get(exc.status_code, "errors.error"))

    async def server(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
        t = translator(request)
        return HTMLResponse(
            f'<!DOCTYPE html><html lang="{t.lang}"><head><meta charset="utf-8">'
            f"<title>{t('error_page.title_500')}</title></head><body><main>"
            f"<h1>{t('error_page.title_500')}</h1><p>{t.error('server')}</p></main></body></html>",
            status_code=500,
            headers={"cache-control": "no-store"},
        )

    app.add_exception_handler(NotSignedIn, not_signed_in)
    app.add_exception_handler(Forbidden, forbidden)
    app.add_exception_handler(ParticipatieError, domain)
    app.add_exception_handler(StarletteHTTPException, http)
    app.add_exception_handler(Exception, server)


def _error_page(
    request: Request, status: int, key: str | None, *, message: str | None = None
) -> Response:
    t = translator(request)
    title_key = f"error_page.title_{status}"
    title = t(title_key) if t.has(title_key) else t("error_page.title_other")
    try:
        return render(
            request, None, "error.html", status=status, title=title, message=message or t(key or "")
        )
    except Exception:
        log.exception("error page could not be rendered")
        return Response(message or title, status_code=status, headers={"cache-control": "no-store"})
