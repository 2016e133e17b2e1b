"""The dossiers admin API for deadlines and progress: late reactions admitted or not,
answer dates moved with a reason, what is overdue, and the counts.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request

from participatie.reactions.schemas import Extension, OverdueItem, Reaction, Stats
from participatie.web.common import api_router, facade, require
from participatie.web.dossiers.lookup import get_dossier, get_reaction
from participatie.web.dossiers.schemas import AdmissibilityRequest, ExtensionRequest, ReactionKey

admin = api_router("/api/admin/dossiers", "admin: dossiers")


@admin.post(
    "/{dossier}/reactions/{reaction}/admissibility",
    summary="Decide whether a (late) reaction is taken into account, with the reason",
)
def admin_admissibility(
    request: Request,
    dossier: str,
    reaction: ReactionKey,
    data: AdmissibilityRequest,
    actor: str = require("dossiers.manage", "dossier"),
) -> Reaction:
    found = get_reaction(request, get_dossier(request, dossier), reaction)
    return facade(request).reactions.decide_admissibility(
        found.id,
        admissible=data.admissible,
        reason=data.reason,
        actor=actor,
    )


@admin.post(
    "/{dossier}/extensions",
    summary="Move the answer date of unanswered reactions; every submitter is told why",
)
def admin_extend(
    request: Request,
    dossier: str,
    data: ExtensionRequest,
    actor: str = require("dossiers.manage", "dossier"),
) -> Extension:
    return facade(request).reactions.extend_answer_deadline(
        get_dossier(request, dossier).id,
        new_due=data.new_due,
        reason=data.reason,
        reaction_ids=data.reaction_ids,
        actor=actor,
    )


@admin.get("/{dossier}/overdue", summary="Reactions past their deadline, worst first")
def admin_overdue(
    request: Request, dossier: str, actor: str = require("dossiers.read", "dossier")
) -> list[OverdueItem]:
    return facade(request).reactions.overdue(get_dossier(request, dossier).id)


@admin.get("/{dossier}/stats", summary="Progress and counts, before publishing too")
def admin_stats(
    request: Request,
    dossier: str,
    round: Annotated[int | None, Query(ge=1, le=1000)] = None,
    actor: str = require("dossiers.read", "dossier"),
) -> Stats:
    return facade(request).reactions.stats(get_dossier(request, dossier).id, round=round)
