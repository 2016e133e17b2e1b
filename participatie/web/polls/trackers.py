"""The tracker look-up page of a poll: a voter finds their anonymised ballot by the
tracker on their receipt, once voting has ended.
"""

from __future__ import annotations

from fastapi import Request
from starlette.datastructures import FormData
from starlette.responses import HTMLResponse

from participatie.polls.schemas import PublishedBallot
from participatie.web.common import (
    facade,
    form_text,
    page_router,
    render,
    translator,
    with_form,
)
from participatie.web.polls.lookup import ENDED, public_poll

pages = page_router()


@pages.get("/polls/{poll}/ballots", response_class=HTMLResponse)
def trackers(request: Request, poll: str, tracker: str | None = None) -> HTMLResponse:
    # ``?tracker=`` still works for old bookmarks; the form posts it, so it stays out of
    # access logs and browser history.
    return _trackers(request, poll, tracker)


@pages.post("/polls/{poll}/ballots", response_class=HTMLResponse)
async def trackers_form(request: Request, poll: str) -> HTMLResponse:
    return await with_form(request, _posted_tracker, poll)


def _posted_tracker(request: Request, poll: str, form: FormData) -> HTMLResponse:
    return _trackers(request, poll, form_text(form, "tracker", limit=200))


def _trackers(request: Request, poll: str, tracker: str | None) -> HTMLResponse:
    t = translator(request)
    found = public_poll(request, poll)
    ended = found.state in ENDED
    ballot: PublishedBallot | None = None
    errors: dict[str, str] = {}
    wanted = (tracker or "").strip()[:200]
    if ended and wanted:
        ballot = facade(request).polls.find_tracker(found.id, wanted)
        if ballot is None:
            errors["tracker"] = t("poll.tracker_not_found")
    return render(
        request,
        "poll_trackers.html",
        status=200 if not errors else 404,
        poll=found,
        ended=ended,
        tracker=wanted,
        ballot=ballot,
        errors=errors,
        labels=("tracker",),
        values={"tracker": wanted},
    )
