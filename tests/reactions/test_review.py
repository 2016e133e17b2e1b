"""Themes renamed and merged, answers offered for review and approved by another person
(the four-eyes rule), publishing refused until every answer is approved, the preview of
what publishing sends, and the assessment overview; on every database."""

from __future__ import annotations

import uuid

import pytest

from participatie.engine import Participatie
from participatie.errors import InvalidInput
from participatie.reactions.errors import (
    AnswerNotReady,
    AnswersNotApproved,
    FourEyes,
    ThemeMergeRefused,
    UnknownTheme,
)
from participatie.reactions.schemas import AnswerIn, PointIn, ReactionIn, SubmitterIn, ThemeIn


def _reaction(p: Participatie, dossier: uuid.UUID, *points: PointIn, **person: object) -> int:
    who = {"name": "Inwoner", "email": "inwoner@example.nl"}
    who.update(person)  # type: ignore[arg-type]
    data = ReactionIn(
        channel="paper",
        text=" ".join(pt.text for pt in points),
        submitters=[SubmitterIn.model_validate(who)],
        points=list(points),
    )
    return p.reactions.register(dossier, data, actor="typist").reaction.number


def test_rename_theme_keeps_code_points_and_answer(p: Participatie, dossier: uuid.UUID) -> None:
    _reaction(p, dossier, PointIn(text="Meer veldjes", theme="losloop"))
    renamed = p.reactions.rename_theme(
        dossier,
        "LOSLOOP",
        title="Losloopgebieden in de wijk",
        summary="Waar mag de hond los?",
        actor="test",
    )
    assert (renamed.code, renamed.number, renamed.points, renamed.reactions) == (
        "losloop",
        1,
        1,
        1,
    )
    assert p.reactions.themes(dossier)[0].title == "Losloopgebieden in de wijk"
    with pytest.raises(InvalidInput) as refused:
        p.reactions.rename_theme(dossier, "losloop", title="  ", actor="test")
    assert refused.value.field == "title"
    with pytest.raises(UnknownTheme):
        p.reactions.rename_theme(dossier, "geen", title="X", actor="test")
    events = p.audit.events(subject_type="reactions_dossier", subject_id=dossier)
    assert [e.action for e in events].count("reactions.theme_renamed") == 1


def test_giving_a_theme_to_an_assessor_returns_it_counted(
    p: Participatie, dossier: uuid.UUID
) -> None:
    _reaction(p, dossier, PointIn(text="Meer veldjes", theme="losloop"))
    _reaction(
        p,
        dossier,
        PointIn(text="Losloop bij het park", theme="losloop"),
        PointIn(text="Nog een veldje", theme="losloop"),
        email="buurman@example.nl",
    )
    given = p.reactions.assign_theme(dossier, "losloop", assessor="m.hoekstra", actor="lead")
    listed = next(t for t in p.reactions.themes(dossier) if t.code == "losloop")
    assert (given.assessor, given.points, given.reactions) == ("m.hoekstra", 3, 2)
    assert (listed.points, listed.reactions) == (given.points, given.reactions)


def test_merge_moves_points_and_keeps_one_answer(p: Participatie, dossier: uuid.UUID) -> None:
    p.reactions.create_theme(dossier, ThemeIn(code="veldjes", title="Hondenveldjes"), actor="test")
    _reaction(p, dossier, PointIn(text="Meer veldjes", theme="veldjes"))
    _reaction(p, dossier, PointIn(text="Losloop bij het park", theme="losloop"))
    _reaction(
        p,
        dossier,
        PointIn(text="Een veldje in Paddepoel", theme="veldjes"),
        PointIn(text="Opruimen", theme="opruim"),
    )
    kept = p.reactions.draft_answer(
        dossier, AnswerIn(theme="losloop", outcome="honoured", motivation="Ja."), actor="a"
    )
    p.reactions.draft_answer(
        dossier, AnswerIn(theme="veldjes", outcome="not_honoured", motivation="Nee."), actor="a"
    )
    p.reactions.mark_ready(dossier, [kept.id], actor="a")
    p.reactions.approve_answers(dossier, [kept.id], actor="b")
    merged = p.reactions.merge_themes(dossier, "veldjes", "losloop", actor="lead")
    assert (merged.code, merged.points, merged.reactions) == ("losloop", 3, 3)
    assert [t.code for t in p.reactions.themes(dossier)] == ["losloop", "opruim"]
    assert {pt.theme for pt in p.reactions.points(dossier)} == {"losloop", "opruim"}
    answers = p.reactions.answers(dossier)
    assert [(a.theme, a.motivation) for a in answers] == [("losloop", "Ja.")]
    # It answers more points now: back to draft, with its version kept.
    assert (answers[0].status, answers[0].approved_by, answers[0].version) == ("draft", None, 1)
    # A new theme takes a number no theme has.
    p.reactions.merge_themes(dossier, "opruim", "losloop", actor="test")
    new = p.reactions.create_theme(dossier, ThemeIn(code="nieuw", title="Nieuw"), actor="test")
    assert new.number == 2
    with pytest.raises(ThemeMergeRefused):
        p.reactions.merge_themes(dossier, "nieuw", "nieuw", actor="test")
    with pytest.raises(UnknownTheme):
        p.reactions.merge_themes(dossier, "veldjes", "losloop", actor="test")


def test_merge_carries_the_only_answer_along(p: Participatie, dossier: uuid.UUID) -> None:
    _reaction(p, dossier, PointIn(text="Opruimen", theme="opruim"))
    answer = p.reactions.draft_answer(
        dossier, AnswerIn(theme="opruim", outcome="noted", motivation="Gezien."), actor="a"
    )
    p.reactions.merge_themes(dossier, "opruim", "losloop", actor="test")
    moved = p.reactions.get_answer(answer.id)
    assert (moved.theme, moved.version, moved.motivation) == ("losloop", 1, "Gezien.")
    assert len(p.reactions.answer_history(answer.id)) == 1


def test_four_eyes_on_answers(p: Participatie, dossier: uuid.UUID) -> None:
    _reaction(p, dossier, PointIn(text="Meer veldjes", theme="losloop"))
    number = _reaction(p, dossier, PointIn(text="Een bankje"), email="bert@example.nl")
    point = p.reactions.points(
        dossier, reaction_id=p.reactions.reaction_by_number(dossier, number).id
    )[0]
    theme_answer = p.reactions.draft_answer(
        dossier, AnswerIn(theme="losloop", outcome="honoured", motivation="Ja."), actor="J.Jansen"
    )
    point_answer = p.reactions.draft_answer(
        dossier,
        AnswerIn(point_id=point.id, outcome="out_of_scope", motivation="Niet dit plan."),
        actor="J.Jansen",
    )
    ids = [theme_answer.id, point_answer.id]
    with pytest.raises(AnswerNotReady):
        p.reactions.approve_answers(dossier, ids, actor="k.bakker")
    with pytest.raises(AnswersNotApproved):
        p.reactions.publish_answers(dossier, actor="k.bakker", four_eyes=True)
    ready = p.reactions.mark_ready(dossier, ids, actor="J.Jansen")
    assert [(a.status, a.ready_by, a.version) for a in ready] == [("ready", "J.Jansen", 1)] * 2
    # The same person in another spelling is still the same person.
    for same in ("j.jansen", " J.JANSEN ", "Ｊ.Jansen"):
        with pytest.raises(FourEyes):
            p.reactions.approve_answers(dossier, ids, actor=same)
    assert {a.status for a in p.reactions.answers(dossier)} == {"ready"}
    approved = p.reactions.approve_answers(dossier, ids[:1], actor="k.bakker")
    assert (approved[0].status, approved[0].approved_by) == ("approved", "k.bakker")
    with pytest.raises(AnswersNotApproved) as waiting:
        p.reactions.publish_answers(dossier, actor="k.bakker", four_eyes=True)
    assert waiting.value.code == "reaction.answers_not_approved"
    # Sent back, changed, offered again: the approval was of the old text.
    p.reactions.return_answers(dossier, ids[1:], actor="k.bakker")
    changed = p.reactions.update_answer(
        point_answer.id,
        AnswerIn(point_id=point.id, outcome="noted", motivation="Meegenomen."),
        expected_version=1,
        actor="J.Jansen",
    )
    assert (changed.status, changed.version) == ("draft", 2)
    p.reactions.mark_ready(dossier, ids[1:], actor="J.Jansen")
    p.reactions.approve_answers(dossier, ids[1:], actor="k.bakker")
    preview = p.reactions.preview_publication(dossier)
    assert (preview.answers, preview.reactions, preview.emails, preview.letters) == (2, 2, 2, 0)
    assert {n.recipient for n in preview.notices} == {"inwoner@example.nl", "bert@example.nl"}
    assert any("Meegenomen." in n.text for n in preview.notices)
    counted = p.reactions.preview_publication(dossier, texts=False)
    assert [(n.channel, n.reaction_number) for n in counted.notices] == [
        (n.channel, n.reaction_number) for n in preview.notices
    ]
    assert (counted.emails, counted.letters, counted.answers) == (2, 0, 2)
    result = p.reactions.publish_answers(dossier, actor="k.bakker", four_eyes=True)
    assert (result.answers, result.emails) == (2, 2)
    assert {a.status for a in p.reactions.answers(dossier)} == {"published"}
    actions = [
        e.action for e in p.audit.events(subject_type="reactions_dossier", subject_id=dossier)
    ]
    for action in ("reactions.answers_ready", "reactions.answers_approved"):
        assert action in actions


def test_an_edit_withdraws_an_approval(p: Participatie, dossier: uuid.UUID) -> None:
    _reaction(p, dossier, PointIn(text="Meer veldjes", theme="losloop"))
    answer = p.reactions.draft_answer(
        dossier, AnswerIn(theme="losloop", outcome="honoured", motivation="Ja."), actor="a"
    )
    p.reactions.mark_ready(dossier, [answer.id], actor="a")
    p.reactions.approve_answers(dossier, [answer.id], actor="b")
    # The approver edits: now the approver wrote it, so someone else approves again.
    p.reactions.update_answer(
        answer.id,
        AnswerIn(theme="losloop", outcome="honoured", motivation="Ja, vier."),
        expected_version=1,
        actor="b",
    )
    p.reactions.mark_ready(dossier, [answer.id], actor="b")
    with pytest.raises(FourEyes):
        p.reactions.approve_answers(dossier, [answer.id], actor="b")
    assert p.reactions.approve_answers(dossier, [answer.id], actor="a")[0].status == "approved"


def test_preview_shows_letters_for_postal_submitters(p: Participatie, dossier: uuid.UUID) -> None:
    _reaction(
        p,
        dossier,
        PointIn(text="Meer veldjes", theme="losloop"),
        email=None,
        street="Grote Markt",
        house_number="1",
        postcode="9711 LV",
        city="Groningen",
    )
    p.reactions.draft_answer(
        dossier, AnswerIn(theme="losloop", outcome="honoured", motivation="Vier."), actor="a"
    )
    preview = p.reactions.preview_publication(dossier)
    assert (preview.emails, preview.letters, preview.not_reachable) == (0, 1, 0)
    assert p.reactions.preview_publication(dossier, texts=False).letters == 1
    letter = preview.notices[0]
    assert letter.channel == "letter" and "9711LV" in letter.recipient.replace(" ", "")
    assert "Vier." in letter.text and "<" not in letter.text


def test_reaction_overview(p: Participatie, dossier: uuid.UUID) -> None:
    first = _reaction(p, dossier, PointIn(text="Meer veldjes", theme="losloop"))
    second = _reaction(p, dossier, PointIn(text="x" * 300), PointIn(text="Opruimen"))
    p.reactions.register(
        dossier, ReactionIn(channel="letter", text="Zonder punten"), actor="typist"
    )
    p.reactions.draft_answer(
        dossier, AnswerIn(theme="losloop", outcome="honoured", motivation="Ja."), actor="a"
    )
    lines = p.reactions.reaction_overview(dossier)
    assert [(line.number, line.points, line.unanswered) for line in lines] == [
        (first, 1, 0),
        (second, 2, 2),
        (second + 1, 0, 0),
    ]
    assert len(lines[1].excerpt) == 160 and lines[2].channel == "letter"


def test_answer_templates_are_listed(p: Participatie, dossier: uuid.UUID) -> None:
    p.reactions.save_answer_template(
        dossier, "nee", "Niet in {thema}, omdat {reden}.", actor="test"
    )
    p.reactions.save_answer_template(dossier, "ja", "Wij nemen {thema} over.", actor="test")
    listed = p.reactions.answer_templates(dossier)
    assert [(t.name, t.placeholders) for t in listed] == [
        ("ja", ["thema"]),
        ("nee", ["thema", "reden"]),
    ]


def test_pending_letters_by_kind(p: Participatie, dossier: uuid.UUID) -> None:
    assert p.reactions.pending_letters(dossier) == {
        "acknowledgement": 0,
        "delay": 0,
        "feedback": 0,
    }
    _reaction(
        p,
        dossier,
        PointIn(text="Meer veldjes", theme="losloop"),
        email=None,
        house_number="1",
        postcode="9711 LV",
    )
    assert p.reactions.pending_letters(dossier)["acknowledgement"] == 1


def test_undecided_lists_late_reactions_without_a_decision(p: Participatie) -> None:
    from datetime import date

    from tests.reactions.conftest import new_dossier

    # The period ended before the test clock's today: every registration is late.
    dossier = new_dossier(p, period_start=date(2025, 1, 6), period_end=date(2025, 2, 17))
    first = _reaction(p, dossier, PointIn(text="Te laat"))
    second = _reaction(p, dossier, PointIn(text="Ook te laat"))
    assert [r.number for r in p.reactions.undecided(dossier)] == [first, second]
    p.reactions.decide_admissibility(
        p.reactions.reaction_by_number(dossier, first).id,
        admissible=False,
        reason="Te laat.",
        actor="a",
    )
    assert [r.number for r in p.reactions.undecided(dossier)] == [second]
