"""Statements on the hot paths (signing, confirming), compiled once per dialect and sent
on the driver's cursor of the transaction's connection.

SQLAlchemy builds an execution context for every statement it runs: the compiled cache
lookup, parameter processing, result metadata. On PostgreSQL that is about 110 µs of
the 150 µs a short statement costs the client; a signature and its confirmation send
about ten. A :class:`Prepared` statement does that work once per dialect and keeps what
matters per call:

- the bind and result types of the statement (``UTCDateTime``, ``Uuid`` as text on
  SQLite, booleans), through the types' own processors;
- the library's own cursor listeners (``db._refuse_nul`` refuses NUL, ``watch_connections``
  notes work done), called as SQLAlchemy calls them;
- errors as SQLAlchemy's ``DBAPIError`` family (``IntegrityError``, ``OperationalError``,
  parameters hidden when the engine hides them). A lost connection is invalidated and
  marked ``db.LOST_BEFORE_WORK`` as ``db.watch_connections`` does, and the pool is
  replaced (as SQLAlchemy invalidates every pooled connection older than the failure),
  so ``retry.retry_transient`` gets a live connection for its one repeat. An exit
  exception (``KeyboardInterrupt``, a timeout) during the call invalidates the
  connection too.

Anything else listening on the engine's cursor events, echo, or an error handler of the
host's (tracing and error reporting such as Sentry or OpenTelemetry, which keep state on
SQLAlchemy's execution context; fault tests) makes the statement go through
SQLAlchemy's own execution instead, with the same results.

It runs inside the transaction the caller's session or connection began (SQLite's
``BEGIN IMMEDIATE`` included): it begins nothing and commits nothing.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

from sqlalchemy import Connection, Dialect
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    MultipleResultsFound,
    NoResultFound,
)
from sqlalchemy.orm import Session

from participatie.db import LOST_BEFORE_WORK

Processor = Callable[[Any], Any]


class Outcome:
    """What a statement gave back: its rows (named tuples, values converted by the
    columns' types) and the driver's row count."""

    __slots__ = ("rowcount", "rows")

    def __init__(self, rows: list[Any], rowcount: int) -> None:
        self.rows = rows
        self.rowcount = rowcount

    def first(self) -> Any:
        """The first row, or None."""

        return self.rows[0] if self.rows else None

    def one(self) -> Any:
        """The one row.

        Raises:
            NoResultFound: no row; MultipleResultsFound: more than one.
        """

        if not self.rows:
            raise NoResultFound("no row was found when one was required")
        if len(self.rows) > 1:
            raise MultipleResultsFound("more than one row was found when one was required")
        return self.rows[0]

    def scalar_one(self) -> Any:
        """The first column of :meth:`one`."""

        return self.one()[0]

    def scalars(self) -> list[Any]:
        """The first column of every row."""

        return [row[0] for row in self.rows]


class _Form(NamedTuple):
    """A statement as one dialect's driver takes it."""

    sql: str
    positional: tuple[str, ...] | None
    binds: tuple[tuple[str, Processor | None], ...]
    defaults: dict[str, Any]
    row: Any
    results: tuple[Processor | None, ...] | None


class Prepared:
    """A Core statement compiled once per dialect and sent on the driver's cursor.

    Args:
        statement: a SELECT, or an INSERT/UPDATE/DELETE (with RETURNING or not) whose
            parameters are all bind parameters: no ``IN`` lists expanded per call, and for
            an INSERT no column left to a Python-side default (pass every value).

    Raises (on first use with a dialect):
        ArgumentError: the statement needs work per call that only SQLAlchemy's own
            execution does (expanding or escaped parameters, Python-side defaults).
    """

    __slots__ = ("_forms", "statement")

    def __init__(self, statement: Any) -> None:
        self.statement = statement
        self._forms: dict[tuple[str, str, bool], _Form] = {}

    def _form(self, dialect: Dialect) -> _Form:
        # Per driver and server kind: psycopg and psycopg2, MySQL and MariaDB render
        # some statements differently under one dialect name.
        key = (dialect.name, dialect.driver, bool(getattr(dialect, "is_mariadb", False)))
        form = self._forms.get(key)
        if form is None:
            form = self._forms[key] = _compile(self.statement, dialect)
        return form

    def execute(
        self, where: Connection | Session, params: Mapping[str, Any] | None = None
    ) -> Outcome:
        """Run the statement once with ``params`` (bind name to value).

        Returns:
            Outcome: the rows (none for a statement without RETURNING) and the row count.

        Raises:
            ArgumentError: a bind parameter without a value (named in the message).
            sqlalchemy.exc.DBAPIError: the driver's error, as SQLAlchemy names it
                (``IntegrityError`` for a broken constraint, say).
        """

        conn = _connection(where)
        if not _own_path(conn):
            result = conn.execute(self.statement, dict(params or {}))
            rows = list(result.all()) if result.returns_rows else []
            return Outcome(rows, result.rowcount)
        form = self._form(conn.dialect)
        driver_params = _params(form, params or {})
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            _send(conn, cursor, form.sql, driver_params, many=False)
            rows = []
            if form.row is not None:
                fetched = cursor.fetchall()
                results = form.results
                if results is None:
                    rows = [form.row._make(values) for values in fetched]
                else:
                    rows = [
                        form.row._make(
                            [v if f is None else f(v) for f, v in zip(results, values, strict=True)]
                        )
                        for values in fetched
                    ]
            return Outcome(rows, cursor.rowcount)
        finally:
            cursor.close()

    def executemany(self, where: Connection | Session, rows: Sequence[Mapping[str, Any]]) -> None:
        """Run the statement once per row of ``rows`` in one driver call (no RETURNING).

        Raises:
            ArgumentError, sqlalchemy.exc.DBAPIError: as for :meth:`execute`.
        """

        if not rows:
            return
        conn = _connection(where)
        if not _own_path(conn):
            conn.execute(self.statement, [dict(row) for row in rows])
            return
        form = self._form(conn.dialect)
        driver_rows = [_params(form, row) for row in rows]
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            _send(conn, cursor, form.sql, driver_rows, many=True)
        finally:
            cursor.close()


def _connection(where: Connection | Session) -> Connection:
    """The connection of ``where``. A session is not flushed first (SQLAlchemy's own
    ``execute`` would autoflush): the library's work in a host's session flushes the
    host's changes when it begins (``Participatie.unit_of_work``), and a statement run
    from a host's flush hook must not flush again."""

    return where.connection() if isinstance(where, Session) else where


def _compile(statement: Any, dialect: Dialect) -> _Form:
    compiled = statement.compile(dialect=dialect)
    what = str(statement).split("\n", 1)[0][:80]
    if getattr(compiled, "insert_prefetch", None) or getattr(compiled, "update_prefetch", None):
        raise ArgumentError(f"pass every column's value, none left to a default: {what}")
    if compiled.escaped_bind_names or any(
        b.expanding or b.literal_execute for b in compiled.binds.values()
    ):
        raise ArgumentError(f"a statement with per-call parameters cannot be prepared: {what}")
    binds = []
    defaults: dict[str, Any] = {}
    for name, bind in compiled.binds.items():
        processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
        binds.append((name, processor))
        if not bind.required:
            defaults[name] = bind.effective_value
    positional = tuple(compiled.positiontup) if compiled.positional else None
    columns = list(getattr(statement, "exported_columns", ()) or ())
    keys = [str(getattr(column, "key", None) or f"column_{n}") for n, column in enumerate(columns)]
    # No columns: nothing to fetch (asking the cursor costs more than the fetch).
    row = namedtuple("Row", keys, rename=True) if keys else None
    processors = tuple(
        column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns
    )
    results = processors if any(p is not None for p in processors) else None
    return _Form(compiled.string, positional, tuple(binds), defaults, row, results)


def _params(form: _Form, given: Mapping[str, Any]) -> Any:
    values: dict[str, Any] = {}
    for name, processor in form.binds:
        if name in given:
            value = given[name]
        elif name in form.defaults:
            value = form.defaults[name]
        else:
            raise ArgumentError(f"no value for the bind parameter {name!r}")
        values[name] = value if processor is None or value is None else processor(value)
    if form.positional is not None:
        return tuple(values[name] for name in form.positional)
    return values


#: Marks the library's own cursor listeners (``db``): with no others, the driver's path.
OWN_LISTENER = "participatie_own_listener"


def _own_path(conn: Connection) -> bool:
    """Whether only the library listens to this connection's statements: no echo, and
    every cursor and error listener is one of the library's own."""

    if conn.engine.echo:
        return False
    dispatch = conn.dispatch
    return all(
        getattr(listener, OWN_LISTENER, False)
        for listeners in (
            dispatch.before_cursor_execute,
            dispatch.after_cursor_execute,
            conn.dialect.dispatch.handle_error,  # a dialect event, listened to on the engine
        )
        for listener in listeners
    )


def _send(conn: Connection, cursor: Any, sql: str, params: Any, *, many: bool) -> None:
    dispatch = conn.dispatch
    for listener in dispatch.before_cursor_execute:
        sql, params = listener(conn, cursor, sql, params, None, many)
    try:
        if many:
            cursor.executemany(sql, params)
        else:
            cursor.execute(sql, params)
    except conn.dialect.loaded_dbapi.Error as err:
        raise _wrapped(conn, cursor, sql, params, err) from err
    except Exception:
        raise
    except BaseException:
        # An exit exception mid-call leaves the connection in an unknown state.
        conn.invalidate()
        raise
    for after in dispatch.after_cursor_execute:
        after(conn, cursor, sql, params, None, many)


def _wrapped(conn: Connection, cursor: Any, sql: str, params: Any, err: Any) -> Exception:
    dialect = conn.dialect
    engine = conn.engine
    dbapi_conn = conn.connection.dbapi_connection
    lost = dialect.is_disconnect(err, dbapi_conn, cursor)
    wrapped: Exception = DBAPIError.instance(
        sql,
        params,
        err,
        dialect.loaded_dbapi.Error,
        hide_parameters=engine.hide_parameters,
        connection_invalidated=lost,
        dialect=dialect,
    )
    if lost:
        if not conn.info.get("participatie_worked", True):
            setattr(wrapped, LOST_BEFORE_WORK, True)
        conn.invalidate(err)
        # The server went away for the other pooled connections too, most likely: a new
        # pool, so the retry and the calls after it connect afresh.
        engine.dispose(close=False)
    return wrapped


__all__ = ["OWN_LISTENER", "Outcome", "Prepared"]
