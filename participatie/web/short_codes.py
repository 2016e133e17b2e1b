"""``/k/{code}``: the short code printed on a letter opens its page (``shortcodes.py``)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse

from participatie.errors import NotFound
from participatie.web.common import facade

router = APIRouter(tags=["pages"])


@router.get("/k/{code}", include_in_schema=False)
def short_code(request: Request, code: str) -> RedirectResponse:
    """Redirect (303) to the page the code stands for; 404 for a code nobody was given."""

    path = facade(request).short_codes.resolve(code)
    if path is None:
        raise NotFound("no page has this code", field="code")
    return RedirectResponse(path, status_code=303)
