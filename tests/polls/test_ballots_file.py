"""The published ballots file, written from the driver's rows, is byte for byte the file of
``ballot_line`` per published ballot: names that need escaping, marks in ballot order,
blank, invalid and paper ballots, cumulative points sorted by name, an empty poll; and a
connection lost under the driver's stream is ``db.unavailable``."""

from __future__ import annotations

import hashlib
import io
from typing import Any

import pytest
from sqlalchemy import Connection, event, select

from participatie.engine import Participatie
from participatie.errors import DatabaseUnavailable
from participatie.polls.ballots import ballot_line
from participatie.polls.models import BallotRow
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


RULES = {
    "approval": {"rule": "approval", "seats": 2, "max_choices": 3},
    "plurality": {"rule": "plurality", "seats": 1, "max_choices": None},
    "ranked": {"rule": "ranked", "seats": 1, "max_choices": None},
    "stv": {"rule": "ranked", "seats": 2, "max_choices": 4},
    "borda": {"rule": "borda", "seats": 1, "max_choices": None},
    "cumulative": {"rule": "cumulative", "seats": 1, "max_choices": None, "points": 5},
}


@pytest.mark.parametrize("rule", list(RULES))
def test_stored_lines_are_the_published_ballots(p: Participatie, rule: str) -> None:
    """Each ballot's stored line (``BallotRow.line``, the file's source) is ``ballot_line``
    of the ballot as published, for every rule: names typed in another case or as a
    position, blank, desk, a changed vote, unreadable, invalid and blank paper, paper
    taking precedence over an online vote, and paper typed in after closing."""

    names = ["Één plein", "Zaagmuldersweg", "ecozone", "Paddepoel 'Hoog'", 'x"y\\z']
    poll = make_poll(
        p,
        options=[OptionIn(name=n) for n in names],
        allow_change=True,
        precedence="paper",
        **RULES[rule],
    )
    codes = issue(p, poll, 20)
    p.polls.open(poll.id, actor="a")
    cumulative = rule == "cumulative"
    two = 1 if rule == "plurality" else 2

    def ballot(choices: list[str], points: dict[str, int]) -> BallotIn:
        return BallotIn(points=points) if cumulative else BallotIn(choices=choices[:two])

    ballots = [
        ballot(["4", "ÉÉN PLEIN"], {"ecozone": 3, "2": 2}),
        ballot([names[4]], {names[4]: 1, names[0]: 0}),
        BallotIn(),
        ballot(["3"], {"Zaagmuldersweg": 5}),
    ]
    for n, (choice, channel) in enumerate((b, ch) for b in ballots for ch in ("online", "desk")):
        staff = "balie: M. Jansen" if channel == "desk" else None
        p.polls.cast(poll.id, choice, code=codes[n], channel=channel, staff=staff)
    p.polls.cast(poll.id, ballots[0], code=codes[1])  # changed at the desk's code
    sheets = [
        PaperEntry(sheet="a", code=codes[8], unreadable=True),
        PaperEntry(sheet="b", code=codes[9], marks=[] if cumulative else names),
        PaperEntry(sheet="c", code=codes[10]),
        PaperEntry(
            sheet="d",
            code=codes[11],
            marks=[] if cumulative else ["2", "1"][:two],
            points={"1": 4, "5": 1} if cumulative else {},
        ),
        PaperEntry(
            sheet="e",
            code=codes[0],
            marks=[] if cumulative else ["5"],
            points={"5": 2} if cumulative else {},
        ),
    ]
    if cumulative:
        sheets[1] = PaperEntry(sheet="b", code=codes[9], points={names[0]: 9})  # too many
    for entry in sheets:
        for typist in ("Anna", "Bert"):
            p.polls.enter_paper(poll.id, entry, staff=typist)
    p.polls.close(poll.id, actor="a")
    late = PaperEntry(
        sheet="f",
        code=codes[12],
        marks=[] if cumulative else ["1"],
        points={"ecozone": 1} if cumulative else {},
    )
    for typist in ("Anna", "Bert"):
        p.polls.enter_paper(poll.id, late, staff=typist)
    p.polls.publish(poll.id, actor="a")
    table = BallotRow.__table__
    with p.engine.connect() as conn:
        stored = dict(
            conn.execute(
                select(table.c.tracker, table.c.line).where(
                    table.c.poll_id == poll.id, table.c.superseded.is_(False)
                )
            ).all()
        )
    published = list(p.polls.published_ballots(poll.id))
    assert len(published) == len(stored) == 8 + 5 + 1 - 1
    assert any(b.invalid for b in published) and any(not b.choices for b in published)
    for b in published:
        assert stored[b.tracker] == ballot_line(
            b.tracker, b.channel, b.choices, b.invalid, b.points
        ), b
