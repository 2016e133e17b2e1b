"""The petition's verified counter and tally and the rows they stand for: changing signature
states so both move by exactly the rows a statement changed, and checking that they did.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from participatie.petitions import tally
from participatie.petitions.models import VERIFIED, CounterShardRow, SignatureRow
from participatie.petitions.schemas import CountCheck, CountDrift

#: The states a bulk change visits, in this order: a pending signature confirmed while
#: the pending rows are being changed is found again as verified by the later statement.
STATE_ORDER = ("pending", "fraudulent", "withdrawn", "verified", "invalidated")


def change_states(
    s: Session,
    petition_id: uuid.UUID,
    where: Sequence[Any],
    states: Iterable[str],
    values: dict[str, Any],
) -> dict[str, int]:
    """Set ``values`` (with the new ``status``) on the petition's signatures matching
    ``where`` whose state is one of ``states``; the tally moves with them.

    One UPDATE per state, each restricted to that state, and each state's number is the
    row count of its own statement. A count taken before the update would miss a
    confirmation that commits in between: the row is then changed as verified while it
    was counted as pending, and the counter keeps it. Per-state statements close that
    gap on every dialect: PostgreSQL re-checks the state of a row that changed under it
    (READ COMMITTED), InnoDB does the same after its semi-consistent read, and SQLite
    has one writer at a time. Verified rows are locked and changed by id, so the counts
    per wijk and day move by exactly those rows (``tally.change_states``).
    """

    rest = dict(values)
    new = str(rest.pop("status"))
    return tally.change_states(s, petition_id, where, states, new, rest, STATE_ORDER)


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
    off = tally.drifts(s, petition_id)
    if counter == rows and not off:
        return CountCheck(petition_id=petition_id, counter=counter, rows=rows, ok=True)
    parts = []
    if counter != rows:
        parts.append(
            f"the counter of petition {petition_id} says {counter} verified signatures, "
            f"the signatures say {rows}"
        )
    parts.extend(
        f"the {d.kind} count {d.label or '(none)'!r} of petition {petition_id} says "
        f"{d.kept}, the signatures say {d.rows}"
        for d in off
    )
    drift = CountDrift(message="; ".join(parts), counter=counter, rows=rows)
    return CountCheck(
        petition_id=petition_id, counter=counter, rows=rows, ok=False, error=drift, tallies=off
    )
