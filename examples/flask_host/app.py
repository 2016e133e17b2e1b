"""Example host: a Flask site calling participatie's Python API directly, with its own
templates and wording; it serves the paths the library's e-mails link to
(``participatie.links``), so the confirmation link in a mail lands on this site.
"""

from __future__ import annotations

import secrets
import uuid

from flask import Flask, abort, redirect, render_template_string, request, session
from werkzeug.wrappers import Response

from participatie import InvalidInput, Participatie, ParticipatieError, TokenError
from participatie.links import PATHS
from participatie.petitions.schemas import SignatureIn

#: The host's own words for the library's stable error codes.
MESSAGES = {
    "input.email": "Dat e-mailadres klopt niet.",
    "input.postcode": "Die postcode klopt niet (voorbeeld: 9742 AB).",
    "petition.closed": "Deze petitie is gesloten.",
    "token.expired": "De link is verlopen.",
}

PAGE = """<!DOCTYPE html><html lang="nl"><head><title>{{ title }}</title></head><body><main>
<h1>{{ title }}</h1>
{% if message %}<p role="alert">{{ message }}</p>{% endif %}
{% if count is not none %}<p>{{ count }} handtekeningen</p>{% endif %}
{% if form is not none %}
<form method="post" action="{{ action }}">
<input type="hidden" name="csrf" value="{{ csrf }}">
{% for name, label in form %}
<p><label for="{{ name }}">{{ label }}</label> <input id="{{ name }}" name="{{ name }}"></p>
{% endfor %}
<p><button type="submit">{{ button }}</button></p>
</form>
{% endif %}
</main></body></html>"""


def rule(name: str) -> str:
    """The Flask URL rule for a path the library's e-mails link to: ``{token}`` -> ``<token>``."""

    return PATHS[name].replace("{", "<").replace("}", ">")


def create_flask_app(participatie: Participatie, secret_key: str) -> Flask:
    app = Flask(__name__)
    app.secret_key = secret_key

    def csrf() -> str:
        # Flask keeps no CSRF token by itself: one per session, checked on every POST.
        if "csrf" not in session:
            session["csrf"] = secrets.token_urlsafe(32)
        return str(session["csrf"])

    @app.before_request
    def check_csrf() -> None:
        if request.method == "POST":
            sent = request.form.get("csrf", "")
            if not secrets.compare_digest(sent, str(session.get("csrf", ""))):
                abort(403)

    def page(title: str, **context: object) -> str:
        defaults: dict[str, object] = {"message": None, "count": None, "form": None}
        return render_template_string(PAGE, title=title, csrf=csrf(), **{**defaults, **context})

    @app.route(rule("petition"), methods=["GET", "POST"])
    def petition(petition: str) -> str | Response:
        try:
            key = uuid.UUID(petition)
            found = participatie.petitions.get(key)
        except (ValueError, ParticipatieError):
            abort(404)
        message = None
        if request.method == "POST":
            try:
                participatie.petitions.sign(
                    key,
                    SignatureIn(
                        name=request.form.get("name", ""),
                        email=request.form.get("email", ""),
                        postcode=request.form.get("postcode", ""),
                    ),
                    # Behind a proxy, use werkzeug's ProxyFix so this is the resident's.
                    ip=request.remote_addr,
                )
            except InvalidInput as exc:
                message = MESSAGES.get(exc.code, "Kijk het formulier na.")
            except ParticipatieError as exc:
                message = MESSAGES.get(exc.code, "Dat lukte niet.")
            else:
                return redirect(request.path + "?verstuurd=1", code=303)
        if request.args.get("verstuurd"):
            message = "Kijk in uw e-mail en klik op de link om te bevestigen."
        return page(
            found.title,
            message=message,
            count=found.verified + found.paper,
            form=[("name", "Naam"), ("email", "E-mailadres"), ("postcode", "Postcode")],
            action=request.path,
            button="Teken",
        )

    @app.route(rule("petition.confirm"), methods=["GET", "POST"])
    def confirm(token: str) -> str:
        # GET only shows a button: mail scanners that open links confirm nothing.
        try:
            if request.method == "POST":
                done = participatie.petitions.confirm(token)
                return page(
                    "Bedankt", message=f"Uw handtekening voor '{done.petition_title}' telt."
                )
            info = participatie.petitions.confirmation_page(token)
        except TokenError as exc:
            return page("Link werkt niet", message=MESSAGES.get(exc.code, "Deze link werkt niet."))
        return page(
            "Bevestig uw handtekening",
            message=info.petition_title,
            form=[],
            action=request.path,
            button="Ja, ik teken",
        )

    return app
