"""Statements sent on the driver's cursor (``participatie.prepared``) behave as
SQLAlchemy's own execution does: the same values in and out, the engine's events, the
same errors, and a lost connection marked for the retry, on every dialect."""

from __future__ import annotations

import sqlite3
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import Boolean, Integer, String, Uuid, bindparam, event, insert, select
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, OperationalError

from participatie.db import LOST_BEFORE_WORK, make_engine
from participatie.engine import Participatie
from participatie.errors import InvalidInput
from participatie.outbox import OUTBOX
from participatie.prepared import Prepared
from participatie.retry import classify
from tests.faults import backend_id, kill, kill_pool

ECHO = Prepared(
    select(
        bindparam("u", type_=Uuid()),
        bindparam("flag", type_=Boolean()),
        bindparam("n", type_=Integer()),
        bindparam("s", type_=String()),
    )
)
_QUEUED = {
    "created_at": datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
    "template": "test",
    "locale": "nl",
    "to_address": "anna@example.nl",
    "subject": "Onderwerp",
    "text_body": "Tekst",
    "html_body": None,
    "headers": "{}",
    "dedupe_key": None,
    "subject_type": None,
    "subject_id": None,
    "status": "pending",
    "attempts": 0,
    "unknown_outcomes": 0,
    "next_attempt_at": datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
}
QUEUE = Prepared(
    insert(OUTBOX).values(
        {name: bindparam(name, type_=OUTBOX.c[name].type) for name in ["id", *_QUEUED]}
    )
)
READ_BACK = Prepared(
    select(OUTBOX.c.id, OUTBOX.c.created_at, OUTBOX.c.attempts, OUTBOX.c.dedupe_key).where(
        OUTBOX.c.id == bindparam("id")
    )
)


def test_values_go_in_and_come_out_as_sqlalchemy_gives_them(p: Participatie) -> None:
    given = {
        "u": uuid.UUID("01a23114-0d9e-7032-a1c8-eb958893e129"),
        "flag": True,
        "n": 7,
        "s": "Grote Markt",
    }
    with p.engine.connect() as conn:
        ours = ECHO.execute(conn, given).one()
        theirs = conn.execute(ECHO.statement, given).one()
    assert tuple(ours) == tuple(theirs)
    assert ours[0] == given["u"] and isinstance(ours[0], uuid.UUID)
    assert ours[1] is True and ours[2] == 7 and ours[3] == "Grote Markt"


def test_a_row_written_reads_back_alike(p: Participatie) -> None:
    """A time in another zone is stored as UTC and read back aware, in UTC."""

    message = uuid.uuid4()
    amsterdam = timezone(timedelta(hours=1))
    created = datetime(2026, 3, 2, 10, 0, 0, 123456, tzinfo=amsterdam)
    with p.engine.begin() as conn:
        written = QUEUE.execute(conn, {"id": message, **_QUEUED, "created_at": created})
        assert written.rowcount == 1
    with p.engine.connect() as conn:
        ours = READ_BACK.execute(conn, {"id": message}).one()
        theirs = conn.execute(READ_BACK.statement, {"id": message}).one()
        assert READ_BACK.execute(conn, {"id": uuid.uuid4()}).first() is None
    assert tuple(ours) == tuple(theirs)
    assert ours.id == message and ours.created_at == created and ours.created_at.tzinfo == UTC
    assert ours.attempts == 0 and ours.dedupe_key is None


def test_many_rows_in_one_call(p: Participatie) -> None:
    ids = [uuid.uuid4() for _ in range(3)]
    with p.engine.begin() as conn:
        QUEUE.executemany(conn, [{"id": n, **_QUEUED} for n in ids])
    with p.engine.connect() as conn:
        found = [READ_BACK.execute(conn, {"id": n}).scalar_one() for n in ids]
    assert found == ids


def test_a_missing_value_is_named(p: Participatie) -> None:
    with p.engine.connect() as conn, pytest.raises(ArgumentError, match="'flag'"):
        ECHO.execute(conn, {"u": uuid.uuid4(), "n": 1, "s": ""})


def test_an_insert_leaving_a_column_to_its_default_is_refused(p: Participatie) -> None:
    partial = Prepared(insert(OUTBOX).values(to_address=bindparam("to")))
    with p.engine.connect() as conn, pytest.raises(ArgumentError, match="every column"):
        partial.execute(conn, {"to": "anna@example.nl"})


def test_nul_is_refused_and_nothing_is_written(p: Participatie) -> None:
    message = uuid.uuid4()
    with p.engine.begin() as conn, pytest.raises(InvalidInput) as refused:
        QUEUE.execute(conn, {"id": message, **_QUEUED, "subject": "a\x00b"})
    assert refused.value.code == "input.invalid"
    with p.engine.connect() as conn:
        assert READ_BACK.execute(conn, {"id": message}).first() is None


def test_the_engine_s_listeners_see_the_statement(p: Participatie) -> None:
    seen: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, params: Any, *args: Any) -> None:
        seen.append((statement, params))

    event.listen(p.engine, "before_cursor_execute", record)
    try:
        with p.engine.connect() as conn:
            ECHO.execute(conn, {"u": uuid.uuid4(), "flag": False, "n": 1, "s": ""})
    finally:
        event.remove(p.engine, "before_cursor_execute", record)
    seen = [(sql, params) for sql, params in seen if not sql.startswith("BEGIN")]  # SQLite
    assert len(seen) == 1 and seen[0][0].startswith("SELECT")


def test_a_listener_of_the_host_s_gets_sqlalchemy_s_own_execution(p: Participatie) -> None:
    """Tracing and error reporting (Sentry, OpenTelemetry) keep state on the execution
    context; with such a listener the statement goes through SQLAlchemy, same results."""

    spans: list[str] = []

    def before(
        conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool
    ) -> None:
        context.traced = statement

    def after(
        conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool
    ) -> None:
        spans.append(context.traced)

    message = uuid.uuid4()
    event.listen(p.engine, "before_cursor_execute", before)
    event.listen(p.engine, "after_cursor_execute", after)
    try:
        with p.engine.begin() as conn:
            QUEUE.execute(conn, {"id": message, **_QUEUED})
            QUEUE.executemany(conn, [{"id": uuid.uuid4(), **_QUEUED}])
            found = READ_BACK.execute(conn, {"id": message}).one()
    finally:
        event.remove(p.engine, "before_cursor_execute", before)
        event.remove(p.engine, "after_cursor_execute", after)
    assert found.id == message and found.created_at == _QUEUED["created_at"]
    spans = [sql for sql in spans if not sql.startswith("BEGIN")]  # SQLite's own BEGIN
    assert len(spans) == 3 and spans[0].startswith("INSERT")


def test_hidden_parameters_stay_hidden(p: Participatie) -> None:
    engine = make_engine(p.engine.url, hide_parameters=True)
    message = uuid.uuid4()
    try:
        with engine.begin() as conn:
            QUEUE.execute(conn, {"id": message, **_QUEUED, "subject": "geheim-onderwerp"})
        with engine.begin() as conn, pytest.raises(IntegrityError) as twice:
            QUEUE.execute(conn, {"id": message, **_QUEUED, "subject": "geheim-onderwerp"})
    finally:
        engine.dispose()
    assert "geheim-onderwerp" not in str(twice.value)
    assert "hide_parameters" in str(twice.value)


def test_a_broken_constraint_is_sqlalchemy_s_integrity_error(p: Participatie) -> None:
    message = uuid.uuid4()
    with p.engine.begin() as conn:
        QUEUE.execute(conn, {"id": message, **_QUEUED})
    with p.engine.begin() as conn, pytest.raises(IntegrityError):
        QUEUE.execute(conn, {"id": message, **_QUEUED})


def test_a_lost_connection_is_invalidated_and_marked_for_the_retry(
    p: Participatie, dialect: str, tmp_path: Any
) -> None:
    """PostgreSQL and MariaDB: the server connection is killed before the statement; the
    error says the connection was invalidated, and (nothing sent on this checkout had
    succeeded) that the call may be repeated. SQLite: a writer held the lock past the
    busy timeout, which the retry counts as the database being unavailable."""

    if dialect == "sqlite":
        holder = sqlite3.connect(str(tmp_path / "test.db"), isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            readonly = p.engine.connect().execution_options(participatie_readonly=True)
            with readonly as conn:
                conn.connection.dbapi_connection.execute("PRAGMA busy_timeout = 50")  # type: ignore[union-attr]
                conn.begin()
                with pytest.raises(OperationalError) as locked:
                    QUEUE.execute(conn, {"id": uuid.uuid4(), **_QUEUED})
        finally:
            holder.execute("ROLLBACK")
            holder.close()
            p.engine.dispose()
        assert classify(locked.value) == "connection"
        return
    for worked_first in (False, True):
        with p.engine.connect() as conn:
            if worked_first:
                READ_BACK.execute(conn, {"id": uuid.uuid4()})
            kill(p, backend_id(conn))
            with pytest.raises(DBAPIError) as lost:
                READ_BACK.execute(conn, {"id": uuid.uuid4()})
            assert lost.value.connection_invalidated and conn.invalidated
            assert getattr(lost.value, LOST_BEFORE_WORK, False) is not worked_first
            assert classify(lost.value) == "connection"
    with p.engine.connect() as conn:  # the pool hands out a live connection again
        assert READ_BACK.execute(conn, {"id": uuid.uuid4()}).first() is None


@pytest.mark.parametrize("dialect", ["postgresql", "mariadb"], indirect=True)
def test_after_a_server_restart_one_lost_call_renews_the_pool(p: Participatie) -> None:
    """Every pooled connection died (a restart) while none was idle long enough to be
    tested: the first statement finds its connection lost, and the next checkouts get
    live ones, as with SQLAlchemy's own handling (which retires the whole pool)."""

    first, second = p.engine.connect(), p.engine.connect()
    for conn in (first, second):
        READ_BACK.execute(conn, {"id": uuid.uuid4()})
    first.close()
    second.close()
    assert kill_pool(p) >= 2
    with p.engine.connect() as conn, pytest.raises(DBAPIError) as lost:
        READ_BACK.execute(conn, {"id": uuid.uuid4()})
    assert lost.value.connection_invalidated
    # Two at once: the pool's other connection is the one a stale pool would hand out.
    with p.engine.connect() as one, p.engine.connect() as two:
        for conn in (one, two):
            assert READ_BACK.execute(conn, {"id": uuid.uuid4()}).first() is None


def test_a_prepared_statement_from_a_hosts_flush_hook(p: Participatie) -> None:
    """A host queues mail from its own ``after_flush`` hook: the library's prepared
    statements run there without flushing the session a second time."""

    from sqlalchemy import event as sa_event
    from sqlalchemy.orm import Session as OrmSession

    from participatie.areas import AreaIn
    from participatie.areas import AreaRow as Area

    queued: list[object] = []

    def hook(session: OrmSession, _: object) -> None:
        for obj in list(session.new):
            if isinstance(obj, Area):
                queued.append(
                    p.outbox.enqueue(
                        session,
                        to="griffie@example.nl",
                        template="subscriptions_link",
                        context={"manage_url": "https://example.nl/beheer"},
                    )
                )

    with OrmSession(p.engine) as s:
        sa_event.listen(s, "after_flush", hook)
        with s.begin():
            p.areas.create(
                AreaIn(code="selwerd", name="Selwerd", postcodes=["9741"]), actor="t", session=s
            )
            s.flush()
    assert len(queued) == 1 and queued[0] is not None
    assert len(p.outbox.messages(to="griffie@example.nl")) == 1
