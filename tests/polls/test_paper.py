"""Paper ballots typed in twice (vierogenprincipe): matches count, differences wait for a
resolution, what cannot count is invalid, and a code used online first is a conflict."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select

from participatie.engine import Participatie
from participatie.errors import InvalidInput, InvalidState
from participatie.polls.errors import CodeTypo, PaperEntryConflict, PollNotOpen
from participatie.polls.models import PaperEntryRow
from participatie.polls.schemas import BallotIn, PaperEntry, Poll
from tests.polls.conftest import issue, make_poll

CodePoll = Callable[..., tuple[Poll, list[str]]]


def twice(
    p: Participatie,
    poll: Poll,
    sheet: str,
    code: str,
    marks: list[str],
    second: list[str] | None = None,
) -> str:
    p.polls.enter_paper(poll.id, PaperEntry(sheet=sheet, code=code, marks=marks), staff="Anna")
    outcome = p.polls.enter_paper(
        poll.id,
        PaperEntry(sheet=sheet, code=code, marks=marks if second is None else second),
        staff="Bert",
    )
    return outcome.status


def test_matching_entries_count(p: Participatie, code_poll: CodePoll) -> None:
    poll, codes = code_poll(4)
    first = p.polls.enter_paper(
        poll.id, PaperEntry(sheet="1", code=codes[0], marks=["Ecozone"]), staff="Anna"
    )
    assert first.status == "pending"
    with pytest.raises(PaperEntryConflict) as info:
        p.polls.enter_paper(
            poll.id, PaperEntry(sheet="1", code=codes[0], marks=["Ecozone"]), staff="Anna"
        )
    assert info.value.field == "staff"
    second = p.polls.enter_paper(
        poll.id, PaperEntry(sheet="1", code=codes[0], marks=["ecozone"]), staff="Bert"
    )
    assert second.status == "matched" and second.tracker
    with pytest.raises(PaperEntryConflict):
        p.polls.enter_paper(
            poll.id, PaperEntry(sheet="1", code=codes[0], marks=["Ecozone"]), staff="Carla"
        )
    # The code hash is gone once the ballot is recorded: who and what stay apart.
    with p.session_scope() as s:
        assert list(s.execute(select(PaperEntryRow.code_hash)).scalars()) == [None, None]
    assert (
        twice(p, poll, "2", codes[1], ["Ecozone", "Hoog Paddepoel", "Pleintje Zonnelaan"])
        == "matched"
    )
    assert twice(p, poll, "3", codes[2], []) == "matched"
    p.polls.close(poll.id, actor="a")
    tally = p.polls.tally(poll.id)
    assert tally.channels["paper"] == 3
    assert tally.invalid == 1 and tally.blank == 1
    assert {o.name: o.votes for o in tally.options}["Ecozone"] == 1
    assert tally.paper.typed_by == {"Anna": 3, "Bert": 3}


def test_mismatch_is_listed_and_resolved(p: Participatie, code_poll: CodePoll) -> None:
    poll, codes = code_poll(2)
    assert twice(p, poll, "7", codes[0], ["Ecozone"], ["Hoog Paddepoel"]) == "mismatch"
    mismatches = p.polls.paper_mismatches(poll.id)
    assert len(mismatches) == 1
    m = mismatches[0]
    assert (m.first_staff, m.second_staff, m.resolved_by) == ("Anna", "Bert", None)
    assert m.first.marks == ["Ecozone"] and m.second.marks == ["Hoog Paddepoel"]
    p.polls.close(poll.id, actor="a")
    with pytest.raises(InvalidState) as info:
        p.polls.publish(poll.id, actor="a")
    assert info.value.field == "paper"
    for typist in ("Anna", "bert"):  # neither typist settles her own difference
        with pytest.raises(PaperEntryConflict) as conflict:
            p.polls.resolve_paper(
                poll.id, PaperEntry(sheet="7", code=codes[0], marks=["Ecozone"]), staff=typist
            )
        assert conflict.value.field == "staff"
    assert p.polls.paper_mismatches(poll.id)[0].resolved_by is None
    outcome = p.polls.resolve_paper(
        poll.id, PaperEntry(sheet="7", code=codes[0], marks=["Ecozone"]), staff="Carla"
    )
    assert outcome.status == "resolved"
    assert p.polls.paper_mismatches(poll.id)[0].resolved_by == "Carla"
    with pytest.raises(PaperEntryConflict):
        p.polls.resolve_paper(
            poll.id, PaperEntry(sheet="7", code=codes[0], marks=["Ecozone"]), staff="Carla"
        )
    result = p.polls.publish(poll.id, actor="a")
    assert {o.name: o.votes for o in result.options}["Ecozone"] == 1
    assert result.paper.mismatches[0].resolved_by == "Carla"


def test_different_codes_are_a_mismatch(p: Participatie, code_poll: CodePoll) -> None:
    poll, codes = code_poll(2)
    p.polls.enter_paper(poll.id, PaperEntry(sheet="1", code=codes[0], marks=["Ecozone"]), staff="A")
    out = p.polls.enter_paper(
        poll.id, PaperEntry(sheet="1", code=codes[1], marks=["Ecozone"]), staff="B"
    )
    assert out.status == "mismatch"


def test_typo_in_the_code_is_caught_at_typing(p: Participatie, code_poll: CodePoll) -> None:
    poll, codes = code_poll(1)
    typo = codes[0][:2] + codes[0][3] + codes[0][2] + codes[0][4:]
    if typo == codes[0]:
        typo = codes[0][:-1] + ("2" if codes[0][-1] != "2" else "3")
    with pytest.raises(CodeTypo):
        p.polls.enter_paper(poll.id, PaperEntry(sheet="1", code=typo, marks=[]), staff="A")


@pytest.mark.parametrize(
    "marks", [["een", "twee"], ["0"], ["1", "9"], ["2", "2"], ["Ecozone", "ecozone"]]
)
def test_marks_no_ballot_can_carry_are_a_typing_error(
    p: Participatie, code_poll: CodePoll, marks: list[str]
) -> None:
    """A mark that is no option on the ballot, or one option typed twice, is refused with
    the marks field named and nothing stored: not taken for the voter's invalid ballot,
    which two typists typing the same slip would then have counted."""

    poll, codes = code_poll(1)
    for staff in ("Anna", "Bert"):
        with pytest.raises(InvalidInput) as refused:
            p.polls.enter_paper(
                poll.id, PaperEntry(sheet="1", code=codes[0], marks=marks), staff=staff
            )
        assert refused.value.field == "marks"
    with p.session_scope(readonly=True) as s:
        assert s.execute(select(PaperEntryRow)).first() is None
    # Too many marks is how the voter filled it in: recorded as invalid, as before.
    assert twice(p, poll, "2", codes[0], ["1", "2", "3"]) == "matched"


def test_online_first_wins_and_conflict_is_reported(p: Participatie, code_poll: CodePoll) -> None:
    poll, codes = code_poll(2)
    p.polls.cast(poll.id, BallotIn(choices=["Hoog Paddepoel"]), code=codes[0])
    assert twice(p, poll, "1", codes[0], ["Ecozone"]) == "conflict"
    p.polls.close(poll.id, actor="a")
    tally = p.polls.tally(poll.id)
    assert tally.ballots == 1 and tally.channels["paper"] == 0
    assert tally.reconciliation.channel_conflicts == 1
    assert tally.paper.status == {"conflict": 1}


def test_paper_precedence_replaces_the_online_ballot(p: Participatie, code_poll: CodePoll) -> None:
    poll, codes = code_poll(2, precedence="paper")
    p.polls.cast(poll.id, BallotIn(choices=["Hoog Paddepoel"]), code=codes[0])
    p.polls.close(poll.id, actor="a")
    # Links survive closing under paper precedence, until publication.
    assert twice(p, poll, "1", codes[0], ["Ecozone"]) == "matched"
    result = p.polls.publish(poll.id, actor="a")
    votes = {o.name: o.votes for o in result.options}
    assert votes["Ecozone"] == 1 and votes["Hoog Paddepoel"] == 0
    assert result.ballots == 1 and result.reconciliation.channel_conflicts == 1
    assert result.reconciliation.ballots_superseded == 1


def test_paper_needs_an_open_or_closed_poll(p: Participatie) -> None:
    poll = make_poll(p)
    codes = issue(p, poll, 1)
    with pytest.raises(PollNotOpen):
        p.polls.enter_paper(poll.id, PaperEntry(sheet="1", code=codes[0]), staff="A")


def test_envelopes_reconcile(p: Participatie, code_poll: CodePoll) -> None:
    poll, codes = code_poll(3)
    p.polls.set_paper_envelopes(poll.id, 3, staff="A")
    twice(p, poll, "1", codes[0], ["Ecozone"])
    twice(p, poll, "2", codes[1], ["Ecozone"])
    p.polls.close(poll.id, actor="a")
    tally = p.polls.tally(poll.id)
    assert tally.paper.envelopes_counted == 3
    assert tally.paper.sheets_entered == 2
    assert tally.paper.envelopes_match is False


def test_conflicts_counted_in_the_statement_also_in_a_host_session(
    p: Participatie, code_poll: CodePoll
) -> None:
    """The poll's conflict counter is raised by the UPDATE itself (never read, add one,
    write back); a host that keeps one session across calls still reads the new value."""

    poll, codes = code_poll(3)
    with p.session_scope() as s:
        for code in codes:
            p.polls.cast(poll.id, BallotIn(choices=["Ecozone"]), code=code, session=s)
        p.polls.close(poll.id, actor="a", session=s)
        for sheet, code in enumerate(codes[:2], start=1):
            for staff in ("A", "B"):
                entry = PaperEntry(sheet=str(sheet), code=code, marks=["Hoog Paddepoel"])
                p.polls.enter_paper(poll.id, entry, staff=staff, session=s)
        tally = p.polls.tally(poll.id, session=s)
        assert tally.reconciliation.channel_conflicts == 2
    assert p.polls.tally(poll.id).reconciliation.channel_conflicts == 2
