"""Dossier pages (summary, documents, planning with delays explained, the reaction form,
what was done with the reactions) and the dossiers JSON API.
"""

from __future__ import annotations

import tempfile
import uuid
from datetime import date
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from pydantic import BaseModel, Field, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import HTMLResponse, Response

from participatie.errors import InvalidInput, InvalidState
from participatie.reactions.errors import DossierNotFound
from participatie.reactions.schemas import (
    OUTCOME_LABELS_EN,
    OUTCOME_LABELS_NL,
    Dossier,
    DossierIn,
    PublishResult,
    Reaction,
    ReactionIn,
    ReceivedReaction,
    Stats,
    SubmitterIn,
)
from participatie.web.common import (
    HomeItem,
    HomeSection,
    check_csrf,
    facade,
    form_text,
    render,
    require,
    translator,
)
from participatie.web.schemas import ERRORS

REACT_FIELDS = ("name", "email", "text")
#: The longest reaction the form takes (the body limit of the app is the outer bound).
MAX_TEXT = 20_000

pages = APIRouter(dependencies=[Depends(check_csrf)], include_in_schema=False)
api = APIRouter(prefix="/api/dossiers", tags=["dossiers"], responses=ERRORS)
admin = APIRouter(prefix="/api/admin/dossiers", tags=["admin: dossiers"], responses=ERRORS)


def get_dossier(request: Request, value: str) -> Dossier:
    try:
        key = uuid.UUID(value)
    except ValueError:
        raise DossierNotFound(f"no dossier {value!r}", field="dossier") from None
    return facade(request).reactions.get_dossier(key)


def accepts_reactions(request: Request, dossier: Dossier) -> bool:
    today = facade(request).clock.now().astimezone(facade(request).settings.zone).date()
    return dossier.status == "open" and dossier.period_start <= today <= dossier.period_end


def published(dossier: Dossier) -> bool:
    return any(r.published_at is not None for r in dossier.rounds)


def _dossier_page(
    request: Request,
    dossier: Dossier,
    *,
    template: str = "dossier.html",
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    today = facade(request).clock.now().astimezone(facade(request).settings.zone).date()
    return render(
        request,
        template,
        status=status,
        dossier=dossier,
        open=accepts_reactions(request, dossier),
        today=today,
        published=published(dossier),
        values=values or {},
        errors=errors or {},
        labels=REACT_FIELDS,
        day=lambda d: _day(request, d),
    )


def _day(request: Request, value: date) -> str:
    t = translator(request)
    from datetime import datetime, time

    zone = facade(request).settings.zone
    return t.date(datetime.combine(value, time(12), tzinfo=zone), zone)


@pages.get("/dossiers/{dossier}", response_class=HTMLResponse)
def dossier_page(request: Request, dossier: str) -> HTMLResponse:
    return _dossier_page(request, get_dossier(request, dossier))


@pages.get("/dossiers/{dossier}/react", response_class=HTMLResponse)
def react_page(request: Request, dossier: str) -> HTMLResponse:
    return _dossier_page(request, get_dossier(request, dossier), template="dossier_react.html")


@pages.post("/dossiers/{dossier}/react", response_class=HTMLResponse)
async def react(request: Request, dossier: str) -> HTMLResponse:
    form = await request.form()
    # The service calls block on the database: off the event loop with them.
    return await run_in_threadpool(_react, request, dossier, form)


def _react(request: Request, dossier: str, form: FormData) -> HTMLResponse:
    t = translator(request)
    found = get_dossier(request, dossier)
    values = {
        "name": form_text(form, "name", limit=255),
        "email": form_text(form, "email", limit=254),
        "text": form_text(form, "text", limit=MAX_TEXT),
    }
    errors: dict[str, str] = {}
    for name in REACT_FIELDS:
        if not values[name]:
            errors[name] = t(f"dossier.form_error.{name}")
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
        return _dossier_page(
            request, found, template="dossier_react.html", values=values, errors=errors, status=422
        )
    return render(
        request,
        "dossier_received.html",
        dossier=found,
        received=received,
        day=lambda d: _day(request, d),
    )


@pages.get("/dossiers/{dossier}/result", response_class=HTMLResponse)
def result(request: Request, dossier: str) -> HTMLResponse:
    t = translator(request)
    p = facade(request)
    found = get_dossier(request, dossier)
    if not published(found):
        return render(request, "dossier_result.html", dossier=found, stats=None, themes=[])
    stats = p.reactions.stats(found.id)
    labels = OUTCOME_LABELS_NL if t.lang == "nl" else OUTCOME_LABELS_EN
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

    found = get_dossier(request, dossier)
    if fmt not in NOTA_FORMATS:
        raise DossierNotFound(f"no nota as {fmt!r}", field="format")
    if not published(found):
        raise InvalidState("the nota is published with the answers", field="state")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"nota.{fmt}"
        sha256 = facade(request).reactions.write_nota(found.id, path, format=fmt)
        body = path.read_bytes()
    return Response(
        body,
        media_type=NOTA_FORMATS[fmt],
        headers={
            "content-disposition": f'attachment; filename="nota-van-beantwoording.{fmt}"',
            "x-participatie-sha256": sha256,
        },
    )


# -- JSON API --------------------------------------------------------------------------


class DossierOut(BaseModel):
    """A dossier as the public sees it (no contact details of the official's mailbox)."""

    id: uuid.UUID
    title: str
    summary: str
    procedure: str
    responsible_official: str
    areas: list[str]
    status: str
    round: int
    round_label: str
    period_start: date
    period_end: date
    accepts_reactions: bool
    documents: list[dict[str, Any]]
    phases: list[dict[str, Any]]
    decision_summary: str | None


class ReactionRequest(BaseModel):
    name: str = Field(min_length=1, max_length=255)
    email: str = Field(min_length=3, max_length=254)
    text: str = Field(min_length=1, max_length=MAX_TEXT)


class ReactionReceipt(BaseModel):
    number: int
    acknowledgement_due: date
    answer_due: date


def _out(request: Request, dossier: Dossier) -> DossierOut:
    return DossierOut(
        **dossier.model_dump(
            include={
                "id",
                "title",
                "summary",
                "procedure",
                "responsible_official",
                "areas",
                "status",
                "round",
                "round_label",
                "period_start",
                "period_end",
                "decision_summary",
            }
        ),
        accepts_reactions=accepts_reactions(request, dossier),
        documents=[d.model_dump(mode="json") for d in dossier.documents],
        phases=[ph.model_dump(mode="json", exclude={"id"}) for ph in dossier.phases],
    )


@api.get("", summary="All dossiers")
def list_dossiers(request: Request) -> list[DossierOut]:
    p = facade(request)
    return [_out(request, p.reactions.get_dossier(d.id)) for d in p.reactions.list_dossiers()]


@api.get("/{dossier}", summary="One dossier")
def dossier_json(request: Request, dossier: str) -> DossierOut:
    return _out(request, get_dossier(request, dossier))


@api.post(
    "/{dossier}/reactions",
    status_code=201,
    summary="Send a reaction; an acknowledgement follows by e-mail",
)
def react_json(request: Request, dossier: str, data: ReactionRequest) -> ReactionReceipt:
    found = get_dossier(request, dossier)
    received = facade(request).reactions.submit(
        found.id,
        ReactionIn(
            channel="web",
            text=data.text,
            submitters=[
                SubmitterIn(name=data.name, email=data.email, locale=translator(request).lang)
            ],
        ),
    )
    return ReactionReceipt(
        number=received.reaction.number,
        acknowledgement_due=received.reaction.acknowledgement_due,
        answer_due=received.reaction.answer_due,
    )


@api.get("/{dossier}/stats", summary="Counts once the answers are published")
def stats_json(request: Request, dossier: str) -> Stats:
    found = get_dossier(request, dossier)
    if not published(found):
        raise InvalidState("the figures are shown once the answers are published", field="state")
    return facade(request).reactions.stats(found.id)


@admin.post("", status_code=201, summary="Create a dossier")
def admin_create(
    request: Request, data: DossierIn, actor: str = require("dossiers.manage")
) -> Dossier:
    return facade(request).reactions.create_dossier(data, actor=actor)


@admin.get("/{dossier}", summary="One dossier with the official's contact details")
def admin_get(
    request: Request, dossier: str, actor: str = require("dossiers.read", "dossier")
) -> Dossier:
    return get_dossier(request, dossier)


@admin.post(
    "/{dossier}/reactions",
    status_code=201,
    summary="Register a reaction from any channel (letter, paper form, e-mail, oral)",
)
def admin_register(
    request: Request,
    dossier: str,
    data: ReactionIn,
    actor: str = require("dossiers.manage", "dossier"),
) -> ReceivedReaction:
    return facade(request).reactions.register(get_dossier(request, dossier).id, data, actor=actor)


@admin.get("/{dossier}/reactions", summary="The reactions in number order (no personal data)")
def admin_reactions(
    request: Request, dossier: str, actor: str = require("dossiers.read", "dossier")
) -> list[Reaction]:
    return list(facade(request).reactions.reactions(get_dossier(request, dossier).id))


@admin.post(
    "/{dossier}/publish",
    summary="Publish every answer of the round and tell every submitter",
)
def admin_publish(
    request: Request, dossier: str, actor: str = require("dossiers.manage", "dossier")
) -> PublishResult:
    return facade(request).reactions.publish_answers(get_dossier(request, dossier).id, actor=actor)


# -- home page, feeds, installation ------------------------------------------------------


def section(request: Request) -> HomeSection:
    t = translator(request)
    p = facade(request)
    items = []
    for summary in p.reactions.list_dossiers():
        dossier = p.reactions.get_dossier(summary.id)
        if dossier.status != "open":
            continue
        if accepts_reactions(request, dossier):
            meta = t("dossier.react_until", date=_day(request, dossier.period_end))
        else:
            meta = t("dossier.status_" + ("answers" if published(dossier) else "in_progress"))
        items.append(
            HomeItem(
                title=dossier.title,
                link_name="dossier",
                params={"dossier": str(dossier.id)},
                meta=meta,
                summary=dossier.summary[:500],
                updated=dossier.updated_at,
                areas=tuple(dossier.areas),
            )
        )
    return HomeSection(key="dossiers", title=t("home.dossiers"), items=items)


def results_section(request: Request) -> HomeSection:
    """Decided dossiers: their page tells what was done with the reactions."""

    t = translator(request)
    p = facade(request)
    items = []
    for summary in p.reactions.list_dossiers():
        if summary.status == "open":
            continue
        dossier = p.reactions.get_dossier(summary.id)
        items.append(
            HomeItem(
                title=dossier.title,
                link_name="dossier",
                params={"dossier": str(dossier.id)},
                meta=t("dossier.status_decided"),
                summary=(dossier.decision_summary or dossier.summary)[:500],
                updated=dossier.decided_at or dossier.updated_at,
                areas=tuple(dossier.areas),
            )
        )
    return HomeSection(key="results", title=t("home.results"), items=items)


def install(app: FastAPI) -> None:
    app.include_router(pages)
    app.include_router(api)
    app.include_router(admin)
    app.state.participatie_web.sections.append(section)
    app.state.participatie_web.sections.append(results_section)
