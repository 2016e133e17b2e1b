"""Dossiers in the back office: assessing reactions. The overview of a round's reactions
with what still needs work, one reaction's text beside the points split off from it, and
the themes (create, rename, merge) the points are grouped into.
"""

from __future__ import annotations

import uuid

from fastapi import Request
from starlette.responses import Response

from participatie.errors import InvalidInput, NotFound
from participatie.reactions.errors import UnknownTheme
from participatie.reactions.schemas import Answer, Dossier, PointIn, ThemeIn
from participatie.web.backoffice.dossier_intake import base, done_notice, dossier_of
from participatie.web.backoffice.forms import FormCheck
from participatie.web.backoffice.frame import (
    Pages,
    Staff,
    attempt,
    bo_state,
    redirect,
    render,
)

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
    # A refused form of this page names its reaction itself.
    number = _number(request, staff.field("number", limit=10) if staff.form is not None else None)
    if number is None:
        todo = [line for line in lines if line.admissible is not False and not line.points]
        todo = todo or [line for line in lines if line.unanswered]
        number = (todo or lines)[0].number if lines else None
    reaction = p.reactions.reaction_by_number(dossier.id, number) if number is not None else None
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
        points=p.reactions.points(dossier.id, reaction_id=reaction.id) if reaction else [],
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

    def work() -> Response:
        theme = staff.field("theme", limit=50) or None
        check = FormCheck(point_field)
        data = check.model(PointIn, text=staff.field("text", limit=20_000), theme=theme)
        if theme and theme not in {th.code for th in p.reactions.themes(dossier.id)}:
            check.add(UnknownTheme(f"no theme {theme!r}", field="theme"))
        check.done(order=("text", "theme"))
        assert data is not None
        reaction = p.reactions.reaction_by_number(dossier.id, number)
        p.reactions.add_point(reaction.id, data, actor=staff.actor)
        return redirect(
            request, base(dossier) + "/reactie", nummer=str(number), gedaan="point_added"
        )

    return attempt(request, staff, work, dossier_reaction, form="punt", rename=point_field)


def point_field(library_field: str) -> str:
    """The point form's field for one the library names (``points.0.theme``: ``theme``)."""

    return "theme" if library_field.endswith("theme") else "text"


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
    try:
        point_id = uuid.UUID(staff.field("point", limit=40))
    except ValueError:
        point_id = None
    # Only a point of this dossier: the host allowed this dossier, not another.
    reaction = p.reactions.reaction_by_number(dossier.id, number) if number else None
    points = (
        {pt.id: pt for pt in p.reactions.points(dossier.id, reaction_id=reaction.id)}
        if reaction
        else {}
    )
    if point_id not in points:
        raise NotFound("no such point in this dossier", field="point")
    assert point_id is not None

    def work() -> Response:
        theme = staff.field("theme", limit=50)
        if not theme:
            raise InvalidInput("choose a theme", field="theme")
        p.reactions.assign_point(point_id, theme=theme, actor=staff.actor)
        return redirect(
            request, base(dossier) + "/reactie", nummer=str(number), gedaan="point_assigned"
        )

    form = f"punt-{points[point_id].position}"
    return attempt(request, staff, work, dossier_reaction, form=form, rename=point_field)


# -- themes ------------------------------------------------------------------------------


def _themes_page(request: Request, staff: Staff, dossier: Dossier) -> Response:
    p = bo_state(request).p
    by_theme, _ = answers_by_target(p.reactions.answers(dossier.id))
    return render(
        request,
        staff,
        "dossier_assess_themes.html",
        section="dossiers",
        dossier=dossier,
        themes=p.reactions.themes(dossier.id),
        by_theme=by_theme,
        notice=done_notice(request, "dossier_assess"),
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
    """A new theme; a missing code and title are both named at once."""

    p = bo_state(request).p
    dossier = dossier_of(request, staff)

    def work() -> Response:
        check = FormCheck()
        data = check.model(
            ThemeIn,
            code=staff.field("code", limit=2000),
            title=staff.field("title", limit=2000),
            summary=staff.field("summary", limit=20_000),
        )
        check.done(order=("code", "title", "summary"))
        assert data is not None
        p.reactions.create_theme(dossier.id, data, actor=staff.actor)
        return redirect(request, base(dossier) + "/themas", gedaan="theme_created")

    return attempt(request, staff, work, dossier_themes, form="thema")


@pages.route(
    "/dossiers/{dossier_id}/themas/hernoemen",
    action="dossiers.assess",
    subject="dossier_id",
    methods=("POST",),
)
def dossier_theme_rename(request: Request, staff: Staff) -> Response:
    p = bo_state(request).p
    dossier = dossier_of(request, staff)

    def work() -> Response:
        theme = staff.field("theme", limit=50)
        check = FormCheck()
        if theme not in {th.code for th in p.reactions.themes(dossier.id)}:
            check.add(UnknownTheme(f"no theme {theme!r}", field="theme"))
        title = staff.field("title", limit=2000)
        if not title or len(title) > 255:
            check.add(InvalidInput("a theme needs a title", field="title"))
        check.done(order=("theme", "title"))
        p.reactions.rename_theme(dossier.id, theme, title=title, actor=staff.actor)
        return redirect(request, base(dossier) + "/themas", gedaan="theme_renamed")

    return attempt(request, staff, work, dossier_themes, form="hernoem")


@pages.route(
    "/dossiers/{dossier_id}/themas/samenvoegen",
    action="dossiers.assess",
    subject="dossier_id",
    methods=("POST",),
)
def dossier_theme_merge(request: Request, staff: Staff) -> Response:
    p = bo_state(request).p
    dossier = dossier_of(request, staff)

    def work() -> Response:
        chosen = {name: staff.field(name, limit=50) for name in ("source", "into")}
        codes = {th.code for th in p.reactions.themes(dossier.id)}
        check = FormCheck()
        for name, code in chosen.items():
            if code not in codes:
                check.add(UnknownTheme(f"no theme {code!r}", field=name))
        check.done(order=("source", "into"))
        merged = p.reactions.merge_themes(
            dossier.id, chosen["source"], chosen["into"], actor=staff.actor
        )
        return redirect(
            request, base(dossier) + "/themas", gedaan="themes_merged", aantal=str(merged.points)
        )

    return attempt(
        request,
        staff,
        work,
        dossier_themes,
        form="samen",
        rename=lambda name: name if name in ("source", "into") else "into",
    )
