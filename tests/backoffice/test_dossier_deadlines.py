"""Deadlines of a dossier: each target has its own count and kind (5 working days to
acknowledge, 6 calendar weeks to answer), old dossiers keep their one way of counting
through the migration, and the rappelsysteem's dashboard and extension with the delay
notice (preview, then send) on every database."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from alembic import command
from fastapi.testclient import TestClient

from participatie.clock import FixedClock
from participatie.engine import Participatie
from participatie.migrations import alembic_config, current, downgrade, upgrade
from participatie.reactions.deadlines import WorkingDays
from participatie.reactions.schemas import ReactionIn, SubmitterIn
from tests.backoffice.dossier_support import EDITOR, api_dossier, token

H = {"x-test-staff": EDITOR}


def test_dossier_deadline_kinds_count_as_the_law_says() -> None:
    calendar = WorkingDays()
    friday = date(2026, 4, 24)
    # Koningsdag (Monday 27 April 2026) is no working day.
    assert calendar.due_date(friday, 5, "working") == date(2026, 5, 4)
    # Six weeks from 24 March end on Bevrijdingsdag: the next working day.
    assert calendar.due_date(date(2026, 3, 24), 6, "weeks") == date(2026, 5, 6)
    assert calendar.due_date(date(2026, 3, 24), 42, "calendar") == date(2026, 5, 6)
    assert calendar.due_date(date(2026, 3, 3), 6, "weeks") == date(2026, 4, 14)
    with pytest.raises(ValueError, match="counting"):
        calendar.due_date(friday, 5, "months")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="negative"):
        calendar.due_date(friday, -1, "weeks")


def test_dossier_targets_have_their_own_kind(p: Participatie, clock: FixedClock) -> None:
    dossier = uuid.UUID(
        api_dossier(
            p,
            acknowledgement_days=5,
            acknowledgement_day_count="working",
            answer_days=6,
            answer_day_count="weeks",
        )
    )
    received = p.reactions.register(
        dossier,
        ReactionIn(channel="paper", text="Meer prullenbakken", submitters=[SubmitterIn()]),
        actor="balie",
    ).reaction
    # Tuesday 3 March 2026: 5 working days, and 6 calendar weeks.
    assert received.acknowledgement_due == date(2026, 3, 10)
    assert received.answer_due == date(2026, 4, 14)
    found = p.reactions.get_dossier(dossier)
    assert (found.acknowledgement_day_count, found.answer_day_count) == ("working", "weeks")
    # The old single setting still sets both.
    legacy = p.reactions.get_dossier(uuid.UUID(api_dossier(p, title="Oud", day_count="working")))
    assert (legacy.acknowledgement_day_count, legacy.answer_day_count) == ("working", "working")


def test_dossier_migration_keeps_the_old_way_of_counting(p: Participatie) -> None:
    """A dossier of before revision 0010 keeps counting both targets its one way."""

    api_dossier(p, day_count="working")
    if current(p.engine) is None:
        # The test database was made from the models: say which revision that is.
        with p.engine.begin() as connection:
            command.stamp(alembic_config(connection), "head")
    downgrade(p.engine, "0009")
    try:
        with p.engine.connect() as conn:
            kinds = conn.execute(sa.text("SELECT day_count FROM participatie_reactions_dossier"))
            assert [row[0] for row in kinds] == ["working"]
            conn.execute(sa.text("UPDATE participatie_reactions_dossier SET day_count = 'working'"))
            conn.commit()
    finally:
        upgrade(p.engine, "head")
    [summary] = p.reactions.list_dossiers()
    found = p.reactions.get_dossier(summary.id)
    assert (found.acknowledgement_day_count, found.answer_day_count) == ("working", "working")
    assert found.published and found.reaction_form


def test_dossier_dashboard_and_extension_with_delay_notice(
    p: Participatie, bo_client: TestClient, clock: FixedClock
) -> None:
    dossier = api_dossier(p)
    for n in range(3):
        p.reactions.register(
            uuid.UUID(dossier),
            ReactionIn(
                channel="paper",
                text=f"Reactie {n}",
                submitters=[SubmitterIn(name=f"Bewoner {n}", email=f"bewoner{n}@example.nl")],
            ),
            actor="balie",
        )
    # 6 weeks and 8 days later every answer is overdue at level 2.
    clock.advance(timedelta(weeks=6, days=8))
    page = bo_client.get(f"/beheer/dossiers/{dossier}/termijnen", headers=H)
    assert page.status_code == 200
    assert "Niveau 2" in page.text and "Antwoorden te laat: 3" in page.text
    everywhere = bo_client.get("/beheer/termijnen", headers=H).text
    assert "Hondenbeleid" in everywhere
    home = bo_client.get("/beheer/", headers=H).text
    assert "termijnen verlopen" in home

    new_due = (p.reactions.today() + timedelta(days=21)).isoformat()
    form = {
        "csrf_token": token(bo_client, f"/beheer/dossiers/{dossier}/termijnen"),
        "new_due": new_due,
        "numbers": "",
        "reason": "Er kwamen veel meer reacties dan verwacht.",
        "step": "preview",
    }
    preview = bo_client.post(
        f"/beheer/dossiers/{dossier}/termijnen/verlengen", headers=H, data=form
    )
    assert preview.status_code == 200
    assert "voor 3 reacties" in preview.text and "3 e-mails" in preview.text
    assert "komt later" in preview.text and "Er kwamen veel meer reacties" in preview.text
    assert p.outbox.messages(template="reactions_delay") == []

    stale = form | {"step": "confirm", "expected": "2"}
    again = bo_client.post(f"/beheer/dossiers/{dossier}/termijnen/verlengen", headers=H, data=stale)
    assert again.status_code == 200 and "veranderd" in again.text
    assert p.outbox.messages(template="reactions_delay") == []

    confirm = form | {"step": "confirm", "expected": "3"}
    done = bo_client.post(
        f"/beheer/dossiers/{dossier}/termijnen/verlengen",
        headers=H,
        data=confirm,
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert len(p.outbox.messages(template="reactions_delay")) == 3
    assert {r.answer_due.isoformat() for r in p.reactions.reactions(uuid.UUID(dossier))} == {
        new_due
    }
    after = bo_client.get(done.headers["location"], headers=H).text
    assert "verlengd" in after and "Antwoorden te laat: 0" in after


def test_dossier_extension_refusals_name_the_field(p: Participatie, bo_client: TestClient) -> None:
    dossier = api_dossier(p)
    form = {
        "csrf_token": token(bo_client, f"/beheer/dossiers/{dossier}/termijnen"),
        "new_due": p.reactions.today().isoformat(),
        "reason": "Drukte",
        "step": "preview",
    }
    path = f"/beheer/dossiers/{dossier}/termijnen/verlengen"
    answer = bo_client.post(path, headers=H, data=form)
    assert answer.status_code == 422 and "Nieuwe uiterste datum" in answer.text
    answer = bo_client.post(path, headers=H, data=form | {"new_due": "2026-12-01", "reason": ""})
    assert answer.status_code == 422 and "Reden voor de indieners" in answer.text
