"""The published ballots of a poll: counted ballots streamed by tracker, one JSON line
each, and the SHA-256 of that file that closing, publication and the tally rest on.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from typing import IO, Any, cast

from sqlalchemy import Connection, Select, Table, select
from sqlalchemy.orm import Session

from participatie.exports import CountingSha256Writer
from participatie.exports.rows import copied_lines, raw_rows
from participatie.polls.models import BallotChoiceRow, BallotRow, PollRow
from participatie.polls.schemas import PublishedBallot

_B = cast(Table, BallotRow.__table__).c
_CHOICES = cast(Table, BallotChoiceRow.__table__)
_C = _CHOICES.c
#: (tracker, channel, invalid, choices, points) of one counted ballot.
_BallotTuple = tuple[str, str, bool, list[str], dict[str, int] | None]


def ballot_line(
    tracker: str,
    channel: str,
    choices: list[str],
    invalid: bool,
    points: dict[str, int] | None = None,
) -> str:
    """One published ballot as compact JSON with sorted keys: same ballot, same bytes."""

    data: dict[str, Any] = {
        "channel": channel,
        "choices": choices,
        "invalid": invalid,
        "tracker": tracker,
    }
    if points is not None:
        data["points"] = dict(sorted(points.items()))
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _counted(row: PollRow) -> Select[Any]:
    """(tracker, channel, invalid, option position, points) of the counted ballots' marks,
    one row per mark (a ballot without marks: one row, its mark columns empty), by tracker and
    then the marks in ballot order."""

    return (
        select(_B.tracker, _B.channel, _B.invalid, _C.option_position, _C.points)
        .outerjoin(_CHOICES, _C.ballot_id == _B.id)
        .where(_B.poll_id == row.id, _B.superseded.is_(False))
        .order_by(_B.tracker, _C.rank, _C.option_position)
    )


def _ballot_rows(s: Session, row: PollRow, tracker: str | None = None) -> Iterator[_BallotTuple]:
    """(tracker, channel, invalid, choices, points) per counted ballot, by tracker."""

    names = {o.position: o.name for o in row.options}
    cumulative = row.rule == "cumulative"
    query = _counted(row)
    if tracker is not None:
        query = query.where(_B.tracker == tracker)
    # Core execution, streamed: a million ballots pass without ORM bookkeeping.
    result = s.connection().execute(query.execution_options(yield_per=10000))
    for key, group in itertools.groupby(result, key=lambda r: r[0]):
        rows = list(group)
        first = rows[0]
        marked = [(r[3], r[4]) for r in rows if r[3] is not None]
        yield (
            key,
            first[1],
            bool(first[2]),
            [names[pos] for pos, _ in marked],
            {names[pos]: int(pts) for pos, pts in marked} if cumulative else None,
        )


def published_ballots(
    s: Session, row: PollRow, tracker: str | None = None
) -> Iterator[PublishedBallot]:
    """The counted ballots as the public sees them, by tracker (or the one ``tracker``)."""

    for key, channel, invalid, choices, points in _ballot_rows(s, row, tracker):
        yield PublishedBallot(
            tracker=key, channel=channel, choices=choices, invalid=invalid, points=points
        )


def write_ballots(s: Session, row: PollRow, out: IO[bytes]) -> str:
    """Write the ballots file (a JSON list, one ballot per line); returns its SHA-256.

    A million ballots pass here at closing (the SHA-256) and at publication, so the file
    is read off the lines stored with the ballots (``BallotRow.line``, the
    :func:`ballot_line` of each) in tracker order, as the driver gives them
    (``exports.rows.raw_rows``), without joining the ballots to their marks.
    """

    sink = CountingSha256Writer(out)
    query = select(_B.line).where(_B.poll_id == row.id, _B.superseded.is_(False))
    conn = s.connection()
    if conn.dialect.name == "postgresql":
        # Byte order: for trackers (hex and dashes) the order of every collation, and on
        # PostgreSQL a sort several times faster than the database's collation (a
        # million lines: 0.65 s against 2 s). The lines go from COPY to the file as bytes.
        _copy_file(sink, conn, query.order_by(_B.tracker.collate("C")))
        return sink.hexdigest()
    sink.write("[")
    separator = "\n"
    batch: list[str] = []
    for (line,) in raw_rows(conn, query.order_by(_B.tracker), copy_types=("text",)):
        batch.append(line)
        if len(batch) == _BATCH:
            sink.write(separator + ",\n".join(batch))
            separator = ",\n"
            batch.clear()
    if batch:
        sink.write(separator + ",\n".join(batch))
    sink.write("\n]\n")
    return sink.hexdigest()


def _copy_file(sink: CountingSha256Writer, conn: Connection, query: Select[Any]) -> None:
    """The file from ``COPY``'s lines (``exports.rows.copied_lines``): the newline after
    each becomes ``,\\n``, and the last one's comma is held back and dropped."""

    sink.write_bytes(b"[")
    held = b""
    for block in copied_lines(conn, query):
        if not held:
            held = b"\n"  # the line break after "[", before the first line
        joined = held + block.replace(b"\n", b",\n")
        sink.write_bytes(joined[:-2])
        held = joined[-2:]
    # ``held`` is the last line's ",\n" (or nothing: no ballots).
    sink.write_bytes(b"\n]\n")


#: Lines joined and handed to the writer at once.
_BATCH = 1000


def hash_ballots(s: Session, row: PollRow) -> str:
    """The SHA-256 of the ballots file as it stands, written nowhere."""

    return write_ballots(s, row, cast(IO[bytes], _NullSink()))


def ballots_digest(s: Session, row: PollRow) -> str:
    """The ballots file's SHA-256: the one fixed at closing while no ballot changed since."""

    if row.ballots_sha256:
        return row.ballots_sha256
    return hash_ballots(s, row)


class _NullSink:
    """A binary sink that keeps nothing (hashing the ballots file without writing it)."""

    def write(self, data: bytes) -> int:
        return len(data)


__all__ = [
    "ballot_line",
    "ballots_digest",
    "hash_ballots",
    "published_ballots",
    "write_ballots",
]
