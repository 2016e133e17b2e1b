"""What waits for staff, read for the back office's start page: paper sheets typed once
or with a difference, jobs that failed or did not run, who did a one-time step and when.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from participatie.audit import AuditEvent
from participatie.jobs import JobStateRow
from participatie.polls.models import PaperEntryRow

if TYPE_CHECKING:
    from participatie.engine import Participatie


@dataclass(frozen=True)
class PaperProgress:
    """Sheets of one poll by where they are in the double entry."""

    typed_once: int
    differences: int
    finished: int


@dataclass(frozen=True)
class JobProblem:
    name: str
    #: "error" (the last run failed) or "late" (not run for two of its periods, or never).
    kind: str
    last_run_at: datetime | None
    detail: str


def paper_progress(p: Participatie, poll_id: uuid.UUID) -> PaperProgress:
    """Counts only: the sheets themselves stay with the typists (four eyes)."""

    with p.unit_of_work(None, readonly=True) as s:
        rows = s.execute(
            select(PaperEntryRow.sheet, func.count(), func.min(PaperEntryRow.status))
            .where(PaperEntryRow.poll_id == poll_id)
            .group_by(PaperEntryRow.sheet)
        ).all()
    typed_once = differences = finished = 0
    for _sheet, typings, status in rows:
        if status == "mismatch" and typings == 2:
            differences += 1
        elif typings == 1:
            typed_once += 1
        else:
            finished += 1
    return PaperProgress(typed_once=typed_once, differences=differences, finished=finished)


def codes_differ(p: Participatie, poll_id: uuid.UUID) -> dict[str, bool]:
    """Per sheet waiting for a resolution: whether the two typists typed different codes.

    Only the keyed hashes are compared (the codes themselves are not stored); they are
    cleared once the sheet is recorded, so this says nothing after the resolution.
    """

    with p.unit_of_work(None, readonly=True) as s:
        rows = s.execute(
            select(PaperEntryRow.sheet, PaperEntryRow.code_hash).where(
                PaperEntryRow.poll_id == poll_id, PaperEntryRow.status == "mismatch"
            )
        ).all()
    hashes: dict[str, set[str | None]] = {}
    for sheet, code_hash in rows:
        hashes.setdefault(sheet, set()).add(code_hash)
    return {sheet: len(values) > 1 for sheet, values in hashes.items()}


def job_problems(p: Participatie) -> list[JobProblem]:
    """Registered jobs whose last run failed, or that did not run for two periods."""

    now = p.clock.now()
    with p.unit_of_work(None, readonly=True) as s:
        states = {row.name: row for row in s.execute(select(JobStateRow)).scalars()}
    problems = []
    for job in p.jobs.registered:
        state = states.get(job.name)
        last = state.last_run_at if state is not None else None
        if state is not None and state.last_status == "error":
            problems.append(JobProblem(job.name, "error", last, state.last_result or ""))
        elif last is None or now - last > 2 * job.every:
            problems.append(JobProblem(job.name, "late", last, job.description))
    return problems


def last_event(
    p: Participatie, subject_type: str, subject_id: uuid.UUID | str, action: str
) -> AuditEvent | None:
    """The newest audit event of one kind about one subject (who did it, and when)."""

    events = p.audit.events(subject_type=subject_type, subject_id=subject_id, action=action)
    return events[-1] if events else None


__all__ = [
    "JobProblem",
    "PaperProgress",
    "codes_differ",
    "job_problems",
    "last_event",
    "paper_progress",
]
