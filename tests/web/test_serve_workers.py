"""``participatie serve --workers 2`` over one database: two server processes answer on one
port, signatures made through them all count (on every dialect), and it is always
stopped."""

from __future__ import annotations

import http.client
import os
import signal
import statistics
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from participatie.clock import FixedClock
from participatie.engine import Participatie
from participatie.testing import TEST_SECRET, make_participatie
from tests.web.conftest import csrf_token
from tests.web.helpers import open_petition, seed_areas, tokens
from tests.web.test_serve import BIN, free_port

STARTUP_SECONDS = 90
SIGNERS = 8  # under the rate limit per address (every request comes from 127.0.0.1)

pytestmark = pytest.mark.slow


def _server_processes(parent: int) -> int:
    """Children of ``parent`` that are uvicorn's server processes (spawned by
    multiprocessing), not its resource tracker."""

    found = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == parent and b"spawn_main" in cmdline:
            found += 1
    return found


def kept_alive(port: int, requests: int = 20) -> list[float]:
    """Seconds per ``/api/health`` request on one kept-alive connection."""

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    took = []
    try:
        for _ in range(requests):
            started = time.perf_counter()
            conn.request("GET", "/api/health")
            answer = conn.getresponse()
            answer.read()
            assert answer.status == 200
            took.append(time.perf_counter() - started)
    finally:
        conn.close()
    return took


def test_two_server_processes_share_the_port_and_the_database(
    empty_database_url: str, tmp_path: Path
) -> None:
    # The servers run on the real clock; the tables come from the migrations, as serve
    # checks.
    p = make_participatie(empty_database_url, clock=FixedClock(datetime.now(UTC)))
    p.migrate()
    try:
        _run(p, tmp_path)
    finally:
        p.dispose()


def _run(p: Participatie, tmp_path: Path) -> None:
    seed_areas(p)
    petition = open_petition(p)
    port = free_port()
    log = tmp_path / "serve.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARTICIPATIE_")}
    env.update(
        PARTICIPATIE_DATABASE_URL=p.settings.database_url, PARTICIPATIE_SECRET_KEYS=TEST_SECRET
    )
    command = [str(BIN), "serve", "--workers", "2", "--port", str(port)]
    command += ["--mail-folder", str(tmp_path / "mail")]
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + STARTUP_SECONDS
            while True:
                if process.poll() is not None:
                    pytest.fail(f"serve exited early:\n{log.read_text()}")
                try:
                    healthy = httpx.get(base + "/api/health", timeout=2).status_code == 200
                    if healthy and _server_processes(process.pid) == 2:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail(f"serve did not start 2 processes:\n{log.read_text()}")
                time.sleep(0.2)
            # Kept alive, answers go out at once (TCP_NODELAY): not after a delayed ACK.
            assert statistics.median(kept_alive(port)) < 0.030
            for n in range(SIGNERS):
                # A new connection each time, so the kernel hands them to either process.
                with httpx.Client(base_url=base, timeout=30) as client:
                    page = client.get(f"/petitions/{petition.id}")
                    answer = client.post(
                        f"/petitions/{petition.id}",
                        data={
                            "csrf_token": csrf_token(page.text),
                            "name": f"Inwoner {n}",
                            "email": f"inwoner{n}@example.nl",
                            "postcode": "9742 CD",
                        },
                    )
                    assert answer.status_code in (200, 303), answer.text
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
    assert "2 server processes" in log.read_text()
    for n in range(SIGNERS):
        p.petitions.confirm(tokens(p, f"inwoner{n}@example.nl")["confirm"])
    assert p.petitions.count(petition.id) == SIGNERS
    assert p.petitions.verify_counts(petition.id).ok
