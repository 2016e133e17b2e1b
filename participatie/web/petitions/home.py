"""What petitions add to the home page, the feeds and the widget: petitions open for
signing, and the ones whose outcome is known.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import Request

from participatie.petitions.schemas import Petition
from participatie.web.common import HomeItem, HomeSection, facade, translator
from participatie.web.petitions.lookup import is_open


def section(request: Request) -> HomeSection:
    t = translator(request)
    p = facade(request)
    items = []
    for petition in p.petitions.list(status="open"):
        if not is_open(request, petition):
            continue
        count = petition.verified + petition.paper
        meta = t("petition.count", count=count)
        if petition.closes_at:
            meta += " · " + t("common.open_until", date=t.date(petition.closes_at, p.settings.zone))
        items.append(_item(petition, meta, petition.moderated_at or petition.created_at))
    return HomeSection(key="petitions", title=t("home.petitions"), items=items)


def results_section(request: Request) -> HomeSection:
    """Petitions that closed, were handed over or answered: their page shows the outcome."""

    t = translator(request)
    p = facade(request)
    items = []
    for petition in p.petitions.list():
        if petition.status not in ("closed", "handed_over", "answered"):
            continue
        count = petition.verified + petition.paper
        meta = t("petition.count", count=count) + " · " + t(f"petition.status_{petition.status}")
        updated = petition.answered_at or petition.handed_over_at or petition.closed_at
        items.append(_item(petition, meta, updated))
    return HomeSection(key="results", title=t("home.results"), items=items)


def _item(petition: Petition, meta: str, updated: datetime | None) -> HomeItem:
    return HomeItem(
        title=petition.title,
        link_name="petition",
        params={"petition": str(petition.id)},
        meta=meta,
        summary=petition.summary,
        updated=updated,
    )
