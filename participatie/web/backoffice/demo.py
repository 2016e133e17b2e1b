"""The demo's sign-in for ``participatie serve --demo``: pick one of the demo's staff (no
password), remembered in a signed cookie, and only from this computer (loopback).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from fastapi import APIRouter, FastAPI, Request
from itsdangerous import BadSignature, URLSafeSerializer
from starlette.responses import Response

from participatie.engine import Participatie
from participatie.web.backoffice.frame import ACTIONS, Forbidden, StaffUser, finish, render
from participatie.web.common import check_csrf

COOKIE = "participatie_beheer_demo"


@dataclass(frozen=True)
class DemoStaff:
    id: str
    name: str
    actions: frozenset[str]


PETITION_DESK = frozenset(
    {
        "petitions.moderate",
        "petitions.desk",
        "petitions.export",
        "petitions.answer",
        "privacy.requests",
        "system.status",
    }
)
DEMO_STAFF: tuple[DemoStaff, ...] = (
    DemoStaff("griffie", "Griffie – J. de Vries", PETITION_DESK),
    DemoStaff(
        "projectleider",
        "Projectleider – S. Bakker",
        frozenset(
            {
                "polls.manage",
                "polls.codes",
                "polls.desk",
                "polls.publish",
                "dossiers.edit",
                "dossiers.assess",
                "dossiers.publish",
            }
        ),
    ),
    DemoStaff(
        "invoerder-1", "Invoerder 1 – A. Jansen", frozenset({"polls.paper", "dossiers.intake"})
    ),
    DemoStaff(
        "invoerder-2", "Invoerder 2 – M. Visser", frozenset({"polls.paper", "dossiers.intake"})
    ),
    DemoStaff(
        "teamleider",
        "Teamleider – R. de Boer",
        frozenset({"polls.resolve", "polls.desk", "dossiers.assess", "system.status"}),
    ),
)
assert all(a in ACTIONS for s in DEMO_STAFF for a in s.actions)
BY_ID = {s.id: s for s in DEMO_STAFF}


def is_loopback(request: Request) -> bool:
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def create_demo_backoffice(p: Participatie, *, prefix: str = "/beheer") -> FastAPI:
    """The back office with the demo's staff; mount it at ``prefix``."""

    from participatie.web.backoffice import create_backoffice

    signer = URLSafeSerializer(list(reversed(p.settings.signing_keys)), salt="participatie:demo")

    def current_user(request: Request) -> StaffUser | None:
        if not is_loopback(request):
            return None
        try:
            value = signer.loads(request.cookies.get(COOKIE, ""))
        except BadSignature:
            return None
        staff = BY_ID.get(str(value))
        return StaffUser(id=staff.id, name=staff.name) if staff else None

    def authorize(user: StaffUser, action: str, subject: str | None) -> bool:
        staff = BY_ID.get(user.id)
        return staff is not None and action in staff.actions

    app = create_backoffice(
        p,
        current_user=current_user,
        authorize=authorize,
        login_url=f"{prefix}/aanmelden",
        logout_url=f"{prefix}/afmelden",
    )
    router = APIRouter()

    @router.get("/aanmelden", include_in_schema=False)
    def sign_in_page(request: Request) -> Response:
        if not is_loopback(request):
            raise Forbidden
        return render(
            request,
            None,
            "demo_login.html",
            staff_list=DEMO_STAFF,
            next=_safe_next(request.query_params.get("next", ""), prefix),
        )

    @router.post("/aanmelden", include_in_schema=False)
    async def sign_in(request: Request) -> Response:
        if not is_loopback(request):
            raise Forbidden
        await check_csrf(request)
        form = await request.form()
        staff = BY_ID.get(str(form.get("staff", "")))
        if staff is None:
            raise Forbidden
        target = _safe_next(str(form.get("next", "")), prefix)
        response = Response(status_code=303, headers={"location": target})
        finish(request, response)
        response.set_cookie(
            COOKIE, signer.dumps(staff.id), httponly=True, samesite="strict", path=prefix
        )
        return response

    @router.get("/afmelden", include_in_schema=False)
    def sign_out(request: Request) -> Response:
        response = Response(status_code=303, headers={"location": f"{prefix}/aanmelden"})
        finish(request, response)
        response.delete_cookie(COOKIE, path=prefix)
        return response

    app.include_router(router)
    return app


def _safe_next(value: str, prefix: str) -> str:
    """Only a path inside the back office: the sign-in never sends anyone elsewhere."""

    if value.startswith(prefix + "/") and "//" not in value and "\\" not in value:
        return value
    return prefix + "/"
