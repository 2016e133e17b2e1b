"""The petition desk, part one: the list with the moderation queue, a petition's page with
its live counts and trend alerts, moderation (with the creator's mail), hiding,
extension, paper batches and bulk invalidation (preview, then confirm that count).
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from fastapi import Request
from pydantic import ValidationError
from starlette.responses import Response

from participatie.engine import Participatie
from participatie.errors import InvalidInput, ParticipatieError
from participatie.petitions.schemas import InvalidationCriteria, PaperBatchIn, Petition
from participatie.web.backoffice.forms import whole_number, whole_numbers
from participatie.web.backoffice.frame import (
    PETITION_ACTIONS,
    Pages,
    Staff,
    bo_state,
    redirect,
    refuse,
    render,
    subject_id,
)
from participatie.web.common import translator

pages = Pages()

#: Order of the list's groups: what waits for the desk first.
GROUPS = (
    ("submitted",),
    ("open",),
    ("closed", "handed_over"),
    ("answered", "rejected", "withdrawn", "draft", "coinitiators"),
)


def parse_local(p: Participatie, value: str, *, field: str, end_of_day: bool = False) -> datetime:
    """A date or date and time typed in the back office, in the municipality's zone."""

    text = value.strip().replace(" ", "T")
    try:
        if "T" in text:
            moment = datetime.fromisoformat(text)
        else:
            day = datetime.fromisoformat(text).date()
            moment = datetime.combine(day, time(23, 59) if end_of_day else time(0, 0))
    except ValueError:
        raise InvalidInput(f"{value!r} is not a date", field=field) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=p.settings.zone)
    return moment


def _petition(request: Request, staff: Staff) -> Petition:
    return bo_state(request).p.petitions.get(subject_id(staff.subject))


@pages.route("/petities", action=PETITION_ACTIONS)
def petition_list(request: Request, staff: Staff) -> Response:
    p = bo_state(request).p
    groups: list[tuple[str, list[Petition]]] = []
    mine = [
        petition
        for petition in p.petitions.list(include_hidden=True)
        if any(staff.may(action, str(petition.id)) for action in PETITION_ACTIONS)
    ]
    for statuses in GROUPS:
        found = [petition for petition in mine if petition.status in statuses]
        groups.append((statuses[0], found))
    return render(request, staff, "petitions.html", section="petitions", groups=groups)


def petition_context(request: Request, staff: Staff, petition: Petition) -> dict[str, Any]:
    """What the petition's page shows; only the parts the user may act on get forms."""

    p = bo_state(request).p
    stats = None
    trends: list[Any] = []
    if petition.status not in ("draft", "coinitiators", "submitted", "rejected"):
        stats = p.petitions.stats(petition.id)
        trends = p.petitions.trends(petition.id)
    reasons = p.settings.petitions.reject_reasons
    lang = translator(request).lang
    events = p.audit.events(subject_type="petition", subject_id=petition.id)
    approve_mail = None
    if petition.status == "submitted":
        approve_mail = p.render_mail(
            "petitions_approved",
            petition.locale,
            {
                **p.template_globals(),
                "title": petition.title,
                "name": petition.creator_name,
                "url": petition.url,
            },
        )[:2]
    return {
        "approve_mail": approve_mail,
        "paper_batches": [e for e in events if e.action == "petition.paper_batch_added"],
        "petition": petition,
        "stats": stats,
        "trends": trends,
        "reasons": [
            (code, labels[0] if lang == "nl" else labels[1]) for code, labels in reasons.items()
        ],
        "area_options": [(a.code, a.name) for a in p.areas.list()],
        "events": list(reversed(events))[:50],
        "section": "petitions",
    }


@pages.route("/petities/{petition}", action=PETITION_ACTIONS, subject="petition")
def petition_page(request: Request, staff: Staff) -> Response:
    petition = _petition(request, staff)
    return render(request, staff, "petition.html", **petition_context(request, staff, petition))


def _back(petition: Petition) -> str:
    return f"/petities/{petition.id}"


@pages.route(
    "/petities/{petition}/goedkeuren",
    action="petitions.moderate",
    subject="petition",
    methods=("POST",),
)
def approve(request: Request, staff: Staff) -> Response:
    p = bo_state(request).p
    petition = _petition(request, staff)
    try:
        closes = staff.field("closes_at")
        thresholds = whole_numbers(staff.field("thresholds"), field="thresholds")
        p.petitions.approve(
            petition.id,
            actor=staff.actor,
            closes_at=parse_local(p, closes, field="closes_at", end_of_day=True)
            if closes
            else None,
            thresholds=thresholds or None,
        )
    except ParticipatieError as exc:
        return refuse(request, staff, exc, petition_page, form="goed")
    return redirect(request, _back(petition), gedaan="approved")


@pages.route(
    "/petities/{petition}/afwijzen",
    action="petitions.moderate",
    subject="petition",
    methods=("POST",),
)
def reject(request: Request, staff: Staff) -> Response:
    """First the creator's mail as it will go out, then (with the same reason) refuse."""

    p = bo_state(request).p
    petition = _petition(request, staff)
    reason = staff.field("reason", limit=100)
    note = staff.field("note", limit=2000)
    reasons = p.settings.petitions.reject_reasons
    if reason not in reasons:
        from participatie.petitions.errors import UnknownReason

        unknown = UnknownReason(f"no such reason {reason!r}", field="reason")
        return refuse(request, staff, unknown, petition_page, form="af")
    if staff.field("step") != "confirm":
        labels = reasons[reason]
        subject, body, _ = p.render_mail(
            "petitions_rejected",
            petition.locale,
            {
                **p.template_globals(),
                "title": petition.title,
                "name": petition.creator_name,
                "url": petition.url,
                "reason": labels[0] if petition.locale == "nl" else labels[1],
                "note": note,
            },
        )
        return render(
            request,
            staff,
            "petition_reject.html",
            section="petitions",
            petition=petition,
            reason=reason,
            note=note,
            mail_subject=subject,
            mail_body=body,
        )
    try:
        p.petitions.reject(petition.id, actor=staff.actor, reason=reason, note=note or None)
    except ParticipatieError as exc:
        return refuse(request, staff, exc, petition_page, form="af")
    return redirect(request, _back(petition), gedaan="rejected")


@pages.route(
    "/petities/{petition}/verbergen",
    action="petitions.moderate",
    subject="petition",
    methods=("POST",),
)
def hide(request: Request, staff: Staff) -> Response:
    p = bo_state(request).p
    petition = _petition(request, staff)
    hidden = staff.field("hidden") == "1"
    try:
        p.petitions.hide(
            petition.id, actor=staff.actor, reason=staff.field("reason", limit=500), hidden=hidden
        )
    except ParticipatieError as exc:
        return refuse(request, staff, exc, petition_page, form="verberg")
    return redirect(request, _back(petition), gedaan="hidden" if hidden else "unhidden")


@pages.route(
    "/petities/{petition}/verlengen",
    action="petitions.desk",
    subject="petition",
    methods=("POST",),
)
def extend(request: Request, staff: Staff) -> Response:
    p = bo_state(request).p
    petition = _petition(request, staff)
    try:
        closes = parse_local(p, staff.field("closes_at"), field="closes_at", end_of_day=True)
        p.petitions.extend(
            petition.id,
            actor=staff.actor,
            closes_at=closes,
            reason=staff.field("reason", limit=500),
        )
    except ParticipatieError as exc:
        return refuse(request, staff, exc, petition_page, form="verleng")
    return redirect(request, _back(petition), gedaan="extended")


@pages.route(
    "/petities/{petition}/papier",
    action="petitions.desk",
    subject="petition",
    methods=("POST",),
)
def paper_batch(request: Request, staff: Staff) -> Response:
    p = bo_state(request).p
    petition = _petition(request, staff)
    try:
        data = PaperBatchIn(
            area=staff.field("area", limit=100) or None,
            count=whole_number(staff.field("count"), field="count"),
            note=staff.field("note") or None,
        )
        p.petitions.add_paper_batch(petition.id, data, actor=staff.actor)
    except (ValidationError, ParticipatieError) as exc:
        return refuse(request, staff, exc, petition_page, form="papier")
    return redirect(request, _back(petition), gedaan="paper_batch")


def _criteria(p: Participatie, staff: Staff) -> InvalidationCriteria:
    since = staff.field("since")
    until = staff.field("until")
    statuses = [s for s in staff.fields("statuses") if s in ("pending", "verified", "fraudulent")]
    try:
        return InvalidationCriteria(
            ip=staff.field("ip", limit=100) or None,
            subnet=staff.field("subnet", limit=100) or None,
            domain=staff.field("domain", limit=255) or None,
            area=staff.field("area", limit=100) or None,
            since=parse_local(p, since, field="since") if since else None,
            until=parse_local(p, until, field="until", end_of_day=True) if until else None,
            statuses=statuses or ["pending", "verified"],
            everything=staff.field("everything") == "1",
        )
    except ValidationError as exc:
        errors = exc.errors()
        name = str(errors[0]["loc"][0]) if errors and errors[0]["loc"] else "criteria"
        raise InvalidInput("the criteria are not valid", field=name) from None


@pages.route(
    "/petities/{petition}/ongeldig",
    action="petitions.desk",
    subject="petition",
    methods=("POST",),
)
def invalidate(request: Request, staff: Staff) -> Response:
    """Preview shows the count; confirming sends that count back, and a changed count is
    refused by the service (the page then shows the new preview)."""

    from participatie.petitions.errors import PreviewMismatch

    p = bo_state(request).p
    petition = _petition(request, staff)
    t = translator(request)
    try:
        criteria = _criteria(p, staff)
        if staff.field("step") == "confirm":
            result = p.petitions.invalidate(
                petition.id,
                criteria,
                actor=staff.actor,
                expected_total=whole_number(
                    staff.field("expected_total") or "-1", field="criteria"
                ),
                reason=staff.field("reason", limit=255),
            )
            return redirect(
                request, _back(petition), gedaan="invalidated", aantal=str(result.invalidated)
            )
        preview = p.petitions.preview_invalidation(petition.id, criteria)
        problem = None
    except PreviewMismatch as exc:
        preview = p.petitions.preview_invalidation(petition.id, criteria)
        problem = t.error(exc)
    except ParticipatieError as exc:
        return refuse(request, staff, exc, petition_page, form="crit")
    return render(
        request,
        staff,
        "petition_invalidate.html",
        section="petitions",
        petition=petition,
        preview=preview,
        form=staff.form,
        reason=staff.field("reason", limit=255),
        problem=problem,
    )
