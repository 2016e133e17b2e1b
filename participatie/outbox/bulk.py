"""Queueing a page of messages at once: one INSERT for the page, each message still
"never twice" by its ``dedupe_key``; for the digest and other mail sent in loops."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Integer, Table, Uuid, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from participatie.db import UTCDateTime, new_id
from participatie.outbox.models import PENDING, OutboxMessageRow

if TYPE_CHECKING:
    from participatie.engine import Participatie

OUTBOX = cast(Table, OutboxMessageRow.__table__)
#: Rows per INSERT statement (the drivers' multi-row VALUES are split into such pages).
PAGE = 1000
_STATEMENTS: dict[str, Any] = {}


@dataclass(frozen=True)
class Mail:
    """One message to queue with ``p.outbox.enqueue_many``; the fields are those of
    ``p.outbox.enqueue``. ``rendered`` (subject, text, html) skips rendering: for a text
    the caller rendered once and filled in per recipient."""

    to: str
    template: str
    context: Mapping[str, Any] | None = None
    locale: str | None = None
    headers: Mapping[str, str] | None = None
    dedupe_key: str | None = None
    subject_type: str | None = None
    subject_id: str | uuid.UUID | None = None
    available_at: datetime | None = None
    rendered: tuple[str, str, str | None] | None = None


def row_values(
    mail: Mail, locale: str, rendered: tuple[str, str, str | None], now: datetime
) -> dict[str, Any]:
    """The outbox row of one message (a new id, pending, due at once or at ``available_at``)."""

    subject, text, html = rendered
    return {
        "id": new_id(),
        "created_at": now,
        "template": mail.template,
        "locale": locale,
        "to_address": mail.to,
        "subject": subject,
        "text_body": text,
        "html_body": html,
        "headers": json.dumps(dict(mail.headers or {}), sort_keys=True),
        "dedupe_key": mail.dedupe_key,
        "subject_type": mail.subject_type,
        "subject_id": str(mail.subject_id) if mail.subject_id is not None else None,
        "status": PENDING,
        "attempts": 0,
        "unknown_outcomes": 0,
        "next_attempt_at": mail.available_at or now,
        "claimed_until": None,
        "claim_token": None,
        "sent_at": None,
        "last_error": None,
    }


def insert_rows(session: Session, rows: Sequence[dict[str, Any]]) -> set[uuid.UUID]:
    """Insert the rows whose ``dedupe_key`` is new (or None); returns the ids inserted.

    PostgreSQL: ``INSERT .. SELECT * FROM unnest(..) ON CONFLICT (dedupe_key) DO NOTHING
    RETURNING id`` with one array per column; SQLite: the same with a multi-row VALUES;
    a page per statement, and the unique index decides, also against a concurrent
    transaction. MariaDB: the keys already there are read first and the rest
    inserted in one multi-row INSERT inside a savepoint; should another transaction have
    queued one of them meanwhile (the unique index refuses the page), the page is undone
    and inserted row by row, each in its own savepoint.
    """

    unique: list[dict[str, Any]] = []
    seen: set[str] = set()
    for row in rows:
        key = row["dedupe_key"]
        if key is not None:
            if key in seen:
                continue  # the same notice twice in one page: the first one goes
            seen.add(key)
        unique.append(row)
    if not unique:
        return set()
    dialect = session.get_bind().dialect.name
    conn = session.connection()
    if dialect == "postgresql":
        # One array per column, unnested by the server: a short statement psycopg parses
        # once, where a thousand-row VALUES list costs more to build and parse than to run.
        inserted_pg: set[uuid.UUID] = set()
        sql = _unnest_statement()
        for start in range(0, len(unique), PAGE):
            page = unique[start : start + PAGE]
            arrays = {c.name: [row[c.name] for row in page] for c in OUTBOX.columns}
            for name in _TIMESTAMPS:
                if any(v is not None and v.tzinfo is None for v in arrays[name]):
                    raise ValueError(f"naive datetime in {name}: pass a timezone-aware datetime")
            inserted_pg.update(conn.exec_driver_sql(sql, arrays).scalars())
        return inserted_pg
    if dialect == "sqlite":
        statement = _insert_or_nothing(dialect)
        inserted: set[uuid.UUID] = set()
        for start in range(0, len(unique), PAGE):
            result = conn.execute(statement, unique[start : start + PAGE])
            inserted.update(result.scalars())
        return inserted
    keys = [row["dedupe_key"] for row in unique if row["dedupe_key"] is not None]
    there: set[str] = set()
    for start in range(0, len(keys), PAGE):
        there.update(
            conn.execute(
                select(OUTBOX.c.dedupe_key).where(
                    OUTBOX.c.dedupe_key.in_(keys[start : start + PAGE])
                )
            ).scalars()
        )
    fresh = [row for row in unique if row["dedupe_key"] not in there]
    if not fresh:
        return set()
    try:
        with session.begin_nested():
            for start in range(0, len(fresh), PAGE):
                session.connection().execute(insert(OUTBOX), fresh[start : start + PAGE])
        return {row["id"] for row in fresh}
    except IntegrityError:
        pass
    done: set[uuid.UUID] = set()
    for row in fresh:
        try:
            with session.begin_nested():
                session.connection().execute(insert(OUTBOX).values(row))
        except IntegrityError:
            continue
        done.add(row["id"])
    return done


#: The outbox's timestamp columns (checked for a time zone before they go out as arrays).
_TIMESTAMPS = tuple(c.name for c in OUTBOX.columns if isinstance(c.type, UTCDateTime))


def _array_type(column: Any) -> str:
    """PostgreSQL's array type for one outbox column."""

    if isinstance(column.type, UTCDateTime):
        return "timestamptz[]"
    if isinstance(column.type, Uuid):
        return "uuid[]"
    if isinstance(column.type, Integer):
        return "integer[]"
    return "text[]"


def _unnest_statement() -> str:
    """``INSERT .. SELECT * FROM unnest(%(col)s::type[], ..) ON CONFLICT (dedupe_key) DO
    NOTHING RETURNING id`` for the outbox, in the driver's parameter style."""

    if "postgresql-unnest" not in _STATEMENTS:
        names = [c.name for c in OUTBOX.columns]
        arrays = ", ".join(f"%({c.name})s::{_array_type(c)}" for c in OUTBOX.columns)
        # Every name comes from the table's definition, none from input.
        _STATEMENTS["postgresql-unnest"] = (
            f"INSERT INTO {OUTBOX.name} ({', '.join(names)}) SELECT * FROM unnest({arrays}) "  # noqa: S608
            "ON CONFLICT (dedupe_key) DO NOTHING RETURNING id"
        )
    return cast(str, _STATEMENTS["postgresql-unnest"])


def _insert_or_nothing(dialect: str) -> Any:
    """SQLite's ``INSERT .. VALUES (..), (..) ON CONFLICT (dedupe_key) DO NOTHING RETURNING id``."""

    if dialect not in _STATEMENTS:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        _STATEMENTS[dialect] = (
            sqlite_insert(OUTBOX)
            .on_conflict_do_nothing(index_elements=["dedupe_key"])
            .returning(OUTBOX.c.id)
        )
    return _STATEMENTS[dialect]


#: Stands in for a per-recipient value while a text is rendered once for many recipients:
#: letters, digits and dashes only, so neither text nor HTML escaping changes it.
PLACEHOLDER = "PARTICIPATIE-PER-RECIPIENT-0f4c2e"


def fill_in(rendered: tuple[str, str, str | None], value: str) -> tuple[str, str, str | None]:
    """A text rendered with ``PLACEHOLDER`` for one recipient: ``value`` put in its place
    (HTML-escaped in the HTML part, as the template would have escaped it)."""

    from markupsafe import escape

    subject, text, html = rendered
    return (
        subject.replace(PLACEHOLDER, value),
        text.replace(PLACEHOLDER, value),
        html.replace(PLACEHOLDER, str(escape(value))) if html is not None else None,
    )


class Texts:
    """A mail template's texts rendered once per key (say, the language and the news),
    with the one per-recipient value (the context entry ``field``, a link) filled in
    afterwards. Holds at most ``LIMIT`` texts."""

    LIMIT = 512

    def __init__(self, p: Participatie, template: str, field: str) -> None:
        self._p = p
        self._template = template
        self._field = field
        self._globals = p.template_globals()
        self._done: dict[Any, tuple[str, str, str | None]] = {}

    def render(
        self, key: Any, locale: str, context: Mapping[str, Any], value: str
    ) -> tuple[str, str, str | None]:
        """The texts for ``key`` (rendered from ``context`` the first time) with ``value``."""

        if key not in self._done:
            if len(self._done) >= self.LIMIT:
                self._done.clear()
            ctx = {**self._globals, **context, self._field: PLACEHOLDER}
            self._done[key] = self._p.render_mail(self._template, locale, ctx)
        return fill_in(self._done[key], value)
