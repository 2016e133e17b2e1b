"""The public petitions JSON API: list and read petitions, their counts and named signers,
sign, confirm, withdraw, and start a petition.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request
from starlette.responses import Response

from participatie.petitions.schemas import (
    Confirmation,
    Petition,
    PetitionIn,
    PublicSigners,
    PublicStats,
    SignatureIn,
    SignReceipt,
)
from participatie.web.common import api_router, facade, remote_ip
from participatie.web.petitions.lookup import PUBLIC, parse_id, public_petition, sign_publicly
from participatie.web.petitions.schemas import PetitionOut
from participatie.web.schemas import TokenIn

api = api_router("/api/petitions", "petitions")


def _out(petition: Petition) -> PetitionOut:
    return PetitionOut(
        **petition.model_dump(include=set(PetitionOut.model_fields) - {"total"}),
        total=petition.verified + petition.paper,
    )


@api.get("", summary="Public petitions (open, closed, handed over, answered)")
def list_petitions(request: Request, status: str | None = None) -> list[PetitionOut]:
    found = facade(request).petitions.list()
    return [_out(x) for x in found if x.status in PUBLIC and (status is None or x.status == status)]


@api.get("/{petition}", summary="One public petition")
def get_petition(request: Request, petition: str) -> PetitionOut:
    return _out(public_petition(request, petition))


@api.get("/{petition}/stats", summary="Signature counts per wijk and per day (no personal data)")
def petition_stats(request: Request, petition: str) -> PublicStats:
    # public_stats finds only what the public may see: no lookup of its own first.
    return facade(request).petitions.public_stats(parse_id(petition))


@api.get(
    "/{petition}/names",
    summary="Signers who agreed to be named (newest first): name, wijk and day only",
)
def petition_names(
    request: Request,
    petition: str,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> PublicSigners:
    return facade(request).petitions.public_signers(parse_id(petition), limit=limit, offset=offset)


@api.post(
    "/{petition}/signatures",
    status_code=202,
    summary="Sign; a confirmation mail follows",
    description="The answer is the same for a first signature, a repeat and a refused one, "
    "so nobody can learn who signed. The client address counts towards the rate limits.",
)
def sign_json(request: Request, petition: str, data: SignatureIn) -> SignReceipt:
    return sign_publicly(request, petition, data)


@api.post("/confirm", summary="Confirm a signature with the token from the e-mail")
def confirm_json(request: Request, data: TokenIn) -> Confirmation:
    return facade(request).petitions.confirm(data.token)


@api.post("/withdraw", status_code=204, summary="Withdraw a signature (token from the e-mail)")
def withdraw_json(request: Request, data: TokenIn) -> Response:
    facade(request).petitions.withdraw_signature(data.token)
    return Response(status_code=204)


@api.post("", status_code=201, summary="Start a petition; the creator confirms by e-mail")
def create_json(request: Request, data: PetitionIn) -> PetitionOut:
    return _out(facade(request).petitions.create(data, ip=remote_ip(request)))
