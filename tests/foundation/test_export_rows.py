"""``exports.rows.raw_rows``: the rows of a query as each driver streams them, in order and
whole, with the driver's errors raised as SQLAlchemy raises them."""

from __future__ import annotations

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select
from sqlalchemy.exc import DBAPIError

from participatie.engine import Participatie
from participatie.exports.rows import STREAM_BATCH, raw_rows

ROWS = STREAM_BATCH * 2 + 7


def test_rows_come_whole_and_in_order(p: Participatie) -> None:
    """More rows than two fetches, a ``%`` in a value written into the statement, and a
    name the query does not select by: nothing lost at a batch's edge."""

    table = Table(
        "participatie_test_rows",
        MetaData(),
        Column("n", Integer, primary_key=True, autoincrement=False),
        Column("label", String(20)),
    )
    table.create(p.engine)
    try:
        with p.engine.begin() as conn:
            conn.execute(insert(table), [{"n": n, "label": f"{n}%"} for n in range(ROWS)])
        query = (
            select(table.c.n, table.c.label)
            .where(table.c.label != "50%", table.c.n % 2 == 0)
            .order_by(table.c.n.desc())
        )
        with p.engine.connect() as conn:
            got = list(raw_rows(conn, query, copy_types=("int4", "text")))
        wanted = [(n, f"{n}%") for n in reversed(range(ROWS)) if n % 2 == 0 and n != 50]
        assert [(int(n), label) for n, label in got] == wanted
    finally:
        table.drop(p.engine)


def test_a_driver_error_is_raised_as_sqlalchemy_raises_it(p: Participatie) -> None:
    """PostgreSQL's COPY and PyMySQL's unbuffered cursor run on the driver's connection;
    their errors come out as ``DBAPIError`` (what ``db.unavailable`` and the retries
    recognise), and the connection goes on after a rollback."""

    missing = Table("participatie_no_such_table", MetaData(), Column("n", Integer))
    with p.engine.connect() as conn:
        with pytest.raises(DBAPIError):
            list(raw_rows(conn, select(missing.c.n), copy_types=("int4",)))
        conn.rollback()
        assert conn.execute(select(1)).scalar_one() == 1


@pytest.mark.parametrize("cut", range(1, 12))
def test_copy_escapes_are_undone_across_any_cut(monkeypatch: pytest.MonkeyPatch, cut: int) -> None:
    """``COPY`` doubles each backslash; the blocks undo it wherever the stream is cut,
    also between the two halves of a doubled backslash and inside a run of them."""

    from participatie.exports import rows

    monkeypatch.setattr(rows, "COPY_BLOCK", 3)
    original = b'{"a":"x\\\\y\\"z"}\n\\\\\\\n{"b":"\\\\"}\n'
    escaped = original.replace(b"\\", b"\\\\")
    chunks = [escaped[i : i + cut] for i in range(0, len(escaped), cut)]
    assert b"".join(rows.unescaped_blocks(chunks)) == original
