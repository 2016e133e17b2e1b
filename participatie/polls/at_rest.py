"""Secrecy of the ballot at rest: what a copy of the database says about who voted what.

Credentials keep at most the day of a vote; the ballot and credential rows a vote wrote are
rewritten in mixes (while voting goes on, and at closing for the rest) so that no row
order, id or transaction number follows the casting order.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, tzinfo
from typing import Any, cast

from sqlalchemy import (
    Column,
    MetaData,
    Select,
    String,
    Table,
    bindparam,
    delete,
    func,
    insert,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session

from participatie.polls.models import BallotChoiceRow, BallotRow, CredentialRow

_BALLOTS = cast(Table, BallotRow.__table__)
_CHOICES = cast(Table, BallotChoiceRow.__table__)
_CREDENTIALS = cast(Table, CredentialRow.__table__)


def day_of(moment: datetime, zone: tzinfo) -> datetime:
    """The start of ``moment``'s local calendar day, in UTC: the finest time a credential
    keeps, so the order of votes within a day cannot be read from it."""

    local = moment.astimezone(zone)
    return datetime.combine(local.date(), time(), tzinfo=zone).astimezone(UTC)


def _claim(which: Any) -> Any:
    """Use one ballot of the credential ``which`` picks, if it is active and has one left."""

    c = _CREDENTIALS.c
    return (
        update(_CREDENTIALS)
        .where(which, c.uses < c.max_uses, c.status == "active")
        .values(
            uses=c.uses + 1,
            used_at=func.coalesce(c.used_at, bindparam("day", type_=c.used_at.type)),
            first_channel=func.coalesce(c.first_channel, bindparam("channel", type_=String())),
            mixed=False,
        )
    )


# Built once: one of these runs for every ballot.
_CLAIM_BY_KEY = _claim(
    (_CREDENTIALS.c.poll_id == bindparam("poll")) & (_CREDENTIALS.c.key_hash == bindparam("key"))
)
_CLAIM_BY_ID = _claim(_CREDENTIALS.c.id == bindparam("credential_id"))


def claim_credential(
    s: Session,
    day: datetime | None,
    channel: str,
    *,
    poll_id: uuid.UUID | None = None,
    key: str | None = None,
    credential_id: uuid.UUID | None = None,
) -> bool:
    """Use one ballot of an active credential, if one is left; True when this call got it.

    The credential is the one with ``credential_id``, or the poll's one with keyed hash
    ``key``. ``day`` (from :func:`day_of`, or None for paper) is all the credential keeps
    of when.
    """

    params: dict[str, Any] = {"day": day, "channel": channel}
    if credential_id is not None:
        params["credential_id"] = credential_id
        statement = _CLAIM_BY_ID
    else:
        params.update(poll=poll_id, key=key)
        statement = _CLAIM_BY_KEY
    result = s.connection().execute(statement, params)
    return result.rowcount == 1


def mix(
    s: Session,
    poll_id: uuid.UUID,
    zone: tzinfo,
    *,
    links_kept: bool,
    everything: bool = False,
) -> int:
    """Rewrite the poll's rows a vote wrote since the last mix, in an order that follows
    nothing; returns how many ballots were rewritten.

    Inserting rows in casting order leaves that order in SQLite's rowid, PostgreSQL's
    ctid and xmin (the inserting transaction, shared with the credential's update),
    InnoDB's transaction id and the placement of rows in their pages. The ballots,
    marks and credentials not ``mixed`` yet are copied aside, deleted and inserted again
    in this one transaction: they all share its transaction and go back in the order of
    a random key (ballots and their marks by tracker, credentials by key hash), marked
    ``mixed``. Rows mixed before are not touched, so closing rewrites only what was cast
    since the last mix (the ``polls.mix`` job mixes while voting goes on). A copy of the
    database can then place a ballot in its mix, never closer: each mix holds at least
    ``PollSettings.mix_size`` ballots, or all of a poll's when closing mixes the rest.
    ``everything`` rewrites every row of the poll (``Polls.reseal``). Ids stay: ballot
    and code ids are random already. Dead row versions stay in the files until the
    database reclaims them (VACUUM, purge): see docs/polls/index.md.

    The caller holds the poll's row lock (``FOR UPDATE``): casting takes its share, so no
    vote writes while the rows are aside.
    """

    _forget_loaded_rows(s)
    ballots_of = _BALLOTS.c.poll_id == poll_id
    credentials_of = _CREDENTIALS.c.poll_id == poll_id
    if not everything:
        ballots_of &= _BALLOTS.c.mixed.is_(False)
        credentials_of &= _CREDENTIALS.c.mixed.is_(False)
    _credential_times_to_days(s, credentials_of, zone)
    if not links_kept:
        _random_ids_for_vote_made_credentials(s, credentials_of)
    ballots = _copy_aside(s, _BALLOTS, select(_BALLOTS).where(ballots_of))
    choices = _copy_aside(
        s,
        _CHOICES,
        select(_CHOICES).where(_CHOICES.c.ballot_id.in_(select(ballots.c.id))),
    )
    credentials = _copy_aside(s, _CREDENTIALS, select(_CREDENTIALS).where(credentials_of))
    # By the rows set aside, not by the condition again: what is deleted is what goes back.
    s.execute(delete(_CHOICES).where(_CHOICES.c.ballot_id.in_(select(ballots.c.id))))
    s.execute(delete(_BALLOTS).where(_BALLOTS.c.id.in_(select(ballots.c.id))))
    s.execute(delete(_CREDENTIALS).where(_CREDENTIALS.c.id.in_(select(credentials.c.id))))
    moved = int(s.execute(select(func.count()).select_from(ballots)).scalar_one())
    _put_back(s, _BALLOTS, ballots, [ballots.c.tracker])
    _put_back(
        s,
        _CHOICES,
        choices,
        [ballots.c.tracker, choices.c.rank, choices.c.option_position],
        join=(ballots, ballots.c.id == choices.c.ballot_id),
    )
    _put_back(s, _CREDENTIALS, credentials, [credentials.c.key_hash])
    mariadb = s.get_bind().dialect.name in ("mysql", "mariadb")
    for aside in (ballots, choices, credentials):
        if mariadb:
            # Plain DROP TABLE would commit the transaction on MariaDB.
            s.execute(text(f"DROP TEMPORARY TABLE {aside.name}"))
        else:
            aside.drop(s.connection())
    return moved


def pending(s: Session, poll_id: uuid.UUID) -> int:
    """Ballots of the poll a vote wrote since the last mix."""

    query = (
        select(func.count())
        .select_from(_BALLOTS)
        .where(_BALLOTS.c.poll_id == poll_id, _BALLOTS.c.mixed.is_(False))
    )
    return int(s.execute(query).scalar_one())


def _forget_loaded_rows(s: Session) -> None:
    s.flush()
    for obj in list(s.identity_map.values()):
        if isinstance(obj, BallotRow | BallotChoiceRow | CredentialRow):
            s.expunge(obj)


def _copy_aside(s: Session, table: Table, rows: Select[Any]) -> Table:
    """A temporary table (this connection only) holding ``rows`` of ``table``."""

    aside = Table(
        "participatie_reseal_" + table.name.removeprefix("participatie_polls_"),
        MetaData(),
        *(Column(c.name, c.type) for c in table.columns),
        prefixes=["TEMPORARY"],
    )
    if s.get_bind().dialect.name in ("mysql", "mariadb"):
        # MariaDB keeps a temporary table through a rollback: one left by a failed
        # attempt on this connection goes first.
        s.execute(text(f"DROP TEMPORARY TABLE IF EXISTS {aside.name}"))
    aside.create(s.connection())
    s.execute(insert(aside).from_select(list(table.c.keys()), rows))
    return aside


def _put_back(
    s: Session,
    table: Table,
    aside: Table,
    order: list[Any],
    *,
    join: tuple[Table, Any] | None = None,
) -> None:
    """Insert the rows set aside into ``table`` in ``order``, marked mixed where the table
    keeps the mark."""

    columns = [
        literal(True).label("mixed") if column.name == "mixed" else aside.c[column.name]
        for column in table.columns
    ]
    query = select(*columns)
    if join is not None:
        query = query.select_from(aside.join(*join))
    s.execute(insert(table).from_select(list(table.c.keys()), query.order_by(*order)))


def _credential_times_to_days(s: Session, mine: Any, zone: tzinfo) -> None:
    """Times finer than a day, written before credentials kept only the day, become days."""

    made_at_vote = _CREDENTIALS.c.kind.in_(("email", "host"))
    for column, where in (
        (_CREDENTIALS.c.used_at, mine),
        (_CREDENTIALS.c.created_at, mine & made_at_vote),
    ):
        values = s.execute(select(column).where(where, column.is_not(None)).distinct()).scalars()
        for value in list(values):
            day = day_of(value, zone)
            if day != value:
                s.execute(update(_CREDENTIALS).where(where, column == value).values({column: day}))


def _random_ids_for_vote_made_credentials(s: Session, mine: Any) -> None:
    """E-mail and host credentials once got time-ordered ids (UUIDv7) when their holder
    voted; those get random ones. Only done when no keyed link names the id any more."""

    ids = s.execute(
        select(_CREDENTIALS.c.id).where(mine, _CREDENTIALS.c.kind.in_(("email", "host")))
    ).scalars()
    for old in [i for i in ids if i.version == 7]:
        s.execute(update(_CREDENTIALS).where(_CREDENTIALS.c.id == old).values(id=uuid.uuid4()))


__all__ = ["claim_credential", "day_of", "mix", "pending"]
