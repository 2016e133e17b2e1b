"""Append-only, hash-chained audit log: who did what, when, to which subject.

Each event's hash covers its own fields and the previous event's hash; a head row holds
the last sequence number and hash, so altering, deleting or inserting a row is caught.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from pydantic import BaseModel
from sqlalchemy import BigInteger, String, Table, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from participatie.db import Base, LongText
from participatie.exports.files import Output, binary_output
from participatie.prepared import Prepared

if TYPE_CHECKING:
    from participatie.engine import Participatie

GENESIS = "0" * 64


class AuditEventRow(Base):
    __tablename__ = "participatie_audit_event"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    occurred_at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(100), index=True)
    subject_type: Mapped[str] = mapped_column(String(50))
    subject_id: Mapped[str] = mapped_column(String(64), index=True)
    data: Mapped[str] = mapped_column(LongText)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHeadRow(Base):
    """One row: the last sequence number and hash. Locked while appending."""

    __tablename__ = "participatie_audit_head"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_seq: Mapped[int] = mapped_column(BigInteger)
    last_hash: Mapped[str] = mapped_column(String(64))


_EVENTS = cast(Table, AuditEventRow.__table__)
_HEADS = cast(Table, AuditHeadRow.__table__)
_HEAD_NOW = select(_HEADS.c.last_seq, _HEADS.c.last_hash).where(_HEADS.c.id == 1)
# Built once and sent on the driver's cursor: an event is appended for every vote.
_HEAD = Prepared(_HEAD_NOW.with_for_update())
_MOVE_HEAD_CORE = (
    update(_HEADS)
    .where(_HEADS.c.id == 1)
    .values(last_seq=bindparam("seq"), last_hash=bindparam("hash"))
)
_APPEND_CORE = insert(_EVENTS).values({c.name: bindparam(c.name) for c in _EVENTS.columns})
_APPEND = Prepared(_APPEND_CORE)
_MOVE_HEAD = Prepared(_MOVE_HEAD_CORE)
#: PostgreSQL: the event's insert as a CTE of the head's update, one statement.
_APPEND_AND_MOVE = Prepared(_MOVE_HEAD_CORE.add_cte(_APPEND_CORE.cte("appended")))


class AuditEvent(BaseModel):
    seq: int
    occurred_at: datetime
    actor: str
    action: str
    subject_type: str
    subject_id: str
    data: dict[str, Any]
    prev_hash: str
    hash: str


#: Called inside ``AuditLog.record`` with the caller's session and the new event.
Listener = Callable[[Session, "AuditEvent"], None]


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    reason: str | None = None


def canonical_json(data: Any) -> str:
    return json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default
    )


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date | timedelta):
        return value.isoformat() if isinstance(value, date) else value.total_seconds()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"cannot put {type(value).__name__} into an audit event")


def event_hash(
    *,
    seq: int,
    occurred_at: datetime,
    actor: str,
    action: str,
    subject_type: str,
    subject_id: str,
    data: str,
    prev_hash: str,
) -> str:
    body = canonical_json(
        [
            seq,
            occurred_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            actor,
            action,
            subject_type,
            subject_id,
            data,
            prev_hash,
        ]
    )
    return hashlib.sha256(body.encode()).hexdigest()


class AuditLog:
    """The facade's ``audit`` attribute."""

    def __init__(self, p: Participatie) -> None:
        self._p = p
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> None:
        """Call ``listener(session, event)`` after every event is appended, inside
        ``record``, in the same transaction: what it writes commits or rolls back with
        the change the event records. It must be cheap, and an error it raises undoes
        the caller's change (nothing is lost silently)."""

        self._listeners.append(listener)

    def record(
        self,
        session: Session,
        *,
        actor: str,
        action: str,
        subject_type: str,
        subject_id: str | uuid.UUID,
        data: dict[str, Any] | None = None,
        head: tuple[int, str] | None = None,
    ) -> AuditEvent:
        """Append an event in the caller's transaction (locks the head row until commit).

        ``head``: the head's ``(last_seq, last_hash)`` as a statement of the caller's read
        it in this transaction with ``FOR UPDATE`` (``polls.combined``), saving the
        read; None: read and locked here.
        """

        # The caller's pending changes go first, as the event's own insert once took them.
        session.flush()
        conn = session.connection()
        last_seq, last_hash = head if head is not None else self._locked_head(session)
        # Stored at microsecond precision, which every dialect keeps.
        occurred_at = self._p.clock.now().astimezone(UTC)
        payload = canonical_json(data or {})
        seq = last_seq + 1
        fields = {
            "seq": seq,
            "occurred_at": occurred_at,
            "actor": actor or "system",
            "action": action,
            "subject_type": subject_type,
            "subject_id": str(subject_id),
            "data": payload,
            "prev_hash": last_hash,
        }
        digest = event_hash(**fields)  # type: ignore[arg-type]
        fields["hash"] = digest
        # Core statements built once: an event is appended for every vote and every
        # staff action, and the ORM's unit of work buys nothing here.
        if conn.dialect.name == "postgresql":
            _APPEND_AND_MOVE.execute(conn, fields)  # one round trip: insert, move the head
        else:
            _APPEND.execute(conn, fields)
            _MOVE_HEAD.execute(conn, {"seq": seq, "hash": digest})
        event = AuditEvent(
            seq=seq,
            occurred_at=occurred_at,
            actor=fields["actor"],
            action=action,
            subject_type=subject_type,
            subject_id=fields["subject_id"],
            data=json.loads(payload),
            prev_hash=last_hash,
            hash=digest,
        )
        for listener in self._listeners:
            listener(session, event)
        return event

    @staticmethod
    def _locked_head(session: Session) -> tuple[int, str]:
        """The head's last sequence number and hash, locked until the transaction ends."""

        conn = session.connection()
        head = _HEAD.execute(conn).first()
        if head is not None:
            return int(head[0]), str(head[1])
        # First event ever: two writers may race to create the head; one insert wins,
        # the other waits for it, fails on the key and then locks the winner's row.
        try:
            with session.begin_nested():
                # Through the session: that is what sets the savepoint.
                session.connection().execute(
                    insert(_HEADS).values(id=1, last_seq=0, last_hash=GENESIS)
                )
        except IntegrityError:
            pass
        head = _HEAD.execute(conn).one()
        return int(head[0]), str(head[1])

    def events(
        self,
        *,
        subject_type: str | None = None,
        subject_id: str | uuid.UUID | None = None,
        action: str | None = None,
        session: Session | None = None,
    ) -> list[AuditEvent]:
        with self._p.unit_of_work(session, readonly=True) as s:
            return list(self._iter(s, subject_type, subject_id, action))

    def _iter(
        self,
        session: Session,
        subject_type: str | None = None,
        subject_id: str | uuid.UUID | None = None,
        action: str | None = None,
    ) -> Iterator[AuditEvent]:
        query = select(AuditEventRow).order_by(AuditEventRow.seq)
        if subject_type is not None:
            query = query.where(AuditEventRow.subject_type == subject_type)
        if subject_id is not None:
            query = query.where(AuditEventRow.subject_id == str(subject_id))
        if action is not None:
            query = query.where(AuditEventRow.action == action)
        for row in session.execute(query.execution_options(yield_per=1000)).scalars():
            yield _to_event(row)

    def verify(self, *, session: Session | None = None) -> VerifyResult:
        """Walk the chain; name the first event that was altered, deleted or inserted."""

        with self._p.unit_of_work(session, readonly=True) as s:
            expected_seq = 1
            prev = GENESIS
            checked = 0
            rows = s.execute(
                select(AuditEventRow).order_by(AuditEventRow.seq).execution_options(yield_per=1000)
            ).scalars()
            for row in rows:
                if row.seq != expected_seq:
                    reason = (
                        f"event {expected_seq} is missing (next is {row.seq})"
                        if row.seq > expected_seq
                        else f"event {row.seq} is out of order"
                    )
                    return VerifyResult(False, checked, expected_seq, reason)
                if row.prev_hash != prev:
                    return VerifyResult(
                        False,
                        checked,
                        row.seq,
                        f"event {row.seq} does not follow event {row.seq - 1}",
                    )
                digest = event_hash(
                    seq=row.seq,
                    occurred_at=row.occurred_at,
                    actor=row.actor,
                    action=row.action,
                    subject_type=row.subject_type,
                    subject_id=row.subject_id,
                    data=row.data,
                    prev_hash=row.prev_hash,
                )
                if digest != row.hash:
                    return VerifyResult(False, checked, row.seq, f"event {row.seq} was altered")
                prev = row.hash
                expected_seq += 1
                checked += 1
            # From the table, not the session's identity map: ``record`` moves the head
            # with a statement, so a head object the session holds may be older.
            head = s.connection().execute(_HEAD_NOW).first()
            last_seq = int(head[0]) if head else 0
            last_hash = str(head[1]) if head else GENESIS
            if last_seq != checked or last_hash != prev:
                return VerifyResult(
                    False,
                    checked,
                    checked + 1 if last_seq > checked else last_seq,
                    f"the log ends at event {checked} but the head says {last_seq}",
                )
            return VerifyResult(True, checked)

    def write_events(
        self,
        out: Output,
        *,
        subject_type: str | None = None,
        subject_id: str | uuid.UUID | None = None,
        action: str | None = None,
        session: Session | None = None,
    ) -> int:
        """Write the events as JSON lines (UTF-8, one event per line, in order), streamed
        as they are read.

        Args:
            out: a path (a new file with mode 0600, its folder made when missing) or a
                binary file (written to and flushed, not closed).
            subject_type: only events about this kind of subject (``poll``, say).
            subject_id: only events about this subject.
            action: only events of this action (``poll.closed``, say).
            session: the host's SQLAlchemy session to read in; without it, one of its own.

        Returns:
            int: the number of events written.

        Raises:
            InvalidInput: ``input.invalid``, field ``out``: neither a path nor a binary
                file.
            OSError: the file could not be written.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked.
        """

        count = 0
        with self._p.unit_of_work(session, readonly=True) as s, binary_output(out) as fh:
            for event in self._iter(s, subject_type, subject_id, action):
                fh.write(event.model_dump_json().encode("utf-8") + b"\n")
                count += 1
        return count


def _to_event(row: AuditEventRow) -> AuditEvent:
    return AuditEvent(
        seq=row.seq,
        occurred_at=row.occurred_at,
        actor=row.actor,
        action=row.action,
        subject_type=row.subject_type,
        subject_id=row.subject_id,
        data=json.loads(row.data),
        prev_hash=row.prev_hash,
        hash=row.hash,
    )


__all__ = [
    "GENESIS",
    "AuditEvent",
    "AuditLog",
    "Listener",
    "VerifyResult",
    "canonical_json",
    "event_hash",
]
