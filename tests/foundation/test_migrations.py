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


def test_0015_marks_what_closing_mixed_and_leaves_open_votes_waiting(
    empty_database_url: str,
) -> None:
    """Rows of published and cancelled polls were rewritten at their end and unused codes
    carry no vote: both count as mixed (0). The votes of a poll still open wait for its
    next mix, and so do a closed poll's (paper typed in after closing is rewritten at
    publication). Every ballot gets its line of the ballots file."""

    import uuid
    from datetime import UTC, datetime

    from sqlalchemy import JSON, Column, MetaData, Table, Uuid, select

    from participatie.polls.ballots import ballot_line

    def reflect(name: str, *ids: str) -> Table:
        # Types as the models declare them (a Uuid is CHAR(32) on SQLite and MariaDB).
        columns = [Column(i, Uuid(), primary_key=i in ("id", "ballot_id")) for i in ids]
        if name == "poll":
            columns += [Column("area_codes", JSON()), Column("postcodes", JSON())]
        return Table(f"participatie_polls_{name}", MetaData(), *columns, autoload_with=p.engine)

    p = make_participatie(empty_database_url)
    migrations.upgrade(p.engine, "0014")
    poll = reflect("poll", "id")
    cred, ballot = (reflect(name, "id", "poll_id") for name in ("credential", "ballot"))
    option = reflect("option", "id", "poll_id")
    choice = reflect("ballot_choice", "ballot_id", "poll_id")
    now = datetime(2026, 11, 1, tzinfo=UTC)
    ids = {"open": uuid.uuid4(), "closed": uuid.uuid4(), "published": uuid.uuid4()}
    with p.engine.begin() as conn:
        for state, poll_id in ids.items():
            conn.execute(
                poll.insert(),
                {
                    "id": poll_id,
                    "title": state,
                    "question": "?",
                    "explanation": "",
                    "rule": "approval",
                    "seats": 1,
                    "max_choices": 1,
                    "points": 0,
                    "allow_blank": True,
                    "eligibility": "codes",
                    "ballots_per_code": 1,
                    "allow_change": False,
                    "precedence": "first",
                    "tie_break": "report",
                    "area_codes": [],
                    "postcodes": [],
                    "state": state,
                    "created_at": now,
                    "created_by": "test",
                    "conflicts": 0,
                },
            )
            for serial, uses in ((1, 1), (2, 0)):
                conn.execute(
                    cred.insert(),
                    {
                        "id": uuid.uuid4(),
                        "poll_id": poll_id,
                        "kind": "code",
                        "key_hash": f"{state}{serial}",
                        "serial": serial,
                        "status": "active",
                        "max_uses": 1,
                        "uses": uses,
                        "changes": 0,
                        "created_at": now,
                    },
                )
            names = ['Plein "Noord"', "Zoë 🌳", "B"]
            for position, name in enumerate(names, start=1):
                conn.execute(
                    option.insert(),
                    {
                        "id": uuid.uuid4(),
                        "poll_id": poll_id,
                        "position": position,
                        "name": name,
                        "description": "",
                    },
                )
            ballot_id = uuid.uuid4()
            conn.execute(
                ballot.insert(),
                {
                    "id": ballot_id,
                    "poll_id": poll_id,
                    "tracker": f"t-{state}",
                    "channel": "online",
                    "blank": False,
                    "invalid": False,
                    "superseded": False,
                },
            )
            # Marked in ballot order: "B" first, then the quoted name.
            for position, rank in ((3, 1), (1, 2)):
                conn.execute(
                    choice.insert(),
                    {
                        "ballot_id": ballot_id,
                        "poll_id": poll_id,
                        "option_position": position,
                        "channel": "online",
                        "counted": True,
                        "rank": rank,
                        "points": 1,
                    },
                )
    migrations.upgrade(p.engine)
    cred, ballot = (reflect(name, "id", "poll_id") for name in ("credential", "ballot"))
    with p.engine.connect() as conn:
        creds = {r.key_hash: r.mix for r in conn.execute(select(cred))}
        ballots = {r.tracker: (r.mix, r.line) for r in conn.execute(select(ballot))}
    assert creds == {
        "open1": None,
        "open2": 0,
        "closed1": None,
        "closed2": 0,
        "published1": 0,
        "published2": 0,
    }
    line = ballot_line("t", "online", ["B", 'Plein "Noord"'], False)
    assert ballots == {
        "t-open": (None, line.replace('"t"', '"t-open"')),
        "t-closed": (None, line.replace('"t"', '"t-closed"')),
        "t-published": (0, line.replace('"t"', '"t-published"')),
    }
    migrations.downgrade(p.engine, "0014")
    assert {"mix", "line"}.isdisjoint(c["name"] for c in inspect(p.engine).get_columns(ballot.name))
    p.dispose()
