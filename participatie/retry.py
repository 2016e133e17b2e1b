"""Transient database failures: which driver errors they are, how they reach the caller
(``DatabaseUnavailable``), and the bounded retry of a facade call that owns its transaction.
"""

from __future__ import annotations

import functools
import logging
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Literal, ParamSpec, TypeVar

from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from participatie.db import LOST_BEFORE_WORK
from participatie.errors import DatabaseUnavailable

log = logging.getLogger("participatie.db")

P = ParamSpec("P")
T = TypeVar("T")

#: Times a call is made in all when a deadlock or serialization failure undoes it.
ATTEMPTS = 4
#: First pause between attempts in seconds; doubles each time, with jitter.
BACKOFF = 0.02

Kind = Literal["conflict", "connection"]

#: PostgreSQL SQLSTATEs. Class 40: the transaction was rolled back and may be repeated.
_PG_CONFLICT = {"40001", "40P01"}
#: Connection exceptions (class 08), operator intervention (57P01..57P05: shutdown,
#: crash shutdown, cannot connect now, database dropped, idle session timeout), lock
#: wait timeout (55P03) and statement timeout (57014).
_PG_UNAVAILABLE_PREFIXES = ("08", "57P")
_PG_UNAVAILABLE = {"55P03", "57014"}
#: MySQL/MariaDB error numbers: 1213 deadlock; 1205 lock wait timeout, 1053 server
#: shutdown, 1927 connection killed, 2002/2003 cannot connect, 2006 server has gone away,
#: 2013 lost connection during query, 2055 lost connection (SSL), 4031 idle disconnect.
_MY_CONFLICT = {1213}
_MY_UNAVAILABLE = {1205, 1053, 1927, 2002, 2003, 2006, 2013, 2055, 4031}
#: SQLite: another writer kept the database past the busy timeout.
_SQLITE_UNAVAILABLE = ("database is locked", "database table is locked", "disk i/o error")


def classify(exc: BaseException) -> Kind | None:
    """``"conflict"``, ``"connection"`` or None (not a transient database failure).

    Walks the chain of causes: MariaDB rolls the whole transaction back on a deadlock, so
    what surfaces may be a later error ("SAVEPOINT ... does not exist") whose context is
    the deadlock.
    """

    found: Kind | None = None
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        kind = _classify_one(current)
        if kind == "conflict":
            return kind
        found = found or kind
        current = current.__cause__ or current.__context__
    return found


def _classify_one(exc: BaseException) -> Kind | None:
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return "connection"
        return _classify_driver(exc.orig)
    return _classify_driver(exc)


def _classify_driver(orig: BaseException | None) -> Kind | None:
    if orig is None:
        return None
    module = type(orig).__module__
    if module.startswith("psycopg"):
        state = getattr(orig, "sqlstate", None)
        if state in _PG_CONFLICT:
            return "conflict"
        if state is None:
            # No SQLSTATE: the client's side of the line (refused, closed, reset).
            return "connection" if type(orig).__name__ == "OperationalError" else None
        if state in _PG_UNAVAILABLE or state.startswith(_PG_UNAVAILABLE_PREFIXES):
            return "connection"
        return None
    if module.startswith(("pymysql", "MySQLdb", "mariadb", "mysql")):
        args = getattr(orig, "args", ())
        number = args[0] if args and isinstance(args[0], int) else None
        if number in _MY_CONFLICT:
            return "conflict"
        if number in _MY_UNAVAILABLE:
            return "connection"
        return None
    if module.startswith("sqlite3"):
        text = str(orig).lower()
        return "connection" if any(part in text for part in _SQLITE_UNAVAILABLE) else None
    return None


def unavailable(exc: BaseException) -> DatabaseUnavailable | None:
    """The ``DatabaseUnavailable`` a database failure becomes, or None for other errors."""

    if isinstance(exc, DatabaseUnavailable):
        return exc
    if not isinstance(exc, SQLAlchemyError):
        return None
    kind = classify(exc)
    if kind is None:
        return None
    lost_before_work = kind == "connection" and _lost_before_work(exc)
    message = (
        "the database could not finish this now (deadlock or conflicting change); "
        "nothing was written, try again"
        if kind == "conflict"
        else "the database is not reachable right now; nothing was written, try again later"
    )
    translated = DatabaseUnavailable(message, reason=kind)
    translated.lost_before_work = lost_before_work
    return translated


@contextmanager
def database_errors() -> Iterator[None]:
    """Raise a database failure in the block (lost connection, shutdown, deadlock) as the
    one documented error, ``DatabaseUnavailable``; other errors pass unchanged."""

    try:
        yield
    except Exception as exc:
        translated = unavailable(exc)
        if translated is None or translated is exc:
            raise
        raise translated from exc


def pause(attempt: int) -> float:
    """Seconds to wait before attempt ``attempt + 1``: ``BACKOFF`` doubled per attempt,
    with jitter (0.5 to 1.5 times), so racing callers do not meet again at once."""

    return float(BACKOFF * 2 ** (attempt - 1) * (0.5 + random.random()))


def _lost_before_work(exc: BaseException) -> bool:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if getattr(current, LOST_BEFORE_WORK, False):
            return True
        current = current.__cause__ or current.__context__
    return False


def retry_transient(method: Callable[P, T]) -> Callable[P, T]:
    """Repeat a facade method whose transaction a deadlock or serialization failure undid.

    Only when the facade owns the transaction (no ``session=`` passed): a host's own
    session is rolled back as a whole, so the host decides what to repeat. Only for
    methods whose whole effect is inside the transaction, which the rollback undid. A
    lost connection is repeated once only when it was lost before the call sent anything
    that succeeded (``db.LOST_BEFORE_WORK``); otherwise a commit may or may not have
    reached the server, and the error goes to the caller.
    """

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        if kwargs.get("session") is not None:
            return method(*args, **kwargs)
        attempt = 1
        while True:
            try:
                return method(*args, **kwargs)
            except DatabaseUnavailable as exc:
                if exc.lost_before_work and attempt == 1:
                    # A pooled connection had died before this call sent anything that
                    # succeeded (a server restart, an idle timeout): the pool has dropped
                    # it, so the call goes again at once, on a new connection.
                    log.info("%s: connection lost before any work, again", method.__qualname__)
                    attempt += 1
                    continue
                if exc.details.get("reason") != "conflict" or attempt >= ATTEMPTS:
                    raise
                wait = pause(attempt)
                log.info(
                    "%s: deadlock or serialization failure, attempt %d of %d again in %.0f ms",
                    method.__qualname__,
                    attempt + 1,
                    ATTEMPTS,
                    wait * 1000,
                )
                time.sleep(wait)
                attempt += 1

    return wrapper


__all__ = [
    "ATTEMPTS",
    "BACKOFF",
    "Kind",
    "classify",
    "database_errors",
    "pause",
    "retry_transient",
    "unavailable",
]
