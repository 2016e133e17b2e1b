"""The ``participatie petitions`` commands against a real database."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from participatie.cli import main
from participatie.engine import Participatie
from tests.petitions.conftest import open_petition, sign_and_confirm, signer


# The commands are dialect-blind; the service tests cover every dialect.
@pytest.mark.parametrize("dialect", ["sqlite"], indirect=True)
def test_list_export_and_invalidate(areas: Participatie, tmp_path: Path) -> None:
    p = areas
    petition = open_petition(p)
    for n in range(3):
        sign_and_confirm(p, petition, n)
    for n in range(3, 5):
        p.petitions.sign(petition.id, signer(n), ip="192.0.2.200")
    runner = CliRunner()
    env = {"PARTICIPATIE_SECRET_KEYS": "test-secret-key-that-is-long-enough"}
    base = ["--database-url", p.settings.database_url, "petitions"]

    listed = runner.invoke(main, [*base, "list"], env=env)
    assert listed.exit_code == 0, listed.output
    assert f"{petition.id}\topen\t3+0\t" in listed.output

    for fmt in ("csv", "json", "html", "pdf"):
        target = tmp_path / f"out.{fmt}"
        result = runner.invoke(
            main,
            [*base, "export", str(petition.id), "--format", fmt, "--out", str(target)],
            env=env,
        )
        assert result.exit_code == 0, result.output
        assert target.stat().st_size > 0
    assert (tmp_path / "out.csv").read_bytes().startswith(b"\xef\xbb\xbf")

    args = [*base, "invalidate", str(petition.id), "--ip", "192.0.2.200"]
    preview = runner.invoke(main, [*args, "--preview"], env=env)
    assert "would invalidate 2 signatures (pending 2, verified 0)" in preview.output
    wrong = runner.invoke(main, [*args, "--confirm", "5", "--reason", "bot"], env=env)
    assert wrong.exit_code == 2
    assert "petition.preview_mismatch" in wrong.output
    done = runner.invoke(main, [*args, "--confirm", "2", "--reason", "bot"], env=env)
    assert done.exit_code == 0, done.output
    assert p.petitions.stats(petition.id).invalidated == 2
    counts = runner.invoke(main, [*base, "verify-counts", str(petition.id)], env=env)
    assert counts.exit_code == 0 and "ok: counter 3, verified signatures 3" in counts.output
    bad = runner.invoke(main, [*base, "export", "nope", "--out", str(tmp_path / "x")], env=env)
    assert bad.exit_code == 2
