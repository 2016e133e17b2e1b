"""The polls admin API at the desk and the count: ballots cast at the desk for a resident,
paper ballot sheets typed twice, the envelopes counted by hand, and the ballots file.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator

from fastapi import Request
from starlette.responses import Response, StreamingResponse

from participatie.polls.schemas import BallotIn, PaperMismatch, PaperOutcome, Receipt
from participatie.web.common import api_router, facade, require
from participatie.web.polls.lookup import parse_id
from participatie.web.polls.schemas import DeskBallotRequest, EnvelopesRequest, PaperSheet

admin = api_router("/api/admin/polls", "admin: polls")


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
        parse_id(poll),
        BallotIn(choices=data.choices, points=data.points),
        code=data.code,
        email_token=data.email_token,
        subject=data.subject,
        postcode=data.postcode,
        channel="desk",
        staff=actor,
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
    return facade(request).polls.enter_paper(parse_id(poll), data, staff=actor)


@admin.get(
    "/{poll}/paper/mismatches",
    summary="Paper sheets whose two typings differed (resolved ones name the resolver)",
)
def admin_paper_mismatches(
    request: Request, poll: str, actor: str = require("polls.read", "poll")
) -> list[PaperMismatch]:
    return facade(request).polls.paper_mismatches(parse_id(poll))


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
    return facade(request).polls.resolve_paper(parse_id(poll), data, staff=actor)


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
    facade(request).polls.set_paper_envelopes(parse_id(poll), data.count, staff=actor)
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
        digest = facade(request).polls.write_ballots(parse_id(poll), spool)
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
            "content-disposition": f'attachment; filename="stembiljetten-{parse_id(poll)}.json"',
            "x-participatie-sha256": digest,
        },
    )
