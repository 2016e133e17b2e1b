"""Pages behind the other links petition mails carry: withdraw a signature, stop the
updates, and the creator's and co-initiators' confirmations.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import Request
from starlette.responses import HTMLResponse

from participatie.petitions.errors import PetitionNotFound
from participatie.petitions.schemas import Petition
from participatie.web.common import facade, page_router, render

pages = page_router()


def _token_page(
    request: Request, template: str, purpose: str, token: str, **context: Any
) -> HTMLResponse:
    """A page behind an e-mail link: checks the link, changes nothing (scanners open it)."""

    p = facade(request)
    lifetimes = p.settings.tokens
    max_age = {
        "petition.withdraw": lifetimes.withdraw,
        "petition.unsubscribe": lifetimes.unsubscribe,
    }[purpose]
    payload = p.tokens.load(purpose, token, max_age=max_age)
    petition: Petition | None
    try:
        petition = p.petitions.get(uuid.UUID(payload.subject))
    except (ValueError, PetitionNotFound):
        petition = None
    return render(request, template, token=token, petition=petition, **context)


@pages.get("/petitions/withdraw/{token}", response_class=HTMLResponse)
def withdraw_page(request: Request, token: str) -> HTMLResponse:
    return _token_page(request, "petition_withdraw.html", "petition.withdraw", token, done=False)


@pages.post("/petitions/withdraw/{token}", response_class=HTMLResponse)
def withdraw(request: Request, token: str) -> HTMLResponse:
    facade(request).petitions.withdraw_signature(token)
    return _token_page(request, "petition_withdraw.html", "petition.withdraw", token, done=True)


@pages.get("/petitions/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe_page(request: Request, token: str) -> HTMLResponse:
    return _token_page(
        request, "petition_unsubscribe.html", "petition.unsubscribe", token, done=False
    )


@pages.post("/petitions/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe(request: Request, token: str) -> HTMLResponse:
    facade(request).petitions.unsubscribe(token)
    return _token_page(
        request, "petition_unsubscribe.html", "petition.unsubscribe", token, done=True
    )


def _confirmation_page(request: Request, role: str, token: str, *, done: bool) -> HTMLResponse:
    """The creator's or a co-initiator's page: asks to confirm, or says it is confirmed
    (just now, or before: opening the link again does not ask again)."""

    petition, confirmed = facade(request).petitions.confirmation_link(token, role=role)
    return render(
        request,
        "petition_creator.html",
        token=token,
        petition=petition,
        role=role,
        done=done,
        already=confirmed and not done,
    )


@pages.get("/petitions/creator/{token}", response_class=HTMLResponse)
def creator_page(request: Request, token: str) -> HTMLResponse:
    return _confirmation_page(request, "creator", token, done=False)


@pages.post("/petitions/creator/{token}", response_class=HTMLResponse)
def creator_confirm(request: Request, token: str) -> HTMLResponse:
    facade(request).petitions.confirm_creator(token)
    return _confirmation_page(request, "creator", token, done=True)


@pages.get("/petitions/coinitiator/{token}", response_class=HTMLResponse)
def coinitiator_page(request: Request, token: str) -> HTMLResponse:
    return _confirmation_page(request, "coinitiator", token, done=False)


@pages.post("/petitions/coinitiator/{token}", response_class=HTMLResponse)
def coinitiator_confirm(request: Request, token: str) -> HTMLResponse:
    facade(request).petitions.confirm_coinitiator(token)
    return _confirmation_page(request, "coinitiator", token, done=True)
