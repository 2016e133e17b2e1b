"""Jobs a host registers in Python run from cron too, and a job asked too early says so."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from sqlalchemy.orm import Session

from participatie.cli import main
from participatie.engine import Participatie
from participatie.jobs import NOT_DUE
from participatie.testing import TEST_SECRET, make_participatie

RUNS: list[str] = []


def hello(p: Participatie, session: Session, now: Any) -> dict[str, str]:
    RUNS.append(now.isoformat())
    return {"greeted": "wijkraad"}


def register(p: Participatie) -> None:
    """What a host's package offers: its jobs, registered on the facade it is given."""

    p.jobs.register("host.hello", hello, every=timedelta(hours=1), description="host job")


def test_host_jobs_from_the_settings_run_from_the_command_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'site.db'}"
    make_participatie(url).create_all()
    env = {
        "PARTICIPATIE_SECRET_KEYS": TEST_SECRET,
        "PARTICIPATIE_DATABASE_URL": url,
        "PARTICIPATIE_HOST_JOBS": '["tests.foundation.test_host_jobs:register"]',
    }
    runner = CliRunner()
    listed = runner.invoke(main, ["jobs", "list"], env=env)
    assert "host.hello" in listed.output, listed.output
    first = runner.invoke(main, ["jobs", "run", "--only", "host.hello"], env=env)
    assert first.exit_code == 0, first.output
    assert "host.hello: ok {'greeted': 'wijkraad'}" in first.output
    again = runner.invoke(main, ["jobs", "run", "--only", "host.hello"], env=env)
    assert "host.hello: skipped (not due until " in again.output, again.output
    assert len(RUNS) == 1


def test_a_job_asked_within_its_interval_says_when_it_is_due(p: Participatie) -> None:
    register(p)
    now = p.clock.now()
    (ran,) = p.jobs.run_due(now, only="host.hello")
    assert ran.status == "ok"
    (early,) = p.jobs.run_due(now + timedelta(minutes=5), only="host.hello")
    assert early.status == "skipped" and early.reason == NOT_DUE
    assert early.next_due_at is not None and early.next_due_at > now + timedelta(minutes=5)
    assert "not due until" in early.describe()


def test_a_host_job_path_that_does_not_load_is_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        ["jobs", "list"],
        env={
            "PARTICIPATIE_SECRET_KEYS": TEST_SECRET,
            "PARTICIPATIE_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
            "PARTICIPATIE_HOST_JOBS": '["no_such_package.jobs:register"]',
        },
    )
    assert result.exit_code == 2
    assert "PARTICIPATIE_HOST_JOBS: cannot load 'no_such_package.jobs:register'" in result.output
