"""Fixtures of the web tests: an app over the facade of each database, a test client, and
the CSRF token of a rendered form. The browser fixtures live in ``tests/conftest.py``, so
every package's page tests share one Chromium per worker.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

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
