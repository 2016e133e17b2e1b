"""Answers on a kept-alive connection go out at once with several server processes too:
the listening socket is marked as TCP, so asyncio sets ``TCP_NODELAY`` on every connection
it accepts (uvicorn's own ``--workers`` leaves it off, and each answer after the first
waited about 40 ms for the client's delayed acknowledgement)."""

from __future__ import annotations

import asyncio
import http.client
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from participatie.testing import TEST_SECRET
from participatie.web.serving import _as_tcp
from tests.web.test_serve import free_port
from tests.web.test_serve_workers import kept_alive

STARTUP_SECONDS = 90


def _accepted_nodelay(listener: socket.socket) -> int:
    """TCP_NODELAY on a connection asyncio accepted on ``listener``."""

    seen: list[int] = []

    async def main() -> None:
        def made(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            sock = writer.get_extra_info("socket")
            seen.append(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(made, sock=listener)
        port = listener.getsockname()[1]
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        for _ in range(100):
            if seen:
                break
            await asyncio.sleep(0.01)
        writer.close()
        server.close()
        await server.wait_closed()

    # A thread of its own: a test process's browser may run an event loop in this one.
    runner = threading.Thread(target=asyncio.run, args=(main(),))
    runner.start()
    runner.join(timeout=30)
    return seen[0]


def _listener(mark: bool) -> socket.socket:
    sock = socket.socket(socket.AF_INET)  # as uvicorn binds it: no protocol named
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return _as_tcp(sock) if mark else sock


def test_a_socket_marked_as_tcp_gives_connections_tcp_nodelay() -> None:
    assert _accepted_nodelay(_listener(mark=False)) == 0  # the trap itself
    assert _accepted_nodelay(_listener(mark=True)) == 1
    marked = _listener(mark=True)
    assert (marked.family, marked.proto) == (socket.AF_INET, socket.IPPROTO_TCP)
    assert marked.get_inheritable()  # the server processes take it over
    marked.close()


@pytest.mark.slow
def test_serving_module_answers_kept_alive_requests_at_once(tmp_path: Path) -> None:
    """``python -m participatie.web.serving --workers 2``: twenty requests on one kept-alive
    connection answer in a few milliseconds each, not the 40 ms of a delayed ACK."""

    from participatie.testing import make_participatie

    url = f"sqlite:///{tmp_path / 'serving.db'}"
    p = make_participatie(url)
    p.migrate()
    p.dispose()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARTICIPATIE_")}
    env.update(PARTICIPATIE_DATABASE_URL=url, PARTICIPATIE_SECRET_KEYS=TEST_SECRET)
    command = [sys.executable, "-m", "participatie.web.serving", "--workers", "2"]
    log = tmp_path / "serving.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*command, "--port", str(port)], stdout=out, stderr=subprocess.STDOUT, env=env
        )
        try:
            deadline = time.monotonic() + STARTUP_SECONDS
            while True:
                if process.poll() is not None:
                    pytest.fail(f"the server exited early:\n{log.read_text()}")
                try:
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                    conn.request("GET", "/api/health")
                    first = conn.getresponse()
                    first.read()
                    if first.status == 200:
                        break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail(f"the server did not start:\n{log.read_text()}")
                time.sleep(0.2)
            conn.close()
            took = kept_alive(port)
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
    # Linux waits at least 40 ms before a delayed ACK; a health answer takes about 1 ms.
    assert statistics.median(took) < 0.030, took
