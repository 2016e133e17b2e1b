"""A site with something in every state a resident can meet: an open and an answered
petition, an open and a published poll, a dossier with a stored document and published
answers. The page tests that walk every page in both languages build it once."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

from participatie.engine import Participatie
from participatie.petitions.schemas import Petition, SignatureIn
from participatie.polls.schemas import BallotIn, Poll
from participatie.reactions.schemas import (
    AnswerIn,
    Dossier,
    PointIn,
    ReactionIn,
    SubmitterIn,
    ThemeIn,
)
from participatie.storage import LocalStore
from tests.web.helpers import open_code_poll, open_dossier, open_petition, seed_areas, tokens

#: A PDF small enough to store as a dossier's document (its type is read from the content).
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
) + b"%" * 2400


@dataclass
class WholeSite:
    petition: Petition
    answered: Petition
    poll: Poll
    ended: Poll
    tracker: str
    dossier: Dossier
    document: uuid.UUID


def build(p: Participatie, folder: Path) -> WholeSite:
    """Fill ``p`` (an empty, created database) with the site's contents; its stored
    documents go to ``folder`` (a test's temporary folder)."""

    p.document_store = LocalStore(folder / "documenten")
    seed_areas(p)
    petition = open_petition(p)
    answered = open_petition(p, title="Bankjes langs het Reitdiep", creator_email="bert@example.nl")
    p.petitions.sign(
        answered.id,
        SignatureIn(name="Ilse Mulder", email="ilse@example.nl", postcode="9742 AB"),
        ip="198.51.100.20",
    )
    p.petitions.confirm(tokens(p, "ilse@example.nl")["confirm"])
    p.petitions.hand_over(answered.id, actor="griffie", to="de gemeenteraad")
    p.petitions.answer(answered.id, actor="griffie", text="De raad plaatst tien bankjes.")
    poll, _codes = open_code_poll(p)
    ended, codes = open_code_poll(p, title="Bankjes in het park", households=3)
    receipt = p.polls.cast(ended.id, BallotIn(choices=["Ecozone"]), code=codes[0])
    p.polls.close(ended.id, actor="projectleider")
    p.polls.publish(ended.id, actor="projectleider")

    start = p.clock.now().astimezone(p.settings.zone).date()
    dossier = open_dossier(p, areas=["paddepoel"])
    stored = p.reactions.upload_document(
        dossier.id,
        title="Kaart losloopgebieden",
        filename="kaart.pdf",
        data=PDF,
        published_on=start,
        actor="projectleider",
    )
    p.reactions.create_theme(
        dossier.id, ThemeIn(code="losloop", title="Losloopgebieden"), actor="a"
    )
    p.reactions.submit(
        dossier.id,
        ReactionIn(
            text="Meer losloopgebieden.",
            submitters=[SubmitterIn(name="Els de Boer", email="els@example.nl")],
            points=[PointIn(text="Meer losloopgebieden", theme="losloop")],
        ),
    )
    p.reactions.draft_answer(
        dossier.id,
        AnswerIn(theme="losloop", outcome="honoured", motivation="Er komen vier gebieden bij."),
        actor="a",
    )
    p.reactions.publish_answers(dossier.id, actor="lead", four_eyes=False)
    return WholeSite(
        petition=petition,
        answered=p.petitions.get(answered.id),
        poll=poll,
        ended=p.polls.get(ended.id),
        tracker=receipt.tracker,
        dossier=p.reactions.get_dossier(dossier.id),
        document=stored.id,
    )
