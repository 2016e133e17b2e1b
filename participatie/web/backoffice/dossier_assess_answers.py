"""Dossiers in the back office: answers. The answer to a theme or a point written from a
template, with its versions (an edit that crossed another shows both and asks which to
keep); offering answers for review, approval by another person (four eyes), and
publishing them all at once after a preview of every mail and letter.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import Request
from starlette.responses import Response

from participatie.errors import InvalidInput, NotFound, ParticipatieError, StaleUpdate
from participatie.reactions.schemas import OUTCOMES, Answer, AnswerIn, Dossier, Point
from participatie.staff import same_staff
from participatie.web.backoffice.dossier_assess import answers_by_target
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
from participatie.web.common import translator

pages = Pages()

#: Notices shown per page of the publication preview.
PREVIEW_PAGE = 100
ANSWER_FIELDS = ("outcome", "motivation", "changes_plan", "change_reference")


def _target(
    request: Request, dossier: Dossier, theme: str, point: str
) -> tuple[str | None, Point | None, Answer | None, list[Point]]:
    """The theme code or the point an answer is for, its answer, and the points it covers."""

    p = bo_state(request).p
    answers = p.reactions.answers(dossier.id)
    by_theme, by_point = answers_by_target(answers)
    if theme:
        found = [th for th in p.reactions.themes(dossier.id) if th.code == theme.lower()]
        if not found:
            raise NotFound(f"no theme {theme!r}", field="theme")
        code = found[0].code
        return code, None, by_theme.get(code), p.reactions.points(dossier.id, theme=code)
    try:
        point_id = uuid.UUID(point)
    except ValueError:
        raise NotFound("say which theme or point to answer", field="point") from None
    points = [pt for pt in p.reactions.points(dossier.id) if pt.id == point_id]
    if not points:
        raise NotFound("no such point in this dossier", field="point")
    return None, points[0], by_point.get(str(point_id)), points


def _answer_page(
    request: Request,
    staff: Staff,
    dossier: Dossier,
    theme: str,
    point: str,
    *,
    status: int = 200,
    **context: Any,
) -> Response:
    p = bo_state(request).p
    code, the_point, answer, covered = _target(request, dossier, theme, point)
    themes = {th.code: th for th in p.reactions.themes(dossier.id)}
    values = context.pop("values", None)
    if values is None:
        values = {
            "outcome": answer.outcome if answer else "",
            "motivation": answer.motivation if answer else "",
            "changes_plan": "1" if answer and answer.changes_plan else "",
            "change_reference": (answer.change_reference or "") if answer else "",
            "expected_version": str(answer.version) if answer else "",
        }
    context.setdefault("notice", done_notice(request, "dossier_assess"))
    return render(
        request,
        staff,
        "dossier_assess_answer.html",
        section="dossiers",
        status=status,
        dossier=dossier,
        theme=themes.get(code) if code else None,
        point=the_point,
        answer=answer,
        covered=covered,
        history=p.reactions.answer_history(answer.id) if answer else [],
        templates=p.reactions.answer_templates(dossier.id),
        outcomes=OUTCOMES,
        values=values,
        stale=context.pop("stale", None),
        **context,
    )


@pages.route("/dossiers/{dossier_id}/antwoord", action="dossiers.assess", subject="dossier_id")
def dossier_answer(request: Request, staff: Staff) -> Response:
    """The answer to ``?thema=code`` or ``?punt=<id>``: new, or its current version."""

    dossier = dossier_of(request, staff)
    theme = request.query_params.get("thema", "")[:50]
    point = request.query_params.get("punt", "")[:40]
    if staff.form is not None:
        # A refused form of this page names what it answers itself.
        theme, point = staff.field("theme", limit=50), staff.field("point", limit=40)
    if not theme and not point:
        # Nothing chosen yet: the list of what needs an answer.
        return dossier_answers(request, staff)
    return _answer_page(request, staff, dossier, theme, point)


@pages.route(
    "/dossiers/{dossier_id}/antwoord",
    action="dossiers.assess",
    subject="dossier_id",
    methods=("POST",),
)
def dossier_answer_save(request: Request, staff: Staff) -> Response:
    """Save (``action=save``), fill from a template (``action=template``: not saved yet),
    or keep one's own text after a crossed edit (``action=keep_mine``)."""

    p = bo_state(request).p
    dossier = dossier_of(request, staff)
    theme = staff.field("theme", limit=50)
    point = staff.field("point", limit=40)
    values = {k: staff.field(k, limit=20_000) for k in (*ANSWER_FIELDS, "expected_version")}
    action = staff.field("action", limit=20) or "save"
    code, the_point, answer, covered = _target(request, dossier, theme, point)

    def fill() -> Response:
        fills = {"thema": theme, "nummer": str(covered[0].reaction_number if covered else "")}
        if code:
            fills["thema"] = next(
                th.title for th in p.reactions.themes(dossier.id) if th.code == code
            )
        for line in staff.field("template_values", limit=5000).splitlines():
            name, sep, value = line.partition("=")
            if sep:
                fills[name.strip()] = value.strip()
        values["motivation"] = p.reactions.fill_answer_template(
            dossier.id, staff.field("template", limit=100), fills
        )
        return _answer_page(request, staff, dossier, theme, point, values=values)

    def save() -> Response:
        check = FormCheck(answer_field)
        if values["outcome"] not in OUTCOMES:
            check.add(InvalidInput(f"unknown outcome {values['outcome']!r}", field="outcome"))
        data = check.model(
            AnswerIn,
            theme=code,
            point_id=the_point.id if the_point else None,
            outcome=values["outcome"],
            motivation=values["motivation"] or " ",
            changes_plan=values["changes_plan"] == "1",
            change_reference=values["change_reference"] or None,
        )
        if not values["motivation"]:
            check.add(InvalidInput("write the answer", field="motivation"))
        check.done(order=ANSWER_FIELDS)
        assert data is not None
        try:
            if answer is None:
                p.reactions.draft_answer(dossier.id, data, actor=staff.actor)
            else:
                expected = values["expected_version"]
                p.reactions.update_answer(
                    answer.id,
                    data,
                    expected_version=int(expected) if expected.isdigit() else -1,
                    actor=staff.actor,
                )
        except StaleUpdate as exc:
            # Someone saved in between: both versions side by side, the user chooses.
            return _answer_page(
                request,
                staff,
                dossier,
                theme,
                point,
                status=409,
                values=values,
                stale=True,
                problem=translator(request).error(exc),
            )
        query = {"thema": code} if code else {"punt": str(the_point.id if the_point else "")}
        return redirect(request, base(dossier) + "/antwoord", **query, gedaan="answer_saved")

    return attempt(
        request,
        staff,
        fill if action == "template" else save,
        dossier_answer,
        form="antwoord",
        rename=answer_field,
    )


def answer_field(library_field: str) -> str:
    """The answer form's field for one the library or a template names: a template's
    missing value (``values.naam``) is typed in the template's values."""

    if library_field.startswith("values.") or library_field == "values":
        return "template_values"
    if library_field == "name":
        return "template"
    return library_field if library_field in ANSWER_FIELDS else "motivation"


# -- the list, templates, ready for review -----------------------------------------------


@pages.route("/dossiers/{dossier_id}/antwoorden", action="dossiers.assess", subject="dossier_id")
def dossier_answers(request: Request, staff: Staff) -> Response:
    """Every answer with its state; themes and points still without one; templates."""

    p = bo_state(request).p
    dossier = dossier_of(request, staff)
    answers = p.reactions.answers(dossier.id)
    by_theme, by_point = answers_by_target(answers)
    themes = p.reactions.themes(dossier.id)
    points = {str(pt.id): pt for pt in p.reactions.points(dossier.id)}
    return render(
        request,
        staff,
        "dossier_assess_answers.html",
        section="dossiers",
        dossier=dossier,
        answers=answers,
        themes={th.code: th for th in themes},
        points=points,
        open_themes=[th for th in themes if th.code not in by_theme and th.points],
        open_points=[pt for key, pt in points.items() if pt.theme is None and key not in by_point],
        templates=p.reactions.answer_templates(dossier.id),
        notice=done_notice(request, "dossier_assess"),
    )


def _ids(staff: Staff) -> list[uuid.UUID]:
    ids = []
    for value in staff.fields("answer"):
        try:
            ids.append(uuid.UUID(value))
        except ValueError:
            raise InvalidInput("no such answer", field="answer") from None
    if not ids:
        raise InvalidInput("choose at least one answer", field="answer")
    return ids


@pages.route(
    "/dossiers/{dossier_id}/antwoorden/klaar",
    action="dossiers.assess",
    subject="dossier_id",
    methods=("POST",),
)
def dossier_answers_ready(request: Request, staff: Staff) -> Response:
    p = bo_state(request).p
    dossier = dossier_of(request, staff)

    def work() -> Response:
        done = p.reactions.mark_ready(dossier.id, _ids(staff), actor=staff.actor)
        return redirect(
            request, base(dossier) + "/antwoorden", gedaan="answers_ready", aantal=str(len(done))
        )

    return attempt(request, staff, work, dossier_answers, form="klaar", rename=_answer_choice)


def _answer_choice(library_field: str) -> str:
    """Every refusal of chosen answers is about the choice."""

    return "answer"


@pages.route(
    "/dossiers/{dossier_id}/sjablonen",
    action="dossiers.assess",
    subject="dossier_id",
    methods=("POST",),
)
def dossier_answer_template(request: Request, staff: Staff) -> Response:
    p = bo_state(request).p
    dossier = dossier_of(request, staff)

    def work() -> Response:
        name = staff.field("name", limit=100)
        text = staff.field("text", limit=20_000)
        check = FormCheck()
        if not name:
            check.add(InvalidInput("a template needs a name", field="name"))
        if not text:
            check.add(InvalidInput("a template needs a text", field="text"))
        check.done(order=("name", "text"))
        p.reactions.save_answer_template(dossier.id, name, text, actor=staff.actor)
        return redirect(request, base(dossier) + "/antwoorden", gedaan="template_saved")

    return attempt(request, staff, work, dossier_answers, form="sjabloon")


# -- review (four eyes) and publication --------------------------------------------------


@pages.route(
    "/dossiers/{dossier_id}/controleren",
    action=("dossiers.assess", "dossiers.publish"),
    subject="dossier_id",
)
def dossier_review(request: Request, staff: Staff) -> Response:
    """Answers waiting for a second person; those this user wrote are marked."""

    p = bo_state(request).p
    dossier = dossier_of(request, staff)
    answers = p.reactions.answers(dossier.id)
    # The same person in any spelling: the four-eyes rule's own comparison.
    mine = {
        str(a.id)
        for a in answers
        if same_staff(staff.actor, a.updated_by) or same_staff(staff.actor, a.ready_by or "")
    }
    return render(
        request,
        staff,
        "dossier_assess_review.html",
        mine=mine,
        section="dossiers",
        dossier=dossier,
        waiting=[a for a in answers if a.status == "ready"],
        approved=[a for a in answers if a.status == "approved"],
        themes={th.code: th for th in p.reactions.themes(dossier.id)},
        points={str(pt.id): pt for pt in p.reactions.points(dossier.id)},
        notice=done_notice(request, "dossier_assess"),
    )


@pages.route(
    "/dossiers/{dossier_id}/controleren",
    action=("dossiers.assess", "dossiers.publish"),
    subject="dossier_id",
    methods=("POST",),
)
def dossier_review_decide(request: Request, staff: Staff) -> Response:
    """Approve (``action=approve``) or send back to draft (``action=return``); the
    library refuses to let the writer approve their own answer."""

    p = bo_state(request).p
    dossier = dossier_of(request, staff)

    def work() -> Response:
        decision = staff.field("action", limit=10)
        if decision not in ("approve", "return"):
            # Only the button that says "approve" approves; nothing is approved by default.
            raise InvalidInput(f"unknown decision {decision!r}", field="")
        ids = _ids(staff)
        if decision == "return":
            p.reactions.return_answers(dossier.id, ids, actor=staff.actor)
        else:
            p.reactions.approve_answers(dossier.id, ids, actor=staff.actor)
        done = "answers_returned" if decision == "return" else "answers_approved"
        return redirect(request, base(dossier) + "/controleren", gedaan=done, aantal=str(len(ids)))

    return attempt(
        request,
        staff,
        work,
        dossier_review,
        form="controle",
        rename=lambda name: name and _answer_choice(name),
    )


@pages.route("/dossiers/{dossier_id}/publiceren", action="dossiers.publish", subject="dossier_id")
def dossier_publish_preview(request: Request, staff: Staff) -> Response:
    """Every mail and letter publishing will send, counted, one page at a time."""

    p = bo_state(request).p
    dossier = dossier_of(request, staff)
    preview = p.reactions.preview_publication(dossier.id)
    answers = p.reactions.answers(dossier.id)
    lines = p.reactions.reaction_overview(dossier.id)
    raw = request.query_params.get("pagina", "1")[:6]
    page = max(1, int(raw)) if raw.isdigit() else 1
    pages_total = max(1, -(-len(preview.notices) // PREVIEW_PAGE))
    page = min(page, pages_total)
    published = any(r.number == dossier.round and r.published_at for r in dossier.rounds)
    return render(
        request,
        staff,
        "dossier_assess_publish.html",
        section="dossiers",
        dossier=dossier,
        preview=preview,
        notices=preview.notices[(page - 1) * PREVIEW_PAGE : page * PREVIEW_PAGE],
        page=page,
        pages_total=pages_total,
        not_approved=sum(1 for a in answers if a.status in ("draft", "ready")),
        unanswered=sum(line.unanswered for line in lines),
        unsplit=sum(1 for line in lines if not line.points and line.admissible is not False),
        undecided=sum(1 for line in lines if line.admissible is None),
        published=published,
        notice=done_notice(request, "dossier_assess"),
    )


@pages.route(
    "/dossiers/{dossier_id}/publiceren",
    action="dossiers.publish",
    subject="dossier_id",
    methods=("POST",),
)
def dossier_publish(request: Request, staff: Staff) -> Response:
    """Publish with the four-eyes rule, after a preview whose count must still hold."""

    p = bo_state(request).p
    dossier = dossier_of(request, staff)
    back = base(dossier) + "/publiceren"
    preview = p.reactions.preview_publication(dossier.id, texts=False)
    if staff.field("count", limit=10) != str(len(preview.notices)):
        # Something changed since the preview: look again before sending.
        return redirect(request, back, fout="conflict.stale")
    try:
        result = p.reactions.publish_answers(dossier.id, actor=staff.actor, four_eyes=True)
    except ParticipatieError as exc:
        return redirect(request, back, fout=exc.code)
    return redirect(
        request, base(dossier) + "/uitvoer", gedaan="published", aantal=str(result.answers)
    )
