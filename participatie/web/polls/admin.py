"""The polls admin API for running a poll: create, edit, schedule, open, close, cancel,
the voting codes and their letters, lost letters, counting and publishing.
"""

from __future__ import annotations

import io

from fastapi import Request
from starlette.responses import Response

from participatie.polls.schemas import IssuedCode, Poll, PollIn, PollUpdate, TallyResult
from participatie.web.common import api_router, download_headers, facade, require
from participatie.web.polls.lookup import parse_id
from participatie.web.polls.schemas import (
    CancelRequest,
    CodesRequest,
    PublishRequest,
    ReissueRequest,
    RevokeRequest,
    Serial,
)

admin = api_router("/api/admin/polls", "admin: polls")


@admin.get("", summary="Every poll, drafts included")
def admin_list(request: Request, actor: str = require("polls.read")) -> list[Poll]:
    return facade(request).polls.list()


@admin.post("", status_code=201, summary="Create a poll (draft)")
def admin_create(request: Request, data: PollIn, actor: str = require("polls.manage")) -> Poll:
    return facade(request).polls.create(data, actor=actor)


@admin.post("/{poll}/open", summary="Open voting now")
def admin_open(request: Request, poll: str, actor: str = require("polls.manage", "poll")) -> Poll:
    return facade(request).polls.open(parse_id(poll), actor=actor)


@admin.post("/{poll}/close", summary="End voting now")
def admin_close(request: Request, poll: str, actor: str = require("polls.manage", "poll")) -> Poll:
    return facade(request).polls.close(parse_id(poll), actor=actor)


@admin.post("/{poll}/publish", summary="Fix and publish the result")
def admin_publish(
    request: Request,
    poll: str,
    data: PublishRequest | None = None,
    actor: str = require("polls.manage", "poll"),
) -> TallyResult:
    witness = data.witness if data is not None else None
    return facade(request).polls.publish(parse_id(poll), actor=actor, witness=witness)


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
        parse_id(poll), letters, count=data.count, addresses=data.addresses, actor=actor
    )
    return Response(
        letters.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={
            **download_headers(f"stemcodes-{result.poll_id}.csv"),
            "x-participatie-sha256": result.sha256,
        },
    )


@admin.get("/{poll}/tally", summary="Count a closed poll (before publishing too)")
def admin_tally(
    request: Request, poll: str, actor: str = require("polls.read", "poll")
) -> TallyResult:
    return facade(request).polls.tally(parse_id(poll))


@admin.get("/{poll}", summary="One poll, whatever its state")
def admin_get(request: Request, poll: str, actor: str = require("polls.read", "poll")) -> Poll:
    return facade(request).polls.get(parse_id(poll))


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
    return facade(request).polls.update(parse_id(poll), data, actor=actor)


@admin.post(
    "/{poll}/schedule",
    summary="Fix a draft for opening at opens_at (the job opens and closes it)",
)
def admin_schedule(
    request: Request, poll: str, actor: str = require("polls.manage", "poll")
) -> Poll:
    return facade(request).polls.schedule(parse_id(poll), actor=actor)


@admin.post("/{poll}/cancel", summary="Cancel a poll that is not published (with a reason)")
def admin_cancel(
    request: Request,
    poll: str,
    data: CancelRequest,
    actor: str = require("polls.manage", "poll"),
) -> Poll:
    return facade(request).polls.cancel(parse_id(poll), actor=actor, reason=data.reason)


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
    facade(request).polls.revoke_code(parse_id(poll), serial, actor=actor, reason=reason)
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
    issued = facade(request).polls.reissue_code(parse_id(poll), serial, actor=actor, reason=reason)
    # The only copy of the new code: no cache may keep it.
    response.headers["cache-control"] = "no-store"
    return issued
