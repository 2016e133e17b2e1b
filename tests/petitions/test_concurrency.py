"""Races on a real server: a thousand signers at once, one address from twenty threads."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from participatie.engine import Participatie
from participatie.petitions.models import CounterShardRow, SignatureRow
from participatie.petitions.schemas import SignReceipt
from tests.petitions.conftest import links, open_petition, signer


# The thousand-signer race runs on PostgreSQL, the scale-out target.
@pytest.mark.parametrize("dialect", ["postgresql"], indirect=True)
def test_a_thousand_concurrent_signers_give_an_exact_count(areas: Participatie) -> None:
    p = areas
    petition = open_petition(p)
    signers = 1000

    def one(n: int) -> None:
        data = signer(n, email=f"massa{n}@example.nl")
        # Spread over many networks, as on the real peak day.
        p.petitions.sign(petition.id, data, ip=f"10.{n // 200}.{n % 200}.1")
        p.petitions.confirm(links(p, data.email, "petitions_confirm")["confirm"])

    with ThreadPoolExecutor(max_workers=32) as pool:
        list(pool.map(one, range(signers)))
    assert p.petitions.count(petition.id) == signers
    stats = p.petitions.stats(petition.id)
    assert (stats.verified, stats.pending, stats.fraudulent) == (signers, 0, 0)
    assert sum(a.online for a in stats.per_area) == signers
    with p.session_scope(readonly=True) as s:
        shards_used = s.execute(
            select(func.count()).where(
                CounterShardRow.petition_id == petition.id, CounterShardRow.verified > 0
            )
        ).scalar_one()
    assert shards_used > 1  # the confirmations did not all queue on one row


# SQLite has one writer at a time: there is no race to lose there.
@pytest.mark.parametrize("dialect", ["postgresql", "mariadb"], indirect=True)
def test_one_address_from_twenty_threads_is_one_signature(areas: Participatie) -> None:
    p = areas
    petition = open_petition(p)

    def attempt(n: int) -> SignReceipt:
        return p.petitions.sign(petition.id, signer(1, name=f"Poging {n}"), ip=f"192.0.2.{n + 1}")

    with ThreadPoolExecutor(max_workers=20) as pool:
        receipts = list(pool.map(attempt, range(20)))
    assert len({r.model_dump_json() for r in receipts}) == 1  # losers see the same answer
    with p.session_scope(readonly=True) as s:
        rows = s.execute(select(func.count()).select_from(SignatureRow)).scalar_one()
    assert rows == 1
    first = p.outbox.messages(to="inwoner1@example.nl", template="petitions_confirm")
    # One first mail, plus at most the allowed re-sends for the threads that came after.
    assert 1 <= len(first) <= 1 + p.settings.petitions.max_resends
    p.petitions.confirm(links(p, "inwoner1@example.nl", "petitions_confirm")["confirm"])
    assert p.petitions.count(petition.id) == 1


# Signers from one network take turns: an advisory lock on PostgreSQL, a counter shard
# row locked FOR UPDATE on MariaDB (see docs/petitions/abuse.md).
@pytest.mark.parametrize("dialect", ["postgresql", "mariadb"], indirect=True)
def test_a_parallel_burst_from_one_address_does_not_slip_under_the_limit(
    areas: Participatie,
) -> None:
    p = areas
    petition = open_petition(p)
    limit = p.settings.petitions.ip_limit

    def attempt(n: int) -> SignReceipt:
        return p.petitions.sign(petition.id, signer(n), ip="198.51.100.99")

    with ThreadPoolExecutor(max_workers=24) as pool:
        list(pool.map(attempt, range(limit + 20)))
    stats = p.petitions.stats(petition.id)
    assert (stats.pending, stats.fraudulent) == (limit, 20)


@pytest.mark.parametrize("dialect", ["postgresql", "mariadb"], indirect=True)
def test_a_parallel_household_keeps_to_its_limit(areas: Participatie) -> None:
    p = areas
    petition = open_petition(p, household_rule=True)
    limit = p.settings.petitions.household_limit

    def attempt(n: int) -> SignReceipt:
        # One house, different names, each from its own network: only the rule can stop them.
        data = signer(n, name=f"Bewoner {n}", postcode="9742 CD", house_number="12")
        return p.petitions.sign(petition.id, data, ip=f"10.{n}.0.1")

    with ThreadPoolExecutor(max_workers=12) as pool:
        receipts = list(pool.map(attempt, range(12)))
    assert len({r.model_dump_json() for r in receipts}) == 1  # every answer looks the same
    with p.session_scope(readonly=True) as s:
        rows = s.execute(select(func.count()).select_from(SignatureRow)).scalar_one()
    assert rows == limit
    assert len(p.outbox.messages(template="petitions_household")) == 12 - limit
