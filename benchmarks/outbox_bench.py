"""Outbox throughput: queueing through the API vs the raw driver, and delivery over SMTP.

    python benchmarks/outbox_bench.py --dialect sqlite --messages 5000
    python benchmarks/outbox_bench.py --dialect postgresql --messages 5000 \
        --url postgresql+psycopg://postgres@127.0.0.1:5432/test
    python benchmarks/outbox_bench.py --part deliver --dialect postgresql --messages 3000

Queueing renders the template and inserts the row, 100 messages per transaction; the raw
driver inserts the same, already-rendered rows with executemany in transactions of 100.

Delivery (``--part deliver``): an aiosmtpd server in a process of its own on loopback;
two deliverer processes run ``p.outbox.deliver()`` until the queue is empty, next to a
plain ``smtplib`` loop (one connection, no database) sending the same messages. Runs
alternate; medians and the ratio are reported.
"""

from __future__ import annotations

import argparse
import json
import smtplib
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import update

from participatie.db import new_id
from participatie.outbox.delivery import OUTBOX
from participatie.outbox.mailers import OutgoingMessage, Sender, build_email
from participatie.testing import free_port, make_participatie, temporary_database

BATCH = 100


def run(url: str, messages: int) -> dict[str, Any]:
    p = make_participatie(url, sqlite_synchronous="FULL")
    p.migrate()
    started = time.perf_counter()
    for start in range(0, messages, BATCH):
        with p.unit_of_work() as s:
            for i in range(start, min(start + BATCH, messages)):
                p.outbox.enqueue(
                    s,
                    to=f"r{i}@example.nl",
                    template="notice",
                    context={"title": f"Bericht {i}", "message": "Uw handtekening is ontvangen."},
                )
    api_seconds = time.perf_counter() - started

    raw_seconds = _raw_insert(p.engine.url.render_as_string(hide_password=False), messages)

    p.dispose()
    return {
        "dialect": p.engine.dialect.name,
        "messages": messages,
        "enqueue_api_per_s": round(messages / api_seconds),
        "insert_raw_per_s": round(messages / raw_seconds),
    }


def _raw_insert(url: str, messages: int) -> float:
    now = datetime.now(UTC)
    rows = [
        (
            new_id(),
            now,
            "notice",
            "nl",
            f"raw{i}@example.nl",
            f"Bericht {i}",
            "Beste inwoner,\n\nUw handtekening is ontvangen.\n",
            "{}",
            "pending",
            0,
            now,
        )
        for i in range(messages)
    ]
    columns = (
        "id, created_at, template, locale, to_address, subject, text_body, headers, "
        "status, attempts, next_attempt_at"
    )
    if url.startswith("sqlite"):
        import sqlite3

        conn = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        sql = f"INSERT INTO participatie_outbox_message ({columns}) VALUES ({','.join('?' * 11)})"
        data: list[tuple[Any, ...]] = [
            (
                r[0].hex,
                r[1].replace(tzinfo=None).isoformat(" "),
                *r[2:10],
                r[10].replace(tzinfo=None).isoformat(" "),
            )
            for r in rows
        ]
        started = time.perf_counter()
        for start in range(0, messages, BATCH):
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(sql, data[start : start + BATCH])
            conn.execute("COMMIT")
        elapsed = time.perf_counter() - started
        conn.close()
        return elapsed
    import psycopg

    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as pg:
        sql = (
            f"INSERT INTO participatie_outbox_message ({columns}) VALUES ({','.join(['%s'] * 11)})"
        )
        started = time.perf_counter()
        for start in range(0, messages, BATCH):
            with pg.transaction(), pg.cursor() as cur:
                cur.executemany(sql, rows[start : start + BATCH])
        return time.perf_counter() - started


# -- delivery over SMTP ------------------------------------------------------------------

SERVER = r"""
import sys
from aiosmtpd.controller import Controller

count = 0


class Handler:
    async def handle_DATA(self, server, session, envelope):
        global count
        count += 1
        return "250 OK"


controller = Controller(Handler(), hostname="127.0.0.1", port=int(sys.argv[1]))
controller.start()
print("ready", flush=True)
for line in sys.stdin:
    if line.strip() == "count":
        print(count, flush=True)
controller.stop()
"""

DELIVERER = r"""
import sys
from participatie import SmtpSettings
from participatie.outbox.mailers import SmtpMailer
from participatie.testing import make_participatie

url, port, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
p = make_participatie(url, sqlite_synchronous="FULL")
mailer = SmtpMailer(SmtpSettings(host="127.0.0.1", port=port, from_address="noreply@example.nl"))
print("ready", flush=True)
sys.stdin.readline()
sent = 0
while True:
    report = p.outbox.deliver(batch, mailer=mailer)
    sent += report.sent
    if report.claimed == 0:
        break
print(sent, flush=True)
"""


def _spawn(code: str, *args: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen(  # noqa: S603  (this interpreter, our own code)
        [sys.executable, "-c", code, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if line.strip() != "ready":
        raise RuntimeError(f"helper process did not start: {line!r}")
    return proc


def _ask(proc: subprocess.Popen[str], line: str) -> str:
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(line + "\n")
    proc.stdin.flush()
    return proc.stdout.readline().strip()


def _library_round(url: str, port: int, deliverers: int, batch: int) -> tuple[float, int]:
    procs = [_spawn(DELIVERER, url, str(port), str(batch)) for _ in range(deliverers)]
    started = time.perf_counter()
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    sent = 0
    for proc in procs:
        assert proc.stdout is not None
        sent += int(proc.stdout.readline())
        proc.wait(60)
    return time.perf_counter() - started, sent


def _plain_round(port: int, messages: list[OutgoingMessage]) -> tuple[float, int]:
    """The same messages built with the same MIME code, sent over one connection with
    ``smtplib``, without a database."""

    started = time.perf_counter()
    sender = Sender("noreply@example.nl", "Gemeente")
    with smtplib.SMTP("127.0.0.1", port) as conn:
        for message in messages:
            conn.send_message(build_email(message, sender))
    return time.perf_counter() - started, len(messages)


def deliver_bench(
    url: str, messages: int, rounds: int, deliverers: int, batch: int
) -> dict[str, Any]:
    p = make_participatie(url, sqlite_synchronous="FULL")
    p.migrate()
    for start in range(0, messages, BATCH):
        with p.unit_of_work() as s:
            for i in range(start, min(start + BATCH, messages)):
                p.outbox.enqueue(
                    s,
                    to=f"r{i}@example.nl",
                    template="notice",
                    context={"title": f"Bericht {i}", "message": "Uw handtekening is ontvangen."},
                )
    outgoing = [
        OutgoingMessage(
            id=str(m.id),
            to=m.to_address,
            subject=m.subject,
            text=m.text_body,
            html=m.html_body,
            date=m.created_at,
        )
        for m in p.outbox.messages()
    ]
    port = free_port()
    server = _spawn(SERVER, str(port))
    plain: list[float] = []
    library: list[float] = []
    try:
        for _ in range(rounds):
            seconds, sent = _plain_round(port, outgoing)
            plain.append(sent / seconds)
            with p.engine.begin() as conn:
                conn.execute(
                    update(OUTBOX).values(
                        status="pending", attempts=0, sent_at=None, claim_token=None
                    )
                )
            before = int(_ask(server, "count"))
            seconds, sent = _library_round(url, port, deliverers, batch)
            received = int(_ask(server, "count")) - before
            if sent != messages or received != messages:
                raise RuntimeError(f"library sent {sent}, server got {received} of {messages}")
            library.append(sent / seconds)
    finally:
        assert server.stdin is not None
        server.stdin.close()
        server.wait(30)
        p.dispose()
    plain_median = statistics.median(plain)
    library_median = statistics.median(library)
    return {
        "dialect": p.engine.dialect.name,
        "messages": messages,
        "deliverers": deliverers,
        "batch": batch,
        "plain_smtplib_per_s": [round(r) for r in plain],
        "library_per_s": [round(r) for r in library],
        "plain_median_per_s": round(plain_median),
        "library_median_per_s": round(library_median),
        "ratio": round(library_median / plain_median, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dialect", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--part", choices=["queue", "deliver"], default="queue")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--deliverers", type=int, default=2)
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args()

    def bench(url: str) -> dict[str, Any]:
        if args.part == "queue":
            return run(url, args.messages)
        return deliver_bench(url, args.messages, args.rounds, args.deliverers, args.batch)

    if args.dialect == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            print(json.dumps(bench(f"sqlite:///{Path(tmp) / 'bench.db'}")))
    else:
        with temporary_database(args.url, prefix="participatie_bench") as url:
            print(json.dumps(bench(url)))


if __name__ == "__main__":
    main()
