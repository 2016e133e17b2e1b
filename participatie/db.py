"""Database foundations: one MetaData with a naming convention, portable column types,
engine creation (SQLite pragmas, BEGIN IMMEDIATE) and the ``participatie_`` table prefix.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Dialect,
    Engine,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    Uuid,
    create_engine,
    event,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from sqlalchemy.pool import StaticPool

from participatie.errors import ConfigurationError

TABLE_PREFIX = "participatie_"
VERSION_TABLE = "participatie_alembic_version"

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that goes in and comes out timezone-aware in UTC on every dialect.

    PostgreSQL stores ``timestamptz``; SQLite and MariaDB store naive UTC (MariaDB with
    microseconds). Naive datetimes are refused on the way in: they are always a bug.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name in ("mysql", "mariadb"):
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        if dialect.name == "sqlite":
            return dialect.type_descriptor(DateTime(timezone=False))
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass a timezone-aware datetime")
        value = value.astimezone(UTC)
        if dialect.name != "postgresql":
            value = value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def exact_string(length: int) -> Any:
    """A VARCHAR compared character for character on every dialect, for text a unique
    index or a lookup holds to be the same only when it is the same.

    PostgreSQL and SQLite compare text exactly. MariaDB's default ``utf8mb4_general_ci``
    ignores case and trailing spaces and weighs every character beyond U+FFFF alike, so
    two options named with different emoji clashed in the unique index (a 500), and a
    lookup by name found another row. On MariaDB this is ``utf8mb4_bin``; where a rule
    wants names alike regardless of case, the library compares them itself.
    """

    return String(length).with_variant(
        mysql.VARCHAR(length, charset="utf8mb4", collation="utf8mb4_bin"), "mysql", "mariadb"
    )


#: Long text: TEXT on SQLite/PostgreSQL, MEDIUMTEXT (16 MB) on MariaDB.
LongText = Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb")
#: Auto-incrementing 64-bit key (SQLite only autoincrements INTEGER PRIMARY KEY).
BigIntPK = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = metadata
    type_annotation_map = {  # noqa: RUF012
        datetime: UTCDateTime(),
        uuid.UUID: Uuid(),
        str: String(255),
        dict[str, Any]: JSON(),
        list[Any]: JSON(),
    }


_id_lock = threading.Lock()
_id_last_ms = 0
_id_counter = 0


def new_id() -> uuid.UUID:
    """A UUID version 7 (RFC 9562): time-ordered, so inserts stay local in B-tree indexes.

    Within one millisecond the 12-bit ``rand_a`` field counts up (RFC 9562, method 1), so
    the ids one process makes sort in the order they were made.
    """

    global _id_last_ms, _id_counter
    with _id_lock:
        ms = time.time_ns() // 1_000_000
        if ms <= _id_last_ms:
            ms = _id_last_ms
            _id_counter += 1
            if _id_counter > 0xFFF:  # 4096 ids in one millisecond: borrow the next one
                ms += 1
                _id_counter = secrets.randbits(8)
        else:
            _id_counter = secrets.randbits(8)
        _id_last_ms = ms
        counter = _id_counter
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= counter << 64
    value |= 0b10 << 62
    value |= secrets.randbits(62)
    return uuid.UUID(int=value)


class IdMixin:
    """Public id: a UUID primary key."""

    id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True, default=new_id)


def is_participatie_table(name: str | None) -> bool:
    return bool(name) and str(name).startswith(TABLE_PREFIX)


def _sqlite_pragmas(synchronous: str, busy_timeout_ms: int) -> Any:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite's own transaction handling is switched off (isolation_level=None) so
        # that the "begin" hook below decides how a transaction starts.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA synchronous = {synchronous}")
        mode = cursor.execute("PRAGMA journal_mode").fetchone()[0]
        if mode != "memory":
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.close()

    return on_connect


def _sqlite_begin(conn: Any) -> None:
    # BEGIN IMMEDIATE takes the write lock up front: two writers queue on the busy
    # timeout instead of one failing with "database is locked" when it upgrades a read
    # lock. Read-only units of work begin deferred; readers are not blocked in WAL mode.
    if conn.get_execution_options().get("participatie_readonly"):
        conn.exec_driver_sql("BEGIN")
    else:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _refuse_nul(
    conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
) -> tuple[str, Any]:
    # PostgreSQL refuses NUL in text with a driver error, SQLite and MariaDB store it;
    # it is never meaningful in a name, an address or a reaction. Refusing it here, before
    # anything is sent, keeps the dialects alike and leaves nothing half-written.
    # (Listened to with ``retval=True``: called as it is, without SQLAlchemy's wrapper.)
    _scan_for_nul(parameters, None)
    return statement, parameters


setattr(_refuse_nul, "participatie_own_listener", True)  # noqa: B010


def _scan_for_nul(value: Any, key: str | None) -> None:
    # Parameters come as a dict, a tuple, or (executemany, insertmanyvalues) a list of
    # either; walk whatever shape arrives.
    # Text and the plain values beside it are looked at here, without a call each: a
    # statement with forty parameters is checked for every signature.
    if isinstance(value, str):
        if "\x00" in value:
            _nul(key)
    elif isinstance(value, dict):
        for name, item in value.items():
            if isinstance(item, str):
                if "\x00" in item:
                    _nul(name if isinstance(name, str) else key)
            elif isinstance(item, dict | list | tuple):
                _scan_for_nul(item, name if isinstance(name, str) else key)
    elif isinstance(value, list | tuple):
        for item in value:
            if isinstance(item, str):
                if "\x00" in item:
                    _nul(key)
            elif isinstance(item, dict | list | tuple):
                _scan_for_nul(item, key)


def _nul(field: str | None) -> None:
    from participatie.errors import InvalidInput

    raise InvalidInput("text may not contain NUL characters", field=field)


def make_engine(
    url: str | URL,
    *,
    sqlite_synchronous: str = "FULL",
    sqlite_busy_timeout_ms: int = 30_000,
    pool_size: int | None = None,
    max_overflow: int | None = None,
    **kwargs: Any,
) -> Engine:
    """Create an engine with the library's settings for each dialect.

    Args:
        url: the database URL (``sqlite:///...``, ``postgresql+psycopg://...``,
            ``mysql+pymysql://...``).
        sqlite_synchronous: SQLite's ``synchronous`` pragma (``FULL`` by default).
        sqlite_busy_timeout_ms: how long a SQLite writer waits for the lock, in ms.
        pool_size: connections the pool keeps open (SQLAlchemy's default, 5, when None);
            not for an in-memory SQLite database, which has one connection.
        max_overflow: connections opened beyond ``pool_size`` while more are in use at
            once, each closed when it is returned (SQLAlchemy's default, 10, when None).
        **kwargs: passed to ``sqlalchemy.create_engine``; ``ping_after_idle`` (seconds,
            default ``PING_AFTER_IDLE``) for the server databases, see
            ``watch_connections``. ``pool_pre_ping=True`` tests every checkout instead.

    Returns:
        Engine: the engine.

    Raises:
        ConfigurationError: ``config.invalid``, field ``database_url``: the folder of a
            SQLite file does not exist.
    """

    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        database = parsed.database or ""
        in_memory = database in ("", ":memory:") or "mode=memory" in str(parsed)
        if not in_memory and database and not database.startswith("file:"):
            folder = os.path.dirname(os.path.abspath(database))
            if not os.path.isdir(folder):
                # A typo in the path must not quietly start a new, empty database.
                raise ConfigurationError(
                    f"the folder of the SQLite database {database!r} does not exist: create "
                    "it or correct the database URL (--database-url or PARTICIPATIE_DATABASE_URL)",
                    field="database_url",
                )
            # Every name and address lives in this file: readable by its owner only.
            # SQLite gives its -wal and -shm files the database file's permissions.
            with contextlib.suppress(FileExistsError):
                os.close(os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        connect_args: dict[str, Any] = {"check_same_thread": False}
        connect_args.update(kwargs.pop("connect_args", {}))
        if in_memory:
            kwargs.setdefault("poolclass", StaticPool)
        else:
            _pool_sizes(kwargs, pool_size, max_overflow)
        engine = create_engine(parsed, connect_args=connect_args, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas(sqlite_synchronous, sqlite_busy_timeout_ms))
        event.listen(engine, "begin", _sqlite_begin)
        event.listen(engine, "before_cursor_execute", _refuse_nul, retval=True)
        return engine
    if backend in ("mysql", "mariadb"):
        kwargs.setdefault("pool_recycle", 3600)
        kwargs.setdefault("isolation_level", "READ COMMITTED")
        url_query = dict(parsed.query)
        url_query.setdefault("charset", "utf8mb4")
        parsed = parsed.set(query=url_query)
    _pool_sizes(kwargs, pool_size, max_overflow)
    ping_after = kwargs.pop("ping_after_idle", PING_AFTER_IDLE)
    # The most recently used connection goes out first: connections the load does not
    # need stay idle (and are tested before their next use, see ``watch_connections``).
    kwargs.setdefault("pool_use_lifo", True)
    engine = create_engine(parsed, **kwargs)
    event.listen(engine, "before_cursor_execute", _refuse_nul, retval=True)
    if not kwargs.get("pool_pre_ping"):
        watch_connections(engine, ping_after)
    return engine


def _pool_sizes(kwargs: dict[str, Any], pool_size: int | None, max_overflow: int | None) -> None:
    if pool_size is not None:
        kwargs.setdefault("pool_size", pool_size)
    if max_overflow is not None:
        kwargs.setdefault("max_overflow", max_overflow)


def when_committed(session: Session, keep: Callable[[], None]) -> None:
    """Call ``keep`` once the session's current transaction commits, and never when it
    ends otherwise: rolled back, or discarded by ``Session.close()`` (which fires no
    rollback event, only the end of the transaction). For what a process keeps in
    memory of rows it read: a host's transaction that never commits must leave nothing
    behind. Outside a transaction, ``keep`` is not called.

    Args:
        session: the session whose current transaction decides.
        keep: what to do once it committed.

    Returns:
        None.
    """

    root = session.get_transaction()
    if root is None:
        return
    state = {"committed": False, "ended": False}

    def commit(_: Session) -> None:
        # Fired for a savepoint's release too: only the transaction itself counts.
        if not state["ended"] and not session.in_nested_transaction():
            state["committed"] = True

    def end(_: Session, transaction: Any) -> None:
        # The listeners stay (removing one while the event runs is not allowed); they do
        # nothing once their transaction has ended.
        if transaction is not root or state["ended"]:
            return
        state["ended"] = True
        if state["committed"]:
            keep()

    event.listen(session, "after_commit", commit)
    event.listen(session, "after_transaction_end", end)


#: Seconds a pooled connection may sit unused before it is tested (one round trip) on
#: its next checkout. A busy server's connections go back to work without a test.
PING_AFTER_IDLE = 5.0
#: ``DBAPIError`` attribute: the connection was lost before this checkout sent any
#: statement that succeeded, so nothing was written and the call can be repeated.
LOST_BEFORE_WORK = "participatie_lost_before_work"


def watch_connections(engine: Engine, ping_after: float = PING_AFTER_IDLE) -> None:
    """Instead of a test round trip on every checkout (``pool_pre_ping``): test only a
    connection that sat idle ``ping_after`` seconds or more (replacing it when the test
    fails), and mark a connection lost before its checkout did any work
    (``LOST_BEFORE_WORK``) so that ``retry.retry_transient`` may repeat the call: a
    server restart, an idle timeout or a killed backend costs no request an error.
    """

    def checkin(dbapi_conn: Any, record: Any) -> None:
        record.info["participatie_idle_since"] = time.monotonic()

    def checkout(dbapi_conn: Any, record: Any, proxy: Any) -> None:
        record.info["participatie_worked"] = False
        since = record.info.get("participatie_idle_since")
        if since is None or time.monotonic() - since < ping_after:
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except engine.dialect.loaded_dbapi.Error as exc:
            if engine.dialect.is_disconnect(exc, dbapi_conn, None):
                # The pool drops this connection and checks out another.
                raise DisconnectionError(str(exc)) from exc
            raise

    def worked(conn: Any, *args: Any) -> None:
        conn.info["participatie_worked"] = True

    def failed(context: Any) -> None:
        conn = context.connection
        if not context.is_disconnect or conn is None or context.sqlalchemy_exception is None:
            return
        with contextlib.suppress(Exception):  # the connection may be gone entirely
            if not conn.info.get("participatie_worked", True):
                setattr(context.sqlalchemy_exception, LOST_BEFORE_WORK, True)

    for own in (worked, failed):
        setattr(own, "participatie_own_listener", True)  # noqa: B010  (see prepared)
    event.listen(engine, "checkin", checkin)
    event.listen(engine, "checkout", checkout)
    event.listen(engine, "after_cursor_execute", worked)
    event.listen(engine, "handle_error", failed)


def supports_skip_locked(engine_or_dialect: Engine | Dialect) -> bool:
    dialect = (
        engine_or_dialect.dialect if isinstance(engine_or_dialect, Engine) else engine_or_dialect
    )
    return dialect.name in ("postgresql", "mysql", "mariadb")


__all__ = [
    "LOST_BEFORE_WORK",
    "NAMING_CONVENTION",
    "PING_AFTER_IDLE",
    "TABLE_PREFIX",
    "VERSION_TABLE",
    "Base",
    "BigIntPK",
    "IdMixin",
    "LongText",
    "UTCDateTime",
    "exact_string",
    "is_participatie_table",
    "make_engine",
    "metadata",
    "new_id",
    "supports_skip_locked",
    "watch_connections",
    "when_committed",
]
