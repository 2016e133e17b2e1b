"""Mixes: rewriting the rows votes wrote so that a copy of the database places a ballot
in its mix and no closer.

Inserting rows in casting order leaves that order in SQLite's rowid, PostgreSQL's ctid
and xmin (the inserting transaction, shared with the credential's update), InnoDB's
transaction id and the placement of rows in their pages. A mix copies the waiting
ballots and their marks aside, deletes them and inserts them again in one transaction,
and the credentials likewise (in the same transaction while voting goes on, in the next
once it ended, ``polls.closing``): each table's rows share a transaction and go back in
the order of a random key (ballots and marks by tracker, credentials by key hash),
numbered with the mix.

Mixes are made per channel (online, desk, paper): ballots and credentials carry their
channel, so a mix of several channels would let a desk ballot hide only among that mix's
desk ballots. The ``polls.mix`` job mixes a channel of an open poll once
``PollSettings.mix_size`` live ballots wait. Closing, publication and cancelling mix what
waits (and so does the job in a closed poll, for paper typed in after closing): every
earlier mix of the channel that changed votes left with fewer live ballots is taken in,
and the newest others until the mix holds ``mix_size``, so afterwards no ballot hides
among fewer (a channel with fewer is one mix: every ballot of it). Rows mixed before and
not taken in are not touched, so closing rewrites about two mixes' worth whatever the
poll's size, more only where changed votes emptied mixes.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Any, cast

from sqlalchemy import (
    Column,
    ColumnElement,
    MetaData,
    Select,
    Table,
    case,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session

from participatie.polls.at_rest import day_of
from participatie.polls.models import BallotChoiceRow, BallotRow, CredentialRow

#: ``mix`` of rows no vote wrote (codes as issued) and of rows rewritten before mixes.
NO_VOTE = 0
#: The channels, each mixed on its own.
CHANNELS = ("online", "desk", "paper")

_BALLOTS = cast(Table, BallotRow.__table__)
_CHOICES = cast(Table, BallotChoiceRow.__table__)
_CREDENTIALS = cast(Table, CredentialRow.__table__)


@dataclass
class Plan:
    """One mix to make: the channel's waiting rows and the earlier mixes taken in."""

    channel: str
    #: Earlier mixes of the channel rewritten again with the waiting rows.
    taken_in: list[int] = field(default_factory=list)
    #: Live (not superseded) ballots the mix will hold.
    live: int = 0
    #: Whether any row waits at all (a superseded ballot, a credential).
    waiting: bool = False


def waiting(s: Session, poll_id: uuid.UUID, channel: str) -> int:
    """Live ballots of the poll's ``channel`` a vote wrote since their last mix."""

    return _live(s, poll_id, channel, None)


def plan(s: Session, poll_id: uuid.UUID, channel: str, *, at_least: int | None) -> Plan:
    """The mix of ``channel``'s waiting rows. With ``at_least`` (closing, publication,
    cancelling, a closed poll's late paper) every earlier mix of the channel that changed
    votes left with fewer live ballots is taken in, and then the newest others until the
    mix holds that many: afterwards no mix of the channel holds fewer, unless the channel
    has fewer in all."""

    result = Plan(channel, live=waiting(s, poll_id, channel))
    result.waiting = result.live > 0 or _any_waiting(s, poll_id, channel)
    if at_least is None:
        return result
    mixes = _mixes(s, poll_id, channel)
    hollow = [number for number, live in mixes.items() if live < at_least]
    if not result.waiting and not hollow:
        return result
    result.waiting = True
    for number in [*hollow, *sorted(set(mixes) - set(hollow), reverse=True)]:
        if number not in hollow and result.live >= at_least:
            break
        result.taken_in.append(number)
        result.live += mixes[number]
    return result


def anything_waits(s: Session, poll_id: uuid.UUID) -> bool:
    """Whether a row of any channel of the poll waits for a mix."""

    return any(_any_waiting(s, poll_id, channel) for channel in CHANNELS)


def mix_ballots(s: Session, poll_id: uuid.UUID, chosen: Plan, number: int) -> int:
    """The ballots and marks of the mix ``chosen``, numbered ``number``; returns the
    ballot rows rewritten. The credentials may follow in a transaction of their own
    (``mix_credentials``): the order of either alone pairs no voter with a ballot, and
    until they follow they are as they were before the mix.

    The caller holds the poll's row lock (``FOR UPDATE``): casting takes its share, so no
    vote writes while the rows are aside.
    """

    b = _BALLOTS.c
    ballots_of = (b.poll_id == poll_id) & (b.channel == chosen.channel) & _in(b.mix, chosen)
    _forget_loaded_rows(s)
    return _rewrite_ballots(s, ballots_of, number)


def mix_credentials(
    s: Session, poll_id: uuid.UUID, zone: tzinfo, chosen: Plan, number: int, *, links_kept: bool
) -> None:
    """The credentials of the mix ``chosen`` (a credential goes with the channel of its
    first use), numbered ``number`` as its ballots were."""

    c = _CREDENTIALS.c
    credentials_of = (
        (c.poll_id == poll_id)
        & (func.coalesce(c.first_channel, CHANNELS[0]) == chosen.channel)
        & _in(c.mix, chosen)
    )
    _forget_loaded_rows(s)
    _rewrite_credentials(s, zone, credentials_of, number, links_kept=links_kept)


def mix_everything(s: Session, poll_id: uuid.UUID, zone: tzinfo, *, links_kept: bool) -> int:
    """Rewrite every row of the poll in one mix (``Polls.reseal``, for polls that ended
    before mixes were made); returns the ballot rows rewritten."""

    ballots_of = _BALLOTS.c.poll_id == poll_id
    credentials_of = _CREDENTIALS.c.poll_id == poll_id
    return _rewrite(s, poll_id, zone, ballots_of, credentials_of, links_kept=links_kept)


def _in(column: Any, chosen: Plan) -> ColumnElement[bool]:
    waiting_rows = column.is_(None)
    if not chosen.taken_in:
        return cast(ColumnElement[bool], waiting_rows)
    return or_(waiting_rows, column.in_(chosen.taken_in))


def _live(s: Session, poll_id: uuid.UUID, channel: str, number: int | None) -> int:
    b = _BALLOTS.c
    which = b.mix.is_(None) if number is None else b.mix == number
    query = (
        select(func.count())
        .select_from(_BALLOTS)
        .where(b.poll_id == poll_id, b.channel == channel, which, b.superseded.is_(False))
    )
    return int(s.execute(query).scalar_one())


def _mixes(s: Session, poll_id: uuid.UUID, channel: str) -> dict[int, int]:
    """The channel's mixes (number -> live ballots), read off the mix index."""

    b = _BALLOTS.c
    live = func.sum(case((b.superseded.is_(False), 1), else_=0))
    query = (
        select(b.mix, live)
        .where(b.poll_id == poll_id, b.channel == channel, b.mix > NO_VOTE)
        .group_by(b.mix)
    )
    return {int(number): int(count or 0) for number, count in s.execute(query)}


def _any_waiting(s: Session, poll_id: uuid.UUID, channel: str) -> bool:
    """Whether a ballot (live or superseded) or a credential of the channel waits."""

    b, c = _BALLOTS.c, _CREDENTIALS.c
    ballot = select(b.id).where(b.poll_id == poll_id, b.channel == channel, b.mix.is_(None))
    credential = select(c.id).where(
        c.poll_id == poll_id,
        c.mix.is_(None),
        func.coalesce(c.first_channel, CHANNELS[0]) == channel,
    )
    return any(s.execute(q.limit(1)).first() is not None for q in (ballot, credential))


def next_number(s: Session, poll_id: uuid.UUID) -> int:
    """The number the poll's next mix gets (one above every number in use)."""

    b, c = _BALLOTS.c, _CREDENTIALS.c
    highest = [
        s.execute(select(func.max(b.mix)).where(b.poll_id == poll_id, b.channel == ch))
        for ch in CHANNELS
    ]
    numbers = [r.scalar_one_or_none() for r in highest]
    numbers.append(s.execute(select(func.max(c.mix)).where(c.poll_id == poll_id)).scalar())
    return max((int(n) for n in numbers if n is not None), default=NO_VOTE) + 1


def _rewrite(
    s: Session,
    poll_id: uuid.UUID,
    zone: tzinfo,
    ballots_of: ColumnElement[bool],
    credentials_of: ColumnElement[bool],
    *,
    links_kept: bool,
) -> int:
    _forget_loaded_rows(s)
    number = next_number(s, poll_id)
    moved = _rewrite_ballots(s, ballots_of, number)
    _rewrite_credentials(s, zone, credentials_of, number, links_kept=links_kept)
    return moved


def _rewrite_ballots(s: Session, ballots_of: ColumnElement[bool], number: int) -> int:
    ballots = _copy_aside(s, _BALLOTS, select(_BALLOTS).where(ballots_of))
    choices = _copy_aside(
        s,
        _CHOICES,
        select(_CHOICES).where(_CHOICES.c.ballot_id.in_(select(ballots.c.id))),
    )
    # By the rows set aside, not by the condition again: what is deleted is what goes back.
    s.execute(delete(_CHOICES).where(_CHOICES.c.ballot_id.in_(select(ballots.c.id))))
    s.execute(delete(_BALLOTS).where(_BALLOTS.c.id.in_(select(ballots.c.id))))
    moved = int(s.execute(select(func.count()).select_from(ballots)).scalar_one())
    _put_back(s, _BALLOTS, ballots, [ballots.c.tracker], number)
    _put_back(
        s,
        _CHOICES,
        choices,
        [ballots.c.tracker, choices.c.rank, choices.c.option_position],
        number,
        join=(ballots, ballots.c.id == choices.c.ballot_id),
    )
    _drop(s, ballots, choices)
    return moved


def _rewrite_credentials(
    s: Session, zone: tzinfo, credentials_of: ColumnElement[bool], number: int, *, links_kept: bool
) -> None:
    _credential_times_to_days(s, credentials_of, zone)
    if not links_kept:
        _random_ids_for_vote_made_credentials(s, credentials_of)
    credentials = _copy_aside(s, _CREDENTIALS, select(_CREDENTIALS).where(credentials_of))
    s.execute(delete(_CREDENTIALS).where(_CREDENTIALS.c.id.in_(select(credentials.c.id))))
    _put_back(s, _CREDENTIALS, credentials, [credentials.c.key_hash], number)
    _drop(s, credentials)


def _drop(s: Session, *tables: Table) -> None:
    mariadb = s.get_bind().dialect.name in ("mysql", "mariadb")
    for aside in tables:
        if mariadb:
            # Plain DROP TABLE would commit the transaction on MariaDB.
            s.execute(text(f"DROP TEMPORARY TABLE {aside.name}"))
        else:
            aside.drop(s.connection())


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
    number: int,
    *,
    join: tuple[Table, Any] | None = None,
) -> None:
    """Insert the rows set aside into ``table`` in ``order``, numbered with the mix where
    the table keeps the number."""

    columns = [
        literal(number).label("mix") if column.name == "mix" else aside.c[column.name]
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


__all__ = [
    "CHANNELS",
    "NO_VOTE",
    "Plan",
    "anything_waits",
    "mix_ballots",
    "mix_credentials",
    "mix_everything",
    "next_number",
    "plan",
    "waiting",
]
