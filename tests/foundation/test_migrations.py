from __future__ import annotations

from sqlalchemy import create_engine, inspect
from sqlalchemy.pool import NullPool

from examples.host_alembic.setup_database import host_differences, setup_database, upgrade_host
from participatie import migrations
from participatie.testing import TEST_SECRET, make_participatie


def test_single_head() -> None:
    heads = migrations.heads()
    assert len(heads) == 1, f"more than one head: {heads}"


def test_upgrade_empty_database_matches_models(empty_database_url: str) -> None:
    p = make_participatie(empty_database_url)
    p.migrate()
    result = migrations.check(p.engine)
    assert result.current == result.head
    assert result.differences == []
    tables = set(inspect(p.engine).get_table_names())
    assert "participatie_alembic_version" in tables
    assert all(name.startswith("participatie_") for name in tables), tables
    p.dispose()


def test_downgrade_to_base_removes_every_table(empty_database_url: str) -> None:
    p = make_participatie(empty_database_url)
    p.migrate()
    migrations.downgrade(p.engine, "base")
    assert set(inspect(p.engine).get_table_names()) <= {"participatie_alembic_version"}
    assert migrations.current(p.engine) is None
    p.migrate()
    assert migrations.check(p.engine).ok
    p.dispose()


def test_host_alembic_history_side_by_side(empty_database_url: str) -> None:
    p = setup_database(empty_database_url, TEST_SECRET)
    tables = set(inspect(p.engine).get_table_names())
    assert {"alembic_version", "participatie_alembic_version", "host_news_item"} <= tables
    assert migrations.check(p.engine).ok  # the library ignores the host's tables
    assert host_differences(p.engine) == []  # the host ignores the library's tables
    # Running the host's upgrade again after the library's changes nothing.
    upgrade_host(p.engine)
    assert migrations.current(p.engine) == migrations.heads()[0]
    p.dispose()


def test_check_reports_a_difference(empty_database_url: str) -> None:
    p = make_participatie(empty_database_url)
    p.migrate()
    engine = create_engine(empty_database_url, poolclass=NullPool)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE participatie_job_state")
    result = migrations.check(p.engine)
    assert not result.ok
    assert any("participatie_job_state" in str(diff) for diff in result.differences)
    engine.dispose()
    p.dispose()
