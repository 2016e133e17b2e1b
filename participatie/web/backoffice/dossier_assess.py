"""Dossiers in the back office: assessing reactions. The overview of a round's reactions
with what still needs work, one reaction's text beside the points split off from it, and
the themes (create, rename, merge) the points are grouped into.
"""

from __future__ import annotations

import uuid

from fastapi import Request
from starlette.responses import Response

from participatie.errors import InvalidInput, NotFound, ParticipatieError
from participatie.reactions.schemas import Answer, Dossier, PointIn, ThemeIn
from participatie.web.backoffice.dossier_intake import base, done_notice, dossier_of
from participatie.web.backoffice.frame import Pages, Staff, bo_state, redirect, render
from participatie.web.common import translator

pages = Pages()


def answers_by_target(answers: list[Answer]) -> tuple[dict[str, Answer], dict[str, Answer]]:
    """The dossier's answers by theme code and by point id (as text)."""

    by_theme = {a.theme: a for a in answers if a.theme}
    by_point = {str(a.point_id): a for a in answers if a.point_id}
    return by_theme, by_point


@pages.route("/dossiers/{dossier_id}/beoordelen", action="dossiers.assess", subject="dossier_id")
def dossier_assess(request: Request, staff: Staff) -> Response:
    """Every reaction of the round: number, date, channel, points and what is unanswered."""

    p = bo_state(request).p
    dossier = dossier_of(request, staff)
    lines = p.reactions.reaction_overview(dossier.id)
    return render(
        request,
        staff,
        "dossier_assess.html",
        section="dossiers",
        dossier=dossier,
        lines=lines,
        unsplit=sum(1 for line in lines if not line.points and line.admissible is not False),
        unanswered=sum(line.unanswered for line in lines),
    )


def _number(request: Request, value: str | None = None) -> int | None:
    raw = (value if value is not None else request.query_params.get("nummer", ""))[:10]
    return int(raw) if raw.isdigit() else None


@pages.route("/dossiers/{dossier_id}/reactie", action="dossiers.assess", subject="dossier_id")
def dossier_reaction(request: Request, staff: Staff) -> Response:
    """One reaction's text beside its points; without ``?nummer=`` the first reaction
    that still needs work."""

    p = bo_state(request).p
    dossier = dossier_of(request, staff)
    lines = p.reactions.reaction_overview(dossier.id)
    number = _number(request)
    if number is None:
        todo = [line for line in lines if line.admissible is not False and not line.points]
        todo = todo or [line for line in lines if line.unanswered]
        number = (todo or lines)[0].number if lines else None
    reaction = p.reactions.reaction(dossier.id, number) if number is not None else None
    numbers = [line.number for line in lines]
    position = numbers.index(number) if number in numbers else -1
    by_theme, by_point = answers_by_target(p.reactions.answers(dossier.id))
    return render(
        request,
        staff,
        "dossier_assess_reaction.html",
        section="dossiers",
        dossier=dossier,
        reaction=reaction,
        points=p.reactions.points(dossier.id, number=number) if number is not None else [],
        themes=p.reactions.themes(dossier.id),
        by_theme=by_theme,
        by_point=by_point,
        previous=numbers[position - 1] if position > 0 else None,
        next=numbers[position + 1] if 0 <= position < len(numbers) - 1 else None,
        notice=done_notice(request, "dossier_assess"),
    )


@pages.route(
    "/dossiers/{dossier_id}/reactie/punten",
    action="dossiers.assess",
    subject="dossier_id",
    methods=("POST",),
)
def dossier_add_point(request: Request, staff: Staff) -> Response:
    """Split a point off the reaction, optionally straight into a theme."""

    p = bo_state(request).p
    dossier = dossier_of(request, staff)
    number = _number(request, staff.field("number", limit=10))
    if number is None:
        return redirect(request, base(dossier) + "/reactie", fout="input.invalid")
    back = base(dossier) + "/reactie"
    try:
        text = staff.field("text", limit=20_000)
        if not text:
            raise InvalidInput("type the point", field="text")
        p.reactions.add_point(
            dossier.id,
            number,
            PointIn(text=text, theme=staff.field("theme", limit=50) or None),
            actor=staff.actor,
        )
    except ParticipatieError as exc:
        return redirect(request, back, nummer=str(number), fout=exc.code)
    return redirect(request, back, nummer=str(number), gedaan="point_added")


@pages.route(
    "/dossiers/{dossier_id}/reactie/thema",
    action="dossiers.assess",
    subject="dossier_id",
    methods=("POST",),
)
def dossier_assign_point(request: Request, staff: Staff) -> Response:
    """Put a point of this dossier in a theme."""

    p = bo_state(request).p
    dossier = dossier_of(request, staff)
    number = _number(request, staff.field("number", limit=10))
    back = base(dossier) + "/reactie"
    try:
        point_id = uuid.UUID(staff.field("point", limit=40))
    except ValueError:
        return redirect(request, back, fout="input.invalid")
    theme = staff.field("theme", limit=50)
    try:
        # Only a point of this dossier: the host allowed this dossier, not another.
        if number is None or point_id not in {
            pt.id for pt in p.reactions.points(dossier.id, number=number)
        }:
            raise NotFound("no such point in this dossier", field="point")
        if not theme:
            raise InvalidInput("choose a theme", field="theme")
        p.reactions.assign_point(point_id, theme=theme, actor=staff.actor)
    except ParticipatieError as exc:
        return redirect(request, back, nummer=str(number or ""), fout=exc.code)
    return redirect(request, back, nummer=str(number), gedaan="point_assigned")


# -- themes ------------------------------------------------------------------------------


def _themes_page(
    request: Request, staff: Staff, dossier: Dossier, *, status: int = 200, **context: object
) -> Response:
    p = bo_state(request).p
    by_theme, _ = answers_by_target(p.reactions.answers(dossier.id))
    context.setdefault("notice", done_notice(request, "dossier_assess"))
    return render(
        request,
        staff,
        "dossier_assess_themes.html",
        section="dossiers",
        status=status,
        dossier=dossier,
        themes=p.reactions.themes(dossier.id),
        by_theme=by_theme,
        **context,
    )


@pages.route("/dossiers/{dossier_id}/themas", action="dossiers.assess", subject="dossier_id")
def dossier_themes(request: Request, staff: Staff) -> Response:
    return _themes_page(request, staff, dossier_of(request, staff))


@pages.route(
    "/dossiers/{dossier_id}/themas",
    action="dossiers.assess",
    subject="dossier_id",
    methods=("POST",),
)
def dossier_theme_create(request: Request, staff: Staff) -> Response:
    p = bo_state(request).p
    dossier = dossier_of(request, staff)
    values = {k: staff.field(k, limit=2000) for k in ("code", "title", "summary")}
    try:
        if not values["code"] or not values["title"]:
            raise InvalidInput("a theme needs a code and a title", field="title")
        p.reactions.create_theme(
            dossier.id,
            ThemeIn(
                code=values["code"][:50], title=values["title"][:255], summary=values["summary"]
            ),
            actor=staff.actor,
        )
    except (ParticipatieError, ValueError) as exc:
        t = translator(request)
        message = t.error(exc) if isinstance(exc, ParticipatieError) else t.error("input.invalid")
        return _themes_page(request, staff, dossier, status=422, problem=message, values=values)
    return redirect(request, base(dossier) + "/themas", gedaan="theme_created")


@pages.route(
    "/dossiers/{dossier_id}/themas/hernoemen",
    action="dossiers.assess",
    subject="dossier_id",
    methods=("POST",),
)
def dossier_theme_rename(request: Request, staff: Staff) -> Response:
    p = bo_state(request).p
    dossier = dossier_of(request, staff)
    back = base(dossier) + "/themas"
    try:
        p.reactions.rename_theme(
            dossier.id,
            staff.field("theme", limit=50),
            title=staff.field("title", limit=255),
            actor=staff.actor,
        )
    except ParticipatieError as exc:
        return redirect(request, back, fout=exc.code)
    return redirect(request, back, gedaan="theme_renamed")


@pages.route(
    "/dossiers/{dossier_id}/themas/samenvoegen",
    action="dossiers.assess",
    subject="dossier_id",
    methods=("POST",),
)
def dossier_theme_merge(request: Request, staff: Staff) -> Response:
    p = bo_state(request).p
    dossier = dossier_of(request, staff)
    back = base(dossier) + "/themas"
    try:
        merged = p.reactions.merge_themes(
            dossier.id,
            staff.field("source", limit=50),
            staff.field("into", limit=50),
            actor=staff.actor,
        )
    except ParticipatieError as exc:
        return redirect(request, back, fout=exc.code)
    return redirect(request, back, gedaan="themes_merged", aantal=str(merged.points))
