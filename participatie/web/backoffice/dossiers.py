"""The communicatiedossier in the back office, part one: the list, a new dossier, the
editor (the template's sections as one form), the preview as residents will see it,
publishing, rounds and the planning.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import Request
from pydantic import ValidationError
from starlette.responses import Response

from participatie.errors import InvalidInput, ParticipatieError
from participatie.reactions.schemas import (
    DAY_COUNTS,
    Dossier,
    DossierIn,
    DossierUpdate,
    PhaseIn,
)
from participatie.web.backoffice.frame import (
    DOSSIER_ACTIONS,
    Pages,
    Staff,
    bo_state,
    finish,
    redirect,
    render,
    subject_id,
)
from participatie.web.common import translator

pages = Pages()

PHASE_STATUSES = ("planned", "current", "done", "delayed")
#: The editor's fields in the order of the form (the first wrong one is named).
EDITOR_FIELDS = (
    "title",
    "summary",
    "procedure",
    "meeting_reports",
    "responsible_official",
    "responsible_email",
    "areas",
    "also_areas",
    "acknowledgement_days",
    "answer_days",
)


def dossier_of(request: Request, staff: Staff) -> Dossier:
    """The dossier the route is about (its id is the route's subject)."""

    return bo_state(request).p.reactions.get_dossier(subject_id(staff.subject))


def parse_day(value: str, *, field: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(f"{value!r} is not a date", field=field) from None


def parse_count(value: str, *, field: str) -> int:
    try:
        return int(value.strip())
    except ValueError:
        raise InvalidInput(f"{value!r} is not a whole number", field=field) from None


def field_of(exc: ValidationError) -> str:
    """The first field pydantic found wrong, as the form names it."""

    for err in exc.errors():
        for part in err.get("loc", ()):
            if isinstance(part, str) and part:
                return part
    return "form"


def problem_text(request: Request, code: str, field: str | None) -> str:
    """The message of an error code, naming the form's field (its label) when known."""

    t = translator(request)
    message = t.error(code)
    label_key = f"backoffice.dossier_field_{field}"
    if field and t.has(label_key):
        return t("backoffice.dossier_problem_field", field=t(label_key), message=message)
    return message


@pages.route("/dossiers", action=DOSSIER_ACTIONS)
def dossier_list(request: Request, staff: Staff) -> Response:
    p = bo_state(request).p
    mine = [
        d
        for d in p.reactions.list_dossiers()
        if any(staff.may(action, str(d.id)) for action in DOSSIER_ACTIONS)
    ]
    groups = [
        ("draft", [d for d in mine if d.status == "open" and not d.published]),
        ("open", [d for d in mine if d.status == "open" and d.published]),
        ("decided", [d for d in mine if d.status != "open"]),
    ]
    return render(request, staff, "dossiers.html", section="dossiers", groups=groups)


def _new_page(
    request: Request, staff: Staff, *, values: dict[str, str], problem: str | None, status: int
) -> Response:
    p = bo_state(request).p
    return render(
        request,
        staff,
        "dossier_new.html",
        status=status,
        section="dossiers",
        values=values,
        problem=problem,
        today=p.reactions.today().isoformat(),
    )


@pages.route("/dossiers/nieuw", action="dossiers.edit")
def dossier_new(request: Request, staff: Staff) -> Response:
    return _new_page(request, staff, values={}, problem=None, status=200)


@pages.route("/dossiers/nieuw", action="dossiers.edit", methods=("POST",))
def dossier_create(request: Request, staff: Staff) -> Response:
    """A new dossier starts as a draft: residents see it once it is published."""

    p = bo_state(request).p
    names = ("title", "summary", "responsible_official", "responsible_email")
    values = {name: staff.field(name, limit=20_000) for name in names}
    values["period_start"] = staff.field("period_start", limit=20)
    values["period_end"] = staff.field("period_end", limit=20)
    values["round_label"] = staff.field("round_label", limit=255)
    try:
        data = DossierIn(
            title=values["title"],
            summary=values["summary"],
            responsible_official=values["responsible_official"],
            responsible_email=values["responsible_email"],
            period_start=parse_day(values["period_start"], field="period_start"),
            period_end=parse_day(values["period_end"], field="period_end")
            if values["period_end"]
            else None,
            round_label=values["round_label"] or translator(request)("backoffice.dossier_round_1"),
            published=False,
        )
        dossier = p.reactions.create_dossier(data, actor=staff.actor)
    except ValidationError as exc:
        problem = problem_text(request, "input.invalid", field_of(exc))
        return _new_page(request, staff, values=values, problem=problem, status=422)
    except ParticipatieError as exc:
        problem = problem_text(request, exc.code, exc.field)
        return _new_page(request, staff, values=values, problem=problem, status=exc.status)
    return redirect(request, f"/dossiers/{dossier.id}", gedaan="dossier_created")


def editor_context(request: Request, staff: Staff, dossier: Dossier) -> dict[str, Any]:
    p = bo_state(request).p
    events = p.audit.events(subject_type="reactions_dossier", subject_id=dossier.id)
    current = next(r for r in dossier.rounds if r.number == dossier.round)
    return {
        "dossier": dossier,
        "section": "dossiers",
        "areas": [(a.code, a.name) for a in p.areas.list()],
        "day_counts": DAY_COUNTS,
        "phase_statuses": PHASE_STATUSES,
        "round_published": current.published_at is not None,
        "max_mb": p.settings.documents.max_bytes // (1024 * 1024),
        "today": p.reactions.today().isoformat(),
        "events": list(reversed(events))[:50],
        "phase_values": None,
    }


@pages.route("/dossiers/{dossier}", action=DOSSIER_ACTIONS, subject="dossier")
def dossier_page(request: Request, staff: Staff) -> Response:
    dossier = dossier_of(request, staff)
    return render(request, staff, "dossier_edit.html", **editor_context(request, staff, dossier))


@pages.route("/dossiers/{dossier}", action="dossiers.edit", subject="dossier", methods=("POST",))
def dossier_save(request: Request, staff: Staff) -> Response:
    """The editor's one form: every section at once; nothing is saved when one is wrong."""

    p = bo_state(request).p
    dossier = dossier_of(request, staff)
    counts = {
        name: staff.field(name, limit=10)
        for name in ("acknowledgement_day_count", "answer_day_count")
    }
    try:
        for name, value in counts.items():
            if value not in DAY_COUNTS:
                raise InvalidInput(f"unknown way of counting {value!r}", field=name)
        update = DossierUpdate(
            title=staff.field("title", limit=255),
            summary=staff.field("summary", limit=20_000),
            procedure=staff.field("procedure", limit=20_000),
            meeting_reports=staff.field("meeting_reports", limit=100_000),
            responsible_official=staff.field("responsible_official", limit=255),
            responsible_email=staff.field("responsible_email", limit=254),
            reaction_form=staff.field("reaction_form") == "1",
            areas=[a for a in staff.fields("areas") if a],
            also_areas=[a for a in staff.fields("also_areas") if a],
            acknowledgement_days=parse_count(
                staff.field("acknowledgement_days"), field="acknowledgement_days"
            ),
            answer_days=parse_count(staff.field("answer_days"), field="answer_days"),
            acknowledgement_day_count=counts["acknowledgement_day_count"],
            answer_day_count=counts["answer_day_count"],
        )
        p.reactions.update_dossier(dossier.id, update, actor=staff.actor)
    except ValidationError as exc:
        return _editor_problem(request, staff, dossier, "input.invalid", field_of(exc), 422)
    except ParticipatieError as exc:
        return _editor_problem(request, staff, dossier, exc.code, exc.field, exc.status)
    return redirect(request, f"/dossiers/{dossier.id}", gedaan="dossier_saved")


def _editor_problem(
    request: Request, staff: Staff, dossier: Dossier, code: str, field: str | None, status: int
) -> Response:
    """The editor again with what was typed and what is wrong with it."""

    typed = dossier.model_copy(
        update={
            name: staff.field(name, limit=100_000)
            for name in EDITOR_FIELDS
            if name not in ("areas", "also_areas", "acknowledgement_days", "answer_days")
        }
        | {
            "areas": staff.fields("areas"),
            "also_areas": staff.fields("also_areas"),
            "reaction_form": staff.field("reaction_form") == "1",
        }
    )
    context = editor_context(request, staff, dossier) | {"dossier": typed}
    return render(
        request,
        staff,
        "dossier_edit.html",
        status=status,
        problem=problem_text(request, code, field),
        **{k: v for k, v in context.items() if k != "problem"},
    )


@pages.route(
    "/dossiers/{dossier}/voorbeeld",
    action=("dossiers.edit", "dossiers.publish"),
    subject="dossier",
)
def dossier_preview(request: Request, staff: Staff) -> Response:
    """The resident's page of this dossier, rendered by the resident pages themselves."""

    from participatie.web.dossiers.pages import dossier_page_response

    response = dossier_page_response(request, dossier_of(request, staff), preview=True)
    finish(request, response)
    return response


@pages.route(
    "/dossiers/{dossier}/zichtbaar",
    action="dossiers.publish",
    subject="dossier",
    methods=("POST",),
)
def dossier_publish(request: Request, staff: Staff) -> Response:
    p = bo_state(request).p
    dossier = dossier_of(request, staff)
    shown = staff.field("published") == "1"
    p.reactions.set_published(dossier.id, shown, actor=staff.actor)
    return redirect(
        request,
        f"/dossiers/{dossier.id}",
        gedaan="dossier_published" if shown else "dossier_unpublished",
    )


@pages.route(
    "/dossiers/{dossier}/ronde", action="dossiers.edit", subject="dossier", methods=("POST",)
)
def dossier_round(request: Request, staff: Staff) -> Response:
    """A new round of reactions on the revised plan (after the answers are published)."""

    p = bo_state(request).p
    dossier = dossier_of(request, staff)
    back = f"/dossiers/{dossier.id}"
    try:
        end = staff.field("period_end", limit=20)
        p.reactions.start_round(
            dossier.id,
            label=staff.field("label", limit=255),
            period_start=parse_day(staff.field("period_start", limit=20), field="period_start"),
            period_end=parse_day(end, field="period_end") if end else None,
            actor=staff.actor,
        )
    except ParticipatieError as exc:
        return redirect(request, back, fout=exc.code)
    return redirect(request, back, gedaan="dossier_round")


@pages.route(
    "/dossiers/{dossier}/fasen", action="dossiers.edit", subject="dossier", methods=("POST",)
)
def dossier_phase(request: Request, staff: Staff) -> Response:
    """Add a phase, or change the one at ``position``; a delayed phase needs the reason
    and the expected new date (residents see both)."""

    p = bo_state(request).p
    dossier = dossier_of(request, staff)
    position_text = staff.field("position", limit=5)
    try:
        position = parse_count(position_text, field="position") if position_text else None
        status = staff.field("status", limit=10)
        expected = staff.field("expected_date", limit=20)
        reason = staff.field("delay_reason", limit=2000)
        if status == "delayed" and not reason:
            raise InvalidInput("a delayed phase needs its reason", field="delay_reason")
        if status == "delayed" and not expected:
            raise InvalidInput("a delayed phase needs the expected date", field="expected_date")
        phase = PhaseIn(
            name=staff.field("name", limit=255),
            planned_date=parse_day(staff.field("planned_date", limit=20), field="planned_date"),
            status=status,
            delay_reason=reason or None,
            expected_date=parse_day(expected, field="expected_date") if expected else None,
        )
        p.reactions.set_phase(dossier.id, phase, position=position, actor=staff.actor)
    except ValidationError as exc:
        return _phase_problem(request, staff, dossier, "input.invalid", field_of(exc))
    except ParticipatieError as exc:
        return _phase_problem(request, staff, dossier, exc.code, exc.field)
    return redirect(request, f"/dossiers/{dossier.id}", gedaan="dossier_phase")


def _phase_problem(
    request: Request, staff: Staff, dossier: Dossier, code: str, field: str | None
) -> Response:
    context = editor_context(request, staff, dossier)
    del context["phase_values"]
    return render(
        request,
        staff,
        "dossier_edit.html",
        status=422,
        problem=problem_text(request, code, field),
        phase_values={
            "position": staff.field("position", limit=5),
            "name": staff.field("name", limit=255),
            "planned_date": staff.field("planned_date", limit=20),
            "status": staff.field("status", limit=10),
            "delay_reason": staff.field("delay_reason", limit=2000),
            "expected_date": staff.field("expected_date", limit=20),
        },
        **context,
    )
