"""The resident's voting flow: the poll page, code entry with the check character or the
e-mail link, the ballot as the rule asks for it, the receipt, and the result with a chart.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from starlette.datastructures import FormData
from starlette.responses import HTMLResponse

from participatie.errors import InvalidInput, ParticipatieError, PermissionDenied
from participatie.polls.errors import AlreadyVoted
from participatie.polls.schemas import BallotIn, Poll
from participatie.web.common import (
    facade,
    form_text,
    page_router,
    remote_ip,
    render,
    translator,
    with_form,
)
from participatie.web.i18n import Translator
from participatie.web.polls.lookup import is_open, public_poll

pages = page_router()


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
    return await with_form(request, _vote, poll)


def _vote(request: Request, poll: str, form: FormData) -> HTMLResponse:
    t = translator(request)
    p = facade(request)
    found = public_poll(request, poll)
    step = form_text(form, "step", limit=20)

    if step == "code":
        typed = form_text(form, "code", limit=40)
        try:
            shown = p.polls.check_code(found.id, typed)
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
        return _ballot_page(request, found, credential={"code": shown})

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
    return t(
        f"poll.ballot_error.{rule}",
        max=t("common.n_answer", count=poll.max_choices or 0),
        points=t("common.n_point", count=poll.points or 0),
    )


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
