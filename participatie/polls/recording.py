"""Storing one ballot behind its credential, for every channel: claim the credential, or
supersede the ballot it cast before where the poll allows, and write the ballot's rows.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from participatie.polls.at_rest import claim_credential, day_of
from participatie.polls.ballots import ballot_line
from participatie.polls.combined import CLAIM_IF_OPEN, ballot_with_head
from participatie.polls.context import PollsContext
from participatie.polls.counters import count_conflict
from participatie.polls.errors import AlreadyVoted, CodeRevoked, UnknownCode
from participatie.polls.marks import Marks
from participatie.polls.models import OPEN, BallotChoiceRow, BallotRow, CredentialRow, PollRow
from participatie.polls.schemas import Receipt
from participatie.prepared import Prepared


def record_ballot(
    context: PollsContext,
    s: Session,
    row: PollRow,
    key: str | None,
    kind: str,
    marks: Marks,
    channel: str,
) -> Receipt:
    """Mark the credential used (or supersede its earlier ballot) and store the ballot.

    ``key`` is the credential's keyed hash (none for open polls), ``kind`` what it is
    (``code``, ``email``, ``host``).
    """

    # The ballot's line of the ballots file is written with it (``BallotRow.line``).
    names = context.option_names(row)
    if key is None:
        return _insert_ballot(s, row, marks, channel, names=names, link=None, replaced=False)
    # A paper ballot's use is the day it was typed in, which would tie the credential
    # to the typed sheet: it keeps no day at all.
    settings = context.p.settings
    day = None if channel == "paper" else day_of(context.p.clock.now(), settings.zone)
    # The common case in one statement: claim an unused, active credential by key.
    if row.link_secret is None and claim_credential(s, day, channel, poll_id=row.id, key=key):
        return _insert_ballot(s, row, marks, channel, names=names, link=None, replaced=False)
    # Not claimed: find out why (unknown, revoked, used) or create it (e-mail, host).
    cred_id = _credential(context, s, row, key, kind)
    # The conditional UPDATE is the referee: of racing transactions exactly one finds
    # uses < max_uses; the others wait for its row lock and then match no row.
    if claim_credential(s, day, channel, credential_id=cred_id):
        link = None
        if row.link_secret is not None:
            use = s.execute(
                select(CredentialRow.uses).where(CredentialRow.id == cred_id)
            ).scalar_one()
            link = _link(row, cred_id, use)
        return _insert_ballot(s, row, marks, channel, names=names, link=link, replaced=False)
    return _replace(s, row, cred_id, marks, channel, names)


def _link(poll: PollRow, credential_id: uuid.UUID, use: int) -> str | None:
    if poll.link_secret is None:
        return None
    message = f"{credential_id}:{use}".encode()
    return hmac.new(poll.link_secret.encode(), message, hashlib.sha256).hexdigest()


def _credential(context: PollsContext, s: Session, row: PollRow, key: str, kind: str) -> uuid.UUID:
    """The id of the active credential behind ``key`` (created for e-mail and host)."""

    query = select(CredentialRow.id, CredentialRow.status).where(
        CredentialRow.poll_id == row.id, CredentialRow.key_hash == key
    )
    found = s.execute(query).first()
    if found is None and kind in ("email", "host"):
        # Two first votes of one person race here: the unique constraint decides.
        try:
            with s.begin_nested():
                s.add(
                    CredentialRow(
                        # Random id and only the day: made when the vote is cast.
                        id=uuid.uuid4(),
                        poll_id=row.id,
                        kind=kind,
                        key_hash=key,
                        status="active",
                        max_uses=1,
                        uses=0,
                        changes=0,
                        created_at=day_of(context.p.clock.now(), context.p.settings.zone),
                    )
                )
                s.flush()
        except IntegrityError:
            pass
        found = s.execute(query).first()
    if found is None:
        raise UnknownCode("this code is not known for this poll", field="code")
    if found.status != "active":
        raise CodeRevoked(
            "this code was replaced by a new one: use the code from your newest letter",
            field="code",
        )
    credential_id: uuid.UUID = found.id
    return credential_id


def _replace(
    s: Session,
    row: PollRow,
    cred_id: uuid.UUID,
    marks: Marks,
    channel: str,
    names: dict[int, str],
) -> Receipt:
    link = _link(row, cred_id, 1)
    if link is None or row.ballots_per_code != 1:
        raise AlreadyVoted("this code has been used to vote already", field="code")
    # Take the credential's row lock so two changes of one vote queue up.
    s.execute(
        update(CredentialRow)
        .where(CredentialRow.id == cred_id)
        .values(changes=CredentialRow.changes + 1, mix=None)
        .execution_options(synchronize_session=False)
    )
    old = s.execute(
        select(BallotRow).where(BallotRow.poll_id == row.id, BallotRow.link == link)
    ).scalar_one_or_none()
    if old is None:
        raise AlreadyVoted("this code has been used to vote already", field="code")
    same_kind = (old.channel == "paper") == (channel == "paper")
    if same_kind and channel != "paper" and row.allow_change and row.state == OPEN:
        conflict = False
    elif row.precedence == "paper" and channel == "paper" and old.channel != "paper":
        conflict = True
    else:
        raise AlreadyVoted("this code has been used to vote already", field="code")
    s.execute(
        update(BallotRow)
        .where(BallotRow.id == old.id)
        # Written now, in this vote's transaction: the next mix rewrites it again.
        .values(superseded=True, link=None, mix=None)
        .execution_options(synchronize_session=False)
    )
    s.execute(
        update(BallotChoiceRow)
        .where(BallotChoiceRow.ballot_id == old.id)
        .values(counted=False)
        .execution_options(synchronize_session=False)
    )
    if conflict:
        count_conflict(s, row)
    s.expire(old)
    return _insert_ballot(s, row, marks, channel, names=names, link=link, replaced=True)


def _insert_all(table: Table) -> Prepared:
    """An INSERT naming every column of ``table`` (bind parameters by column name)."""

    return Prepared(insert(table).values({c.name: bindparam(c.name) for c in table.columns}))


_INSERT_BALLOT = _insert_all(cast(Table, BallotRow.__table__))
_INSERT_CHOICE = _insert_all(cast(Table, BallotChoiceRow.__table__))


def _new_tracker() -> str:
    raw = secrets.token_hex(8)
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


def _ballot(
    row: PollRow, marks: Marks, channel: str, names: dict[int, str], link: str | None
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A new ballot's row (every column) and its marks' rows."""

    ballot_id = uuid.uuid4()
    tracker = _new_tracker()
    marked = [] if marks.invalid else sorted(marks.items, key=lambda m: (m[1], m[0]))
    values = {
        "id": ballot_id,
        "poll_id": row.id,
        "tracker": tracker,
        "channel": channel,
        "blank": marks.blank,
        "invalid": marks.invalid,
        "superseded": False,
        "link": link,
        "mix": None,
        "line": ballot_line(
            tracker,
            channel,
            [names[pos] for pos, _, _ in marked],
            marks.invalid,
            {names[pos]: pts for pos, _, pts in marked} if row.rule == "cumulative" else None,
        ),
    }
    choices = [
        {
            "ballot_id": ballot_id,
            "option_position": pos,
            "poll_id": row.id,
            "channel": channel,
            "counted": True,
            "rank": rank,
            "points": pts,
        }
        for pos, rank, pts in (marks.items if marks.items and not marks.invalid else [])
    ]
    return values, choices


def _insert_ballot(
    s: Session,
    row: PollRow,
    marks: Marks,
    channel: str,
    *,
    names: dict[int, str],
    link: str | None,
    replaced: bool,
) -> Receipt:
    values, choices = _ballot(row, marks, channel, names, link)
    # Statements built once, on the driver's cursor: the ORM's bookkeeping buys nothing.
    _INSERT_BALLOT.execute(s, values)
    _INSERT_CHOICE.executemany(s, choices)
    return Receipt(
        poll_id=row.id, tracker=values["tracker"], channel=channel, replaced_earlier=replaced
    )


def record_at_once(
    context: PollsContext,
    s: Session,
    row: PollRow,
    key: str | None,
    kind: str,
    marks: Marks,
    channel: str,
) -> tuple[Receipt, tuple[int, str] | None] | None:
    """PostgreSQL, the common case of a vote (a code, no keyed links, not paper): the
    poll's shared lock while it is open and the claim in one statement, the ballot, its
    marks and the audit log's head's lock in another (``polls.combined``), so the event
    recording the vote (``AuditLog.record(head=...)``) needs no read of its own. No
    statement names both the voter's credential and the ballot.

    Returns:
        The receipt and the head (None when the log has none yet); None when this is
        not the common case or the claim took nothing (the poll not open, the code
        unknown, revoked or used; nothing was written): :func:`record_ballot` finds out
        why.
    """

    if (
        key is None
        or kind != "code"  # an e-mail or host credential may not exist yet
        or row.link_secret is not None
        or channel == "paper"
        or s.get_bind().dialect.name != "postgresql"
    ):
        return None
    day = day_of(context.p.clock.now(), context.p.settings.zone)
    claim = {
        "poll": row.id,
        "opened_at": row.opened_at,
        "key": key,
        "day": day,
        "channel": channel,
    }
    if CLAIM_IF_OPEN.execute(s, claim).rowcount != 1:
        return None
    values, choices = _ballot(row, marks, channel, context.option_names(row), None)
    params: dict[str, Any] = dict(values)
    for n, choice in enumerate(choices):
        params[f"pos{n}"] = choice["option_position"]
        params[f"rank{n}"] = choice["rank"]
        params[f"pts{n}"] = choice["points"]
    done = ballot_with_head(len(choices)).execute(s, params).one()
    receipt = Receipt(
        poll_id=row.id, tracker=values["tracker"], channel=channel, replaced_earlier=False
    )
    return receipt, None if done.last_seq is None else (int(done.last_seq), str(done.last_hash))


__all__ = ["record_at_once", "record_ballot"]
