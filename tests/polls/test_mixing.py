"""Mixes while voting goes on: the ``polls.mix`` job rewrites a channel's ballots cast
since its last mix once ``PollSettings.mix_size`` live ones wait, so closing rewrites only
the rest, taking in the channel's newest mixes until no mix holds fewer.

What a copy of the database taken after closing can tell is then the mix a ballot went
into, no more: pairing credentials with ballots by any order the tables show does no
better than pairing at random within each mix. With at most four mixes (each of one
channel), a random pairing within each has about four correct pairs (one fixed point per
mix); P(Poisson(4) >= 35) < 1e-17 per ordering. Without the mixes, the rowid order pairs
all 300.
"""

from __future__ import annotations

import random
import threading
from datetime import timedelta
from typing import Any, cast

import pytest
from sqlalchemy import Table, func, select

from participatie.clock import FixedClock
from participatie.engine import Participatie
from participatie.outbox.mailers import RecordingMailer
from participatie.polls import codes as codes_mod
from participatie.polls.errors import PollClosed
from participatie.polls.models import BallotChoiceRow, BallotRow, CredentialRow
from participatie.polls.schemas import BallotIn, PaperEntry, Poll
from tests.polls.conftest import issue
from tests.polls.test_secrecy_at_rest import Content, _attack, _names, _orders, _ranked_poll

MIX = 100
BOUND_MIXED = 35


def _mixing(p: Participatie, size: int = MIX) -> Participatie:
    """The same deployment with mixes of ``size`` ballots."""

    settings = p.settings.model_copy(
        update={"polls": p.settings.polls.model_copy(update={"mix_size": size})}
    )
    return Participatie(settings, engine=p.engine, clock=p.clock, mailer=RecordingMailer())


def _opened(q: Participatie, letters: int, **overrides: Any) -> tuple[Poll, list[str]]:
    """A ranked poll of six options with ``letters`` codes issued, open."""

    poll = _ranked_poll(q, **overrides)
    codes = issue(q, poll, letters)
    q.polls.open(poll.id, actor="projectleider")
    return poll, codes


def _vote(q: Participatie, poll: Poll, codes: list[str]) -> None:
    """The n-th code votes the n-th order of the options (a ballot no one else casts)."""

    orders = _orders()
    for n, code in enumerate(codes):
        q.polls.cast(poll.id, BallotIn(choices=_names(orders[n])), code=code)


def _flags(p: Participatie, model: Any, poll_id: Any) -> dict[bool, int]:
    """Rows mixed (True: a mix number, or 0 for codes no vote used) and waiting (False)."""

    table = cast(Table, model.__table__)
    mixed = table.c.mix.is_not(None)
    with p.engine.connect() as conn:
        rows = conn.execute(
            select(mixed, func.count()).where(table.c.poll_id == poll_id).group_by(mixed)
        ).all()
    return {bool(m): int(n) for m, n in rows}


def _mixes(
    p: Participatie, poll_id: Any, *, closed: bool = True
) -> dict[int, tuple[set[str], int, int]]:
    """Mix number -> (channels, live ballots, credentials); once ``closed``, no row may
    wait for a mix any more."""

    b = cast(Table, BallotRow.__table__).c
    c = cast(Table, CredentialRow.__table__).c
    out: dict[int, tuple[set[str], int, int]] = {}
    with p.engine.connect() as conn:
        for number, channel, superseded in conn.execute(
            select(b.mix, b.channel, b.superseded).where(b.poll_id == poll_id)
        ):
            assert number is not None or not closed, "a ballot still waits for a mix"
            if number is None:
                continue
            channels, live, creds = out.get(number, (set(), 0, 0))
            out[number] = (channels | {channel}, live + (not superseded), creds)
        for (number,) in conn.execute(select(c.mix).where(c.poll_id == poll_id, c.uses > 0)):
            assert number is not None or not closed, "a credential still waits for a mix"
            if number is None:
                continue
            channels, live, creds = out.get(number, (set(), 0, 0))
            out[number] = (channels, live, creds + 1)
    return out


def _every_mix_is_a_crowd(p: Participatie, poll_id: Any, size: int = MIX) -> None:
    """Each mix holds one channel and at least ``size`` live ballots, or all of its
    channel's: no ballot hides among fewer."""

    mixes = _mixes(p, poll_id)
    per_channel: dict[str, int] = {}
    for channels, live, _ in mixes.values():
        assert len(channels) <= 1, channels
        for channel in channels:
            per_channel[channel] = per_channel.get(channel, 0) + live
    for number, (channels, live, _) in mixes.items():
        if channels:
            (channel,) = channels
            assert live >= min(size, per_channel[channel]), (number, channel, live)


def _contents(p: Participatie, poll_id: Any) -> list[tuple[Any, ...]]:
    """Every ballot with its marks, in no particular order: what a mix must keep."""

    ballots = cast(Table, BallotRow.__table__).c
    choices = cast(Table, BallotChoiceRow.__table__).c
    with p.engine.connect() as conn:
        rows = conn.execute(
            select(
                ballots.id,
                ballots.tracker,
                ballots.channel,
                ballots.blank,
                ballots.invalid,
                ballots.superseded,
                ballots.link,
                choices.option_position,
                choices.rank,
                choices.points,
                choices.counted,
            )
            .outerjoin(BallotChoiceRow.__table__, choices.ballot_id == ballots.id)
            .where(ballots.poll_id == poll_id)
        ).all()
    return sorted(tuple(str(v) for v in r) for r in rows)


def _audit(p: Participatie, action: str) -> list[dict[str, Any]]:
    return [e.data for e in p.audit.events(action=action)]


def _mixed_at_closing(p: Participatie) -> int:
    """The live ballots of the mixes after ``poll.closed`` (closing mixes in steps)."""

    events = [(e.action, e.data) for e in p.audit.events(subject_type="poll")]
    closed = [a for a, _ in events].index("poll.closed")
    return sum(d["live"] for a, d in events[closed:] if a == "poll.mixed")


def test_mixes_while_voting_leave_pairing_no_closer_than_the_mix(
    p: Participatie, clock: FixedClock
) -> None:
    """300 of 330 letters vote online and at the desk; the job runs every 25 votes and
    mixes a channel at 100; closing mixes the rest, taking in the newest online mix, and
    leaves the first online mix as it was."""

    q = _mixing(p)
    rng = random.Random(4242)
    poll, codes = _opened(q, 330)
    # Issued codes carry no vote: nothing for a mix to do.
    assert _flags(q, CredentialRow, poll.id) == {True: 330}
    orders = _orders()
    truth: dict[str, Content] = {}
    channels = ["online"] * 240 + ["desk"] * 60
    rng.shuffle(channels)
    for n, (code, channel) in enumerate(zip(codes[:300], channels, strict=True)):
        clock.advance(timedelta(minutes=rng.randint(1, 40), seconds=rng.randint(0, 59)))
        q.polls.cast(
            poll.id,
            BallotIn(choices=_names(orders[n])),
            code=code,
            channel=channel,
            staff="balie: M. Jansen" if channel == "desk" else None,
        )
        truth[q.hasher.code(codes_mod.parse_code(code))] = orders[n]
        if (n + 1) % 25 == 0:
            run = q.jobs.run_due(clock.now(), only="polls.mix")[0]
            assert run.result["ballots"] in (0, *range(MIX, MIX + 25)), run.result
    # Two online mixes by the job; 40-odd online and all 60 desk ballots wait.
    made = _audit(q, "poll.mixed")
    assert [d["channel"] for d in made] == ["online", "online"]
    assert all(d["ballots"] >= MIX for d in made)
    first = min(n for n in _mixes(q, poll.id, closed=False) if n)
    before = {n: v for n, v in _mixes(q, poll.id, closed=False).items() if n == first}
    q.polls.close(poll.id, actor="projectleider")
    # The newest online mix is taken in (40-odd is too few); the first stays as it was.
    closing = _mixed_at_closing(q)
    assert closing == 300 - made[0]["ballots"]
    assert {n: v for n, v in _mixes(q, poll.id).items() if n == first} == before
    assert _flags(q, BallotRow, poll.id) == {True: 300}
    assert _flags(q, CredentialRow, poll.id) == {True: 330}
    _every_mix_is_a_crowd(q, poll.id)
    assert len(_mixes(q, poll.id)) == 3  # two online, one desk
    scores = _attack(q, poll.id, truth)
    worst = max(scores, key=lambda k: scores[k])
    assert scores[worst] < BOUND_MIXED, f"{worst}: {scores[worst]} correct pairs"
    tally = q.polls.tally(poll.id)
    assert tally.ballots == 300 and tally.reconciliation.matches


def test_one_vote_after_the_last_mix_hides_in_a_crowd(p: Participatie) -> None:
    """A single vote cast after the job's last mix is not mixed alone at closing: the
    channel's newest mix is taken in, so the voter hides among a mix's worth."""

    q = _mixing(p)
    poll, codes = _opened(q, 101)
    orders = _orders()
    _vote(q, poll, codes[:100])
    assert q.polls.mix_due() == {"polls": 1, "ballots": 100}
    q.polls.cast(poll.id, BallotIn(choices=_names(orders[100])), code=codes[100])
    q.polls.close(poll.id, actor="projectleider")
    assert _mixed_at_closing(q) == 101
    mixes = _mixes(q, poll.id)
    assert sorted((live, creds) for _, live, creds in mixes.values() if live) == [(101, 101)]
    _every_mix_is_a_crowd(q, poll.id)


def test_changed_votes_neither_fill_a_mix_nor_escape_one(
    p: Participatie, clock: FixedClock
) -> None:
    """Only live ballots count towards ``mix_size``: one voter changing their vote 99
    times cannot force a mix of two. A changed vote makes the ballot it replaces, and the
    credential, wait for the next mix again. An ended poll is closing's business."""

    q = _mixing(p)
    poll, codes = _opened(q, 120, allow_change=True)
    orders = _orders()
    _vote(q, poll, codes[:99])
    assert q.polls.mix_due() == {"polls": 0, "ballots": 0}
    assert _flags(q, BallotRow, poll.id) == {False: 99}
    q.polls.cast(poll.id, BallotIn(choices=_names(orders[99])), code=codes[99])
    before = _contents(q, poll.id)
    assert q.polls.mix_due() == {"polls": 1, "ballots": 100}
    assert _flags(q, BallotRow, poll.id) == {True: 100}
    assert q.polls.mix_due() == {"polls": 0, "ballots": 0}
    assert _contents(q, poll.id) == before
    # A changed vote writes the old ballot (superseded) and the credential again.
    q.polls.cast(poll.id, BallotIn(choices=_names(orders[200])), code=codes[0])
    assert _flags(q, BallotRow, poll.id) == {True: 99, False: 2}
    assert _flags(q, CredentialRow, poll.id) == {True: 119, False: 1}
    # A victim votes, an attacker changes their vote again and again: two live ballots.
    q.polls.cast(poll.id, BallotIn(choices=_names(orders[300])), code=codes[100])
    for n in range(99):
        q.polls.cast(poll.id, BallotIn(choices=_names(orders[400 + n])), code=codes[101])
    assert q.polls.mix_due() == {"polls": 0, "ballots": 0}
    q.polls.close(poll.id, actor="projectleider")
    # Three live ballots wait: the mix of 100 is taken in (one of its ballots moved out).
    assert _mixed_at_closing(q) == 102
    assert _flags(q, BallotRow, poll.id) == {True: 201}
    _every_mix_is_a_crowd(q, poll.id)
    for code in codes[102:]:
        with pytest.raises(PollClosed):
            q.polls.cast(poll.id, BallotIn(choices=["A"]), code=code)
    assert q.polls.mix_due() == {"polls": 0, "ballots": 0}
    result = q.polls.tally(poll.id)
    assert result.ballots == 102 and result.reconciliation.matches


def test_votes_racing_a_mix_are_all_kept(p: Participatie) -> None:
    """Four residents' threads vote while a fifth runs the job again and again: every
    vote is counted once, whichever side of a mix it fell on."""

    q = _mixing(p)
    poll, codes = _opened(q, 240)
    orders = _orders()
    done = threading.Event()
    errors: list[BaseException] = []
    mixes: list[int] = []

    mixed_once = threading.Event()

    def vote(part: list[tuple[int, str]]) -> None:
        try:
            for n, code in part:
                if n >= 160:
                    # A busy machine may starve the mixer: the last votes wait for a mix.
                    mixed_once.wait(timeout=60)
                q.polls.cast(poll.id, BallotIn(choices=_names(orders[n])), code=code)
        except BaseException as exc:
            errors.append(exc)

    def mixer() -> None:
        try:
            while not done.is_set():
                mixes.append(q.polls.mix_due()["ballots"])
                if mixes[-1]:
                    mixed_once.set()
        except BaseException as exc:
            errors.append(exc)

    numbered = list(enumerate(codes))
    voters = [threading.Thread(target=vote, args=(numbered[i::4],)) for i in range(4)]
    mixing = threading.Thread(target=mixer)
    mixing.start()
    for t in voters:
        t.start()
    for t in voters:
        t.join()
    done.set()
    mixing.join()
    assert errors == []
    assert sum(mixes) >= MIX  # mixes ran while the votes came in
    q.polls.close(poll.id, actor="projectleider")
    assert _flags(q, BallotRow, poll.id) == {True: 240}
    _every_mix_is_a_crowd(q, poll.id)
    result = q.polls.tally(poll.id)
    assert result.ballots == 240 and result.reconciliation.matches
    published = sorted(tuple(b.choices) for b in q.polls.published_ballots(poll.id))
    assert published == sorted(tuple(_names(orders[n])) for n in range(240))


def test_mixes_emptied_by_changed_votes_are_taken_in_at_closing(p: Participatie) -> None:
    """100 vote and are mixed; 99 of them change their vote (their old ballots and
    credentials leave the mix), one more votes, the job mixes those 100. The first mix
    holds one voter and one live ballot: closing takes it in, whatever waits."""

    q = _mixing(p)
    poll, codes = _opened(q, 101, allow_change=True)
    orders = _orders()
    _vote(q, poll, codes[:100])
    assert q.polls.mix_due()["ballots"] == 100
    for n, code in enumerate(codes[1:100], start=1):
        q.polls.cast(poll.id, BallotIn(choices=_names(orders[200 + n])), code=code)
    q.polls.cast(poll.id, BallotIn(choices=_names(orders[150])), code=codes[100])
    assert q.polls.mix_due()["ballots"] == 199  # 99 old ballots waited with them
    hollow = [n for n, (_, live, _) in _mixes(q, poll.id).items() if live == 1]
    assert len(hollow) == 1
    q.polls.close(poll.id, actor="projectleider")
    _every_mix_is_a_crowd(q, poll.id)
    assert hollow[0] not in _mixes(q, poll.id)


def test_paper_typed_after_closing_is_mixed_by_the_job(p: Participatie) -> None:
    """A paper ballot typed in after closing waits for a mix only until the job's next
    run, not until publication: then it hides among its channel's ballots."""

    q = _mixing(p)
    poll, codes = _opened(q, 150, precedence="paper")
    orders = _orders()
    _vote(q, poll, codes[:120])
    for n, code in enumerate(codes[120:130], start=120):
        for typist in ("Anna", "Bert"):
            entry = PaperEntry(sheet=f"S{n}", code=code, marks=_names(orders[n]))
            q.polls.enter_paper(poll.id, entry, staff=typist)
    q.polls.close(poll.id, actor="projectleider")
    # One late envelope, and one that replaces an online vote (paper takes precedence).
    for sheet, (code, n) in enumerate(((codes[140], 140), (codes[5], 300)), start=1):
        for typist in ("Anna", "Bert"):
            entry = PaperEntry(sheet=f"LATE{sheet}", code=code, marks=_names(orders[n]))
            q.polls.enter_paper(poll.id, entry, staff=typist)
    assert _flags(q, BallotRow, poll.id)[False] == 3  # two paper, one replaced online
    run = q.polls.mix_due()
    assert run["polls"] == 1
    assert _flags(q, BallotRow, poll.id) == {True: 132}
    assert _flags(q, CredentialRow, poll.id) == {True: 150}
    _every_mix_is_a_crowd(q, poll.id)
    assert q.polls.mix_due() == {"polls": 0, "ballots": 0}
    result = q.polls.publish(poll.id, actor="projectleider")
    assert result.ballots == 131
