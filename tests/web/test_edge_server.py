"""``participatie serve`` as an attacker meets it over loopback: a real uvicorn process
on a free port (always stopped), forged X-Forwarded-For headers, and its access log."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
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

STARTUP_SECONDS = 60


@dataclass
class Server:
    base: str
    log: Path
    p: Participatie
    petition: str


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    url = f"sqlite:///{tmp_path / 'participatie.db'}"
    p = make_participatie(url, clock=FixedClock(datetime.now(UTC)))
    p.migrate()
    seed_areas(p)
    petition = open_petition(p)
    port = free_port()
    log = tmp_path / "serve.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARTICIPATIE_")}
    env.update(PARTICIPATIE_DATABASE_URL=url, PARTICIPATIE_SECRET_KEYS=TEST_SECRET)
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(BIN), "serve", "--port", str(port), "--mail-folder", str(tmp_path / "mail")],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=tmp_path,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + STARTUP_SECONDS
            while True:
                if process.poll() is not None:
                    pytest.fail(f"serve exited early:\n{log.read_text()}")
                try:
                    if httpx.get(base + "/api/health", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail(f"serve did not answer in {STARTUP_SECONDS} s:\n{log.read_text()}")
                time.sleep(0.2)
            yield Server(base=base, log=log, p=p, petition=str(petition.id))
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
            p.dispose()


def _sign(client: httpx.Client, server: Server, n: int, forged: str) -> None:
    page = client.get(f"/petitions/{server.petition}")
    answer = client.post(
        f"/petitions/{server.petition}",
        data={
            "csrf_token": csrf_token(page.text),
            "name": f"Inwoner {n}",
            "email": f"inwoner{n}@example.nl",
            "postcode": "9742 CD",
        },
        headers={"X-Forwarded-For": forged},
    )
    assert answer.status_code in (200, 303), answer.text


def test_forged_forwarded_for_is_not_believed(server: Server) -> None:
    # No proxy is trusted: 15 signatures from one peer, each with a new forged address,
    # are one address to the rate limit (10 per hour), so 5 are silently fraudulent.
    with httpx.Client(base_url=server.base, timeout=30) as client:
        for n in range(15):
            _sign(client, server, n, forged=f"203.0.{n}.{n + 1}")
    stats = server.p.petitions.stats(server.p.petitions.list()[0].id)
    assert (stats.pending, stats.fraudulent) == (10, 5)


def test_access_log_holds_no_tokens(server: Server) -> None:
    p = server.p
    with httpx.Client(base_url=server.base, timeout=30) as client:
        _sign(client, server, 1, forged="198.51.100.1")
        links = tokens(p, "inwoner1@example.nl")
        secrets = [links["confirm"], links["withdraw"], "T-SECRET-TRACKER", "privacy-secret"]
        pages = [
            client.get(f"/petitions/confirm/{links['confirm']}"),
            client.get(f"/petitions/withdraw/{links['withdraw']}"),
            client.get(f"/polls/{server.petition}/ballots?tracker=T-SECRET-TRACKER"),
            client.get("/privacy/privacy-secret"),
        ]
    for page in pages[:2]:
        assert page.status_code == 200
        assert page.headers["referrer-policy"] == "no-referrer"
    # uvicorn writes its access line after the answer: give it a moment.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and "/privacy/[redacted]" not in server.log.read_text():
        time.sleep(0.1)
    log = server.log.read_text()
    assert '"GET /petitions/confirm/[redacted] HTTP/1.1" 200' in log, log
    assert "/polls/" in log and "ballots?tracker=[redacted]" in log
    for secret in secrets:
        assert secret not in log
