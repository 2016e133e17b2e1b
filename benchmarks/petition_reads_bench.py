"""The petition page read at 100 and at 100,000 signatures, next to the least work the page
needs: a FastAPI route in the same app rendering the same template from constants.

    python benchmarks/petition_reads_bench.py --dialect postgresql --small 100 --large 100000
    python benchmarks/petition_reads_bench.py --dialect sqlite --small 100 --large 100000

Two open petitions in one database, one with ``--small`` and one with ``--large`` verified
signatures (every signer shows their name, so the public list of names is full), loaded
around the library and counted into the tally, then analysed (PostgreSQL) as autovacuum
would. The
constant route renders ``web/petition.html`` with the very context the real page built for
the large petition (captured once, not timed), through the same ``render`` (page globals,
CSRF and language cookies): what is left of a page view when the database is not asked.
Requests go through the ASGI app in this process (``TestClient``); the three targets take
turns, ``--rounds`` times ``--requests`` GETs each, and the medians of the rounds count.
The JSON (``/api/petitions/{id}``) and the widget are measured the same way.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.petitions_bench import database, facade, fill, open_petition, prepare


def second_petition(url: str) -> str:
    """Another open petition next to the one ``prepare`` made."""

    p = facade(url)
    petition_id = open_petition(p, "Bankjes in het Noorderplantsoen", "bench2@example.nl")
    p.dispose()
    return petition_id


def run(dialect: str, url: str | None, small: int, large: int, rounds: int, requests: int) -> Any:
    from fastapi.testclient import TestClient

    import participatie.web.petitions.pages as pages
    from participatie.web import create_app
    from participatie.web.common import render

    with database(dialect, url) as db_url:
        small_id = prepare(db_url)
        large_id = second_petition(db_url)
        fill(db_url, small_id, small)
        fill(db_url, large_id, large)
        with facade(db_url).session_scope() as s:
            from sqlalchemy import update

            from participatie.petitions import tally
            from participatie.petitions.models import SignatureRow

            s.execute(update(SignatureRow).values(show_name=True))
            # Count the names into the tally as ``fill`` counted the rest: the public
            # list's count comes from there.
            for petition_id in (small_id, large_id):
                tally.rebuild(s, uuid.UUID(petition_id))
        if dialect == "postgresql":
            # The rows went in by COPY in one go; autovacuum would analyse the table soon
            # after, as it does while a petition grows. Without statistics the planner
            # does not know the index serves the list of names.
            with facade(db_url).engine.connect() as conn:
                conn.exec_driver_sql("ANALYZE")
        p = facade(db_url)
        assert p.petitions.count(uuid.UUID(small_id)) == small
        assert p.petitions.count(uuid.UUID(large_id)) == large
        assert p.petitions.public_signers(uuid.UUID(large_id), limit=1).total == large
        app = create_app(p)

        # The context the real page renders with, captured once.
        captured: dict[str, Any] = {}
        namespace = vars(pages)
        real_render: Callable[..., HTMLResponse] = namespace["render"]

        def capture(request: Request, template: str, **context: Any) -> HTMLResponse:
            captured.setdefault("template", template)
            captured.setdefault("context", context)
            return real_render(request, template, **context)

        namespace["render"] = capture
        with TestClient(app) as client:
            assert client.get(f"/petitions/{large_id}").status_code == 200
        namespace["render"] = real_render

        @app.get("/constant")
        def constant(request: Request) -> HTMLResponse:
            return render(request, captured["template"], **captured["context"])

        targets = {
            "page_small": f"/petitions/{small_id}",
            "page_large": f"/petitions/{large_id}",
            "constant": "/constant",
            "json_small": f"/api/petitions/{small_id}",
            "json_large": f"/api/petitions/{large_id}",
            "widget_small": f"/widget/petitions/{small_id}",
            "widget_large": f"/widget/petitions/{large_id}",
        }
        rates: dict[str, list[float]] = {name: [] for name in targets}
        with TestClient(app) as client:
            for path in targets.values():  # warm up
                for _ in range(5):
                    answer = client.get(path)
                    assert answer.status_code == 200, (path, answer.status_code, answer.text[:300])
            for _ in range(rounds):
                for name, path in targets.items():
                    began = time.perf_counter()
                    for _ in range(requests):
                        client.get(path)
                    rates[name].append(requests / (time.perf_counter() - began))
        p.dispose()
    median = {name: round(statistics.median(values), 1) for name, values in rates.items()}
    return {
        "dialect": dialect,
        "signatures": {"small": small, "large": large},
        "gets_per_second_median": median,
        "large_vs_small": {
            kind: round(median[f"{kind}_large"] / median[f"{kind}_small"], 3)
            for kind in ("page", "json", "widget")
        },
        "page_large_vs_constant": round(median["page_large"] / median["constant"], 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dialect", choices=["sqlite", "postgresql"], default="postgresql")
    parser.add_argument("--url")
    parser.add_argument("--small", type=int, default=100)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--requests", type=int, default=100)
    args = parser.parse_args()
    result = run(args.dialect, args.url, args.small, args.large, args.rounds, args.requests)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
