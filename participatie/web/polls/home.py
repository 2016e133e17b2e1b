"""What polls add to the home page, the feeds and the widget: polls open for voting, and
the ones whose result is coming or published.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import Request

from participatie.polls.schemas import Poll
from participatie.web.common import HomeItem, HomeSection, facade, translator
from participatie.web.polls.lookup import is_open


def section(request: Request) -> HomeSection:
    t = translator(request)
    p = facade(request)
    items = []
    for poll in p.polls.list(state="open"):
        if not is_open(request, poll):
            continue
        meta = ""
        if poll.closes_at:
            meta = t("common.open_until", date=t.date(poll.closes_at, p.settings.zone))
        items.append(_item(poll, meta, question=poll.question))
    return HomeSection(key="polls", title=t("home.polls"), items=items)


def results_section(request: Request) -> HomeSection:
    t = translator(request)
    p = facade(request)
    items = []
    for poll in p.polls.list():
        if poll.state == "closed":
            items.append(_item(poll, t("poll.result_soon")))
        elif poll.state == "published":
            when = poll.published_at or poll.closed_at
            meta = t("poll.published_on", date=t.date(when, p.settings.zone)) if when else ""
            items.append(_item(poll, meta))
    return HomeSection(key="results", title=t("home.results"), items=items)


def _item(poll: Poll, meta: str, *, question: str = "") -> HomeItem:
    updated: datetime | None = poll.published_at or poll.opened_at or poll.opens_at
    return HomeItem(
        title=poll.title,
        link_name="poll",
        params={"poll": str(poll.id)},
        meta=meta,
        meta_content=question,
        summary=poll.question,
        updated=updated,
        areas=tuple(poll.area_codes),
    )
