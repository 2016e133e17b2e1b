"""The petition's verified counter and the rows it stands for: changing signature states
so the counter moves by exactly the rows a statement changed, and checking that it did.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from participatie.petitions.models import VERIFIED, CounterShardRow, SignatureRow
from participatie.petitions.schemas import CountCheck, CountDrift

#: The states a bulk change visits, in this order: a pending signature confirmed while
#: the pending rows are being changed is found again as verified by the later statement.
STATE_ORDER = ("pending", "fraudulent", "withdrawn", "verified", "invalidated")


def change_states(
    s: Session, where: Sequence[Any], states: Iterable[str], values: dict[str, Any]
) -> dict[str, int]:
    """Set ``values`` on the signatures matching ``where`` whose state is one of ``states``.

    One UPDATE per state, each restricted to that state, and each state's number is the
    row count of its own statement. A count taken before the update would miss a
    confirmation that commits in between: the row is then changed as verified while it
    was counted as pending, and the counter keeps it. Per-state statements close that
    gap on every dialect: PostgreSQL re-checks the state of a row that changed under it
    (READ COMMITTED), InnoDB does the same after its semi-consistent read, and SQLite
    has one writer at a time.
    """

    wanted = set(states)
    changed: dict[str, int] = {}
    for state in sorted(wanted, key=_order):
        result = s.execute(
            update(SignatureRow)
            .where(*where, SignatureRow.status == state)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        changed[state] = int(result.rowcount or 0)  # type: ignore[attr-defined]
    return changed


def _order(state: str) -> tuple[int, str]:
    return (STATE_ORDER.index(state) if state in STATE_ORDER else len(STATE_ORDER), state)


def check(s: Session, petition_id: uuid.UUID) -> CountCheck:
    """Compare the shards with the rows in one statement, so both numbers come from one
    snapshot (READ COMMITTED takes a new one per statement)."""

    shards = (
        select(func.coalesce(func.sum(CounterShardRow.verified), 0))
        .where(CounterShardRow.petition_id == petition_id)
        .scalar_subquery()
    )
    verified = (
        select(func.count())
        .select_from(SignatureRow)
        .where(SignatureRow.petition_id == petition_id, SignatureRow.status == VERIFIED)
        .scalar_subquery()
    )
    counter, rows = (int(v) for v in s.execute(select(shards, verified)).one())
    if counter == rows:
        return CountCheck(petition_id=petition_id, counter=counter, rows=rows, ok=True)
    drift = CountDrift(
        message=(
            f"the counter of petition {petition_id} says {counter} verified signatures, "
            f"the signatures say {rows}"
        ),
        counter=counter,
        rows=rows,
    )
    return CountCheck(petition_id=petition_id, counter=counter, rows=rows, ok=False, error=drift)
