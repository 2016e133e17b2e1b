"""PostgreSQL: the writes of signing and of confirming, each as one statement.

Signing writes the signature, its count in the tally, the send caps' slots and the
confirmation mail; confirming changes the signature, raises a counter shard, moves the
tally and reads the total. As separate statements that is four round trips and three;
as common table expressions (``WITH .. AS (INSERT ..)``) each is one, with every
condition kept in the statement: nothing is counted or mailed for a signature the
unique indexes refused, no mail goes out over a send cap. SQLite has no writing common
table expressions and MariaDB no ``RETURNING`` on updates: they send the statements one
by one (``signing``, ``tally``, ``sendcaps``, ``outbox``), which on SQLite cost no round
trip anyway.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Integer, String, bindparam, column, text

from participatie.outbox import OUTBOX, QUEUED
from participatie.petitions import tally
from participatie.petitions.models import (
    PENDING,
    VERIFIED,
    CounterShardRow,
    PaperBatchRow,
    SignatureRow,
    TallyRow,
)
from participatie.petitions.statements import NEW_SIGNATURE, SIGNATURES
from participatie.prepared import Prepared
from participatie.sendcaps import SendCapRow, upsert_sql

SIGNATURE = SignatureRow.__tablename__
COUNTER = CounterShardRow.__tablename__
PAPER = PaperBatchRow.__tablename__
TALLY = TallyRow.__tablename__
_S = SIGNATURES.c
#: The mail's values are bound as ``mail_<column>`` (the signature's own names clash).
MAIL = "mail_"

#: PostgreSQL: a whole confirmation in one statement. It confirms a pending signature,
#: raises one counter shard, moves the tally (what ``tally.moves(PENDING, VERIFIED, ..)``
#: gives, rows in (kind, label) order as ``tally.apply`` writes them), and reads the
#: total the thresholds are checked against: online (this statement's snapshot plus the
#: shard it raised) and paper. No row: nothing was pending under this id. Near a
#: threshold ``check_thresholds`` reads the total again (``THRESHOLD_RECHECK``); a crossing two
#: racing confirmations both miss is caught up by the thresholds job.
CONFIRM_WHOLE = Prepared(
    text(
        f"""WITH confirmed AS (
    UPDATE {SIGNATURE}
    SET status = '{VERIFIED}', confirmed_at = :now, confirmed_day = :day
    WHERE id = :sid AND status = '{PENDING}'
    RETURNING id, petition_id, email_hash, area_code,
        (show_name IS true AND name IS NOT NULL) AS named
), bumped AS (
    UPDATE {COUNTER} SET verified = verified + 1
    WHERE petition_id = (SELECT petition_id FROM confirmed) AND shard = :shard_no
    RETURNING 1
), moved AS (
    INSERT INTO {TALLY} (petition_id, kind, label, shard, n)
    SELECT c.petition_id, m.kind, m.label, :shard_no, m.n
    FROM confirmed c CROSS JOIN LATERAL (VALUES
        ('{tally.AREA}', coalesce(c.area_code, '{tally.NO_AREA}'), 1),
        ('{tally.DAY}', CAST(:day_label AS VARCHAR), 1),
        ('{tally.NAMED}', '', CASE WHEN c.named THEN 1 ELSE 0 END),
        ('{tally.STATE}', '{PENDING}', -1),
        ('{tally.STATE}', '{VERIFIED}', 1)
    ) AS m (kind, label, n)
    WHERE m.n <> 0
    ORDER BY m.kind, m.label
    ON CONFLICT (petition_id, kind, label, shard)
    DO UPDATE SET n = {TALLY}.n + excluded.n
)
SELECT c.id, c.petition_id, c.email_hash, c.area_code, c.named,
    (SELECT coalesce(sum(verified), 0) FROM {COUNTER}
        WHERE petition_id = c.petition_id)
    + (SELECT count(*) FROM bumped)
    + (SELECT coalesce(sum(count), 0) FROM {PAPER}
        WHERE petition_id = c.petition_id) AS total
FROM confirmed c"""  # noqa: S608
    )
    .bindparams(
        bindparam("sid", type_=_S.id.type),
        bindparam("now", type_=_S.confirmed_at.type),
        bindparam("day", type_=_S.confirmed_day.type),
    )
    .columns(
        _S.id,
        _S.petition_id,
        _S.email_hash,
        _S.area_code,
        column("named", Boolean),
        column("total", Integer),
    )
)

_SIGN: dict[int, Prepared] = {}


def sign_whole(slots: int) -> Prepared:
    """A new signature with all it brings, for ``slots`` send cap slots (1: the address;
    2: the address and the network), built once per number.

    Parameters: the signature's columns (``statements.NEW_SIGNATURE``), ``shard_no``
    (the tally's shard), the slots (``scope0``, ``key0``, ``cap0``, .., ``start``, see
    ``sendcaps.upsert_sql``) and the mail's columns as ``mail_<column>``
    (``outbox.QUEUED``).

    Rows are locked in the order of the statements one by one: the signature, its tally
    row, the slots (address first), so a signer and another re-signing cannot wait on
    each other. The order is carried by the data: the slots are taken per row the tally
    upsert returned, the tally counts per row the insert returned (PostgreSQL runs
    writing sub-statements in no set order otherwise).

    Returns one row: ``signed``, the signature's id (None: the address or mailbox had
    signed, nothing was written), and ``taken``, the scopes whose slot was taken,
    comma-separated (the mail is queued only when every slot was; the caller settles a
    refusal with ``SendCaps.settle``).
    """

    if slots not in _SIGN:
        columns = ", ".join(NEW_SIGNATURE)
        values = ", ".join(f":{name}" for name in NEW_SIGNATURE)
        mail_columns = ", ".join(QUEUED)
        mail_values = ", ".join(f":{MAIL}{name}" for name in QUEUED)
        sql = f"""WITH signed AS (
    INSERT INTO {SIGNATURE} ({columns}) VALUES ({values})
    ON CONFLICT DO NOTHING
    RETURNING id, petition_id, status
), counted AS (
    INSERT INTO {TALLY} (petition_id, kind, label, shard, n)
    SELECT petition_id, '{tally.STATE}', status, :shard_no, 1 FROM signed
    ON CONFLICT (petition_id, kind, label, shard)
    DO UPDATE SET n = {TALLY}.n + excluded.n
    RETURNING petition_id
), taken AS (
    {upsert_sql(slots, after="counted")}
), queued AS (
    INSERT INTO {OUTBOX.name} ({mail_columns})
    SELECT {mail_values} WHERE (SELECT count(*) FROM taken) = {slots}
)
SELECT (SELECT id FROM signed) AS signed,
    (SELECT string_agg(scope, ',' ORDER BY scope) FROM taken) AS taken"""  # noqa: S608
        binds = [bindparam(name, type_=_S[name].type) for name in NEW_SIGNATURE]
        binds += [bindparam(f"{MAIL}{name}", type_=OUTBOX.c[name].type) for name in QUEUED]
        binds.append(bindparam("start", type_=SendCapRow.__table__.c.window_start.type))
        _SIGN[slots] = Prepared(
            text(sql)
            .bindparams(*binds)
            .columns(column("signed", _S.id.type), column("taken", String))
        )
    return _SIGN[slots]


__all__ = ["CONFIRM_WHOLE", "MAIL", "sign_whole"]
