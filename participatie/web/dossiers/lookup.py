"""Finding a dossier for the web: the id in the path, whether it takes reactions today,
whether its answers are out, and its dates as residents read them.
"""

from __future__ import annotations

from datetime import date, datetime, time

from fastapi import Request

from participatie.reactions.errors import DossierNotFound, ReactionNotFound
from participatie.reactions.schemas import Dossier, Reaction
from participatie.web.common import facade, parse_key, translator


def get_dossier(request: Request, value: str) -> Dossier:
    key = parse_key(value, DossierNotFound, "dossier", "dossier")
    return facade(request).reactions.get_dossier(key)


def get_reaction(request: Request, dossier: Dossier, value: str) -> Reaction:
    """A reaction of ``dossier`` by the id in the path; one of another dossier, or text
    that is no UUID, is not found (field ``reaction``)."""

    key = parse_key(value, ReactionNotFound, "reaction", "reaction")
    try:
        found = facade(request).reactions.reaction(key)
    except ReactionNotFound:
        found = None
    if found is None or found.dossier_id != dossier.id:
        raise ReactionNotFound(f"no reaction {value!r} in this dossier", field="reaction")
    return found


def public_dossier(request: Request, value: str) -> Dossier:
    """A dossier residents may see: an unpublished one (a draft, or taken back) is not
    found, as if it did not exist."""

    found = get_dossier(request, value)
    if not found.published:
        raise DossierNotFound(f"no dossier {value!r}", field="dossier")
    return found


def accepts_reactions(request: Request, dossier: Dossier) -> bool:
    today = facade(request).clock.now().astimezone(facade(request).settings.zone).date()
    return (
        dossier.status == "open"
        and dossier.reaction_form
        and dossier.period_start <= today <= dossier.period_end
    )


def published(dossier: Dossier) -> bool:
    return any(r.published_at is not None for r in dossier.rounds)


def day(request: Request, value: date) -> str:
    """A date of the planning in the resident's language (noon, so no zone shifts it)."""

    t = translator(request)
    zone = facade(request).settings.zone
    return t.date(datetime.combine(value, time(12), tzinfo=zone), zone)
