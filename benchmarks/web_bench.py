"""Sign + confirm through HTTP (uvicorn on loopback) next to the Python API alone.

    python benchmarks/web_bench.py --signers 1000 --concurrency 8
    python benchmarks/web_bench.py --url postgresql+psycopg://postgres@127.0.0.1:5432/test

The server runs in its own process (one uvicorn worker), the client in this one with a
pool of threads; each signature is one POST to sign and, once its token has been read
from the outbox (not timed), one POST to confirm. Rates and latency percentiles per step.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from functools import partial
from pathlib import Path
from typing import Any

import httpx

from participatie.areas import AreaIn
from participatie.engine import Participatie
from participatie.petitions.schemas import PetitionIn, SignatureIn
from participatie.testing import make_participatie, temporary_database

TOKEN = re.compile(r"/petitions/confirm/([A-Za-z0-9_.\-]+)")
#: Every request comes from 127.0.0.1: exempt loopback from the per-address limits, as a
#: municipality exempts a known shared network, or all but ten signatures turn fraudulent.
OPTIONS: dict[str, Any] = {"petitions": {"allow_networks": ["127.0.0.0/8"]}}


def facade(url: str) -> Participatie:
    return make_participatie(url, **OPTIONS)


def prepare(url: str) -> str:
    """A fresh petition, open for signing; its id."""

    p = facade(url)
    try:
        p.create_all()
        p.areas.create(
            AreaIn(code="paddepoel", name="Paddepoel", postcodes=["9742"]), actor="bench"
        )
        petition = p.petitions.create(
            PetitionIn(
                title="Groot scherm op de Grote Markt",
                summary="Een groot scherm voor de finale.",
                body="Wij vragen de raad om een groot scherm.",
                creator_name="Anna",
                creator_email="anna@example.nl",
            )
        )
        creator = p.outbox.messages(to="anna@example.nl")[-1].text_body
        token = re.search(r"/petitions/creator/([A-Za-z0-9_.\-]+)", creator)
        assert token, creator
        p.petitions.confirm_creator(token.group(1))
        p.petitions.approve(petition.id, actor="benchmark")
        return str(petition.id)
    finally:
        p.dispose()


def tokens(p: Participatie, prefix: str) -> dict[str, str]:
    """Confirmation tokens of the signers whose address starts with ``prefix``."""

    found = {}
    for message in p.outbox.messages(template="petitions_confirm"):
        if message.to_address.startswith(prefix):
            match = TOKEN.search(message.text_body)
            if match:
                found[message.to_address] = match.group(1)
    return found


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 1)

    return {
        "p50_ms": at(0.50),
        "p90_ms": at(0.90),
        "p99_ms": at(0.99),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 1),
    }


def timed(calls: list[Callable[[], Any]], concurrency: int) -> dict[str, Any]:
    latencies: list[float] = []
    lock = threading.Lock()

    def one(call: Callable[[], Any]) -> None:
        started = time.perf_counter()
        call()
        elapsed = time.perf_counter() - started
        with lock:
            latencies.append(elapsed)

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, calls))
    seconds = time.perf_counter() - started
    return {
        "requests": len(calls),
        "per_s": round(len(calls) / seconds, 1),
        **percentiles(latencies),
    }


def signer(n: int, prefix: str) -> SignatureIn:
    return SignatureIn(name=f"Inwoner {n}", email=f"{prefix}{n}@example.nl", postcode="9742 AB")


def run_python(url: str, petition: str, signers: int, concurrency: int) -> dict[str, Any]:
    import uuid

    p = facade(url)
    try:
        key = uuid.UUID(petition)
        before = p.petitions.count(key)

        def sign_one(n: int) -> None:
            p.petitions.sign(key, signer(n, "api"), ip="127.0.0.1")

        sign = timed([partial(sign_one, n) for n in range(signers)], concurrency)
        found = tokens(p, "api")
        confirm = timed([partial(p.petitions.confirm, t) for t in found.values()], concurrency)
        counted = p.petitions.count(key) - before
        return {"sign": sign, "confirm": confirm, "counted": counted}
    finally:
        p.dispose()


def run_http(url: str, petition: str, signers: int, concurrency: int, base: str) -> dict[str, Any]:
    import uuid

    p = facade(url)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    try:
        key = uuid.UUID(petition)
        before = p.petitions.count(key)
        with httpx.Client(base_url=base, limits=limits, timeout=30) as client:

            def sign_one(n: int) -> None:
                body = signer(n, "web").model_dump(include={"name", "email", "postcode"})
                response = client.post(f"/api/petitions/{petition}/signatures", json=body)
                assert response.status_code == 202, response.text

            def confirm_one(token: str) -> None:
                response = client.post("/api/petitions/confirm", json={"token": token})
                assert response.status_code == 200, response.text

            sign = timed([partial(sign_one, n) for n in range(signers)], concurrency)
            found = tokens(p, "web")
            confirm = timed([partial(confirm_one, t) for t in found.values()], concurrency)
        counted = p.petitions.count(key) - before
        return {"sign": sign, "confirm": confirm, "counted": counted}
    finally:
        p.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def serve(url: str, port: int) -> None:
    """The server process: the app on uvicorn, one worker, access log off."""

    import uvicorn

    from participatie.web import create_app

    p = facade(url)
    uvicorn.run(create_app(p), host="127.0.0.1", port=port, log_level="warning", access_log=False)


def start_server(url: str, stack: ExitStack) -> str:
    port = free_port()
    process = subprocess.Popen(  # noqa: S603  (this very script, as the server)
        [sys.executable, __file__, "--serve", "--url", url, "--port", str(port)],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
    )

    def stop() -> None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)

    stack.callback(stop)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the server process exited")
        try:
            if httpx.get(base + "/api/health", timeout=1).status_code == 200:
                return base
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError("the server did not answer within 60 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="database URL (default: a temporary SQLite file)")
    parser.add_argument("--signers", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.url, args.port)
        return
    with ExitStack() as stack:
        url = args.url
        if url is None:
            folder = stack.enter_context(tempfile.TemporaryDirectory())
            url = f"sqlite:///{Path(folder) / 'bench.db'}"
        elif not url.startswith("sqlite"):
            url = stack.enter_context(temporary_database(url, prefix="participatie_bench"))
        petition = prepare(url)
        python = run_python(url, petition, args.signers, args.concurrency)
        base = start_server(url, stack)
        http = run_http(url, petition, args.signers, args.concurrency, base)
        dialect = url.split(":", 1)[0].split("+", 1)[0]
        print(
            json.dumps(
                {
                    "dialect": dialect,
                    "signers": args.signers,
                    "concurrency": args.concurrency,
                    "python_api": python,
                    "http": http,
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
