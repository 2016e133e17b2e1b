"""Subscribing with double opt-in, bad input, events from the audit log, digests,
urgent mails, one-click leaving and erasure, staff counts, retention."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from participatie.clock import FixedClock
from participatie.engine import Participatie
from participatie.errors import InvalidEmail, TokenExpired, TokenInvalid
from participatie.reactions.schemas import DocumentIn, DossierIn
from participatie.subscriptions.errors import (
    NothingToFollow,
    SubscriptionNotFound,
    UnknownArea,
    UnknownSubject,
    UnknownTopic,
)
from participatie.subscriptions.models import EventRow
from participatie.subscriptions.schemas import SubscriptionIn

from .conftest import counts, new_dossier, subscribe, token

pytestmark = pytest.mark.usefixtures("areas")


def test_double_opt_in(p: Participatie) -> None:
    p.subscriptions.subscribe(
        SubscriptionIn(email="Fenna@Example.nl", areas=["paddepoel"], frequency="daily")
    )
    assert counts(p) == (1, 0, 0)  # nothing followed before the button
    link = token(p, "Fenna@example.nl", "subscription.confirm")
    page = p.subscriptions.confirmation_page(link)
    assert [f.target for f in page.follows] == ["paddepoel"]
    assert counts(p) == (1, 0, 0)  # opening the link (a scanner) changes nothing
    first = p.subscriptions.confirm(link)
    again = p.subscriptions.confirm(link)  # confirming twice is harmless
    assert first.id == again.id
    assert counts(p) == (1, 1, 1)
    assert first.frequency == "daily"


def test_same_answer_for_a_known_address(p: Participatie) -> None:
    subscribe(p, "fenna@example.nl")
    known = p.subscriptions.subscribe(SubscriptionIn(email="fenna@example.nl", areas=["*"]))
    unknown = p.subscriptions.subscribe(SubscriptionIn(email="jan@example.nl", areas=["*"]))
    assert known is None and unknown is None
    mails = p.outbox.messages(template="subscriptions_confirm")
    assert sorted(m.to_address for m in mails) == ["fenna@example.nl"] * 2 + ["jan@example.nl"]
    # Confirming the second link adds the whole municipality to the one subscriber.
    sub = p.subscriptions.confirm(token(p, "fenna@example.nl", "subscription.confirm"))
    assert sorted(f.target for f in sub.follows) == ["*", "paddepoel"]
    assert counts(p) == (3, 1, 2)


def test_bad_input_writes_nothing(p: Participatie) -> None:
    cases: list[tuple[dict[str, object], type[Exception], str]] = [
        ({"areas": ["atlantis"]}, UnknownArea, "areas"),
        ({"topics": ["weather"]}, UnknownTopic, "topics"),
        ({"email": "not an address"}, InvalidEmail, "email"),
        ({"areas": []}, NothingToFollow, "areas"),
        ({"areas": [], "dossier_id": str(uuid.uuid4())}, UnknownSubject, "dossier_id"),
        ({"areas": [], "petition_id": str(uuid.uuid4())}, UnknownSubject, "petition_id"),
    ]
    for change, error, field in cases:
        data: dict[str, object] = {"email": "fenna@example.nl", "areas": ["paddepoel"]}
        data.update(change)
        with pytest.raises(error) as caught:
            p.subscriptions.subscribe(SubscriptionIn.model_validate(data))
        assert caught.value.field == field  # type: ignore[attr-defined]
    assert counts(p) == (0, 0, 0)
    assert p.outbox.messages() == []


def test_what_residents_cannot_see_cannot_be_followed(p: Participatie) -> None:
    """A draft dossier and a petition awaiting moderation answer as an unknown id would:
    nothing written, no mail, and their titles never reach a digest."""

    from participatie.petitions.schemas import PetitionIn

    draft = p.reactions.create_dossier(
        DossierIn(
            title="Nog geheim",
            summary="Nog niet gepubliceerd.",
            responsible_official="M. Hoekstra",
            responsible_email="projectleider@gemeente.example.nl",
            areas=["paddepoel"],
            period_start=date(2026, 3, 3),
            published=False,
        ),
        actor="lead",
    )
    waiting = p.petitions.create(
        PetitionIn(
            title="Nog niet goedgekeurd",
            summary="Wacht op de griffie.",
            body="Wij vragen de raad iets.",
            creator_name="Anna de Vries",
            creator_email="anna@example.nl",
        )
    )
    mails = len(p.outbox.messages())
    for field, ident in (("dossier_id", draft.id), ("petition_id", waiting.id)):
        data = {"email": "fenna@example.nl", "areas": [], field: str(ident)}
        with pytest.raises(UnknownSubject) as caught:
            p.subscriptions.subscribe(SubscriptionIn.model_validate(data))
        assert caught.value.field == field
    assert counts(p) == (0, 0, 0)
    assert len(p.outbox.messages()) == mails


def test_tampered_and_expired_links(p: Participatie, clock: FixedClock) -> None:
    p.subscriptions.subscribe(SubscriptionIn(email="fenna@example.nl", areas=["*"]))
    link = token(p, "fenna@example.nl", "subscription.confirm")
    with pytest.raises(TokenInvalid):
        p.subscriptions.confirm(link[:-2] + ("AA" if not link.endswith("AA") else "BB"))
    clock.advance(timedelta(days=8))
    with pytest.raises(TokenExpired):
        p.subscriptions.confirm(link)
    assert counts(p)[1:] == (0, 0)


def test_events_and_daily_digest(p: Participatie, clock: FixedClock) -> None:
    before = new_dossier(p, ["paddepoel"], "Voor de aanmelding")
    sub = subscribe(p, "fenna@example.nl")
    other = subscribe(p, "jan@example.nl", areas=["centrum"], topics=["polls"])
    clock.advance(timedelta(minutes=1))
    dossier = new_dossier(p, ["paddepoel"], "Speelplekken")
    p.reactions.add_document(
        before,
        DocumentIn(
            title="Kaart", url="https://example.nl/kaart.pdf", published_on=clock.now().date()
        ),
        actor="lead",
    )
    with p.session_scope(readonly=True) as s:
        kinds = sorted(s.execute(select(EventRow.kind)).scalars())
    assert kinds == ["dossier.created", "dossier.created", "dossier.document_added"]

    runs = p.subscriptions.digest(frequency="daily", force=True)
    assert runs[0].queued == 1
    [mail] = p.outbox.messages(template="subscriptions_digest")
    assert mail.to_address == "fenna@example.nl"
    assert "Speelplekken" in mail.text_body
    # The document added to the older dossier is new, so it is in; the older dossier's
    # creation happened before the subscription and is not.
    assert "Voor de aanmelding" in mail.text_body
    assert mail.text_body.count("Nieuw dossier") == 1
    assert mail.headers["List-Unsubscribe"].startswith("<https://")
    assert mail.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert str(dossier) in mail.text_body or "dossiers/" in mail.text_body
    # Nothing twice: a second run in the same period, and a run in the next period.
    assert p.subscriptions.digest(frequency="daily", force=True)[0].queued == 0
    clock.advance(timedelta(days=1))
    assert p.subscriptions.digest(frequency="daily", force=True)[0].queued == 0
    assert len(p.outbox.messages(template="subscriptions_digest")) == 1
    assert sub.id != other.id


def test_digest_waits_for_its_hour_and_day(p: Participatie, clock: FixedClock) -> None:
    subscribe(p, "fenna@example.nl", frequency="weekly")
    clock.advance(timedelta(minutes=1))
    new_dossier(p, ["paddepoel"])
    # TEST_START is a Tuesday 09:00 in Amsterdam: the weekly digest (Monday) is due.
    assert p.subscriptions.digest()[1].queued == 1


def test_urgent_round_closing(p: Participatie, clock: FixedClock) -> None:
    subscribe(p, "fenna@example.nl", areas=["*"])
    clock.advance(timedelta(minutes=1))
    dossier = new_dossier(p, ["paddepoel"])
    period_end = p.reactions.get_dossier(dossier).period_end
    clock.set(clock.now() + (period_end - clock.now().date()) - timedelta(days=2))
    p.jobs.run_due(only="subscriptions.closing_rounds")
    p.jobs.run_due(only="subscriptions.urgent")
    p.jobs.run_due(only="subscriptions.closing_rounds")
    p.jobs.run_due(only="subscriptions.urgent")
    [mail] = p.outbox.messages(template="subscriptions_event")
    assert "Hondenbeleid" in mail.subject or "Speelplekken" in mail.subject
    assert mail.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_follow_one_dossier_and_one_petition(p: Participatie, clock: FixedClock) -> None:
    dossier = new_dossier(p, ["centrum"])
    subscribe(p, "fenna@example.nl", areas=[], dossier_id=str(dossier))
    clock.advance(timedelta(minutes=1))
    new_dossier(p, ["centrum"], "Iets anders")
    p.reactions.add_document(
        dossier,
        DocumentIn(title="Kaart", url="https://example.nl/k.pdf", published_on=clock.now().date()),
        actor="lead",
    )
    p.subscriptions.digest(frequency="daily", force=True)
    [mail] = p.outbox.messages(template="subscriptions_digest")
    assert "Iets anders" not in mail.text_body
    assert "Nieuw document" in mail.text_body


def test_two_follows_tell_each_event_once_in_order(p: Participatie, clock: FixedClock) -> None:
    """A wijk and a dossier in it: an event both cover is in the digest once, the events
    stay in the order they happened, and nothing from before the subscription is in."""

    followed = new_dossier(p, ["centrum"], "Kademuren")
    subscribe(p, "fenna@example.nl", areas=["centrum"], dossier_id=str(followed))
    clock.advance(timedelta(minutes=1))
    new_dossier(p, ["paddepoel"], "Elders")
    p.reactions.add_document(
        followed,
        DocumentIn(
            title="Tekening", url="https://example.nl/t.pdf", published_on=clock.now().date()
        ),
        actor="lead",
    )
    new_dossier(p, ["centrum"], "Speelplekken")
    assert p.subscriptions.digest(frequency="daily", force=True)[0].queued == 1
    [mail] = p.outbox.messages(template="subscriptions_digest")
    body = mail.text_body
    assert body.count("Nieuw document") == 1
    assert body.count("Nieuw dossier") == 1
    assert "Elders" not in body
    assert body.index("Nieuw document") < body.index("Speelplekken")


def test_unsubscribe_erases(p: Participatie) -> None:
    subscribe(p, "fenna@example.nl")
    subscribe(p, "jan@example.nl")
    link = token(p, "fenna@example.nl", "subscription.confirm")
    sub = p.subscriptions.confirmation_page(link)
    with p.session_scope() as s:
        manage = p.subscriptions.manage_url(sub.id, _hash(p, s, sub.id))
    unsub = manage.rsplit("/", 1)[1]
    assert p.subscriptions.export(unsub).email == "fenna@example.nl"
    p.subscriptions.unsubscribe(unsub)
    p.subscriptions.unsubscribe(unsub)  # twice is harmless
    assert counts(p) == (1, 1, 1)  # jan stays; fenna's request and rows are gone
    with pytest.raises(SubscriptionNotFound):
        p.subscriptions.export(unsub)
    assert all(m.to_address != "fenna@example.nl" for m in p.outbox.messages())


def test_change_choices(p: Participatie) -> None:
    sub = subscribe(p, "fenna@example.nl")
    with p.session_scope() as s:
        unsub = p.subscriptions.manage_url(sub.id, _hash(p, s, sub.id)).rsplit("/", 1)[1]
    changed = p.subscriptions.change(
        unsub, areas=["centrum", "paddepoel"], topics=["polls"], frequency="weekly"
    )
    assert sorted(f.target for f in changed.follows) == ["centrum", "paddepoel"]
    assert all(f.topics == ["polls"] for f in changed.follows)
    assert changed.frequency == "weekly"
    with pytest.raises(NothingToFollow):
        p.subscriptions.change(unsub, areas=[])
    with pytest.raises(UnknownArea):
        p.subscriptions.change(unsub, areas=["atlantis"])


def test_stats_have_no_addresses(p: Participatie) -> None:
    subscribe(p, "fenna@example.nl")
    subscribe(p, "jan@example.nl", areas=["paddepoel", "*"], topics=["polls", "dossiers"])
    stats = p.subscriptions.stats()
    assert (stats.subscribers, stats.daily, stats.weekly) == (2, 2, 0)
    table = {(r.target, r.topic): r.subscribers for r in stats.rows}
    assert table[("paddepoel", "all")] == 1
    assert table[("paddepoel", "polls")] == 1
    assert table[("*", "dossiers")] == 1
    assert "example.nl" not in stats.model_dump_json()


def test_retention(p: Participatie, clock: FixedClock) -> None:
    p.subscriptions.subscribe(SubscriptionIn(email="fenna@example.nl", areas=["*"]))
    subscribe(p, "jan@example.nl")
    clock.advance(timedelta(days=15))
    p.jobs.run_due(only="subscriptions.retention")
    assert counts(p) == (0, 1, 1)
    assert all(m.to_address != "fenna@example.nl" for m in p.outbox.messages())


def _hash(p: Participatie, s: object, subscriber_id: uuid.UUID) -> str:
    from participatie.subscriptions.models import SubscriberRow

    row = s.get(SubscriberRow, subscriber_id)  # type: ignore[attr-defined]
    return str(row.mailbox_hash)


def test_events_count(p: Participatie) -> None:
    new_dossier(p, ["paddepoel"])
    with p.session_scope(readonly=True) as s:
        assert s.execute(select(func.count()).select_from(EventRow)).scalar_one() == 1
    assert p.subscriptions.events()[0].area_codes == ["paddepoel"]


def test_request_link_answers_the_same(p: Participatie) -> None:
    subscribe(p, "fenna@example.nl")
    assert p.subscriptions.request_link("fenna@example.nl") is None
    assert p.subscriptions.request_link("onbekend@example.nl") is None
    [mail] = p.outbox.messages(template="subscriptions_link")
    assert mail.to_address == "fenna@example.nl"
    link = token(p, "fenna@example.nl", "subscription.unsubscribe")
    assert p.subscriptions.export(link).email == "fenna@example.nl"
    with pytest.raises(InvalidEmail):
        p.subscriptions.request_link("geen adres")
