"""A real browser for the page tests: the app under uvicorn on loopback, Debian's Chromium
driven by Playwright, and axe-core (as shipped by axe-playwright-python) to audit pages.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI

CHROMIUM = os.environ.get("PARTICIPATIE_TEST_CHROMIUM", "/usr/bin/chromium")
REQUIRE_BROWSER = os.environ.get("PARTICIPATIE_TEST_REQUIRE_BROWSER") == "1"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "web" / "screenshots"


def browser_or_skip() -> None:
    """Skip (visibly) when no Chromium is installed; fail instead where CI requires one."""

    missing = None
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        missing = f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    else:
        try:
            import playwright  # noqa: F401
        except ImportError:
            missing = "playwright is not installed (pip install playwright)"
    if missing:
        if REQUIRE_BROWSER:
            pytest.fail(f"{missing}; PARTICIPATIE_TEST_REQUIRE_BROWSER=1 needs it")
        pytest.skip(missing)


def axe_source() -> str:
    return files("axe_playwright_python").joinpath("axe.min.js").read_text(encoding="utf-8")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    """Run ``app`` under uvicorn in a thread on a free loopback port; always stopped."""

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            server.should_exit = True
            raise RuntimeError("uvicorn did not start within 20 s")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def audit(page: Any) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.1 A/AA violations of the page as it is now."""

    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source())
    result: dict[str, Any] = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, "
        "resultTypes: ['violations']})",
        WCAG_TAGS,
    )
    violations: list[dict[str, Any]] = result["violations"]
    return violations


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        targets = [" ".join(map(str, node.get("target", []))) for node in v.get("nodes", [])]
        lines.append(f"{v['id']} ({v.get('impact')}): {v.get('help')} -> {targets[:5]}")
    return "\n".join(lines)


def screenshot(page: Any, name: str, tmp: Path) -> Path:
    """Full-page PNG; copied into docs/web/screenshots with PARTICIPATIE_WRITE_SCREENSHOTS=1."""

    target = tmp / f"{name}.png"
    page.screenshot(path=str(target), full_page=True)
    assert target.stat().st_size > 1000
    if os.environ.get("PARTICIPATIE_WRITE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(target, SCREENSHOTS / f"{name}.png")
    return target


def focused_after_autofocus(page: Any, element_id: str, timeout_ms: int = 5000) -> str:
    """The id of the focused element once ``element_id`` took the focus, or after
    ``timeout_ms``: Chromium applies ``autofocus`` at its next rendering update, which on
    a busy machine can come after the load event. Polled with ``page.evaluate``:
    ``wait_for_function`` compiles its predicate in the page, which the pages' Content
    Security Policy refuses (a console error the page audit counts)."""

    script = "document.activeElement && document.activeElement.id"
    deadline = time.monotonic() + timeout_ms / 1000
    focused = str(page.evaluate(script) or "")
    # A timeout is no error here: the caller's assertion says what was focused instead.
    while focused != element_id and time.monotonic() < deadline:
        page.wait_for_timeout(25)
        focused = str(page.evaluate(script) or "")
    return focused
