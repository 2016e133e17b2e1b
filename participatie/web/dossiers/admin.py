"""The dossiers admin API for the dossier itself: create and read it, register reactions
from any channel, list them, and publish the round's answers.
"""

from __future__ import annotations

from fastapi import Request

from participatie.reactions.schemas import (
    Dossier,
    DossierIn,
    OverdueItem,
    PublishResult,
    Reaction,
    ReactionIn,
    ReceivedReaction,
)
from participatie.web.common import api_router, facade, require
from participatie.web.dossiers.lookup import get_dossier

admin = api_router("/api/admin/dossiers", "admin: dossiers")


@admin.post("", status_code=201, summary="Create a dossier")
def admin_create(
    request: Request, data: DossierIn, actor: str = require("dossiers.manage")
) -> Dossier:
    return facade(request).reactions.create_dossier(data, actor=actor)


# Before ``/{dossier}``, which would take "overdue" for a dossier id.
@admin.get("/overdue", summary="Reactions of every dossier past their deadline, worst first")
def admin_overdue_all(request: Request, actor: str = require("dossiers.read")) -> list[OverdueItem]:
    return facade(request).reactions.overdue()


@admin.get("/{dossier}", summary="One dossier with the official's contact details")
def admin_get(
    request: Request, dossier: str, actor: str = require("dossiers.read", "dossier")
) -> Dossier:
    return get_dossier(request, dossier)


@admin.post(
    "/{dossier}/reactions",
    status_code=201,
    summary="Register a reaction from any channel (letter, paper form, e-mail, oral)",
)
def admin_register(
    request: Request,
    dossier: str,
    data: ReactionIn,
    actor: str = require("dossiers.manage", "dossier"),
) -> ReceivedReaction:
    return facade(request).reactions.register(get_dossier(request, dossier).id, data, actor=actor)


@admin.get("/{dossier}/reactions", summary="The reactions in number order (no personal data)")
def admin_reactions(
    request: Request, dossier: str, actor: str = require("dossiers.read", "dossier")
) -> list[Reaction]:
    return list(facade(request).reactions.reactions(get_dossier(request, dossier).id))


@admin.post(
    "/{dossier}/publish",
    summary="Publish every answer of the round and tell every submitter",
)
def admin_publish(
    request: Request, dossier: str, actor: str = require("dossiers.manage", "dossier")
) -> PublishResult:
    return facade(request).reactions.publish_answers(get_dossier(request, dossier).id, actor=actor)
