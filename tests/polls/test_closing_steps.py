"""Closing, cancelling and publishing in steps (``polls.closing``): on SQLite other writers
get in while closing reads the ballots file, a change meanwhile leaves no stale SHA-256,
a closer killed between steps leaves a state the job and publication finish, and with a
host's session everything stays in the host's one transaction."""

from __future__ import annotations

import hashlib
import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from participatie.clock import FixedClock
from participatie.engine import Participatie
from participatie.errors import DatabaseUnavailable
from participatie.polls import closing, tallying
from participatie.polls.ballots import hash_ballots
from participatie.polls.closing import Closing
from participatie.polls.errors import PollClosed
from participatie.polls.models import BallotRow, CredentialRow, PollRow
from participatie.polls.schemas import BallotIn, PaperEntry, Poll
from participatie.testing import make_participatie
from tests.polls.conftest import LOCATIONS, issue, make_poll
from tests.polls.test_mixing import _flags

ROOT = Path(__file__).resolve().parents[2]


def _voted(p: Participatie, votes: int = 8, **overrides: Any) -> tuple[Poll, list[str]]:
    """An open poll with ``votes`` online ballots cast and four codes left over."""

    poll = make_poll(p, **overrides)
    codes = issue(p, poll, votes + 4)
    p.polls.open(poll.id, actor="projectleider")
    for n, code in enumerate(codes[:votes]):
        p.polls.cast(poll.id, BallotIn(choices=[LOCATIONS[n % 3]]), code=code)
    return poll, codes


def _paper(p: Participatie, poll: Poll, sheet: str, code: str) -> None:
    for typist in ("Anna", "Bert"):
        entry = PaperEntry(sheet=sheet, code=code, marks=[LOCATIONS[3]])
        p.polls.enter_paper(poll.id, entry, staff=typist)


def _file_sha(p: Participatie, poll: Poll) -> str:
    buffer = io.BytesIO()
    p.polls.write_ballots(poll.id, buffer)
    return hashlib.sha256(buffer.getvalue()).hexdigest()


def _actions(p: Participatie, poll: Poll) -> list[str]:
    return [e.action for e in p.audit.events(subject_type="poll", subject_id=poll.id)]


def _stored_sha(p: Participatie, poll: Poll) -> str | None:
    with p.session_scope(readonly=True) as s:
        return s.execute(select(PollRow.ballots_sha256).where(PollRow.id == poll.id)).scalar()


def test_sqlite_writers_get_in_while_closing_reads_the_ballots_file(
    tmp_path: Path, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A poll of a million ballots takes about a second to hash: another writer (a
    signature, a vote elsewhere) must not wait for it. Here a second connection writes
    while the file is being read, with a timeout far below the test's busy timeout."""

    path = tmp_path / "t.db"
    p = make_participatie(f"sqlite:///{path}", clock=clock)
    p.create_all()
    poll, _ = _voted(p)
    wrote: list[str] = []
    real = hash_ballots

    def hash_while_another_writes(s: Any, row: PollRow) -> str:
        other = sqlite3.connect(path, timeout=0.3, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("CREATE TABLE IF NOT EXISTS elsewhere (x INTEGER)")
            other.execute("INSERT INTO elsewhere VALUES (1)")
            other.execute("COMMIT")
            wrote.append("written")
        finally:
            other.close()
        return real(s, row)

    monkeypatch.setattr(closing, "hash_ballots", hash_while_another_writes)
    p.polls.close(poll.id, actor="projectleider")
    assert wrote == ["written"]
    assert _stored_sha(p, poll) == _file_sha(p, poll)
    p.dispose()


def test_paper_typed_in_while_the_file_is_read_leaves_no_stale_digest(
    p: Participatie, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The late envelope is typed in (twice) between reading the poll's revision and
    reading the ballots file: the digest read is not stored, the one asked for later
    covers the paper ballot."""

    poll, codes = _voted(p)
    real = hash_ballots
    typed: list[bool] = []

    def hash_after_paper(s: Any, row: PollRow) -> str:
        if not typed:
            typed.append(True)
            _paper(p, poll, "LAAT", codes[-1])
        return real(s, row)

    monkeypatch.setattr(closing, "hash_ballots", hash_after_paper)
    p.polls.close(poll.id, actor="projectleider")
    assert typed == [True]
    assert _stored_sha(p, poll) is None
    assert "poll.ballots_hashed" not in _actions(p, poll)
    monkeypatch.setattr(closing, "hash_ballots", hash_ballots)
    tally = p.polls.tally(poll.id)
    assert tally.ballots == 9
    assert tally.ballots_sha256 == _file_sha(p, poll)
    result = p.polls.publish(poll.id, actor="projectleider")
    assert result.ballots_sha256 == _file_sha(p, poll) == _stored_sha(p, poll)


def test_a_closer_killed_between_steps_leaves_what_the_job_and_publication_finish(
    p: Participatie,
) -> None:
    """A real process closes the poll and is killed (SIGKILL) once the state changed,
    before any mix: the poll is closed, the votes wait; the ``polls.mix`` job mixes them,
    publication stores the SHA-256 of the file as it stands."""

    poll, _ = _voted(p, allow_change=True, precedence="first")
    url = p.engine.url.render_as_string(hide_password=False)
    script = textwrap.dedent(
        f"""
        import os, signal
        from participatie.polls.closing import Closing
        from participatie.testing import make_participatie

        def killed(self, *args, **kwargs):
            os.kill(os.getpid(), signal.SIGKILL)

        Closing._mix_waiting = killed
        make_participatie({url!r}).polls.close({str(poll.id)!r}, actor="projectleider")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=dict(os.environ), timeout=120
    )
    assert done.returncode == -signal.SIGKILL
    assert p.polls.get(poll.id).state == "closed"
    assert _flags(p, BallotRow, poll.id) == {False: 8}
    assert _actions(p, poll)[-2:] == ["poll.closed", "poll.links_destroyed"]
    with p.engine.connect() as conn:
        links = conn.execute(select(BallotRow.link).where(BallotRow.poll_id == poll.id))
        assert {link for (link,) in links} == {None}
    assert p.polls.mix_due() == {"polls": 1, "ballots": 8}
    assert _flags(p, BallotRow, poll.id) == {True: 8}
    assert _flags(p, CredentialRow, poll.id) == {True: 12}
    result = p.polls.publish(poll.id, actor="projectleider")
    assert result.ballots == 8
    assert result.ballots_sha256 == _file_sha(p, poll) == _stored_sha(p, poll)


def _killed_run(p: Participatie, target: str, call: str) -> None:
    """Run ``call`` on a facade in a process of its own, which SIGKILLs itself when
    ``target`` (``module:Class.method`` or ``module:function``) is called."""

    url = p.engine.url.render_as_string(hide_password=False)
    module, _, name = target.partition(":")
    owner, _, attribute = name.rpartition(".")
    script = textwrap.dedent(
        f"""
        import importlib, os, signal
        from participatie.testing import make_participatie

        def killed(*args, **kwargs):
            os.kill(os.getpid(), signal.SIGKILL)

        where = importlib.import_module({module!r})
        if {owner!r}:
            where = getattr(where, {owner!r})
        setattr(where, {attribute!r}, killed)
        p = make_participatie({url!r})
        {call}
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=dict(os.environ), timeout=120
    )
    assert done.returncode == -signal.SIGKILL


def _pending(p: Participatie, poll: Poll) -> tuple[bool, str | None]:
    with p.session_scope(readonly=True) as s:
        row = s.execute(
            select(PollRow.steps_pending, PollRow.mix_pending).where(PollRow.id == poll.id)
        ).one()
        return bool(row[0]), row[1]


def test_a_cancel_killed_between_steps_is_finished_by_the_job(p: Participatie) -> None:
    poll, _ = _voted(p, allow_change=True)
    _killed_run(
        p,
        "participatie.polls.closing:Closing._mix_waiting",
        f"p.polls.cancel({str(poll.id)!r}, actor='griffie', reason='fout')",
    )
    assert p.polls.get(poll.id).state == "cancelled"
    assert _pending(p, poll) == (True, None)
    assert _flags(p, BallotRow, poll.id) == {False: 8}
    assert p.polls.mix_due() == {"polls": 1, "ballots": 8}
    assert _pending(p, poll) == (False, None)
    assert _flags(p, BallotRow, poll.id) == {True: 8}
    with p.engine.connect() as conn:
        links = conn.execute(select(BallotRow.link).where(BallotRow.poll_id == poll.id))
        assert {link for (link,) in links} == {None}
    assert p.polls.mix_due() == {"polls": 0, "ballots": 0}


def test_a_mix_killed_between_ballots_and_credentials_is_finished_first(
    p: Participatie,
) -> None:
    """The closer dies once a mix's ballots are rewritten, before its credentials: the
    job finishes that mix (the credentials get its number) before anything else."""

    poll, _ = _voted(p)
    _killed_run(
        p,
        "participatie.polls.mixing:mix_credentials",
        f"p.polls.close({str(poll.id)!r}, actor='projectleider')",
    )
    steps, half_made = _pending(p, poll)
    assert steps and half_made is not None
    number = json.loads(half_made)["number"]
    assert _flags(p, BallotRow, poll.id) == {True: 8}
    assert _flags(p, CredentialRow, poll.id)[False] == 8
    with p.engine.connect() as conn:
        ballots = conn.execute(select(BallotRow.mix).where(BallotRow.poll_id == poll.id))
        assert {mix for (mix,) in ballots} == {number}
    p.polls.mix_due()
    assert _pending(p, poll) == (False, None)
    # Closing's steps then ran on: the poll's one mix (fewer than mix_size) was taken in
    # once more. Ballots and credentials share their mix number again.
    with p.engine.connect() as conn:
        ballots = conn.execute(select(BallotRow.mix).where(BallotRow.poll_id == poll.id))
        used = conn.execute(
            select(CredentialRow.mix).where(
                CredentialRow.poll_id == poll.id, CredentialRow.uses > 0
            )
        )
        assert {mix for (mix,) in used} == {mix for (mix,) in ballots} == {number + 1}
    assert p.polls.tally(poll.id).ballots_sha256 == _file_sha(p, poll) == _stored_sha(p, poll)


def test_a_database_failing_after_the_state_change_leaves_the_rest_to_the_job(
    p: Participatie, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``close`` answers with the closed poll (the change stands; retrying would only
    meet ``state.invalid``) and logs; the job does what was left."""

    poll, _ = _voted(p)

    def unavailable(self: Closing, *args: Any) -> int:
        raise DatabaseUnavailable("the database stayed locked")

    monkeypatch.setattr(Closing, "_mix_waiting", unavailable)
    assert p.polls.close(poll.id, actor="projectleider").state == "closed"
    assert _pending(p, poll) == (True, None)
    monkeypatch.undo()
    assert p.polls.mix_due() == {"polls": 1, "ballots": 8}
    assert _pending(p, poll) == (False, None)
    assert _stored_sha(p, poll) == _file_sha(p, poll)


def test_once_publication_began_paper_waits_until_it_is_done(
    p: Participatie, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Paper takes precedence over online here, which needs the keyed links: a
    publication that stopped after its first step refuses paper (the links are going)
    until it is run again and finishes."""

    poll, codes = _voted(p, precedence="paper")
    p.polls.close(poll.id, actor="projectleider")
    _paper(p, poll, "VOOR", codes[0])  # replaces the online vote of codes[0]

    def stopped(self: Closing, *args: Any) -> int:
        raise RuntimeError("stopped")

    monkeypatch.setattr(Closing, "_mix_waiting", stopped)
    with pytest.raises(RuntimeError):
        p.polls.publish(poll.id, actor="projectleider")
    assert p.polls.get(poll.id).state == "closed"
    with pytest.raises(PollClosed):
        _paper(p, poll, "NA", codes[1])
    monkeypatch.undo()
    result = p.polls.publish(poll.id, actor="projectleider")
    assert result.ballots == 8
    assert _flags(p, BallotRow, poll.id) == {True: 9}


@pytest.mark.parametrize("rule", ["approval", "ranked"])
def test_publication_counts_outside_its_write_step_unless_a_ballot_changed(
    p: Participatie, monkeypatch: pytest.MonkeyPatch, rule: str
) -> None:
    """Publication counts the marks in a read-only step. A late envelope typed in right
    after that count (paper is still taken here: paper does not take precedence) moves
    ``ballots_revision``, and the last step counts again: the published result holds
    the paper ballot."""

    extra: dict[str, Any] = {"rule": "ranked", "seats": 1, "max_choices": None}
    poll, codes = _voted(p, **(extra if rule == "ranked" else {}))
    p.polls.close(poll.id, actor="projectleider")
    real = tallying.count_marks
    calls: list[int] = []

    def count_then_paper(s: Any, row: PollRow) -> tallying.Marks:
        counted = real(s, row)
        calls.append(1)
        if len(calls) == 1:
            _paper(p, poll, "LAAT", codes[-1])
        return counted

    monkeypatch.setattr(tallying, "count_marks", count_then_paper)
    result = p.polls.publish(poll.id, actor="projectleider")
    assert len(calls) == 2  # counted again inside, since the paper ballot came in
    assert result.ballots == 9
    assert sum(o.votes for o in result.options) == 9
    assert result.options[3].name == LOCATIONS[3] and result.options[3].votes == 1
    assert result.ballots_sha256 == _file_sha(p, poll) == _stored_sha(p, poll)


def test_publication_uses_the_marks_counted_before_when_nothing_changed(
    p: Participatie, monkeypatch: pytest.MonkeyPatch
) -> None:
    poll, _ = _voted(p)
    p.polls.close(poll.id, actor="projectleider")
    before = p.polls.tally(poll.id)
    real = tallying.count_marks
    calls: list[int] = []

    def counting(s: Any, row: PollRow) -> tallying.Marks:
        calls.append(1)
        return real(s, row)

    monkeypatch.setattr(tallying, "count_marks", counting)
    result = p.polls.publish(poll.id, actor="projectleider")
    assert calls == [1]
    assert [(o.name, o.votes) for o in result.options] == [
        (o.name, o.votes) for o in before.options
    ]
    assert result.winners == before.winners and result.state == "published"


def test_with_a_host_session_closing_is_the_hosts_one_transaction(p: Participatie) -> None:
    poll, _ = _voted(p, allow_change=True, precedence="first")
    before = _actions(p, poll)
    with p.session_scope() as s:
        p.polls.close(poll.id, actor="projectleider", session=s)
        s.rollback()
    assert p.polls.get(poll.id).state == "open"
    assert _actions(p, poll) == before
    assert _flags(p, BallotRow, poll.id) == {False: 8}
    with p.session_scope() as s:
        closed = p.polls.close(poll.id, actor="projectleider", session=s)
        assert closed.state == "closed"
    assert _actions(p, poll)[len(before) :] == [
        "poll.closed",
        "poll.links_destroyed",
        "poll.mixed",
        "poll.ballots_hashed",
    ]
    assert _flags(p, BallotRow, poll.id) == {True: 8}
    assert _stored_sha(p, poll) == _file_sha(p, poll)
