"""The embeddable widget: small pages a neighbourhood website shows in an iframe (a
petition's count and signing link, open polls, a wijk's dossiers); framable by the
origins the host lists in ``frame_ancestors``, and nothing else.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse

from participatie.web.common import facade, render, sections, translator
from participatie.web.petitions.lookup import is_open as petition_open
from participatie.web.petitions.lookup import public_petition

router = APIRouter(prefix="/widget", include_in_schema=False)


@router.get("/petitions/{petition}", response_class=HTMLResponse)
def petition_widget(request: Request, petition: str) -> HTMLResponse:
    found = public_petition(request, petition)
    return render(
        request,
        "widget_petition.html",
        petition=found,
        open=petition_open(request, found),
        count=found.verified + found.paper,
    )


KINDS = ("polls", "petitions", "dossiers")


@router.get("/open", response_class=HTMLResponse)
def open_widget(request: Request, area: str | None = None, kind: str | None = None) -> HTMLResponse:
    """What is open, optionally for one wijk (``?area=paddepoel``) and of one kind
    (``?kind=polls``, ``petitions`` or ``dossiers``)."""

    t = translator(request)
    area_name = facade(request).areas.get(area).name if area else None
    wanted = (kind,) if kind in KINDS else KINDS
    found = [s for s in sections(request, area.lower() if area else None) if s.key in wanted]
    title = t("widget.open_in", area=area_name) if area_name else t("widget.open")
    return render(
        request,
        "widget_list.html",
        title=title,
        area_name=area_name,
        sections=found,
        area=area.lower() if area else None,
    )


@router.get("/areas/{area}", response_class=HTMLResponse)
def area_widget(request: Request, area: str, kind: str | None = None) -> HTMLResponse:
    return open_widget(request, area, kind)
