"""Dispatch records say which reaction and which submitter each notice was for."""

from __future__ import annotations

import uuid

from participatie.engine import Participatie
from participatie.reactions.schemas import ReactionIn, SubmitterIn


def test_each_acknowledgement_names_its_submitter(p: Participatie, dossier: uuid.UUID) -> None:
    received = p.reactions.submit(
        dossier,
        ReactionIn(
            text="Meer losloopgebieden, graag.",
            submitters=[
                SubmitterIn(name="Anna de Vries", email="anna@example.nl"),
                SubmitterIn(name="Bert Bakker", email="bert@example.nl"),
            ],
        ),
    )
    submitters = {s.email: s.id for s in p.reactions.submitters(dossier)}
    dispatches = p.reactions.dispatches(dossier)
    assert {d.submitter_id for d in dispatches} == set(submitters.values())
    assert {d.reaction_id for d in dispatches} == {received.reaction.id}
    mails = {m.to_address: m for m in p.outbox.messages(template="reactions_acknowledgement")}
    assert set(mails) == {"anna@example.nl", "bert@example.nl"}
