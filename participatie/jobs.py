"""Due work (open and close at deadlines, reminders, purges) run by the host's scheduler.

``p.jobs.run_due(now)`` is safe to call every minute from cron or a worker: each job runs
once per slot of its schedule (a grid of its interval, in UTC), two runners never run
the same job at once, and the jobs themselves are idempotent.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import String, Text, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from participatie.db import Base, supports_skip_locked
from participatie.errors import DatabaseUnavailable

if TYPE_CHECKING:
    from participatie.engine import Participatie

log = logging.getLogger("participatie.jobs")

#: The grid every schedule is laid on: intervals count from here (UTC).
GRID_ORIGIN = datetime(2000, 1, 1, tzinfo=UTC)


def grid_floor(moment: datetime, every: timedelta) -> datetime:
    """The last slot of the grid of ``every`` at or before ``moment``."""

    return GRID_ORIGIN + ((moment - GRID_ORIGIN) // every) * every


def next_due(due_at: datetime | None, now: datetime, every: timedelta) -> datetime:
    """The slot after ``now`` on the job's schedule.

    From the slot the run was due at (not the moment the runner started), so a runner
    that starts a little late each minute still finds an every-minute job due each
    minute; slots missed while nothing ran are skipped, not made up one by one.
    """

    if due_at is None:
        return grid_floor(now, every) + every
    return due_at + ((now - due_at) // every + 1) * every


#: A job gets the facade, a session (its own transaction) and the time it runs for; it
#: returns a short summary (a count, a dict) or None.
JobFunc = Callable[["Participatie", Session, datetime], Any]
#: A job that commits its own transactions (long work in short steps, e.g. closing a
#: large poll): it gets the facade and the time; the runner claims it in a transaction of
#: its own first, so another runner skips it meanwhile.
SteppedJobFunc = Callable[["Participatie", datetime], Any]

#: SQLite: after this many seconds of steps holding the write lock, a pause of
#: ``SQLITE_TURN`` seconds, longer than the longest sleep of SQLite's busy handler
#: (100 ms), so that writers waiting on ``busy_timeout`` get their turn in between.
SQLITE_TURN_AFTER = 0.2
SQLITE_TURN = 0.11


class Steps:
    """Transactions of a stepped job (or call), one after the other, taking turns with
    other writers on SQLite, where a transaction holds the database's write lock: once
    the steps since the last pause held it ``SQLITE_TURN_AFTER`` seconds, the next waits
    ``SQLITE_TURN``. Without the pause a writer waiting for the lock would seldom find
    it free between two steps. Other databases lock rows, not the database: no pause.

    Usage: ``with steps.step() as s: ...`` per transaction. With a host's session every
    step is that session's (one transaction, the host's): no pause.
    """

    def __init__(self, p: Participatie) -> None:
        self._p = p
        self._sqlite = p.engine.dialect.name == "sqlite"
        self._held = 0.0

    @contextmanager
    def step(self, session: Session | None = None) -> Iterator[Session]:
        """One transaction (committed when the block ends, rolled back on an error), or
        a step in the host's ``session``."""

        begun = time.monotonic()
        with self._p.unit_of_work(session) as s:
            yield s
        if self._sqlite and session is None:
            self._held += time.monotonic() - begun
            if self._held > SQLITE_TURN_AFTER:
                time.sleep(SQLITE_TURN)
                self._held = 0.0


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
    #: Set for a job registered with ``register_stepped``: called instead of ``func``.
    stepped: SteppedJobFunc | None = None


def _still_running(state: JobStateRow, now: datetime) -> bool:
    """A stepped job claimed by another runner, within its lease."""

    started = state.last_run_at  # UTCDateTime: aware
    if state.last_status != "running" or started is None:
        return False
    return now - started < STEPPED_LEASE


def _in_own_transactions(_p: Participatie, _session: Session, _now: datetime) -> Any:
    """``Job.func`` of a stepped job: never called in a runner's transaction."""

    raise TypeError("this job runs in its own transactions (Job.stepped)")


#: How long a stepped job's claim holds: another runner skips the job while it runs, and
#: takes it over this long after a run that never recorded its end (a killed process).
STEPPED_LEASE = timedelta(minutes=15)


#: Why a job did not run: its time has not come, or another runner holds it right now.
NOT_DUE = "not_due"
RUNNING_ELSEWHERE = "running_elsewhere"
#: Entry point group of host packages that register jobs (``register(p)``).
ENTRY_POINT_GROUP = "participatie.jobs"


@dataclass(frozen=True)
class JobRun:
    """What ``run_due`` did with one job.

    ``status``: ``"ok"``, ``"error"`` or ``"skipped"``; a skipped run says why in
    ``reason`` (:data:`NOT_DUE`, with ``next_due_at``, or :data:`RUNNING_ELSEWHERE`).
    """

    name: str
    status: str
    result: Any = None
    error: str | None = None
    reason: str | None = None
    next_due_at: datetime | None = None

    def describe(self) -> str:
        """One line for an operator, e.g. ``petitions.close_due: skipped (not due until
        2026-03-03T09:05:00+00:00)``."""

        if self.status == "skipped":
            if self.reason == NOT_DUE and self.next_due_at is not None:
                why = f"not due until {self.next_due_at.isoformat()}"
            else:
                why = "another runner is running it"
            return f"{self.name}: skipped ({why})"
        detail = self.error if self.error else ("" if self.result is None else str(self.result))
        return f"{self.name}: {self.status} {detail}".rstrip()


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

    def register_stepped(
        self,
        name: str,
        func: SteppedJobFunc,
        *,
        every: timedelta = timedelta(minutes=1),
        description: str = "",
    ) -> None:
        """Register a job that commits its own transactions (``SteppedJobFunc``): the
        runner marks it run and due next in one transaction, calls it outside any, and
        records how it ended in another. Other writers are not held up for the whole job
        (on SQLite a transaction holds the database's write lock)."""

        if name in self._jobs:
            raise ValueError(f"job {name!r} is registered already")
        self._jobs[name] = Job(name, _in_own_transactions, every, description, stepped=func)

    def load_host_jobs(self) -> None:
        """Let host packages register their jobs: every ``Settings.host_jobs`` path
        (``"package.module:register"``) and every ``participatie.jobs`` entry point is
        called with the facade, so the CLI's ``jobs run`` runs them as well.

        Raises:
            ConfigurationError: ``config.invalid`` (field ``host_jobs``) when a path does
                not name an importable callable.
        """

        from importlib import import_module
        from importlib.metadata import entry_points

        from participatie.errors import ConfigurationError

        for path in self._p.settings.host_jobs:
            module_name, _, attr = path.partition(":")
            try:
                register = getattr(import_module(module_name), attr or "register")
            except (ImportError, AttributeError, ValueError) as exc:
                raise ConfigurationError(
                    f"PARTICIPATIE_HOST_JOBS: cannot load {path!r}: {exc}", field="host_jobs"
                ) from None
            if not callable(register):
                raise ConfigurationError(
                    f"PARTICIPATIE_HOST_JOBS: {path!r} is not callable", field="host_jobs"
                )
            register(self._p)
        for entry in entry_points(group=ENTRY_POINT_GROUP):
            entry.load()(self._p)

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
                return JobRun(job.name, "skipped", reason=RUNNING_ELSEWHERE)
            due_at = state.next_due_at
            if due_at is not None and due_at - now > job.every:
                # Never set further ahead than one interval: the clock went back (a host
                # clock stepped by NTP, say). Waiting for the old time would pause the job.
                log.warning(
                    "job %s was due at %s, more than %s after now (%s): the clock went "
                    "back; running on the schedule from now",
                    job.name,
                    due_at.isoformat(),
                    job.every,
                    now.isoformat(),
                )
                due_at = grid_floor(now, job.every)
            if due_at is not None and due_at > now:
                return JobRun(job.name, "skipped", reason=NOT_DUE, next_due_at=due_at)
            if job.stepped is not None and _still_running(state, now):
                return JobRun(job.name, "skipped", reason=RUNNING_ELSEWHERE)
            state.next_due_at = next_due(due_at, now, job.every)
            state.last_run_at = now
            if job.stepped is None:
                return self._run_in(session, state, job, now)
            state.last_status = "running"
        return self._run_stepped(job, job.stepped, now)

    def _run_in(self, session: Session, state: JobStateRow, job: Job, now: datetime) -> JobRun:
        """The job in the runner's transaction, its state recorded in the same one."""

        try:
            with session.begin_nested():
                result = job.func(self._p, session, now)
        except Exception as exc:
            log.exception("job %s failed", job.name)
            state.last_status = "error"
            state.last_result = repr(exc)[:2000]
            return JobRun(job.name, "error", error=repr(exc))
        state.last_status = "ok"
        state.last_result = None if result is None else str(result)[:2000]
        log.info("job %s ran: %s", job.name, state.last_result or "-")
        return JobRun(job.name, "ok", result=result)

    def _run_stepped(self, job: Job, func: SteppedJobFunc, now: datetime) -> JobRun:
        try:
            result = func(self._p, now)
        except Exception as exc:
            log.exception("job %s failed", job.name)
            self._record(job.name, "error", repr(exc))
            return JobRun(job.name, "error", error=repr(exc))
        self._record(job.name, "ok", None if result is None else str(result))
        log.info("job %s ran: %s", job.name, "-" if result is None else result)
        return JobRun(job.name, "ok", result=result)

    def _record(self, name: str, status: str, result: str | None) -> None:
        try:
            with self._p.session_scope() as session:
                state = session.get_one(JobStateRow, name)
                state.last_status = status
                state.last_result = None if result is None else result[:2000]
        except DatabaseUnavailable:
            # The other jobs still run; the lease ends and the worklist shows it late.
            log.exception("job %s ended (%s) but its end could not be recorded", name, status)

    def _ensure_state(self, name: str) -> None:
        with self._p.session_scope() as session:
            if session.get(JobStateRow, name) is not None:
                return
            try:
                with session.begin_nested():
                    session.add(JobStateRow(name=name))
            except IntegrityError:
                pass


__all__ = [
    "ENTRY_POINT_GROUP",
    "GRID_ORIGIN",
    "NOT_DUE",
    "RUNNING_ELSEWHERE",
    "SQLITE_TURN",
    "SQLITE_TURN_AFTER",
    "STEPPED_LEASE",
    "Job",
    "JobFunc",
    "JobRun",
    "Jobs",
    "SteppedJobFunc",
    "Steps",
    "grid_floor",
    "next_due",
]
