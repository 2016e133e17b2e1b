"""Helpers of the subscriptions tests: wijken, links read from the outbox, subscribing."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from sqlalchemy import func, select

from participatie.areas import AreaIn
from participatie.engine import Participatie
from participatie.links import link_params
from participatie.reactions.schemas import DossierIn
from participatie.subscriptions.models import FollowRow, RequestRow, SubscriberRow
from participatie.subscriptions.schemas import Subscription, SubscriptionIn


def token(p: Participatie, to: str, name: str) -> str:
    for message in reversed(p.outbox.messages(to=to)):
        if name in message.links:
            return link_params(name, message.links[name], p.settings.public_base_url)["token"]
    raise LookupError(f"no {name} link to {to}")


def subscribe(p: Participatie, email: str, **choices: object) -> Subscription:
    data: dict[str, object] = {"email": email, "areas": ["paddepoel"], "frequency": "daily"}
    data.update(choices)
    p.subscriptions.subscribe(SubscriptionIn.model_validate(data))
    return p.subscriptions.confirm(token(p, email, "subscription.confirm"))


def counts(p: Participatie) -> tuple[int, int, int]:
    with p.session_scope(readonly=True) as s:
        return (
            s.execute(select(func.count()).select_from(RequestRow)).scalar_one(),
            s.execute(select(func.count()).select_from(SubscriberRow)).scalar_one(),
            s.execute(select(func.count()).select_from(FollowRow)).scalar_one(),
        )


def new_dossier(p: Participatie, areas: list[str], title: str = "Speelplekken") -> uuid.UUID:
    dossier = p.reactions.create_dossier(
        DossierIn(
            title=title,
            summary="Waar komen de speelplekken?",
            responsible_official="M. Hoekstra",
            responsible_email="projectleider@gemeente.example.nl",
            areas=areas,
            period_start=date(2026, 3, 3),
        ),
        actor="lead",
    )
    return dossier.id


@pytest.fixture
def areas(p: Participatie) -> Participatie:
    p.areas.create(AreaIn(code="centrum", name="Centrum", postcodes=["9711-9712"]), actor="test")
    p.areas.create(AreaIn(code="paddepoel", name="Paddepoel", postcodes=["9742"]), actor="test")
    return p
