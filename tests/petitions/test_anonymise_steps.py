"""``petitions.anonymise`` works in steps, each a short transaction of its own, so a large
petition never holds SQLite's write lock for long; a run stopped half-way is finished by
the next, and the petition is marked anonymised (and audited) once, at the end. The
confirmation mail of a signature never confirmed goes too. On every dialect."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, func, select

from participatie.clock import FixedClock
from participatie.engine import Participatie
from participatie.outbox.models import OutboxMessageRow
from participatie.petitions import jobs as petition_jobs
from participatie.petitions import privacy
from participatie.petitions.models import PetitionRow, SignatureRow
from tests.petitions.conftest import open_petition, sign_and_confirm, signer

SIGNERS = 23


def answered_long_ago(p: Participatie, clock: FixedClock) -> Any:
    petition = open_petition(p)
    for n in range(SIGNERS):
        sign_and_confirm(p, petition, n)
    p.petitions.sign(petition.id, signer(99))  # never confirmed: its mail has the address
    p.outbox.deliver(1000)
    p.petitions.hand_over(petition.id, actor="griffie", to="raad")
    p.petitions.answer(petition.id, actor="griffie", text="Ja.")
    clock.advance(p.settings.petitions.anonymise_after + timedelta(days=1))
    return petition


def personal(p: Participatie, petition_id: Any) -> tuple[int, int, bool]:
    """Signatures with an address, mails to a signer, whether the petition is marked."""

    with p.session_scope(readonly=True) as s:
        signatures = s.execute(
            select(func.count())
            .select_from(SignatureRow)
            .where(SignatureRow.petition_id == petition_id, SignatureRow.email.is_not(None))
        ).scalar_one()
        mails = s.execute(
            select(func.count())
            .select_from(OutboxMessageRow)
            .where(OutboxMessageRow.to_address.like("inwoner%"))
        ).scalar_one()
        marked = s.execute(
            select(PetitionRow.anonymised_at).where(PetitionRow.id == petition_id)
        ).scalar_one()
    return int(signatures), int(mails), marked is not None


def test_anonymise_in_short_steps(
    areas: Participatie, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    p = areas
    monkeypatch.setattr(petition_jobs, "ANONYMISE_STEP", 5)
    petition = answered_long_ago(p, clock)
    signatures, mails, marked = personal(p, petition.id)
    assert (signatures, marked) == (SIGNERS + 1, False) and mails > SIGNERS
    commits: list[int] = []
    event.listen(p.engine, "commit", lambda conn: commits.append(1))
    (run,) = p.jobs.run_due(only="petitions.anonymise")
    assert run.status == "ok", run
    assert run.result == {str(petition.id): SIGNERS}
    assert personal(p, petition.id) == (0, 0, True)
    # Five steps of five signatures (the pending one among them) and the petition's own.
    assert len(commits) >= 5 + 1
    stats = p.petitions.stats(petition.id)
    assert (stats.verified, stats.pending) == (SIGNERS, 0)
    assert len(p.audit.events(action="petition.anonymised")) == 1
    assert p.petitions.verify_counts(petition.id).ok


def test_a_run_stopped_half_way_is_finished_by_the_next(
    areas: Participatie, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    p = areas
    monkeypatch.setattr(petition_jobs, "ANONYMISE_STEP", 5)
    petition = answered_long_ago(p, clock)
    erase = privacy.erase_messages
    calls: list[int] = []

    def failing(s: Any, **kwargs: Any) -> int:
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("the process stopped here")
        return erase(s, **kwargs)

    monkeypatch.setattr(privacy, "erase_messages", failing)
    (run,) = p.jobs.run_due(only="petitions.anonymise")
    assert run.status == "error"
    signatures, _, marked = personal(p, petition.id)
    assert 0 < signatures < SIGNERS + 1 and not marked  # two steps went through
    clock.advance(timedelta(days=1))
    (run,) = p.jobs.run_due(only="petitions.anonymise")
    assert run.status == "ok", run
    assert personal(p, petition.id) == (0, 0, True)
    (audited,) = p.audit.events(action="petition.anonymised")
    assert audited.data == {"signatures": SIGNERS}  # the petition's, not the last run's
    assert run.result == {str(petition.id): SIGNERS}
    stats = p.petitions.stats(petition.id)
    assert (stats.verified, stats.pending) == (SIGNERS, 0)
    assert p.petitions.verify_counts(petition.id).ok
