"""A ballot reduced to the marks that get stored, by the poll's rule: the same reading for
online, desk and paper ballots (paper records what cannot count as invalid).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from participatie.errors import InvalidInput
from participatie.polls.errors import InvalidBallot
from participatie.polls.models import PollRow
from participatie.polls.schemas import PaperEntry


@dataclass(frozen=True)
class Marks:
    """A ballot reduced to what gets stored: (position, rank, points) per marked option."""

    items: tuple[tuple[int, int, int], ...]
    blank: bool
    invalid: bool
    reason: str = ""


def ballot_marks(
    row: PollRow,
    by_name: dict[str, int],
    choices: Sequence[str],
    points: dict[str, int],
    *,
    field: str,
) -> Marks:
    """Reduce a ballot to stored marks; raise ``InvalidBallot`` for what cannot count.

    ``by_name`` maps each lower-case option name to its position.
    """

    n = len(by_name)

    def position(ref: str) -> int:
        text = " ".join(str(ref).split())
        if text.lower() in by_name:
            return by_name[text.lower()]
        if text.isdigit() and 1 <= int(text) <= n:
            return int(text)
        raise InvalidBallot(f"{text!r} is not one of the options", field=field)

    if row.rule == "cumulative":
        if choices:
            raise InvalidBallot("give points per option, not a list", field=field)
        given: dict[int, int] = {}
        for ref, value in points.items():
            pos = position(ref)
            if pos in given:
                raise InvalidBallot("an option is named twice", field=field)
            if not isinstance(value, int) or value < 0:
                raise InvalidBallot("points must be whole numbers of 0 or more", field=field)
            if value:
                given[pos] = value
        used = sum(given.values())
        if used > row.points:
            raise InvalidBallot(
                f"{used} points given, at most {row.points} may be distributed", field=field
            )
        items = tuple((pos, 0, pts) for pos, pts in sorted(given.items()))
    else:
        if points:
            raise InvalidBallot("points are only for cumulative polls", field=field)
        positions = [position(ref) for ref in choices]
        if len(set(positions)) != len(positions):
            raise InvalidBallot("an option is chosen twice", field=field)
        if len(positions) > row.max_choices:
            raise InvalidBallot(
                f"{len(positions)} options chosen, at most {row.max_choices} allowed",
                field=field,
            )
        if row.rule in ("borda", "ranked"):
            items = tuple(
                (pos, rank, (n - rank) if row.rule == "borda" else 1)
                for rank, pos in enumerate(positions, start=1)
            )
        else:
            items = tuple((pos, 0, 1) for pos in sorted(positions))
    blank = not items
    if blank and not row.allow_blank:
        raise InvalidBallot("a blank vote is not allowed in this poll", field=field)
    return Marks(items=items, blank=blank, invalid=False)


def check_typed(by_name: dict[str, int], entry: PaperEntry) -> None:
    """Refuse what a typist cannot have read off a ballot: a mark that is no option on it
    (``0``, ``9`` of four, ``een``), or one option typed twice. Those are typing errors,
    to be typed again, where a ballot the voter marked wrongly (too many marks, too many
    points) is recorded as invalid.

    Raises:
        InvalidInput: ``input.invalid``, field ``marks``.
    """

    if entry.unreadable:
        return
    n = len(by_name)
    seen: set[int] = set()
    for ref in [*entry.marks, *entry.points]:
        text = " ".join(str(ref).split())
        position = by_name.get(text.lower())
        if position is None and text.isdigit() and 1 <= int(text) <= n:
            position = int(text)
        if position is None:
            raise InvalidInput(
                f"{text!r} is no option on this ballot: type the option numbers 1 to {n}",
                field="marks",
            )
        if position in seen:
            raise InvalidInput(f"option {position} is typed twice", field="marks")
        seen.add(position)


def paper_marks(row: PollRow, by_name: dict[str, int], entry: PaperEntry) -> Marks:
    """Like an online ballot, except that what cannot count is recorded as invalid."""

    if entry.unreadable:
        return Marks(items=(), blank=False, invalid=True, reason="unreadable")
    try:
        return ballot_marks(row, by_name, entry.marks, entry.points, field="marks")
    except InvalidBallot as exc:
        return Marks(items=(), blank=False, invalid=True, reason=exc.message)


__all__ = ["Marks", "ballot_marks", "check_typed", "paper_marks"]
