"""Dossier pages (summary, documents, planning with delays explained, the reaction form,
what was done with the reactions) and the dossiers JSON API.
"""

from __future__ import annotations

import base64
import binascii
import re
import tempfile
import uuid
from datetime import date
from pathlib import Path, PurePosixPath
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import HTMLResponse, Response

from participatie.errors import InvalidInput, InvalidState, NotFound
from participatie.reactions.errors import DossierNotFound
from participatie.reactions.schemas import (
    OUTCOME_LABELS_EN,
    OUTCOME_LABELS_NL,
    Answer,
    AnswerIn,
    AnswerVersion,
    Channel,
    Dossier,
    DossierIn,
    Extension,
    ImportReport,
    Nota,
    Outcome,
    OverdueItem,
    Point,
    PointIn,
    PublishResult,
    Reaction,
    ReactionIn,
    ReceivedReaction,
    Stats,
    SubmitterIn,
    Theme,
    ThemeIn,
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


# Before ``/{dossier}``, which would take "overdue" for a dossier id.
@admin.get("/overdue", summary="Reactions of every dossier past their deadline, worst first")
def admin_overdue_all(request: Request, actor: str = require("dossiers.read")) -> list[OverdueItem]:
    return facade(request).reactions.overdue()


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


# -- assessment: themes, points, answers -----------------------------------------------

#: Reaction numbers in paths and filters (a dossier never gets near this many).
MAX_NUMBER = 10_000_000
Number = Annotated[int, PathParam(ge=1, le=MAX_NUMBER, description="the reaction's number")]
ThemeCode = Annotated[str, PathParam(min_length=1, max_length=50, description="the theme's code")]


def _key(value: str, field: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise NotFound(f"no {what} {value!r}", field=field) from None


def _point(request: Request, dossier: Dossier, value: str) -> Point:
    """A point of this dossier (a point of another dossier is not found here: the host
    authorised the dossier in the path, not the one the point belongs to)."""

    key = _key(value, "point", "point")
    for point in facade(request).reactions.points(dossier.id):
        if point.id == key:
            return point
    raise NotFound(f"no point {value!r} in this dossier", field="point")


def _answer(request: Request, dossier: Dossier, value: str) -> Answer:
    key = _key(value, "answer", "answer")
    for answer in facade(request).reactions.answers(dossier.id):
        if answer.id == key:
            return answer
    raise NotFound(f"no answer {value!r} in this dossier", field="answer")


class ThemeRequest(ThemeIn):
    assessor: str | None = Field(
        default=None, min_length=1, max_length=255, description="who assesses the theme"
    )


class AssessorRequest(BaseModel):
    assessor: str = Field(min_length=1, max_length=255)


class PointRequest(PointIn):
    theme: str | None = Field(default=None, min_length=1, max_length=50)


class PointAssignment(BaseModel):
    """A theme for the point, an assessor, or both."""

    theme: str | None = Field(default=None, min_length=1, max_length=50)
    assessor: str | None = Field(default=None, min_length=1, max_length=255)

    @model_validator(mode="after")
    def _something(self) -> PointAssignment:
        if self.theme is None and self.assessor is None:
            raise ValueError("give a theme, an assessor or both")
        return self


class AnswerRequest(AnswerIn):
    """The answer to a theme (``theme``) or to one point (``point_id``): the outcome and
    the reason the submitters read."""

    theme: str | None = Field(default=None, min_length=1, max_length=50)
    outcome: Outcome


class AnswerUpdate(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    outcome: Outcome
    motivation: str = Field(min_length=1, max_length=20_000)
    changes_plan: bool = False
    change_reference: str | None = Field(default=None, max_length=1000)
    expected_version: int = Field(
        ge=1, le=1_000_000, description="the version you read; a newer one is a 409"
    )


@admin.post(
    "/{dossier}/themes", status_code=201, summary="Add a theme, optionally with its assessor"
)
def admin_create_theme(
    request: Request,
    dossier: str,
    data: ThemeRequest,
    actor: str = require("dossiers.manage", "dossier"),
) -> Theme:
    return facade(request).reactions.create_theme(
        get_dossier(request, dossier).id,
        ThemeIn(code=data.code, title=data.title, summary=data.summary),
        assessor=data.assessor,
        actor=actor,
    )


@admin.get("/{dossier}/themes", summary="The themes with their assessors and counts")
def admin_themes(
    request: Request, dossier: str, actor: str = require("dossiers.read", "dossier")
) -> list[Theme]:
    return facade(request).reactions.themes(get_dossier(request, dossier).id)


@admin.post("/{dossier}/themes/{theme}/assessor", summary="Give a theme to an assessor")
def admin_assign_theme(
    request: Request,
    dossier: str,
    theme: ThemeCode,
    data: AssessorRequest,
    actor: str = require("dossiers.manage", "dossier"),
) -> Theme:
    return facade(request).reactions.assign_theme(
        get_dossier(request, dossier).id, theme, assessor=data.assessor, actor=actor
    )


@admin.get("/{dossier}/points", summary="The points the reactions are split into")
def admin_points(
    request: Request,
    dossier: str,
    theme: Annotated[str | None, Query(min_length=1, max_length=50)] = None,
    number: Annotated[int | None, Query(ge=1, le=MAX_NUMBER)] = None,
    actor: str = require("dossiers.read", "dossier"),
) -> list[Point]:
    return facade(request).reactions.points(
        get_dossier(request, dossier).id, theme=theme, number=number
    )


@admin.post(
    "/{dossier}/reactions/{number}/points",
    status_code=201,
    summary="Split a reaction: one more point, optionally in a theme",
)
def admin_add_point(
    request: Request,
    dossier: str,
    number: Number,
    data: PointRequest,
    actor: str = require("dossiers.manage", "dossier"),
) -> Point:
    return facade(request).reactions.add_point(
        get_dossier(request, dossier).id,
        number,
        PointIn(text=data.text, theme=data.theme),
        actor=actor,
    )


@admin.post(
    "/{dossier}/points/{point}/assign",
    summary="Put a point in a theme and/or give it to an assessor",
)
def admin_assign_point(
    request: Request,
    dossier: str,
    point: str,
    data: PointAssignment,
    actor: str = require("dossiers.manage", "dossier"),
) -> Point:
    found = _point(request, get_dossier(request, dossier), point)
    return facade(request).reactions.assign_point(
        found.id, theme=data.theme, assessor=data.assessor, actor=actor
    )


@admin.get("/{dossier}/answers", summary="Every answer, drafts included")
def admin_answers(
    request: Request, dossier: str, actor: str = require("dossiers.read", "dossier")
) -> list[Answer]:
    return facade(request).reactions.answers(get_dossier(request, dossier).id)


@admin.post(
    "/{dossier}/answers",
    status_code=201,
    summary="Answer a theme or a point: outcome and reason (a draft until published)",
)
def admin_draft_answer(
    request: Request,
    dossier: str,
    data: AnswerRequest,
    actor: str = require("dossiers.manage", "dossier"),
) -> Answer:
    return facade(request).reactions.draft_answer(
        get_dossier(request, dossier).id,
        AnswerIn.model_validate(data.model_dump()),
        actor=actor,
    )


@admin.put(
    "/{dossier}/answers/{answer}",
    summary="Change a draft answer; refused when someone saved since you read it",
)
def admin_update_answer(
    request: Request,
    dossier: str,
    answer: str,
    data: AnswerUpdate,
    actor: str = require("dossiers.manage", "dossier"),
) -> Answer:
    found = _answer(request, get_dossier(request, dossier), answer)
    return facade(request).reactions.update_answer(
        found.id,
        AnswerIn(
            theme=found.theme,
            point_id=found.point_id,
            outcome=data.outcome,
            motivation=data.motivation,
            changes_plan=data.changes_plan,
            change_reference=data.change_reference,
        ),
        expected_version=data.expected_version,
        actor=actor,
    )


@admin.get("/{dossier}/answers/{answer}/history", summary="Every version of an answer")
def admin_answer_history(
    request: Request, dossier: str, answer: str, actor: str = require("dossiers.read", "dossier")
) -> list[AnswerVersion]:
    found = _answer(request, get_dossier(request, dossier), answer)
    return facade(request).reactions.answer_history(found.id)


@admin.get(
    "/{dossier}/nota",
    summary="The public nota van beantwoording as it stands, to review before publishing",
)
def admin_nota(
    request: Request, dossier: str, actor: str = require("dossiers.read", "dossier")
) -> Nota:
    return facade(request).reactions.nota(get_dossier(request, dossier).id)


# -- late reactions, deadlines, progress ------------------------------------------------


class AdmissibilityRequest(BaseModel):
    admissible: bool
    reason: str = Field(min_length=1, max_length=2000, description="told to the submitter")


class ExtensionRequest(BaseModel):
    new_due: date
    reason: str = Field(min_length=1, max_length=2000, description="told to every submitter")
    numbers: list[Annotated[int, Field(ge=1, le=MAX_NUMBER)]] | None = Field(
        default=None,
        min_length=1,
        max_length=10_000,
        description="only these reactions; left out: every unanswered one due earlier",
    )


@admin.post(
    "/{dossier}/reactions/{number}/admissibility",
    summary="Decide whether a (late) reaction is taken into account, with the reason",
)
def admin_admissibility(
    request: Request,
    dossier: str,
    number: Number,
    data: AdmissibilityRequest,
    actor: str = require("dossiers.manage", "dossier"),
) -> Reaction:
    return facade(request).reactions.decide_admissibility(
        get_dossier(request, dossier).id,
        number,
        admissible=data.admissible,
        reason=data.reason,
        actor=actor,
    )


@admin.post(
    "/{dossier}/extensions",
    summary="Move the answer date of unanswered reactions; every submitter is told why",
)
def admin_extend(
    request: Request,
    dossier: str,
    data: ExtensionRequest,
    actor: str = require("dossiers.manage", "dossier"),
) -> Extension:
    return facade(request).reactions.extend_answer_deadline(
        get_dossier(request, dossier).id,
        new_due=data.new_due,
        reason=data.reason,
        numbers=data.numbers,
        actor=actor,
    )


@admin.get("/{dossier}/overdue", summary="Reactions past their deadline, worst first")
def admin_overdue(
    request: Request, dossier: str, actor: str = require("dossiers.read", "dossier")
) -> list[OverdueItem]:
    return facade(request).reactions.overdue(get_dossier(request, dossier).id)


@admin.get("/{dossier}/stats", summary="Progress and counts, before publishing too")
def admin_stats(
    request: Request,
    dossier: str,
    round: Annotated[int | None, Query(ge=1, le=1000)] = None,
    actor: str = require("dossiers.read", "dossier"),
) -> Stats:
    return facade(request).reactions.stats(get_dossier(request, dossier).id, round=round)


# -- paper import -------------------------------------------------------------------------

#: The largest spreadsheet the import takes (the app's body limit may be lower).
MAX_IMPORT_BYTES = 2 * 1024 * 1024


class ImportRequest(BaseModel):
    """A CSV or XLSX file of paper reactions, base64-encoded: API writes are JSON only."""

    filename: str = Field(
        min_length=5,
        max_length=255,
        pattern=r"(?i)\.(csv|txt|xlsx|xlsm)$",
        description="the file's name; its extension says how to read it",
    )
    content_base64: str = Field(
        min_length=4, max_length=4 * ((MAX_IMPORT_BYTES + 2) // 3), description="the file"
    )
    channel: Channel = Field(default="paper", description="for rows without a 'kanaal'")

    @field_validator("content_base64")
    @classmethod
    def _base64(cls, value: str) -> str:
        try:
            base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("not base64") from None
        return value


def _safe_name(filename: str) -> str:
    """The last part of the name, in characters any file system takes."""

    name = PurePosixPath(filename.replace("\\", "/")).name
    name = re.sub(r"[^\w.\- ]", "_", name, flags=re.ASCII).strip(" .")
    suffix = Path(filename).suffix.lower()
    if not name or not name.lower().endswith(suffix):
        name = "import" + suffix
    return name[-100:]


@admin.post(
    "/{dossier}/import",
    summary="Import paper reactions from a CSV or XLSX file; bad rows are reported by number",
)
def admin_import(
    request: Request,
    dossier: str,
    data: ImportRequest,
    actor: str = require("dossiers.manage", "dossier"),
) -> ImportReport:
    found = get_dossier(request, dossier)
    content = base64.b64decode(data.content_base64, validate=True)
    with tempfile.TemporaryDirectory(prefix="participatie-import-") as folder:
        path = Path(folder) / _safe_name(data.filename)
        path.write_bytes(content)
        return facade(request).reactions.import_file(
            found.id, path, actor=actor, channel=data.channel
        )


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
