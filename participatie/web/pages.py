"""General resident pages: the home page listing what is open, and the API's health check."""

from __future__ import annotations

from fastapi import Depends, Request
from pydantic import BaseModel
from starlette.responses import HTMLResponse

from participatie.areas import Area
from participatie.web.common import JsonRouter, check_csrf, facade, render, require, sections

# The home page and the general JSON routes (wijken, health, the audit check).
router = JsonRouter(dependencies=[Depends(check_csrf)])


@router.get("/", include_in_schema=False, response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    areas = facade(request).areas.list()
    notice = getattr(request.app.state, "participatie_notice", None)
    lines = [line for line in (notice or "").splitlines() if line.strip()]
    return render(request, "home.html", sections=sections(request), areas=areas, notice_lines=lines)


@router.get("/api/areas", tags=["general"], summary="The wijken (for the feeds and widgets)")
def list_areas(request: Request) -> list[Area]:
    return facade(request).areas.list()


class Health(BaseModel):
    status: str


@router.get("/api/health", tags=["general"], summary="The app answers")
def health() -> Health:
    return Health(status="ok")


class AuditCheck(BaseModel):
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    reason: str | None = None


@router.get(
    "/api/admin/audit/verify",
    tags=["admin"],
    summary="Check the audit log's hash chain (administrators)",
    responses={403: {"description": "the host's authorize callback refused"}},
)
def audit_verify(request: Request, actor: str = require("audit.verify")) -> AuditCheck:
    result = facade(request).audit.verify()
    return AuditCheck(
        ok=result.ok,
        checked=result.checked,
        first_bad_seq=result.first_bad_seq,
        reason=result.reason,
    )
