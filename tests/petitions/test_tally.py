"""The tally (signatures per state, wijk and day, and the names shown) follows the rows
through every change:
signing, confirming (also racing), withdrawing, signing again, bulk invalidation, the
deletion of unconfirmed signatures and erasure; the check finds a drift; the migration
counts existing signatures."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from sqlalchemy import create_engine, delete, func, select
from sqlalchemy.pool import NullPool

from participatie import migrations
from participatie.clock import FixedClock
from participatie.engine import Participatie
from participatie.petitions import tally
from participatie.petitions.models import VERIFIED, SignatureRow, TallyRow
from participatie.petitions.schemas import InvalidationCriteria
from participatie.testing import make_participatie
from tests.petitions.conftest import links, open_petition, seed_areas, signer


def _from_rows(
    p: Participatie, petition_id: Any
) -> tuple[dict[str, int], dict[Any, int], dict[Any, int], int]:
    """States, verified per wijk and per day, and verified names shown, counted from the
    signature rows."""

    with p.session_scope(readonly=True) as s:
        rows = s.execute(
            select(
                SignatureRow.status,
                SignatureRow.area_code,
                SignatureRow.confirmed_day,
                SignatureRow.show_name,
                SignatureRow.name.is_not(None),
            ).where(SignatureRow.petition_id == petition_id)
        ).all()
    states: Counter[str] = Counter()
    areas: Counter[Any] = Counter()
    days: Counter[Any] = Counter()
    named = 0
    for status, area, day, show_name, has_name in rows:
        states[str(status)] += 1
        if status == VERIFIED:
            areas[area] += 1
            if day is not None:
                days[day] += 1
            named += int(bool(show_name) and bool(has_name))
    return dict(states), dict(areas), dict(days), named


def _assert_in_step(p: Participatie, petition_id: Any) -> None:
    states, areas, days, named = _from_rows(p, petition_id)
    stats = p.petitions.stats(petition_id)
    shown = {
        "pending": stats.pending,
        "fraudulent": stats.fraudulent,
        "invalidated": stats.invalidated,
        "withdrawn": stats.withdrawn,
    }
    assert shown == {k: states.get(k, 0) for k in shown}
    assert stats.verified == states.get(VERIFIED, 0)
    assert {a.area: a.online for a in stats.per_area if a.online} == areas
    assert {d.day: d.verified for d in stats.per_day} == days
    assert p.petitions.public_signers(petition_id).total == named
    check = p.petitions.verify_counts(petition_id)
    assert check.ok and check.tallies == [], check


def test_every_change_of_a_signature_moves_the_tally(
    areas: Participatie, clock: FixedClock
) -> None:
    p = areas
    petition = open_petition(p)
    tokens: dict[int, dict[str, str]] = {}
    for n in range(12):
        data = signer(n, show_name=n % 3 != 0)
        p.petitions.sign(petition.id, data, ip=f"10.1.{n}.1")
        tokens[n] = links(p, data.email, "petitions_confirm")
    # One network over its limit: silently fraudulent, counted as such.
    for n in range(12, 12 + p.settings.petitions.ip_limit + 2):
        p.petitions.sign(petition.id, signer(n), ip="10.9.9.9")
    _assert_in_step(p, petition.id)
    assert p.petitions.stats(petition.id).fraudulent >= 2

    for n in range(8):
        p.petitions.confirm(tokens[n]["confirm"])
    clock.advance(timedelta(days=1))  # a second day of confirmations
    for n in range(8, 10):
        p.petitions.confirm(tokens[n]["confirm"])
    p.petitions.confirm(tokens[0]["confirm"])  # twice is harmless
    _assert_in_step(p, petition.id)
    assert len(p.petitions.stats(petition.id).per_day) == 2
    assert p.petitions.public_signers(petition.id).total == 6  # 1, 2, 4, 5, 7, 8 of 0..9

    p.petitions.withdraw_signature(tokens[1]["withdraw"])  # verified
    p.petitions.withdraw_signature(tokens[10]["withdraw"])  # pending
    _assert_in_step(p, petition.id)
    p.petitions.sign(petition.id, signer(10), ip="10.1.10.1")  # withdrawn, signs again
    _assert_in_step(p, petition.id)
    assert p.petitions.stats(petition.id).withdrawn == 1

    criteria = InvalidationCriteria(area="centrum", statuses=["pending", "verified"])
    preview = p.petitions.preview_invalidation(petition.id, criteria)
    result = p.petitions.invalidate(
        petition.id, criteria, actor="griffie", expected_total=preview.total, reason="test"
    )
    assert result.by_status["verified"] > 0
    _assert_in_step(p, petition.id)

    p.petitions.erase_personal_data(signer(11).email, actor="griffie")  # pending: goes
    named = p.petitions.public_signers(petition.id).total
    p.petitions.erase_personal_data(signer(2).email, actor="griffie")  # verified: stays
    _assert_in_step(p, petition.id)
    assert p.petitions.public_signers(petition.id).total == named - 1  # its name is gone

    clock.advance(p.settings.petitions.delete_unconfirmed_after + timedelta(days=1))
    [run] = p.jobs.run_due(only="petitions.delete_unconfirmed")
    assert run.status == "ok"
    _assert_in_step(p, petition.id)
    assert p.petitions.stats(petition.id).pending == 0


def test_racing_confirmations_keep_the_tally_equal_to_the_rows(areas: Participatie) -> None:
    p = areas
    petition = open_petition(p)
    tokens = []
    for n in range(120):
        data = signer(n, email=f"race{n}@example.nl", show_name=n % 2 == 0)
        p.petitions.sign(petition.id, data, ip=f"10.{n // 250}.{n % 250}.1")
        tokens.append(links(p, data.email, "petitions_confirm")["confirm"])
    barrier = threading.Barrier(4)

    def confirm(part: list[str]) -> None:
        barrier.wait()
        for token in part:
            p.petitions.confirm(token)

    # Every token twice, from different threads: 120 confirmations, no more.
    parts = [tokens[0::2], tokens[1::2], tokens[1::2][::-1], tokens[0::2][::-1]]
    with ThreadPoolExecutor(max_workers=4) as pool:
        for future in [pool.submit(confirm, part) for part in parts]:
            future.result()
    stats = p.petitions.stats(petition.id)
    assert stats.verified == 120 and stats.pending == 0
    assert sum(a.online for a in stats.per_area) == 120
    assert sum(d.verified for d in stats.per_day) == 120
    assert p.petitions.public_signers(petition.id).total == 60
    _assert_in_step(p, petition.id)


def test_verify_counts_names_a_tally_drift_and_rebuild_repairs_it(areas: Participatie) -> None:
    p = areas
    petition = open_petition(p)
    for n in range(4):
        data = signer(n)
        p.petitions.sign(petition.id, data, ip=f"10.0.{n}.1")
        p.petitions.confirm(links(p, data.email, "petitions_confirm")["confirm"])
    with p.session_scope() as s:
        s.add(TallyRow(petition_id=petition.id, kind=tally.AREA, label="centrum", shard=99, n=3))
    check = p.petitions.verify_counts(petition.id)
    assert not check.ok and check.counter == check.rows == 4
    assert [(d.kind, d.label, d.kept, d.rows) for d in check.tallies] == [("area", "centrum", 5, 2)]
    assert check.error is not None and "centrum" in check.error.message
    with p.session_scope() as s:
        tally.rebuild(s, petition.id)
    _assert_in_step(p, petition.id)


def test_the_migration_counts_the_signatures_already_there(
    empty_database_url: str, clock: FixedClock
) -> None:
    p = make_participatie(empty_database_url, clock=clock)
    p.migrate()
    try:
        seed_areas(p)
        petition = open_petition(p)
        for n in range(6):
            data = signer(n, show_name=n != 1)
            p.petitions.sign(petition.id, data, ip=f"10.0.{n}.1")
            if n < 4:
                p.petitions.confirm(links(p, data.email, "petitions_confirm")["confirm"])
        migrations.downgrade(p.engine, "0009")
        migrations.upgrade(p.engine, "head")
        engine = create_engine(empty_database_url, poolclass=NullPool)
        with engine.connect() as conn:
            shards = conn.execute(
                select(func.count(), func.max(TallyRow.shard)).where(
                    TallyRow.petition_id == petition.id
                )
            ).one()
        engine.dispose()
        # pending, verified, two wijken, one day, the names shown (0, 2 and 3)
        assert shards == (6, 0)
        assert p.petitions.public_signers(petition.id).total == 3
        _assert_in_step(p, petition.id)
        with p.session_scope() as s:
            s.execute(delete(TallyRow))
        assert not p.petitions.verify_counts(petition.id).ok
    finally:
        p.dispose()
