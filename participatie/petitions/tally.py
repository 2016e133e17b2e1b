"""A petition's signatures counted by state, by wijk and by day, and the verified signers
who show their name, kept in step with the rows.

Every statement that adds, removes or changes the state of signatures moves these counts
by what it changed, in the same transaction, so the desk and the public pages read a few
small rows instead of scanning the signatures; ``drifts`` compares them with the rows.
"""

from __future__ import annotations

import random
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any, NamedTuple, cast

from sqlalchemy import (
    Date,
    String,
    Table,
    bindparam,
    delete,
    func,
    insert,
    literal_column,
    null,
    select,
    union_all,
    update,
)
from sqlalchemy import (
    cast as sql_cast,
)
from sqlalchemy.orm import Session

from participatie.petitions.models import PENDING, VERIFIED, SignatureRow, TallyRow
from participatie.petitions.schemas import TallyDrift
from participatie.prepared import Prepared

#: Counted by state (every signature), by wijk and by day of confirmation (verified only).
STATE = "state"
AREA = "area"
DAY = "day"
#: Verified signers who agreed to show their name and still have one (the public list).
NAMED = "named"
#: The label of signatures without a wijk (a postcode outside every wijk).
NO_AREA = ""
#: Rows changed per statement when a bulk change must know which rows it changed.
CHUNK = 1000

#: ``{(kind, label): delta}``
Moves = dict[tuple[str, str], int]

TALLY = cast(Table, TallyRow.__table__)
_T = TALLY.c
_UPSERTS: dict[str, Prepared] = {}
#: One count's row in an upsert: every column given (the statement is prepared).
_ROW = {
    name: bindparam(name, type_=_T[name].type)
    for name in ("petition_id", "kind", "label", "shard", "n")
}


class Tallies(NamedTuple):
    """A petition's counts: per state, verified per wijk code (None: no wijk), per day,
    and the verified signers the public list of names shows."""

    states: dict[str, int]
    areas: dict[str | None, int]
    days: dict[date, int]
    named: int = 0


def shown_name() -> Any:
    """The rows the public list of names shows (with the petition and VERIFIED)."""

    return SignatureRow.show_name.is_(True) & SignatureRow.name.is_not(None)


def moves(
    old: str | None,
    new: str | None,
    *,
    area: str | None,
    day: date | None,
    named: bool = False,
) -> Moves:
    """What one signature going from state ``old`` to ``new`` does to the counts
    (``None``: the row is new, or removed). ``area`` and ``day`` are the row's wijk code
    and day of confirmation, ``named`` whether it shows a name; they count only while
    the row is verified."""

    counted: Counter[tuple[str, str]] = Counter()
    for state, sign in ((old, -1), (new, 1)):
        if state is None:
            continue
        counted[(STATE, state)] += sign
        if state == VERIFIED:
            counted[(AREA, area or NO_AREA)] += sign
            if day is not None:
                counted[(DAY, day.isoformat())] += sign
            if named:
                counted[(NAMED, "")] += sign
    return {key: n for key, n in counted.items() if n}


def apply(
    s: Session,
    petition_id: uuid.UUID,
    changes: Mapping[tuple[str, str], int],
    *,
    shards: int = 1,
    shard: int | None = None,
) -> None:
    """Add ``changes`` to the petition's counts: one upsert per count, in one round trip.

    A random shard of ``shards`` (or the given ``shard``): concurrent confirmations rarely
    wait on the same row. Rows are written in (kind, label) order, so two transactions
    never take the same rows in opposite orders.
    """

    rows = [
        {"petition_id": petition_id, "kind": kind, "label": label, "shard": 0, "n": n}
        for (kind, label), n in sorted(changes.items())
        if n
    ]
    if not rows:
        return
    index = random.randrange(shards) if shard is None else shard
    for row in rows:
        row["shard"] = index
    _upsert(s.get_bind().dialect.name).executemany(s, rows)


def _upsert(dialect: str) -> Prepared:
    """INSERT .. ON CONFLICT DO UPDATE SET n = n + new n (ON DUPLICATE KEY on MariaDB)."""

    if dialect not in _UPSERTS:
        keys = [_T.petition_id, _T.kind, _T.label, _T.shard]
        if dialect in ("mysql", "mariadb"):
            from sqlalchemy.dialects.mysql import insert as mysql_insert

            mysql = mysql_insert(TALLY)
            mysql = mysql.values(_ROW)
            _UPSERTS[dialect] = Prepared(mysql.on_duplicate_key_update(n=_T.n + mysql.inserted.n))
        else:
            if dialect == "postgresql":
                from sqlalchemy.dialects.postgresql import insert as pg_insert

                base: Any = pg_insert(TALLY)
            else:
                from sqlalchemy.dialects.sqlite import insert as sqlite_insert

                base = sqlite_insert(TALLY)
            base = base.values(_ROW)
            _UPSERTS[dialect] = Prepared(
                base.on_conflict_do_update(index_elements=keys, set_={"n": _T.n + base.excluded.n})
            )
    return _UPSERTS[dialect]


_READ = (
    select(_T.kind, _T.label, func.sum(_T.n))
    .where(_T.petition_id == bindparam("pid"))
    .group_by(_T.kind, _T.label)
)


def read(s: Session, petition_id: uuid.UUID) -> Tallies:
    """The petition's counts, from the tally rows (a few per wijk and day; no signatures)."""

    states: dict[str, int] = {}
    areas: dict[str | None, int] = {}
    days: dict[date, int] = {}
    named = 0
    for kind, label, n in s.connection().execute(_READ, {"pid": petition_id}):
        count = int(n or 0)
        if kind == STATE:
            states[str(label)] = count
        elif kind == AREA and count:
            areas[str(label) or None] = count
        elif kind == DAY and count:
            days[date.fromisoformat(str(label))] = count
        elif kind == NAMED:
            named = count
    return Tallies(states, areas, days, named)


def named_count(s: Session, petition_id: uuid.UUID) -> int:
    """How many names the public list has: one small sum, no signatures read."""

    found = s.scalar(select(func.sum(_T.n)).where(_T.petition_id == petition_id, _T.kind == NAMED))
    return int(found or 0)


def _text(value: str) -> Any:
    # A constant in the statement, not a parameter: PostgreSQL needs a type for every
    # column of a UNION, which an untyped parameter does not give.
    return literal_column(f"'{value}'", String(8))


def from_rows(where: Any) -> list[Any]:
    """The counts as the signature rows matching ``where`` give them: four selects of
    (petition_id, kind, label, day, n), one row per count; ``label`` is empty and ``day``
    the date for the counts per day (a date made text would carry the connection's
    collation on MariaDB, which a UNION with the table's text refuses)."""

    s_ = SignatureRow
    verified = (s_.status == VERIFIED) & where
    n = func.count().label("n")
    no_day = sql_cast(null(), Date).label("day")
    return [
        select(s_.petition_id, _text(STATE).label("kind"), s_.status.label("label"), no_day, n)
        .where(where)
        .group_by(s_.petition_id, s_.status),
        select(
            s_.petition_id,
            _text(AREA).label("kind"),
            func.coalesce(s_.area_code, NO_AREA).label("label"),
            no_day,
            n,
        )
        .where(verified)
        .group_by(s_.petition_id, s_.area_code),
        select(
            s_.petition_id,
            _text(DAY).label("kind"),
            _text("").label("label"),
            s_.confirmed_day.label("day"),
            n,
        )
        .where(verified, s_.confirmed_day.is_not(None))
        .group_by(s_.petition_id, s_.confirmed_day),
        select(s_.petition_id, _text(NAMED).label("kind"), _text("").label("label"), no_day, n)
        .where(verified, shown_name())
        .group_by(s_.petition_id),
    ]


def rebuild(s: Session, petition_id: uuid.UUID) -> None:
    """Count the petition's signatures again into its tally (for rows loaded in bulk, or
    to repair a drift): the old counts go, the rows' counts are written in shard 0."""

    s.execute(delete(TallyRow).where(TallyRow.petition_id == petition_id))
    columns = ["petition_id", "kind", "label", "shard", "n"]
    zero: Any = literal_column("0")
    groups = from_rows(SignatureRow.petition_id == petition_id)
    by_state, by_area, by_day, by_name = (group.subquery() for group in groups)
    for rows, label in (
        (by_state, by_state.c.label),
        (by_area, by_area.c.label),
        (by_name, by_name.c.label),
        # Outside a UNION a date made text is harmless: the insert converts it.
        (by_day, sql_cast(by_day.c.day, String(50))),
    ):
        s.execute(
            insert(TallyRow).from_select(
                columns, select(rows.c.petition_id, rows.c.kind, label, zero, rows.c.n)
            )
        )


def drifts(s: Session, petition_id: uuid.UUID) -> list[TallyDrift]:
    """Every count whose tally differs from the rows, read in one statement (one snapshot
    under READ COMMITTED), so a change committing meanwhile is never a drift."""

    rows = union_all(*from_rows(SignatureRow.petition_id == petition_id)).subquery()
    kept = (
        select(
            _text("kept"), _T.kind, _T.label, sql_cast(null(), Date).label("day"), func.sum(_T.n)
        )
        .where(_T.petition_id == petition_id)
        .group_by(_T.kind, _T.label)
    )
    counted = select(_text("rows"), rows.c.kind, rows.c.label, rows.c.day, rows.c.n)
    both: dict[tuple[str, str], dict[str, int]] = {}
    for source, kind, label, day, n in s.execute(union_all(kept, counted)):
        key = (str(kind), day.isoformat() if isinstance(day, date) else str(label))
        both.setdefault(key, {})[str(source)] = int(n or 0)
    found = []
    for (kind, label), seen in sorted(both.items()):
        if seen.get("kept", 0) != seen.get("rows", 0):
            found.append(
                TallyDrift(
                    kind=kind, label=label, kept=seen.get("kept", 0), rows=seen.get("rows", 0)
                )
            )
    return found


def change_states(
    s: Session,
    petition_id: uuid.UUID,
    where: Sequence[Any],
    states: Iterable[str],
    new: str,
    values: Mapping[str, Any],
    order: Sequence[str],
) -> dict[str, int]:
    """Move the petition's signatures matching ``where`` from each of ``states`` to state
    ``new`` (with ``values``), and the counts with them; returns the rows changed per state.

    One UPDATE per state, in ``order``. Verified rows also count per wijk and day, so they
    are locked first (``FOR UPDATE``; SQLite has one writer) and changed by id: the counts
    then move by exactly the rows changed. ``new`` may not be ``verified`` (a day of
    confirmation cannot be set in bulk).
    """

    if new == VERIFIED:
        raise ValueError("signatures are verified one by one, by their signer")
    wanted = set(states)
    changed: dict[str, int] = {}
    total: Counter[tuple[str, str]] = Counter()
    ranked = sorted(wanted, key=lambda st: (order.index(st) if st in order else len(order), st))
    for state in ranked:
        if state != VERIFIED:
            result = s.execute(
                update(SignatureRow)
                .where(*where, SignatureRow.status == state)
                .values(status=new, **values)
                .execution_options(synchronize_session=False)
            )
            n = int(result.rowcount or 0)  # type: ignore[attr-defined]
            changed[state] = n
            total.update({key: d * n for key, d in moves(state, new, area=None, day=None).items()})
            continue
        locked = s.execute(
            select(
                SignatureRow.id,
                SignatureRow.area_code,
                SignatureRow.confirmed_day,
                shown_name().label("named"),
            )
            .where(*where, SignatureRow.status == state)
            .with_for_update()
        ).all()
        n = 0
        for start in range(0, len(locked), CHUNK):
            part = locked[start : start + CHUNK]
            result = s.execute(
                update(SignatureRow)
                .where(SignatureRow.id.in_([r.id for r in part]), SignatureRow.status == state)
                .values(status=new, **values)
                .execution_options(synchronize_session=False)
            )
            if int(result.rowcount or 0) != len(part):  # type: ignore[attr-defined]
                # Locked rows cannot change state; if they did, undo everything.
                raise RuntimeError("signatures changed state while locked")
            n += len(part)
            for r in part:
                total.update(
                    moves(state, new, area=r.area_code, day=r.confirmed_day, named=bool(r.named))
                )
        changed[state] = n
    apply(s, petition_id, total, shard=0)
    return changed


def delete_pending(s: Session, where: Any) -> int:
    """Delete the pending signatures matching ``where`` (of any petitions) and take them
    off their petitions' counts; returns how many went."""

    result = s.execute(
        delete(SignatureRow)
        .where(where, SignatureRow.status == PENDING)
        .returning(SignatureRow.petition_id)
        .execution_options(synchronize_session=False)
    )
    per_petition = Counter(result.scalars())
    for pid, n in sorted(per_petition.items(), key=lambda item: str(item[0])):
        apply(s, pid, {(STATE, PENDING): -n}, shard=0)
    return sum(per_petition.values())
