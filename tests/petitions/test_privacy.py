"""Privacy and retention: access, erasure, anonymisation; reminders and clean-up jobs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from participatie.clock import FixedClock
from participatie.engine import Participatie
from participatie.errors import TokenExpired, TokenWrongPurpose
from participatie.petitions.models import SignatureRow
from tests.petitions.conftest import links, open_petition, sign_and_confirm, signer


def test_access_and_erasure_keep_the_count(areas: Participatie) -> None:
    p = areas
    petition = open_petition(p)
    sign_and_confirm(p, petition, 1, email="Sanne@example.nl")
    sign_and_confirm(p, petition, 2)
    p.outbox.deliver(100)
    data = p.petitions.personal_data("sanne@example.nl")
    assert len(data.signatures) == 1
    record = data.signatures[0]
    assert (record.name, record.postcode, record.status) == ("Inwoner 1", "9711 AB", "verified")
    assert record.ip_stored_as == "keyed hash"
    result = p.petitions.erase_personal_data("SANNE@example.nl", actor="privacy-loket")
    assert result.signatures == 1
    assert result.messages >= 1
    assert p.petitions.personal_data("sanne@example.nl").signatures == []
    assert p.outbox.messages(to="Sanne@example.nl") == []
    with p.session_scope(readonly=True) as s:
        erased = s.execute(
            select(SignatureRow).where(SignatureRow.anonymised_at.is_not(None))
        ).scalar_one()
        assert (erased.name, erased.email, erased.ip_hash, erased.postcode) == (
            None,
            None,
            None,
            None,
        )
        assert erased.area_code == "centrum"
    stats = p.petitions.stats(petition.id)
    assert stats.verified == 2
    assert sum(a.online for a in stats.per_area) == 2
    assert p.audit.events(action="petition.personal_data_erased")


def test_anonymised_six_months_after_the_answer(areas: Participatie, clock: FixedClock) -> None:
    p = areas
    petition = open_petition(p)
    for n in range(3):
        sign_and_confirm(p, petition, n)
    p.petitions.sign(petition.id, signer(9))  # never confirmed
    p.petitions.hand_over(petition.id, actor="griffie", to="raad")
    p.petitions.answer(petition.id, actor="griffie", text="Ja.")
    clock.advance(timedelta(days=100))
    p.jobs.run_due()
    assert p.petitions.personal_data("inwoner0@example.nl").signatures
    clock.advance(timedelta(days=90))
    runs = {run.name: run for run in p.jobs.run_due()}
    assert runs["petitions.anonymise"].status == "ok"
    assert p.petitions.personal_data("inwoner0@example.nl").signatures == []
    stats = p.petitions.stats(petition.id)
    assert (stats.verified, stats.pending) == (3, 0)
    assert sum(a.online for a in stats.per_area) == 3
    with p.session_scope(readonly=True) as s:
        assert set(s.execute(select(SignatureRow.email)).scalars()) == {None}
    assert p.outbox.messages(to="inwoner0@example.nl") == []


def test_reminder_then_deletion_of_unconfirmed(areas: Participatie, clock: FixedClock) -> None:
    p = areas
    petition = open_petition(p)
    p.petitions.sign(petition.id, signer(1))
    sign_and_confirm(p, petition, 2)
    clock.advance(p.settings.petitions.remind_after + timedelta(minutes=1))
    runs = {run.name: run for run in p.jobs.run_due()}
    assert runs["petitions.remind_unconfirmed"].result == 1
    reminder = links(p, "inwoner1@example.nl", "petitions_reminder")
    clock.advance(timedelta(hours=2))
    p.jobs.run_due()
    assert len(p.outbox.messages(template="petitions_reminder")) == 1  # once only
    clock.advance(p.settings.petitions.delete_unconfirmed_after)
    runs = {run.name: run for run in p.jobs.run_due()}
    assert runs["petitions.delete_unconfirmed"].result == 1
    stats = p.petitions.stats(petition.id)
    assert (stats.verified, stats.pending) == (1, 0)
    assert reminder["confirm"]


def test_resident_asks_by_mail_then_erases_through_the_link(
    areas: Participatie, clock: FixedClock
) -> None:
    p = areas
    petition = open_petition(p)
    sign_and_confirm(p, petition, 1)
    # The same mail whether or not anything is stored (the same work, the same time);
    # its link shows that nothing is.
    p.petitions.request_personal_data("nobody@example.nl")
    (nobody,) = p.outbox.messages(to="nobody@example.nl", template="petitions_privacy")
    empty = p.petitions.personal_data_from_link(nobody.text_body.split("/privacy/")[1].split()[0])
    assert (empty.signatures, empty.petitions_created) == ([], [])
    p.petitions.request_personal_data("inwoner1@example.nl")
    p.petitions.request_personal_data("inwoner1@example.nl")  # once a day at most
    mails = p.outbox.messages(to="inwoner1@example.nl", template="petitions_privacy")
    assert len(mails) == 1
    token = mails[0].text_body.split("/privacy/")[1].split()[0]
    with pytest.raises(TokenWrongPurpose):
        p.petitions.confirm(token)
    data = p.petitions.personal_data_from_link(token)
    assert data.email == "inwoner1@example.nl"
    assert [r.name for r in data.signatures] == ["Inwoner 1"]
    result = p.petitions.erase_from_link(token)
    assert result.signatures == 1
    assert p.petitions.personal_data_from_link(token).signatures == []
    assert p.outbox.messages(to="inwoner1@example.nl") == []
    assert p.petitions.count(petition.id) == 1
    clock.advance(p.settings.tokens.confirm + timedelta(minutes=1))
    with pytest.raises(TokenExpired):
        p.petitions.personal_data_from_link(token)
