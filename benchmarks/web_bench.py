"""Sign + confirm through HTTP (uvicorn on loopback) next to the Python API alone.

    python benchmarks/web_bench.py --signers 1000 --concurrency 8
    python benchmarks/web_bench.py --url postgresql+psycopg://postgres@127.0.0.1:5432/test
    python benchmarks/web_bench.py --url postgresql+psycopg://postgres@127.0.0.1:5432/test \
        --server-workers 1,2,4 --rounds 3

The server runs in processes of its own (``--server-workers``: uvicorn worker processes
over the one database, as ``participatie serve --workers N`` runs them), the client in
this one with a pool of threads; each signature is one POST to sign and, once its token
has been read from the outbox (not timed), one POST to confirm. The client is a keep-alive
``http.client`` connection per thread (``--client httpx`` for httpx, which costs the shared
cores several times as much per request). Rates and latency percentiles per step, and the
cycle rate (sign + confirm) next to the Python API's in the same round; ``--rounds``
alternates them and ends with the medians.
"""

from __future__ import annotations

import argparse
import http.client
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
#: municipality exempts a known shared network, or all but ten signatures turn fraudulent;
#: and the send cap per network, or only 200 confirmation mails a window go out.
OPTIONS: dict[str, Any] = {
    "petitions": {"allow_networks": ["127.0.0.0/8"]},
    "send_caps": {"per_network": 10_000_000},
}


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


class KeepAlive:
    """The lightest client: one keep-alive ``http.client`` connection per client thread.
    The client shares the cores with the server and the database, so what it costs is
    taken from them; httpx costs several times as much per request."""

    def __init__(self, base: str) -> None:
        address = base.split("://", 1)[1]
        self._host, port = address.rsplit(":", 1)
        self._port = int(port)
        self._local = threading.local()
        self._all: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()

    def post(self, path: str, body: dict[str, Any]) -> tuple[int, str]:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = http.client.HTTPConnection(self._host, self._port, timeout=30)
            with self._lock:
                self._all.append(conn)
        data = json.dumps(body).encode()
        conn.request("POST", path, body=data, headers={"Content-Type": "application/json"})
        answer = conn.getresponse()
        return answer.status, answer.read().decode()

    def close(self) -> None:
        for conn in self._all:
            conn.close()


class Httpx:
    """httpx, as a host's Python client would send the requests."""

    def __init__(self, base: str, concurrency: int) -> None:
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        self._client = httpx.Client(base_url=base, limits=limits, timeout=30)

    def post(self, path: str, body: dict[str, Any]) -> tuple[int, str]:
        answer = self._client.post(path, json=body)
        return answer.status_code, answer.text

    def close(self) -> None:
        self._client.close()


def run_http(
    url: str, petition: str, signers: int, concurrency: int, base: str, client_kind: str
) -> dict[str, Any]:
    import uuid

    p = facade(url)
    client = KeepAlive(base) if client_kind == "http.client" else Httpx(base, concurrency)
    try:
        key = uuid.UUID(petition)
        before = p.petitions.count(key)

        def sign_one(n: int) -> None:
            body = signer(n, "web").model_dump(include={"name", "email", "postcode"})
            status, text = client.post(f"/api/petitions/{petition}/signatures", body)
            assert status == 202, text

        def confirm_one(token: str) -> None:
            status, text = client.post("/api/petitions/confirm", {"token": token})
            assert status == 200, text

        sign = timed([partial(sign_one, n) for n in range(signers)], concurrency)
        found = tokens(p, "web")
        confirm = timed([partial(confirm_one, t) for t in found.values()], concurrency)
        counted = p.petitions.count(key) - before
        return {"sign": sign, "confirm": confirm, "counted": counted}
    finally:
        client.close()
        p.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def app() -> Any:
    """The app of one server process (uvicorn's factory), on ``BENCH_DATABASE_URL``."""

    from participatie.web import create_app

    return create_app(facade(os.environ["BENCH_DATABASE_URL"]))


def serve(url: str, port: int, workers: int) -> None:
    """The server: the app on uvicorn with ``workers`` processes, access log off."""

    import uvicorn

    from participatie.web.serving import run_processes

    os.environ["BENCH_DATABASE_URL"] = url
    options: dict[str, Any] = {"log_level": "warning", "access_log": False}
    if workers == 1:
        uvicorn.run(
            "benchmarks.web_bench:app", factory=True, host="127.0.0.1", port=port, **options
        )
        return
    # As ``participatie serve --workers N`` runs them.
    run_processes(
        "benchmarks.web_bench:app", workers=workers, host="127.0.0.1", port=port, **options
    )


def start_server(url: str, stack: ExitStack, workers: int = 1) -> str:
    port = free_port()
    command = [sys.executable, __file__, "--serve", "--url", url, "--port", str(port)]
    process = subprocess.Popen(  # noqa: S603  (this very script, as the server)
        [*command, "--server-workers", str(workers)],
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
                time.sleep(2 if workers > 1 else 0)  # every process up, not just the first
                return base
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError("the server did not answer within 60 s")


def cycles(result: dict[str, Any]) -> float:
    """Sign + confirm cycles per second: signers over the time of both steps."""

    return float(round(1 / (1 / result["sign"]["per_s"] + 1 / result["confirm"]["per_s"]), 1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="database URL (default: a temporary SQLite file)")
    parser.add_argument("--signers", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument(
        "--server-workers", default="1", help="server processes, e.g. 1,2,4 (one run each)"
    )
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument(
        "--client",
        choices=["http.client", "httpx"],
        default="http.client",
        help="the HTTP client sending the requests (default: the lightest)",
    )
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    counts = [int(n) for n in str(args.server_workers).split(",")]
    if args.serve:
        serve(args.url, args.port, counts[0])
        return
    rates: dict[str, list[float]] = {"python_api": [], **{f"http_{n}": [] for n in counts}}
    for _ in range(args.rounds):
        for workers in [0, *counts]:  # 0: the Python API
            with ExitStack() as stack:
                url = args.url
                if url is None:
                    folder = stack.enter_context(tempfile.TemporaryDirectory())
                    url = f"sqlite:///{Path(folder) / 'bench.db'}"
                elif not url.startswith("sqlite"):
                    url = stack.enter_context(temporary_database(url, prefix="participatie_bench"))
                petition = prepare(url)
                if workers == 0:
                    result = run_python(url, petition, args.signers, args.concurrency)
                    name = "python_api"
                else:
                    base = start_server(url, stack, workers)
                    result = run_http(
                        url, petition, args.signers, args.concurrency, base, args.client
                    )
                    name = f"http_{workers}"
            if result["counted"] != args.signers:
                raise SystemExit(f"{name}: counted {result['counted']} of {args.signers}")
            rates[name].append(cycles(result))
            dialect = url.split(":", 1)[0].split("+", 1)[0]
            line = {"dialect": dialect, "run": name, "cycles_per_s": cycles(result), **result}
            print(json.dumps(line), flush=True)
    medians = {name: statistics.median(values) for name, values in rates.items()}
    ratios = {
        f"{name}_vs_python_api": round(value / medians["python_api"], 2)
        for name, value in medians.items()
        if name != "python_api"
    }
    print(json.dumps({"median_cycles_per_s": medians, **ratios}))


if __name__ == "__main__":
    main()
