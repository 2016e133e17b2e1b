"""Abuse defences for signing: allow- and block-lists, rate limits per IP address and
subnet, and trending detection; everything on keyed hashes, never on plain IP addresses.
"""

from __future__ import annotations

import ipaddress
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import bindparam, case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from participatie.identity import KeyedHasher
from participatie.petitions.models import RuleRow, SignatureRow, TrendRow
from participatie.petitions.schemas import Trend
from participatie.petitions.settings import PetitionSettings
from participatie.prepared import Prepared

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
RULE_KINDS = ("allow_domain", "allow_network", "block_domain", "block_network", "block_address")


def parse_network(value: str, *, field: str = "value") -> Network:
    from participatie.errors import InvalidInput

    try:
        net = ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        raise InvalidInput(f"{value!r} is not an IP network (CIDR)", field=field) from None
    # Signers' addresses are compared as IPv4 once unwrapped (identity.parse_ip), so a
    # rule written as ::ffff:a.b.c.d/n must be too.
    if isinstance(net, ipaddress.IPv6Network) and net.prefixlen >= 96:
        mapped = net.network_address.ipv4_mapped
        if mapped is not None:
            return ipaddress.ip_network(f"{mapped}/{net.prefixlen - 96}", strict=False)
    return net


def _domain_matches(domain: str, listed: frozenset[str]) -> bool:
    # A listed domain covers its subdomains too (mail.example.nl under example.nl).
    parts = domain.split(".")
    return any(".".join(parts[i:]) in listed for i in range(len(parts) - 1))


@dataclass(frozen=True)
class RuleSet:
    allow_domains: frozenset[str] = frozenset()
    allow_networks: tuple[Network, ...] = ()
    block_domains: frozenset[str] = frozenset()
    block_networks: tuple[Network, ...] = ()
    block_address_hashes: frozenset[str] = frozenset()

    @classmethod
    def load(cls, session: Session, settings: PetitionSettings, hasher: KeyedHasher) -> RuleSet:
        from participatie.identity import normalize_email

        allow_domains = {d.lower() for d in settings.allow_domains}
        block_domains = {d.lower() for d in settings.block_domains}
        allow_networks = [parse_network(n) for n in settings.allow_networks]
        block_networks = [parse_network(n) for n in settings.block_networks]
        blocked = {hasher.email(normalize_email(a)) for a in settings.block_addresses}
        for kind, value in session.execute(select(RuleRow.kind, RuleRow.value)):
            if kind == "allow_domain":
                allow_domains.add(value)
            elif kind == "block_domain":
                block_domains.add(value)
            elif kind == "allow_network":
                allow_networks.append(parse_network(value))
            elif kind == "block_network":
                block_networks.append(parse_network(value))
            elif kind == "block_address":
                blocked.add(value)
        return cls(
            frozenset(allow_domains),
            tuple(allow_networks),
            frozenset(block_domains),
            tuple(block_networks),
            frozenset(blocked),
        )

    def blocked(
        self,
        *,
        domain: str,
        email_hash: str,
        ip: ipaddress.IPv4Address | ipaddress.IPv6Address | None,
    ) -> str | None:
        """The reason a signer is blocked, or None."""

        if email_hash in self.block_address_hashes:
            return "blocked_address"
        if _domain_matches(domain, self.block_domains):
            return "blocked_domain"
        if ip is not None and any(ip in net for net in self.block_networks):
            return "blocked_network"
        return None

    def network_allowed(self, ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
        return any(ip in net for net in self.allow_networks)

    def domain_allowed(self, domain: str) -> bool:
        return _domain_matches(domain, self.allow_domains)


@dataclass
class Assessment:
    fraud_reason: str | None = None
    trends: list[tuple[str, str, int]] = field(default_factory=list)


class KnownTrends:
    """The trends this process knows are recorded, as (petition, kind, key, hour). Within
    the hour nothing more about them needs asking: neither whether the trend is recorded
    nor, for a domain, how many signatures it has (that count only serves the trend, and
    it grows with every signature from the domain). At most ``size`` are kept."""

    def __init__(self, size: int = 10_000) -> None:
        self._size = size
        self._seen: set[tuple[uuid.UUID, str, str, datetime]] = set()
        self._lock = threading.Lock()

    def __contains__(self, item: tuple[uuid.UUID, str, str, datetime]) -> bool:
        return item in self._seen

    def add(self, item: tuple[uuid.UUID, str, str, datetime]) -> None:
        with self._lock:
            if len(self._seen) >= self._size:
                self._seen.clear()
            self._seen.add(item)


def assess(
    session: Session,
    settings: PetitionSettings,
    rules: RuleSet,
    *,
    petition_id: uuid.UUID,
    now: datetime,
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address | None,
    ip_hash: str | None,
    subnet_hash: str | None,
    domain: str,
    email_hash: str,
    known: KnownTrends | None = None,
) -> Assessment:
    """Decide, before a signature is written, whether it is silently fraudulent and
    whether it makes an IP address or domain trend (one ``known`` already is not
    counted again: ``trends`` leaves it out)."""

    result = Assessment(fraud_reason=rules.blocked(domain=domain, email_hash=email_hash, ip=ip))
    since = now - settings.rate_window
    bucket = hour_bucket(now)
    known_trends = known if known is not None else KnownTrends()
    if ip is not None and ip_hash is not None and subnet_hash is not None:
        # One index range (petition, subnet, time) gives both the subnet and IP counts.
        subnet_count, ip_count = RATE.execute(
            session, {"pid": petition_id, "subnet": subnet_hash, "ip": ip_hash, "since": since}
        ).one()
        if not rules.network_allowed(ip):
            if result.fraud_reason is None and ip_count >= settings.ip_limit:
                result.fraud_reason = "rate_ip"
            elif result.fraud_reason is None and subnet_count >= settings.subnet_limit:
                result.fraud_reason = "rate_subnet"
            trending = ip_count + 1 >= settings.trending_ip_per_hour
            if trending and (petition_id, "ip", ip_hash, bucket) not in known_trends:
                result.trends.append(("ip", ip_hash, int(ip_count) + 1))
    if (petition_id, "domain", domain, bucket) in known_trends:
        return result
    if not rules.domain_allowed(domain):
        domain_count = session.execute(
            select(func.count()).where(
                SignatureRow.petition_id == petition_id,
                SignatureRow.email_domain == domain,
                SignatureRow.created_at >= since,
            )
        ).scalar_one()
        if domain_count + 1 >= settings.trending_domain_per_hour:
            result.trends.append(("domain", domain, int(domain_count) + 1))
    return result


_S = SignatureRow.__table__.c
#: One index range (petition, subnet, time) gives both the subnet and the IP count.
RATE = Prepared(
    select(
        func.count(),
        func.coalesce(func.sum(case((_S.ip_hash == bindparam("ip"), 1), else_=0)), 0),
    ).where(
        _S.petition_id == bindparam("pid"),
        _S.subnet_hash == bindparam("subnet"),
        _S.created_at >= bindparam("since"),
    )
)


def hour_bucket(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def raise_trend(
    session: Session,
    *,
    petition_id: uuid.UUID,
    kind: str,
    key: str,
    count: int,
    now: datetime,
) -> Trend | None:
    """Record a trending event once per petition, kind, key and hour; None if known."""

    bucket = hour_bucket(now)
    known = session.execute(
        select(TrendRow.id).where(
            TrendRow.petition_id == petition_id,
            TrendRow.kind == kind,
            TrendRow.key == key,
            TrendRow.bucket == bucket,
        )
    ).first()
    if known:
        return None
    try:
        with session.begin_nested():
            session.add(
                TrendRow(
                    petition_id=petition_id,
                    kind=kind,
                    key=key,
                    bucket=bucket,
                    count=count,
                    raised_at=now,
                )
            )
            session.flush()
    except IntegrityError:
        return None
    return Trend(
        petition_id=petition_id,
        kind="ip" if kind == "ip" else "domain",
        key=key,
        window_start=now - timedelta(hours=1),
        count=count,
    )
