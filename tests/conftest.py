"""Shared fixtures: every database test runs on SQLite, PostgreSQL and MariaDB.

PostgreSQL and MariaDB come from PARTICIPATIE_TEST_POSTGRES_URL and
PARTICIPATIE_TEST_MARIADB_URL; each test worker gets databases of its own. Without the
variables those cases are skipped with a visible reason, unless
PARTICIPATIE_TEST_REQUIRE_DATABASES=1 (CI), where a missing or silent database fails.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings as hypothesis_settings
from sqlalchemy import Engine

import participatie.models  # noqa: F401  (all tables on the metadata)
from participatie.clock import FixedClock
from participatie.db import make_engine, metadata
from participatie.engine import Participatie
from participatie.testing import (
    TEST_START,
    SmtpSink,
    make_participatie,
    reset_database,
    smtp_server,
    temporary_database,
)

# Property tests touch real databases on a shared machine: no per-example deadline. CI
# runs them derandomized, so a run is repeatable; locally they explore new examples.
hypothesis_settings.register_profile("dev", deadline=None)
hypothesis_settings.register_profile("ci", deadline=None, derandomize=True)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

DIALECTS = ("sqlite", "postgresql", "mariadb")
ENV = {"postgresql": "PARTICIPATIE_TEST_POSTGRES_URL", "mariadb": "PARTICIPATIE_TEST_MARIADB_URL"}
REQUIRED = os.environ.get("PARTICIPATIE_TEST_REQUIRE_DATABASES") == "1"


class _Servers:
    """Per test session: one temporary database per server dialect, made on first use."""

    def __init__(self) -> None:
        self._stack = ExitStack()
        self._urls: dict[str, str] = {}
        self._engines: dict[str, Engine] = {}

    def url(self, dialect: str) -> str:
        if dialect not in self._urls:
            base = os.environ.get(ENV[dialect])
            if not base:
                message = f"{ENV[dialect]} is not set: {dialect} tests not run"
                if REQUIRED:
                    pytest.fail(message)
                pytest.skip(message)
            try:
                self._urls[dialect] = self._stack.enter_context(temporary_database(base))
            except Exception as exc:
                pytest.fail(f"{dialect} at {ENV[dialect]} does not answer: {exc}")
        return self._urls[dialect]

    def engine(self, dialect: str) -> Engine:
        if dialect not in self._engines:
            engine = make_engine(self.url(dialect), pool_size=10, max_overflow=30)
            metadata.create_all(engine)
            self._engines[dialect] = engine
        return self._engines[dialect]

    def close(self) -> None:
        for engine in self._engines.values():
            engine.dispose()
        self._stack.close()


@pytest.fixture(scope="session")
def servers() -> Iterator[_Servers]:
    servers = _Servers()
    yield servers
    servers.close()


@pytest.fixture(params=DIALECTS)
def dialect(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def empty_database_url(dialect: str, servers: _Servers, tmp_path: Path) -> Iterator[str]:
    """A new, empty database of the dialect (no tables): for migration tests."""

    if dialect == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    servers.url(dialect)  # skips or fails here when the server is not configured
    with temporary_database(os.environ[ENV[dialect]], prefix="participatie_e") as url:
        yield url


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(TEST_START)


@pytest.fixture
def p(dialect: str, servers: _Servers, tmp_path: Path, clock: FixedClock) -> Iterator[Participatie]:
    """The facade on a clean database of each dialect, with a fixed clock."""

    if dialect == "sqlite":
        facade = make_participatie(f"sqlite:///{tmp_path / 'test.db'}", clock=clock)
        facade.create_all()
        yield facade
        facade.dispose()
        return
    engine = servers.engine(dialect)
    reset_database(engine)
    facade = make_participatie(servers.url(dialect), engine=engine, clock=clock)
    yield facade


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    with smtp_server() as sink:
        yield sink


# -- one Chromium per test process, shared by every package's page tests ----------------
# (Two session fixtures would each start Playwright's sync API in the same thread, and the
# second refuses to run inside the first one's event loop.)


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
def phone(browser: Any) -> Iterator[Any]:
    """A tab the size of a phone (360 x 640 CSS pixels)."""

    context = browser.new_context(locale="nl-NL", viewport={"width": 360, "height": 640})
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()


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
