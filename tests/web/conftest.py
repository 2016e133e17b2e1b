"""Fixtures of the web tests: an app over the facade of each database, a test client, and
the CSRF token of a rendered form.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.requests import Request

from participatie.engine import Participatie
from participatie.web import create_app


def allow_all(request: Request, action: str, subject: str | None) -> str:
    return "beheerder@gemeente.example.nl"


@pytest.fixture
def app(p: Participatie) -> FastAPI:
    return create_app(p, authorize=allow_all)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page has no CSRF field"
    return match.group(1)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the session (Debian's; Playwright cannot fetch its own)."""

    from tests.web.browser import CHROMIUM, CHROMIUM_ARGS, browser_or_skip

    browser_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True, timeout=30_000
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="nl-NL", viewport={"width": 1000, "height": 800})
    context.set_default_timeout(15_000)
    tab = context.new_page()
    # Console errors (a CSP violation, a missing stylesheet) are collected for check().
    errors: list[str] = []
    tab.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    tab.console_errors = errors
    try:
        yield tab
    finally:
        context.close()
