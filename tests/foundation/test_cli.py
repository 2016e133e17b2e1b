from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import inspect

from participatie.cli import main
from participatie.testing import TEST_SECRET, SmtpSink, make_participatie


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("PARTICIPATIE_SECRET_KEYS", TEST_SECRET)
    return CliRunner()


def test_db_upgrade_current_check(runner: CliRunner, empty_database_url: str) -> None:
    args = ["--database-url", empty_database_url]
    result = runner.invoke(main, [*args, "db", "current"])
    assert result.exit_code == 0, result.output
    assert "(empty" in result.output
    result = runner.invoke(main, [*args, "db", "check"])
    assert result.exit_code == 1
    result = runner.invoke(main, [*args, "db", "upgrade"])
    assert result.exit_code == 0, result.output
    p = make_participatie(empty_database_url)
    tables = inspect(p.engine).get_table_names()
    assert "participatie_alembic_version" in tables
    assert all(t.startswith("participatie_") for t in tables)
    p.dispose()
    result = runner.invoke(main, [*args, "db", "check"])
    assert result.exit_code == 0, result.output
    assert "no difference" in result.output


def test_missing_secret_is_one_clear_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("PARTICIPATIE_SECRET_KEYS", raising=False)
    result = CliRunner().invoke(
        main, ["--database-url", f"sqlite:///{tmp_path}/x.db", "polls", "list"]
    )
    assert result.exit_code == 2
    assert "PARTICIPATIE_SECRET_KEYS" in result.output
    assert not (tmp_path / "x.db").exists()


def test_malformed_url_is_one_clear_line(runner: CliRunner) -> None:
    result = runner.invoke(main, ["--database-url", "nonsense", "db", "upgrade"])
    assert result.exit_code == 2
    assert "malformed database URL" in result.output


@pytest.mark.parametrize("dialect", ["sqlite"], indirect=True)
def test_outbox_deliver_jobs_and_audit_commands(
    runner: CliRunner, empty_database_url: str, smtp: SmtpSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PARTICIPATIE_SMTP__HOST", smtp.host)
    monkeypatch.setenv("PARTICIPATIE_SMTP__PORT", str(smtp.port))
    args = ["--database-url", empty_database_url]
    assert runner.invoke(main, [*args, "db", "upgrade"]).exit_code == 0
    p = make_participatie(empty_database_url)
    with p.unit_of_work() as s:
        p.outbox.enqueue(
            s, to="a@example.nl", template="notice", context={"title": "T", "message": "M"}
        )
    p.dispose()
    result = runner.invoke(main, [*args, "outbox", "deliver"])
    assert result.exit_code == 0, result.output
    assert "sent 1" in result.output
    assert len(smtp.messages) == 1
    result = runner.invoke(main, [*args, "jobs", "run"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, [*args, "audit", "verify"])
    assert result.exit_code == 0
    assert "audit log intact" in result.output


def test_outbox_work_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/w.db"
    env = {**os.environ, "PARTICIPATIE_SECRET_KEYS": TEST_SECRET, "PARTICIPATIE_DATABASE_URL": url}
    subprocess.run(
        [sys.executable, "-m", "participatie", "db", "upgrade"], env=env, check=True, timeout=60
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "participatie", "outbox", "work", "--idle", "0.2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()  # "delivering; ..." once the loop starts
        assert "delivering" in line
        time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "stopped" in out
    assert "SIGTERM" in err


@pytest.mark.parametrize("scale", [0, -0.5, 1.5])
def test_demo_scale_outside_its_range_is_refused(scale: float, tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from participatie.clock import FixedClock
    from participatie.config import Settings
    from participatie.demo import run_demo
    from participatie.engine import Participatie

    settings, _ = Settings.for_demo(database_url=f"sqlite:///{tmp_path / 'demo.db'}")
    clock = FixedClock(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))
    p = Participatie(settings, clock=clock)
    try:
        with pytest.raises(ValueError, match="scale must be in"):
            run_demo(p, tmp_path, clock, lambda _line: None, scale=scale)
    finally:
        p.dispose()
    assert not (tmp_path / "paddepoel").exists()  # refused before anything ran
