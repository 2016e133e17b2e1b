"""PostgreSQL: a vote by code in two statements.

The common case of casting (a code poll without keyed links, the code unused) sends:

1. ``CLAIM_IF_OPEN``: the poll's shared lock while it is open, and the claim of the
   credential. Its parameters say who (the code's keyed hash), nothing of the ballot.
2. ``ballot_with_head``: the ballot, its marks and the lock of the audit log's head,
   which the event recording the vote appends to next. Its parameters say what (the
   ballot), nothing of who.

No statement carries both: a statement's parameters reach the server's log when it is
slow (``log_min_duration_statement`` logs them) and an error's report, and the second
statement is the one that waits (for the head, every vote's lock), so it must not name
the voter. The old path sent seven statements; these two take the same locks in the same
order: the poll's (shared, so a closing waits for the votes in flight and a vote after
it finds the poll closed), the credential's row, then the head, which is read from the
ballot written before it (PostgreSQL runs a statement's writing parts in no set order
otherwise). A claim that took nothing writes nothing, and the vote goes the long way to
find out why (closed, unknown, revoked, used). SQLite and MariaDB send the statements
one by one (``recording``).
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
#: The poll's shared lock while it is open, and the claim of a credential by key: one
#: row changed when the poll was open (in the opening the caller's row was read in:
#: ``opened_at``) and the credential active with a use left.
#: Parameters: ``poll``, ``opened_at``, ``key`` (the code's keyed hash), ``day``,
#: ``channel`` (as for ``at_rest.claim_credential``).
CLAIM_IF_OPEN = Prepared(
    text(
        f"""WITH poll AS (
    SELECT id FROM {_POLLS.name}
    WHERE id = :poll AND state = '{OPEN}' AND opened_at = :opened_at
    FOR KEY SHARE
)
UPDATE {_CREDENTIALS.name}
SET uses = uses + 1, used_at = coalesce(used_at, :day),
    first_channel = coalesce(first_channel, :channel), mix = NULL
WHERE poll_id = :poll AND key_hash = :key AND uses < max_uses AND status = 'active'
    AND EXISTS (SELECT 1 FROM poll)"""  # noqa: S608
    ).bindparams(
        bindparam("poll", type_=_CREDENTIALS.c.poll_id.type),
        bindparam("opened_at", type_=_POLLS.c.opened_at.type),
        bindparam("key", type_=_CREDENTIALS.c.key_hash.type),
        bindparam("day", type_=_CREDENTIALS.c.used_at.type),
        bindparam("channel", type_=String()),
    )
)

_BALLOTS_WITH_HEAD: dict[int, Prepared] = {}


def ballot_with_head(marks: int) -> Prepared:
    """The ballot, its ``marks`` marks and the lock of the audit log's head, built once
    per number of marks (0 for a blank or invalid ballot).

    Parameters: the ballot's columns by name, and per mark ``pos<n>``, ``rank<n>`` and
    ``pts<n>``.

    Returns one row: ``marked``, the marks written, and the head's ``last_seq`` and
    ``last_hash`` (None when the log has no head yet: ``audit`` makes it).
    """

    if marks not in _BALLOTS_WITH_HEAD:
        columns = [c.name for c in _BALLOTS.columns]
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
        sql = f"""WITH ballot AS (
    INSERT INTO {_BALLOTS.name} ({", ".join(columns)})
    VALUES ({", ".join(f":{name}" for name in columns)})
    RETURNING id, poll_id, channel
), marked AS (
    {marked}
), head AS (
    SELECT last_seq, last_hash FROM {_HEAD.name}
    WHERE id = 1 AND EXISTS (SELECT 1 FROM ballot)
    FOR UPDATE
)
SELECT (SELECT count(*) FROM marked) AS marked, h.last_seq, h.last_hash
FROM (SELECT 1) AS one LEFT JOIN head h ON true"""  # noqa: S608
        binds: list[Any] = [bindparam(col.name, type_=col.type) for col in _BALLOTS.columns]
        for n in range(marks):
            binds += [
                bindparam(f"pos{n}", type_=Integer()),
                bindparam(f"rank{n}", type_=Integer()),
                bindparam(f"pts{n}", type_=Integer()),
            ]
        _BALLOTS_WITH_HEAD[marks] = Prepared(
            text(sql)
            .bindparams(*binds)
            .columns(
                column("marked", Integer),
                column("last_seq", _HEAD.c.last_seq.type),
                column("last_hash", _HEAD.c.last_hash.type),
            )
        )
    return _BALLOTS_WITH_HEAD[marks]


__all__ = ["CLAIM_IF_OPEN", "ballot_with_head"]
