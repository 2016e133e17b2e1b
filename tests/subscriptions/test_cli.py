"""``participatie subscriptions digest`` and ``stats`` on SQLite (the commands only call
the tested service)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

from participatie.areas import AreaIn
from participatie.cli import main
from participatie.clock import FixedClock
from participatie.testing import TEST_SECRET, make_participatie

from .conftest import new_dossier, subscribe


def test_cli_digest_and_stats(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    # The command runs on the system clock: the events must be recent for it.
    clock = FixedClock(datetime.now(UTC) - timedelta(hours=1))
    p = make_participatie(url, clock=clock)
    p.create_all()
    p.areas.create(AreaIn(code="paddepoel", name="Paddepoel", postcodes=["9742"]), actor="test")
    subscribe(p, "fenna@example.nl")
    clock.advance(timedelta(minutes=1))
    new_dossier(p, ["paddepoel"])
    p.dispose()
    env = {"PARTICIPATIE_SECRET_KEYS": TEST_SECRET, "PARTICIPATIE_DATABASE_URL": url}
    runner = CliRunner()

    result = runner.invoke(main, ["subscriptions", "digest", "--force"], env=env)
    assert result.exit_code == 0, result.output
    assert "1 digests queued for 1 subscribers" in result.output
    again = runner.invoke(main, ["subscriptions", "digest", "--force"], env=env)
    assert "0 digests queued" in again.output
    stats = runner.invoke(main, ["subscriptions", "stats"], env=env)
    assert stats.exit_code == 0 and "paddepoel\tall\t1" in stats.output
    assert "example.nl" not in stats.output
