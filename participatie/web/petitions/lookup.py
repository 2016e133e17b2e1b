"""Finding a petition for the web: the id in the path, what the public may see of it, and
whether it takes signatures now.
"""

from __future__ import annotations

import uuid

from fastapi import Request

from participatie.petitions.errors import PetitionNotFound
from participatie.petitions.schemas import PUBLIC_STATUSES, Petition
from participatie.web.common import facade, parse_key

#: States in which a petition is shown to the public.
PUBLIC = PUBLIC_STATUSES


def parse_id(value: str) -> uuid.UUID:
    return parse_key(value, PetitionNotFound, "petition", "petition")


def public_petition(request: Request, value: str) -> Petition:
    petition = facade(request).petitions.get(parse_id(value))
    if petition.hidden or petition.status not in PUBLIC:
        raise PetitionNotFound("no such petition", field="petition")
    return petition


def is_open(request: Request, petition: Petition) -> bool:
    now = facade(request).clock.now()
    return petition.status == "open" and (petition.closes_at is None or now < petition.closes_at)
