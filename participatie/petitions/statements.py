"""What the parts of ``p.petitions`` share by name: constants, and the statements on
the signing path, built once on the tables.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from typing import Any, NamedTuple, cast

from sqlalchemy import Integer, Table, bindparam, func, select, text, true, update
from sqlalchemy.orm import Session

from participatie.identity import (
    Email,
)
from participatie.petitions.models import (
    PENDING,
    VERIFIED,
    CoinitiatorRow,
    CounterShardRow,
    PaperBatchRow,
    PetitionRow,
    SignatureRow,
)
from participatie.petitions.schemas import (
    Trend,
)
from participatie.prepared import Prepared

#: A mail to an address a requester typed: the address and their IP (send caps).
Cap = tuple[Email, str | None] | None

#: Seconds the allow/block lists are cached per process (changes here clear it at once).
RULES_CACHE_SECONDS = 30.0
SIGNATURE = "petition_signature"
PETITION = "petition"
#: Signatures that take part in a petition (count, or may still count).
LIVE = (PENDING, VERIFIED)
PAGE = 1000
ERASED = "erased@invalid"

TrendCallback = Callable[[Trend], None]
AREA_CACHE_SIZE = 20_000
#: Seconds a petition's state is cached for signing and confirming in this process; this
#: process's own changes clear it at once, other processes' show within this time.
SNAPSHOT_SECONDS = 2.0
#: A total read as of a statement's start (``combined.CONFIRM_WHOLE``) this close to a
#: threshold still ahead is read again in a statement of its own: confirmations that
#: committed while the statement waited for their rows are missing from it.
THRESHOLD_RECHECK = 100

# The statements on the signing path are built once, on the tables (not the mapped
# classes), and run on the session's connection: no ORM work and no cache-key traversal per
# call, which is most of the library's own cost per signature.
PETITIONS = cast(Table, PetitionRow.__table__)
SIGNATURES = cast(Table, SignatureRow.__table__)
COUNTERS = cast(Table, CounterShardRow.__table__)
_P = PETITIONS.c
_S = SIGNATURES.c
_C = COUNTERS.c
SNAPSHOT_QUERY = Prepared(
    select(
        _P.id,
        _P.status,
        _P.hidden,
        _P.opens_at,
        _P.closes_at,
        _P.closed_at,
        _P.min_age,
        _P.residents_only,
        _P.household_rule,
        _P.title,
        _P.thresholds,
        _P.reached_threshold,
        _P.creator_email,
        _P.creator_name,
        _P.locale,
    ).where(_P.id == bindparam("pid"))
)
#: A signature of the same mailbox (or, for rows from before mailbox keys, the same address).
EXISTING = Prepared(
    select(_S.id, _S.status, _S.resends, _S.email, _S.email_hash, _S.name, _S.locale)
    .where(
        _S.petition_id == bindparam("pid"),
        (_S.mailbox_hash == bindparam("mailbox_hash")) | (_S.email_hash == bindparam("email_hash")),
    )
    .limit(1)
)
CONFIRM_LOOKUP = select(
    _S.id,
    _S.petition_id,
    _S.status,
    _S.email_hash,
    _S.area_code,
    (_S.show_name.is_(True) & _S.name.is_not(None)).label("named"),
).where(_S.id == bindparam("sid"))
CONFIRM = (
    update(SIGNATURES)
    .where(_S.id == bindparam("sid"), _S.status == PENDING)
    .values(status=VERIFIED, confirmed_at=bindparam("now"), confirmed_day=bindparam("day"))
)
_CONFIRMED = (
    _S.id,
    _S.petition_id,
    _S.email_hash,
    _S.area_code,
    (_S.show_name.is_(True) & _S.name.is_not(None)).label("named"),
)
#: PostgreSQL and SQLite: confirming a pending signature and reading what the rest of the
#: confirmation needs, in one statement (no row: not pending, or not there).
CONFIRM_RETURNING = Prepared(CONFIRM.returning(*_CONFIRMED))

BUMP = (
    update(COUNTERS)
    .where(_C.petition_id == bindparam("pid"), _C.shard == bindparam("shard_no"))
    .values(verified=_C.verified + bindparam("delta"))
)
_B = cast(Table, PaperBatchRow.__table__).c
#: Online (the shards) plus paper, in one round trip: read after every confirmation while
#: a threshold is still ahead.
TOTAL = Prepared(
    select(
        select(func.coalesce(func.sum(_C.verified), 0))
        .where(_C.petition_id == bindparam("pid"))
        .scalar_subquery()
        + select(func.coalesce(func.sum(_B.count), 0))
        .where(_B.petition_id == bindparam("pid"))
        .scalar_subquery()
    )
)
_K = cast(Table, CoinitiatorRow.__table__).c
#: What a petition's public record adds to its row, in one round trip: the confirmed
#: co-initiators, the verified count (the counter shards) and the paper count.
NUMBERS = select(
    select(func.count())
    .where(_K.petition_id == bindparam("pid"), _K.confirmed_at.is_not(None))
    .scalar_subquery(),
    select(func.coalesce(func.sum(_C.verified), 0))
    .where(_C.petition_id == bindparam("pid"))
    .scalar_subquery(),
    select(func.coalesce(func.sum(_B.count), 0))
    .where(_B.petition_id == bindparam("pid"))
    .scalar_subquery(),
)
#: A petition's row as the public pages read it (a Core row, no ORM object).
PUBLIC_ROW = select(PETITIONS).where(_P.id == bindparam("pid"))
#: One page of the public list of names, newest first. ``show_name == true`` (not ``IS
#: true``) lets the index on (petition, state, show_name, confirmed_at) serve it in order,
#: so the page reads no more rows as the petition grows.
NAMES_PAGE = (
    select(_S.name, _S.area_code, _S.confirmed_day)
    .where(
        _S.petition_id == bindparam("pid"),
        _S.status == VERIFIED,
        _S.show_name == true(),
        _S.name.is_not(None),
    )
    .order_by(_S.confirmed_at.desc(), _S.id.desc())
    .limit(bindparam("limit", type_=Integer))
    .offset(bindparam("offset", type_=Integer))
)
_INSERTS: dict[str, Prepared] = {}
#: The columns a new signature's INSERT gives (every one: no Python-side default runs).
NEW_SIGNATURE = (
    "id",
    "petition_id",
    "created_at",
    "status",
    "fraud_reason",
    "name",
    "email",
    "email_hash",
    "mailbox_hash",
    "email_domain",
    "postcode",
    "house_number",
    "ip_hash",
    "subnet_hash",
    "area_id",
    "area_code",
    "show_name",
    "notify_answer",
    "declared_min_age",
    "declared_resident",
    "locale",
    "resends",
)


def insert_or_nothing(dialect: str) -> Prepared:
    """INSERT .. ON CONFLICT DO NOTHING RETURNING id, built once: a clash on the address
    or on the mailbox (both unique per petition) inserts nothing. Its parameters are
    :data:`NEW_SIGNATURE`."""

    if dialect not in _INSERTS:
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            base: Any = pg_insert(SIGNATURES)
        else:
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert

            base = sqlite_insert(SIGNATURES)
        values = {name: bindparam(name, type_=_S[name].type) for name in NEW_SIGNATURE}
        statement = base.values(values).on_conflict_do_nothing().returning(_S.id)
        _INSERTS[dialect] = Prepared(statement)
    return _INSERTS[dialect]


class SigRef(NamedTuple):
    """What a confirmation mail needs to know about a signature."""

    id: uuid.UUID
    email: str | None
    email_hash: str | None
    name: str | None
    locale: str


class Numbers(NamedTuple):
    """What :data:`NUMBERS` reads for one petition."""

    coinitiators: int
    verified: int
    paper: int


class AreaRef(NamedTuple):
    id: uuid.UUID
    code: str


ADVISORY_LOCK = Prepared(text("SELECT pg_advisory_xact_lock(:key)"))


def serialise(s: Session, petition_id: uuid.UUID, names: list[str], shards: int) -> None:
    """Make transactions about the same ``names`` take turns until they commit.

    PostgreSQL: a transaction-scoped advisory lock per name. MariaDB (READ COMMITTED):
    the names map onto the petition's counter shard rows, locked FOR UPDATE in shard
    order (one statement, so two signers never lock two shards in opposite orders);
    unrelated names that share a shard wait briefly too. SQLite runs one writer at a
    time anyway.
    """

    if not names:
        return
    digests = [hashlib.blake2b(name.encode(), digest_size=8).digest() for name in names]
    dialect = s.get_bind().dialect.name
    if dialect == "postgresql":
        for digest in digests:
            key = int.from_bytes(digest, "big", signed=True)
            ADVISORY_LOCK.execute(s, {"key": key})
    elif dialect in ("mysql", "mariadb"):
        wanted = sorted({int.from_bytes(digest, "big") % shards for digest in digests})
        s.connection().execute(
            select(CounterShardRow.shard)
            .where(CounterShardRow.petition_id == petition_id, CounterShardRow.shard.in_(wanted))
            .order_by(CounterShardRow.shard)
            .with_for_update()
        ).all()
