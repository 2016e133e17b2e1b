"""The published ballots file, written from the driver's rows, is byte for byte the file of
``ballot_line`` per published ballot: names that need escaping, marks in ballot order,
blank, invalid and paper ballots, cumulative points sorted by name, an empty poll; and a
connection lost under the driver's stream is ``db.unavailable``."""

from __future__ import annotations

import hashlib
import io
from typing import Any

import pytest
from sqlalchemy import Connection, event

from participatie.engine import Participatie
from participatie.errors import DatabaseUnavailable
from participatie.polls.ballots import ballot_line
from participatie.polls.schemas import BallotIn, OptionIn, PaperEntry, Poll
from tests.faults import backend_id, kill
from tests.polls.conftest import issue, make_poll

#: Quotes, a backslash, letters past ASCII and an emoji; "B" sorts before "a" and "Ω".
NAMES = ['Plein "Noord"', "Back\\slash", "Zoë 🌳 Ŝŭ", "a kleine", "B grote", "Ω"]


def expected(p: Participatie, poll: Poll) -> bytes:
    lines = [
        ballot_line(b.tracker, b.channel, b.choices, b.invalid, b.points)
        for b in p.polls.published_ballots(poll.id)
    ]
    body = "[\n" + ",\n".join(lines) + "\n]\n" if lines else "[\n]\n"
    return body.encode()


def written(p: Participatie, poll: Poll) -> tuple[bytes, str]:
    buffer = io.BytesIO()
    digest = p.polls.write_ballots(poll.id, buffer)
    return buffer.getvalue(), digest


def test_ballots_file_is_ballot_line_per_ballot(
    p: Participatie, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL also with ``COPY`` read in blocks of every message and of 7 bytes
    (blocks ending inside lines and between the two backslashes of an escape)."""

    poll = make_poll(p, options=[OptionIn(name=n) for n in NAMES], seats=2, max_choices=3)
    codes = issue(p, poll, 9)
    p.polls.open(poll.id, actor="a")
    online = [
        [NAMES[2], NAMES[0]],
        [NAMES[5], NAMES[1], NAMES[4]],
        [NAMES[3]],
        [],
        [NAMES[0], NAMES[1], NAMES[2]],
        [NAMES[4]],
    ]
    for marks, code in zip(online, codes, strict=False):
        p.polls.cast(poll.id, BallotIn(choices=marks), code=code)
    # On paper: one with one mark, one with too many marks (invalid), one blank.
    for sheet, (code, marks) in enumerate(
        zip(codes[6:], [[NAMES[1]], NAMES[:4], []], strict=True), start=1
    ):
        for staff in ("Anna", "Bert"):
            entry = PaperEntry(sheet=str(sheet), code=code, marks=marks)
            p.polls.enter_paper(poll.id, entry, staff=staff)
    p.polls.close(poll.id, actor="a")

    data, digest = written(p, poll)
    assert data == expected(p, poll)
    assert digest == hashlib.sha256(data).hexdigest() == p.polls.tally(poll.id).ballots_sha256
    if p.engine.dialect.name == "postgresql":
        for block in (1, 7):
            monkeypatch.setattr("participatie.exports.rows.COPY_BLOCK", block)
            assert written(p, poll) == (data, digest), block
    ballots = list(p.polls.published_ballots(poll.id))
    assert len(ballots) == 9
    assert sum(b.invalid for b in ballots) == 1
    assert sorted(b.channel for b in ballots) == ["online"] * 6 + ["paper"] * 3
    assert b'"Plein \\"Noord\\""' in data and b'"Back\\\\slash"' in data
    assert "Zoë 🌳 Ŝŭ".encode() in data


def test_cumulative_points_are_sorted_by_name(p: Participatie) -> None:
    poll = make_poll(
        p,
        options=[OptionIn(name=n) for n in NAMES],
        rule="cumulative",
        seats=1,
        max_choices=None,
        points=6,
    )
    codes = issue(p, poll, 4)
    p.polls.open(poll.id, actor="a")
    given = [
        {NAMES[5]: 1, NAMES[3]: 2, NAMES[4]: 3},
        {NAMES[0]: 6},
        {NAMES[2]: 2, NAMES[1]: 2},
    ]
    for points, code in zip(given, codes, strict=False):
        p.polls.cast(poll.id, BallotIn(points=points), code=code)
    p.polls.close(poll.id, actor="a")

    data, digest = written(p, poll)
    assert data == expected(p, poll)
    assert digest == p.polls.tally(poll.id).ballots_sha256
    assert b'"points":{"B grote":3,"a kleine":2,"\xce\xa9":1}' in data


def test_a_poll_without_ballots_has_an_empty_list(p: Participatie) -> None:
    poll = make_poll(p)
    issue(p, poll, 1)
    p.polls.open(poll.id, actor="a")
    p.polls.close(poll.id, actor="a")
    data, digest = written(p, poll)
    assert data == b"[\n]\n" == expected(p, poll)
    assert digest == hashlib.sha256(b"[\n]\n").hexdigest()


@pytest.mark.parametrize("dialect", ["postgresql", "mariadb"], indirect=True)
def test_a_connection_lost_while_streaming_is_db_unavailable(p: Participatie) -> None:
    """The ballots come off the driver's own stream (COPY, PyMySQL's unbuffered cursor):
    a connection killed just before it starts is ``db.unavailable``, the pool drops the
    dead connection, and the next call writes the whole file."""

    poll = make_poll(p)
    codes = issue(p, poll, 2)
    p.polls.open(poll.id, actor="a")
    for code in codes:
        p.polls.cast(poll.id, BallotIn(choices=["Ecozone"]), code=code)
    p.polls.close(poll.id, actor="a")
    killed: list[int] = []

    def after(conn: Connection, cursor: Any, statement: str, *args: Any) -> None:
        # The options are the last thing read through SQLAlchemy before the stream.
        if not killed and "FROM participatie_polls_option" in statement:
            killed.append(backend_id(conn))
            kill(p, killed[0])

    event.listen(p.engine, "after_cursor_execute", after)
    try:
        with pytest.raises(DatabaseUnavailable) as info:
            p.polls.write_ballots(poll.id, io.BytesIO())
    finally:
        event.remove(p.engine, "after_cursor_execute", after)
    assert killed and info.value.code == "db.unavailable"
    data, digest = written(p, poll)
    assert data == expected(p, poll) and data.count(b'"tracker"') == 2
    assert digest == p.polls.tally(poll.id).ballots_sha256
