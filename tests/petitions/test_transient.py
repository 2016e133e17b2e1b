"""Transient database failures: a real deadlock is retried, a lost connection or a
database locked too long is one clear error (``db.unavailable``) and writes nothing."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from participatie.db import make_engine
from participatie.engine import Participatie
from participatie.errors import DatabaseUnavailable
from participatie.outbox.models import OutboxMessageRow
from participatie.petitions.models import CounterShardRow, MilestoneRow, SignatureRow
from tests.faults import backend_id, deadlock_at, kill, kill_pool, outage_at
from tests.petitions.conftest import links, open_petition, signer


def _rows(p: Participatie, *where: Any, model: type = SignatureRow) -> int:
    with p.session_scope(readonly=True) as s:
        return int(s.execute(select(func.count()).select_from(model).where(*where)).scalar_one())


@pytest.mark.parametrize("dialect", ["postgresql", "mariadb"], indirect=True)
def test_a_real_deadlock_is_retried(areas: Participatie, caplog: pytest.LogCaptureFixture) -> None:
    p = areas
    petition = open_petition(p)
    data = signer(1)
    p.petitions.sign(petition.id, data, ip="10.0.0.1")
    token = links(p, data.email, "petitions_confirm")["confirm"]
    with p.session_scope(readonly=True) as s:
        sid = s.execute(select(SignatureRow.id)).scalar_one()
    # The second connection holds every counter shard; the confirmation holds the
    # signature row and then needs a shard, while the second connection needs the row.
    hold = (
        update(CounterShardRow)
        .where(CounterShardRow.petition_id == petition.id)
        .values(verified=CounterShardRow.verified + 1)
    )
    wants = update(SignatureRow).where(SignatureRow.id == sid).values(resends=5)
    caplog.set_level(logging.INFO, logger="participatie.db")
    # PostgreSQL confirms and raises the shard in one statement (two CTEs): the deadlock
    # happens inside it. MariaDB takes the row and the shard in two statements.
    inside = p.engine.dialect.name == "postgresql"
    prefix = "WITH confirmed" if inside else "UPDATE participatie_petition_counter"
    with deadlock_at(p, prefix, hold, wants, inside=inside) as fired:
        confirmation = p.petitions.confirm(token)
    assert fired and confirmation.petition_id == petition.id
    assert any("deadlock" in r.getMessage() for r in caplog.records), "no retry happened"
    assert p.petitions.count(petition.id) == 1
    assert p.petitions.verify_counts(petition.id).ok


@pytest.mark.parametrize("dialect", ["postgresql", "mariadb"], indirect=True)
def test_a_deadlock_in_the_hosts_own_session_is_not_repeated(
    areas: Participatie, caplog: pytest.LogCaptureFixture
) -> None:
    p = areas
    petition = open_petition(p)
    data = signer(1)
    p.petitions.sign(petition.id, data, ip="10.0.0.1")
    token = links(p, data.email, "petitions_confirm")["confirm"]
    with p.session_scope(readonly=True) as s:
        sid = s.execute(select(SignatureRow.id)).scalar_one()
    hold = (
        update(CounterShardRow)
        .where(CounterShardRow.petition_id == petition.id)
        .values(verified=CounterShardRow.verified + 1)
    )
    wants = update(SignatureRow).where(SignatureRow.id == sid).values(resends=5)
    caplog.set_level(logging.INFO, logger="participatie.db")
    with (
        deadlock_at(p, "UPDATE participatie_petition_counter", hold, wants),
        pytest.raises(DatabaseUnavailable) as info,
        Session(p.engine) as host,
        host.begin(),
    ):
        p.petitions.confirm(token, session=host)
    assert info.value.details["reason"] == "conflict"
    assert not [r for r in caplog.records if "deadlock" in r.getMessage()]  # not repeated
    assert p.petitions.count(petition.id) == 0
    p.petitions.confirm(token)  # the host may try again
    assert p.petitions.count(petition.id) == 1


def test_a_lost_database_is_one_clear_error_and_writes_nothing(
    areas: Participatie, tmp_path: Path
) -> None:
    p = areas
    petition = open_petition(p)
    before = _rows(p, model=OutboxMessageRow)
    # The last statement before the commit, after others of the unit of work succeeded:
    # on PostgreSQL the one that writes the signature and its mail together.
    last = (
        "WITH signed"
        if p.engine.dialect.name == "postgresql"
        else "INSERT INTO participatie_outbox"
    )
    with (
        outage_at(p, last, str(tmp_path / "test.db")) as fired,
        pytest.raises(DatabaseUnavailable) as info,
    ):
        p.petitions.sign(petition.id, signer(1), ip="10.0.0.1")
    assert fired
    assert info.value.code == "db.unavailable" and info.value.status == 503
    assert info.value.details["reason"] == "connection"
    assert _rows(p) == 0  # the signature went with the transaction
    assert _rows(p, model=OutboxMessageRow) == before
    # The facade works again once the database is back.
    p.petitions.sign(petition.id, signer(1), ip="10.0.0.1")
    assert _rows(p) == 1


def test_confirmations_crossing_thresholds_together_do_not_deadlock(
    areas: Participatie, caplog: pytest.LogCaptureFixture
) -> None:
    p = areas
    caplog.set_level(logging.INFO, logger="participatie.db")
    signers = 120
    # A threshold every few signatures: many confirmations cross one at the same time.
    petition = open_petition(p, thresholds=list(range(3, signers + 1, 3)))
    tokens = []
    for n in range(signers):
        data = signer(n, email=f"drempel{n}@example.nl")
        p.petitions.sign(petition.id, data, ip=f"10.{n // 250}.{n % 250}.1")
        tokens.append(links(p, data.email, "petitions_confirm")["confirm"])
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(p.petitions.confirm, tokens))  # any error is raised here
    # Not even a retried deadlock: the petition row is locked before the milestone.
    assert not [r.getMessage() for r in caplog.records if "deadlock" in r.getMessage()]
    assert p.petitions.count(petition.id) == signers
    # Two confirmations may both read the total before either commits; the job that
    # catches such a crossing records the rest (docs/petitions/desk.md).
    p.jobs.run_due(only="petitions.thresholds")
    assert _rows(p, MilestoneRow.petition_id == petition.id, model=MilestoneRow) == signers // 3


@pytest.mark.parametrize("dialect", ["postgresql", "mariadb"], indirect=True)
def test_a_pooled_connection_killed_while_idle_costs_no_request(
    areas: Participatie, caplog: pytest.LogCaptureFixture
) -> None:
    """A server restart or an idle timeout kills connections waiting in the pool. No test
    round trip precedes every checkout; the first call after the kill finds its
    connection dead before anything was sent, and is repeated once on a new one."""

    p = areas
    petition = open_petition(p)
    assert kill_pool(p) >= 1
    with caplog.at_level(logging.INFO, logger="participatie.db"):
        p.petitions.sign(petition.id, signer(1), ip="10.0.0.1")
    assert _rows(p) == 1
    assert [r for r in caplog.records if "lost before any work" in r.getMessage()]


@pytest.mark.parametrize("dialect", ["postgresql", "mariadb"], indirect=True)
def test_a_connection_idle_for_long_is_tested_and_replaced(areas: Participatie) -> None:
    """After ``ping_after_idle`` seconds unused, a pooled connection is tested on
    checkout and a dead one replaced, so even a read without retries gets through."""

    engine = make_engine(areas.engine.url, ping_after_idle=0.0)
    try:
        with engine.connect() as conn:
            backend = backend_id(conn)
        kill(areas, backend)
        with engine.connect() as conn:
            assert conn.execute(select(1)).scalar_one() == 1
            assert backend_id(conn) != backend
    finally:
        engine.dispose()
