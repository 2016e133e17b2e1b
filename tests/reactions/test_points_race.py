"""Points split off one reaction at the same moment each get a position of their own."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

from participatie.engine import Participatie
from participatie.reactions.schemas import PointIn
from tests.reactions.conftest import web


def test_parallel_points_of_one_reaction_all_land(p: Participatie, dossier: uuid.UUID) -> None:
    number = p.reactions.submit(dossier, web()).reaction.number

    def add(n: int) -> int:
        return p.reactions.add_point(
            p.reactions.reaction_by_number(dossier, number).id,
            PointIn(text=f"Punt {n}"),
            actor="test",
        ).position

    with ThreadPoolExecutor(4) as pool:
        positions = list(pool.map(add, range(12)))
    assert sorted(positions) == list(range(1, 13))
