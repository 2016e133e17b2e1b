"""The Python API addresses a reaction by its id; the number is for display, and
``reaction_by_number`` is the one way from a quoted number to the reaction."""

from __future__ import annotations

import inspect
import io
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from participatie.clock import FixedClock
from participatie.engine import Participatie
from participatie.errors import InvalidInput
from participatie.reactions.errors import AlreadyPublished, DossierNotFound, ReactionNotFound
from participatie.reactions.schemas import AnswerIn, PointIn, ThemeIn
from tests.reactions.conftest import new_dossier, web


def test_every_call_takes_the_id_and_every_output_carries_it(
    p: Participatie, dossier: uuid.UUID, clock: FixedClock
) -> None:
    first = p.reactions.submit(dossier, web("Meer losloopgebieden.")).reaction
    second = p.reactions.submit(dossier, web("Meer afvalbakken.", email="b@example.nl")).reaction
    assert p.reactions.reaction(second.id).number == second.number == 2
    assert p.reactions.reaction_by_number(dossier, 2).id == second.id

    point = p.reactions.add_point(second.id, PointIn(text="Afval", theme="opruim"), actor="a")
    assert (point.reaction_id, point.reaction_number, point.position) == (second.id, 2, 1)
    assert [pt.id for pt in p.reactions.points(dossier, reaction_id=second.id)] == [point.id]
    assert p.reactions.points(dossier, reaction_id=first.id) == []

    decided = p.reactions.decide_admissibility(
        first.id, admissible=True, reason="Op tijd.", actor="lead"
    )
    assert (decided.id, decided.admissible) == (first.id, True)
    assert {s.reaction_id for s in p.reactions.submitters(dossier)} == {first.id, second.id}
    lines = p.reactions.reaction_overview(dossier)
    assert [(line.reaction_id, line.number) for line in lines] == [(first.id, 1), (second.id, 2)]

    # Only the reaction named moves; the preview names it by id and number.
    clock.set(datetime(2026, 4, 1, 9, 0, tzinfo=UTC))
    preview = p.reactions.preview_extension(
        dossier, new_due=date(2026, 6, 1), reason="Drukte.", reaction_ids=[second.id]
    )
    assert (preview.reaction_ids, preview.numbers) == ([second.id], [2])
    p.reactions.extend_answer_deadline(
        dossier, new_due=date(2026, 6, 1), reason="Drukte.", reaction_ids=[second.id], actor="l"
    )
    assert p.reactions.reaction(second.id).answer_due == date(2026, 6, 1)
    assert p.reactions.reaction(first.id).answer_due < date(2026, 6, 1)

    # Publication's notices say which reaction they answer.
    p.reactions.add_point(first.id, PointIn(text="Losloop", theme="losloop"), actor="a")
    for theme in ("losloop", "opruim"):
        p.reactions.draft_answer(
            dossier, AnswerIn(theme=theme, outcome="noted", motivation="Gezien."), actor="a"
        )
    notices = p.reactions.preview_publication(dossier).notices
    assert {n.reaction_id for n in notices} == {first.id, second.id}
    assert all(p.reactions.reaction(n.reaction_id).number == n.reaction_number for n in notices)


def test_an_id_of_nothing_or_of_another_dossier_is_refused_by_name(
    p: Participatie, dossier: uuid.UUID, clock: FixedClock
) -> None:
    own = p.reactions.submit(dossier, web()).reaction
    other = new_dossier(p, title="Parkeren")
    stranger = p.reactions.submit(other, web("Elders.")).reaction
    for wrong in (uuid.uuid4(), "geen-uuid", 1):
        with pytest.raises(ReactionNotFound) as info:
            p.reactions.reaction(wrong)  # type: ignore[arg-type]
        assert (info.value.code, info.value.field) == ("reaction.not_found", "reaction_id")
        with pytest.raises(ReactionNotFound):
            p.reactions.add_point(wrong, PointIn(text="x"), actor="a")  # type: ignore[arg-type]
        with pytest.raises(ReactionNotFound):
            p.reactions.decide_admissibility(
                wrong,  # type: ignore[arg-type]
                admissible=False,
                reason="x",
                actor="a",
            )
    with pytest.raises(ReactionNotFound) as info:
        p.reactions.reaction_by_number(dossier, 7)
    assert info.value.field == "number"

    clock.set(datetime(2026, 4, 1, 9, 0, tzinfo=UTC))
    ids = [own.id, stranger.id]
    with pytest.raises(ReactionNotFound) as info:
        p.reactions.preview_extension(
            dossier, new_due=date(2026, 6, 1), reason="Drukte.", reaction_ids=ids
        )
    assert info.value.field == "reaction_ids"
    assert str(stranger.id) in info.value.message
    with pytest.raises(ReactionNotFound) as info:
        p.reactions.extend_answer_deadline(
            dossier, new_due=date(2026, 6, 1), reason="Drukte.", reaction_ids=ids, actor="lead"
        )
    assert (info.value.field, str(own.id) in info.value.message) == ("reaction_ids", False)
    # Nothing moved, in either dossier.
    assert p.reactions.reaction(own.id).answer_due == own.answer_due
    assert p.reactions.reaction(stranger.id).answer_due == stranger.answer_due
    assert p.outbox.messages(template="reactions_delay") == []


def test_no_call_but_the_lookup_takes_a_reaction_number(p: Participatie) -> None:
    """The one way from a displayed number to a reaction; every other call takes ids."""

    takes_number = []
    for name, method in inspect.getmembers(p.reactions, inspect.ismethod):
        if name.startswith("_"):
            continue
        params = inspect.signature(method).parameters
        if {"number", "numbers", "reaction_number"} & set(params):
            takes_number.append(name)
    assert takes_number == ["reaction_by_number"]


def test_ids_as_text_work_and_anything_else_is_not_found_on_every_database(
    p: Participatie, dossier: uuid.UUID, tmp_path: Path
) -> None:
    """Every call reads ``dossier_id``, ``reaction_id`` and ``reaction_ids`` alike: a UUID
    or its text; anything else is not found by name, never a database error."""

    reaction = p.reactions.submit(dossier, web()).reaction
    text = str(dossier)
    assert p.reactions.reaction_by_number(text, 1).id == reaction.id  # type: ignore[arg-type]
    assert [r.id for r in p.reactions.reactions(text)] == [reaction.id]  # type: ignore[arg-type]
    assert p.reactions.stats(f" {text} ").reactions == 1  # type: ignore[arg-type]
    assert p.reactions.reaction(str(reaction.id)).id == reaction.id  # type: ignore[arg-type]
    calls: list[Callable[[object], object]] = [
        lambda d: p.reactions.write_nota(d, io.BytesIO()),  # type: ignore[arg-type]
        lambda d: p.reactions.write_letters(d, tmp_path / "l", actor="a"),  # type: ignore[arg-type]
        lambda d: p.reactions.reaction_by_number(d, 1),  # type: ignore[arg-type]
        lambda d: list(p.reactions.reactions(d)),  # type: ignore[arg-type]
        lambda d: p.reactions.stats(d),  # type: ignore[arg-type]
        lambda d: p.reactions.create_theme(d, ThemeIn(code="x", title="X"), actor="a"),  # type: ignore[arg-type]
        lambda d: p.reactions.submit(d, web()),  # type: ignore[arg-type]
        lambda d: p.reactions.pending_letters(d),  # type: ignore[arg-type]
        lambda d: p.reactions.overdue(d),  # type: ignore[arg-type]
    ]
    for wrong in ("abc", b"\x00" * 16, 7, 1.5):
        for call in calls:
            with pytest.raises(DossierNotFound) as info:
                call(wrong)
            assert info.value.field == "dossier_id", (wrong, info.value)
    with pytest.raises(ReactionNotFound) as found:
        p.reactions.preview_extension(
            dossier,
            new_due=date(2026, 6, 1),
            reason="R",
            reaction_ids=["abc"],  # type: ignore[list-item]
        )
    assert found.value.field == "reaction_ids"
    for number in ("1", True, 1.0):
        with pytest.raises(ReactionNotFound) as found:
            p.reactions.reaction_by_number(dossier, number)  # type: ignore[arg-type]
        assert found.value.field == "number"
    with pytest.raises(InvalidInput) as refused:
        p.reactions.decide_admissibility(
            reaction.id,
            admissible=False,
            reason=None,  # type: ignore[arg-type]
            actor="a",
        )
    assert refused.value.field == "reason"


def test_no_change_to_points_or_themes_once_the_answers_are_out(
    p: Participatie, dossier: uuid.UUID
) -> None:
    """The nota and the letters were made from the round's points and themes: a point,
    theme or move added afterwards would never be answered, so it is refused."""

    reaction = p.reactions.submit(dossier, web()).reaction
    point = p.reactions.add_point(reaction.id, PointIn(text="Losloop", theme="losloop"), actor="a")
    p.reactions.draft_answer(
        dossier, AnswerIn(theme="losloop", outcome="honoured", motivation="Ja."), actor="a"
    )
    p.reactions.publish_answers(dossier, actor="lead")
    refused: list[tuple[Callable[[], object], str]] = [
        (
            lambda: p.reactions.add_point(reaction.id, PointIn(text="Later"), actor="a"),
            "reaction_id",
        ),
        (
            lambda: p.reactions.create_theme(
                dossier, ThemeIn(code="laat", title="Laat"), actor="a"
            ),
            "dossier_id",
        ),
        (lambda: p.reactions.assign_point(point.id, theme="opruim", actor="a"), "point_id"),
        (lambda: p.reactions.rename_theme(dossier, "losloop", title="Anders", actor="a"), "theme"),
    ]
    for call, field in refused:
        with pytest.raises(AlreadyPublished) as info:
            call()
        assert info.value.field == field
    assert [pt.id for pt in p.reactions.points(dossier)] == [point.id]
    assert {th.code for th in p.reactions.themes(dossier)} == {"losloop", "opruim"}
    # Who assesses a point may still be recorded.
    assert p.reactions.assign_point(point.id, assessor="b", actor="a").assessor == "b"
