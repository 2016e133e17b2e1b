"""PostgreSQL: a vote by code in one statement.

The common case of casting (a code poll without keyed links, the code unused) takes the
poll's shared lock while it is open, claims the credential, writes the ballot and its
marks, and locks the audit log's head, which the event recording the vote appends to
next. As separate statements that is five round trips; as common table expressions
(``WITH .. AS (UPDATE ..)``) it is one, with every condition kept in the statement:
nothing is written unless the poll is open and the claim took the credential, and a
statement that wrote nothing returns ``recorded = 0`` and leaves the caller to find out
why (closed, unknown, revoked, used) the long way, as before.

Locks are taken in the order of the statements one by one: the poll's (shared, so a
closing waits for the votes in flight and a vote after it finds the poll closed), the
credential's row, then the head. Each is read from what the one before let through, so
PostgreSQL cannot take them in another order (it runs writing sub-statements in no set
order otherwise); a staff action that locks a credential and then the head cannot
deadlock with a vote. SQLite and MariaDB send the statements one by one
(``recording``).
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Integer, String, Table, bindparam, column, text

from participatie.audit import AuditHeadRow
from participatie.polls.models import OPEN, BallotChoiceRow, BallotRow, CredentialRow, PollRow
from participatie.prepared import Prepared

_BALLOTS = cast(Table, BallotRow.__table__)
_CHOICES = cast(Table, BallotChoiceRow.__table__)
_CREDENTIALS = cast(Table, CredentialRow.__table__)
_HEAD = cast(Table, AuditHeadRow.__table__)
_POLLS = cast(Table, PollRow.__table__)
#: The ballot's values are bound as ``b_<column>`` (the claim's own names differ).
BALLOT = "b_"

_VOTES: dict[int, Prepared] = {}


def vote_at_once(marks: int) -> Prepared:
    """The poll's shared lock while it is open, the claim, the ballot, its ``marks`` marks
    and the head's lock, built once per number of marks (0 for a blank or invalid
    ballot).

    Parameters: ``poll``, ``key`` (the code's keyed hash), ``day``, ``channel`` (as for
    ``at_rest.claim_credential``), the ballot's columns as ``b_<column>``, and per mark
    ``pos<n>``, ``rank<n>`` and ``pts<n>``.

    Returns one row: ``recorded`` (1: the poll was open, the credential was claimed and
    the ballot written; 0: nothing was written), and the head's ``last_seq`` and
    ``last_hash`` when it was (None when the log has no head yet: ``audit`` makes it).
    """

    if marks not in _VOTES:
        ballot_columns = [c.name for c in _BALLOTS.columns]
        ballot_values = ", ".join(f":{BALLOT}{name}" for name in ballot_columns)
        rows = ", ".join(f"(:pos{n}, :rank{n}, :pts{n})" for n in range(marks))
        marked = (
            f"""INSERT INTO {_CHOICES.name}
        (ballot_id, option_position, poll_id, channel, counted, rank, points)
    SELECT b.id, m.pos, b.poll_id, b.channel, true, m.rank, m.pts
    FROM ballot b CROSS JOIN (VALUES {rows}) AS m (pos, rank, pts)
    RETURNING ballot_id"""  # noqa: S608
            if marks
            else "SELECT id FROM ballot"
        )
        sql = f"""WITH poll AS (
    SELECT id FROM {_POLLS.name} WHERE id = :poll AND state = '{OPEN}' FOR KEY SHARE
), claimed AS (
    UPDATE {_CREDENTIALS.name}
    SET uses = uses + 1, used_at = coalesce(used_at, :day),
        first_channel = coalesce(first_channel, :channel), mix = NULL
    WHERE poll_id = :poll AND key_hash = :key AND uses < max_uses AND status = 'active'
        AND EXISTS (SELECT 1 FROM poll)
    RETURNING poll_id
), ballot AS (
    INSERT INTO {_BALLOTS.name} ({", ".join(ballot_columns)})
    SELECT {ballot_values} FROM claimed
    RETURNING id, poll_id, channel
), marked AS (
    {marked}
), head AS (
    SELECT last_seq, last_hash FROM {_HEAD.name}
    WHERE id = 1 AND EXISTS (SELECT 1 FROM ballot)
    FOR UPDATE
)
SELECT (SELECT count(*) FROM ballot) AS recorded,
    (SELECT count(*) FROM marked) AS marked,
    h.last_seq, h.last_hash
FROM (SELECT 1) AS one LEFT JOIN head h ON true"""  # noqa: S608
        c = _CREDENTIALS.c
        binds: list[Any] = [
            bindparam("poll", type_=c.poll_id.type),
            bindparam("key", type_=c.key_hash.type),
            bindparam("day", type_=c.used_at.type),
            bindparam("channel", type_=String()),
        ]
        binds += [bindparam(f"{BALLOT}{col.name}", type_=col.type) for col in _BALLOTS.columns]
        for n in range(marks):
            binds += [
                bindparam(f"pos{n}", type_=Integer()),
                bindparam(f"rank{n}", type_=Integer()),
                bindparam(f"pts{n}", type_=Integer()),
            ]
        _VOTES[marks] = Prepared(
            text(sql)
            .bindparams(*binds)
            .columns(
                column("recorded", Integer),
                column("marked", Integer),
                column("last_seq", _HEAD.c.last_seq.type),
                column("last_hash", _HEAD.c.last_hash.type),
            )
        )
    return _VOTES[marks]


__all__ = ["BALLOT", "vote_at_once"]
