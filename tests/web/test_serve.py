"""``participatie serve --demo`` as a newcomer runs it: a real uvicorn process on a free
loopback port, probed over HTTP, always stopped (bounded waits everywhere)."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

BIN = Path(sys.executable).parent / "participatie"
#: ``serve --demo`` answers once the open cases exist (seconds), then loads the finished
#: cases at a tenth of their size in the background (about 8 s on a quiet two-core
#: machine); these bounds leave room for a busy one. The time to the first answer is
#: measured in ``benchmarks/``, not asserted here.
STARTUP_SECONDS = 90
LOADED_SECONDS = 300

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Served:
    base: str
    out: Path
    log: Path
    #: The start page as the first request saw it, before the finished cases loaded.
    first_home: str


def fetch(url: str, timeout: float = 10.0) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310
            return int(response.status), response.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    out = tmp_path_factory.mktemp("serve") / "demo"
    log = out.parent / "serve.log"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARTICIPATIE_")}
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            [str(BIN), "serve", "--demo", "--port", str(port), "--out", str(out)],
            stdout=log_file,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=out.parent,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + STARTUP_SECONDS
            while True:
                if process.poll() is not None:
                    pytest.fail(f"serve exited early:\n{log.read_text()}")
                try:
                    if fetch(base + "/api/health", timeout=2)[0] == 200:
                        break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail(f"serve did not answer in {STARTUP_SECONDS} s:\n{log.read_text()}")
                time.sleep(0.3)
            first_home = fetch(base + "/")[1]
            while "demo loaded in" not in log.read_text():
                if process.poll() is not None or "loading the demo failed" in log.read_text():
                    pytest.fail(f"the demo did not load:\n{log.read_text()}")
                if time.monotonic() > deadline + LOADED_SECONDS:
                    pytest.fail(f"the demo did not load in time:\n{log.read_text()}")
                time.sleep(0.5)
            yield Served(base=base, out=out, log=log, first_home=first_home)
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


def test_openapi_is_a_valid_document(served: Served) -> None:
    from openapi_spec_validator import validate

    status, body = fetch(served.base + "/openapi.json")
    assert status == 200
    document = json.loads(body)
    validate(document)
    assert document["openapi"].startswith("3.")
    assert "/api/health" in document["paths"]


def test_home_is_dutch_and_links_to_the_demo_cases(served: Served) -> None:
    status, html = fetch(served.base + "/")
    assert status == 200
    assert '<html lang="nl"' in html
    assert "Gemeente Groningen" in html  # the demo's organisation, as `participatie demo`'s
    links = set(re.findall(r'href="(/(?:petitions|polls|dossiers)/[^"?#]+)"', html))
    kinds = {link.split("/")[1] for link in links}
    assert kinds == {"petitions", "polls", "dossiers"}, f"links on the home page: {links}"
    for link in sorted(links):
        code, page = fetch(served.base + link)
        assert code == 200, link
        assert '<html lang="nl"' in page


def test_the_first_answer_offers_something_open_to_try(served: Served) -> None:
    html = served.first_home
    titles = re.findall(r'participatie-card__link" href="([^"]+)">([^<]+)<', html)
    by_title = {title: link for link, title in titles}
    assert by_title["Bankjes in het Noorderplantsoen"].startswith("/polls/")
    assert by_title["Meer prullenbakken in het Noorderplantsoen"].startswith("/petitions/")
    assert by_title["Herinrichting Noorderplantsoen"].startswith("/dossiers/")
    codes = re.findall(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}\b", html)
    assert len(set(codes)) == 8, codes
    poll_link = by_title["Bankjes in het Noorderplantsoen"]
    assert f'href="{poll_link}/vote"' in fetch(served.base + poll_link)[1]
    assert 'name="code"' in fetch(served.base + poll_link + "/vote")[1]
    petition = fetch(served.base + by_title["Meer prullenbakken in het Noorderplantsoen"])[1]
    assert 'name="email"' in petition
    dossier = fetch(served.base + by_title["Herinrichting Noorderplantsoen"])[1]
    assert "/react" in dossier


def test_demo_nota_downloads(served: Served) -> None:
    _, html = fetch(served.base + "/")
    dossier = re.findall(r'href="(/dossiers/[^"?#]+)">Hondenbeleid 2026<', html)[0]
    with urllib.request.urlopen(served.base + dossier + "/nota.pdf", timeout=30) as response:  # noqa: S310
        assert response.headers["content-type"] == "application/pdf"
        assert response.read(5) == b"%PDF-"
    status, _ = fetch(served.base + dossier + "/nota.exe")
    assert status == 404


def test_serve_says_where_the_mail_goes(served: Served) -> None:
    log = served.log.read_text()
    assert f"mail is written to {(served.out / 'mail').resolve()}" in log
    assert "serving on http://127.0.0.1:" in log
    assert "loading the finished demo cases at 10% of their size" in log
    assert re.search(r"demo loaded in \d+\.\d s", log)


def test_demo_pages_pass_axe_in_chromium(served: Served, page: Any, tmp_path: Path) -> None:
    """The demo's real data through the accessibility audit, result pages included."""

    from tests.web.browser import audit, describe, screenshot

    _, html = fetch(served.base + "/")
    links = sorted(set(re.findall(r'href="(/(?:petitions|polls|dossiers)/[^"?#]+)"', html)))
    extra = [link + "/result" for link in links if link.startswith(("/polls/", "/dossiers/"))]
    for link in ["/", *links, *extra]:
        response = page.goto(served.base + link)
        assert response is not None and response.status == 200, link
        violations = audit(page)
        assert violations == [], f"{link}:\n{describe(violations)}"
        assert page.console_errors == [], f"{link}: console errors {page.console_errors}"
        kind = link.strip("/").split("/")[0] or "home"
        suffix = "-result" if link.endswith("/result") else ""
        screenshot(page, f"demo-{kind}{suffix}", tmp_path)


def test_serve_without_keys_says_what_is_missing(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from participatie.cli import main

    # None removes a variable for the run: no key from the environment.
    unset: dict[str, str | None] = {k: None for k in os.environ if k.startswith("PARTICIPATIE_")}
    result = CliRunner(env=unset).invoke(
        main,
        ["--database-url", f"sqlite:///{tmp_path / 'x.db'}", "serve", "--port", "1"],
    )
    assert result.exit_code == 2
    assert "PARTICIPATIE_SECRET_KEYS" in result.output


#: Makes the reports extra's modules unimportable, as in `pip install participatie[web]`.
_WITHOUT_REPORTS = """
import sys
class _Without:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"openpyxl", "typst", "docx"}:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None
sys.meta_path.insert(0, _Without())
"""


def test_serve_demo_works_with_the_web_extra_alone(tmp_path: Path) -> None:
    """Without openpyxl, typst and python-docx the demo loads, skipping those outputs."""

    (tmp_path / "block").mkdir()
    (tmp_path / "block" / "sitecustomize.py").write_text(_WITHOUT_REPORTS, encoding="utf-8")
    out = tmp_path / "demo"
    log = tmp_path / "serve.log"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARTICIPATIE_")}
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path / "block"), *sys.path])
    with log.open("wb") as log_file:
        command = [sys.executable, "-m", "participatie", "serve", "--demo"]
        process = subprocess.Popen(
            [*command, "--port", str(port), "--out", str(out)],
            stdout=log_file,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=tmp_path,
        )
        try:
            deadline = time.monotonic() + STARTUP_SECONDS + LOADED_SECONDS
            while "demo loaded in" not in log.read_text():
                text = log.read_text()
                if process.poll() is not None or "loading the demo failed" in text:
                    pytest.fail(f"serve --demo failed without the reports extra:\n{text}")
                assert time.monotonic() < deadline, text
                time.sleep(0.5)
            status, html = fetch(f"http://127.0.0.1:{port}/")
            assert status == 200 and "Hondenbeleid 2026" in html
            text = log.read_text()
            assert "no nota.pdf: PDF output needs the 'reports' extra" in text
            assert not (out / "hondenbeleid" / "nota.pdf").exists()
            assert (out / "hondenbeleid" / "nota.html").exists()
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
