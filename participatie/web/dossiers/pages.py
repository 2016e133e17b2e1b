"""The resident's pages of a dossier: summary, documents and planning, the reaction form,
and what was done with the reactions (the result and the nota van beantwoording).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request
from pydantic import ValidationError
from starlette.datastructures import FormData
from starlette.responses import HTMLResponse, Response

from participatie.errors import InvalidInput, InvalidState
from participatie.identity import normalize_email
from participatie.reactions.errors import DossierNotFound
from participatie.reactions.schemas import (
    DEFAULT_ROUND_LABEL,
    OUTCOME_WORDS_EN,
    OUTCOME_WORDS_NL,
    Document,
    Dossier,
    ReactionIn,
    ReceivedReaction,
    SubmitterIn,
)
from participatie.web.common import (
    check_fields,
    facade,
    form_text,
    page_router,
    parse_key,
    render,
    translator,
    with_form,
)
from participatie.web.dossiers.lookup import accepts_reactions, day, public_dossier, published
from participatie.web.dossiers.schemas import MAX_TEXT

REACT_FIELDS = ("name", "email", "text")

pages = page_router()


def dossier_page_response(
    request: Request,
    dossier: Dossier,
    *,
    template: str = "dossier.html",
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
    preview: bool = False,
) -> HTMLResponse:
    """The resident's dossier page; the back office shows the same page as a preview
    (``preview``: a banner says so, links stay on the preview)."""

    p = facade(request)
    today = p.clock.now().astimezone(p.settings.zone).date()
    return render(
        request,
        template,
        status=status,
        preview=preview,
        area_names={a.code: a.name for a in p.areas.list()},
        dossier=dossier,
        open=accepts_reactions(request, dossier),
        today=today,
        published=published(dossier),
        values=values or {},
        errors=errors or {},
        labels=REACT_FIELDS,
        day=lambda d: day(request, d),
        default_round=dossier.round_label == DEFAULT_ROUND_LABEL,
    )


@pages.get("/dossiers/{dossier}", response_class=HTMLResponse)
def dossier_page(request: Request, dossier: str) -> HTMLResponse:
    return dossier_page_response(request, public_dossier(request, dossier))


@pages.get("/dossiers/{dossier}/react", response_class=HTMLResponse)
def react_page(request: Request, dossier: str) -> HTMLResponse:
    return dossier_page_response(
        request, public_dossier(request, dossier), template="dossier_react.html"
    )


@pages.post("/dossiers/{dossier}/react", response_class=HTMLResponse)
async def react(request: Request, dossier: str) -> HTMLResponse:
    return await with_form(request, _react, dossier)


def _react(request: Request, dossier: str, form: FormData) -> HTMLResponse:
    t = translator(request)
    found = public_dossier(request, dossier)
    values = {
        "name": form_text(form, "name", limit=255),
        "email": form_text(form, "email", limit=254),
        "text": form_text(form, "text", limit=MAX_TEXT),
    }
    errors: dict[str, str] = {}
    for name in REACT_FIELDS:
        if not values[name]:
            errors[name] = t(f"dossier.form_error.{name}")
    check_fields(t, errors, values, {"email": normalize_email})
    received: ReceivedReaction | None = None
    if not errors:
        try:
            data = ReactionIn(
                channel="web",
                text=values["text"],
                submitters=[SubmitterIn(name=values["name"], email=values["email"], locale=t.lang)],
            )
            received = facade(request).reactions.submit(found.id, data)
        except ValidationError as exc:
            for err in exc.errors():
                loc = [str(part) for part in err.get("loc", ())]
                name = next((n for n in REACT_FIELDS if n in loc), "text")
                errors.setdefault(name, t(f"dossier.form_error.{name}"))
        except InvalidInput as exc:
            name = next((n for n in REACT_FIELDS if exc.field and n in exc.field), "text")
            errors[name] = t.error(exc)
    if errors or received is None:
        return dossier_page_response(
            request, found, template="dossier_react.html", values=values, errors=errors, status=422
        )
    return render(
        request,
        "dossier_received.html",
        dossier=found,
        received=received,
        day=lambda d: day(request, d),
    )


@pages.get("/dossiers/{dossier}/documents/{document}", response_class=Response)
def document(request: Request, dossier: str, document: str) -> Response:
    """A stored document of a published dossier, with its own type, as a download."""

    found = public_dossier(request, dossier)
    key = parse_key(document, DossierNotFound, "document", "document")
    doc, body = facade(request).reactions.document_file(found.id, key)
    return document_response(doc, body)


def document_response(doc: Document, body: bytes) -> Response:
    """A stored document's bytes with the type found at upload, never sniffed again by the
    browser, offered as a download under its own name."""

    name = doc.filename or "document"
    return Response(
        body,
        media_type=doc.content_type or "application/octet-stream",
        headers={
            "content-disposition": f'attachment; filename="{name}"; '
            f"filename*=UTF-8''{quote(name, safe='')}",
            "x-content-type-options": "nosniff",
            "content-security-policy": "default-src 'none'; sandbox",
        },
    )


@pages.get("/dossiers/{dossier}/result", response_class=HTMLResponse)
def result(request: Request, dossier: str) -> HTMLResponse:
    t = translator(request)
    p = facade(request)
    found = public_dossier(request, dossier)
    if not published(found):
        return render(request, "dossier_result.html", dossier=found, stats=None, themes=[])
    stats = p.reactions.stats(found.id)
    labels = OUTCOME_WORDS_NL if t.lang == "nl" else OUTCOME_WORDS_EN
    outcome_rows = [
        {"label": labels.get(key, key), "value": value}
        for key, value in stats.per_outcome.items()
        if value
    ]
    answers = {
        a.theme: a for a in p.reactions.answers(found.id) if a.status == "published" and a.theme
    }
    themes = [
        {
            "title": theme.title,
            "summary": theme.summary,
            "reactions": theme.reactions,
            "outcome": labels.get(answers[theme.code].outcome, answers[theme.code].outcome),
            "motivation": answers[theme.code].motivation,
            "changes_plan": answers[theme.code].changes_plan,
        }
        for theme in p.reactions.themes(found.id)
        if theme.code in answers
    ]
    return render(
        request,
        "dossier_result.html",
        dossier=found,
        stats=stats,
        outcome_rows=outcome_rows,
        themes=themes,
    )


NOTA_FORMATS = {"pdf": "application/pdf", "html": "text/html; charset=utf-8", "csv": "text/csv"}


@pages.get("/dossiers/{dossier}/nota.{fmt}", response_class=Response)
def nota(request: Request, dossier: str, fmt: str) -> Response:
    """The public nota van beantwoording (no names), once the answers are published."""

    found = public_dossier(request, dossier)
    if fmt not in NOTA_FORMATS:
        raise DossierNotFound(f"no nota as {fmt!r}", field="format")
    if not published(found):
        raise InvalidState("the nota is published with the answers", field="state")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"nota.{fmt}"
        sha256 = facade(request).reactions.write_nota(found.id, path, fmt=fmt)
        body = path.read_bytes()
    return Response(
        body,
        media_type=NOTA_FORMATS[fmt],
        headers={
            "content-disposition": f'attachment; filename="nota-van-beantwoording.{fmt}"',
            "x-participatie-sha256": sha256,
        },
    )
