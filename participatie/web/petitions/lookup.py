"""Finding a petition for the web: the id in the path, what the public may see of it, and
whether it takes signatures now.
"""

from __future__ import annotations

import uuid

from fastapi import Request

from participatie.petitions.errors import PetitionClosed, PetitionNotFound
from participatie.petitions.schemas import PUBLIC_STATUSES, Petition, SignatureIn, SignReceipt
from participatie.web.common import facade, parse_key, remote_ip

#: States in which a petition is shown to the public.
PUBLIC = PUBLIC_STATUSES


def parse_id(value: str) -> uuid.UUID:
    return parse_key(value, PetitionNotFound, "petition", "petition")


def public_petition(request: Request, value: str) -> Petition:
    petition = facade(request).petitions.get(parse_id(value))
    if petition.hidden or petition.status not in PUBLIC:
        raise PetitionNotFound("no such petition", field="petition")
    return petition


def sign_publicly(request: Request, value: str, data: SignatureIn) -> SignReceipt:
    """Sign the petition ``value`` names, without reading it first (``sign`` checks it).
    Only a refusal asks whether the public may see the petition, so a hidden or not yet
    public one is "not found", never "closed"."""

    try:
        return facade(request).petitions.sign(parse_id(value), data, ip=remote_ip(request))
    except PetitionClosed:
        public_petition(request, value)
        raise


def is_open(request: Request, petition: Petition) -> bool:
    now = facade(request).clock.now()
    return petition.status == "open" and (petition.closes_at is None or now < petition.closes_at)
