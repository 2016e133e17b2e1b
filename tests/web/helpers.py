"""Small builders for the web tests: an open petition, tokens read from the outbox."""

from __future__ import annotations

import io
import re
from datetime import timedelta

from participatie.areas import AreaIn
from participatie.engine import Participatie
from participatie.petitions.schemas import Petition, PetitionIn
from participatie.polls.schemas import Poll, PollIn
from participatie.reactions.schemas import Dossier, DossierIn

TOKEN = re.compile(
    r"/(petitions|polls|reactions)/(confirm|withdraw|unsubscribe|creator|coinitiator)/([A-Za-z0-9_.\-]+)"
)


def tokens(p: Participatie, to: str) -> dict[str, str]:
    """Tokens in the newest mail to ``to``, by purpose (confirm, withdraw, ...)."""

    messages = p.outbox.messages(to=to)
    assert messages, f"no mail to {to}"
    return {kind: token for _, kind, token in TOKEN.findall(messages[-1].text_body)}


def seed_areas(p: Participatie) -> None:
    p.areas.create(AreaIn(code="centrum", name="Centrum", postcodes=["9711-9712"]), actor="test")
    p.areas.create(AreaIn(code="paddepoel", name="Paddepoel", postcodes=["9742"]), actor="test")


def open_petition(p: Participatie, **overrides: object) -> Petition:
    data: dict[str, object] = {
        "title": "Groot scherm op de Grote Markt",
        "summary": "Zet een groot scherm neer voor de WK-finale.",
        "body": "Wij vragen de raad om een groot scherm te plaatsen.\n\nHet is voor iedereen.",
        "creator_name": "Anna de Vries",
        "creator_email": "anna@example.nl",
    }
    data.update(overrides)
    petition = p.petitions.create(PetitionIn.model_validate(data))
    p.petitions.confirm_creator(tokens(p, str(data["creator_email"]))["creator"])
    return p.petitions.approve(
        petition.id, actor="griffie", closes_at=p.clock.now() + timedelta(days=30)
    )


def open_code_poll(
    p: Participatie, households: int = 3, **overrides: object
) -> tuple[Poll, list[str]]:
    """An open approval poll (2 of 3 locations) and the plaintext codes of its letters."""

    data: dict[str, object] = {
        "title": "Speelplekken Paddepoel",
        "question": "Waar moeten de twee nieuwe speelplekken komen?",
        "explanation": "Kies de plekken die u goed vindt.",
        "options": [
            {"name": "Hoog Paddepoel", "description": "Grasveld bij de flats."},
            {"name": "Ecozone", "description": "Natuurspeelplek bij het water."},
            {"name": "Siriusstraat"},
        ],
        "rule": "approval",
        "seats": 2,
        "max_choices": 2,
        "closes_at": p.clock.now() + timedelta(days=14),
    }
    data.update(overrides)
    poll = p.polls.create(PollIn.model_validate(data), actor="projectleider")
    codes: list[str] = []
    if poll.eligibility == "codes":
        letters = io.BytesIO()
        p.polls.issue_codes(poll.id, letters, count=households, actor="projectleider")
        rows = letters.getvalue().decode("utf-8-sig").splitlines()[1:]
        codes = [row.split(";")[2] for row in rows]
    return p.polls.open(poll.id, actor="projectleider"), codes


def open_dossier(p: Participatie, **overrides: object) -> Dossier:
    """A dossier open for reactions for six weeks, with a document and a delayed phase."""

    today = p.clock.now().astimezone(p.settings.zone).date()
    data: dict[str, object] = {
        "title": "Hondenbeleid 2026",
        "summary": "Nieuwe regels voor honden in de stad.\n\nWaar mogen honden los lopen?",
        "procedure": "Na de reacties volgt een nieuw voorstel.",
        "responsible_official": "J. Jansen",
        "responsible_email": "hondenbeleid@gemeente.example.nl",
        "areas": [],
        "period_start": today.isoformat(),
        "period_end": (today + timedelta(weeks=6)).isoformat(),
        "documents": [
            {
                "title": "Conceptnota hondenbeleid",
                "url": "https://gemeente.example.nl/hondenbeleid.pdf",
                "published_on": today.isoformat(),
            }
        ],
        "phases": [
            {"name": "Inspraak", "planned_date": today.isoformat(), "status": "current"},
            {
                "name": "Besluit van het college",
                "planned_date": (today + timedelta(weeks=12)).isoformat(),
                "status": "delayed",
                "delay_reason": "Er kwamen veel meer reacties dan verwacht.",
                "expected_date": (today + timedelta(weeks=16)).isoformat(),
            },
        ],
    }
    data.update(overrides)
    return p.reactions.create_dossier(DossierIn.model_validate(data), actor="projectleider")
