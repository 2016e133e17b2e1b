"""Real database faults for tests: a connection killed in the middle of a unit of work,
a deadlock between the facade and a second connection, a database locked too long."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Executable, create_engine, event
from sqlalchemy.pool import NullPool

from participatie.engine import Participatie


def backend_id(conn: Connection) -> int:
    dbapi = conn.connection.dbapi_connection
    if conn.dialect.name == "postgresql":
        return int(dbapi.info.backend_pid)  # type: ignore[union-attr]
    return int(dbapi.thread_id())  # type: ignore[union-attr]


def kill(p: Participatie, backend: int) -> None:
    """Kill one server connection from a connection of another engine (the facade's pool
    may hold the very connection being killed)."""

    killer = create_engine(p.engine.url, poolclass=NullPool)
    try:
        with killer.connect().execution_options(isolation_level="AUTOCOMMIT") as other:
            if other.dialect.name == "postgresql":
                # The second argument waits (ms) until the backend has really gone.
                other.exec_driver_sql(f"SELECT pg_terminate_backend({backend}, 5000)")
            else:
                other.exec_driver_sql(f"KILL CONNECTION {backend}")
    finally:
        killer.dispose()
    time.sleep(0.2)


def kill_pool(p: Participatie) -> int:
    """Kill every server connection the facade's pool holds (a server restart, as the
    pool sees it); returns how many. The test database is the facade's alone."""

    with p.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            query = "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
        else:
            query = "SELECT id FROM information_schema.processlist WHERE db = DATABASE()"
        backends = [int(n) for n in conn.exec_driver_sql(query).scalars()]
    for backend in backends:
        kill(p, backend)
    return len(backends)


@contextmanager
def on_statement(
    p: Participatie, prefix: str, action: Callable[[Connection], None]
) -> Iterator[list[str]]:
    """Run ``action`` once, on the facade's connection, just before the first statement
    that starts with ``prefix`` (case-insensitive)."""

    fired: list[str] = []

    def listener(conn: Connection, cursor: Any, statement: str, *args: Any) -> None:
        if not fired and statement.lstrip().upper().startswith(prefix.upper()):
            fired.append(statement)
            action(conn)

    event.listen(p.engine, "before_cursor_execute", listener)
    try:
        yield fired
    finally:
        event.remove(p.engine, "before_cursor_execute", listener)


@contextmanager
def outage_at(p: Participatie, prefix: str, sqlite_path: str | None = None) -> Iterator[list[str]]:
    """The database goes away in the middle of a unit of work.

    PostgreSQL and MariaDB: the facade's connection is killed from a second connection
    just before the first statement starting with ``prefix``. SQLite has no server to
    lose: another process holds the write lock longer than the busy timeout.
    """

    if p.engine.dialect.name != "sqlite":
        with on_statement(p, prefix, lambda conn: kill(p, backend_id(conn))) as fired:
            yield fired
        return
    assert sqlite_path is not None
    holder = sqlite3.connect(sqlite_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")

    def short_wait(conn: Connection) -> None:
        conn.connection.dbapi_connection.execute("PRAGMA busy_timeout = 50")  # type: ignore[union-attr]

    try:
        with on_statement(p, "BEGIN IMMEDIATE", short_wait) as fired:
            yield fired
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        p.engine.dispose()  # no pooled connection keeps the short timeout


@contextmanager
def deadlock_at(
    p: Participatie, prefix: str, hold: Executable, wants: Executable, *, inside: bool = False
) -> Iterator[list[str]]:
    """A real deadlock between the facade's unit of work and a second connection.

    The second connection first runs ``hold`` (it must modify rows, so it is the heavier
    transaction InnoDB keeps, and it waits 10 s before PostgreSQL's deadlock check: the
    facade's transaction is the one rolled back). Just before the facade runs its first
    statement starting with ``prefix`` (one that needs a row ``hold`` locked), the
    second connection asks, from a thread, for a row the facade holds (``wants``).
    ``inside``: the facade's statement itself first locks the row ``wants`` needs (a
    statement with CTEs), so the second connection asks half a second after it started.
    """

    other = p.engine.connect()
    other.begin()
    if other.dialect.name == "postgresql":
        other.exec_driver_sql("SET LOCAL deadlock_timeout = '10s'")
    other.execute(hold)
    errors: list[BaseException] = []

    def second() -> None:
        try:
            if inside:
                time.sleep(0.5)  # the facade's statement has the row and waits for ours
            other.execute(wants)
        except BaseException as exc:  # the test says which side lost
            errors.append(exc)
        finally:
            other.rollback()

    thread = threading.Thread(target=second)

    def start(_conn: Connection) -> None:
        thread.start()
        if not inside:
            time.sleep(0.5)  # the second connection now waits for the facade's row

    try:
        with on_statement(p, prefix, start) as fired:
            yield fired
    finally:
        if thread.is_alive() or fired:
            thread.join(30)
        else:
            other.rollback()
        other.close()
    assert not errors, f"the second connection was rolled back instead: {errors[0]!r}"
