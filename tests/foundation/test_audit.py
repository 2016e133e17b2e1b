from __future__ import annotations

import io
import json
from datetime import timedelta

from sqlalchemy import delete, insert, select, update

from participatie import Participatie
from participatie.audit import AuditEventRow
from participatie.errors import DatabaseUnavailable


def _record(p: Participatie, n: int) -> None:
    for i in range(n):
        with p.unit_of_work() as s:
            p.audit.record(
                s,
                actor=f"official-{i % 2}",
                action="poll.opened" if i % 2 else "petition.approved",
                subject_type="poll",
                subject_id=f"subject-{i}",
                data={"i": i, "naam": "Zoë", "nested": {"b": 2, "a": 1}},
            )
        p.clock.advance(timedelta(seconds=1))  # type: ignore[attr-defined]


def test_chain_verifies_and_exports(p: Participatie) -> None:
    _record(p, 5)
    assert p.audit.verify().ok
    assert p.audit.verify().checked == 5
    out = io.BytesIO()
    assert p.audit.write_events(out) == 5
    lines = [json.loads(line) for line in out.getvalue().decode("utf-8").splitlines()]
    assert [e["seq"] for e in lines] == [1, 2, 3, 4, 5]
    assert lines[1]["prev_hash"] == lines[0]["hash"]
    assert lines[0]["data"]["naam"] == "Zoë"
    assert [e.seq for e in p.audit.events(subject_id="subject-3")] == [4]


def test_altered_row_is_caught(p: Participatie) -> None:
    _record(p, 5)
    with p.engine.begin() as conn:
        conn.execute(update(AuditEventRow).where(AuditEventRow.seq == 3).values(data='{"i":999}'))
    result = p.audit.verify()
    assert not result.ok
    assert result.first_bad_seq == 3
    assert result.reason == "event 3 was altered"


def test_altered_actor_with_recomputed_hash_breaks_the_link(p: Participatie) -> None:
    _record(p, 5)
    # A forger rewrites event 2 and its own hash; event 3 no longer follows it.
    from participatie.audit import event_hash

    with p.engine.begin() as conn:
        row = conn.execute(select(AuditEventRow).where(AuditEventRow.seq == 2)).one()
        forged = event_hash(
            seq=2,
            occurred_at=row.occurred_at,
            actor="someone-else",
            action=row.action,
            subject_type=row.subject_type,
            subject_id=row.subject_id,
            data=row.data,
            prev_hash=row.prev_hash,
        )
        conn.execute(
            update(AuditEventRow)
            .where(AuditEventRow.seq == 2)
            .values(actor="someone-else", hash=forged)
        )
    result = p.audit.verify()
    assert not result.ok
    assert result.first_bad_seq == 3
    assert "does not follow" in (result.reason or "")


def test_deleted_row_is_caught(p: Participatie) -> None:
    _record(p, 5)
    with p.engine.begin() as conn:
        conn.execute(delete(AuditEventRow).where(AuditEventRow.seq == 2))
    result = p.audit.verify()
    assert not result.ok
    assert result.first_bad_seq == 2
    assert result.reason == "event 2 is missing (next is 3)"


def test_deleted_last_row_is_caught_by_the_head(p: Participatie) -> None:
    _record(p, 5)
    with p.engine.begin() as conn:
        conn.execute(delete(AuditEventRow).where(AuditEventRow.seq == 5))
    result = p.audit.verify()
    assert not result.ok
    assert result.first_bad_seq == 5


def test_inserted_row_is_caught(p: Participatie) -> None:
    _record(p, 3)
    with p.engine.begin() as conn:
        row = conn.execute(select(AuditEventRow).where(AuditEventRow.seq == 3)).one()
        conn.execute(
            insert(AuditEventRow).values(
                seq=4,
                occurred_at=row.occurred_at,
                actor="intruder",
                action="poll.closed",
                subject_type="poll",
                subject_id="x",
                data="{}",
                prev_hash=row.hash,
                hash="f" * 64,
            )
        )
    result = p.audit.verify()
    assert not result.ok
    assert result.first_bad_seq == 4


def test_concurrent_appends_keep_one_chain(p: Participatie) -> None:
    import threading

    errors: list[BaseException] = []

    conflicts: list[DatabaseUnavailable] = []

    def worker(k: int) -> None:
        try:
            for i in range(10):
                # The documented contract: a deadlock comes out as ``db.unavailable``
                # (reason ``conflict``), nothing written, to be repeated (as the facade's
                # own calls do). MariaDB's racing first appends can deadlock on the head
                # row none of them found.
                for _attempt in range(5):
                    try:
                        with p.unit_of_work() as s:
                            p.audit.record(
                                s,
                                actor=f"w{k}",
                                action="x",
                                subject_type="t",
                                subject_id=f"{k}-{i}",
                            )
                        break
                    except DatabaseUnavailable as exc:
                        if exc.details.get("reason") != "conflict":
                            raise
                        conflicts.append(exc)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors
    result = p.audit.verify()
    assert result.ok
    assert result.checked == 40
    # SQLAlchemy names MariaDB's dialect "mysql".
    if p.engine.dialect.name != "mysql":
        assert not conflicts
