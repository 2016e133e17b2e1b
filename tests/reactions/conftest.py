"""Fixtures of the reactions tests: a dossier with themes on a clean database."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from participatie.engine import Participatie
from participatie.reactions.schemas import DossierIn, ReactionIn, SubmitterIn, ThemeIn

START = date(2026, 3, 3)


def new_dossier(p: Participatie, **overrides: object) -> uuid.UUID:
    data = {
        "title": "Hondenbeleid",
        "summary": "Nieuwe regels voor honden.",
        "procedure": "Zes weken ter inzage.",
        "responsible_official": "M. Hoekstra",
        "responsible_email": "projectleider@gemeente.example.nl",
        "period_start": START,
    }
    data.update(overrides)
    dossier = p.reactions.create_dossier(DossierIn.model_validate(data), actor="lead")
    for code, title in (("losloop", "Losloopgebieden"), ("opruim", "Opruimplicht")):
        p.reactions.create_theme(dossier.id, ThemeIn(code=code, title=title), actor="lead")
    return dossier.id


def web(text: str = "Meer losloopgebieden graag.", **submitter: object) -> ReactionIn:
    person = {"name": "Anna de Vries", "email": "anna@example.nl"}
    person.update(submitter)  # type: ignore[arg-type]
    return ReactionIn(text=text, submitters=[SubmitterIn.model_validate(person)])


@pytest.fixture
def dossier(p: Participatie) -> uuid.UUID:
    return new_dossier(p)
