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
from participatie.identity import normalize_email
from participatie.reactions.schemas import (
    DAY_COUNTS,
    Dossier,
    DossierIn,
    DossierUpdate,
    PhaseIn,
)
from participatie.web.backoffice.forms import FormCheck, whole_number
from participatie.web.backoffice.frame import (
    DOSSIER_ACTIONS,
    Pages,
    Staff,
    bo_state,
    finish,
    redirect,
    refuse,
    render,
    subject_id,
)
from participatie.web.common import translator

pages = Pages()

PHASE_STATUSES = ("planned", "current", "done", "delayed")
#: The fields of the form for a new dossier, in the order of the page.
NEW_FIELDS = (
    "title",
    "summary",
    "responsible_official",
    "responsible_email",
    "period_start",
    "period_end",
    "round_label",
)
#: The fields of a phase's form, in the order of the page.
PHASE_FIELDS = ("name", "planned_date", "status", "delay_reason", "expected_date")
#: The editor's fields in the order of the form (the first wrong one gets the focus).
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
    "acknowledgement_day_count",
    "answer_days",
    "answer_day_count",
)


def dossier_of(request: Request, staff: Staff) -> Dossier:
    """The dossier the route is about (its id is the route's subject)."""

    return bo_state(request).p.reactions.get_dossier(subject_id(staff.subject))


def parse_day(value: str, *, field: str) -> date:
    """A date as the browser's date field sends it (``2026-03-31``); anything else is
    ``input.invalid`` on ``field``."""

    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(f"{value!r} is not a date", field=field) from None


def _check_email(check: FormCheck, email: str) -> None:
    """The address for reactions as the library will check it (named with the rest)."""

    if email:
        check.value(normalize_email, email, field="responsible_email")


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


@pages.route("/dossiers/nieuw", action="dossiers.edit")
def dossier_new(request: Request, staff: Staff) -> Response:
    p = bo_state(request).p
    return render(
        request,
        staff,
        "dossier_new.html",
        section="dossiers",
        values={},
        today=p.reactions.today().isoformat(),
    )


@pages.route("/dossiers/nieuw", action="dossiers.edit", methods=("POST",))
def dossier_create(request: Request, staff: Staff) -> Response:
    """A new dossier starts as a draft: residents see it once it is published. Every
    wrong field is named at once."""

    p = bo_state(request).p
    try:
        check = FormCheck()
        start = check.value(parse_day, staff.field("period_start", limit=20), field="period_start")
        end_text = staff.field("period_end", limit=20)
        end = check.value(parse_day, end_text, field="period_end") if end_text else None
        data = check.model(
            DossierIn,
            title=staff.field("title", limit=20_000),
            summary=staff.field("summary", limit=20_000),
            responsible_official=staff.field("responsible_official", limit=20_000),
            responsible_email=staff.field("responsible_email", limit=20_000),
            period_start=start or p.reactions.today(),
            period_end=end,
            round_label=staff.field("round_label", limit=255)
            or translator(request)("backoffice.dossier_round_1"),
            published=False,
        )
        _check_email(check, staff.field("responsible_email", limit=254))
        check.done(order=NEW_FIELDS)
        assert data is not None
        dossier = p.reactions.create_dossier(data, actor=staff.actor)
    except ParticipatieError as exc:
        return refuse(request, staff, exc, dossier_new, form="nieuw")
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
    }


@pages.route("/dossiers/{dossier}", action=DOSSIER_ACTIONS, subject="dossier")
def dossier_page(request: Request, staff: Staff) -> Response:
    dossier = dossier_of(request, staff)
    return render(request, staff, "dossier_edit.html", **editor_context(request, staff, dossier))


@pages.route("/dossiers/{dossier}", action="dossiers.edit", subject="dossier", methods=("POST",))
def dossier_save(request: Request, staff: Staff) -> Response:
    """The editor's one form: every section at once; nothing is saved when one is wrong,
    and every wrong field is named."""

    p = bo_state(request).p
    dossier = dossier_of(request, staff)
    try:
        check = FormCheck()
        counts = {}
        for name in ("acknowledgement_day_count", "answer_day_count"):
            counts[name] = staff.field(name, limit=10)
            if counts[name] not in DAY_COUNTS:
                check.add(InvalidInput(f"unknown way of counting {counts[name]!r}", field=name))
        days = {
            name: check.value(whole_number, staff.field(name, limit=20), field=name)
            for name in ("acknowledgement_days", "answer_days")
        }
        update = check.model(
            DossierUpdate,
            title=staff.field("title", limit=255),
            summary=staff.field("summary", limit=20_000),
            procedure=staff.field("procedure", limit=20_000),
            meeting_reports=staff.field("meeting_reports", limit=100_000),
            responsible_official=staff.field("responsible_official", limit=255),
            responsible_email=staff.field("responsible_email", limit=254),
            reaction_form=staff.field("reaction_form") == "1",
            areas=[a for a in staff.fields("areas") if a],
            also_areas=[a for a in staff.fields("also_areas") if a],
            **{
                name: dossier.model_dump()[name] if value is None else value
                for name, value in days.items()
            },
            acknowledgement_day_count=counts["acknowledgement_day_count"]
            if counts["acknowledgement_day_count"] in DAY_COUNTS
            else dossier.acknowledgement_day_count,
            answer_day_count=counts["answer_day_count"]
            if counts["answer_day_count"] in DAY_COUNTS
            else dossier.answer_day_count,
        )
        _check_email(check, staff.field("responsible_email", limit=254))
        check.done(order=EDITOR_FIELDS)
        assert update is not None
        p.reactions.update_dossier(dossier.id, update, actor=staff.actor)
    except ParticipatieError as exc:
        return refuse(request, staff, exc, dossier_page, form="dossier")
    return redirect(request, f"/dossiers/{dossier.id}", gedaan="dossier_saved")


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
    try:
        check = FormCheck()
        label = staff.field("label", limit=255)
        if not label:
            check.add(InvalidInput("a round needs a name", field="label"))
        start = check.value(parse_day, staff.field("period_start", limit=20), field="period_start")
        end_text = staff.field("period_end", limit=20)
        end = check.value(parse_day, end_text, field="period_end") if end_text else None
        check.done(order=("label", "period_start", "period_end"))
        assert start is not None
        p.reactions.start_round(
            dossier.id, label=label, period_start=start, period_end=end, actor=staff.actor
        )
    except ParticipatieError as exc:
        return refuse(request, staff, exc, dossier_page, form="ronde")
    return redirect(request, f"/dossiers/{dossier.id}", gedaan="dossier_round")


@pages.route(
    "/dossiers/{dossier}/fasen", action="dossiers.edit", subject="dossier", methods=("POST",)
)
def dossier_phase(request: Request, staff: Staff) -> Response:
    """Add a phase, or change the one at ``position``; a delayed phase needs the reason
    and the expected new date (residents see both)."""

    p = bo_state(request).p
    dossier = dossier_of(request, staff)
    position_text = staff.field("position", limit=5)
    form = f"fase-{position_text}" if position_text.isdigit() else "fase-nieuw"
    try:
        position = whole_number(position_text, field="position") if position_text else None
        check = FormCheck()
        name = staff.field("name", limit=255)
        if not name:
            check.add(InvalidInput("a phase needs a name", field="name"))
        planned = check.value(
            parse_day, staff.field("planned_date", limit=20), field="planned_date"
        )
        status = staff.field("status", limit=10)
        if status not in PHASE_STATUSES:
            check.add(InvalidInput(f"unknown status {status!r}", field="status"))
        expected_text = staff.field("expected_date", limit=20)
        expected = (
            check.value(parse_day, expected_text, field="expected_date") if expected_text else None
        )
        reason = staff.field("delay_reason", limit=2000)
        if status == "delayed" and not reason:
            check.add(InvalidInput("a delayed phase needs its reason", field="delay_reason"))
        if status == "delayed" and not expected_text:
            check.add(
                InvalidInput("a delayed phase needs the expected date", field="expected_date")
            )
        check.done(order=PHASE_FIELDS)
        assert planned is not None
        phase = PhaseIn(
            name=name,
            planned_date=planned,
            status=status,
            delay_reason=reason or None,
            expected_date=expected,
        )
        p.reactions.set_phase(dossier.id, phase, position=position, actor=staff.actor)
    except (ValidationError, ParticipatieError) as exc:
        return refuse(request, staff, exc, dossier_page, form=form)
    return redirect(request, f"/dossiers/{dossier.id}", gedaan="dossier_phase")
