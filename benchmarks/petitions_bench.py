"""Petition throughput and export memory: sign + confirm cycles through the public API next
to the raw driver issuing the same SQL with the same durability, and a 1,000,000-row CSV.

    python benchmarks/petitions_bench.py cycles --dialect sqlite --signers 2000 --workers 4
    python benchmarks/petitions_bench.py cycles --dialect postgresql --signers 4000 --workers 4
    python benchmarks/petitions_bench.py export --dialect postgresql --rows 1000000

Workers are processes (each with its own facade or connection), so Python runs on every
core. Phase one: every worker signs its share; phase two: every worker presses the button
in its confirmation mails. The rate is signers / (wall time of signing + of confirming);
reading the links out of the outbox between the phases is not timed, for either side.
The raw side runs the statements the API sends to the database for the same work
(including the tally's upserts, one count on signing and four on confirming, and the
send caps' upsert; on PostgreSQL the API's two combined statements, the new signature
with its count, slots and mail, and the whole confirmation). The minimal side does the
least a cycle needs: one transaction inserting the signature, one marking it confirmed
and adding one to one counter row.
``--rounds N`` alternates the three sides N times and ends with their medians and the
ratios API/raw and API/minimal.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import multiprocessing as mp
import os
import random
import re
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SECRET = "benchmark-secret-key-long-enough"
LINK = re.compile(r"/petitions/confirm/([A-Za-z0-9_.\-]+)")
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def facade(url: str) -> Any:
    from participatie.clock import FixedClock
    from participatie.config import Settings
    from participatie.engine import Participatie
    from participatie.outbox.mailers import RecordingMailer

    settings = Settings.load(
        database_url=url, secret_keys=[SECRET], sqlite_synchronous="FULL", hash_key=SECRET
    )
    return Participatie(settings, clock=FixedClock(START), mailer=RecordingMailer())


@contextmanager
def database(dialect: str, url: str | None) -> Iterator[str]:
    if dialect == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{folder}/bench.db"
        return
    from participatie.testing import temporary_database

    with temporary_database(url or DEFAULT_PG, prefix="participatie_bench") as made:
        yield made


def open_petition(p: Any, title: str, creator_email: str) -> str:
    """An open petition (the creator confirmed, the griffie approved) with a threshold far
    ahead, as during most of a petition: every confirmation checks it."""

    from participatie.petitions.schemas import PetitionIn

    petition = p.petitions.create(
        PetitionIn(
            title=title,
            summary="Benchmark",
            body="Benchmark",
            creator_name="Bench",
            creator_email=creator_email,
        )
    )
    body = p.outbox.messages(to=creator_email)[-1].text_body
    found = re.search(r"/petitions/creator/([A-Za-z0-9_.\-]+)", body)
    assert found
    p.petitions.confirm_creator(found.group(1))
    p.petitions.approve(
        petition.id,
        actor="bench",
        closes_at=START + timedelta(days=30),
        thresholds=[10_000_000],
    )
    return str(petition.id)


def prepare(url: str) -> str:
    """Tables, two wijken and an open petition; returns the petition id."""

    import participatie.models  # noqa: F401
    from participatie.areas import AreaIn

    p = facade(url)
    p.create_all()
    p.areas.create(AreaIn(code="centrum", name="Centrum", postcodes=["9711-9712"]), actor="bench")
    p.areas.create(AreaIn(code="paddepoel", name="Paddepoel", postcodes=["9742"]), actor="bench")
    petition_id = open_petition(p, "Groot scherm op de Grote Markt", "bench@example.nl")
    p.dispose()
    return petition_id


def person(n: int) -> dict[str, Any]:
    return {
        "name": f"Inwoner {n}",
        "email": f"inwoner{n}@gmail.com",
        "postcode": "9711 AB" if n % 2 else "9742 CD",
        "house_number": str(n % 300 + 1),
        "notify_answer": True,
    }


def ip_of(n: int) -> str:
    # A network of its own per signer: the rate limits are not what is measured here.
    return f"10.{n // 256 % 256}.{n % 256}.1"


# -- the public API --------------------------------------------------------------------


def api_worker(url: str, petition: str, ids: range, barrier: Any) -> None:
    from participatie.outbox.models import OutboxMessageRow
    from participatie.petitions.schemas import SignatureIn

    p = facade(url)
    pid = uuid.UUID(petition)
    people = [SignatureIn.model_validate(person(n)) for n in ids]
    barrier.wait()
    for n, data in zip(ids, people, strict=True):
        p.petitions.sign(pid, data, ip=ip_of(n))
    barrier.wait()
    wanted = {data.email for data in people}
    with p.session_scope(readonly=True) as s:
        rows = s.execute(
            select(OutboxMessageRow.to_address, OutboxMessageRow.text_body).where(
                OutboxMessageRow.template == "petitions_confirm"
            )
        ).all()
    tokens = [m.group(1) for to, body in rows if to in wanted and (m := LINK.search(body))]
    barrier.wait()
    for token in tokens:
        p.petitions.confirm(token)
    barrier.wait()
    p.dispose()


# -- the raw driver --------------------------------------------------------------------


class Raw:
    """The statements the API issues per sign and per confirm, on a bare DB-API connection."""

    def __init__(self, url: str) -> None:
        from sqlalchemy.engine import make_url

        parsed = make_url(url)
        self.sqlite = parsed.get_backend_name() == "sqlite"
        if self.sqlite:
            self.conn: Any = sqlite3.connect(parsed.database or "", isolation_level=None)
            self.conn.execute("PRAGMA journal_mode = WAL")
            self.conn.execute("PRAGMA synchronous = FULL")
            self.conn.execute("PRAGMA busy_timeout = 30000")
        else:
            import psycopg

            self.conn = psycopg.connect(
                host=parsed.host,
                port=parsed.port,
                user=parsed.username,
                password=parsed.password,
                dbname=parsed.database,
                # The transactions are the ones begin() and commit() send: without
                # autocommit psycopg would send a BEGIN of its own before each.
                autocommit=True,
            )
        self.cur = self.conn.cursor()

    def q(self, sql: str) -> str:
        return sql.replace("%s", "?") if self.sqlite else sql

    def uid(self, value: uuid.UUID) -> Any:
        return value.hex if self.sqlite else value

    def ts(self, value: datetime) -> Any:
        return value.replace(tzinfo=None).isoformat(sep=" ") if self.sqlite else value

    def begin(self) -> None:
        self.cur.execute("BEGIN IMMEDIATE" if self.sqlite else "BEGIN")

    def commit(self) -> None:
        self.cur.execute("COMMIT")


EXISTING_SQL = (
    "SELECT id, status, resends, email, email_hash, name, locale "
    "FROM participatie_petition_signature WHERE petition_id = %s AND email_hash = %s"
)
RATE_SQL = (
    "SELECT count(*), coalesce(sum(CASE WHEN ip_hash = %s THEN 1 ELSE 0 END), 0) "
    "FROM participatie_petition_signature "
    "WHERE petition_id = %s AND subnet_hash = %s AND created_at >= %s"
)
INSERT_SIG = (
    "INSERT INTO participatie_petition_signature (id, petition_id, created_at, status, name, "
    "email, email_hash, email_domain, postcode, house_number, ip_hash, subnet_hash, area_code, "
    "show_name, notify_answer, declared_min_age, declared_resident, locale, resends) "
    "VALUES (%s, %s, %s, 'pending', %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 'nl', 0) "
    "ON CONFLICT (petition_id, email_hash) DO NOTHING RETURNING id"
)
INSERT_MAIL = (
    "INSERT INTO participatie_outbox_message (id, created_at, template, locale, to_address, "
    "subject, text_body, headers, subject_type, subject_id, status, attempts, next_attempt_at) "
    "VALUES (%s, %s, 'petitions_confirm', 'nl', %s, %s, %s, '{}', 'petition_signature', %s, "
    "'pending', 0, %s)"
)
SELECT_SIG = (
    "SELECT id, petition_id, status, email_hash FROM participatie_petition_signature WHERE id = %s"
)
CONFIRM_SQL = (
    "UPDATE participatie_petition_signature SET status = 'verified', confirmed_at = %s, "
    "confirmed_day = %s WHERE id = %s AND status = 'pending'"
)
TOTAL_SQL = (
    "SELECT (SELECT coalesce(sum(verified), 0) FROM participatie_petition_counter "
    "WHERE petition_id = %s) + (SELECT coalesce(sum(count), 0) "
    "FROM participatie_petition_paper_batch WHERE petition_id = %s)"
)
BUMP_SQL = (
    "UPDATE participatie_petition_counter SET verified = verified + 1 "
    "WHERE petition_id = %s AND shard = %s"
)
#: The tally (counts per state, wijk and day): one upsert per count, sent as executemany.
TALLY_SQL = (
    "INSERT INTO participatie_petition_tally (petition_id, kind, label, shard, n) "
    "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (petition_id, kind, label, shard) "
    "DO UPDATE SET n = participatie_petition_tally.n + excluded.n"
)

#: The send caps: a slot for the address and one for the network, in one upsert.
CAP_SQL = (
    "INSERT INTO participatie_send_cap (scope, key_hash, window_start, sent, suppressed) "
    "VALUES (%s, %s, %s, 1, 0), (%s, %s, %s, 1, 0) "
    "ON CONFLICT (scope, key_hash, window_start) "
    "DO UPDATE SET sent = participatie_send_cap.sent + 1 "
    "WHERE participatie_send_cap.sent < CASE WHEN participatie_send_cap.scope = 'address' "
    "THEN 5 ELSE 200 END RETURNING scope"
)


def _postgresql_text(statement: Any) -> str:
    from sqlalchemy.dialects.postgresql.psycopg import dialect

    return str(statement.compile(dialect=dialect()))  # type: ignore[no-untyped-call]


def _whole_statements() -> tuple[str, str]:
    """PostgreSQL: the API's statements that write a signature with its count, slots and
    mail, and a whole confirmation, as the driver gets them."""

    from participatie.petitions.combined import CONFIRM_WHOLE, sign_whole

    return _postgresql_text(sign_whole(2).statement), _postgresql_text(CONFIRM_WHOLE.statement)


def whole_sign_params(
    sig_id: uuid.UUID,
    pid: Any,
    data: dict[str, Any],
    email_hash: str,
    ip_hash: str,
    subnet_hash: str,
) -> dict[str, Any]:
    now = START
    body = f"Beste {data['name']},\n/petitions/confirm/{sig_id.hex}\n"
    window = START.replace(minute=0)
    return {
        "id": sig_id,
        "petition_id": pid,
        "created_at": now,
        "status": "pending",
        "fraud_reason": None,
        "name": data["name"],
        "email": data["email"],
        "email_hash": email_hash,
        "mailbox_hash": email_hash,
        "email_domain": "gmail.com",
        "postcode": data["postcode"],
        "house_number": data["house_number"],
        "ip_hash": ip_hash,
        "subnet_hash": subnet_hash,
        "area_id": None,
        "area_code": "centrum",
        "show_name": False,
        "notify_answer": True,
        "declared_min_age": False,
        "declared_resident": False,
        "locale": "nl",
        "resends": 0,
        "shard_no": random.randrange(16),
        "start": window,
        "scope0": "address",
        "key0": email_hash,
        "cap0": 5,
        "scope1": "network",
        "key1": subnet_hash,
        "cap1": 200,
        "mail_id": uuid.uuid4(),
        "mail_created_at": now,
        "mail_template": "petitions_confirm",
        "mail_locale": "nl",
        "mail_to_address": data["email"],
        "mail_subject": "Bevestig uw handtekening",
        "mail_text_body": body,
        "mail_html_body": None,
        "mail_headers": "{}",
        "mail_dedupe_key": None,
        "mail_subject_type": "petition_signature",
        "mail_subject_id": str(sig_id),
        "mail_status": "pending",
        "mail_attempts": 0,
        "mail_unknown_outcomes": 0,
        "mail_next_attempt_at": now,
    }


def raw_worker(url: str, petition: str, ids: range, barrier: Any) -> None:
    raw = Raw(url)
    sign_whole, confirm_whole = ("", "") if raw.sqlite else _whole_statements()
    pid = raw.uid(uuid.UUID(petition))
    key = SECRET.encode()

    def h(kind: str, value: str) -> str:
        return hmac.new(key, kind.encode() + b"\0" + value.encode(), hashlib.sha256).hexdigest()

    now = raw.ts(START)
    since = raw.ts(START - timedelta(hours=1))
    made = []
    for n in ids:
        data = person(n)
        ip = ip_of(n)
        made.append(
            (
                uuid.uuid4(),
                data,
                h("email", data["email"]),
                h("ip", ip),
                h("subnet", ip.rsplit(".", 1)[0] + ".0/24"),
            )
        )
    barrier.wait()
    for sig_id, data, email_hash, ip_hash, subnet_hash in made:
        raw.begin()
        # The API keeps the petition's state for two seconds: no snapshot query here.
        raw.cur.execute(raw.q(EXISTING_SQL), (pid, email_hash))
        raw.cur.fetchone()
        if not raw.sqlite:  # the API serialises per network on PostgreSQL
            raw.cur.execute("SELECT pg_advisory_xact_lock(%s)", (int(subnet_hash[:15], 16),))
            raw.cur.fetchone()
        raw.cur.execute(raw.q(RATE_SQL), (ip_hash, pid, subnet_hash, since))
        raw.cur.fetchone()
        if not raw.sqlite:  # the API writes the rest in one statement on PostgreSQL
            raw.cur.execute(
                sign_whole, whole_sign_params(sig_id, pid, data, email_hash, ip_hash, subnet_hash)
            )
            raw.cur.fetchone()
            raw.commit()
            continue
        raw.cur.execute(
            raw.q(INSERT_SIG),
            (
                raw.uid(sig_id),
                pid,
                now,
                data["name"],
                data["email"],
                email_hash,
                "gmail.com",
                data["postcode"],
                data["house_number"],
                ip_hash,
                subnet_hash,
                "centrum",
                False,
                True,
                False,
                False,
            ),
        )
        raw.cur.fetchone()
        raw.cur.executemany(raw.q(TALLY_SQL), [(pid, "state", "pending", random.randrange(16), 1)])
        window = raw.ts(START.replace(minute=0))
        raw.cur.execute(
            raw.q(CAP_SQL), ("address", email_hash, window, "network", subnet_hash, window)
        )
        raw.cur.fetchall()
        body = f"Beste {data['name']},\n/petitions/confirm/{sig_id.hex}\n"
        raw.cur.execute(
            raw.q(INSERT_MAIL),
            (
                raw.uid(uuid.uuid4()),
                now,
                data["email"],
                "Bevestig uw handtekening",
                body,
                str(sig_id),
                now,
            ),
        )
        raw.commit()
    barrier.wait()
    barrier.wait()
    day = START.date().isoformat() if raw.sqlite else START.date()
    for sig_id, *_ in made:
        raw.begin()
        if not raw.sqlite:  # one statement on PostgreSQL, as the API sends it
            raw.cur.execute(
                confirm_whole,
                {
                    "sid": sig_id,
                    "now": now,
                    "day": day,
                    "day_label": START.date().isoformat(),
                    "shard_no": random.randrange(16),
                },
            )
            raw.cur.fetchone()
            raw.commit()
            continue
        raw.cur.execute(raw.q(SELECT_SIG), (raw.uid(sig_id),))
        raw.cur.fetchone()
        raw.cur.execute(raw.q(CONFIRM_SQL), (now, day, raw.uid(sig_id)))
        raw.cur.execute(raw.q(BUMP_SQL), (pid, random.randrange(16)))
        shard = random.randrange(16)
        raw.cur.executemany(
            raw.q(TALLY_SQL),
            [
                (pid, "area", "centrum", shard, 1),
                (pid, "day", START.date().isoformat(), shard, 1),
                (pid, "state", "pending", shard, -1),
                (pid, "state", "verified", shard, 1),
            ],
        )
        # A threshold is still ahead, so the API reads online + paper after each confirm.
        raw.cur.execute(raw.q(TOTAL_SQL), (pid, pid))
        raw.cur.fetchone()
        raw.commit()
    barrier.wait()
    raw.conn.close()


MINIMAL_SIGN = (
    "INSERT INTO participatie_petition_signature (id, petition_id, created_at, status, name, "
    "email, email_hash, email_domain, postcode, house_number, ip_hash, subnet_hash, area_code, "
    "show_name, notify_answer, declared_min_age, declared_resident, locale, resends) "
    "VALUES (%s, %s, %s, 'pending', %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 'nl', 0)"
)


def minimal_worker(url: str, petition: str, ids: range, barrier: Any) -> None:
    """The least a cycle needs: one transaction inserting the signature, one marking it
    confirmed and adding one to one counter row. No checks, no mail, no tally."""

    raw = Raw(url)
    pid = raw.uid(uuid.UUID(petition))
    key = SECRET.encode()
    now = raw.ts(START)
    day = START.date().isoformat() if raw.sqlite else START.date()
    made = []
    for n in ids:
        data = person(n)
        digest = hmac.new(key, data["email"].encode(), hashlib.sha256).hexdigest()
        made.append((uuid.uuid4(), data, digest))
    barrier.wait()
    for sig_id, data, email_hash in made:
        raw.begin()
        raw.cur.execute(
            raw.q(MINIMAL_SIGN),
            (
                raw.uid(sig_id),
                pid,
                now,
                data["name"],
                data["email"],
                email_hash,
                "gmail.com",
                data["postcode"],
                data["house_number"],
                "ip",
                "subnet",
                "centrum",
                False,
                True,
                False,
                False,
            ),
        )
        raw.commit()
    barrier.wait()
    barrier.wait()
    for sig_id, *_ in made:
        raw.begin()
        raw.cur.execute(raw.q(CONFIRM_SQL), (now, day, raw.uid(sig_id)))
        raw.cur.execute(raw.q(BUMP_SQL), (pid, random.randrange(16)))
        raw.commit()
    barrier.wait()
    raw.conn.close()


# -- running ---------------------------------------------------------------------------

WORKERS = {"api": api_worker, "raw": raw_worker, "minimal": minimal_worker}


def cycles(dialect: str, url: str | None, signers: int, workers: int, side: str) -> dict[str, Any]:
    with database(dialect, url) as db_url:
        petition = prepare(db_url)
        target = WORKERS[side]
        barrier = mp.Barrier(workers + 1)
        share = signers // workers
        procs = [
            mp.Process(
                target=target, args=(db_url, petition, range(i * share, (i + 1) * share), barrier)
            )
            for i in range(workers)
        ]
        for proc in procs:
            proc.start()
        barrier.wait()  # everyone ready
        t0 = time.perf_counter()
        barrier.wait()  # everyone signed
        signing = time.perf_counter() - t0
        barrier.wait()  # everyone has their links
        t1 = time.perf_counter()
        barrier.wait()  # everyone confirmed
        confirming = time.perf_counter() - t1
        for proc in procs:
            proc.join()
            if proc.exitcode:
                raise SystemExit(f"a worker failed with exit code {proc.exitcode}")
        p = facade(db_url)
        counted = p.petitions.count(uuid.UUID(petition))
        p.dispose()
    total = share * workers
    return {
        "dialect": dialect,
        "side": side,
        "workers": workers,
        "signers": total,
        "verified_counted": counted,
        "sign_per_s": round(total / signing),
        "confirm_per_s": round(total / confirming),
        "cycles_per_s": round(total / (signing + confirming)),
    }


def fill(db_url: str, petition: str, rows: int) -> None:
    """Put ``rows`` verified signatures in place quickly (COPY on PostgreSQL)."""

    raw = Raw(db_url)
    pid = uuid.UUID(petition)
    when = START
    names = ["=Formule", "José Müller", "Anna de Vries", "+31 6", "Piet"]

    def row(n: int) -> tuple[Any, ...]:
        return (
            raw.uid(uuid.uuid4()),
            raw.uid(pid),
            raw.ts(when + timedelta(microseconds=n)),
            "verified",
            f"{names[n % 5]} {n}",
            f"s{n}@example.nl",
            hashlib.sha256(str(n).encode()).hexdigest(),
            "example.nl",
            "9711 AB",
            "centrum",
            False,
            True,
            False,
            False,
            "nl",
            0,
            raw.ts(when + timedelta(microseconds=n)),
            START.date().isoformat(),
        )

    columns = (
        "id, petition_id, created_at, status, name, email, email_hash, email_domain, postcode, "
        "area_code, show_name, notify_answer, declared_min_age, declared_resident, locale, "
        "resends, confirmed_at, confirmed_day"
    )
    if raw.sqlite:
        raw.begin()
        raw.cur.executemany(
            f"INSERT INTO participatie_petition_signature ({columns}) "
            f"VALUES ({', '.join('?' * 18)})",
            (row(n) for n in range(rows)),
        )
        raw.commit()
    else:
        with raw.cur.copy(f"COPY participatie_petition_signature ({columns}) FROM STDIN") as copy:
            for n in range(rows):
                copy.write_row(row(n))
        raw.conn.commit()
    raw.conn.close()
    # The rows went in around the library: count them as the migration counts existing
    # rows, so the counter and the tally (per state, wijk and day) stand for them.
    from sqlalchemy import update

    from participatie.petitions import tally
    from participatie.petitions.models import CounterShardRow

    p = facade(db_url)
    with p.session_scope() as s:
        tally.rebuild(s, pid)
        s.execute(
            update(CounterShardRow)
            .where(CounterShardRow.petition_id == pid, CounterShardRow.shard == 0)
            .values(verified=CounterShardRow.verified + rows)
        )
    p.dispose()


def export(dialect: str, url: str | None, rows: int) -> dict[str, Any]:
    with database(dialect, url) as db_url:
        petition = prepare(db_url)
        started = time.perf_counter()
        fill(db_url, petition, rows)
        filled = time.perf_counter() - started
        with tempfile.TemporaryDirectory() as folder:
            out = Path(folder) / "signatures.csv"
            # A fresh process, so the peak is the export's and not the filling's.
            child = subprocess.run(  # noqa: S603
                [sys.executable, __file__, "_export_child", db_url, petition, str(out)],
                check=True,
                capture_output=True,
                text=True,
            )
            result: dict[str, Any] = json.loads(child.stdout.strip().splitlines()[-1])
            result["file_mb"] = round(out.stat().st_size / 1e6, 1)
    result.update({"dialect": dialect, "rows_filled": rows, "fill_seconds": round(filled, 1)})
    return result


def _export_child(db_url: str, petition: str, out: str) -> None:
    import threading

    p = facade(db_url)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    sampled: list[float] = [0.0]
    stop = threading.Event()

    def sample() -> None:
        # The current resident set, read while the export runs (ru_maxrss only gives
        # the peak of the whole process, imports included).
        while not stop.is_set():
            for line in Path("/proc/self/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    sampled[0] = max(sampled[0], int(line.split()[1]) / 1024)
            stop.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    result = p.petitions.write_signatures(uuid.UUID(petition), out)
    seconds = time.perf_counter() - started
    stop.set()
    sampler.join()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "rows": result.rows,
                "seconds": round(seconds, 1),
                "rows_per_s": round(result.rows / seconds),
                "peak_rss_mb": round(peak, 1),
                "max_rss_sampled_during_export_mb": round(sampled[0], 1),
                "rss_before_export_mb": round(before, 1),
            }
        )
    )


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_export_child":
        _export_child(*sys.argv[2:5])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    one = sub.add_parser("cycles")
    one.add_argument("--dialect", choices=["sqlite", "postgresql"], default="sqlite")
    one.add_argument("--url", help="server URL (PostgreSQL); a temporary database is made")
    one.add_argument("--signers", type=int, default=2000)
    one.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    one.add_argument("--side", choices=["api", "raw", "minimal", "all"], default="all")
    one.add_argument("--rounds", type=int, default=1, help="alternate the sides this often")
    two = sub.add_parser("export")
    two.add_argument("--dialect", choices=["sqlite", "postgresql"], default="sqlite")
    two.add_argument("--url")
    two.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    if args.command == "cycles":
        sides = ["api", "raw", "minimal"] if args.side == "all" else [args.side]
        rates: dict[str, list[int]] = {side: [] for side in sides}
        for _ in range(args.rounds):
            for side in sides:
                item = cycles(args.dialect, args.url, args.signers, args.workers, side)
                if item["verified_counted"] != item["signers"]:
                    raise SystemExit(f"{side}: counted {item['verified_counted']}")
                rates[side].append(item["cycles_per_s"])
                print(json.dumps(item), flush=True)
        medians = {side: statistics.median(values) for side, values in rates.items()}
        summary: dict[str, Any] = {"median_cycles_per_s": medians}
        if "api" in medians:
            for other in ("raw", "minimal"):
                if other in medians:
                    summary[f"api_vs_{other}"] = round(medians["api"] / medians[other], 2)
        print(json.dumps(summary))
    else:
        print(json.dumps(export(args.dialect, args.url, args.rows)))


if __name__ == "__main__":
    main()
