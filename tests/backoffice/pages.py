"""Helpers of the back-office page tests: a site served on loopback with the host's test
login, signing in as a staff member, and the axe-core audit at desktop and phone width."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from participatie.engine import Participatie
from tests.backoffice.conftest import STAFF_COOKIE, Host, default_host, host_app
from tests.web.browser import audit, describe, screenshot, serve

WIDTHS = (1280, 360)


@dataclass
class Site:
    p: Participatie
    base: str
    host: Host


@contextmanager
def served(p: Participatie) -> Iterator[Site]:
    host = default_host()
    with serve(host_app(p, host)) as base:
        yield Site(p=p, base=base, host=host)


def sign_in(page: Any, site: Site, user: str) -> None:
    """The host's login, as far as the back office can tell: a cookie naming the user."""

    page.context.clear_cookies()
    page.context.add_cookies(
        [{"name": STAFF_COOKIE, "value": user, "domain": urlsplit(site.base).hostname, "path": "/"}]
    )


def visit(page: Any, url: str, status: int = 200) -> None:
    response = page.goto(url)
    assert response is not None and response.status == status, f"{url}: {response.status}"


def submit(page: Any, selector: str) -> None:
    """Click a submit button and wait for the page it leads to."""

    with page.expect_navigation(wait_until="load"):
        page.click(selector)


def press_and_wait(page: Any, key: str) -> None:
    with page.expect_navigation(wait_until="load"):
        page.keyboard.press(key)


def check(page: Any, name: str, *, status: int = 200, shot: str | None = None) -> None:
    """Zero WCAG 2.1 A/AA violations at 1280 and 360 px, one h1, Dutch or English.

    ``shot``: the name of a screenshot for the docs, written with
    PARTICIPATIE_WRITE_SCREENSHOTS=1 into docs/web/screenshots.
    """

    size = page.viewport_size
    try:
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            violations = audit(page)
            assert violations == [], f"{name} at {width}px ({page.url}):\n{describe(violations)}"
    finally:
        page.set_viewport_size(size)
    own = f"status of {status}" if status >= 400 else None
    problems = [e for e in page.console_errors if not (own and own in e)]
    assert problems == [], f"{name}: console errors {problems}"
    page.console_errors.clear()
    assert page.locator("html").get_attribute("lang") in ("nl", "en")
    assert page.locator("h1").count() == 1, f"{name}: one main heading"
    if shot and os.environ.get("PARTICIPATIE_WRITE_SCREENSHOTS") == "1":
        screenshot(page, shot, Path(tempfile.mkdtemp()))
