"""Due work (open and close at deadlines, reminders, purges) run by the host's scheduler.

``p.jobs.run_due(now)`` is safe to call every minute from cron or a worker: each job runs
at most once per interval, two runners never run the same job at once, and the jobs
themselves are idempotent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import String, Text, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from participatie.db import Base, supports_skip_locked

if TYPE_CHECKING:
    from participatie.engine import Participatie

log = logging.getLogger("participatie.jobs")

#: A job gets the facade, a session (its own transaction) and the time it runs for; it
#: returns a short summary (a count, a dict) or None.
JobFunc = Callable[["Participatie", Session, datetime], Any]


class JobStateRow(Base):
    __tablename__ = "participatie_job_state"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    last_run_at: Mapped[datetime | None]
    next_due_at: Mapped[datetime | None]
    last_status: Mapped[str | None] = mapped_column(String(16))
    last_result: Mapped[str | None] = mapped_column(Text)


@dataclass(frozen=True)
class Job:
    name: str
    func: JobFunc
    every: timedelta
    description: str = ""


@dataclass(frozen=True)
class JobRun:
    name: str
    status: str  # "ok", "error" or "skipped"
    result: Any = None
    error: str | None = None


class Jobs:
    """The facade's ``jobs`` attribute: a registry of due work."""

    def __init__(self, p: Participatie) -> None:
        self._p = p
        self._jobs: dict[str, Job] = {}

    def register(
        self,
        name: str,
        func: JobFunc,
        *,
        every: timedelta = timedelta(minutes=1),
        description: str = "",
    ) -> None:
        if name in self._jobs:
            raise ValueError(f"job {name!r} is registered already")
        self._jobs[name] = Job(name, func, every, description)

    @property
    def registered(self) -> list[Job]:
        return sorted(self._jobs.values(), key=lambda job: job.name)

    def run_due(self, now: datetime | None = None, *, only: str | None = None) -> list[JobRun]:
        """Run every job whose time has come; each in its own transaction."""

        now = now or self._p.clock.now()
        runs = []
        for job in self.registered:
            if only is not None and job.name != only:
                continue
            runs.append(self._run_one(job, now))
        return runs

    def _run_one(self, job: Job, now: datetime) -> JobRun:
        self._ensure_state(job.name)
        with self._p.session_scope() as session:
            query = select(JobStateRow).where(JobStateRow.name == job.name)
            if supports_skip_locked(session.get_bind().dialect):
                query = query.with_for_update(skip_locked=True)
            state = session.execute(query).scalar_one_or_none()
            if state is None:  # another runner holds it right now
                return JobRun(job.name, "skipped")
            if state.next_due_at is not None and state.next_due_at > now:
                return JobRun(job.name, "skipped")
            try:
                with session.begin_nested():
                    result = job.func(self._p, session, now)
            except Exception as exc:
                log.exception("job %s failed", job.name)
                state.last_run_at = now
                state.last_status = "error"
                state.last_result = repr(exc)[:2000]
                state.next_due_at = now + job.every
                return JobRun(job.name, "error", error=repr(exc))
            state.last_run_at = now
            state.last_status = "ok"
            state.last_result = None if result is None else str(result)[:2000]
            state.next_due_at = now + job.every
            return JobRun(job.name, "ok", result=result)

    def _ensure_state(self, name: str) -> None:
        with self._p.session_scope() as session:
            if session.get(JobStateRow, name) is not None:
                return
            try:
                with session.begin_nested():
                    session.add(JobStateRow(name=name))
            except IntegrityError:
                pass
