"""Outbox throughput: queueing through the API vs the raw driver, and delivery over SMTP.

    python benchmarks/outbox_bench.py --dialect sqlite --messages 5000
    python benchmarks/outbox_bench.py --dialect postgresql --messages 5000 \
        --url postgresql+psycopg://postgres@127.0.0.1:5432/test

Queueing renders the template and inserts the row, 100 messages per transaction; the raw
driver inserts the same, already-rendered rows with executemany in transactions of 100.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from participatie import SmtpSettings
from participatie.db import new_id
from participatie.outbox.mailers import SmtpMailer
from participatie.testing import make_participatie, smtp_server, temporary_database

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

    with smtp_server() as sink:
        mailer = SmtpMailer(SmtpSettings(host=sink.host, port=sink.port))
        started = time.perf_counter()
        while p.outbox.deliver(200, mailer=mailer).claimed:
            pass
        deliver_seconds = time.perf_counter() - started
        delivered = len(sink.messages)
    p.dispose()
    return {
        "dialect": p.engine.dialect.name,
        "messages": messages,
        "enqueue_api_per_s": round(messages / api_seconds),
        "insert_raw_per_s": round(messages / raw_seconds),
        "deliver_smtp_per_s": round(delivered / deliver_seconds),
        "delivered": delivered,
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dialect", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--messages", type=int, default=5000)
    args = parser.parse_args()
    if args.dialect == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            print(json.dumps(run(f"sqlite:///{Path(tmp) / 'bench.db'}", args.messages)))
    else:
        with temporary_database(args.url, prefix="participatie_bench") as url:
            print(json.dumps(run(url, args.messages)))


if __name__ == "__main__":
    main()
