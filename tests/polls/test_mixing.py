"""Mixes while voting goes on: the ``polls.mix`` job rewrites the ballots cast since the
last mix once ``PollSettings.mix_size`` wait, so closing rewrites only the rest.

What a copy of the database taken after closing can tell is then the mix a ballot went
into, no more: pairing credentials with ballots by any order the tables show does no
better than pairing at random within each mix (and channel). With three mixes of 100 and
three channels, a random pairing within each of the nine groups has about nine correct
pairs (one fixed point per group); P(Poisson(9) >= 35) < 4e-11 per ordering. Without
the mixes, the rowid order pairs all 300.
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
from participatie.polls.schemas import BallotIn
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


def _flags(p: Participatie, model: Any, poll_id: Any) -> dict[bool, int]:
    table = cast(Table, model.__table__)
    with p.engine.connect() as conn:
        rows = conn.execute(
            select(table.c.mixed, func.count())
            .where(table.c.poll_id == poll_id)
            .group_by(table.c.mixed)
        ).all()
    return {bool(mixed): int(n) for mixed, n in rows}


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


def test_mixes_while_voting_leave_pairing_no_closer_than_the_mix(
    p: Participatie, clock: FixedClock
) -> None:
    """300 of 330 letters vote online and at the desk; the job runs every 25 votes and
    mixes at 100; closing rewrites the last 100 and nothing mixed before."""

    q = _mixing(p)
    rng = random.Random(4242)
    poll = _ranked_poll(q)
    codes = issue(q, poll, 330)
    q.polls.open(poll.id, actor="projectleider")
    # Issued codes carry no vote: nothing for a mix to do.
    assert _flags(q, CredentialRow, poll.id) == {True: 330}
    orders = _orders()
    truth: dict[str, Content] = {}
    for n, code in enumerate(codes[:300]):
        clock.advance(timedelta(minutes=rng.randint(1, 40), seconds=rng.randint(0, 59)))
        channel = rng.choice(["online", "online", "online", "desk"])
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
            mixed = {"polls": 1, "ballots": MIX} if (n + 1) in (100, 200, 300) else None
            assert run.result == (mixed or {"polls": 0, "ballots": 0}), n
    # The third hundred was mixed by the job too; cast ten more for closing to mix.
    assert _flags(q, BallotRow, poll.id) == {True: 300}
    for n, code in enumerate(codes[300:310], start=300):
        q.polls.cast(poll.id, BallotIn(choices=_names(orders[n])), code=code)
        truth[q.hasher.code(codes_mod.parse_code(code))] = orders[n]
    assert _flags(q, BallotRow, poll.id) == {True: 300, False: 10}
    assert _flags(q, CredentialRow, poll.id) == {True: 320, False: 10}
    q.polls.close(poll.id, actor="projectleider")
    assert [d["ballots"] for d in _audit(q, "poll.mixed")] == [100, 100, 100]
    assert _audit(q, "poll.closed")[0]["ballots_mixed"] == 10
    assert _flags(q, BallotRow, poll.id) == {True: 310}
    assert _flags(q, CredentialRow, poll.id) == {True: 330}
    scores = _attack(q, poll.id, truth)
    worst = max(scores, key=lambda k: scores[k])
    assert scores[worst] < BOUND_MIXED, f"{worst}: {scores[worst]} correct pairs"
    tally = q.polls.tally(poll.id)
    assert tally.ballots == 310 and tally.reconciliation.matches


def test_the_job_waits_for_a_mix_worth_and_skips_ended_polls(
    p: Participatie, clock: FixedClock
) -> None:
    """Below ``mix_size`` nothing is rewritten; a re-vote makes the ballot it replaces
    wait for the next mix again; an ended poll is closing's business, not the job's."""

    q = _mixing(p)
    poll = _ranked_poll(q, allow_change=True)
    codes = issue(q, poll, 120)
    q.polls.open(poll.id, actor="projectleider")
    orders = _orders()
    for n, code in enumerate(codes[:99]):
        q.polls.cast(poll.id, BallotIn(choices=_names(orders[n])), code=code)
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
    q.polls.close(poll.id, actor="projectleider")
    assert _audit(q, "poll.closed")[0]["ballots_mixed"] == 2
    assert _flags(q, BallotRow, poll.id) == {True: 101}
    for code in codes[100:]:
        with pytest.raises(PollClosed):
            q.polls.cast(poll.id, BallotIn(choices=["A"]), code=code)
    assert q.polls.mix_due() == {"polls": 0, "ballots": 0}
    result = q.polls.tally(poll.id)
    assert result.ballots == 100 and result.reconciliation.matches


def test_votes_racing_a_mix_are_all_kept(p: Participatie) -> None:
    """Four residents' threads vote while a fifth runs the job again and again: every
    vote is counted once, whichever side of a mix it fell on."""

    q = _mixing(p)
    poll = _ranked_poll(q)
    codes = issue(q, poll, 240)
    q.polls.open(poll.id, actor="projectleider")
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
    closing = _audit(q, "poll.closed")[0]["ballots_mixed"]
    assert sum(mixes) + closing == 240
    result = q.polls.tally(poll.id)
    assert result.ballots == 240 and result.reconciliation.matches
    published = sorted(tuple(b.choices) for b in q.polls.published_ballots(poll.id))
    assert published == sorted(tuple(_names(orders[n])) for n in range(240))
