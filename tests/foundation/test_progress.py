"""Long commands show progress in a terminal and stay quiet in a pipe.

The command runs as its own process with standard error on a real pseudo-terminal (what
an operator's shell gives it) or on a pipe (cron, a script); the files it writes are the
same either way.
"""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import threading
from pathlib import Path

from participatie.engine import Participatie
from participatie.testing import TEST_SECRET, SmtpSink, make_participatie
from tests.polls.conftest import make_poll


def run(args: list[str], url: str, *, terminal: bool, **env: str) -> tuple[int, str, str]:
    """Run ``participatie ARGS``; returns (exit status, stdout, stderr)."""

    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PARTICIPATIE_")},
        "PARTICIPATIE_SECRET_KEYS": TEST_SECRET,
        "PARTICIPATIE_DATABASE_URL": url,
        "TERM": "xterm",
        **env,
    }
    command = [sys.executable, "-m", "participatie", *args]
    if not terminal:
        done = subprocess.run(command, capture_output=True, env=environment, timeout=120)
        return done.returncode, done.stdout.decode(), done.stderr.decode()
    leader, follower = pty.openpty()
    seen = bytearray()

    def read() -> None:
        # Read while the command runs: a full terminal buffer would block its writes.
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the other side is closed: everything was read
                return
            if not chunk:
                return
            seen.extend(chunk)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        done = subprocess.run(
            command, stdout=subprocess.PIPE, stderr=follower, env=environment, timeout=120
        )
    finally:
        os.close(follower)
        reader.join(timeout=10)
        os.close(leader)
    return done.returncode, done.stdout.decode(), bytes(seen).decode(errors="replace")


def facade(tmp_path: Path) -> tuple[Participatie, str]:
    url = f"sqlite:///{tmp_path / 'progress.db'}"
    p = make_participatie(url)
    p.create_all()
    return p, url


def test_codes_show_a_bar_in_a_terminal_and_nothing_in_a_pipe(tmp_path: Path) -> None:
    p, url = facade(tmp_path)
    first, second = make_poll(p), make_poll(p)
    out = tmp_path / "a.csv"
    status, stdout, stderr = run(
        ["polls", "codes", str(first.id), "--out", str(out), "--count", "500"], url, terminal=True
    )
    assert status == 0, stderr
    assert "500 codes written" in stdout
    assert "codes  [" in stderr and "500/500" in stderr
    assert stderr.count("\r") <= 260  # about 200 redraws, not one per code
    lines = out.read_text(encoding="utf-8-sig").splitlines()
    assert len(lines) == 501 and lines[0] == "volgnummer;adres;stemcode;stemadres"
    assert out.stat().st_mode & 0o777 == 0o600

    quiet = tmp_path / "b.csv"
    status, stdout, stderr = run(
        ["polls", "codes", str(second.id), "--out", str(quiet), "--count", "500"],
        url,
        terminal=False,
    )
    assert status == 0 and "500 codes written" in stdout
    assert stderr == ""
    assert len(quiet.read_text(encoding="utf-8-sig").splitlines()) == 501
    p.dispose()


def test_audit_export_and_delivery_show_progress(tmp_path: Path, smtp: SmtpSink) -> None:
    p, url = facade(tmp_path)
    for _ in range(3):
        make_poll(p)
    events = p.audit.verify().checked
    out = tmp_path / "events.jsonl"
    status, stdout, stderr = run(["audit", "export", "--out", str(out)], url, terminal=True)
    assert status == 0, stderr
    assert f"{events} events written" in stdout and f"{events}/{events}" in stderr
    assert len(out.read_text(encoding="utf-8").splitlines()) == events

    with p.unit_of_work() as session:
        for n in range(25):
            p.outbox.enqueue(
                session,
                to=f"inwoner{n}@example.nl",
                template="notice",
                context={"title": "Nieuws", "message": "Er is nieuws."},
            )
    smtp_env = {"PARTICIPATIE_SMTP__HOST": smtp.host, "PARTICIPATIE_SMTP__PORT": str(smtp.port)}
    status, stdout, stderr = run(
        ["outbox", "deliver", "--limit", "20"], url, terminal=True, **smtp_env
    )
    assert status == 0, stderr
    assert "claimed 20, sent 20" in stdout and "20/20" in stderr
    status, stdout, stderr = run(["outbox", "deliver"], url, terminal=False, **smtp_env)
    assert status == 0 and "claimed 5, sent 5" in stdout and stderr == ""
    assert len(smtp.messages) == 25
    p.dispose()
