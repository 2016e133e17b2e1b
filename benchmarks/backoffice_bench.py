"""The back office: a petition's desk page at 100 and at many signatures, and paper entry.

    python benchmarks/backoffice_bench.py desk --dialect postgresql --rows 100000
    python benchmarks/backoffice_bench.py paper --sheets 30
    python benchmarks/backoffice_bench.py paper --sheets 10 --browser

``desk``: two petitions in one database, one with 100 verified signatures and one with
``--rows`` (put in place with COPY, as the export benchmark does), each desk page asked for
``--requests`` times in turn through the back office app in this process; medians in ms.
Beside it: ``p.petitions.stats`` alone at both sizes (the part that used to scan the
signatures, now the tally), and the least work for the headline figure, reading the counter
shards with the raw driver.

``paper``: two typists save ``--sheets`` sheets each through the back office (the form's
POST, the redirect's GET with the next empty form); the server's median time per saved
sheet. With ``--browser`` a typist types in Debian's Chromium at a fixed 40 ms per key, with
the keyboard alone: keystrokes and seconds per sheet.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.petitions_bench import database, facade, fill, prepare
from participatie.testing import make_participatie
from tests.backoffice.conftest import STAFF_COOKIE, default_host, host_app
from tests.web.helpers import open_code_poll

KEY_DELAY_MS = 40
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _client(url: str) -> tuple[TestClient, Any]:
    p = facade(url)
    client = TestClient(host_app(p, default_host()), base_url="http://127.0.0.1")
    return client, p


def desk(dialect: str, url: str | None, rows: int, requests: int) -> dict[str, Any]:
    with database(dialect, url) as small_url, database(dialect, url) as large_url:
        small, large = prepare(small_url), prepare(large_url)
        fill(small_url, small, 100)
        fill(large_url, large, rows)
        sites = {"100": (*_client(small_url), small), str(rows): (*_client(large_url), large)}
        times: dict[str, list[float]] = {label: [] for label in sites}
        times.update({f"stats {label}": [] for label in sites})
        times["floor"] = []
        for client, _p, pid in sites.values():  # warm up: templates, statement caches
            client.cookies.set(STAFF_COOKIE, "griffie")
            assert client.get(f"/beheer/petities/{pid}").status_code == 200
        for _ in range(requests):
            for label, (client, _p, pid) in sites.items():
                started = time.perf_counter()
                answer = client.get(f"/beheer/petities/{pid}")
                times[label].append((time.perf_counter() - started) * 1000)
                assert answer.status_code == 200
            for label, (_client_any, p, pid) in sites.items():
                # The statistics alone (what grew with the signatures: now the tally).
                started = time.perf_counter()
                p.petitions.stats(uuid.UUID(pid))
                times[f"stats {label}"].append((time.perf_counter() - started) * 1000)
            _client_large, p, pid = sites[str(rows)]
            started = time.perf_counter()
            with p.engine.connect() as conn:
                conn.execute(
                    text(
                        "SELECT sum(verified) FROM participatie_petition_counter "
                        "WHERE petition_id = :pid"
                    ),
                    {"pid": pid if dialect == "postgresql" else pid.replace("-", "")},
                ).all()
            times["floor"].append((time.perf_counter() - started) * 1000)
        for _client_any, p, _pid in sites.values():
            p.dispose()
    medians = {k: round(statistics.median(v), 1) for k, v in times.items()}
    return {
        "dialect": dialect,
        "rows": rows,
        "median_ms": medians,
        "ratio_large_small": round(medians[str(rows)] / medians["100"], 2),
        "stats_ratio_large_small": round(medians[f"stats {rows}"] / medians["stats 100"], 2),
    }


def paper(sheets: int, browser: bool) -> dict[str, Any]:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        p = make_participatie(f"sqlite:///{folder}/paper.db")
        p.create_all()
        poll, codes = open_code_poll(p, households=sheets + 1)
        base = f"/beheer/stemmingen/{poll.id}/papier"
        client = TestClient(host_app(p, default_host()), base_url="http://127.0.0.1")
        per_sheet: list[float] = []
        for typist in ("typist-a", "typist-b"):
            client.cookies.set(STAFF_COOKIE, typist)
            form = client.get(base).text
            for n in range(1, sheets + 1):
                token = CSRF.search(form)
                assert token is not None
                started = time.perf_counter()
                answer = client.post(
                    base,
                    data={
                        "csrf_token": token.group(1),
                        "sheet": f"P{n:03d}",
                        "code": codes[n - 1],
                        "marks": "1 2",
                    },
                )
                per_sheet.append((time.perf_counter() - started) * 1000)
                assert answer.status_code == 200, answer.text[:300]
                form = answer.text
        result: dict[str, Any] = {
            "sheets_per_typist": sheets,
            "server_ms_per_sheet_median": round(statistics.median(per_sheet), 1),
            "server_ms_per_sheet_p95": round(
                sorted(per_sheet)[int(0.95 * (len(per_sheet) - 1))], 1
            ),
        }
        if browser:
            result.update(_typing(p, codes, sheets))
        p.dispose()
    return result


def _typing(p: Any, codes: list[str], sheets: int) -> dict[str, Any]:
    """A third typist in Chromium on a fresh poll: keystrokes and seconds per sheet."""

    from playwright.sync_api import sync_playwright

    from tests.backoffice.pages import served, sign_in
    from tests.web.browser import CHROMIUM, CHROMIUM_ARGS

    poll, fresh = open_code_poll(p, households=sheets + 1)
    keystrokes = 0
    seconds: list[float] = []
    with served(p) as site, sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = chromium.new_page()
        sign_in(page, site, "typist-a")
        page.goto(f"{site.base}/beheer/stemmingen/{poll.id}/papier")
        for n in range(1, sheets + 1):
            fields = (f"P{n:03d}", fresh[n - 1], "1 2")
            started = time.perf_counter()
            for position, value in enumerate(fields):
                page.keyboard.type(value, delay=KEY_DELAY_MS)
                keystrokes += len(value) + 1  # the value, then Tab (or Enter at the end)
                if position < len(fields) - 1:
                    page.keyboard.press("Tab")
            with page.expect_navigation(wait_until="load"):
                page.keyboard.press("Enter")
            seconds.append(time.perf_counter() - started)
        chromium.close()
    return {
        "browser_keystrokes_per_sheet": round(keystrokes / sheets, 1),
        "browser_seconds_per_sheet_median": round(statistics.median(seconds), 2),
        "key_delay_ms": KEY_DELAY_MS,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="part", required=True)
    d = sub.add_parser("desk")
    d.add_argument("--dialect", default="postgresql", choices=("sqlite", "postgresql"))
    d.add_argument("--url")
    d.add_argument("--rows", type=int, default=100_000)
    d.add_argument("--requests", type=int, default=20)
    pp = sub.add_parser("paper")
    pp.add_argument("--sheets", type=int, default=30)
    pp.add_argument("--browser", action="store_true")
    args = parser.parse_args()
    if args.part == "desk":
        result = desk(args.dialect, args.url, args.rows, args.requests)
    else:
        result = paper(args.sheets, args.browser)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
