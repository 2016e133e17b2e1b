"""The rules around the flows: send caps on confirmation mails, a delayed phase as news,
and a failing audit listener undoing the change it listened to."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from participatie.audit import AuditEvent
from participatie.engine import Participatie
from participatie.reactions.models import DossierRow
from participatie.reactions.schemas import PhaseIn
from participatie.subscriptions.schemas import SubscriptionIn

from .conftest import counts, new_dossier

pytestmark = pytest.mark.usefixtures("areas")


def test_confirmation_mails_are_capped(p: Participatie) -> None:
    cap = p.settings.send_caps.per_address
    for _ in range(cap + 3):
        assert (
            p.subscriptions.subscribe(
                SubscriptionIn(email="fenna@example.nl", areas=["*"]), ip="10.1.2.3"
            )
            is None
        )
    assert len(p.outbox.messages(template="subscriptions_confirm")) == cap
    assert p.send_caps.stats().suppressed_by_address == 3


def test_a_delayed_phase_is_news_once(p: Participatie) -> None:
    dossier = new_dossier(p, ["paddepoel"])
    phase = PhaseIn(name="Aanleg", planned_date=date(2026, 6, 1))
    p.reactions.set_phase(dossier, phase, actor="lead")
    delayed = PhaseIn(
        name="Aanleg",
        planned_date=date(2026, 6, 1),
        status="delayed",
        delay_reason="Grond",
        expected_date=date(2026, 9, 1),
    )
    p.reactions.set_phase(dossier, delayed, position=1, actor="lead")
    p.reactions.set_phase(dossier, delayed, position=1, actor="lead")
    kinds = [e.kind for e in p.subscriptions.events()]
    assert kinds == ["dossier.created", "dossier.phase_delayed"]


def test_a_failing_listener_undoes_the_change(p: Participatie) -> None:
    def refuse(session: Session, event: AuditEvent) -> None:
        if event.action == "reactions.dossier_created":
            raise RuntimeError("listener failed")

    p.audit.subscribe(refuse)
    with pytest.raises(RuntimeError):
        new_dossier(p, ["paddepoel"])
    with p.session_scope(readonly=True) as s:
        assert s.execute(select(func.count()).select_from(DossierRow)).scalar_one() == 0
    assert p.subscriptions.events() == []
    assert counts(p) == (0, 0, 0)
