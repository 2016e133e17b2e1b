"""Poll pages (code entry with the check character, e-mail link, ballot, receipt, tracker
look-up, result with a chart) and the polls JSON API.
"""

from __future__ import annotations

import io
import tempfile
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Path, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import HTMLResponse, Response, StreamingResponse

from participatie.errors import (
    InvalidInput,
    InvalidState,
    NotFound,
    ParticipatieError,
    PermissionDenied,
)
from participatie.polls import codes
from participatie.polls.errors import AlreadyVoted, PollNotFound
from participatie.polls.schemas import (
    MAX_ELIGIBLE,
    BallotIn,
    IssuedCode,
    LetterAddress,
    PaperEntry,
    PaperMismatch,
    PaperOutcome,
    Poll,
    PollIn,
    PollUpdate,
    PublishedBallot,
    Receipt,
    TallyResult,
)
from participatie.web.common import (
    HomeItem,
    HomeSection,
    check_csrf,
    facade,
    form_text,
    remote_ip,
    render,
    require,
    translator,
)
from participatie.web.i18n import Translator
from participatie.web.schemas import ERRORS

#: States in which a poll is shown to the public.
PUBLIC = ("scheduled", "open", "closed", "published")
#: After voting: ballots can be looked up; the result once it is published.
ENDED = ("closed", "published")

pages = APIRouter(dependencies=[Depends(check_csrf)], include_in_schema=False)
api = APIRouter(prefix="/api/polls", tags=["polls"], responses=ERRORS)
admin = APIRouter(prefix="/api/admin/polls", tags=["admin: polls"], responses=ERRORS)


def public_poll(request: Request, value: str) -> Poll:
    try:
        key = uuid.UUID(value)
    except ValueError:
        raise PollNotFound(f"no poll {value!r}", field="poll") from None
    poll = facade(request).polls.get(key)
    if poll.state not in PUBLIC:
        raise PollNotFound("no such poll", field="poll")
    return poll


def is_open(request: Request, poll: Poll) -> bool:
    now = facade(request).clock.now()
    return poll.state == "open" and (poll.closes_at is None or now < poll.closes_at)


# -- pages -----------------------------------------------------------------------------


@pages.get("/polls/{poll}", response_class=HTMLResponse)
def poll_page(request: Request, poll: str) -> HTMLResponse:
    found = public_poll(request, poll)
    return render(request, "poll.html", poll=found, open=is_open(request, found))


def _ballot_page(
    request: Request,
    poll: Poll,
    *,
    credential: dict[str, str],
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "poll_ballot.html",
        status=status,
        poll=poll,
        credential=credential,
        values=values or {},
        errors=errors or {},
        labels=("choices",),
    )


@pages.get("/polls/{poll}/vote", response_class=HTMLResponse)
def vote_page(request: Request, poll: str) -> HTMLResponse:
    found = public_poll(request, poll)
    if not is_open(request, found):
        return render(request, "poll.html", poll=found, open=False)
    if found.eligibility == "open":
        return _ballot_page(request, found, credential={})
    return render(request, "poll_vote.html", poll=found, values={}, errors={}, labels=())


def _ballot_from_form(poll: Poll, form: FormData, values: dict[str, Any]) -> BallotIn:
    """Read the ballot the way the rule asks for it: marks, ranks or points. What was
    filled in goes into ``values`` first, so a refused ballot shows it again."""

    if poll.rule in ("plurality", "approval"):
        chosen = [str(v) for v in form.getlist("choice")][: len(poll.options)]
        values["choice"] = chosen
        return BallotIn(choices=chosen)
    if poll.rule == "cumulative":
        points: dict[str, int] = {}
        for option in poll.options:
            text = form_text(form, f"points-{option.position}", limit=6)
            values[f"points-{option.position}"] = text
            if text:
                if not text.isdigit():
                    raise InvalidInput("points must be whole numbers", field="choices")
                points[str(option.position)] = int(text)
        return BallotIn(points=points)
    ranked: list[tuple[int, int]] = []
    for option in poll.options:
        text = form_text(form, f"rank-{option.position}", limit=6)
        values[f"rank-{option.position}"] = text
        if text:
            if not text.isdigit():
                raise InvalidInput("a rank is a number", field="choices")
            ranked.append((int(text), option.position))
    ranks = [rank for rank, _ in ranked]
    if len(set(ranks)) != len(ranks):
        raise InvalidInput("two options have the same place", field="choices")
    return BallotIn(choices=[str(pos) for _, pos in sorted(ranked)])


@pages.post("/polls/{poll}/vote", response_class=HTMLResponse)
async def vote(request: Request, poll: str) -> HTMLResponse:
    form = await request.form()
    # The service calls block on the database: off the event loop with them.
    return await run_in_threadpool(_vote, request, poll, form)


def _vote(request: Request, poll: str, form: FormData) -> HTMLResponse:
    t = translator(request)
    p = facade(request)
    found = public_poll(request, poll)
    step = form_text(form, "step", limit=20)

    if step == "code":
        typed = form_text(form, "code", limit=40)
        try:
            compact = codes.parse_code(typed)
        except ParticipatieError as exc:
            return render(
                request,
                "poll_vote.html",
                status=422,
                poll=found,
                values={"code": typed},
                errors={"code": t.error(exc)},
                labels=("code",),
            )
        return _ballot_page(request, found, credential={"code": codes.format_code(compact)})

    if step == "email":
        given = {
            "email": form_text(form, "email", limit=254),
            "postcode": form_text(form, "postcode", limit=10),
        }
        try:
            p.polls.request_email_link(
                found.id,
                given["email"],
                locale=t.lang,
                postcode=given["postcode"] or None,
                ip=remote_ip(request),
            )
        except (InvalidInput, PermissionDenied) as exc:
            name = exc.field if exc.field in ("email", "postcode") else "email"
            return render(
                request,
                "poll_vote.html",
                status=422,
                poll=found,
                values=given,
                errors={name: t.error(exc)},
                labels=("email", "postcode"),
            )
        return render(request, "poll_link_sent.html", poll=found)

    credential = {
        key: form_text(form, key, limit=2000)
        for key in ("code", "email_token")
        if form_text(form, key, limit=2000)
    }
    values: dict[str, Any] = {}
    try:
        ballot = _ballot_from_form(found, form, values)
        receipt = p.polls.cast(
            found.id,
            ballot,
            code=credential.get("code"),
            email_token=credential.get("email_token"),
        )
    except (InvalidInput, PermissionDenied, AlreadyVoted) as exc:
        if exc.field == "code" or isinstance(exc, AlreadyVoted):
            return render(
                request,
                "poll_vote.html",
                status=422,
                poll=found,
                values={"code": credential.get("code", "")},
                errors={"code": t.error(exc)},
                labels=("code",),
            )
        return _ballot_page(
            request,
            found,
            credential=credential,
            values=values,
            errors={"choices": _ballot_error(t, found, exc)},
            status=422,
        )
    return render(request, "poll_receipt.html", poll=found, receipt=receipt)


def _ballot_error(t: Translator, poll: Poll, exc: ParticipatieError) -> str:
    """What to fix, said for the poll's own way of voting rather than in general."""

    if exc.code not in ("poll.invalid_ballot", "input.invalid"):
        return t.error(exc)
    rule = "ranked" if poll.rule == "borda" else poll.rule
    return t(f"poll.ballot_error.{rule}", max=poll.max_choices, points=poll.points)


@pages.get("/polls/confirm/{token}", response_class=HTMLResponse)
def email_link(request: Request, token: str) -> HTMLResponse:
    p = facade(request)
    payload = p.tokens.load("poll.email", token, max_age=p.settings.tokens.vote)
    found = public_poll(request, payload.subject)
    if not is_open(request, found):
        return render(request, "poll.html", poll=found, open=False)
    return _ballot_page(request, found, credential={"email_token": token})


@pages.get("/polls/{poll}/result", response_class=HTMLResponse)
def result(request: Request, poll: str) -> HTMLResponse:
    t = translator(request)
    found = public_poll(request, poll)
    if found.state != "published":
        return render(request, "poll_result.html", poll=found, tally=None, rows=[])
    tally = facade(request).polls.tally(found.id)
    rows = [
        {
            "label": option.name,
            "value": option.votes,
            "note": t("poll.elected") if option.elected else "",
        }
        for option in sorted(tally.options, key=lambda o: (-o.votes, o.position))
    ]
    return render(request, "poll_result.html", poll=found, tally=tally, rows=rows)


# -- JSON API --------------------------------------------------------------------------


class BallotRequest(BallotIn):
    """A ballot with the credential the poll asks for."""

    code: str | None = Field(default=None, max_length=40, description="code from the letter")
    email_token: str | None = Field(
        default=None, max_length=2000, description="token from the voting link"
    )


class EmailLinkRequest(BaseModel):
    email: str = Field(min_length=1, max_length=254)
    postcode: str | None = Field(default=None, max_length=10)


class CodeCheck(BaseModel):
    code: str = Field(min_length=1, max_length=40)


class CodeChecked(BaseModel):
    code: str = Field(description="the code as printed: groups of four")


@api.get("", summary="Public polls (scheduled, open, closed, published)")
def list_polls(request: Request) -> list[Poll]:
    return [x for x in facade(request).polls.list() if x.state in PUBLIC]


@api.get("/{poll}", summary="One poll")
def get_poll(request: Request, poll: str) -> Poll:
    return public_poll(request, poll)


@api.post(
    "/{poll}/check-code",
    summary="Check a typed code's form and check character (does not use it)",
)
def check_code(request: Request, poll: str, data: CodeCheck) -> CodeChecked:
    public_poll(request, poll)
    return CodeChecked(code=codes.format_code(codes.parse_code(data.code)))


@api.post("/{poll}/ballots", status_code=201, summary="Vote; the receipt carries the tracker")
def cast_json(request: Request, poll: str, data: BallotRequest) -> Receipt:
    found = public_poll(request, poll)
    return facade(request).polls.cast(
        found.id,
        BallotIn(choices=data.choices, points=data.points),
        code=data.code,
        email_token=data.email_token,
    )


@api.post("/{poll}/email-link", status_code=202, summary="Send a voting link by e-mail")
def email_link_json(request: Request, poll: str, data: EmailLinkRequest) -> Response:
    found = public_poll(request, poll)
    facade(request).polls.request_email_link(
        found.id,
        data.email,
        locale=translator(request).lang,
        postcode=data.postcode,
        ip=remote_ip(request),
    )
    return Response(status_code=202)


@api.get(
    "/{poll}/ballots",
    summary="The anonymised ballots after voting has ended (a JSON array, streamed)",
    response_model=list[PublishedBallot],
)
def ballots_json(request: Request, poll: str) -> Response:
    found = public_poll(request, poll)
    if found.state not in ENDED:
        raise InvalidState("ballots are published after voting has ended", field="state")
    p = facade(request)

    def stream() -> Iterator[bytes]:
        yield b"["
        for n, ballot in enumerate(p.polls.published_ballots(found.id)):
            yield (b"," if n else b"") + ballot.model_dump_json().encode()
        yield b"]"

    return StreamingResponse(stream(), media_type="application/json")


@api.get("/{poll}/ballots/{tracker}", summary="Find one ballot by its tracker")
def tracker_json(request: Request, poll: str, tracker: str) -> PublishedBallot:
    found = public_poll(request, poll)
    ballot = facade(request).polls.find_tracker(found.id, tracker[:200])
    if ballot is None:
        raise NotFound("no ballot with this tracker", field="tracker")
    return ballot


@api.get("/{poll}/result", summary="The published result")
def result_json(request: Request, poll: str) -> TallyResult:
    found = public_poll(request, poll)
    if found.state != "published":
        raise InvalidState("the result is shown once it is published", field="state")
    return facade(request).polls.tally(found.id)


# -- administration ----------------------------------------------------------------------


@admin.get("", summary="Every poll, drafts included")
def admin_list(request: Request, actor: str = require("polls.read")) -> list[Poll]:
    return facade(request).polls.list()


@admin.post("", status_code=201, summary="Create a poll (draft)")
def admin_create(request: Request, data: PollIn, actor: str = require("polls.manage")) -> Poll:
    return facade(request).polls.create(data, actor=actor)


@admin.post("/{poll}/open", summary="Open voting now")
def admin_open(request: Request, poll: str, actor: str = require("polls.manage", "poll")) -> Poll:
    return facade(request).polls.open(_id(poll), actor=actor)


@admin.post("/{poll}/close", summary="End voting now")
def admin_close(request: Request, poll: str, actor: str = require("polls.manage", "poll")) -> Poll:
    return facade(request).polls.close(_id(poll), actor=actor)


class PublishRequest(BaseModel):
    witness: str | None = Field(
        default=None, max_length=200, description="who witnessed a draw by lot (audit log)"
    )


@admin.post("/{poll}/publish", summary="Fix and publish the result")
def admin_publish(
    request: Request,
    poll: str,
    data: PublishRequest | None = None,
    actor: str = require("polls.manage", "poll"),
) -> TallyResult:
    witness = data.witness if data is not None else None
    return facade(request).polls.publish(_id(poll), actor=actor, witness=witness)


class CodesRequest(BaseModel):
    """Either a number of households (letters without address) or the addresses."""

    count: int | None = Field(
        default=None, ge=1, le=500_000, description="households that get a letter"
    )
    addresses: list[LetterAddress] | None = Field(
        default=None,
        min_length=1,
        max_length=500_000,
        description="addresses printed on the letters (stored only as a keyed hash)",
    )


@admin.post(
    "/{poll}/codes",
    summary="Make the voting codes, once: the letters' CSV (the only copy of the codes)",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
def admin_codes(
    request: Request,
    poll: str,
    data: CodesRequest,
    actor: str = require("polls.manage", "poll"),
) -> Response:
    letters = io.BytesIO()
    result = facade(request).polls.issue_codes(
        _id(poll), letters, count=data.count, addresses=data.addresses, actor=actor
    )
    return Response(
        letters.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={
            "content-disposition": f'attachment; filename="stemcodes-{result.poll_id}.csv"',
            "x-participatie-sha256": result.sha256,
            "cache-control": "no-store",
        },
    )


@admin.get("/{poll}/tally", summary="Count a closed poll (before publishing too)")
def admin_tally(
    request: Request, poll: str, actor: str = require("polls.read", "poll")
) -> TallyResult:
    return facade(request).polls.tally(_id(poll))


@admin.get("/{poll}", summary="One poll, whatever its state")
def admin_get(request: Request, poll: str, actor: str = require("polls.read", "poll")) -> Poll:
    return facade(request).polls.get(_id(poll))


@admin.patch(
    "/{poll}",
    summary="Edit a draft or scheduled poll (once open: only the explanation)",
)
def admin_update(
    request: Request,
    poll: str,
    data: PollUpdate,
    actor: str = require("polls.manage", "poll"),
) -> Poll:
    return facade(request).polls.update(_id(poll), data, actor=actor)


@admin.post(
    "/{poll}/schedule",
    summary="Fix a draft for opening at opens_at (the job opens and closes it)",
)
def admin_schedule(
    request: Request, poll: str, actor: str = require("polls.manage", "poll")
) -> Poll:
    return facade(request).polls.schedule(_id(poll), actor=actor)


class CancelRequest(BaseModel):
    reason: str = Field(min_length=1, max_length=1000, description="why (in the audit log)")


@admin.post("/{poll}/cancel", summary="Cancel a poll that is not published (with a reason)")
def admin_cancel(
    request: Request,
    poll: str,
    data: CancelRequest,
    actor: str = require("polls.manage", "poll"),
) -> Poll:
    return facade(request).polls.cancel(_id(poll), actor=actor, reason=data.reason)


#: A letter number as stored (a 32-bit column).
Serial = Annotated[int, Path(ge=1, le=2**31 - 1, description="the letter's number")]


class RevokeRequest(BaseModel):
    reason: str = Field(default="", max_length=500, description="why (in the audit log)")


class ReissueRequest(BaseModel):
    reason: str = Field(
        default="lost letter", min_length=1, max_length=500, description="why (in the audit log)"
    )


@admin.post(
    "/{poll}/codes/{serial}/revoke",
    status_code=204,
    summary="Revoke the unused code of one letter (without a new one)",
    response_class=Response,
)
def admin_revoke_code(
    request: Request,
    poll: str,
    serial: Serial,
    data: RevokeRequest | None = None,
    actor: str = require("polls.manage", "poll"),
) -> Response:
    reason = data.reason if data is not None else ""
    facade(request).polls.revoke_code(_id(poll), serial, actor=actor, reason=reason)
    return Response(status_code=204)


@admin.post(
    "/{poll}/codes/{serial}/reissue",
    summary="Lost letter: revoke its unused code and make a new one (shown this once)",
)
def admin_reissue_code(
    request: Request,
    response: Response,
    poll: str,
    serial: Serial,
    data: ReissueRequest | None = None,
    actor: str = require("polls.manage", "poll"),
) -> IssuedCode:
    reason = data.reason if data is not None else "lost letter"
    issued = facade(request).polls.reissue_code(_id(poll), serial, actor=actor, reason=reason)
    # The only copy of the new code: no cache may keep it.
    response.headers["cache-control"] = "no-store"
    return issued


class DeskBallotRequest(BallotRequest):
    """A ballot cast at the desk by a staff member, with the resident's credential."""

    subject: str | None = Field(
        default=None,
        max_length=255,
        description="who votes, for polls where the host vouches (stored as a keyed hash)",
    )
    postcode: str | None = Field(default=None, max_length=10)


@admin.post(
    "/{poll}/desk-ballots",
    status_code=201,
    summary="Cast a ballot at the desk for a resident (the staff member is recorded)",
)
def admin_desk_ballot(
    request: Request,
    poll: str,
    data: DeskBallotRequest,
    actor: str = require("polls.manage", "poll"),
) -> Receipt:
    return facade(request).polls.cast(
        _id(poll),
        BallotIn(choices=data.choices, points=data.points),
        code=data.code,
        email_token=data.email_token,
        subject=data.subject,
        postcode=data.postcode,
        channel="desk",
        staff=actor,
    )


OptionRef = Annotated[str, Field(max_length=200)]


class PaperSheet(PaperEntry):
    """One typing of a paper ballot sheet, as read from the paper."""

    code: str | None = Field(
        default=None, max_length=40, description="code on the envelope (code polls)"
    )
    marks: list[OptionRef] = Field(
        default_factory=list,
        max_length=1000,
        description="marked options (names or positions), in order of preference if ranked",
    )
    points: dict[OptionRef, Annotated[int, Field(ge=0, le=1_000_000)]] = Field(
        default_factory=dict, max_length=1000, description="cumulative: option -> points"
    )


@admin.post(
    "/{poll}/paper",
    status_code=201,
    summary="Type in a paper ballot sheet; the second typing, by someone else, records it",
)
def admin_paper_entry(
    request: Request,
    poll: str,
    data: PaperSheet,
    actor: str = require("polls.manage", "poll"),
) -> PaperOutcome:
    return facade(request).polls.enter_paper(_id(poll), data, staff=actor)


@admin.get(
    "/{poll}/paper/mismatches",
    summary="Paper sheets whose two typings differed (resolved ones name the resolver)",
)
def admin_paper_mismatches(
    request: Request, poll: str, actor: str = require("polls.read", "poll")
) -> list[PaperMismatch]:
    return facade(request).polls.paper_mismatches(_id(poll))


@admin.post(
    "/{poll}/paper/resolve",
    summary="Settle a mismatch from the paper itself: this typing is what counts",
)
def admin_paper_resolve(
    request: Request,
    poll: str,
    data: PaperSheet,
    actor: str = require("polls.manage", "poll"),
) -> PaperOutcome:
    return facade(request).polls.resolve_paper(_id(poll), data, staff=actor)


class EnvelopesRequest(BaseModel):
    count: int = Field(ge=0, le=MAX_ELIGIBLE, description="paper envelopes counted by hand")


@admin.put(
    "/{poll}/paper/envelopes",
    status_code=204,
    summary="Record the number of paper envelopes counted by hand (reconciliation)",
    response_class=Response,
)
def admin_paper_envelopes(
    request: Request,
    poll: str,
    data: EnvelopesRequest,
    actor: str = require("polls.manage", "poll"),
) -> Response:
    facade(request).polls.set_paper_envelopes(_id(poll), data.count, staff=actor)
    return Response(status_code=204)


@admin.get(
    "/{poll}/ballots-file",
    summary="The ballots file the tally's ballots_sha256 is taken over (after voting)",
    response_class=Response,
    responses={200: {"content": {"application/json": {}}}},
)
def admin_ballots_file(
    request: Request, poll: str, actor: str = require("polls.read", "poll")
) -> Response:
    # Up to a few MB in memory, beyond that on disk: a million ballots fit either way.
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    try:
        digest = facade(request).polls.write_ballots(_id(poll), spool)
        spool.seek(0)
    except BaseException:
        spool.close()
        raise

    def chunks() -> Iterator[bytes]:
        try:
            while block := spool.read(64 * 1024):
                yield block
        finally:
            spool.close()

    return StreamingResponse(
        chunks(),
        media_type="application/json",
        headers={
            "content-disposition": f'attachment; filename="stembiljetten-{_id(poll)}.json"',
            "x-participatie-sha256": digest,
        },
    )


def _id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise PollNotFound(f"no poll {value!r}", field="poll") from None


# -- home page, feeds, installation ------------------------------------------------------


def section(request: Request) -> HomeSection:
    t = translator(request)
    p = facade(request)
    items = []
    for poll in p.polls.list(state="open"):
        if not is_open(request, poll):
            continue
        meta = poll.question
        if poll.closes_at:
            meta += " · " + t("common.open_until", date=t.date(poll.closes_at, p.settings.zone))
        items.append(_item(poll, meta))
    return HomeSection(key="polls", title=t("home.polls"), items=items)


def results_section(request: Request) -> HomeSection:
    t = translator(request)
    p = facade(request)
    items = []
    for poll in p.polls.list():
        if poll.state == "closed":
            items.append(_item(poll, t("poll.result_soon")))
        elif poll.state == "published":
            when = poll.published_at or poll.closed_at
            meta = t("poll.published_on", date=t.date(when, p.settings.zone)) if when else ""
            items.append(_item(poll, meta))
    return HomeSection(key="results", title=t("home.results"), items=items)


def _item(poll: Poll, meta: str) -> HomeItem:
    updated: datetime | None = poll.published_at or poll.opened_at or poll.opens_at
    return HomeItem(
        title=poll.title,
        link_name="poll",
        params={"poll": str(poll.id)},
        meta=meta,
        summary=poll.question,
        updated=updated,
        areas=tuple(poll.area_codes),
    )


def install(app: FastAPI) -> None:
    from participatie.web import poll_trackers  # noqa: F401  (adds its pages first)

    app.include_router(pages)
    app.include_router(api)
    app.include_router(admin)
    app.state.participatie_web.sections.append(section)
    app.state.participatie_web.sections.append(results_section)
