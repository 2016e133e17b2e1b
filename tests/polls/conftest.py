"""Helpers for the polls tests: a small approval poll, open and ready to vote."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest

from participatie.engine import Participatie
from participatie.polls.schemas import OptionIn, Poll, PollIn

LOCATIONS = ["Hoog Paddepoel", "Ecozone", "Pleintje Zonnelaan", "Grasveld Zaagmuldersweg"]


def make_poll(p: Participatie, **overrides: object) -> Poll:
    data: dict[str, object] = {
        "title": "Speelplekken Paddepoel",
        "question": "Waar komen de twee nieuwe speelplekken?",
        "options": [OptionIn(name=n) for n in LOCATIONS],
        "rule": "approval",
        "seats": 2,
        "max_choices": 2,
    }
    data.update(overrides)
    return p.polls.create(PollIn.model_validate(data), actor="projectleider")


def issue(p: Participatie, poll: Poll, count: int) -> list[str]:
    """Issue ``count`` codes and return them as printed on the letters."""

    buffer = io.BytesIO()
    p.polls.issue_codes(poll.id, buffer, count=count, actor="projectleider")
    lines = buffer.getvalue().decode("utf-8-sig").splitlines()[1:]
    return [line.split(";")[2] for line in lines]


@pytest.fixture
def code_poll(p: Participatie) -> Callable[..., tuple[Poll, list[str]]]:
    def build(count: int = 5, **overrides: object) -> tuple[Poll, list[str]]:
        poll = make_poll(p, **overrides)
        codes = issue(p, poll, count)
        p.polls.open(poll.id, actor="projectleider")
        return poll, codes

    return build
