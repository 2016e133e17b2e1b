"""Infrastructure problems in one line: a database that does not answer, a missing
driver or extra, tables that were never created. Used by the CLI and the web app.
"""

from __future__ import annotations

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

#: Missing module -> the extra that brings it.
EXTRAS = {
    "psycopg": "postgresql",
    "psycopg_binary": "postgresql",
    "pymysql": "mysql",
    "fastapi": "web",
    "starlette": "web",
    "uvicorn": "web",
    "multipart": "web",
    "python_multipart": "web",
    "openpyxl": "reports",
    "typst": "reports",
    "docx": "reports",
}

#: Database drivers SQLAlchemy knows that the library does not bring.
OTHER_DRIVERS = frozenset(
    {"psycopg2", "asyncpg", "pg8000", "MySQLdb", "aiomysql", "asyncmy", "mysql", "mariadb"}
)
SUPPORTED_DRIVERS = (
    "postgresql+psycopg:// (pip install 'participatie[postgresql]'), "
    "mysql+pymysql:// (pip install 'participatie[mysql]') or sqlite:///"
)

_NO_TABLE = (
    "no such table",
    "doesn't exist",
    "undefinedtable",
    "does not exist",
)
_UNREACHABLE = (
    "connection refused",
    "could not connect",
    "can't connect",
    "connection failed",
    "name or service not known",
    "could not translate host name",
    "timeout expired",
    "server closed the connection",
    "lost connection",
    "server has gone away",
    "terminating connection",
)
_LOGIN = ("password authentication failed", "access denied", "authentication failed")

#: Query parameters of a database URL that hold a secret (libpq, PyMySQL, SSL keys).
_SECRET_PARAMETERS = frozenset({"password", "passwd", "pass", "pwd", "sslpassword"})

MIGRATE_HINT = "run `participatie db upgrade` (or `p.migrate()`) first"


def mask_url(url: str) -> str:
    """``url`` with its password replaced by ``***``; unparsable URLs are cut to the scheme."""

    try:
        parsed = make_url(url)
    except ArgumentError:
        return url.split("://", 1)[0] + "://…"
    secret = {k: "***" for k in parsed.query if k.lower() in _SECRET_PARAMETERS}
    if secret:
        parsed = parsed.update_query_dict(secret)
    return parsed.render_as_string(hide_password=True)


def install_hint(module: str | None) -> str | None:
    """``pip install 'participatie[extra]'`` for a missing module, when an extra brings it."""

    top = (module or "").split(".", 1)[0]
    extra = EXTRAS.get(top)
    return f"pip install 'participatie[{extra}]'" if extra else None


def explain(exc: BaseException, database_url: str | None = None) -> str | None:
    """One line naming the problem behind ``exc`` and its fix, or None when it is not an
    infrastructure problem (then the caller lets it surface as it is).
    """

    where = f" at {mask_url(database_url)}" if database_url else ""
    if isinstance(exc, ModuleNotFoundError):
        hint = install_hint(exc.name)
        if hint:
            return f"the module {exc.name!r} is not installed: {hint}"
        if (exc.name or "").split(".", 1)[0] in OTHER_DRIVERS:
            return f"the database driver {exc.name!r} is not installed: use {SUPPORTED_DRIVERS}"
        return None
    if isinstance(exc, NoSuchModuleError):
        return f"no database driver for this URL{where}: use {SUPPORTED_DRIVERS}"
    if not isinstance(exc, DBAPIError):
        return None
    text = str(exc.orig if exc.orig is not None else exc).strip().lower()
    first = str(exc.orig if exc.orig is not None else exc).strip().splitlines()[0:1]
    detail = first[0] if first else type(exc).__name__
    if any(marker in text for marker in _LOGIN):
        return f"the database{where} refused the login: check the user and password"
    if "unable to open database file" in text:
        return f"cannot open the SQLite database{where}: does its folder exist and is it writable?"
    if "unknown database" in text or (
        'database "' in text and "does not exist" in text and "relation" not in text
    ):
        return f"the database{where} does not exist: create it first (createdb / CREATE DATABASE)"
    if any(marker in text for marker in _UNREACHABLE):
        return (
            f"cannot reach the database{where}: is the server running and the URL right? ({detail})"
        )
    if "participatie_" in text and any(marker in text for marker in _NO_TABLE):
        return f"the database{where} has no participatie tables or is behind: {MIGRATE_HINT}"
    if any(marker in text for marker in _NO_TABLE) or "unknown column" in text:
        return f"the database{where} does not match this version: {MIGRATE_HINT}"
    return None


__all__ = [
    "EXTRAS",
    "MIGRATE_HINT",
    "OTHER_DRIVERS",
    "SUPPORTED_DRIVERS",
    "explain",
    "install_hint",
    "mask_url",
]
