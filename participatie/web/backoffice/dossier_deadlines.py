"""The rappelsysteem in the back office: what is due and what is overdue (by escalation
level), for one dossier and for the whole municipality; extending the answer date with the
delay notice (first the notice and its count, then send); the stale-dossier reminders.
"""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from fastapi import Request
from starlette.responses import Response

from participatie.errors import InvalidInput, ParticipatieError
from participatie.reactions.schemas import Dossier, OverdueItem
from participatie.web.backoffice.dossiers import dossier_of, parse_day
from participatie.web.backoffice.forms import FormCheck
from participatie.web.backoffice.frame import (
    DOSSIER_ACTIONS,
    Pages,
    Staff,
    bo_state,
    redirect,
    refuse,
    render,
)
from participatie.web.common import translator

if TYPE_CHECKING:
    from participatie import Participatie

pages = Pages()

#: Days ahead the dashboard shows what falls due.
DUE_WINDOW = 14


def _levels(items: list[OverdueItem]) -> list[tuple[int, list[OverdueItem]]]:
    """Overdue items grouped by escalation level, the worst first."""

    return [(level, [i for i in items if i.level == level]) for level in (3, 2, 1)]


def _dashboard(
    request: Request, staff: Staff, dossier: Dossier | None, **extra: Any
) -> dict[str, Any]:
    p = bo_state(request).p
    dossier_id = dossier.id if dossier else None
    overdue = p.reactions.overdue(dossier_id)
    due = p.reactions.due(dossier_id, within_days=DUE_WINDOW)
    summaries = p.reactions.list_dossiers()
    if dossier is None:
        allowed = {
            str(d.id) for d in summaries if any(staff.may(a, str(d.id)) for a in DOSSIER_ACTIONS)
        }
        overdue = [i for i in overdue if str(i.dossier_id) in allowed]
        due = [i for i in due if str(i.dossier_id) in allowed]
    now = p.clock.now()
    stale_after = p.settings.reactions.stale_after
    stale = [
        d
        for d in summaries
        if d.status == "open"
        and d.updated_at <= now - stale_after
        and (dossier is None or d.id == dossier.id)
        and staff.may("dossiers.edit", str(d.id))
    ]
    kinds = Counter(i.kind for i in overdue)
    return {
        "dossier": dossier,
        "section": "dossiers",
        "overdue_levels": _levels(overdue),
        "overdue_total": len(overdue),
        "overdue_kinds": kinds,
        "due": due,
        "due_window": DUE_WINDOW,
        "stale": stale,
        "stale_weeks": int(stale_after / timedelta(weeks=1)),
        "escalation_days": p.settings.reactions.escalation_days,
        "today": p.reactions.today(),
        "min_date": (p.reactions.today() + timedelta(days=1)).isoformat(),
        **extra,
    }


@pages.route("/termijnen", action=DOSSIER_ACTIONS)
def deadlines_all(request: Request, staff: Staff) -> Response:
    """The whole municipality: every dossier this user may work on."""

    return render(request, staff, "dossier_deadlines.html", **_dashboard(request, staff, None))


@pages.route("/dossiers/{dossier}/termijnen", action=DOSSIER_ACTIONS, subject="dossier")
def deadlines_dossier(request: Request, staff: Staff) -> Response:
    dossier = dossier_of(request, staff)
    return render(request, staff, "dossier_deadlines.html", **_dashboard(request, staff, dossier))


@pages.route(
    "/dossiers/{dossier}/termijnen/verlengen",
    action="dossiers.edit",
    subject="dossier",
    methods=("POST",),
)
def deadlines_extend(request: Request, staff: Staff) -> Response:
    """First the delay notice as it goes out and how many get it; confirming sends the
    same date and reason (a changed count is shown again, not sent)."""

    p = bo_state(request).p
    dossier = dossier_of(request, staff)
    values = {
        "new_due": staff.field("new_due", limit=20),
        "reason": staff.field("reason", limit=2000),
        "numbers": staff.field("numbers", limit=2000),
    }
    try:
        check = FormCheck()
        if not values["new_due"]:
            check.add(InvalidInput("give the new answer date", field="new_due"))
        new_due = (
            check.value(parse_day, values["new_due"], field="new_due")
            if values["new_due"]
            else None
        )
        numbers = check.value(_numbers, values["numbers"])
        reaction_ids = check.value(_reaction_ids, p, dossier.id, numbers) if numbers else None
        if not values["reason"]:
            check.add(InvalidInput("an extension needs a reason", field="reason"))
        check.done(order=("new_due", "numbers", "reason"))
        assert new_due is not None
        preview = p.reactions.preview_extension(
            dossier.id, new_due=new_due, reason=values["reason"], reaction_ids=reaction_ids
        )
        if staff.field("step") == "confirm":
            expected = staff.field("expected", limit=12)
            if expected != str(preview.reactions):
                return render(
                    request,
                    staff,
                    "dossier_extend.html",
                    section="dossiers",
                    dossier=dossier,
                    preview=preview,
                    values=values,
                    problem=translator(request)("backoffice.dossier_extend_changed"),
                )
            result = p.reactions.extend_answer_deadline(
                dossier.id,
                new_due=new_due,
                reason=values["reason"],
                reaction_ids=reaction_ids,
                actor=staff.actor,
            )
            return redirect(
                request,
                f"/dossiers/{dossier.id}/termijnen",
                gedaan="dossier_extended",
                aantal=str(result.reactions),
            )
    except ParticipatieError as exc:
        return refuse(request, staff, exc, deadlines_dossier, form="verleng")
    return render(
        request,
        staff,
        "dossier_extend.html",
        section="dossiers",
        dossier=dossier,
        preview=preview,
        values=values,
    )


def _numbers(text: str) -> list[int] | None:
    """``"3, 7 12"``: these reactions only; empty: every unanswered one."""

    parts = text.replace(",", " ").split()
    if not parts:
        return None
    try:
        return [int(part) for part in parts]
    except ValueError:
        raise InvalidInput(f"{text!r} are not reaction numbers", field="numbers") from None


def _reaction_ids(p: Participatie, dossier_id: uuid.UUID, numbers: list[int]) -> list[uuid.UUID]:
    """The ids of the reactions staff typed by number; a number the dossier does not
    have is refused by name."""

    ids = {r.number: r.id for r in p.reactions.reactions(dossier_id)}
    unknown = [str(n) for n in numbers if n not in ids]
    if unknown:
        raise InvalidInput(f"this dossier has no reaction {', '.join(unknown)}", field="numbers")
    return [ids[n] for n in numbers]
