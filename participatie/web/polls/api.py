"""The public polls JSON API: list and read polls, check a code, vote, ask for a voting
link, and after voting the anonymised ballots, a tracker's ballot and the result.
"""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import Request
from starlette.responses import Response, StreamingResponse

from participatie.errors import InvalidState, NotFound
from participatie.polls import codes
from participatie.polls.schemas import BallotIn, Poll, PublishedBallot, Receipt, TallyResult
from participatie.web.common import api_router, facade, remote_ip, translator
from participatie.web.polls.lookup import PUBLIC, public_poll
from participatie.web.polls.schemas import (
    BallotRequest,
    CodeCheck,
    CodeChecked,
    EmailLinkRequest,
)

api = api_router("/api/polls", "polls")


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
    summary="The anonymised ballots once the result is published (a JSON array, streamed)",
    response_model=list[PublishedBallot],
)
def ballots_json(request: Request, poll: str) -> Response:
    found = public_poll(request, poll)
    # All ballots are the result: the list goes out with it, not before (a voter can
    # check their own ballot by its tracker from closing on).
    if found.state != "published":
        raise InvalidState("the ballots are published with the result", field="state")
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
