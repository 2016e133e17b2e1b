"""Fixtures of the back-office tests: staff with their actions, the host's two callbacks
(who is signed in: a test cookie; what they may do: the staff table, optionally limited to
one subject), and the back office mounted at /beheer in a host app."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.requests import Request

from participatie.engine import Participatie
from participatie.web import create_app
from participatie.web.backoffice import ACTIONS, StaffUser, create_backoffice

STAFF_COOKIE = "test_staff"
ALL = frozenset(ACTIONS)


@dataclass
class Host:
    """The host's side: its users, what each may do, and on which subjects."""

    actions: dict[str, frozenset[str]] = field(default_factory=dict)
    #: user id -> the only subject they may act on (None: every subject).
    only: dict[str, str] = field(default_factory=dict)
    asked: list[tuple[str, str, str | None]] = field(default_factory=list)

    def current_user(self, request: Request) -> StaffUser | None:
        user = request.headers.get("x-test-staff") or request.cookies.get(STAFF_COOKIE)
        if not user or user not in self.actions:
            return None
        return StaffUser(id=user, name=user.replace("-", " ").title())

    def authorize(self, user: StaffUser, action: str, subject: str | None) -> bool:
        self.asked.append((user.id, action, subject))
        if action not in self.actions.get(user.id, frozenset()):
            return False
        limit = self.only.get(user.id)
        return limit is None or subject is None or subject == limit


def default_host() -> Host:
    return Host(
        actions={
            "beheerder": ALL,
            "griffie": frozenset(
                {
                    "petitions.moderate",
                    "petitions.desk",
                    "petitions.export",
                    "petitions.answer",
                    "privacy.requests",
                    "system.status",
                }
            ),
            "projectleider": frozenset(
                {"polls.manage", "polls.codes", "polls.desk", "polls.publish", "system.status"}
            ),
            "typist-a": frozenset({"polls.paper"}),
            "typist-b": frozenset({"polls.paper"}),
            "teamleider": frozenset({"polls.resolve", "polls.paper", "polls.desk"}),
            "niemand": frozenset(),
        }
    )


def host_app(p: Participatie, host: Host) -> FastAPI:
    site = FastAPI()
    site.mount(
        "/beheer",
        create_backoffice(
            p,
            current_user=host.current_user,
            authorize=host.authorize,
            login_url="/login",
        ),
    )
    site.mount("/", create_app(p))
    return site


@pytest.fixture
def host() -> Host:
    return default_host()


@pytest.fixture
def bo_client(p: Participatie, host: Host) -> Iterator[TestClient]:
    with TestClient(host_app(p, host), raise_server_exceptions=False) as client:
        yield client
