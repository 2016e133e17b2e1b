"""Polls in the back office, part two: ballots at the desk, paper ballots typed twice
(four eyes; the second typist sees nothing of the first), differences settled by a third
person, envelopes, the tally with its reconciliation, publication and every download.
"""

from __future__ import annotations

import io
import re
import tempfile

from fastapi import Request
from starlette.responses import Response

from participatie.errors import InvalidInput, NotFound, ParticipatieError
from participatie.polls.schemas import BallotIn, PaperEntry, Poll
from participatie.web.backoffice.forms import whole_number
from participatie.web.backoffice.frame import (
    Pages,
    Staff,
    bo_state,
    download,
    redirect,
    refuse,
    render,
    subject_id,
)
from participatie.web.backoffice.polls import base_path, poll_page
from participatie.web.common import translator
from participatie.worklist import codes_differ, paper_progress

pages = Pages()

#: The marks typed on one line: option numbers (or names) split by spaces or commas;
#: ``2:3`` gives option 2 three points (cumulative).
SPLIT = re.compile(r"[\s,;]+")
REPORT_TYPES = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}


def _poll(request: Request, staff: Staff) -> Poll:
    return bo_state(request).p.polls.get(subject_id(staff.subject))


def parse_marks(poll: Poll, text: str) -> tuple[list[str], dict[str, int]]:
    marks: list[str] = []
    points: dict[str, int] = {}
    for token in SPLIT.split(text.strip()):
        if not token:
            continue
        option, sep, amount = token.partition(":")
        if sep:
            try:
                points[option] = int(amount)
            except ValueError:
                raise InvalidInput(f"{token!r}: points are a whole number", field="marks") from None
        else:
            marks.append(option)
    if poll.rule != "cumulative" and points:
        raise InvalidInput("points are only for cumulative polls", field="marks")
    return marks, points


def _entry(poll: Poll, staff: Staff) -> PaperEntry:
    sheet = staff.field("sheet", limit=50)
    if not sheet:
        raise InvalidInput("type the sheet number", field="sheet")
    marks, points = parse_marks(poll, staff.field("marks", limit=2000))
    return PaperEntry(
        sheet=sheet,
        code=staff.field("code", limit=40) or None,
        marks=marks,
        points=points,
        unreadable=staff.field("unreadable") == "1",
    )


# -- desk ballots ------------------------------------------------------------------------


@pages.route("/stemmingen/{poll}/balie", action="polls.desk", subject="poll")
def desk(request: Request, staff: Staff) -> Response:
    return render(request, staff, "poll_desk.html", section="polls", poll=_poll(request, staff))


@pages.route("/stemmingen/{poll}/balie", action="polls.desk", subject="poll", methods=("POST",))
def desk_ballot(request: Request, staff: Staff) -> Response:
    p = bo_state(request).p
    poll = _poll(request, staff)
    try:
        marks, points = parse_marks(poll, staff.field("marks", limit=2000))
        choices = staff.fields("choices") + marks
        receipt = p.polls.cast(
            poll.id,
            BallotIn(choices=choices, points=points),
            code=staff.field("code", limit=40) or None,
            channel="desk",
            staff=staff.actor,
        )
    except ParticipatieError as exc:
        return render(
            request,
            staff,
            "poll_desk.html",
            section="polls",
            poll=poll,
            problem=translator(request).error(exc),
        )
    return render(request, staff, "poll_desk.html", section="polls", poll=poll, receipt=receipt)


# -- paper ballots -----------------------------------------------------------------------


@pages.route("/stemmingen/{poll}/papier", action="polls.paper", subject="poll")
def paper(request: Request, staff: Staff) -> Response:
    p = bo_state(request).p
    poll = _poll(request, staff)
    return render(
        request,
        staff,
        "poll_paper.html",
        section="polls",
        poll=poll,
        last_sheet=request.query_params.get("blad", "")[:50],
        last_status=request.query_params.get("uitkomst", "")[:20],
        progress=paper_progress(p, poll.id),
    )


@pages.route("/stemmingen/{poll}/papier", action="polls.paper", subject="poll", methods=("POST",))
def paper_entry(request: Request, staff: Staff) -> Response:
    """Saves and answers with an empty form for the next sheet (Enter, type, Enter...)."""

    p = bo_state(request).p
    poll = _poll(request, staff)
    try:
        outcome = p.polls.enter_paper(poll.id, _entry(poll, staff), staff=staff.actor)
    except ParticipatieError as exc:
        return render(
            request,
            staff,
            "poll_paper.html",
            section="polls",
            poll=poll,
            status=422 if exc.status < 500 else exc.status,
            problem=translator(request).error(exc),
            values={k: staff.field(k) for k in ("sheet", "code", "marks", "unreadable")},
            last_sheet="",
            last_status="",
            progress=paper_progress(p, poll.id),
        )
    # Only whether this sheet is now waiting, recorded, or differs: never the other typing.
    return redirect(
        request, base_path(poll) + "/papier", blad=outcome.sheet, uitkomst=outcome.status
    )


@pages.route(
    "/stemmingen/{poll}/enveloppen", action="polls.paper", subject="poll", methods=("POST",)
)
def envelopes(request: Request, staff: Staff) -> Response:
    p = bo_state(request).p
    poll = _poll(request, staff)
    try:
        count = whole_number(staff.field("count"), field="count")
        p.polls.set_paper_envelopes(poll.id, count, staff=staff.actor)
    except ParticipatieError as exc:
        return refuse(request, staff, exc, poll_page, form="enveloppen")
    return redirect(request, base_path(poll), gedaan="envelopes")


@pages.route("/stemmingen/{poll}/verschillen", action="polls.resolve", subject="poll")
def differences(request: Request, staff: Staff) -> Response:
    p = bo_state(request).p
    poll = _poll(request, staff)
    mismatches = p.polls.paper_mismatches(poll.id)
    return render(
        request,
        staff,
        "poll_differences.html",
        section="polls",
        poll=poll,
        open=[m for m in mismatches if m.resolved_by is None],
        resolved=[m for m in mismatches if m.resolved_by is not None],
        names={str(o.position): o.name for o in poll.options},
        code_differs=codes_differ(p, poll.id),
    )


@pages.route(
    "/stemmingen/{poll}/verschillen", action="polls.resolve", subject="poll", methods=("POST",)
)
def resolve(request: Request, staff: Staff) -> Response:
    p = bo_state(request).p
    poll = _poll(request, staff)
    back = base_path(poll) + "/verschillen"
    try:
        outcome = p.polls.resolve_paper(poll.id, _entry(poll, staff), staff=staff.actor)
    except ParticipatieError as exc:
        # Each sheet has its own form on the page; the refused one is marked again.
        form = staff.field("formulier", limit=20)
        form = form if re.fullmatch(r"los-\d{1,5}", form) else "los"
        return refuse(request, staff, exc, differences, form=form)
    return redirect(request, back, gedaan="resolved", aantal=outcome.sheet)


# -- tally, publication, downloads -------------------------------------------------------


@pages.route("/stemmingen/{poll}/uitslag", action="polls.publish", subject="poll")
def tally(request: Request, staff: Staff) -> Response:
    from participatie.polls.report import reconciliation_rows

    p = bo_state(request).p
    poll = _poll(request, staff)
    result = p.polls.tally(poll.id)
    return render(
        request,
        staff,
        "poll_tally.html",
        section="polls",
        poll=poll,
        tally=result,
        reconciliation=reconciliation_rows(result),
        progress=paper_progress(p, poll.id),
        formats=list(REPORT_TYPES),
    )


@pages.route(
    "/stemmingen/{poll}/publiceren", action="polls.publish", subject="poll", methods=("POST",)
)
def publish(request: Request, staff: Staff) -> Response:
    p = bo_state(request).p
    poll = _poll(request, staff)
    try:
        p.polls.publish(
            poll.id, actor=staff.actor, witness=staff.field("witness", limit=200) or None
        )
    except ParticipatieError as exc:
        return refuse(request, staff, exc, tally, form="publiceer")
    return redirect(request, base_path(poll) + "/uitslag", gedaan="published")


@pages.route("/stemmingen/{poll}/uitslag.{fmt}", action="polls.publish", subject="poll")
def report(request: Request, staff: Staff) -> Response:
    p = bo_state(request).p
    poll = _poll(request, staff)
    fmt = request.path_params["fmt"]
    if fmt not in REPORT_TYPES:
        raise NotFound(f"no report format {fmt!r}", field="format")
    result = p.polls.tally(poll.id)
    buffer = io.BytesIO()
    p.polls.write_tally(result, buffer, fmt=fmt)
    return download(request, buffer.getvalue(), REPORT_TYPES[fmt], f"uitslag-{poll.id}.{fmt}")


@pages.route("/stemmingen/{poll}/stembiljetten.json", action="polls.publish", subject="poll")
def ballots_file(request: Request, staff: Staff) -> Response:
    p = bo_state(request).p
    poll = _poll(request, staff)
    with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as spool:
        digest = p.polls.write_ballots(poll.id, spool)
        spool.seek(0)
        body = spool.read()
    response = download(request, body, "application/json", f"stembiljetten-{poll.id}.json")
    response.headers["x-participatie-sha256"] = digest
    return response
