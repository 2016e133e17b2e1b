"""Secrecy of the ballot at rest: what a copy of the database says about who voted what.

Credentials keep at most the day of a vote; at closing the ballot and credential rows
are rewritten so that no row order, id or transaction number follows the casting order.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, time, tzinfo
from typing import Any, cast

from sqlalchemy import Table, delete, func, insert, select, update
from sqlalchemy.orm import Session

from participatie.polls.models import BallotChoiceRow, BallotRow, CredentialRow

#: Rows moved per statement while rewriting: bounded memory at a million ballots.
CHUNK = 500

_BALLOTS = cast(Table, BallotRow.__table__)
_CHOICES = cast(Table, BallotChoiceRow.__table__)
_CREDENTIALS = cast(Table, CredentialRow.__table__)


def day_of(moment: datetime, zone: tzinfo) -> datetime:
    """The start of ``moment``'s local calendar day, in UTC: the finest time a credential
    keeps, so the order of votes within a day cannot be read from it."""

    local = moment.astimezone(zone)
    return datetime.combine(local.date(), time(), tzinfo=zone).astimezone(UTC)


def claim_credential(s: Session, which: Any, day: datetime | None, channel: str) -> bool:
    """Use one ballot of an active credential, if one is left; True when this call got it.

    ``day`` (from :func:`day_of`, or None for paper) is all the credential keeps of when.
    """

    result = s.execute(
        update(CredentialRow)
        .where(
            which,
            CredentialRow.uses < CredentialRow.max_uses,
            CredentialRow.status == "active",
        )
        .values(
            uses=CredentialRow.uses + 1,
            used_at=func.coalesce(CredentialRow.used_at, day),
            first_channel=func.coalesce(CredentialRow.first_channel, channel),
        )
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def reseal(s: Session, poll_id: uuid.UUID, zone: tzinfo, *, links_kept: bool) -> tuple[int, int]:
    """Rewrite the poll's ballots and credentials in an order that follows nothing.

    Inserting rows in casting order leaves that order in SQLite's rowid, PostgreSQL's
    ctid and xmin (the inserting transaction, shared with the credential's update) and
    InnoDB's page layout. Deleting and reinserting every row in this one transaction gives
    them all the same transaction and an order by a random key: ballots by tracker with
    fresh random ids, credentials by key hash. Credentials keep their ids while keyed links
    still name them (``links_kept``); afterwards they get fresh random ids too. Returns
    (ballots, credentials) rewritten. Dead row versions stay in the files until the
    database reclaims them (VACUUM, purge): see docs/polls/index.md.
    """

    _forget_loaded_rows(s)
    return _rewrite_ballots(s, poll_id), _rewrite_credentials(s, poll_id, zone, links_kept)


def _forget_loaded_rows(s: Session) -> None:
    s.flush()
    for obj in list(s.identity_map.values()):
        if isinstance(obj, BallotRow | BallotChoiceRow | CredentialRow):
            s.expunge(obj)


def _chunks(s: Session, table: Table, poll_id: uuid.UUID, key: str) -> Iterable[list[Any]]:
    column = table.c[key]
    last: str | None = None
    while True:
        query = select(table).where(table.c.poll_id == poll_id)
        if last is not None:
            query = query.where(column > last)
        rows = list(s.execute(query.order_by(column).limit(CHUNK)))
        if not rows:
            return
        yield rows
        last = getattr(rows[-1], key)


def _rewrite_ballots(s: Session, poll_id: uuid.UUID) -> int:
    done = 0
    for rows in _chunks(s, _BALLOTS, poll_id, "tracker"):
        old_ids = [r.id for r in rows]
        choices = list(
            s.execute(
                select(_CHOICES)
                .where(_CHOICES.c.ballot_id.in_(old_ids))
                .order_by(_CHOICES.c.ballot_id, _CHOICES.c.rank, _CHOICES.c.option_position)
            )
        )
        s.execute(delete(_CHOICES).where(_CHOICES.c.ballot_id.in_(old_ids)))
        s.execute(delete(_BALLOTS).where(_BALLOTS.c.id.in_(old_ids)))
        fresh = {old: uuid.uuid4() for old in old_ids}
        by_ballot: dict[uuid.UUID, list[dict[str, Any]]] = {}
        for c in choices:
            data = dict(c._mapping)
            data["ballot_id"] = fresh[c.ballot_id]
            by_ballot.setdefault(c.ballot_id, []).append(data)
        s.execute(insert(_BALLOTS), [{**r._mapping, "id": fresh[r.id]} for r in rows])
        new_choices = [c for r in rows for c in by_ballot.get(r.id, [])]
        if new_choices:
            s.execute(insert(_CHOICES), new_choices)
        done += len(rows)
    return done


def _rewrite_credentials(s: Session, poll_id: uuid.UUID, zone: tzinfo, links_kept: bool) -> int:
    done = 0
    for rows in _chunks(s, _CREDENTIALS, poll_id, "key_hash"):
        old_ids = [r.id for r in rows]
        s.execute(delete(_CREDENTIALS).where(_CREDENTIALS.c.id.in_(old_ids)))
        fresh: list[dict[str, Any]] = []
        for r in rows:
            data = dict(r._mapping)
            if not links_kept:
                data["id"] = uuid.uuid4()
            # Rows written before times were kept to the day get the day now.
            if data["used_at"] is not None:
                data["used_at"] = day_of(data["used_at"], zone)
            if data["kind"] in ("email", "host"):
                data["created_at"] = day_of(data["created_at"], zone)
            fresh.append(data)
        s.execute(insert(_CREDENTIALS), fresh)
        done += len(rows)
    return done


__all__ = ["CHUNK", "claim_credential", "day_of", "reseal"]
