from __future__ import annotations

import uuid
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import String, event, select, text
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from sqlalchemy.pool import QueuePool

from participatie import Participatie
from participatie.areas import AreaIn
from participatie.db import new_id
from participatie.jobs import JobStateRow


def test_timestamps_round_trip_as_aware_utc(p: Participatie) -> None:
    amsterdam = timezone(timedelta(hours=2))
    moment = datetime(2026, 7, 1, 14, 30, 15, 123456, tzinfo=amsterdam)
    with p.unit_of_work() as s:
        s.add(JobStateRow(name="tz-check", last_run_at=moment))
    with p.unit_of_work(readonly=True) as s:
        row = s.get(JobStateRow, "tz-check")
        assert row is not None
        assert row.last_run_at == moment
        assert row.last_run_at is not None and row.last_run_at.tzinfo is not None
        assert row.last_run_at.utcoffset() == timedelta(0)
        assert row.last_run_at.microsecond == 123456


def test_naive_datetimes_are_refused(p: Participatie) -> None:
    with pytest.raises(Exception, match="naive datetime"), p.unit_of_work() as s:
        s.add(JobStateRow(name="naive", last_run_at=datetime(2026, 1, 1)))
        s.flush()
    with p.unit_of_work(readonly=True) as s:
        assert s.get(JobStateRow, "naive") is None


def test_uuid7_ids_are_time_ordered_and_version_7() -> None:
    ids = [new_id() for _ in range(1000)]
    assert all(i.version == 7 for i in ids)
    assert len(set(ids)) == 1000
    assert ids == sorted(ids)  # made in this order, sorted in this order


def test_unit_of_work_rolls_back_everything_on_error(p: Participatie) -> None:
    with pytest.raises(RuntimeError), p.unit_of_work() as s:
        p.areas.create(AreaIn(code="a", name="A", postcodes=["9742"]), session=s, actor="test")
        raise RuntimeError("boom")
    assert p.areas.list() == []
    assert p.audit.verify().checked == 0


class HostBase(DeclarativeBase):
    """A host application's own declarative base, apart from the library's metadata."""


class HostThing(HostBase):
    __tablename__ = "host_thing_for_tests"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    label: Mapped[str] = mapped_column(String(50))


@pytest.fixture
def host_table(p: Participatie) -> None:
    HostThing.__table__.create(p.engine, checkfirst=True)  # type: ignore[attr-defined]
    with p.engine.begin() as conn:
        conn.execute(HostThing.__table__.delete())  # type: ignore[attr-defined]


@pytest.mark.usefixtures("host_table")
def test_host_session_commits_library_and_host_rows_together(p: Participatie) -> None:
    with Session(p.engine) as host, host.begin():
        host.add(HostThing(label="host row"))
        p.areas.create(AreaIn(code="b", name="B"), session=host, actor="test")
    assert [a.code for a in p.areas.list()] == ["b"]
    with Session(p.engine) as s:
        assert s.scalar(select(HostThing.label)) == "host row"


@pytest.mark.usefixtures("host_table")
def test_host_rollback_takes_library_rows_with_it(p: Participatie) -> None:
    with Session(p.engine) as host:
        host.begin()
        host.add(HostThing(label="host row"))
        p.areas.create(AreaIn(code="c", name="C"), session=host, actor="test")
        host.rollback()
    assert p.areas.list() == []
    assert p.audit.verify().checked == 0
    with Session(p.engine) as s:
        assert s.scalar(select(HostThing.label)) is None


@pytest.mark.parametrize("dialect", ["sqlite"], indirect=True)
def test_sqlite_pragmas(p: Participatie) -> None:
    with p.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 30000
        # The test facade relaxes durability for speed; the default is FULL (2).
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 1


def test_sqlite_default_is_synchronous_full(tmp_path: object) -> None:
    from participatie import Settings

    p = Participatie(
        Settings.load(secret_keys=["k" * 20], database_url=f"sqlite:///{tmp_path}/x.db")
    )
    with p.engine.connect() as conn:
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 2
    p.dispose()


def test_areas_lookup_by_postcode(p: Participatie) -> None:
    p.areas.create(AreaIn(code="Paddepoel", name="Paddepoel", postcodes=["9742"]), actor="test")
    p.areas.create(AreaIn(code="centrum", name="Centrum", postcodes=["9711-9712"]), actor="test")
    p.areas.create(
        AreaIn(code="split", name="Split", postcodes=[{"low": "9713 AA", "high": "9713 KZ"}]),
        actor="test",
    )
    assert (p.areas.for_postcode("9742ab") or pytest.fail()).code == "paddepoel"
    assert (p.areas.for_postcode("9712 ZZ") or pytest.fail()).code == "centrum"
    assert (p.areas.for_postcode("9713 KA") or pytest.fail()).code == "split"
    assert p.areas.for_postcode("9713 LA") is None
    assert p.areas.for_postcode("1011 AB") is None
    assert [e.action for e in p.audit.events()] == ["area.created"] * 3


def test_utc_now_is_from_the_injected_clock(p: Participatie) -> None:
    before = p.clock.now()
    assert before.tzinfo == UTC


def test_nul_characters_are_refused_on_every_dialect(p: Participatie) -> None:
    from participatie import InvalidInput

    with pytest.raises(InvalidInput, match="NUL"):
        p.areas.create(AreaIn(code="nul", name="Naam\x00met nul"), actor="test")
    assert p.areas.list() == []
    assert p.audit.verify().checked == 0


def _pooled_url(dialect: str, servers: Any, tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'pool.db'}" if dialect == "sqlite" else servers.url(dialect)


def test_pool_sizes_come_from_the_settings(dialect: str, servers: Any, tmp_path: Path) -> None:
    """A load of as many requests at once as the pool holds opens no connection past the
    first ones: a pool smaller than the load would open one per request beyond it."""

    from participatie import Settings

    url = _pooled_url(dialect, servers, tmp_path)
    settings = Settings.load(
        secret_keys=["k" * 20], database_url=url, database_pool_size=12, database_max_overflow=3
    )
    p = Participatie(settings)
    opened: list[object] = []
    event.listen(p.engine, "connect", lambda *_: opened.append(1))
    try:
        pool = p.engine.pool
        reader = p.engine.execution_options(participatie_readonly=True)  # SQLite: many at once
        assert isinstance(pool, QueuePool)
        assert (pool.size(), pool.overflow() + pool.size()) == (12, 0)
        for _ in range(3):  # three bursts of twelve requests at once
            with ExitStack() as stack:
                for _ in range(12):
                    conn = stack.enter_context(reader.connect())
                    conn.execute(text("SELECT 1"))
        assert len(opened) == 12
        with ExitStack() as stack:  # fifteen at once: three beyond the pool, then no more
            for _ in range(15):
                stack.enter_context(reader.connect()).execute(text("SELECT 1"))
            assert pool.overflow() == 3
        assert len(opened) == 15
        assert pool.checkedin() == 12  # the three beyond the pool were closed
    finally:
        p.dispose()


def test_pool_defaults_and_bad_sizes(tmp_path: Path) -> None:
    from participatie import Settings
    from participatie.errors import ConfigurationError

    defaults = Settings.load(secret_keys=["k" * 20], database_url=f"sqlite:///{tmp_path}/d.db")
    assert (defaults.database_pool_size, defaults.database_max_overflow) == (10, 30)
    p = Participatie(defaults)
    assert isinstance(p.engine.pool, QueuePool) and p.engine.pool.size() == 10
    p.dispose()
    # An in-memory database has one connection whatever the sizes say.
    memory = Participatie(Settings.load(secret_keys=["k" * 20], database_url="sqlite://"))
    assert not isinstance(memory.engine.pool, QueuePool)
    memory.dispose()
    with pytest.raises(ConfigurationError, match=r"(?i)database_pool_size"):
        Settings.load(secret_keys=["k" * 20], database_pool_size=0)
