"""Polls in the back office, part one: the list, creating and editing (what is locked once
voting opened is shown as such), opening, closing and cancelling, and the letters' codes:
made and downloaded once, then revoke or reissue one letter.
"""

from __future__ import annotations

import io
from typing import Any

from fastapi import Request
from pydantic import ValidationError
from starlette.responses import Response

from participatie.engine import Participatie
from participatie.errors import InvalidInput, ParticipatieError
from participatie.polls.schemas import LetterAddress, OptionIn, Poll, PollIn, PollUpdate
from participatie.web.backoffice.frame import (
    POLL_ACTIONS,
    Pages,
    Staff,
    bo_state,
    download,
    redirect,
    refusal,
    refuse,
    render,
    subject_id,
)
from participatie.web.backoffice.petitions import parse_local
from participatie.worklist import last_event, paper_progress

pages = Pages()

RULES = ("plurality", "approval", "cumulative", "borda", "ranked")
ELIGIBILITY = ("codes", "email", "host", "open")
TIE_BREAKS = ("report", "lot")
#: Fields of a poll that may change while it is open.
OPEN_EDITABLE = ("explanation",)


def _poll(request: Request, staff: Staff) -> Poll:
    return bo_state(request).p.polls.get(subject_id(staff.subject))


def base_path(poll: Poll) -> str:
    return f"/stemmingen/{poll.id}"


@pages.route("/stemmingen", action=POLL_ACTIONS)
def poll_list(request: Request, staff: Staff) -> Response:
    p = bo_state(request).p
    polls = [
        poll
        for poll in p.polls.list()
        if any(staff.may(action, str(poll.id)) for action in POLL_ACTIONS)
    ]
    return render(
        request,
        staff,
        "polls.html",
        section="polls",
        polls=polls,
        may_create=staff.may("polls.manage", None),
    )


def _options(text: str) -> list[OptionIn]:
    """One option a line; ``name | description`` adds a description."""

    options = []
    for line in text.splitlines():
        name, _, description = line.partition("|")
        if name.strip():
            options.append(OptionIn(name=name.strip(), description=description.strip()))
    return options


def _int(value: str, field: str) -> int | None:
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise InvalidInput(f"{value!r} is not a whole number", field=field) from None


def _poll_values(p: Participatie, staff: Staff) -> dict[str, Any]:
    opens = staff.field("opens_at")
    closes = staff.field("closes_at")
    return {
        "title": staff.field("title", limit=200),
        "question": staff.field("question", limit=500),
        "explanation": staff.field("explanation", limit=100_000),
        "options": _options(staff.field("options", limit=100_000)),
        "seats": _int(staff.field("seats"), "seats") or 1,
        "max_choices": _int(staff.field("max_choices"), "max_choices"),
        "tie_break": staff.field("tie_break") or "report",
        "eligible_count": _int(staff.field("eligible_count"), "eligible_count"),
        "opens_at": parse_local(p, opens, field="opens_at") if opens else None,
        "closes_at": parse_local(p, closes, field="closes_at") if closes else None,
    }


def _form_page(
    request: Request,
    staff: Staff,
    poll: Poll | None,
    values: dict[str, Any],
    refused: ParticipatieError | ValidationError | None = None,
) -> Response:
    p = bo_state(request).p
    if refused is not None:
        request.state.refusal = refusal(request, staff, refused, form="poll")
    return render(
        request,
        staff,
        "poll_form.html",
        section="polls",
        poll=poll,
        values=values,
        rules=RULES,
        eligibility=ELIGIBILITY,
        tie_breaks=TIE_BREAKS,
        areas=p.areas.list(),
        locked=poll is not None and poll.state != "draft" and poll.state != "scheduled",
    )


def _values_of(poll: Poll) -> dict[str, Any]:
    values = poll.model_dump()
    values["options"] = "\n".join(
        o.name + (f" | {o.description}" if o.description else "") for o in poll.options
    )
    return values


@pages.route("/stemmingen/nieuw", action="polls.manage")
def new_poll(request: Request, staff: Staff) -> Response:
    return _form_page(
        request,
        staff,
        None,
        {"rule": "approval", "eligibility": "codes", "tie_break": "report", "seats": 1},
    )


@pages.route("/stemmingen/nieuw", action="polls.manage", methods=("POST",))
def create_poll(request: Request, staff: Staff) -> Response:
    p = bo_state(request).p
    raw: dict[str, Any] = {k: staff.field(k, limit=100_000) for k in staff.form or {}}
    raw["area_codes"] = staff.fields("area_codes")
    try:
        values = _poll_values(p, staff)
        data = PollIn(
            **values,
            rule=staff.field("rule") or "approval",
            eligibility=staff.field("eligibility") or "codes",
            area_codes=staff.fields("area_codes"),
        )
        poll = p.polls.create(data, actor=staff.actor)
    except (ValidationError, ParticipatieError) as exc:
        return _form_page(request, staff, None, raw, exc)
    return redirect(request, base_path(poll), gedaan="poll_created")


@pages.route("/stemmingen/{poll}/bewerken", action="polls.manage", subject="poll")
def edit_poll(request: Request, staff: Staff) -> Response:
    poll = _poll(request, staff)
    return _form_page(request, staff, poll, _values_of(poll))


@pages.route(
    "/stemmingen/{poll}/bewerken", action="polls.manage", subject="poll", methods=("POST",)
)
def update_poll(request: Request, staff: Staff) -> Response:
    p = bo_state(request).p
    poll = _poll(request, staff)
    raw = {**_values_of(poll), **{k: staff.field(k, limit=100_000) for k in staff.form or {}}}
    raw["area_codes"] = staff.fields("area_codes")
    try:
        if poll.state == "open":
            data = PollUpdate(explanation=staff.field("explanation", limit=100_000))
        else:
            data = PollUpdate(**_poll_values(p, staff))
        p.polls.update(poll.id, data, actor=staff.actor)
    except (ValidationError, ParticipatieError) as exc:
        return _form_page(request, staff, poll, raw, exc)
    return redirect(request, base_path(poll), gedaan="poll_updated")


@pages.route("/stemmingen/{poll}", action=POLL_ACTIONS, subject="poll")
def poll_page(request: Request, staff: Staff) -> Response:
    p = bo_state(request).p
    poll = _poll(request, staff)
    issued = last_event(p, "poll", poll.id, "poll.codes_issued")
    progress = paper_progress(p, poll.id) if poll.state in ("open", "closed") else None
    events = p.audit.events(subject_type="poll", subject_id=poll.id)
    return render(
        request,
        staff,
        "poll.html",
        section="polls",
        poll=poll,
        issued=issued,
        progress=progress,
        events=list(reversed(events))[:50],
    )


@pages.route("/stemmingen/{poll}/status", action="polls.manage", subject="poll", methods=("POST",))
def change_state(request: Request, staff: Staff) -> Response:
    """Schedule, open, close or cancel (with a reason)."""

    p = bo_state(request).p
    poll = _poll(request, staff)
    step = staff.field("step")
    try:
        if step == "schedule":
            p.polls.schedule(poll.id, actor=staff.actor)
        elif step == "open":
            p.polls.open(poll.id, actor=staff.actor)
        elif step == "close":
            p.polls.close(poll.id, actor=staff.actor)
        elif step == "cancel":
            p.polls.cancel(poll.id, actor=staff.actor, reason=staff.field("reason", limit=1000))
        else:
            raise InvalidInput(f"unknown step {step!r}", field="step")
    except ParticipatieError as exc:
        return refuse(request, staff, exc, poll_page, form="annuleer")
    return redirect(request, base_path(poll), gedaan=f"poll_{step}")


# -- the letters' codes ------------------------------------------------------------------


def _addresses(text: str) -> list[LetterAddress]:
    """``adres;postcode`` a line (as in the CSV the CLI reads)."""

    out = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        address, sep, postcode = line.rpartition(";")
        if not sep:
            raise InvalidInput(f"line {number}: use 'address;postcode'", field="addresses")
        try:
            out.append(LetterAddress(line=address.strip(), postcode=postcode.strip()))
        except ValidationError:
            raise InvalidInput(f"line {number} is not an address", field="addresses") from None
    return out


@pages.route("/stemmingen/{poll}/codes", action="polls.codes", subject="poll", methods=("POST",))
def issue_codes(request: Request, staff: Staff) -> Response:
    """The answer is the letters' CSV itself: the only copy of the codes."""

    p = bo_state(request).p
    poll = _poll(request, staff)
    try:
        text = staff.field("addresses", limit=2 * 1024 * 1024)
        addresses = _addresses(text) if text else None
        count = None if addresses else _int(staff.field("count"), "count")
        letters = io.BytesIO()
        result = p.polls.issue_codes(
            poll.id, letters, count=count, addresses=addresses, actor=staff.actor
        )
    except ParticipatieError as exc:
        return refuse(request, staff, exc, poll_page, form="codes")
    response = download(
        request, letters.getvalue(), "text/csv; charset=utf-8", f"stemcodes-{poll.id}.csv"
    )
    response.headers["x-participatie-sha256"] = result.sha256
    return response


@pages.route("/stemmingen/{poll}/brief", action="polls.codes", subject="poll", methods=("POST",))
def letter(request: Request, staff: Staff) -> Response:
    """Revoke one letter's code, or reissue it: the new code is shown on this page once."""

    p = bo_state(request).p
    poll = _poll(request, staff)
    reason = staff.field("reason", limit=500)
    try:
        serial = _int(staff.field("serial"), "serial")
        if serial is None or serial < 1:
            raise InvalidInput("give the letter's number", field="serial")
        step = staff.field("step")
        if step not in ("reissue", "revoke"):
            # A letter's code is revoked only by the button that says so.
            raise InvalidInput(f"unknown step {step!r}", field="step")
        if step == "reissue":
            issued = p.polls.reissue_code(
                poll.id, serial, actor=staff.actor, reason=reason or "lost letter"
            )
            return render(
                request, staff, "poll_reissued.html", section="polls", poll=poll, issued=issued
            )
        p.polls.revoke_code(poll.id, serial, actor=staff.actor, reason=reason)
    except ParticipatieError as exc:
        return refuse(request, staff, exc, poll_page, form="brief")
    return redirect(request, base_path(poll), gedaan="code_revoked")
