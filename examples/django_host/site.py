"""Example host: a Django site whose views call participatie, with participatie's tables
(prefixed ``participatie_``, own migration history) in Django's own database.

``configure(database_path)`` sets Django up for the example; a real project keeps its
settings module and calls ``participatie_for_django()`` once at start-up.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings  # type: ignore[import-untyped]
from django.http import (  # type: ignore[import-untyped]
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
)
from django.middleware.csrf import get_token  # type: ignore[import-untyped]
from django.urls import path  # type: ignore[import-untyped]
from django.utils.html import escape  # type: ignore[import-untyped]

from participatie import Participatie, ParticipatieError, Settings
from participatie.links import PATHS
from participatie.petitions.schemas import SignatureIn


def database_url(database: dict[str, Any]) -> str:
    """The SQLAlchemy URL of Django's database, so both use the same one."""

    from sqlalchemy.engine import URL

    engine = database["ENGINE"].rsplit(".", 1)[-1]
    if engine == "sqlite3":
        return f"sqlite:///{database['NAME']}"
    drivers = {"postgresql": "postgresql+psycopg", "mysql": "mysql+pymysql"}
    return URL.create(
        drivers[engine],
        username=database.get("USER") or None,
        password=database.get("PASSWORD") or None,
        host=database.get("HOST") or None,
        port=int(database["PORT"]) if database.get("PORT") else None,
        database=database["NAME"],
    ).render_as_string(hide_password=False)


def participatie_for_django(**overrides: Any) -> Participatie:
    """A facade on Django's database; its migrations live beside Django's."""

    p = Participatie(
        Settings.load(database_url=database_url(settings.DATABASES["default"]), **overrides)
    )
    p.migrate()
    return p


def rule(name: str) -> str:
    """A Django URL pattern for a path the library's e-mails link to."""

    return PATHS[name].lstrip("/").replace("{", "<str:").replace("}", ">")


PARTICIPATIE: Participatie | None = None


def facade() -> Participatie:
    assert PARTICIPATIE is not None, "call participatie_for_django() at start-up"
    return PARTICIPATIE


def _page(request: HttpRequest, title: str, body: str, button: str | None = None) -> HttpResponse:
    form = ""
    if button:
        token = escape(get_token(request))
        form = (
            f'<form method="post"><input type="hidden" name="csrfmiddlewaretoken" '
            f'value="{token}">'
            '<p><label for="name">Naam</label> <input id="name" name="name"></p>'
            '<p><label for="email">E-mailadres</label> <input id="email" name="email"></p>'
            '<p><label for="postcode">Postcode</label> <input id="postcode" name="postcode"></p>'
            f'<p><button type="submit">{escape(button)}</button></p></form>'
        )
    return HttpResponse(
        f'<!DOCTYPE html><html lang="nl"><head><title>{escape(title)}</title></head>'
        f"<body><main><h1>{escape(title)}</h1>{body}{form}</main></body></html>"
    )


def petition_view(request: HttpRequest, petition: str) -> HttpResponse:
    p = facade()
    try:
        found = p.petitions.get(uuid.UUID(petition))
    except (ValueError, ParticipatieError):
        raise Http404 from None
    message = ""
    if request.method == "POST":
        try:
            p.petitions.sign(
                found.id,
                SignatureIn(
                    name=request.POST.get("name", ""),
                    email=request.POST.get("email", ""),
                    postcode=request.POST.get("postcode", ""),
                ),
                ip=request.META.get("REMOTE_ADDR"),
            )
        except ParticipatieError as exc:
            message = f'<p role="alert">Dat lukte niet ({escape(exc.code)}).</p>'
        else:
            return HttpResponseRedirect(request.path + "?verstuurd=1")
    if request.GET.get("verstuurd"):
        message = "<p>Kijk in uw e-mail om te bevestigen.</p>"
    count = f"<p>{found.verified + found.paper} handtekeningen</p>"
    return _page(request, found.title, message + count, button="Teken")


def confirm_view(request: HttpRequest, token: str) -> HttpResponse:
    p = facade()
    try:
        if request.method == "POST":
            done = p.petitions.confirm(token)
            return _page(
                request,
                "Bedankt",
                f"<p>Uw handtekening voor {escape(done.petition_title)} telt.</p>",
            )
        info = p.petitions.confirmation_page(token)
    except ParticipatieError:
        return _page(request, "Link werkt niet", "<p>Deze link werkt niet.</p>")
    token_field = escape(get_token(request))
    return _page(
        request,
        "Bevestig uw handtekening",
        f"<p>{escape(info.petition_title)}</p>"
        f'<form method="post"><input type="hidden" name="csrfmiddlewaretoken" '
        f'value="{token_field}"><button type="submit">Ja, ik teken</button></form>',
    )


urlpatterns = [
    path(rule("petition"), petition_view),
    path(rule("petition.confirm"), confirm_view),
]


def configure(database_path: str, secret_key: str) -> None:
    """Minimal Django settings for the example (a project has its own settings module)."""

    import django  # type: ignore[import-untyped]

    if not settings.configured:
        settings.configure(
            DEBUG=False,
            SECRET_KEY=secret_key,
            ALLOWED_HOSTS=["testserver", "127.0.0.1", "localhost"],
            ROOT_URLCONF=__name__,
            INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth"],
            MIDDLEWARE=[
                "django.middleware.security.SecurityMiddleware",
                "django.middleware.csrf.CsrfViewMiddleware",
            ],
            DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": database_path}},
            USE_TZ=True,
        )
    django.setup()
