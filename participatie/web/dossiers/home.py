"""What dossiers add to the home page, the feeds and the widget: dossiers open for
reactions or being answered, and the decided ones.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import Request

from participatie.reactions.schemas import Dossier
from participatie.web.common import HomeItem, HomeSection, facade, translator
from participatie.web.dossiers.lookup import accepts_reactions, day, published


def section(request: Request) -> HomeSection:
    t = translator(request)
    p = facade(request)
    items = []
    for summary in p.reactions.list_dossiers():
        if summary.status != "open" or not summary.published:
            continue
        dossier = p.reactions.get_dossier(summary.id)
        if accepts_reactions(request, dossier):
            meta = t("dossier.react_until", date=day(request, dossier.period_end))
        else:
            meta = t("dossier.status_" + ("answers" if published(dossier) else "in_progress"))
        items.append(_item(dossier, meta, dossier.summary, dossier.updated_at))
    return HomeSection(key="dossiers", title=t("home.dossiers"), items=items)


def results_section(request: Request) -> HomeSection:
    """Decided dossiers: their page tells what was done with the reactions."""

    t = translator(request)
    p = facade(request)
    items = []
    for summary in p.reactions.list_dossiers():
        if summary.status == "open" or not summary.published:
            continue
        dossier = p.reactions.get_dossier(summary.id)
        summary_text = dossier.decision_summary or dossier.summary
        updated = dossier.decided_at or dossier.updated_at
        items.append(_item(dossier, t("dossier.status_decided"), summary_text, updated))
    return HomeSection(key="results", title=t("home.results"), items=items)


def _item(dossier: Dossier, meta: str, summary: str, updated: datetime | None) -> HomeItem:
    return HomeItem(
        title=dossier.title,
        link_name="dossier",
        params={"dossier": str(dossier.id)},
        meta=meta,
        summary=summary[:500],
        updated=updated,
        areas=tuple(sorted({*dossier.areas, *dossier.also_areas})),
    )
