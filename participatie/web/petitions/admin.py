"""The petition desk's moderation API: review and open or refuse petitions, the allow- and
block-lists, extend, hide, close, hand over, and record the council's answer.
"""

from __future__ import annotations

import uuid

from fastapi import Request
from starlette.responses import Response

from participatie.errors import NotFound
from participatie.petitions.schemas import DeskStats, Petition, Rule, Trend
from participatie.web.common import api_router, facade, require
from participatie.web.petitions.lookup import parse_id
from participatie.web.petitions.schemas import (
    Approval,
    CouncilAnswerIn,
    CouncilAnswerOut,
    ExtensionIn,
    HandOverIn,
    HideIn,
    RejectionIn,
    RuleIn,
    UnhideIn,
)

admin = api_router("/api/admin/petitions", "admin: petitions")


@admin.get("", summary="Every petition, drafts and hidden ones included")
def admin_list(request: Request, actor: str = require("petitions.read")) -> list[Petition]:
    return facade(request).petitions.list(include_hidden=True)


@admin.get("/{petition}/stats", summary="Counts for the petition desk")
def admin_stats(
    request: Request, petition: str, actor: str = require("petitions.read", "petition")
) -> DeskStats:
    return facade(request).petitions.stats(parse_id(petition))


@admin.post("/{petition}/approve", summary="Open the petition for signing")
def admin_approve(
    request: Request,
    petition: str,
    data: Approval | None = None,
    actor: str = require("petitions.moderate", "petition"),
) -> Petition:
    given = data or Approval()
    options = {key: value for key, value in given.model_dump().items() if value is not None}
    return facade(request).petitions.approve(parse_id(petition), actor=actor, **options)


@admin.post("/{petition}/reject", summary="Refuse the petition with a reason code")
def admin_reject(
    request: Request,
    petition: str,
    data: RejectionIn,
    actor: str = require("petitions.moderate", "petition"),
) -> Petition:
    return facade(request).petitions.reject(
        parse_id(petition), actor=actor, reason=data.reason, note=data.note
    )


@admin.post("/{petition}/close", summary="Close the petition now")
def admin_close(
    request: Request, petition: str, actor: str = require("petitions.moderate", "petition")
) -> Petition:
    return facade(request).petitions.close(parse_id(petition), actor=actor)


# Before ``/{petition}``, which would take "rules" for a petition id.
@admin.get("/rules", summary="The desk's allow- and block-list entries")
def admin_rules(request: Request, actor: str = require("petitions.read")) -> list[Rule]:
    return facade(request).petitions.rules()


@admin.post("/rules", status_code=201, summary="Add an allow- or block-list entry")
def admin_add_rule(
    request: Request, data: RuleIn, actor: str = require("petitions.moderate")
) -> Rule:
    return facade(request).petitions.add_rule(data.kind, data.value, actor=actor, note=data.note)


@admin.delete("/rules/{rule}", status_code=204, summary="Remove an allow- or block-list entry")
def admin_remove_rule(
    request: Request, rule: str, actor: str = require("petitions.moderate")
) -> Response:
    try:
        rule_id = uuid.UUID(rule)
    except ValueError:
        raise NotFound("no such rule", field="rule") from None
    facade(request).petitions.remove_rule(rule_id, actor=actor)
    return Response(status_code=204)


@admin.get("/{petition}", summary="One petition, whatever its state, hidden or not")
def admin_get(
    request: Request, petition: str, actor: str = require("petitions.read", "petition")
) -> Petition:
    return facade(request).petitions.get(parse_id(petition))


@admin.get(
    "/{petition}/trends",
    summary="IP addresses (as keyed hashes) and mail domains whose signatures trended",
)
def admin_trends(
    request: Request, petition: str, actor: str = require("petitions.read", "petition")
) -> list[Trend]:
    petitions = facade(request).petitions
    found = petitions.get(parse_id(petition))  # an unknown petition is a 404, not []
    return petitions.trends(found.id)


@admin.post("/{petition}/extend", summary="Move the closing time later; the reason is recorded")
def admin_extend(
    request: Request,
    petition: str,
    data: ExtensionIn,
    actor: str = require("petitions.moderate", "petition"),
) -> Petition:
    return facade(request).petitions.extend(
        parse_id(petition), actor=actor, closes_at=data.closes_at, reason=data.reason
    )


@admin.post("/{petition}/hide", summary="Hide an offensive petition from every public place")
def admin_hide(
    request: Request,
    petition: str,
    data: HideIn,
    actor: str = require("petitions.moderate", "petition"),
) -> Petition:
    return facade(request).petitions.hide(parse_id(petition), actor=actor, reason=data.reason)


@admin.post("/{petition}/unhide", summary="Show a hidden petition again")
def admin_unhide(
    request: Request,
    petition: str,
    data: UnhideIn | None = None,
    actor: str = require("petitions.moderate", "petition"),
) -> Petition:
    reason = (data or UnhideIn()).reason
    return facade(request).petitions.hide(
        parse_id(petition), actor=actor, reason=reason, hidden=False
    )


@admin.post(
    "/{petition}/hand-over",
    summary="Record the hand-over to the council (closes the petition if still open)",
)
def admin_hand_over(
    request: Request,
    petition: str,
    data: HandOverIn,
    actor: str = require("petitions.moderate", "petition"),
) -> Petition:
    return facade(request).petitions.hand_over(
        parse_id(petition), actor=actor, to=data.to, at=data.at, note=data.note
    )


@admin.post(
    "/{petition}/answer",
    summary="Record the council's answer; it goes to the creator and to consenting signers",
    description="The mails go through the outbox, spread over time, each once.",
)
def admin_answer(
    request: Request,
    petition: str,
    data: CouncilAnswerIn,
    actor: str = require("petitions.moderate", "petition"),
) -> CouncilAnswerOut:
    petitions = facade(request).petitions
    pid = parse_id(petition)
    queued = petitions.answer(pid, actor=actor, text=data.text, decision_url=data.decision_url)
    return CouncilAnswerOut(petition=petitions.get(pid), signers_notified=queued)
