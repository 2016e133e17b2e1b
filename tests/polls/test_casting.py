"""Casting: each refusal is a clear error that writes nothing; codes, e-mail links over a
real SMTP server, host identities, open polls; changing a vote; revoke and reissue."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from participatie.clock import FixedClock
from participatie.config import SmtpSettings
from participatie.engine import Participatie
from participatie.errors import InvalidInput, InvalidState
from participatie.identity import normalize_email
from participatie.outbox.mailers import SmtpMailer
from participatie.polls import codes as codes_mod
from participatie.polls.errors import (
    AlreadyVoted,
    CodeRevoked,
    CodesAlreadyIssued,
    CodeTypo,
    InvalidBallot,
    NotEligible,
    PollClosed,
    PollNotOpen,
    UnknownCode,
)
from participatie.polls.models import BallotChoiceRow, BallotRow, CredentialRow
from participatie.polls.schemas import BallotIn, Poll
from participatie.testing import SmtpSink
from tests.polls.conftest import issue, make_poll

CodePoll = Callable[..., tuple[Poll, list[str]]]


def counts(p: Participatie) -> tuple[int, int, int]:
    with p.session_scope() as s:
        ballots = s.execute(select(func.count()).select_from(BallotRow)).scalar_one()
        choices = s.execute(select(func.count()).select_from(BallotChoiceRow)).scalar_one()
        used = s.execute(select(func.coalesce(func.sum(CredentialRow.uses), 0))).scalar_one()
    return int(ballots), int(choices), int(used)


def test_vote_with_code(p: Participatie, code_poll: CodePoll) -> None:
    poll, codes = code_poll(3)
    receipt = p.polls.cast(poll.id, BallotIn(choices=["ecozone", "1"]), code=codes[0].lower())
    assert re.fullmatch(r"[0-9a-f]{4}(-[0-9a-f]{4}){3}", receipt.tracker)
    assert counts(p) == (1, 2, 1)
    events = p.audit.events(action="poll.ballot_recorded")
    assert len(events) == 1 and events[0].data == {"channel": "online", "replaced": False}
    assert receipt.tracker not in events[0].model_dump_json()


def test_refusals_write_nothing(p: Participatie, code_poll: CodePoll, clock: FixedClock) -> None:
    poll, codes = code_poll(3)
    p.polls.cast(poll.id, BallotIn(choices=["Ecozone"]), code=codes[0])
    before = counts(p)
    audit_before = len(p.audit.events())
    typo = codes[1][:-1] + ("2" if codes[1][-1] != "2" else "3")
    cases: list[tuple[type[Exception], str, Callable[[], object]]] = [
        (
            AlreadyVoted,
            "poll.already_voted",
            lambda: p.polls.cast(poll.id, BallotIn(), code=codes[0]),
        ),
        (CodeTypo, "poll.code_typo", lambda: p.polls.cast(poll.id, BallotIn(), code=typo)),
        (
            UnknownCode,
            "poll.unknown_code",
            lambda: p.polls.cast(
                poll.id, BallotIn(), code=codes_mod.format_code(codes_mod.generate_code())
            ),
        ),
        (
            InvalidBallot,
            "poll.invalid_ballot",
            lambda: p.polls.cast(
                poll.id, BallotIn(choices=["Ecozone", "Hoog Paddepoel", "3"]), code=codes[1]
            ),
        ),
        (
            InvalidBallot,
            "poll.invalid_ballot",
            lambda: p.polls.cast(poll.id, BallotIn(choices=["Zwembad"]), code=codes[1]),
        ),
        (
            InvalidBallot,
            "poll.invalid_ballot",
            lambda: p.polls.cast(poll.id, BallotIn(choices=["Ecozone", "ecozone"]), code=codes[1]),
        ),
        (InvalidInput, "input.invalid", lambda: p.polls.cast(poll.id, BallotIn(), code=None)),
    ]
    for error, code, call in cases:
        with pytest.raises(error) as info:
            call()
        assert info.value.code == code  # type: ignore[attr-defined]
        assert info.value.field in ("code", "choices")  # type: ignore[attr-defined]
    assert counts(p) == before
    assert len(p.audit.events()) == audit_before


def test_not_open_and_closed(p: Participatie, clock: FixedClock) -> None:
    poll = make_poll(p)
    codes = issue(p, poll, 2)
    with pytest.raises(PollNotOpen):
        p.polls.cast(poll.id, BallotIn(choices=["Ecozone"]), code=codes[0])
    p.polls.open(poll.id, actor="a")
    p.polls.close(poll.id, actor="a")
    with pytest.raises(PollClosed) as info:
        p.polls.cast(poll.id, BallotIn(choices=["Ecozone"]), code=codes[0])
    assert info.value.code == "poll.closed"
    assert counts(p) == (0, 0, 0)


def test_closing_time_passes_before_the_job_runs(p: Participatie, clock: FixedClock) -> None:
    poll = make_poll(p, closes_at=clock.now() + timedelta(hours=1))
    codes = issue(p, poll, 1)
    p.polls.open(poll.id, actor="a")
    clock.advance(timedelta(hours=1))
    with pytest.raises(PollClosed):
        p.polls.cast(poll.id, BallotIn(choices=["Ecozone"]), code=codes[0])


def test_blank_only_when_allowed(p: Participatie, code_poll: CodePoll) -> None:
    poll, codes = code_poll(2, allow_blank=False)
    with pytest.raises(InvalidBallot, match="blank"):
        p.polls.cast(poll.id, BallotIn(), code=codes[0])
    assert counts(p) == (0, 0, 0)


def test_codes_are_one_time_and_stored_hashed(p: Participatie) -> None:
    poll = make_poll(p)
    codes = issue(p, poll, 4)
    with pytest.raises(CodesAlreadyIssued):
        p.polls.issue_codes(poll.id, io.BytesIO(), count=1, actor="a")
    with p.session_scope() as s:
        hashes = set(s.execute(select(CredentialRow.key_hash)).scalars())
        dump = " ".join(
            str(v)
            for row in s.execute(text("SELECT * FROM participatie_polls_credential"))
            for v in row
        )
    assert len(hashes) == 4
    for code in codes:
        compact = code.replace("-", "")
        assert compact not in dump and code not in dump
        assert p.hasher.code(compact) in hashes


def test_revoke_and_reissue(p: Participatie, code_poll: CodePoll) -> None:
    poll, codes = code_poll(3)
    new = p.polls.reissue_code(poll.id, 2, actor="balie")
    assert new.serial == 4 and new.code != codes[1]
    with pytest.raises(CodeRevoked) as info:
        p.polls.cast(poll.id, BallotIn(choices=["Ecozone"]), code=codes[1])
    assert info.value.code == "poll.code_revoked"
    p.polls.cast(poll.id, BallotIn(choices=["Ecozone"]), code=new.code)
    p.polls.cast(poll.id, BallotIn(choices=["Ecozone"]), code=codes[0])
    with pytest.raises(InvalidState):  # used codes cannot be revoked
        p.polls.revoke_code(poll.id, 1, actor="balie")
    p.polls.close(poll.id, actor="a")
    tally = p.polls.tally(poll.id)
    assert tally.eligible == 3 and tally.ballots == 2
    assert tally.reconciliation.credentials_revoked == 1
    assert tally.reconciliation.matches is True
    actions = [e.action for e in p.audit.events(subject_type="poll")]
    assert "poll.code_reissued" in actions


def test_several_ballots_per_code(p: Participatie, code_poll: CodePoll) -> None:
    poll, codes = code_poll(1, ballots_per_code=2)
    p.polls.cast(poll.id, BallotIn(choices=["Ecozone"]), code=codes[0])
    p.polls.cast(poll.id, BallotIn(choices=["Hoog Paddepoel"]), code=codes[0])
    with pytest.raises(AlreadyVoted):
        p.polls.cast(poll.id, BallotIn(choices=["Ecozone"]), code=codes[0])
    assert counts(p) == (2, 2, 2)


def test_change_vote_supersedes_and_links_die_at_closing(
    p: Participatie, code_poll: CodePoll
) -> None:
    poll, codes = code_poll(2, allow_change=True)
    first = p.polls.cast(poll.id, BallotIn(choices=["Ecozone"]), code=codes[0])
    second = p.polls.cast(poll.id, BallotIn(choices=["Hoog Paddepoel"]), code=codes[0])
    assert second.replaced_earlier and second.tracker != first.tracker
    with p.session_scope() as s:
        links = list(s.execute(select(BallotRow.link).where(BallotRow.link.is_not(None))).scalars())
    assert len(links) == 1
    p.polls.close(poll.id, actor="a")
    with p.session_scope() as s:
        assert s.execute(select(func.count()).where(BallotRow.link.is_not(None))).scalar_one() == 0
        assert (
            s.execute(select(func.count()).where(BallotRow.superseded.is_(True))).scalar_one() == 1
        )
    tally = p.polls.tally(poll.id)
    assert {o.name: o.votes for o in tally.options}["Ecozone"] == 0
    assert {o.name: o.votes for o in tally.options}["Hoog Paddepoel"] == 1
    assert tally.ballots == 1 and tally.reconciliation.ballots_superseded == 1
    assert p.polls.find_tracker(poll.id, first.tracker) is None
    found = p.polls.find_tracker(poll.id, second.tracker)
    assert found is not None and found.choices == ["Hoog Paddepoel"]


def test_email_link_over_smtp(p: Participatie, smtp: SmtpSink) -> None:
    poll = make_poll(p, eligibility="email", eligible_count=100)
    p.polls.open(poll.id, actor="a")
    p.polls.request_email_link(poll.id, "Inwoner@Example.NL", locale="nl")
    mailer = SmtpMailer(SmtpSettings(host=smtp.host, port=smtp.port))
    report = p.outbox.deliver(mailer=mailer)
    assert report.sent == 1
    message = smtp.to("Inwoner@example.nl")[0]
    body = message.get_payload(decode=True)
    assert isinstance(body, bytes)
    link = re.search(r"https://\S+/polls/confirm/(\S+)", body.decode())
    assert link is not None and "stemmen" in body.decode()
    token = link.group(1)
    p.polls.cast(poll.id, BallotIn(choices=["Ecozone"]), email_token=token)
    with pytest.raises(AlreadyVoted):
        p.polls.cast(poll.id, BallotIn(choices=["Ecozone"]), email_token=token)
    # A second link for the same address (any spelling) is the same voter.
    p.polls.request_email_link(poll.id, "inwoner@example.nl")
    second = p.outbox.messages()[-1].text_body
    token2 = re.search(r"/polls/confirm/(\S+)", second)
    assert token2 is not None
    with pytest.raises(AlreadyVoted):
        p.polls.cast(poll.id, BallotIn(choices=["Ecozone"]), email_token=token2.group(1))
    with p.session_scope() as s:
        dump = " ".join(
            str(v)
            for row in s.execute(text("SELECT * FROM participatie_polls_credential"))
            for v in row
        )
    assert "inwoner" not in dump.lower()
    # Keyed per poll: not the hash other modules keep for the same address.
    assert p.hasher.email(normalize_email("inwoner@example.nl")) not in dump


def test_host_identity_and_area(p: Participatie) -> None:
    from participatie.areas import AreaIn

    p.areas.create(AreaIn(code="paddepoel", name="Paddepoel", postcodes=["9742"]), actor="test")
    poll = make_poll(p, eligibility="host", area_codes=["paddepoel"], eligible_count=10)
    p.polls.open(poll.id, actor="a")
    p.polls.cast(
        poll.id, BallotIn(choices=["Ecozone"]), subject="digid:123456789", postcode="9742AB"
    )
    with pytest.raises(AlreadyVoted):
        p.polls.cast(
            poll.id, BallotIn(choices=["Ecozone"]), subject="digid:123456789", postcode="9742AB"
        )
    with pytest.raises(NotEligible) as info:
        p.polls.cast(poll.id, BallotIn(choices=["Ecozone"]), subject="digid:222", postcode="9711AA")
    assert info.value.field == "postcode"
    with pytest.raises(NotEligible):
        p.polls.cast(poll.id, BallotIn(choices=["Ecozone"]), subject="digid:222")
    with p.session_scope() as s:
        dump = " ".join(
            str(v)
            for row in s.execute(text("SELECT * FROM participatie_polls_credential"))
            for v in row
        )
    # The subject is stored only as a keyed hash (ids and hashes are hex, so a
    # nine-digit number cannot appear in them by chance in any real sense).
    assert "digid" not in dump and "123456789" not in dump
    assert counts(p)[0] == 1


def test_open_poll_is_indicative(p: Participatie) -> None:
    poll = make_poll(p, eligibility="open")
    p.polls.open(poll.id, actor="a")
    for _ in range(3):
        p.polls.cast(poll.id, BallotIn(choices=["Ecozone"]))
    p.polls.close(poll.id, actor="a")
    tally = p.polls.tally(poll.id)
    assert tally.indicative and tally.ballots == 3


def test_desk_channel_names_staff(p: Participatie, code_poll: CodePoll) -> None:
    poll, codes = code_poll(1)
    with pytest.raises(InvalidInput) as info:
        p.polls.cast(poll.id, BallotIn(choices=["Ecozone"]), code=codes[0], channel="desk")
    assert info.value.field == "staff"
    receipt = p.polls.cast(
        poll.id, BallotIn(choices=["Ecozone"]), code=codes[0], channel="desk", staff="balie 1"
    )
    assert receipt.channel == "desk"
    p.polls.close(poll.id, actor="a")
    assert p.polls.tally(poll.id).channels["desk"] == 1


def test_host_session_commits_or_rolls_back_with_the_vote(
    p: Participatie, code_poll: CodePoll
) -> None:
    poll, codes = code_poll(2)

    class HostFailure(Exception):
        pass

    with pytest.raises(HostFailure), p.session_scope() as s:
        p.polls.cast(poll.id, BallotIn(choices=["Ecozone"]), code=codes[0], session=s)
        raise HostFailure  # the host's own work fails after the vote
    assert counts(p) == (0, 0, 0)
    # The code is still unused: the vote went back with the host's transaction.
    with p.session_scope() as s:
        p.polls.cast(poll.id, BallotIn(choices=["Ecozone"]), code=codes[0], session=s)
    assert counts(p) == (1, 1, 1)


def test_failed_issue_leaves_no_letters_file(
    p: Participatie, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    poll = make_poll(p)
    same = codes_mod.generate_code()
    monkeypatch.setattr(codes_mod, "generate_code", lambda: same)
    out = tmp_path / "letters.csv"
    with pytest.raises(InvalidState, match="collision"):
        p.polls.issue_codes(poll.id, out, count=3, actor="a")
    assert not out.exists()
    assert p.polls.get(poll.id).codes_issued_at is None
    with p.session_scope() as s:
        assert s.execute(select(func.count()).select_from(CredentialRow)).scalar_one() == 0
    monkeypatch.undo()
    p.polls.issue_codes(poll.id, out, count=3, actor="a")  # a clean second try works
    assert len(out.read_text(encoding="utf-8-sig").splitlines()) == 4


def test_a_cast_reads_no_options_once_the_poll_is_open(
    p: Participatie, code_poll: CodePoll
) -> None:
    """The options of an open poll are kept in memory: checking the ballot and writing its
    line of the ballots file read them there, not from the database on every vote."""

    from sqlalchemy import event

    poll, codes = code_poll(count=3)
    p.polls.cast(poll.id, BallotIn(choices=["Ecozone"]), code=codes[0])
    seen: list[str] = []

    def record(*args: object) -> None:
        seen.append(str(args[2]))

    event.listen(p.engine, "before_cursor_execute", record)
    try:
        p.polls.cast(poll.id, BallotIn(choices=["Ecozone", "Hoog Paddepoel"]), code=codes[1])
    finally:
        event.remove(p.engine, "before_cursor_execute", record)
    assert seen, "the cast ran no statement"
    assert not [q for q in seen if "participatie_polls_option" in q]
    lines = [b.line for b in _ballots(p, poll.id)]
    # Approval marks go in ballot order, which is the options' order.
    assert any('"choices":["Hoog Paddepoel","Ecozone"]' in line for line in lines)


def _ballots(p: Participatie, poll_id: object) -> list[BallotRow]:
    with p.session_scope(readonly=True) as s:
        rows = s.execute(select(BallotRow).where(BallotRow.poll_id == poll_id)).scalars()
        found = list(rows)
        s.expunge_all()
        return found


def test_an_opening_rolled_back_leaves_no_options_in_memory(p: Participatie) -> None:
    """A host opens a poll and takes a vote in its own transaction, then rolls it back
    and edits the options: the next opening reads the new options, so ``"2"`` is the new
    second option, in the count and in the ballot's stored line alike."""

    from participatie.polls.ballots import ballot_line
    from participatie.polls.schemas import OptionIn, PollUpdate

    poll = make_poll(p, eligibility="open", max_choices=1, seats=1)
    with p.session_scope() as s:
        p.polls.open(poll.id, actor="a", session=s)
        p.polls.cast(poll.id, BallotIn(choices=["Ecozone"]), session=s)
        s.rollback()
    assert p.polls.get(poll.id).state == "draft"
    new = [OptionIn(name=n) for n in ("Noord", "Zuid", "Oost")]
    p.polls.update(poll.id, PollUpdate(options=new), actor="a")
    p.polls.open(poll.id, actor="a")
    p.polls.cast(poll.id, BallotIn(choices=["2"]))
    p.polls.close(poll.id, actor="a")
    (ballot,) = p.polls.published_ballots(poll.id)
    assert ballot.choices == ["Zuid"]
    (row,) = _ballots(p, poll.id)
    assert row.line == ballot_line(ballot.tracker, ballot.channel, ["Zuid"], False)
