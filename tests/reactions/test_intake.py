from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from participatie.clock import FixedClock
from participatie.engine import Participatie
from participatie.errors import InvalidEmail, InvalidInput, InvalidPostcode, ParticipatieError
from participatie.reactions.errors import DossierClosed, EmptyReaction, UnknownTheme
from participatie.reactions.schemas import DossierIn, PointIn, ReactionIn, SubmitterIn
from tests.reactions.conftest import START, web


def _counts(p: Participatie, dossier: uuid.UUID) -> tuple[int, int, int]:
    reactions = len(list(p.reactions.reactions(dossier)))
    return reactions, len(p.outbox.messages()), p.audit.verify().checked


def test_web_reaction_is_numbered_and_acknowledged_by_email(
    p: Participatie, dossier: uuid.UUID
) -> None:
    received = p.reactions.submit(dossier, web())
    reaction = received.reaction
    assert reaction.number == 1
    assert reaction.channel == "web"
    assert not reaction.late
    assert reaction.admissible is True
    # Received Tuesday 3 March 2026: 5 calendar days -> Sunday 8 March -> Monday 9 March.
    assert reaction.acknowledgement_due == date(2026, 3, 9)
    assert reaction.answer_due == date(2026, 4, 14)
    assert reaction.acknowledged_at is not None
    [mail] = p.outbox.messages(template="reactions_acknowledgement")
    assert mail.to_address == "anna@example.nl"
    assert "nummer 1" in mail.text_body
    assert mail.dedupe_key is not None
    [dispatch] = p.reactions.dispatches(dossier)
    assert dispatch.kind == "acknowledgement"
    assert dispatch.channel == "email"
    body = f"{mail.subject}\n\n{mail.text_body}"
    assert dispatch.sha256 == hashlib.sha256(body.encode()).hexdigest()
    assert p.reactions.submit(dossier, web("Tweede")).reaction.number == 2
    events = p.audit.events(subject_type="reactions_dossier", subject_id=dossier)
    received_events = [e for e in events if e.action == "reactions.received"]
    assert len(received_events) == 2
    # Audit events are permanent: never personal data in them.
    assert "anna" not in str([e.data for e in events]).lower()


def test_web_form_refused_after_the_period_but_staff_register_late(
    p: Participatie, dossier: uuid.UUID, clock: FixedClock
) -> None:
    clock.set(datetime(2026, 4, 20, 9, 0, tzinfo=UTC))
    before = _counts(p, dossier)
    with pytest.raises(DossierClosed) as info:
        p.reactions.submit(dossier, web())
    assert info.value.code == "dossier.closed"
    assert _counts(p, dossier) == before
    late = p.reactions.register(
        dossier,
        ReactionIn(channel="letter", text="Te laat maar toch.", postmark_date=date(2026, 4, 18)),
        actor="desk",
    ).reaction
    assert late.late
    assert late.admissible is None
    decided = p.reactions.decide_admissibility(
        late.id,
        admissible=False,
        reason="na de termijn",
        actor="lead",
    )
    assert decided.admissible is False
    assert decided.admissibility_reason == "na de termijn"


def test_postmark_within_the_period_is_on_time(
    p: Participatie, dossier: uuid.UUID, clock: FixedClock
) -> None:
    end = p.reactions.get_dossier(dossier).period_end
    assert end == START + timedelta(weeks=6)
    clock.set(datetime(2026, 4, 16, 9, 0, tzinfo=UTC))
    letter = p.reactions.register(
        dossier,
        ReactionIn(channel="letter", text="Per post.", postmark_date=end),
        actor="desk",
    ).reaction
    assert not letter.late


@pytest.mark.parametrize(
    ("data", "error", "field"),
    [
        (web("   "), EmptyReaction, "text"),
        (web(email="not-an-address"), InvalidEmail, "submitters.0.email"),
        (web(postcode="0123 AB", house_number="4"), InvalidPostcode, "submitters.0.postcode"),
        (web(postcode="9742 AB"), InvalidInput, "submitters.0.house_number"),
        (
            ReactionIn(
                text="x",
                submitters=[SubmitterIn(name="A", email="a@example.nl")],
                points=[PointIn(text="x", theme="vuurwerk")],
            ),
            UnknownTheme,
            "points.0.theme",
        ),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(
    p: Participatie,
    dossier: uuid.UUID,
    data: ReactionIn,
    error: type[ParticipatieError],
    field: str,
) -> None:
    before = _counts(p, dossier)
    with pytest.raises(error) as info:
        p.reactions.submit(dossier, data)
    assert info.value.field == field
    assert _counts(p, dossier) == before


def test_dossier_input_is_checked(p: Participatie) -> None:
    with pytest.raises(InvalidEmail):
        p.reactions.create_dossier(
            DossierIn(
                title="x",
                summary="y",
                responsible_official="z",
                responsible_email="nope",
                period_start=START,
            ),
            actor="test",
        )
    with pytest.raises(ValueError, match="delay_reason"):
        DossierIn.model_validate(
            {
                "title": "x",
                "summary": "y",
                "responsible_official": "z",
                "responsible_email": "a@example.nl",
                "period_start": START,
                "phases": [{"name": "p", "planned_date": START, "status": "delayed"}],
            }
        )
    assert p.reactions.list_dossiers() == []


def test_awb_344_first_five_signatories_and_letters_for_postal_only(
    p: Participatie, dossier: uuid.UUID, tmp_path: Path
) -> None:
    signatories = [SubmitterIn(name=f"Buur {i}", email=f"buur{i}@example.nl") for i in range(1, 8)]
    big = p.reactions.register(
        dossier, ReactionIn(channel="paper", text="Samen", submitters=signatories), actor="desk"
    )
    assert big.reaction.signatories == 7
    assert big.acknowledgement_emails == 5
    addresses = {m.to_address for m in p.outbox.messages()}
    assert addresses == {f"buur{i}@example.nl" for i in range(1, 6)}

    postal = p.reactions.register(
        dossier,
        ReactionIn(
            channel="paper",
            text="Per brief graag",
            submitters=[
                SubmitterIn(
                    name="Piet Post",
                    street="Kerkstraat",
                    house_number="4a",
                    postcode="9742ab",
                    city="Groningen",
                )
            ],
        ),
        actor="desk",
    ).reaction
    assert postal.acknowledged_at is None
    folder = tmp_path / "brieven"
    batch = p.reactions.write_letters(
        dossier, folder, kind="acknowledgement", pdf=True, actor="test"
    )
    assert batch.letters == 1
    letter = folder / batch.files[0]
    html = letter.read_text(encoding="utf-8")
    assert "Piet Post" in html
    assert "9742 AB" in html
    assert f"nummer {postal.number}" in html
    assert batch.pdf_file is not None
    assert (folder / batch.pdf_file).read_bytes().startswith(b"%PDF")
    assert batch.print_file is not None
    assert (folder / batch.print_file).exists()
    dispatch = [d for d in p.reactions.dispatches(dossier) if d.channel == "letter"]
    assert len(dispatch) == 1
    assert dispatch[0].sha256 == hashlib.sha256(letter.read_bytes()).hexdigest()
    assert p.reactions.reaction(postal.id).acknowledged_at is not None
    # Never twice: a second batch finds nothing to print.
    assert p.reactions.write_letters(dossier, tmp_path / "again", actor="test").letters == 0
    [sub] = [s for s in p.reactions.submitters(dossier) if s.reaction_number == postal.number]
    assert sub.postcode == "9742 AB"
    assert sub.house_number == "4A"


def test_contact_details_need_consent(p: Participatie, dossier: uuid.UUID) -> None:
    with pytest.raises(InvalidInput) as info:
        p.reactions.submit(dossier, web(consent=False))
    assert info.value.field == "submitters.0.consent"


def test_oral_reaction_needs_the_reporting_official(p: Participatie, dossier: uuid.UUID) -> None:
    with pytest.raises(InvalidInput) as info:
        p.reactions.register(dossier, ReactionIn(channel="oral", text="Gezegd"), actor="desk")
    assert info.value.field == "reported_by"
    oral = p.reactions.register(
        dossier,
        ReactionIn(channel="oral", text="Verslag van het gesprek", reported_by="M. Hoekstra"),
        actor="desk",
    )
    assert oral.reaction.channel == "oral"
    assert oral.acknowledgement_emails == 0


def test_concurrent_web_reactions_get_unique_numbers(p: Participatie, dossier: uuid.UUID) -> None:
    import threading

    errors: list[Exception] = []

    def resident(k: int) -> None:
        for i in range(5):
            try:
                p.reactions.submit(dossier, web(f"Reactie {k}.{i}", email=f"r{k}{i}@example.nl"))
            except Exception as exc:
                errors.append(exc)

    threads = [threading.Thread(target=resident, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    numbers = sorted(r.number for r in p.reactions.reactions(dossier))
    assert numbers == list(range(1, 21))
    assert len(p.outbox.messages(template="reactions_acknowledgement")) == 20
    assert p.audit.verify().ok


def test_host_session_commits_or_rolls_back_with_the_host(
    p: Participatie, dossier: uuid.UUID
) -> None:
    class HostError(Exception):
        pass

    with pytest.raises(HostError), p.session_scope() as host:
        received = p.reactions.submit(dossier, web(), session=host)
        assert received.reaction.number == 1
        raise HostError
    assert list(p.reactions.reactions(dossier)) == []
    assert p.outbox.messages() == []
    with p.session_scope() as host:
        p.reactions.submit(dossier, web(), session=host)
    assert [r.number for r in p.reactions.reactions(dossier)] == [1]
    assert len(p.outbox.messages()) == 1


def test_a_form_posted_twice_is_one_reaction_even_when_the_posts_race(
    p: Participatie, dossier: uuid.UUID
) -> None:
    """A double click, the back button or a retry: one reaction, one acknowledgement. The
    same words from another resident, or from the same resident in another channel, are
    their own reactions."""

    import threading

    results = []
    errors: list[Exception] = []
    start = threading.Barrier(4)

    def post() -> None:
        start.wait()
        try:
            results.append(p.reactions.submit(dossier, web("Meer prullenbakken bij het park.")))
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=post) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert len({r.reaction.id for r in results}) == 1
    assert sorted(r.duplicate for r in results) == [False, True, True, True]
    assert len(list(p.reactions.reactions(dossier))) == 1
    assert len(p.outbox.messages(template="reactions_acknowledgement")) == 1
    # Other words, another resident: new reactions.
    p.reactions.submit(dossier, web("Meer prullenbakken bij het park!"))
    p.reactions.submit(dossier, web("Meer prullenbakken bij het park.", email="b@example.nl"))
    assert len(list(p.reactions.reactions(dossier))) == 3


def test_the_same_form_after_the_repost_window_is_a_new_reaction(
    p: Participatie, dossier: uuid.UUID, clock: FixedClock
) -> None:
    from participatie.reactions.intake import REPOST_WINDOW

    first = p.reactions.submit(dossier, web("Hondenpoep in de speeltuin."))
    clock.advance(REPOST_WINDOW + timedelta(minutes=1))
    again = p.reactions.submit(dossier, web("Hondenpoep in de speeltuin."))
    assert not again.duplicate and again.reaction.number == first.reaction.number + 1
