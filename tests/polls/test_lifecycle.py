"""Life cycle: creation checks name the field, edits lock at opening, the job opens and
closes on time (idempotently), cancel and publish guard their states."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from pydantic import ValidationError

from participatie.clock import FixedClock
from participatie.engine import Participatie
from participatie.errors import InvalidInput, InvalidState
from participatie.polls.errors import PollLocked, PollNotFound
from participatie.polls.schemas import OptionIn, PollIn, PollUpdate
from tests.polls.conftest import LOCATIONS, make_poll


def test_create_and_get(p: Participatie) -> None:
    poll = make_poll(p)
    again = p.polls.get(poll.id)
    assert again.state == "draft"
    assert [o.name for o in again.options] == LOCATIONS
    assert [o.position for o in again.options] == [1, 2, 3, 4]
    assert again.max_choices == 2 and again.seats == 2
    assert [x.id for x in p.polls.list()] == [poll.id]
    events = p.audit.events(subject_type="poll", subject_id=poll.id)
    assert [e.action for e in events] == ["poll.created"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"seats": 4}, "seats"),
        ({"options": [OptionIn(name="A"), OptionIn(name="a")]}, "options"),
        ({"rule": "plurality", "max_choices": 2}, "max_choices"),
        ({"max_choices": 9}, "max_choices"),
        ({"allow_change": True, "ballots_per_code": 2}, "ballots_per_code"),
        ({"postcodes": ["12345"]}, "postcodes"),
        ({"area_codes": ["atlantis"]}, "area_codes"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(
    p: Participatie, overrides: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidInput) as info:
        make_poll(p, **overrides)
    assert info.value.field == field
    assert p.polls.list() == []
    assert p.audit.events() == []


def test_times_must_be_in_order(p: Participatie, clock: FixedClock) -> None:
    now = clock.now()
    with pytest.raises(InvalidInput) as info:
        make_poll(p, opens_at=now + timedelta(days=2), closes_at=now + timedelta(days=1))
    assert info.value.field == "closes_at"


def test_pydantic_refuses_unknown_fields() -> None:
    with pytest.raises(ValidationError):
        PollIn.model_validate(
            {"title": "x", "question": "y", "options": [{"name": "a"}, {"name": "b"}], "foo": 1}
        )


def test_unknown_poll(p: Participatie) -> None:
    with pytest.raises(PollNotFound) as info:
        p.polls.get("not-a-uuid")
    assert info.value.code == "poll.not_found"
    missing = uuid.uuid4()
    with pytest.raises(PollNotFound) as info:
        p.polls.get(missing)
    # The id as it is written, never its Python repr.
    assert info.value.message == f"no poll {missing}"


def test_edits_lock_when_open(p: Participatie) -> None:
    poll = make_poll(p)
    edited = p.polls.update(
        poll.id, PollUpdate(seats=1, options=[OptionIn(name="X"), OptionIn(name="Y")]), actor="a"
    )
    assert edited.seats == 1 and [o.name for o in edited.options] == ["X", "Y"]
    p.polls.open(poll.id, actor="a")
    with pytest.raises(PollLocked) as info:
        p.polls.update(poll.id, PollUpdate(seats=1), actor="a")
    assert info.value.code == "poll.locked" and info.value.field == "seats"
    with pytest.raises(PollLocked):
        p.polls.update(
            poll.id, PollUpdate(options=[OptionIn(name="Z"), OptionIn(name="Q")]), actor="a"
        )
    text = p.polls.update(poll.id, PollUpdate(explanation="Meer uitleg."), actor="a")
    assert text.explanation == "Meer uitleg." and [o.name for o in text.options] == ["X", "Y"]


def test_schedule_and_job_open_close(p: Participatie, clock: FixedClock) -> None:
    now = clock.now()
    poll = make_poll(p)
    with pytest.raises(InvalidInput) as info:
        p.polls.schedule(poll.id, actor="a")
    assert info.value.field == "opens_at"
    p.polls.update(
        poll.id,
        PollUpdate(opens_at=now + timedelta(hours=1), closes_at=now + timedelta(days=7)),
        actor="a",
    )
    assert p.polls.schedule(poll.id, actor="a").state == "scheduled"
    assert p.polls.open_and_close_due(now) == {"opened": 0, "closed": 0}
    later = now + timedelta(hours=1)
    assert p.polls.open_and_close_due(later) == {"opened": 1, "closed": 0}
    assert p.polls.open_and_close_due(later) == {"opened": 0, "closed": 0}
    assert p.polls.get(poll.id).state == "open"
    clock.set(now + timedelta(days=7))
    runs = p.jobs.run_due(only="polls.open_close")
    assert runs[0].status == "ok" and runs[0].result == {"opened": 0, "closed": 1}
    assert p.polls.get(poll.id).state == "closed"
    actions = [e.action for e in p.audit.events(subject_type="poll", subject_id=poll.id)]
    # The state changes, then the steps after it: links, mixes (nothing waits), SHA-256.
    assert actions[-4:] == [
        "poll.opened",
        "poll.closed",
        "poll.links_destroyed",
        "poll.ballots_hashed",
    ]


def test_cancel_and_publish_guard_states(p: Participatie) -> None:
    poll = make_poll(p)
    with pytest.raises(InvalidState):
        p.polls.publish(poll.id, actor="a")
    with pytest.raises(InvalidInput):
        p.polls.cancel(poll.id, actor="a", reason=" ")
    assert p.polls.cancel(poll.id, actor="a", reason="plan gewijzigd").state == "cancelled"
    with pytest.raises(InvalidState):
        p.polls.open(poll.id, actor="a")
    assert p.audit.verify().ok


def test_job_opens_and_closes_a_poll_it_missed(p: Participatie, clock: FixedClock) -> None:
    now = clock.now()
    poll = make_poll(p, opens_at=now + timedelta(hours=1), closes_at=now + timedelta(hours=2))
    p.polls.schedule(poll.id, actor="a")
    assert p.polls.open_and_close_due(now + timedelta(hours=3)) == {"opened": 1, "closed": 1}
    assert p.polls.get(poll.id).state == "closed"
    assert p.polls.open_and_close_due(now + timedelta(hours=3)) == {"opened": 0, "closed": 0}


def test_counts_beyond_any_municipality_are_refused(p: Participatie) -> None:
    from participatie.polls.schemas import MAX_ELIGIBLE

    with pytest.raises(ValidationError, match="eligible_count"):
        PollIn.model_validate(
            {
                "title": "T",
                "question": "Q",
                "options": [{"name": "A"}, {"name": "B"}],
                "eligible_count": 2**31,
            }
        )
    poll = make_poll(p)
    with pytest.raises(InvalidInput) as info:
        p.polls.set_paper_envelopes(poll.id, MAX_ELIGIBLE + 1, staff="a")
    assert info.value.field == "count"
    assert p.polls.get(poll.id).eligible_count is None


def test_option_names_differing_only_in_accents_are_one_name(p: Participatie) -> None:
    with pytest.raises(InvalidInput, match="same name") as info:
        make_poll(p, options=[OptionIn(name="Ecozone"), OptionIn(name="Écozone")])
    assert info.value.field == "options"
    assert p.polls.list() == []


def test_editing_a_draft_keeps_the_rules_on_options(p: Participatie) -> None:
    """Changing the options of a draft follows the rules of making one: at most
    ``max_options``, no two alike; a refused change leaves the options as they were."""

    poll = make_poll(p)
    before = [o.name for o in p.polls.get(poll.id).options]
    most = p.settings.polls.max_options
    too_many = [OptionIn(name=f"Plek {n}") for n in range(most + 1)]
    for options in (too_many, [OptionIn(name="Ecozone"), OptionIn(name="ECOZONE")]):
        with pytest.raises(InvalidInput) as info:
            p.polls.update(poll.id, PollUpdate(options=options), actor="projectleider")
        assert info.value.field == "options"
        assert [o.name for o in p.polls.get(poll.id).options] == before


def test_a_closing_time_that_passed_is_refused_when_set(p: Participatie, clock: FixedClock) -> None:
    """A poll cannot be made, or given a new closing time, that closed already: it could
    never be opened. Editing another field of such a draft stays possible."""

    past = clock.now() - timedelta(hours=1)
    with pytest.raises(InvalidInput) as refused:
        make_poll(p, closes_at=past)
    assert refused.value.field == "closes_at"
    assert p.polls.list() == []
    poll = make_poll(p)
    with pytest.raises(InvalidInput) as again:
        p.polls.update(poll.id, PollUpdate(closes_at=past), actor="projectleider")
    assert again.value.field == "closes_at"
    assert p.polls.get(poll.id).closes_at == poll.closes_at
