"""Abuse defences: silent rate limits, allow- and block-lists, trending, bulk invalidation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from participatie.clock import FixedClock
from participatie.engine import Participatie
from participatie.errors import InvalidInput
from participatie.petitions.errors import PreviewMismatch
from participatie.petitions.models import SignatureRow
from participatie.petitions.schemas import InvalidationCriteria, Trend
from participatie.testing import make_participatie
from tests.petitions.conftest import links, open_petition, sign_and_confirm, signer


def test_over_the_ip_limit_is_silently_fraudulent(areas: Participatie) -> None:
    p = areas
    petition = open_petition(p)
    limit = p.settings.petitions.ip_limit
    receipts = []
    for n in range(limit + 3):
        receipts.append(p.petitions.sign(petition.id, signer(n), ip="198.51.100.7"))
    assert len({r.model_dump_json() for r in receipts}) == 1  # the bot sees no difference
    for n in range(limit + 3):
        # The mail still goes out and the link "works" for the bot ...
        confirmation = p.petitions.confirm(links(p, f"inwoner{n}@example.nl")["confirm"])
        assert confirmation.status == "confirmed"
    # ... but only the signatures under the limit count.
    stats = p.petitions.stats(petition.id)
    assert (stats.verified, stats.fraudulent) == (limit, 3)
    assert p.petitions.count(petition.id) == limit
    with p.session_scope(readonly=True) as s:
        stored = set(s.execute(select(SignatureRow.ip_hash)).scalars())
    assert stored == {p.hasher.ip("198.51.100.7")}  # never the plain address


def test_subnet_limit_and_allowed_networks(p: Participatie, clock: FixedClock) -> None:
    q = make_participatie(
        p.settings.database_url,
        engine=p.engine,
        clock=clock,
        petitions={"subnet_limit": 3, "ip_limit": 100, "allow_networks": ("203.0.113.0/24",)},
    )
    petition = open_petition(q)
    for n in range(5):
        q.petitions.sign(petition.id, signer(n), ip=f"192.0.2.{n + 1}")
    for n in range(5, 10):  # a known shared network (a library, say) is exempt
        q.petitions.sign(petition.id, signer(n), ip=f"203.0.113.{n}")
    stats = q.petitions.stats(petition.id)
    assert (stats.pending, stats.fraudulent) == (8, 2)
    # The window moves on: an hour later the subnet may sign again.
    clock.advance(timedelta(hours=1, seconds=1))
    q.petitions.sign(petition.id, signer(20), ip="192.0.2.99")
    assert q.petitions.stats(petition.id).fraudulent == 2


def test_block_rules_from_settings_and_desk(areas: Participatie, clock: FixedClock) -> None:
    q = make_participatie(
        areas.settings.database_url,
        engine=areas.engine,
        clock=clock,
        petitions={"block_domains": ("wegwerp.example",), "block_networks": ("100.64.0.0/10",)},
    )
    petition = open_petition(q)
    q.petitions.sign(petition.id, signer(1, email="a@mail.wegwerp.example"))
    q.petitions.sign(petition.id, signer(2), ip="100.64.3.4")
    rule = q.petitions.add_rule("block_address", "Inwoner3@Example.nl", actor="griffie")
    assert "@" not in rule.value
    q.petitions.sign(petition.id, signer(3))
    q.petitions.sign(petition.id, signer(4))
    with q.session_scope(readonly=True) as s:
        reasons = dict(s.execute(select(SignatureRow.name, SignatureRow.fraud_reason)).all())
    assert reasons == {
        "Inwoner 1": "blocked_domain",
        "Inwoner 2": "blocked_network",
        "Inwoner 3": "blocked_address",
        "Inwoner 4": None,
    }
    assert q.audit.events(action="petition.rule_added")
    with pytest.raises(InvalidInput) as info:
        q.petitions.add_rule("block_network", "not a network", actor="griffie")
    assert info.value.field == "value"
    q.petitions.remove_rule(rule.id, actor="griffie")
    assert q.petitions.rules() == []


def test_trending_raises_one_event_per_hour(areas: Participatie, clock: FixedClock) -> None:
    p = areas
    petition = open_petition(p)
    seen: list[Trend] = []
    p.petitions.subscribe_trending(seen.append)
    threshold = p.settings.petitions.trending_ip_per_hour
    for n in range(threshold + 2):
        p.petitions.sign(petition.id, signer(n), ip="192.0.2.50")
    assert [t.kind for t in seen] == ["ip"]
    assert seen[0].key == p.hasher.ip("192.0.2.50")
    assert seen[0].count == threshold
    clock.advance(timedelta(hours=1, seconds=1))
    p.petitions.sign(petition.id, signer(100), ip="192.0.2.50")
    assert len(seen) == 1  # the last hour holds one signature now
    assert len(p.petitions.trends(petition.id)) == 1
    assert len(p.audit.events(action="petition.trending")) == 1


def test_domain_trending_skips_large_providers(p: Participatie, clock: FixedClock) -> None:
    q = make_participatie(
        p.settings.database_url,
        engine=p.engine,
        clock=clock,
        petitions={"trending_domain_per_hour": 3},
    )
    petition = open_petition(q)
    seen: list[Trend] = []
    q.petitions.subscribe_trending(seen.append)
    for n in range(4):
        q.petitions.sign(petition.id, signer(n, email=f"x{n}@gmail.com"))
    assert seen == []
    for n in range(4):
        q.petitions.sign(petition.id, signer(n, email=f"x{n}@botfarm.example"))
    assert [(t.kind, t.key) for t in seen] == [("domain", "botfarm.example")]


def test_a_recorded_trend_is_not_counted_again_within_its_hour(
    p: Participatie, clock: FixedClock
) -> None:
    """Once a domain's trend for this hour is recorded, signing from that domain neither
    counts its signatures (a count that grows with every one) nor asks for the trend; a
    second facade (another process) learns it from the database once. The next hour
    counts again and records a trend of its own."""

    from sqlalchemy import event

    options = {"trending_domain_per_hour": 3}
    q = make_participatie(p.settings.database_url, engine=p.engine, clock=clock, petitions=options)
    other = make_participatie(
        p.settings.database_url, engine=p.engine, clock=clock, petitions=options
    )
    petition = open_petition(q)
    seen: list[Trend] = []
    q.petitions.subscribe_trending(seen.append)
    other.petitions.subscribe_trending(seen.append)
    sent: list[str] = []

    def record(*args: object) -> None:
        sent.append(str(args[2]))

    def reads_of_the_domain(facade: Participatie, n: int) -> list[str]:
        sent.clear()
        event.listen(p.engine, "before_cursor_execute", record)
        try:
            facade.petitions.sign(petition.id, signer(n, email=f"x{n}@botfarm.example"))
        finally:
            event.remove(p.engine, "before_cursor_execute", record)
        counts = [
            sql
            for sql in sent
            if sql.startswith("SELECT count(") and "email_domain" in sql.split("WHERE", 1)[-1]
        ]
        return counts + [sql for sql in sent if "participatie_petition_trend" in sql]

    for n in range(3):
        reads_of_the_domain(q, n)
    assert [(t.kind, t.key) for t in seen] == [("domain", "botfarm.example")]
    assert reads_of_the_domain(q, 3) == []  # known here: nothing asked
    assert len(reads_of_the_domain(other, 4)) == 2  # not known there: count, then the trend
    assert reads_of_the_domain(other, 5) == []  # now it is
    assert len(seen) == 1 and len(q.petitions.trends(petition.id)) == 1
    clock.advance(timedelta(hours=1))
    for n in range(6, 9):
        reads_of_the_domain(q, n)
    assert len(seen) == 2 and len(q.petitions.trends(petition.id)) == 2
    assert q.petitions.stats(petition.id).pending == 9


def test_bulk_invalidation_preview_confirm_audit(areas: Participatie) -> None:
    p = areas
    petition = open_petition(p)
    for n in range(6):
        p.petitions.sign(petition.id, signer(n), ip="192.0.2.9")
        if n < 4:
            p.petitions.confirm(links(p, f"inwoner{n}@example.nl")["confirm"])
    for n in range(6, 9):
        sign_and_confirm(p, petition, n)
    assert p.petitions.count(petition.id) == 7
    with pytest.raises(InvalidInput) as info:
        p.petitions.preview_invalidation(petition.id, InvalidationCriteria())
    assert info.value.field == "criteria"
    criteria = InvalidationCriteria(ip="192.0.2.9")
    preview = p.petitions.preview_invalidation(petition.id, criteria)
    assert preview.by_status == {"pending": 2, "verified": 4}
    assert p.petitions.count(petition.id) == 7  # a preview writes nothing
    with pytest.raises(PreviewMismatch):
        p.petitions.invalidate(
            petition.id, criteria, actor="griffie", expected_total=5, reason="bot"
        )
    result = p.petitions.invalidate(
        petition.id, criteria, actor="griffie", expected_total=preview.total, reason="bot"
    )
    assert result.invalidated == 6
    assert p.petitions.count(petition.id) == 3
    stats = p.petitions.stats(petition.id)
    assert (stats.verified, stats.invalidated, stats.pending) == (3, 6, 0)
    assert sum(a.online for a in stats.per_area) == 3
    event = p.audit.events(action="petition.signatures_invalidated")[0]
    assert event.data["by_status"] == {"pending": 2, "verified": 4}
    # The audit log keeps the address only as its keyed hash.
    assert event.data["criteria"]["ip"] == p.hasher.ip("192.0.2.9")
    assert "192.0.2.9" not in str(event.data)
    by_area = p.petitions.preview_invalidation(petition.id, InvalidationCriteria(area="centrum"))
    assert by_area.by_status == {"pending": 0, "verified": 1}
    whole = p.petitions.preview_invalidation(petition.id, InvalidationCriteria(everything=True))
    assert whole.by_status == {"pending": 0, "verified": 3}


def test_ipv4_behind_ipv6_forms_counts_per_ipv4_network(p: Participatie) -> None:
    # A dual-stack server reports IPv4 peers as ::ffff:a.b.c.d: 60 residents from 60
    # IPv4 networks must not share one IPv6 /48 and its limit.
    petition = open_petition(p)
    for n in range(60):
        p.petitions.sign(petition.id, signer(n), ip=f"::ffff:198.{n}.100.7")
    stats = p.petitions.stats(petition.id)
    assert (stats.pending, stats.fraudulent) == (60, 0)
    # The same resident over plain IPv4, a mapped form, 6to4 and NAT64 is one address.
    forms = ["192.0.2.33", "::ffff:192.0.2.33", "2002:c000:221::1", "64:ff9b::c000:221"]
    assert {p.hasher.ip(f) for f in forms} == {p.hasher.ip("192.0.2.33")}
    assert {p.hasher.subnet(f) for f in forms} == {p.hasher.subnet("192.0.2.1")}
