"""How long the jobs whose work grows with the data hold SQLite's write lock at scale,
and whether they finish.

    python benchmarks/retention_bench.py polls --voters 100000
    python benchmarks/retention_bench.py petitions --signatures 100000
    python benchmarks/retention_bench.py digest --subscribers 20000

``polls``: a closed e-mail poll of N voters, each with a sent voting link, past
``personal_data_after``; runs ``polls.retention``. ``petitions``: an answered petition of
N verified signatures (``petitions_bench.fill``), each with a sent confirmation mail,
past ``anonymise_after``; runs ``petitions.anonymise``. ``digest``: N daily subscribers
and 50 events (``subscriptions_bench.seed``); runs ``subscriptions.digest``. All on a
SQLite file
(``synchronous=NORMAL`` for the loading). Prints the job's wall time, its write
transactions (from SQLAlchemy's ``begin`` and ``commit`` events; read-only ones are
left out: they take no write lock in WAL mode), the longest and their sum, and checks
that nothing personal is left (for ``digest``: that every digest was queued).
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, func, insert, select, update

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script

from benchmarks import petitions_bench
from participatie.engine import Participatie
from participatie.outbox.models import OutboxMessageRow


@contextmanager
def write_transactions(p: Participatie) -> Iterator[list[float]]:
    """Seconds each write transaction lasted, while the block runs."""

    held: list[float] = []
    began: dict[int, float] = {}

    def begin(conn: Any) -> None:
        began[id(conn)] = time.perf_counter()

    def commit(conn: Any) -> None:
        start = began.pop(id(conn), None)
        if start is not None and not conn.get_execution_options().get("participatie_readonly"):
            held.append(time.perf_counter() - start)

    event.listen(p.engine, "begin", begin)
    event.listen(p.engine, "commit", commit)
    try:
        yield held
    finally:
        event.remove(p.engine, "begin", begin)
        event.remove(p.engine, "commit", commit)


def run_job(p: Participatie, job: str, at: Any) -> tuple[float, list[float]]:
    """Run ``job`` as due at ``at``: its wall time and its write transactions' seconds."""

    with write_transactions(p) as held:
        started = time.perf_counter()
        (run,) = p.jobs.run_due(at, only=job)
        wall = time.perf_counter() - started
    assert run.status == "ok", run
    return wall, held


def count(p: Participatie, table: Any, *where: Any) -> int:
    """Rows of ``table`` matching ``where``."""

    with p.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one())


def _mails(subject_type: str, subject_ids: list[str], now: Any) -> list[dict[str, Any]]:
    return [
        {
            "id": uuid.uuid4(),
            "created_at": now,
            "template": "bench",
            "locale": "nl",
            "to_address": f"inwoner{n}@example.nl",
            "subject": "Uw link",
            "text_body": "https://example.nl/" + secrets.token_hex(16),
            "html_body": None,
            "headers": "{}",
            "dedupe_key": None,
            "subject_type": subject_type,
            "subject_id": subject_id,
            "status": "sent",
            "attempts": 1,
            "unknown_outcomes": 0,
            "next_attempt_at": now,
            "claimed_until": None,
            "claim_token": None,
            "sent_at": now,
            "last_error": None,
        }
        for n, subject_id in enumerate(subject_ids)
    ]


def _report(
    job: str, n: int, wall: float, held: list[float], left: dict[str, int]
) -> dict[str, Any]:
    return {
        "benchmark": job,
        "rows": n,
        "seconds": round(wall, 2),
        "write_transactions": len(held),
        "longest_write_seconds": round(max(held), 3),
        "write_seconds": round(sum(held), 2),
        "left": left,
    }


def polls(voters: int) -> dict[str, Any]:
    from participatie.polls.models import CredentialRow
    from participatie.polls.retention import ERASED_KEY
    from participatie.polls.schemas import OptionIn, PollIn
    from participatie.testing import make_participatie

    with tempfile.TemporaryDirectory() as folder:
        p = make_participatie(f"sqlite:///{folder}/r.db", sqlite_synchronous="NORMAL")
        p.create_all()
        options = [OptionIn(name="A"), OptionIn(name="B")]
        poll = p.polls.create(
            PollIn(
                title="Retentie",
                question="Welke?",
                options=options,
                rule="plurality",
                seats=1,
                max_choices=1,
                eligibility="email",
            ),
            actor="bench",
        )
        p.polls.open(poll.id, actor="bench")
        now = p.clock.now()
        with p.engine.begin() as conn:
            conn.execute(
                insert(CredentialRow),
                [
                    {
                        "id": uuid.uuid4(),
                        "poll_id": poll.id,
                        "kind": "email",
                        "key_hash": secrets.token_hex(32),
                        "address_hash": secrets.token_hex(32),
                        "status": "active",
                        "max_uses": 1,
                        "uses": 0,
                        "changes": 0,
                        "created_at": now,
                    }
                    for _ in range(voters)
                ],
            )
            conn.execute(insert(OutboxMessageRow), _mails("poll", [str(poll.id)] * voters, now))
        p.polls.close(poll.id, actor="bench")
        later = now + p.settings.polls.personal_data_after + timedelta(days=1)
        wall, held = run_job(p, "polls.retention", later)
        left = {
            "address_hashes": count(p, CredentialRow, CredentialRow.address_hash.is_not(None)),
            "voter_keys": count(
                p, CredentialRow, CredentialRow.key_hash.not_like(f"{ERASED_KEY}%")
            ),
            "mails": count(p, OutboxMessageRow, OutboxMessageRow.to_address.like("inwoner%")),
        }
        p.dispose()
    return _report("polls.retention", voters, wall, held, left)


def petitions(signatures: int) -> dict[str, Any]:
    from participatie.petitions.models import PetitionRow, SignatureRow

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/a.db"
        petition = petitions_bench.prepare(url)
        petitions_bench.fill(url, petition, signatures)
        p = petitions_bench.facade(url)
        now = p.clock.now()
        with p.engine.begin() as conn:
            ids = [str(i) for i in conn.execute(select(SignatureRow.id)).scalars()]
            conn.execute(insert(OutboxMessageRow), _mails("signature", ids, now))
            conn.execute(
                update(PetitionRow)
                .where(PetitionRow.id == uuid.UUID(petition))
                .values(status="answered", answered_at=now)
            )
        later = now + p.settings.petitions.anonymise_after + timedelta(days=1)
        wall, held = run_job(p, "petitions.anonymise", later)
        left = {
            "addresses": count(p, SignatureRow, SignatureRow.email.is_not(None)),
            "mails": count(p, OutboxMessageRow, OutboxMessageRow.to_address.like("inwoner%")),
        }
        p.dispose()
    return _report("petitions.anonymise", signatures, wall, held, left)


def digest(subscribers: int) -> dict[str, Any]:
    from benchmarks import subscriptions_bench
    from participatie.testing import make_participatie

    with tempfile.TemporaryDirectory() as folder:
        p = make_participatie(
            f"sqlite:///{folder}/d.db",
            clock=None,
            sqlite_synchronous="NORMAL",
            public_base_url="https://participatie.example.nl",
        )
        p.create_all()
        subscriptions_bench.seed(p, subscribers, 50)
        later = subscriptions_bench.START.replace(hour=p.settings.subscriptions.digest_hour)
        wall, held = run_job(p, "subscriptions.digest", later + timedelta(days=1))
        queued = count(p, OutboxMessageRow, OutboxMessageRow.template == "subscriptions_digest")
        p.dispose()
    return _report(
        "subscriptions.digest", subscribers, wall, held, {"not_queued": subscribers - queued}
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    sub = parser.add_subparsers(dest="job", required=True)
    sub.add_parser("polls").add_argument("--voters", type=int, default=100_000)
    sub.add_parser("petitions").add_argument("--signatures", type=int, default=100_000)
    sub.add_parser("digest").add_argument("--subscribers", type=int, default=20_000)
    args = parser.parse_args()
    if args.job == "polls":
        out = polls(args.voters)
    elif args.job == "petitions":
        out = petitions(args.signatures)
    else:
        out = digest(args.subscribers)
    print(json.dumps(out))
    if any(out["left"].values()):
        raise SystemExit(f"left undone: {out['left']}")


if __name__ == "__main__":
    main()
