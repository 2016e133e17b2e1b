from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from participatie.clock import FixedClock
from participatie.engine import Participatie
from participatie.errors import InvalidInput
from participatie.reactions.schemas import (
    AnswerIn,
    DossierUpdate,
    PhaseIn,
    PointIn,
    ReactionIn,
    SubmitterIn,
)
from participatie.testing import make_participatie
from tests.reactions.conftest import new_dossier, web


def test_overdue_with_escalation_reminders_and_extension(
    p: Participatie, dossier: uuid.UUID, clock: FixedClock
) -> None:
    emailed = p.reactions.submit(dossier, web()).reaction
    postal = p.reactions.register(
        dossier,
        ReactionIn(
            channel="paper",
            text="Per brief",
            submitters=[
                SubmitterIn(name="Piet", street="Laan", house_number="2", postcode="9742 AB")
            ],
        ),
        actor="desk",
    ).reaction
    # Acknowledgement due Monday 9 March: on Wednesday 18 March the letter is 9 days late.
    clock.set(datetime(2026, 3, 18, 9, 0, tzinfo=UTC))
    items = p.reactions.overdue(dossier)
    assert [(i.number, i.kind, i.days_overdue, i.level) for i in items] == [
        (postal.number, "acknowledgement", 9, 2)
    ]
    # Answers were due 14 April; on 6 May both are 22 days late: level 3.
    clock.set(datetime(2026, 5, 6, 9, 0, tzinfo=UTC))
    items = p.reactions.overdue(dossier)
    answer_items = [i for i in items if i.kind == "answer"]
    assert {i.number for i in answer_items} == {emailed.number, postal.number}
    assert {i.level for i in answer_items} == {3}
    runs = p.jobs.run_due(clock.now(), only="reactions.reminders")
    assert runs[0].status == "ok"
    [reminder] = p.outbox.messages(template="reactions_reminder")
    assert reminder.to_address == "projectleider@gemeente.example.nl"
    assert "3 reacties over de termijn" in reminder.subject
    # Same day again: never twice.
    p.jobs.run_due(clock.now() + timedelta(days=1, minutes=1), only="reactions.reminders")
    p.jobs.run_due(clock.now() + timedelta(hours=1), only="reactions.reminders")
    assert len(p.outbox.messages(template="reactions_reminder")) == 2

    with pytest.raises(InvalidInput) as info:
        p.reactions.extend_answer_deadline(
            dossier, new_due=date(2026, 6, 1), reason=" ", actor="lead"
        )
    assert info.value.field == "reason"
    extension = p.reactions.extend_answer_deadline(
        dossier,
        new_due=date(2026, 6, 1),
        reason="Veel meer reacties dan verwacht.",
        actor="lead",
    )
    assert extension.reactions == 2
    assert extension.emails == 1
    assert extension.letters_due == 1
    [delay] = p.outbox.messages(template="reactions_delay")
    assert "Veel meer reacties dan verwacht." in delay.text_body
    assert "1 juni 2026" in delay.text_body
    moved = p.reactions.reaction(emailed.id)
    assert (moved.answer_due, moved.answer_target) == (date(2026, 6, 1), date(2026, 4, 14))
    stats = p.reactions.stats(dossier)
    assert stats.extended == 2
    assert [i for i in p.reactions.overdue(dossier) if i.kind == "answer"] == []


def test_escalation_mail_goes_to_the_escalation_address(tmp_path: Path) -> None:
    """A setting: SQLite is enough (the queries are the ones tested on every dialect)."""

    from participatie.reactions.settings import ReactionSettings

    clock = FixedClock(datetime(2026, 3, 3, 8, 0, tzinfo=UTC))
    p = make_participatie(
        f"sqlite:///{tmp_path / 'escalation.db'}",
        clock=clock,
        reactions=ReactionSettings(escalation_email="teamleider@gemeente.example.nl"),
    )
    p.create_all()
    try:
        dossier = new_dossier(p)
        p.reactions.submit(dossier, web())
        clock.set(datetime(2026, 5, 20, 9, 0, tzinfo=UTC))
        p.jobs.run_due(clock.now(), only="reactions.reminders")
        to = sorted(m.to_address for m in p.outbox.messages(template="reactions_reminder"))
        assert to == ["projectleider@gemeente.example.nl", "teamleider@gemeente.example.nl"]
    finally:
        p.dispose()


def test_stale_dossier_reminder(p: Participatie, dossier: uuid.UUID, clock: FixedClock) -> None:
    clock.advance(timedelta(weeks=3))
    p.jobs.run_due(clock.now(), only="reactions.stale_dossiers")
    assert p.outbox.messages(template="reactions_stale") == []
    clock.advance(timedelta(weeks=2))
    p.jobs.run_due(clock.now(), only="reactions.stale_dossiers")
    [mail] = p.outbox.messages(template="reactions_stale")
    assert "Hondenbeleid" in mail.subject
    # Updating the dossier (a delayed phase with its reason) resets the clock.
    p.reactions.set_phase(
        dossier,
        PhaseIn(
            name="Nota",
            planned_date=date(2026, 6, 1),
            status="delayed",
            delay_reason="Meer reacties",
            expected_date=date(2026, 7, 1),
        ),
        actor="lead",
    )
    clock.advance(timedelta(weeks=1, minutes=1))
    p.jobs.run_due(clock.now(), only="reactions.stale_dossiers")
    assert len(p.outbox.messages(template="reactions_stale")) == 1
    phases = p.reactions.get_dossier(dossier).phases
    assert phases[-1].delay_reason == "Meer reacties"


def test_contact_details_removed_after_retention(
    p: Participatie, dossier: uuid.UUID, clock: FixedClock
) -> None:
    number = p.reactions.submit(dossier, web()).reaction.number
    assert [m.to_address for m in p.outbox.messages()] == ["anna@example.nl"]
    p.reactions.update_dossier(dossier, DossierUpdate(conclusion="Klaar."), actor="lead")
    p.reactions.record_decision(dossier, summary="Vastgesteld.", actor="lead")
    clock.advance(timedelta(days=300))
    p.jobs.run_due(clock.now(), only="reactions.remove_contacts")
    assert p.reactions.submitters(dossier)[0].email == "anna@example.nl"
    clock.advance(timedelta(days=70))
    runs = p.jobs.run_due(clock.now(), only="reactions.remove_contacts")
    assert runs[0].result == 1
    [sub] = p.reactions.submitters(dossier)
    assert (sub.name, sub.email, sub.postcode) == (None, None, None)
    # The acknowledgement mail carried the address and name: it is blanked too.
    [mail] = p.outbox.messages()
    assert (mail.to_address, mail.text_body) == ("", "")
    assert "anna" not in (mail.subject + (mail.html_body or "")).lower()
    # The anonymised reaction stays.
    assert p.reactions.reaction_by_number(dossier, number).text == "Meer losloopgebieden graag."
    assert p.reactions.get_dossier(dossier).contacts_removed_at is not None


def test_above_the_mass_threshold_postal_submitters_are_told_by_publication(
    tmp_path: Path,
) -> None:
    """Awb art. 3:44 lid 2 as a setting (SQLite: the queries are tested on every dialect)."""

    from participatie.reactions.schemas import AnswerIn, PointIn
    from participatie.reactions.settings import ReactionSettings

    p = make_participatie(
        f"sqlite:///{tmp_path / 'mass.db'}",
        reactions=ReactionSettings(mass_threshold=1, above_threshold="email_only"),
    )
    p.create_all()
    try:
        dossier = new_dossier(p)
        for i in range(2):
            p.reactions.register(
                dossier,
                ReactionIn(
                    channel="paper",
                    text="Los",
                    submitters=[
                        SubmitterIn(
                            name=f"P{i}", street="Laan", house_number=str(i + 1), postcode="9742 AB"
                        )
                    ],
                    points=[PointIn(text="Los", theme="losloop")],
                ),
                actor="desk",
            )
        p.reactions.submit(dossier, web())
        point = p.reactions.add_point(
            p.reactions.reaction_by_number(dossier, 3).id,
            PointIn(text="Meer losloop"),
            actor="test",
        )
        assert point.theme is None
        assert (
            p.reactions.assign_point(point.id, theme="losloop", assessor="b", actor="test").theme
            == "losloop"
        )
        p.reactions.draft_answer(
            dossier, AnswerIn(theme="losloop", outcome="honoured", motivation="Ja."), actor="a"
        )
        result = p.reactions.publish_answers(dossier, actor="lead")
        assert (result.emails, result.letters_due, result.by_publication) == (1, 0, 2)
        assert (
            p.reactions.write_letters(
                dossier, tmp_path / "brieven", kind="feedback", actor="test"
            ).letters
            == 0
        )
        assert all(r.answered_at is not None for r in p.reactions.reactions(dossier))
        with pytest.raises(InvalidInput) as info:
            new_dossier(p, areas=["atlantis"])
        assert info.value.field == "areas"
    finally:
        p.dispose()


def test_an_answer_replaces_a_delay_letter_not_yet_printed(
    p: Participatie, dossier: uuid.UUID, clock: FixedClock, tmp_path: Path
) -> None:
    """A postal submitter whose answer was postponed and then published before the
    letters were printed gets the answer, not a delay notice in the same batch."""

    postal = p.reactions.register(
        dossier,
        ReactionIn(
            channel="paper",
            text="Per brief",
            submitters=[
                SubmitterIn(name="Piet", street="Laan", house_number="2", postcode="9742 AB")
            ],
            points=[PointIn(text="Meer losloopgebieden")],
        ),
        actor="desk",
    ).reaction
    clock.set(datetime(2026, 5, 6, 9, 0, tzinfo=UTC))
    p.reactions.extend_answer_deadline(
        dossier, new_due=date(2026, 6, 1), reason="Veel reacties.", actor="lead"
    )
    assert p.reactions.pending_letters(dossier)["delay"] == 1
    [point] = p.reactions.points(dossier, reaction_id=postal.id)
    p.reactions.draft_answer(
        dossier,
        AnswerIn(point_id=point.id, outcome="honoured", motivation="Twee nieuwe gebieden."),
        actor="a",
    )
    p.reactions.publish_answers(dossier, actor="lead")
    waiting = p.reactions.pending_letters(dossier)
    assert (waiting["delay"], waiting["feedback"]) == (0, 1)
    batch = p.reactions.write_letters(dossier, tmp_path / "brieven", actor="desk")
    assert batch.per_kind.get("delay", 0) == 0 and batch.per_kind["feedback"] == 1
    assert not any("-delay-" in name for name in batch.files)
