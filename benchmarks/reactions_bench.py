"""Reactions performance: web reactions through the API (each acknowledged by e-mail in the
same transaction), and statistics, nota and exports over a large bulk-loaded dossier.

    python benchmarks/reactions_bench.py intake --dialect sqlite --reactions 1000
    python benchmarks/reactions_bench.py intake --dialect postgresql --reactions 1000 \
        --url postgresql+psycopg://postgres@127.0.0.1:5432/test
    python benchmarks/reactions_bench.py report --reactions 50000
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from participatie.engine import Participatie
from participatie.reactions.models import AnswerRow, PointRow, ReactionRow, SubmitterRow
from participatie.reactions.schemas import DossierIn, ReactionIn, SubmitterIn, ThemeIn
from participatie.testing import make_participatie, temporary_database

THEMES = [f"thema{i}" for i in range(12)]
OUTCOMES = ["honoured", "partially_honoured", "not_honoured", "noted", "out_of_scope"]


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


def setup(url: str) -> tuple[Participatie, uuid.UUID]:
    p = make_participatie(url, sqlite_synchronous="FULL")
    p.create_all()
    dossier = p.reactions.create_dossier(
        DossierIn(
            title="Benchmark",
            summary="Een groot dossier.",
            responsible_official="Bench",
            responsible_email="bench@example.nl",
            period_start=date(2026, 3, 3),
            period_end=date(2026, 12, 31),
        ),
        actor="bench",
    )
    for code in THEMES:
        p.reactions.create_theme(dossier.id, ThemeIn(code=code, title=code.title()), actor="bench")
    return p, dossier.id


def intake(dialect: str, url: str | None, count: int) -> dict[str, Any]:
    with database(dialect, url) as db:
        p, dossier = setup(db)
        started = time.perf_counter()
        for i in range(count):
            p.reactions.submit(
                dossier,
                ReactionIn(
                    text=f"Reactie {i}: meer losloopgebieden.",
                    submitters=[SubmitterIn(name=f"Inwoner {i}", email=f"i{i}@example.nl")],
                ),
            )
        seconds = time.perf_counter() - started
        p.dispose()
    return {
        "dialect": dialect,
        "reactions": count,
        "seconds": round(seconds, 2),
        "per_second": round(count / seconds, 1),
    }


def report(count: int) -> dict[str, Any]:
    rng = random.Random(1)
    with database("sqlite", None) as db:
        p, dossier = setup(db)
        themes = {t.code: t.id for t in p.reactions.themes(dossier)}
        now = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
        started = time.perf_counter()
        with p.session_scope() as s:
            for code, theme_id in themes.items():
                s.execute(
                    insert(AnswerRow),
                    [
                        {
                            "id": uuid.uuid4(),
                            "dossier_id": dossier,
                            "theme_id": theme_id,
                            "outcome": rng.choice(OUTCOMES),
                            "motivation": f"Antwoord op {code}.",
                            "changes_plan": rng.random() < 0.5,
                            "status": "draft",
                            "version": 1,
                            "updated_at": now,
                            "updated_by": "bench",
                        }
                    ],
                )
            batch: list[dict[str, Any]] = []
            subs: list[dict[str, Any]] = []
            points: list[dict[str, Any]] = []
            for n in range(1, count + 1):
                rid = uuid.uuid4()
                received = now + timedelta(minutes=n)
                batch.append(
                    {
                        "id": rid,
                        "dossier_id": dossier,
                        "number": n,
                        "round": 1,
                        "channel": rng.choice(["web", "paper", "letter", "email"]),
                        "text": "Meer losloopgebieden en afvalbakken.",
                        "received_at": received,
                        "late": False,
                        "admissible": True,
                        "acknowledgement_due": received.date() + timedelta(days=5),
                        "answer_due": received.date() + timedelta(days=42),
                        "answer_target": received.date() + timedelta(days=42),
                        "signatories": 1,
                        "created_at": received,
                        "created_by": "bench",
                    }
                )
                subs.append(
                    {
                        "id": uuid.uuid4(),
                        "reaction_id": rid,
                        "dossier_id": dossier,
                        "position": 1,
                        "name": f"Inwoner {n}",
                        "email": f"i{n}@example.nl",
                        "consent": True,
                        "locale": "nl",
                    }
                )
                points.append(
                    {
                        "id": uuid.uuid4(),
                        "reaction_id": rid,
                        "dossier_id": dossier,
                        "position": 1,
                        "text": "Meer losloopgebieden.",
                        "theme_id": themes[rng.choice(THEMES)],
                    }
                )
                if len(batch) == 5000:
                    s.execute(insert(ReactionRow), batch)
                    s.execute(insert(SubmitterRow), subs)
                    s.execute(insert(PointRow), points)
                    batch, subs, points = [], [], []
            if batch:
                s.execute(insert(ReactionRow), batch)
                s.execute(insert(SubmitterRow), subs)
                s.execute(insert(PointRow), points)
        timings = {"load": time.perf_counter() - started}
        with tempfile.TemporaryDirectory() as folder:
            out = Path(folder)
            steps: list[tuple[str, Callable[[], object]]] = [
                ("stats", lambda: p.reactions.stats(dossier)),
                ("nota_public", lambda: p.reactions.nota(dossier)),
                ("nota_internal", lambda: p.reactions.nota(dossier, internal=True)),
                ("html_public", lambda: p.reactions.write_nota(dossier, out / "n.html")),
                (
                    "csv_internal",
                    lambda: p.reactions.write_nota(
                        dossier, out / "n.csv", fmt="csv", internal=True
                    ),
                ),
                (
                    "xlsx_internal",
                    lambda: p.reactions.write_nota(
                        dossier, out / "n.xlsx", fmt="xlsx", internal=True
                    ),
                ),
                ("publish", lambda: p.reactions.publish_answers(dossier, actor="bench")),
            ]
            for name, call in steps:
                t = time.perf_counter()
                call()
                timings[name] = time.perf_counter() - t
        p.dispose()
    return {"reactions": count, "seconds": {k: round(v, 2) for k, v in timings.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("what", choices=["intake", "report"])
    parser.add_argument("--dialect", default="sqlite", choices=["sqlite", "postgresql", "mariadb"])
    parser.add_argument("--url")
    parser.add_argument("--reactions", type=int, default=1000)
    args = parser.parse_args()
    if args.what == "intake":
        result = intake(args.dialect, args.url, args.reactions)
    else:
        result = report(args.reactions)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
