"""A newcomer's commands: nothing lost, nothing leaked, every infrastructure problem one
line. The commands run as real processes, as a person runs them from a terminal.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from participatie.cli import main
from participatie.demo import DEMO_MARKER, prepare_output
from participatie.engine import Participatie
from participatie.errors import ConfigurationError
from participatie.exports.files import is_private
from participatie.infra import mask_url
from participatie.testing import TEST_SECRET, free_port
from tests.polls.conftest import make_poll

ROOT = Path(__file__).resolve().parents[2]


def run(
    *args: str, cwd: Path | None = None, secret: bool = True, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARTICIPATIE_")}
    env["PYTHONPATH"] = str(ROOT)
    if secret:
        env["PARTICIPATIE_SECRET_KEYS"] = TEST_SECRET
    return subprocess.run(
        [sys.executable, "-m", "participatie", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=timeout,
        check=False,
    )


# -- the demo folder ----------------------------------------------------------------


def test_demo_refuses_a_foreign_folder_and_leaves_it_untouched(tmp_path: Path) -> None:
    folder = tmp_path / "thesis"
    folder.mkdir()
    (folder / "chapter1.txt").write_text("years of work", encoding="utf-8")
    result = run("demo", "--out", str(folder))
    assert result.returncode == 2, result.stderr
    assert "was not written by the demo" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert sorted(p.name for p in folder.iterdir()) == ["chapter1.txt"]
    assert (folder / "chapter1.txt").read_text(encoding="utf-8") == "years of work"


def test_demo_refuses_the_working_folder(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("x", encoding="utf-8")
    result = run("demo", "--out", ".", cwd=tmp_path)
    assert result.returncode == 2
    assert "working folder" in result.stderr
    assert (tmp_path / "keep.txt").exists()


def test_an_earlier_demo_output_is_emptied_and_marked(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    prepare_output(out)
    assert (out / DEMO_MARKER).is_file()
    (out / "old.txt").write_text("old", encoding="utf-8")
    prepare_output(out)  # marked: emptied without asking
    assert sorted(p.name for p in out.iterdir()) == [DEMO_MARKER]
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "a").write_text("a", encoding="utf-8")
    with pytest.raises(ConfigurationError):
        prepare_output(foreign)
    prepare_output(foreign, force=True)
    assert sorted(p.name for p in foreign.iterdir()) == [DEMO_MARKER]
    empty = tmp_path / "empty"
    empty.mkdir()
    prepare_output(empty)  # an empty folder holds nothing to lose
    assert (empty / DEMO_MARKER).is_file()


def test_serve_demo_refuses_a_foreign_folder(tmp_path: Path) -> None:
    (tmp_path / "mine.txt").write_text("x", encoding="utf-8")
    result = run("serve", "--demo", "--port", "1", "--out", str(tmp_path))
    assert result.returncode == 2
    assert (tmp_path / "mine.txt").exists()


# -- databases ----------------------------------------------------------------------


def test_a_sqlite_path_with_a_typo_is_refused(tmp_path: Path) -> None:
    missing = tmp_path / "no" / "such" / "dir"
    result = run("--database-url", f"sqlite:///{missing}/x.db", "polls", "list")
    assert result.returncode == 2
    assert "does not exist" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "no").exists()
    result = run("--database-url", f"sqlite:///{missing}/x.db", "db", "upgrade")
    assert result.returncode == 2
    assert not (tmp_path / "no").exists()


def test_db_commands_need_no_secret_and_offer_downgrade_and_history(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    upgraded = run("--database-url", url, "db", "upgrade", secret=False)
    assert upgraded.returncode == 0, upgraded.stderr
    assert (tmp_path / "fresh.db").exists()
    head = upgraded.stdout.split()[-1]
    assert run("--database-url", url, "db", "current", secret=False).stdout.strip() == head
    assert run("--database-url", url, "db", "check", secret=False).returncode == 0
    history = run("db", "history", secret=False)
    assert history.returncode == 0
    lines = history.stdout.strip().splitlines()
    assert lines[0].startswith(f"{head} <-") and "(head)" in lines[0]
    assert lines[-1].startswith("0001 <- base")
    down = run("--database-url", url, "db", "downgrade", "base", secret=False)
    assert down.returncode == 0, down.stderr
    assert run("--database-url", url, "db", "current", secret=False).stdout.startswith("(empty")
    # Everything else still insists on a secret key.
    refused = run("--database-url", url, "polls", "list", secret=False)
    assert refused.returncode == 2
    assert "PARTICIPATIE_SECRET_KEYS" in refused.stderr
    # A migration's error names only what it needs: not the key it does without.
    wrong = run("--database-url", "foo://x", "db", "upgrade", secret=False)
    assert wrong.returncode == 2
    assert "unsupported database 'foo'" in wrong.stderr
    assert "more problem" not in wrong.stderr and len(wrong.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql+psycopg://postgres@127.0.0.1:5999/x", "cannot reach the database"),
        ("mysql+pymysql://root@127.0.0.1:3999/x", "cannot reach the database"),
        ("postgresql+psycopg2://postgres@127.0.0.1:5432/x", "psycopg"),
        ("postgresql+asyncpg://postgres@127.0.0.1:5432/x", "participatie[postgresql]"),
        ("postgresql+nosuchdriver://postgres@127.0.0.1:5432/x", "no database driver"),
    ],
)
def test_infrastructure_problems_are_one_line(url: str, expected: str) -> None:
    result = run("--database-url", url, "db", "upgrade")
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert 1 <= len(lines) <= 3, result.stderr
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    verbose = run("-v", "--database-url", url, "db", "upgrade")
    assert "Traceback" in verbose.stderr


def test_missing_databases_and_tables_name_the_fix(
    dialect: str, empty_database_url: str, tmp_path: Path
) -> None:
    result = run("--database-url", empty_database_url, "polls", "list")
    assert result.returncode == 2, result.stderr
    assert "participatie db upgrade" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    if dialect != "sqlite":
        base, _, _name = empty_database_url.rpartition("/")
        missing = run("--database-url", f"{base}/participatie_no_such_db", "db", "upgrade")
        assert missing.returncode == 2
        assert "does not exist" in missing.stderr, missing.stderr
        assert len(missing.stderr.strip().splitlines()) == 1


# -- secrets in output and files ----------------------------------------------------


def test_database_passwords_are_masked() -> None:
    masked = mask_url("postgresql+psycopg://site:s3cr3t-pw@db.example:5432/site")
    assert "s3cr3t-pw" not in masked and "***" in masked
    result = run(
        "--database-url", "postgresql+psycopg://site:s3cr3t-pw@127.0.0.1:5999/site", "serve"
    )
    assert result.returncode == 2
    assert "s3cr3t-pw" not in result.stdout + result.stderr
    assert "***" in result.stderr


def test_exports_with_personal_data_are_owner_only(p: Participatie, tmp_path: Path) -> None:
    runner = CliRunner()
    url = p.engine.url.render_as_string(hide_password=False)
    poll = make_poll(p)
    codes = tmp_path / "codes.csv"
    result = runner.invoke(
        main,
        [
            "--database-url",
            url,
            "polls",
            "codes",
            str(poll.id),
            "--out",
            str(codes),
            "--count",
            "3",
        ],
        env={"PARTICIPATIE_SECRET_KEYS": TEST_SECRET},
    )
    assert result.exit_code == 0, result.output
    assert is_private(codes)
    assert stat.S_IMODE(codes.stat().st_mode) == 0o600
    audit = tmp_path / "audit.jsonl"
    result = runner.invoke(
        main,
        ["--database-url", url, "audit", "export", "--out", str(audit)],
        env={"PARTICIPATIE_SECRET_KEYS": TEST_SECRET},
    )
    assert result.exit_code == 0, result.output
    assert is_private(audit)


# -- serve says where mail goes, and diverts it only when asked ----------------------


def _serve_startup(tmp_path: Path, extra_env: dict[str, str], *args: str) -> str:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARTICIPATIE_")}
    env.update(PYTHONPATH=str(ROOT), PARTICIPATIE_SECRET_KEYS=TEST_SECRET, **extra_env)
    url = f"sqlite:///{tmp_path / 'site.db'}"
    command = [sys.executable, "-m", "participatie", "--database-url", url, "serve"]
    proc = subprocess.Popen(
        [*command, "--port", str(port), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=tmp_path,
        env=env,
    )
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("serving on") or len(lines) > 40:
                break
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return "".join(lines)


def test_serve_never_diverts_real_mail_into_a_folder(tmp_path: Path) -> None:
    without = _serve_startup(tmp_path, {})
    assert "mail is NOT sent" in without, without
    assert not (tmp_path / "participatie-mail").exists()
    with_smtp = _serve_startup(tmp_path, {"PARTICIPATIE_SMTP__HOST": "127.0.0.1"})
    assert "mail is sent through 127.0.0.1:25" in with_smtp, with_smtp
    assert not (tmp_path / "participatie-mail").exists()
    folder = _serve_startup(tmp_path, {}, "--mail-folder", str(tmp_path / "mail"))
    assert f"mail is written to {(tmp_path / 'mail').resolve()}" in folder
    refused = run("serve", "--port", "1", "--out", str(tmp_path / "x"))
    assert refused.returncode == 2 and "--mail-folder" in refused.stderr


def test_passwords_in_the_query_are_masked_too() -> None:
    masked = mask_url("postgresql+psycopg://site@db:5432/site?password=Geheim123&sslmode=require")
    assert "Geheim123" not in masked and "sslmode=require" in masked


def test_serve_refuses_a_busy_port_before_emptying_anything(tmp_path: Path) -> None:
    import socket

    out = tmp_path / "demo"
    prepare_output(out)
    (out / "earlier.txt").write_text("earlier demo", encoding="utf-8")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run("serve", "--demo", "--port", str(port), "--out", str(out))
    assert result.returncode == 2, result.stderr
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert (out / "earlier.txt").exists()


def test_more_mistakes_are_one_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'site.db'}"
    empty = run("--database-url", url, "db", "check")
    assert empty.returncode == 1
    assert empty.stdout.strip() == (
        "the database has no participatie tables: run `participatie db upgrade`"
    )
    assert stat.S_IMODE((tmp_path / "site.db").stat().st_mode) == 0o600
    unknown = run("--database-url", url, "db", "upgrade", "nosuchrev")
    assert unknown.returncode == 2 and "nosuchrev" in unknown.stderr
    assert "Traceback" not in unknown.stderr and len(unknown.stderr.strip().splitlines()) == 1
    assert run("--database-url", url, "db", "upgrade").returncode == 0
    nowhere = run(
        "--database-url", url, "audit", "export", "--out", str(tmp_path / "no" / "a.jsonl")
    )
    assert nowhere.returncode == 2 and "cannot use" in nowhere.stderr
    assert "Traceback" not in nowhere.stderr
