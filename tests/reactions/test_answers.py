from __future__ import annotations

import threading
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from participatie.clock import FixedClock
from participatie.config import SmtpSettings
from participatie.engine import Participatie
from participatie.errors import Conflict, InvalidInput, InvalidState, StaleUpdate
from participatie.outbox.mailers import SmtpMailer
from participatie.reactions.errors import (
    AlreadyPublished,
    AnswersIncomplete,
    UnknownOutcome,
    UnknownTheme,
)
from participatie.reactions.schemas import AnswerIn, PointIn, ReactionIn, SubmitterIn, ThemeIn
from participatie.testing import SmtpSink


def _reaction(p: Participatie, dossier: uuid.UUID, email: str, *points: PointIn) -> int:
    data = ReactionIn(
        text=" ".join(pt.text for pt in points),
        submitters=[SubmitterIn(name="Inwoner", email=email)],
        points=list(points),
    )
    return p.reactions.submit(dossier, data).reaction.number


def test_answer_versions_and_history(p: Participatie, dossier: uuid.UUID) -> None:
    answer = p.reactions.draft_answer(
        dossier,
        AnswerIn(theme="losloop", outcome="honoured", motivation="Vier nieuwe gebieden."),
        actor="a",
    )
    assert answer.version == 1
    assert answer.status == "draft"
    updated = p.reactions.update_answer(
        answer.id,
        AnswerIn(
            theme="losloop",
            outcome="partially_honoured",
            motivation="Drie nieuwe gebieden.",
            changes_plan=True,
            change_reference="Kaart 2",
        ),
        expected_version=1,
        actor="b",
    )
    assert updated.version == 2
    history = p.reactions.answer_history(answer.id)
    assert [(h.version, h.outcome, h.changed_by) for h in history] == [
        (1, "honoured", "a"),
        (2, "partially_honoured", "b"),
    ]
    with pytest.raises(Conflict):
        p.reactions.draft_answer(
            dossier, AnswerIn(theme="losloop", outcome="noted", motivation="x"), actor="c"
        )


def test_second_editor_gets_a_stale_error_and_nothing_is_lost(
    p: Participatie, dossier: uuid.UUID
) -> None:
    answer = p.reactions.draft_answer(
        dossier, AnswerIn(theme="opruim", outcome="noted", motivation="Eerste tekst."), actor="a"
    )
    # Two assessors open the same answer, each in a session of their own.
    with p.session_scope(readonly=True) as first, p.session_scope(readonly=True) as second:
        seen_by_a = p.reactions.get_answer(answer.id, session=first)
        seen_by_b = p.reactions.get_answer(answer.id, session=second)
    assert seen_by_a.version == seen_by_b.version == 1
    p.reactions.update_answer(
        answer.id,
        AnswerIn(theme="opruim", outcome="honoured", motivation="Tekst van A."),
        expected_version=seen_by_a.version,
        actor="a",
    )
    with pytest.raises(StaleUpdate) as info:
        p.reactions.update_answer(
            answer.id,
            AnswerIn(theme="opruim", outcome="not_honoured", motivation="Tekst van B."),
            expected_version=seen_by_b.version,
            actor="b",
        )
    assert info.value.code == "conflict.stale"
    current = p.reactions.get_answer(answer.id)
    assert current.motivation == "Tekst van A."
    assert current.version == 2
    assert [h.motivation for h in p.reactions.answer_history(answer.id)] == [
        "Eerste tekst.",
        "Tekst van A.",
    ]


# SQLite serialises writers (BEGIN IMMEDIATE): B cannot read while A writes.
@pytest.mark.parametrize("dialect", ["postgresql", "mariadb"], indirect=True)
def test_concurrent_writers_in_flight(p: Participatie, dossier: uuid.UUID) -> None:
    """B reads while A's update is not yet committed: the version column stops B."""

    answer = p.reactions.draft_answer(
        dossier, AnswerIn(theme="opruim", outcome="noted", motivation="Begin."), actor="a"
    )
    a_flushed = threading.Event()
    errors: list[Exception] = []

    def writer_a() -> None:
        with p.session_scope() as s:
            p.reactions.update_answer(
                answer.id,
                AnswerIn(theme="opruim", outcome="honoured", motivation="A."),
                expected_version=1,
                actor="a",
                session=s,
            )
            a_flushed.set()
            time.sleep(0.5)

    def writer_b() -> None:
        a_flushed.wait(10)
        try:
            p.reactions.update_answer(
                answer.id,
                AnswerIn(theme="opruim", outcome="not_honoured", motivation="B."),
                expected_version=1,
                actor="b",
            )
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer_a), threading.Thread(target=writer_b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(errors) == 1
    assert isinstance(errors[0], StaleUpdate)
    assert p.reactions.get_answer(answer.id).motivation == "A."
    assert len(p.reactions.answer_history(answer.id)) == 2


def test_unknown_outcome_and_templates(p: Participatie, dossier: uuid.UUID) -> None:
    with pytest.raises(UnknownOutcome) as info:
        p.reactions.draft_answer(
            dossier, AnswerIn(theme="opruim", outcome="maybe", motivation="x"), actor="a"
        )
    assert info.value.field == "outcome"
    assert p.reactions.answers(dossier) == []
    template = p.reactions.save_answer_template(
        dossier,
        "buiten",
        "Uw punt over {onderwerp} valt buiten dit plan. {verwijzing}",
        actor="test",
    )
    assert template.placeholders == ["onderwerp", "verwijzing"]
    with pytest.raises(InvalidInput) as missing:
        p.reactions.fill_answer_template(dossier, "buiten", {"onderwerp": "blaffen"})
    assert missing.value.field == "values.verwijzing"
    text = p.reactions.fill_answer_template(
        dossier, "buiten", {"onderwerp": "blaffen", "verwijzing": "Zie buurtbemiddeling."}
    )
    assert text == "Uw punt over blaffen valt buiten dit plan. Zie buurtbemiddeling."


@pytest.mark.parametrize(
    "text", ["Zie {}.", "Zie {0}.", "Zie {a.__class__}.", "Zie {a[0]}.", "Zie {a!r}.", "{a:>99999}"]
)
def test_an_answer_template_takes_only_plain_names(
    p: Participatie, dossier: uuid.UUID, text: str
) -> None:
    """Braces hold a plain name, nothing else: no positions, attributes, items,
    conversions or widths (a width of millions would fill memory); ``{{`` is a brace."""

    with pytest.raises(InvalidInput) as refused:
        p.reactions.save_answer_template(dossier, "fout", text, actor="test")
    assert refused.value.field == "text"
    assert p.reactions.answer_templates(dossier) == []
    braces = p.reactions.save_answer_template(
        dossier, "accolade", "{{niet}} maar {wel}", actor="test"
    )
    assert braces.placeholders == ["wel"]
    filled = p.reactions.fill_answer_template(dossier, "accolade", {"wel": "{x} dit"})
    assert filled == "{niet} maar {x} dit"


def test_publish_needs_every_point_answered_then_tells_everyone_once(
    p: Participatie, dossier: uuid.UUID, smtp: SmtpSink, tmp_path: Path
) -> None:
    first = _reaction(
        p,
        dossier,
        "een@example.nl",
        PointIn(text="Meer losloopgebieden", theme="losloop"),
        PointIn(text="Hondenpoep bij school", theme="opruim"),
    )
    second = _reaction(p, dossier, "twee@example.nl", PointIn(text="Los in het park"))
    postal = p.reactions.register(
        dossier,
        ReactionIn(
            channel="paper",
            text="Ook meer losloopgebieden",
            submitters=[
                SubmitterIn(name="Piet", street="Dorpsstraat", house_number="1", postcode="9742 AB")
            ],
            points=[PointIn(text="Losloopgebied", theme="losloop")],
        ),
        actor="desk",
    ).reaction.number
    p.reactions.draft_answer(
        dossier,
        AnswerIn(
            theme="losloop",
            outcome="honoured",
            motivation="Vier nieuwe gebieden.",
            changes_plan=True,
            change_reference="Kaart 2",
        ),
        actor="a",
    )
    with pytest.raises(AnswersIncomplete) as info:
        p.reactions.publish_answers(dossier, actor="lead")
    assert f"reaction {first} point 2" in info.value.message
    assert f"reaction {second} point 1" in info.value.message
    p.reactions.draft_answer(
        dossier,
        AnswerIn(theme="opruim", outcome="not_honoured", motivation="Geen extra boa's."),
        actor="a",
    )
    [loose] = p.reactions.points(
        dossier, reaction_id=p.reactions.reaction_by_number(dossier, second).id
    )
    p.reactions.draft_answer(
        dossier,
        AnswerIn(point_id=loose.id, outcome="out_of_scope", motivation="Dat is de APV."),
        actor="b",
    )
    before = len(p.outbox.messages())
    result = p.reactions.publish_answers(dossier, actor="lead")
    assert result.answers == 3
    assert result.reactions == 3
    assert result.emails == 2
    assert result.letters_due == 1
    assert {a.status for a in p.reactions.answers(dossier)} == {"published"}
    feedback = p.outbox.messages(template="reactions_feedback")
    assert len(p.outbox.messages()) == before + 2
    [to_first] = [m for m in feedback if m.to_address == "een@example.nl"]
    assert "Overgenomen" in to_first.text_body
    assert "Niet overgenomen" in to_first.text_body
    assert "gehonoreerd" not in to_first.text_body.lower()
    assert "Kaart 2" in to_first.text_body
    with pytest.raises(AlreadyPublished):
        p.reactions.publish_answers(dossier, actor="lead")
    answer = p.reactions.answers(dossier)[0]
    with pytest.raises(AlreadyPublished):
        p.reactions.update_answer(
            answer.id,
            AnswerIn(
                theme=answer.theme,
                point_id=answer.point_id if answer.theme is None else None,
                outcome="noted",
                motivation="x",
            ),
            expected_version=answer.version,
            actor="a",
        )
    # Delivered through a real SMTP server, once.
    mailer = SmtpMailer(SmtpSettings(host=smtp.host, port=smtp.port))
    p.outbox.deliver(mailer=mailer)
    p.outbox.deliver(mailer=mailer)
    subjects = [str(m["Subject"]) for m in smtp.to("een@example.nl")]
    assert sum("Ons antwoord" in s for s in subjects) == 1
    assert p.reactions.reaction_by_number(dossier, first).answered_at is not None
    # The postal-only submitter is answered when the letter is printed.
    assert p.reactions.reaction_by_number(dossier, postal).answered_at is None
    batch = p.reactions.write_letters(dossier, tmp_path / "b", kind="feedback", actor="test")
    assert batch.letters == 1
    letter = (tmp_path / "b" / batch.files[0]).read_text(encoding="utf-8")
    assert "Vier nieuwe gebieden." in letter
    assert "Overgenomen" in letter and "gehonoreerd" not in letter.lower()
    assert p.reactions.reaction_by_number(dossier, postal).answered_at is not None
    stats = p.reactions.stats(dossier)
    assert stats.per_outcome == {
        "honoured": 2,
        "partially_honoured": 0,
        "not_honoured": 1,
        "noted": 0,
        "out_of_scope": 1,
    }
    assert stats.notified_by_email == 2
    assert stats.letters_by_kind["feedback"] == 1
    assert stats.answered == 3


def test_second_round_on_the_revised_proposal(
    p: Participatie, dossier: uuid.UUID, clock: FixedClock
) -> None:
    _reaction(p, dossier, "een@example.nl", PointIn(text="Losloop", theme="losloop"))
    p.reactions.draft_answer(
        dossier, AnswerIn(theme="losloop", outcome="honoured", motivation="Ja."), actor="a"
    )
    with pytest.raises(InvalidState):
        p.reactions.start_round(
            dossier, label="Tweede ronde", period_start=date(2026, 5, 1), actor="test"
        )
    p.reactions.publish_answers(dossier, actor="lead")
    clock.set(datetime(2026, 5, 4, 9, 0, tzinfo=UTC))
    revised = p.reactions.start_round(
        dossier, label="Tweede ronde", period_start=date(2026, 5, 4), actor="lead"
    )
    assert revised.round == 2
    assert revised.period_end == date(2026, 6, 15)
    # Round 1's theme is closed; round 2 gets themes and answers of its own.
    with pytest.raises(UnknownTheme):
        _reaction(p, dossier, "twee@example.nl", PointIn(text="Nog steeds", theme="losloop"))
    with pytest.raises(UnknownTheme):
        p.reactions.draft_answer(
            dossier, AnswerIn(theme="losloop", outcome="noted", motivation="x"), actor="a"
        )
    [old_point] = p.reactions.points(
        dossier, reaction_id=p.reactions.reaction_by_number(dossier, 1).id
    )
    with pytest.raises(AlreadyPublished):
        p.reactions.draft_answer(
            dossier, AnswerIn(point_id=old_point.id, outcome="noted", motivation="x"), actor="a"
        )
    p.reactions.create_theme(
        dossier, ThemeIn(code="losloop-2", title="Losloop, herzien"), actor="test"
    )
    number = _reaction(p, dossier, "twee@example.nl", PointIn(text="Beter", theme="losloop-2"))
    assert p.reactions.reaction_by_number(dossier, number).round == 2
    assert p.reactions.stats(dossier).reactions == 1
    assert p.reactions.stats(dossier, round=1).reactions == 1
    nota = p.reactions.nota(dossier)
    assert nota.round_label == "Tweede ronde"
    assert nota.rows == []
    assert [row.reactions for row in p.reactions.nota(dossier, round=1).rows] == [[1]]
    decided = p.reactions.record_decision(dossier, summary="Vastgesteld", actor="lead")
    assert decided.status == "decided"
