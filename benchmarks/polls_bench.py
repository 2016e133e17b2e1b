"""Polls performance: ballots cast through the API next to the raw driver doing the same
statements, the tally of a million approval ballots, and generating voting codes.

    python benchmarks/polls_bench.py cast --dialect sqlite --ballots 2000
    python benchmarks/polls_bench.py cast --dialect postgresql --ballots 2000 \
        --url postgresql+psycopg://postgres@127.0.0.1:5432/test
    python benchmarks/polls_bench.py tally --ballots 1000000
    python benchmarks/polls_bench.py tally --dialect postgresql --ballots 1000000 \
        --url postgresql+psycopg://postgres@127.0.0.1:5432/test
    python benchmarks/polls_bench.py codes --codes 100000

A cast through the API parses and checks the code, validates the ballot, claims the
credential with a conditional UPDATE, inserts ballot and choices and appends an audit event,
one transaction per ballot. The raw driver runs the same UPDATE and INSERTs (HMAC of the
code and the ballot's line of the ballots file included, no audit event, no validation)
and commits per ballot too.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import io
import json
import secrets
import sqlite3
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import insert, update

from participatie.engine import Participatie
from participatie.polls.ballots import ballot_line, hash_ballots
from participatie.polls.models import BallotChoiceRow, BallotRow, CredentialRow, PollRow
from participatie.polls.schemas import BallotIn, OptionIn, PollIn
from participatie.testing import TEST_SECRET, make_participatie, temporary_database

OPTIONS = ["Hoog Paddepoel", "Ecozone", "Pleintje Zonnelaan", "Grasveld", "Siriusstraat"]


@contextmanager
def database(dialect: str, url: str | None) -> Iterator[str]:
    if dialect == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{Path(folder) / 'bench.db'}"
        return
    if not url:
        raise SystemExit(f"--url is needed for {dialect}")
    with temporary_database(url, prefix="participatie_bench") as temp:
        yield temp


def facade(url: str) -> Participatie:
    # Production durability on SQLite: FULL syncs the WAL on every commit.
    p = make_participatie(url, sqlite_synchronous="FULL")
    p.create_all()
    return p


def new_poll(p: Participatie, codes: int) -> tuple[uuid.UUID, list[str]]:
    poll = p.polls.create(
        PollIn(
            title="Benchmark",
            question="Waar komen de speelplekken?",
            options=[OptionIn(name=n) for n in OPTIONS],
            rule="approval",
            seats=2,
            max_choices=2,
        ),
        actor="bench",
    )
    buffer = io.BytesIO()
    p.polls.issue_codes(poll.id, buffer, count=codes, actor="bench")
    printed = [
        line.split(";")[2] for line in buffer.getvalue().decode("utf-8-sig").splitlines()[1:]
    ]
    p.polls.open(poll.id, actor="bench")
    return poll.id, printed


def cast(dialect: str, url: str | None, ballots: int, block: int = 250) -> dict[str, Any]:
    """API and raw driver take turns in blocks, so a busy machine slows both alike."""

    with database(dialect, url) as db_url:
        p = facade(db_url)
        poll_id, codes = new_poll(p, ballots)
        raw_poll, raw_codes = new_poll(p, ballots)
        key = TEST_SECRET.encode()
        connection = p.engine.raw_connection()
        cursor = connection.cursor()
        mark = "?" if dialect == "sqlite" else "%s"
        poll_param: Any = raw_poll.hex if dialect == "sqlite" else raw_poll

        def api_block(start: int) -> float:
            began = time.perf_counter()
            for i in range(start, min(start + block, ballots)):
                choices = [OPTIONS[i % 5], OPTIONS[(i + 1) % 5]]
                p.polls.cast(poll_id, BallotIn(choices=choices), code=codes[i])
            return time.perf_counter() - began

        def raw_block(start: int) -> float:
            began = time.perf_counter()
            for i in range(start, min(start + block, ballots)):
                compact = raw_codes[i].replace("-", "")
                digest = hmac.new(key, b"code\x00" + compact.encode(), hashlib.sha256).hexdigest()
                if dialect == "sqlite":
                    cursor.execute("BEGIN IMMEDIATE")
                cursor.execute(
                    "UPDATE participatie_polls_credential SET uses = uses + 1 "
                    f"WHERE poll_id = {mark} AND key_hash = {mark} AND uses < max_uses",
                    (poll_param, digest),
                )
                assert cursor.rowcount == 1
                ballot = uuid.uuid4()
                ballot_param: Any = ballot.hex if dialect == "sqlite" else ballot
                tracker = secrets.token_hex(8)
                line = json.dumps(
                    {
                        "channel": "online",
                        "choices": [OPTIONS[i % 5], OPTIONS[(i + 1) % 5]],
                        "invalid": False,
                        "tracker": tracker,
                    },
                    ensure_ascii=False,
                    separators=(",", ":"),
                )
                cursor.execute(
                    "INSERT INTO participatie_polls_ballot "
                    "(id, poll_id, tracker, channel, blank, invalid, superseded, line) "
                    f"VALUES ({mark}, {mark}, {mark}, 'online', {mark}, {mark}, {mark}, {mark})",
                    (ballot_param, poll_param, tracker, False, False, False, line),
                )
                cursor.executemany(
                    "INSERT INTO participatie_polls_ballot_choice "
                    "(ballot_id, option_position, poll_id, channel, counted, rank, points) "
                    f"VALUES ({mark}, {mark}, {mark}, 'online', {mark}, 0, 1)",
                    [
                        (ballot_param, 1 + i % 5, poll_param, True),
                        (ballot_param, 1 + (i + 1) % 5, poll_param, True),
                    ],
                )
                connection.commit()
            return time.perf_counter() - began

        api = raw = 0.0
        for start in range(0, ballots, block):
            api += api_block(start)
            raw += raw_block(start)
        connection.close()
        p.dispose()
    return {
        "benchmark": "cast",
        "dialect": dialect,
        "ballots": ballots,
        "api_ballots_per_s": round(ballots / api),
        "raw_ballots_per_s": round(ballots / raw),
    }


def tally(dialect: str, url: str | None, ballots: int, waiting: int | None) -> dict[str, Any]:
    """Load ``ballots`` as casting would leave them: the ``polls.mix`` job mixes each
    ``mix_size`` while voting goes on, the last ``waiting`` (default: one short of a mix,
    the most a closing meets) are left for closing to mix."""

    with database(dialect, url) as db_url:
        p = make_participatie(db_url, sqlite_synchronous="NORMAL")
        p.create_all()
        poll = p.polls.create(
            PollIn(
                title="Miljoen",
                question="Waar?",
                options=[OptionIn(name=n) for n in OPTIONS],
                rule="approval",
                seats=2,
                max_choices=2,
                eligibility="codes",
            ),
            actor="bench",
        )
        p.polls.open(poll.id, actor="bench")
        now = p.clock.now()
        started = time.perf_counter()
        batch = p.settings.polls.mix_size
        left = min(ballots, batch - 1 if waiting is None else waiting)
        mixing = 0.0
        for start in range(0, ballots, batch):
            creds: list[dict[str, Any]] = []
            rows: list[dict[str, Any]] = []
            choices: list[dict[str, Any]] = []
            for i in range(start, min(start + batch, ballots)):
                creds.append(
                    {
                        "id": uuid.uuid4(),
                        "poll_id": poll.id,
                        "kind": "code",
                        "key_hash": secrets.token_hex(32),
                        "serial": i + 1,
                        "status": "active",
                        "max_uses": 1,
                        "uses": 1,
                        "changes": 0,
                        "created_at": now,
                    }
                )
                ballot = uuid.uuid4()
                blank = i % 50 == 0
                rows.append(
                    {
                        "id": ballot,
                        "poll_id": poll.id,
                        "tracker": secrets.token_hex(8),
                        "channel": "online" if i % 4 else "paper",
                        "blank": blank,
                        "invalid": False,
                        "superseded": False,
                    }
                )
                picks = set() if blank else {i % 5 + 1, (i * 7 // 3) % 5 + 1}
                rows[-1]["line"] = ballot_line(
                    rows[-1]["tracker"],
                    rows[-1]["channel"],
                    [OPTIONS[pos - 1] for pos in sorted(picks)],
                    False,
                )
                for pos in picks:
                    choices.append(
                        {
                            "ballot_id": ballot,
                            "option_position": pos,
                            "poll_id": poll.id,
                            "channel": rows[-1]["channel"],
                            "counted": True,
                            "rank": 0,
                            "points": 1,
                        }
                    )
            with p.session_scope() as s:
                s.execute(insert(CredentialRow), creds)
                s.execute(insert(BallotRow), rows)
                s.execute(insert(BallotChoiceRow), choices)
            if start + batch <= ballots - left:
                begun = time.perf_counter()
                p.polls.mix_due()
                mixing += time.perf_counter() - begun
        with p.session_scope() as s:
            s.execute(update(PollRow).where(PollRow.id == poll.id).values(codes_issued_at=now))
        load = time.perf_counter() - started - mixing
        with p.session_scope(readonly=True) as s:
            # What closing adds to a poll of this size: the ballots file's SHA-256 alone.
            started = time.perf_counter()
            hash_ballots(s, s.get_one(PollRow, poll.id))
            hashed = time.perf_counter() - started
        with WriteProbe(db_url) as probe:
            started = time.perf_counter()
            p.polls.close(poll.id, actor="bench")
            close = time.perf_counter() - started
        close_wait = probe.longest
        started = time.perf_counter()
        result = p.polls.tally(poll.id)
        counted = time.perf_counter() - started
        started = time.perf_counter()
        with tempfile.TemporaryDirectory() as folder, open(Path(folder) / "b.json", "wb") as fh:
            p.polls.write_ballots(poll.id, fh)
        written = time.perf_counter() - started
        events = [(e.action, e.data) for e in p.audit.events(subject_id=poll.id)]
        closed_at = [a for a, _ in events].index("poll.closed")
        mixed_at_closing = sum(d["live"] for a, d in events[closed_at:] if a == "poll.mixed")
        with WriteProbe(db_url) as probe:
            started = time.perf_counter()
            p.polls.publish(poll.id, actor="bench")
            published = time.perf_counter() - started
        publish_wait = probe.longest
        p.dispose()
    return {
        "benchmark": "tally",
        "dialect": dialect,
        "ballots": result.ballots,
        "choices": sum(o.votes for o in result.options),
        "winners": result.winners,
        "load_seconds": round(load, 1),
        "mixing_while_voting_seconds": round(mixing, 1),
        "mixed_at_closing": mixed_at_closing,
        "ballots_hash_seconds": round(hashed, 2),
        "close_seconds_incl_ballots_hash": round(close, 2),
        "tally_seconds": round(counted, 2),
        "write_ballots_json_seconds": round(written, 2),
        "publish_seconds": round(published, 2),
        # SQLite: the longest a one-row write elsewhere waited (the write lock's hold).
        "longest_write_wait_closing_seconds": close_wait,
        "longest_write_wait_publishing_seconds": publish_wait,
    }


class WriteProbe:
    """On SQLite, another connection writing one row every 5 ms while the block runs:
    ``longest`` is the longest such a write waited (seconds), that is how long the
    database's write lock was held at a stretch; ``None`` on the other databases, where
    a write elsewhere does not wait for the poll's transactions."""

    def __init__(self, url: str) -> None:
        self.path = url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else None
        self.waits: list[float] = []
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        assert self.path is not None
        conn = sqlite3.connect(self.path, isolation_level=None, timeout=600)
        conn.execute("CREATE TABLE IF NOT EXISTS bench_probe (at REAL)")
        while not self.done.is_set():
            begun = time.perf_counter()
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO bench_probe VALUES (?)", (begun,))
            conn.execute("COMMIT")
            self.waits.append(time.perf_counter() - begun)
            time.sleep(0.005)
        conn.close()

    @property
    def longest(self) -> float | None:
        return round(max(self.waits), 3) if self.path and self.waits else None

    def __enter__(self) -> WriteProbe:
        if self.path:
            self.thread.start()
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.path:
            time.sleep(0.05)
            self.done.set()
            self.thread.join()


def codes(count: int) -> dict[str, Any]:
    with database("sqlite", None) as db_url:
        p = facade(db_url)
        poll = p.polls.create(
            PollIn(title="Codes", question="?", options=[OptionIn(name="a"), OptionIn(name="b")]),
            actor="bench",
        )
        buffer = io.BytesIO()
        started = time.perf_counter()
        result = p.polls.issue_codes(poll.id, buffer, count=count, actor="bench")
        seconds = time.perf_counter() - started
        p.dispose()
    return {
        "benchmark": "codes",
        "dialect": "sqlite",
        "codes": result.issued,
        "seconds": round(seconds, 2),
        "codes_per_s": round(result.issued / seconds),
        "csv_bytes": len(buffer.getvalue()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    c = sub.add_parser("cast")
    c.add_argument("--dialect", choices=["sqlite", "postgresql", "mariadb"], default="sqlite")
    c.add_argument("--url")
    c.add_argument("--ballots", type=int, default=2000)
    t = sub.add_parser("tally")
    t.add_argument("--dialect", choices=["sqlite", "postgresql", "mariadb"], default="sqlite")
    t.add_argument("--url")
    t.add_argument("--ballots", type=int, default=1_000_000)
    t.add_argument("--waiting", type=int, help="ballots left for closing to mix")
    k = sub.add_parser("codes")
    k.add_argument("--codes", type=int, default=100_000)
    args = parser.parse_args()
    if args.what == "cast":
        out = cast(args.dialect, args.url, args.ballots)
    elif args.what == "tally":
        out = tally(args.dialect, args.url, args.ballots, args.waiting)
    else:
        out = codes(args.codes)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
