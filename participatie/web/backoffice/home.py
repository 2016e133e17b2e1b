"""The start page, "te doen": what waits for the signed-in user, and only what they may do."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from fastapi import Request
from starlette.responses import Response

from participatie.engine import Participatie
from participatie.reactions.schemas import DossierSummary
from participatie.web.backoffice.frame import DOSSIER_ACTIONS, Pages, Staff, render
from participatie.worklist import job_problems, paper_progress

pages = Pages()

#: The dossier actions a link on the start page can lead to.
DOSSIER_LINKS = ("dossiers.intake", "dossiers.assess", "dossiers.publish")


@dataclass(frozen=True)
class Todo:
    """One line on the start page: what, about which item, and where to do it."""

    kind: str
    title: str
    path: str
    count: int = 0
    detail: str = ""


@pages.route("/", action=None)
def todo(request: Request, staff: Staff) -> Response:
    from participatie.web.backoffice.frame import bo_state

    p = bo_state(request).p
    now = p.clock.now()
    items: list[Todo] = []
    for petition in p.petitions.list(include_hidden=True):
        pid = str(petition.id)
        path = f"/petities/{pid}"
        if petition.status == "submitted" and staff.may("petitions.moderate", pid):
            items.append(Todo("moderate", petition.title, path))
        if petition.status == "open" and staff.may("petitions.desk", pid):
            trends = p.petitions.trends(petition.id)
            if trends:
                items.append(Todo("trends", petition.title, path, count=len(trends)))
        if petition.status == "handed_over" and staff.may("petitions.answer", pid):
            items.append(Todo("answer", petition.title, path))
    for poll in p.polls.list():
        qid = str(poll.id)
        path = f"/stemmingen/{qid}"
        if staff.may("polls.manage", qid):
            if poll.state in ("draft", "scheduled"):
                items.append(Todo("poll_open", poll.title, path))
            elif poll.state == "open" and poll.closes_at is not None and poll.closes_at <= now:
                items.append(Todo("poll_close", poll.title, path))
        if poll.state == "closed" and staff.may("polls.publish", qid):
            items.append(Todo("poll_publish", poll.title, path))
        if poll.state in ("open", "closed") and (
            staff.may("polls.paper", qid) or staff.may("polls.resolve", qid)
        ):
            progress = paper_progress(p, poll.id)
            if progress.typed_once and staff.may("polls.paper", qid):
                items.append(
                    Todo("paper_once", poll.title, path + "/papier", count=progress.typed_once)
                )
            if progress.differences and staff.may("polls.resolve", qid):
                items.append(
                    Todo(
                        "paper_differences",
                        poll.title,
                        path + "/verschillen",
                        count=progress.differences,
                    )
                )
    # One read of the dossiers serves the to-do items and the links below them.
    summaries = p.reactions.list_dossiers() if staff.allowed.intersection(DOSSIER_ACTIONS) else []
    items.extend(dossier_todos(p, staff, now, summaries))
    dossiers = [
        (summary, [a for a in DOSSIER_LINKS if staff.may(a, str(summary.id))])
        for summary in summaries
    ]
    failed_mail = 0
    jobs = []
    if staff.may("system.status", None):
        failed_mail = p.outbox.counts().get("failed", 0)
        jobs = job_problems(p)
    return render(
        request,
        staff,
        "home.html",
        section="home",
        items=items,
        failed_mail=failed_mail,
        jobs=jobs,
        dossiers=[(summary, allowed) for summary, allowed in dossiers if allowed],
    )


def dossier_todos(
    p: Participatie, staff: Staff, now: datetime, summaries: Sequence[DossierSummary]
) -> list[Todo]:
    """Dossiers (``summaries``, as listed): drafts to publish, reactions past their
    targets, dossiers gone quiet. One query whatever their number (the overdue ones)."""

    dossiers = [
        d for d in summaries if any(staff.may(action, str(d.id)) for action in DOSSIER_ACTIONS)
    ]
    if not dossiers:
        return []
    late: dict[str, int] = {}
    for item in p.reactions.overdue():
        late[str(item.dossier_id)] = late.get(str(item.dossier_id), 0) + 1
    items: list[Todo] = []
    stale_before = now - p.settings.reactions.stale_after
    for d in dossiers:
        did = str(d.id)
        path = f"/dossiers/{did}"
        if d.status == "open" and not d.published and staff.may("dossiers.publish", did):
            items.append(Todo("dossier_draft", d.title, path))
        if late.get(did):
            items.append(Todo("dossier_overdue", d.title, path + "/termijnen", count=late[did]))
        if d.status == "open" and d.updated_at <= stale_before and staff.may("dossiers.edit", did):
            items.append(Todo("dossier_stale", d.title, path))
    return items
