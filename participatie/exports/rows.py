"""Rows for an export of a million lines, as each driver gives them fastest.

An export that touches every row of a large table (the hand-over list of signatures,
the published ballots of a poll and their SHA-256) reads them here, not as SQLAlchemy
result rows: on PostgreSQL as one ``COPY (SELECT ..) TO STDOUT`` stream, on SQLite from
the driver's own cursor, on MariaDB from PyMySQL's unbuffered cursor. No result row objects and
no type processing per row: the caller reads what the driver gives (text, whole
numbers, ``bool`` or 0/1, the driver's own dates), in the order the query asks for.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Select
from sqlalchemy.engine import Connection, CursorResult
from sqlalchemy.exc import DBAPIError

#: Rows per fetch from a cursor (SQLite, MariaDB).
STREAM_BATCH = 2000


def raw_rows(
    conn: Connection, query: Select[Any], *, copy_types: Sequence[str]
) -> Iterator[tuple[Any, ...]]:
    """The rows of ``query`` on ``conn`` (in its transaction), streamed.

    Args:
        conn: the connection whose transaction the export reads in.
        query: a Core ``SELECT``. On PostgreSQL and with PyMySQL its parameters are
            written into the statement (``COPY`` takes none), so they must be values
            the library chose (ids, states), never text a person typed.
        copy_types: PostgreSQL type names of the columns in order (``"text"``,
            ``"bool"``, ``"int4"``, ``"timestamptz"``), for the ``COPY`` stream.

    Returns:
        Iterator[tuple]: one tuple per row; on PostgreSQL typed by ``copy_types``, on
        SQLite and MariaDB as the driver gives them (booleans as 0/1, MariaDB times naive
        UTC, SQLite times as their stored text).

    Raises:
        sqlalchemy.exc.DBAPIError: the driver's error, wrapped as SQLAlchemy wraps it (a
            lost connection is invalidated); the facade's calls make it
            ``db.unavailable``.
    """

    dialect = conn.dialect.name
    if not conn.in_transaction():
        # The driver's statements below do not begin SQLAlchemy's transaction: begin it,
        # so that a rollback after an error reaches the driver.
        conn.begin()
    if dialect == "postgresql":
        yield from _copied(conn, query, copy_types)
    elif dialect == "sqlite":
        # sqlite3 steps through the rows as they are fetched.
        result = conn.execute(query)
        with _driver_errors(conn, str(result.context.statement)):
            yield from _fetched(result)
    else:
        yield from _server_side(conn, query)


def _fetched(result: CursorResult[Any]) -> Iterator[tuple[Any, ...]]:
    """The rows from the driver's cursor, ``STREAM_BATCH`` per fetch. Only for a result
    that has not fetched rows itself (one without ``yield_per``, which buffers ahead)."""

    cursor = result.cursor
    try:
        while batch := cursor.fetchmany(STREAM_BATCH):
            yield from batch
    finally:
        result.close()


def _server_side(conn: Connection, query: Select[Any]) -> Iterator[tuple[Any, ...]]:
    """MariaDB: PyMySQL's unbuffered cursor (``SSCursor``; the default cursor would load
    every row first). The rows are read off the connection as they come; the connection
    carries nothing else until the last is read, so the caller runs no other statement
    on it meanwhile (PyMySQL would drop the rest). Another driver streams through
    SQLAlchemy with its parameters bound."""

    driver: Any = conn.connection.driver_connection
    if not type(driver).__module__.startswith("pymysql"):
        result = conn.execute(query.execution_options(yield_per=STREAM_BATCH))
        for part in result.partitions():
            yield from part
        return
    from pymysql.cursors import SSCursor

    statement = _literal(conn, query)
    with _driver_errors(conn, statement), driver.cursor(SSCursor) as cursor:
        cursor.execute(statement)  # no arguments: nothing is %-formatted
        while batch := cursor.fetchmany(STREAM_BATCH):
            yield from batch


def _literal(conn: Connection, query: Select[Any]) -> str:
    """The statement with its parameters written in, as the dialect writes literals. The
    driver gets no parameters, so it reads no ``%`` placeholders: the ``%%`` the compiler
    writes for a driver that does is made ``%`` again."""

    compiled = str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    if conn.dialect.paramstyle in ("format", "pyformat"):
        compiled = compiled.replace("%%", "%")
    return compiled


@contextmanager
def _driver_errors(conn: Connection, statement: str) -> Iterator[None]:
    """A driver's error on its own connection, as SQLAlchemy would have raised it: a
    ``DBAPIError`` (so ``db.unavailable`` and the retries recognise a lost connection or
    a deadlock), with a lost connection invalidated in the pool."""

    dbapi: Any = conn.dialect.loaded_dbapi
    try:
        yield
    except dbapi.Error as exc:
        lost = bool(conn.dialect.is_disconnect(exc, conn.connection.dbapi_connection, None))
        if lost:
            conn.invalidate(exc)
        raise DBAPIError.instance(
            statement,
            None,
            exc,
            dbapi.Error,
            connection_invalidated=lost,
            dialect=conn.dialect,
        ) from exc


def _copied(
    conn: Connection, query: Select[Any], types: Sequence[str]
) -> Iterator[tuple[Any, ...]]:
    """PostgreSQL: ``COPY (SELECT ..) TO STDOUT``. The server sends the rows as one
    stream while they are written out, instead of waiting for a fetch every
    ``STREAM_BATCH`` rows."""

    with _copy(conn, query) as copy:
        copy.set_types(list(types))
        yield from copy.rows()


@contextmanager
def _copy(conn: Connection, query: Select[Any]) -> Iterator[Any]:
    """psycopg's ``Copy`` of ``COPY (query) TO STDOUT`` on ``conn``'s own connection, its
    errors raised as SQLAlchemy raises them."""

    driver: Any = conn.connection.driver_connection
    statement = f"COPY ({_literal(conn, query)}) TO STDOUT"
    with (
        _driver_errors(conn, statement),
        driver.cursor() as cursor,
        cursor.copy(statement) as copy,
    ):
        yield copy


#: Bytes gathered from ``COPY`` before they are handed on.
COPY_BLOCK = 1 << 20


def copied_lines(conn: Connection, query: Select[Any]) -> Iterator[bytes]:
    """PostgreSQL: the rows of the one-column text ``query``, each followed by a newline,
    as the UTF-8 bytes ``COPY .. TO STDOUT`` sends, in blocks of about ``COPY_BLOCK``; no
    row is parsed or made a Python object.

    For rows that hold no newline, carriage return or tab (one JSON document per row, say)
    the only escape ``COPY`` writes is a doubled backslash, which is made single again
    here; a block never ends inside one.

    Raises:
        sqlalchemy.exc.DBAPIError: the driver's error, as :func:`raw_rows` raises it.
    """

    if not conn.in_transaction():
        conn.begin()
    with _copy(conn, query) as copy:
        yield from unescaped_blocks(bytes(data) for data in copy)


def unescaped_blocks(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """``COPY`` text whose only escapes are doubled backslashes, in blocks of about
    ``COPY_BLOCK`` bytes with each backslash single again; a pair split between two
    chunks is put together first."""

    parts: list[bytes] = []
    size = 0
    carry = b""
    for data in chunks:
        parts.append(data)
        size += len(data)
        if size < COPY_BLOCK:
            continue
        block = carry + b"".join(parts)
        parts.clear()
        size = 0
        # An odd run of backslashes at the end is half of a doubled one: kept back.
        odd = (len(block) - len(block.rstrip(b"\\"))) % 2
        block, carry = (block[:-1], block[-1:]) if odd else (block, b"")
        yield block.replace(b"\\\\", b"\\")
    block = carry + b"".join(parts)
    if block:
        yield block.replace(b"\\\\", b"\\")


__all__ = ["COPY_BLOCK", "STREAM_BATCH", "copied_lines", "raw_rows", "unescaped_blocks"]
