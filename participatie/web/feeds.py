"""Atom feeds of what is open, for the whole municipality and per wijk, so neighbourhood
websites can show the municipality's petitions, polls and dossiers.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from participatie.web.common import facade, sections, state

router = APIRouter(tags=["feeds"])

ATOM = "application/atom+xml; charset=utf-8"


def _feed(request: Request, area: str | None) -> Response:
    p = facade(request)
    area_name = None
    if area is not None:
        area_name = p.areas.get(area).name
    found = sections(request, area.lower() if area else None)
    entries = [
        {
            "section": section.key,
            "title": item.title,
            "url": p.url(item.link_name, **item.params),
            "summary": item.summary or item.meta,
            "updated": (item.updated or p.clock.now()).isoformat(),
        }
        for section in found
        for item in section.items
    ]
    updated = max((e["updated"] for e in entries), default=p.clock.now().isoformat())
    self_path = f"/feeds/{area.lower()}.atom" if area else "/feeds/all.atom"
    xml = (
        state(request)
        .env.get_template("web/feed.atom.xml")
        .render(
            organisation=p.settings.organisation_name,
            area_name=area_name,
            feed_id=p.settings.public_base_url + self_path,
            self_url=p.settings.public_base_url + self_path,
            home_url=p.url("home"),
            updated=updated,
            entries=entries,
        )
    )
    return Response(xml, media_type=ATOM)


@router.get(
    "/feeds/all.atom",
    summary="Atom feed of everything open in the municipality",
    response_class=Response,
    responses={200: {"content": {"application/atom+xml": {}}}},
)
def feed_all(request: Request) -> Response:
    return _feed(request, None)


@router.get(
    "/feeds/{area}.atom",
    summary="Atom feed of what is open in one wijk (and municipality-wide)",
    response_class=Response,
    responses={
        200: {"content": {"application/atom+xml": {}}},
        404: {"description": "no such wijk"},
    },
)
def feed_area(request: Request, area: str) -> Response:
    return _feed(request, area)
