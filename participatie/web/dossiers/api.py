"""The public dossiers JSON API: list and read dossiers, send a reaction, and the counts
once the answers are published.
"""

from __future__ import annotations

from fastapi import Request

from participatie.errors import InvalidState
from participatie.reactions.schemas import Dossier, ReactionIn, Stats, SubmitterIn
from participatie.web.common import api_router, facade, local, translator
from participatie.web.dossiers.lookup import accepts_reactions, public_dossier, published
from participatie.web.dossiers.schemas import DossierOut, ReactionReceipt, ReactionRequest

api = api_router("/api/dossiers", "dossiers")


def _out(request: Request, dossier: Dossier) -> DossierOut:
    return DossierOut(
        **dossier.model_dump(
            include={
                "id",
                "title",
                "summary",
                "procedure",
                "responsible_official",
                "areas",
                "status",
                "round",
                "round_label",
                "period_start",
                "period_end",
                "decision_summary",
            }
        ),
        accepts_reactions=accepts_reactions(request, dossier),
        # A stored document's address is its page on this site.
        documents=[
            d.model_dump(mode="json")
            | (
                {"url": local(request, f"/dossiers/{dossier.id}/documents/{d.id}")}
                if d.stored
                else {}
            )
            for d in dossier.documents
        ],
        phases=[ph.model_dump(mode="json", exclude={"id"}) for ph in dossier.phases],
    )


@api.get("", summary="All dossiers")
def list_dossiers(request: Request) -> list[DossierOut]:
    p = facade(request)
    return [
        _out(request, p.reactions.get_dossier(d.id))
        for d in p.reactions.list_dossiers()
        if d.published
    ]


@api.get("/{dossier}", summary="One dossier")
def dossier_json(request: Request, dossier: str) -> DossierOut:
    return _out(request, public_dossier(request, dossier))


@api.post(
    "/{dossier}/reactions",
    status_code=201,
    summary="Send a reaction; an acknowledgement follows by e-mail",
)
def react_json(request: Request, dossier: str, data: ReactionRequest) -> ReactionReceipt:
    found = public_dossier(request, dossier)
    received = facade(request).reactions.submit(
        found.id,
        ReactionIn(
            channel="web",
            text=data.text,
            submitters=[
                SubmitterIn(name=data.name, email=data.email, locale=translator(request).lang)
            ],
        ),
    )
    return ReactionReceipt(
        number=received.reaction.number,
        acknowledgement_due=received.reaction.acknowledgement_due,
        answer_due=received.reaction.answer_due,
    )


@api.get("/{dossier}/stats", summary="Counts once the answers are published")
def stats_json(request: Request, dossier: str) -> Stats:
    found = public_dossier(request, dossier)
    if not published(found):
        raise InvalidState("the figures are shown once the answers are published", field="state")
    return facade(request).reactions.stats(found.id)
