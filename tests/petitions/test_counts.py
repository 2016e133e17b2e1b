"""Counters follow the rows: confirmations racing a bulk invalidation, and the check
that compares the counter shards with the signatures."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select, update

from participatie.engine import Participatie
from participatie.petitions.models import VERIFIED, CounterShardRow, SignatureRow
from participatie.petitions.schemas import InvalidationCriteria
from tests.petitions.conftest import links, open_petition, signer

SIGNERS = 300


def _verified_rows(p: Participatie, petition_id: object) -> int:
    with p.session_scope(readonly=True) as s:
        return int(
            s.execute(
                select(func.count()).where(
                    SignatureRow.petition_id == petition_id, SignatureRow.status == VERIFIED
                )
            ).scalar_one()
        )


def test_confirmations_racing_a_bulk_invalidation_leave_counter_equal_to_rows(
    areas: Participatie,
) -> None:
    p = areas
    petition = open_petition(p)
    tokens = []
    for n in range(SIGNERS):
        data = signer(n, email=f"race{n}@example.nl")
        p.petitions.sign(petition.id, data, ip=f"10.{n // 250}.{n % 250}.1")
        tokens.append(links(p, data.email, "petitions_confirm")["confirm"])
    confirmed = 0
    lock = threading.Lock()

    def confirm(token: str) -> None:
        nonlocal confirmed
        p.petitions.confirm(token)
        with lock:
            confirmed += 1

    criteria = InvalidationCriteria(everything=True)
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = [pool.submit(confirm, token) for token in tokens]
        deadline = time.monotonic() + 60
        while confirmed < 20 and time.monotonic() < deadline:
            time.sleep(0.005)
        # Pending plus verified stays 300 while signers confirm: the preview holds.
        result = p.petitions.invalidate(
            petition.id, criteria, actor="griffie", expected_total=SIGNERS, reason="test"
        )
        for future in futures:
            future.result()
    assert result.invalidated == SIGNERS
    assert result.by_status["pending"] + result.by_status["verified"] == SIGNERS
    rows = _verified_rows(p, petition.id)
    assert p.petitions.count(petition.id) == rows == 0
    check = p.petitions.verify_counts(petition.id)
    assert check.ok and check.counter == check.rows == 0 and check.error is None


def test_verify_counts_reports_a_drift_made_by_hand(areas: Participatie) -> None:
    p = areas
    petition = open_petition(p)
    for n in range(3):
        data = signer(n)
        p.petitions.sign(petition.id, data, ip=f"10.0.{n}.1")
        p.petitions.confirm(links(p, data.email, "petitions_confirm")["confirm"])
    assert p.petitions.verify_counts(petition.id).ok
    with p.session_scope() as s:
        s.execute(
            update(CounterShardRow)
            .where(CounterShardRow.petition_id == petition.id, CounterShardRow.shard == 5)
            .values(verified=CounterShardRow.verified + 4)
        )
    check = p.petitions.verify_counts(petition.id)
    assert (check.ok, check.counter, check.rows) == (False, 7, 3)
    assert check.error is not None and check.error.code == "petition.count_drift"
    assert "7" in check.error.message and "3" in check.error.message

    [run] = p.jobs.run_due(only="petitions.verify_counts")
    assert run.status == "ok"
    assert run.result["drift"] == {str(petition.id): {"counter": 7, "rows": 3}}
    events = [e for e in p.audit.events() if e.action == "petition.count_drift"]
    assert len(events) == 1 and events[0].data == {"counter": 7, "rows": 3}
    assert p.petitions.count(petition.id) == 7  # reported, not corrected


def test_a_confirmation_moves_every_count_and_reaches_a_threshold_with_paper(
    areas: Participatie,
) -> None:
    """Each confirmation moves its state, its wijk (or none), its day and, when the name
    is shown, the public list's count; the total it checks the thresholds against
    includes paper. On PostgreSQL this is one statement (``CONFIRM_WHOLE``)."""

    from participatie.petitions.models import MilestoneRow
    from participatie.petitions.schemas import PaperBatchIn
    from tests.petitions.conftest import sign_and_confirm

    p = areas
    petition = open_petition(p, thresholds=[6, 100])
    p.petitions.add_paper_batch(petition.id, PaperBatchIn(area="centrum", count=3), actor="griffie")
    sign_and_confirm(p, petition, 1, show_name=True)  # centrum
    sign_and_confirm(p, petition, 2, show_name=False)  # paddepoel
    assert p.petitions.stats(petition.id).thresholds_reached == []
    sign_and_confirm(p, petition, 3, postcode="1012 AB", show_name=True)  # no wijk
    stats = p.petitions.stats(petition.id)
    assert (stats.verified, stats.paper, stats.total, stats.pending) == (3, 3, 6, 0)
    assert stats.thresholds_reached == [6]
    with p.session_scope(readonly=True) as s:
        milestone = s.execute(select(MilestoneRow)).scalar_one()
    assert (milestone.threshold, milestone.count) == (6, 6)
    per_area = {a.area: (a.online, a.paper) for a in stats.per_area if a.total}
    assert per_area == {"centrum": (1, 3), "paddepoel": (1, 0), None: (1, 0)}
    assert [d.verified for d in stats.per_day] == [3]
    assert p.petitions.public_signers(petition.id).total == 2
    check = p.petitions.verify_counts(petition.id)
    assert check.ok, check


@pytest.mark.parametrize("dialect", ["postgresql"], indirect=True)
def test_close_to_a_threshold_the_total_is_read_again(areas: Participatie) -> None:
    """PostgreSQL confirms in one statement whose total is as of its start; within
    ``THRESHOLD_RECHECK`` of a threshold still ahead the total is read once more in a
    statement of its own (it sees confirmations that committed meanwhile)."""

    from sqlalchemy import event

    from participatie.petitions.statements import THRESHOLD_RECHECK
    from tests.petitions.conftest import sign_and_confirm

    def totals_read(thresholds: list[int], n: int) -> int:
        petition = open_petition(areas, thresholds=thresholds, title=f"Petitie {n}")
        sent: list[str] = []

        def record(conn: object, cursor: object, statement: str, *args: object) -> None:
            sent.append(statement)

        event.listen(areas.engine, "before_cursor_execute", record)
        try:
            sign_and_confirm(areas, petition, n)
        finally:
            event.remove(areas.engine, "before_cursor_execute", record)
        return sum(1 for sql in sent if "participatie_petition_paper_batch" in sql)

    # Every confirmation's own statement sums paper once; a read again sums it twice.
    assert totals_read([THRESHOLD_RECHECK + 2], 1) == 1
    assert totals_read([THRESHOLD_RECHECK], 2) == 2
