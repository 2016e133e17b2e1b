"""The back office: a petition's desk page at 100 and at many signatures, and paper entry.

    python benchmarks/backoffice_bench.py desk --dialect postgresql --rows 100000
    python benchmarks/backoffice_bench.py paper --sheets 30
    python benchmarks/backoffice_bench.py paper --sheets 10 --browser
    python benchmarks/backoffice_bench.py assess --dialect postgresql --reactions 1000
    python benchmarks/backoffice_bench.py intake --dialect postgresql --forms 30

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

``assess``: a dossier with ``--reactions`` reactions (two points each, one in a theme, one
answered on its own), its assessment page asked for ``--requests`` times through the back
office app, in turn with the least work the page needs: the page's three statements as
plain SQL (reactions of the round, their points, the answers), rows fetched; medians in ms.

``intake``: ``--forms`` paper reactions saved through the intake form (the POST alone,
then the GET of the next empty form), in turn with the same reaction registered by the
Python API and with the least work: the reaction's INSERT as plain SQL; medians in ms.
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
from participatie.web.backoffice import ACTIONS
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


def _dossier_site(url: str) -> tuple[TestClient, Any, str]:
    """The facade on ``url`` with tables, a dossier and the back office in this process."""

    import participatie.models  # noqa: F401
    from tests.web.helpers import open_dossier

    p = facade(url)
    p.create_all()
    dossier = open_dossier(p)
    host = default_host()
    host.actions["bench"] = frozenset(ACTIONS)
    site = host_app(p, host)
    SERVER_MS.clear()

    @site.middleware("http")
    async def timed(request: Any, call_next: Any) -> Any:
        # The server's own time, without the test client's thread hand-overs.
        started = time.perf_counter()
        response = await call_next(request)
        SERVER_MS.append((time.perf_counter() - started) * 1000)
        return response

    client = TestClient(site, base_url="http://127.0.0.1")
    client.cookies.set(STAFF_COOKIE, "bench")
    return client, p, str(dossier.id)


#: Milliseconds the server spent on each request of the dossier benchmarks.
SERVER_MS: list[float] = []


def _fill_dossier(p: Any, dossier: str, reactions: int) -> None:
    from participatie.reactions.schemas import AnswerIn, PointIn, ReactionIn, SubmitterIn, ThemeIn

    for code in ("losloop", "opruim", "veldjes"):
        p.reactions.create_theme(dossier, ThemeIn(code=code, title=code.title()), actor="bench")
    for n in range(1, reactions + 1):
        p.reactions.register(
            dossier,
            ReactionIn(
                channel="paper",
                text=f"Reactie {n}: " + "meer ruimte voor honden en minder poep. " * 8,
                submitters=[
                    SubmitterIn(name=f"Inwoner {n}", postcode="9742 AB", house_number=str(n))
                ],
                points=[
                    PointIn(
                        text="Meer losloopgebieden", theme=("losloop", "opruim", "veldjes")[n % 3]
                    ),
                    PointIn(text=f"Een eigen punt {n}"),
                ],
            ),
            actor="bench",
        )
    for code in ("losloop", "opruim"):
        p.reactions.draft_answer(
            dossier, AnswerIn(theme=code, outcome="honoured", motivation="Ja."), actor="bench"
        )
    for point in p.reactions.points(dossier)[: reactions // 2]:
        if point.theme is None:
            p.reactions.draft_answer(
                dossier,
                AnswerIn(point_id=point.id, outcome="noted", motivation="Gezien."),
                actor="bench",
            )


def assess(dialect: str, url: str | None, reactions: int, requests: int) -> dict[str, Any]:
    with database(dialect, url) as db_url:
        client, p, dossier = _dossier_site(db_url)
        _fill_dossier(p, dossier, reactions)
        key = dossier if dialect == "postgresql" else dossier.replace("-", "")
        floor_sql = [
            "SELECT id, number, channel, received_at, late, admissible, signatories, "
            "substr(text, 1, 160) FROM participatie_reactions_reaction "
            "WHERE dossier_id = :d AND round = 1 ORDER BY number",
            "SELECT id, reaction_id, theme_id FROM participatie_reactions_point "
            "WHERE dossier_id = :d",
            "SELECT id, theme_id, point_id FROM participatie_reactions_answer "
            "WHERE dossier_id = :d",
        ]
        path = f"/beheer/dossiers/{dossier}/beoordelen"
        answer = client.get(path)  # warm up: templates, statement caches
        assert answer.status_code == 200 and answer.text.count("<tr>") == reactions + 1
        times: dict[str, list[float]] = {"page": [], "page_server": [], "floor": []}
        for _ in range(requests):
            started = time.perf_counter()
            assert client.get(path).status_code == 200
            times["page"].append((time.perf_counter() - started) * 1000)
            times["page_server"].append(SERVER_MS[-1])
            started = time.perf_counter()
            with p.engine.connect() as conn:
                for sql in floor_sql:
                    conn.execute(text(sql), {"d": key}).all()
            times["floor"].append((time.perf_counter() - started) * 1000)
        p.dispose()
    medians = {k: round(statistics.median(v), 1) for k, v in times.items()}
    return {"dialect": dialect, "reactions": reactions, "median_ms": medians}


def intake(dialect: str, url: str | None, forms: int) -> dict[str, Any]:
    import uuid

    from participatie.reactions.schemas import ReactionIn, SubmitterIn

    with database(dialect, url) as db_url:
        client, p, dossier = _dossier_site(db_url)
        path = f"/beheer/dossiers/{dossier}/intake"
        form = client.get(path).text
        times: dict[str, list[float]] = {
            "post": [],
            "post_server": [],
            "next_form": [],
            "next_form_server": [],
            "api": [],
            "floor": [],
        }
        fields = {
            "received_on": "",
            "channel": "paper",
            "text": "Meer losloopgebieden in Paddepoel, en meer afvalbakken.",
            "name": "Inwoner",
            "street": "Grote Markt",
            "house_number": "1",
            "postcode": "9711 LV",
            "city": "Groningen",
            "consent": "1",
        }
        number = 10_000
        for n in range(forms + 1):
            token = CSRF.search(form)
            assert token is not None
            started = time.perf_counter()
            saved = client.post(
                path,
                data={**fields, "csrf_token": token.group(1), "external_ref": f"F{n}"},
                follow_redirects=False,
            )
            posted = (time.perf_counter() - started) * 1000
            posted_server = SERVER_MS[-1]
            assert saved.status_code == 303, saved.text[:300]
            started = time.perf_counter()
            form = client.get(saved.headers["location"]).text
            shown = (time.perf_counter() - started) * 1000
            shown_server = SERVER_MS[-1]
            started = time.perf_counter()
            p.reactions.register(
                uuid.UUID(dossier),
                ReactionIn(
                    channel="paper",
                    text=fields["text"],
                    submitters=[SubmitterIn(name="Inwoner", postcode="9711 LV", house_number="1")],
                ),
                actor="bench",
            )
            api = (time.perf_counter() - started) * 1000
            number += 1
            started = time.perf_counter()
            with p.engine.begin() as conn:
                conn.execute(
                    text(
                        "INSERT INTO participatie_reactions_reaction (id, dossier_id, number, "
                        "round, channel, text, received_at, late, acknowledgement_due, "
                        "answer_due, answer_target, signatories, created_at, created_by) "
                        "VALUES (:id, :d, :n, 1, 'paper', :t, :now, false, :due, :due, "
                        ":due, 1, :now, 'bench')"
                    ),
                    {
                        "id": str(uuid.uuid4()) if dialect == "postgresql" else uuid.uuid4().hex,
                        "d": dossier if dialect == "postgresql" else dossier.replace("-", ""),
                        "n": number,
                        "t": fields["text"],
                        "now": p.clock.now(),
                        "due": p.reactions.today(),
                    },
                )
            floor = (time.perf_counter() - started) * 1000
            if n:  # the first round warms up templates and statement caches
                times["post"].append(posted)
                times["post_server"].append(posted_server)
                times["next_form"].append(shown)
                times["next_form_server"].append(shown_server)
                times["api"].append(api)
                times["floor"].append(floor)
        p.dispose()
    medians = {k: round(statistics.median(v), 1) for k, v in times.items()}
    return {"dialect": dialect, "forms": forms, "median_ms": medians}


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
    a = sub.add_parser("assess")
    a.add_argument("--dialect", default="postgresql", choices=("sqlite", "postgresql"))
    a.add_argument("--url")
    a.add_argument("--reactions", type=int, default=1000)
    a.add_argument("--requests", type=int, default=15)
    i = sub.add_parser("intake")
    i.add_argument("--dialect", default="postgresql", choices=("sqlite", "postgresql"))
    i.add_argument("--url")
    i.add_argument("--forms", type=int, default=30)
    args = parser.parse_args()
    if args.part == "desk":
        result = desk(args.dialect, args.url, args.rows, args.requests)
    elif args.part == "assess":
        result = assess(args.dialect, args.url, args.reactions, args.requests)
    elif args.part == "intake":
        result = intake(args.dialect, args.url, args.forms)
    else:
        result = paper(args.sheets, args.browser)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
