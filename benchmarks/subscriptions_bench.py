"""The digest for many subscribers on PostgreSQL, next to the raw driver inserting the same
pre-rendered outbox rows, with the process's peak memory while the digest runs.

    python benchmarks/subscriptions_bench.py --subscribers 100000 --events 50

Half the subscribers follow Paddepoel (daily), half the whole municipality (daily, topics
polls and dossiers); the events are spread over three wijken and the whole municipality.
The API side is ``p.subscriptions.digest(frequency="daily", force=True)``: it reads the
subscribers a page of 1,000 at a time, matches, renders each distinct digest text once per
language (each subscriber's own link filled in), queues the page through
``p.outbox.enqueue_many`` (one multi-row INSERT ... ON CONFLICT DO NOTHING RETURNING per
page, each row with its "never twice" key) and moves the high-water marks. The raw side
inserts the very rows the API wrote (read back first, not timed) into a copy of the outbox
table with psycopg's ``executemany`` in one transaction: the floor for writing that many
messages.
"""

from __future__ import annotations

import argparse
import json
import os
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, text

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SECRET = "benchmark-secret-key-long-enough"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


class PeakRss:
    """Samples the resident set every 50 ms while the block runs."""

    def __enter__(self) -> PeakRss:
        self.start = rss_mb()
        self.peak = self.start
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            self.peak = max(self.peak, rss_mb())

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_mb())


def seed(p: Any, subscribers: int, events: int) -> None:
    from participatie.areas import AreaIn
    from participatie.db import new_id
    from participatie.subscriptions.models import EventRow, FollowRow, SubscriberRow

    for code in ("paddepoel", "selwerd", "centrum"):
        p.areas.create(AreaIn(code=code, name=code.title(), postcodes=[]), actor="bench")
    since = START - timedelta(days=30)
    with p.session_scope() as s:
        for start in range(0, subscribers, 5000):
            subs, follows = [], []
            for n in range(start, min(start + 5000, subscribers)):
                sid = new_id()
                subs.append(
                    {
                        "id": sid,
                        "address": f"inwoner{n}@example.nl",
                        "mailbox_hash": f"{n:064d}",
                        "frequency": "daily",
                        "locale": "nl" if n % 5 else "en",
                        "confirmed_at": since,
                        "last_seq": 0,
                    }
                )
                paddepoel = n % 2 == 0
                follows.append(
                    {
                        "id": new_id(),
                        "subscriber_id": sid,
                        "kind": "area",
                        "target": "paddepoel" if paddepoel else "*",
                        "topics": "" if paddepoel else "dossiers,polls",
                        "created_at": since,
                    }
                )
            s.execute(insert(SubscriberRow), subs)
            s.execute(insert(FollowRow), follows)
        areas = [["paddepoel"], ["selwerd"], ["centrum", "paddepoel"], []]
        topics = ["polls", "dossiers", "petitions", "decisions"]
        s.execute(
            insert(EventRow),
            [
                {
                    "seq": i + 1,
                    "occurred_at": START - timedelta(hours=events - i),
                    "kind": "dossier.document_added",
                    "topic": topics[i % 4],
                    "subject_type": "reactions_dossier",
                    "subject_id": str(uuid.uuid4()),
                    "title": f"Plan {i + 1}: nieuwe speelplekken en groen",
                    "area_codes": areas[i % 4],
                    "url": f"https://participatie.example.nl/dossiers/{uuid.uuid4()}",
                    "urgent": False,
                    "notified_at": None,
                }
                for i in range(events)
            ],
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default=os.environ.get("PARTICIPATIE_BENCH_POSTGRES", DEFAULT_PG))
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=50)
    args = parser.parse_args()

    import psycopg

    from participatie.clock import FixedClock
    from participatie.config import Settings
    from participatie.engine import Participatie
    from participatie.outbox.mailers import RecordingMailer
    from participatie.outbox.models import OutboxMessageRow
    from participatie.testing import temporary_database

    with temporary_database(args.url, prefix="participatie_bench") as url:
        settings = Settings.load(
            database_url=url,
            secret_keys=[SECRET],
            hash_key=SECRET,
            public_base_url="https://participatie.example.nl",
        )
        p = Participatie(settings, clock=FixedClock(START), mailer=RecordingMailer())
        p.create_all()
        seed(p, args.subscribers, args.events)

        with PeakRss() as memory:
            began = time.perf_counter()
            runs = p.subscriptions.digest(frequency="daily", force=True)
            api_seconds = time.perf_counter() - began
        queued = runs[0].queued
        again = time.perf_counter()
        second = p.subscriptions.digest(frequency="daily", force=True)[0].queued
        again_seconds = time.perf_counter() - again

        columns = [c.name for c in OutboxMessageRow.__table__.columns]
        with p.session_scope(readonly=True) as s:
            rows = [
                tuple(
                    uuid.uuid4() if name == "id" else value
                    for name, value in zip(columns, row, strict=True)
                )
                for row in s.execute(select(*OutboxMessageRow.__table__.columns))
            ]
        rows = [
            tuple(
                f"raw:{value}" if name == "dedupe_key" and value else value
                for name, value in zip(columns, row, strict=True)
            )
            for row in rows
        ]
        raw_url = url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(raw_url) as conn:
            conn.execute("CREATE TABLE raw_outbox (LIKE participatie_outbox_message INCLUDING ALL)")
            conn.commit()
            placeholders = ", ".join(["%s"] * len(columns))
            sql = f"INSERT INTO raw_outbox ({', '.join(columns)}) VALUES ({placeholders})"
            began = time.perf_counter()
            with conn.cursor() as cur:
                cur.executemany(sql, rows)
            conn.commit()
            raw_seconds = time.perf_counter() - began
        with p.session_scope(readonly=True) as s:
            server = s.execute(text("SHOW server_version")).scalar_one()
        p.dispose()

    print(
        json.dumps(
            {
                "postgresql": server,
                "subscribers": args.subscribers,
                "events": args.events,
                "digests_queued": queued,
                "api_seconds": round(api_seconds, 1),
                "api_digests_per_second": round(queued / api_seconds),
                "second_run_queued": second,
                "second_run_seconds": round(again_seconds, 1),
                "raw_insert_seconds": round(raw_seconds, 1),
                "raw_rows_per_second": round(len(rows) / raw_seconds),
                "rss_before_mb": round(memory.start),
                "rss_peak_during_digest_mb": round(memory.peak),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
