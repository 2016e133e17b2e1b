"""The dossiers admin API for assessing: themes and their assessors, the points reactions
are split into, the answers with their versions, and the nota before it is published.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query, Request

from participatie.errors import NotFound
from participatie.reactions.schemas import (
    Answer,
    AnswerIn,
    AnswerVersion,
    Dossier,
    Nota,
    Point,
    PointIn,
    Theme,
    ThemeIn,
)
from participatie.web.common import api_router, facade, parse_key, require
from participatie.web.dossiers.lookup import get_dossier, get_reaction
from participatie.web.dossiers.schemas import (
    AnswerRequest,
    AnswerUpdate,
    AssessorRequest,
    PointAssignment,
    PointRequest,
    ReactionKey,
    ThemeCode,
    ThemeRequest,
)

admin = api_router("/api/admin/dossiers", "admin: dossiers")


def _point(request: Request, dossier: Dossier, value: str) -> Point:
    """A point of this dossier (a point of another dossier is not found here: the host
    authorised the dossier in the path, not the one the point belongs to)."""

    key = parse_key(value, NotFound, "point", "point")
    for point in facade(request).reactions.points(dossier.id):
        if point.id == key:
            return point
    raise NotFound(f"no point {value!r} in this dossier", field="point")


def _answer(request: Request, dossier: Dossier, value: str) -> Answer:
    key = parse_key(value, NotFound, "answer", "answer")
    for answer in facade(request).reactions.answers(dossier.id):
        if answer.id == key:
            return answer
    raise NotFound(f"no answer {value!r} in this dossier", field="answer")


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
    reaction_id: uuid.UUID | None = None,
    actor: str = require("dossiers.read", "dossier"),
) -> list[Point]:
    return facade(request).reactions.points(
        get_dossier(request, dossier).id, theme=theme, reaction_id=reaction_id
    )


@admin.post(
    "/{dossier}/reactions/{reaction}/points",
    status_code=201,
    summary="Split a reaction: one more point, optionally in a theme",
)
def admin_add_point(
    request: Request,
    dossier: str,
    reaction: ReactionKey,
    data: PointRequest,
    actor: str = require("dossiers.manage", "dossier"),
) -> Point:
    found = get_reaction(request, get_dossier(request, dossier), reaction)
    return facade(request).reactions.add_point(
        found.id,
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
