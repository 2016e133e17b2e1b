"""Due work of the reactions module: reminders about overdue reactions (with escalation),
reminders about stale dossiers, and removal of contact details after the decision.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from participatie.reactions.context import SUBJECT, record_event
from participatie.reactions.models import DossierRow
from participatie.reactions.overdue import overdue_items

if TYPE_CHECKING:
    from participatie.engine import Participatie
    from participatie.reactions.schemas import OverdueItem

#: Items listed in one reminder; the rest is counted.
LIST_LIMIT = 50


def register(p: Participatie) -> None:
    p.jobs.register(
        "reactions.reminders",
        overdue_reminders,
        every=timedelta(days=1),
        description="remind officials of reactions past their acknowledgement or answer date",
    )
    p.jobs.register(
        "reactions.stale_dossiers",
        stale_dossiers,
        every=timedelta(days=1),
        description="remind officials of dossiers not updated for a while",
    )
    p.jobs.register(
        "reactions.remove_contacts",
        remove_contacts,
        every=timedelta(days=1),
        description="remove submitters' contact details after the retention period",
    )


def overdue_reminders(p: Participatie, s: Session, now: datetime) -> dict[str, int]:
    settings = p.settings.reactions
    today = now.astimezone(p.settings.zone).date()
    by_dossier: dict[Any, list[OverdueItem]] = defaultdict(list)
    for item in overdue_items(s, today, settings.escalation_days, None):
        by_dossier[item.dossier_id].append(item)
    sent = escalated = 0
    for dossier_id, items in by_dossier.items():
        dossier = s.get(DossierRow, dossier_id)
        if dossier is None:
            continue
        items.sort(key=lambda i: (-i.level, -i.days_overdue, i.number))
        levels = sorted(Counter(i.level for i in items).items(), reverse=True)
        context = {
            "dossier_title": dossier.title,
            "official": dossier.responsible_official,
            "today": today,
            "total": len(items),
            "levels": levels,
            "items": items[:LIST_LIMIT],
            "more": max(len(items) - LIST_LIMIT, 0),
        }
        key = f"reactions:reminder:{dossier.id}:{today.isoformat()}"
        if p.outbox.enqueue(
            s,
            to=dossier.responsible_email,
            template="reactions_reminder",
            context=context,
            dedupe_key=key,
            subject_type=SUBJECT,
            subject_id=dossier.id,
        ):
            sent += 1
        top = items[0].level
        if (
            top >= 3
            and settings.escalation_email
            and p.outbox.enqueue(
                s,
                to=settings.escalation_email,
                template="reactions_reminder",
                context=context,
                dedupe_key=key + ":escalation",
                subject_type=SUBJECT,
                subject_id=dossier.id,
            )
        ):
            escalated += 1
        record_event(
            p,
            s,
            "system",
            "reactions.reminder",
            dossier.id,
            overdue=len(items),
            levels={str(k): v for k, v in levels},
            escalated=top >= 3,
        )
    return {"dossiers": len(by_dossier), "reminders": sent, "escalations": escalated}


def stale_dossiers(p: Participatie, s: Session, now: datetime) -> int:
    limit = now - p.settings.reactions.stale_after
    year, week, _ = now.astimezone(p.settings.zone).isocalendar()
    sent = 0
    rows = s.execute(
        select(DossierRow).where(DossierRow.status == "open", DossierRow.updated_at < limit)
    ).scalars()
    for dossier in rows:
        if p.outbox.enqueue(
            s,
            to=dossier.responsible_email,
            template="reactions_stale",
            context={
                "dossier_title": dossier.title,
                "official": dossier.responsible_official,
                "updated_on": dossier.updated_at.astimezone(p.settings.zone).date(),
                "dossier_url": p.url("dossier", dossier=dossier.id),
            },
            dedupe_key=f"reactions:stale:{dossier.id}:{year}-{week:02d}",
            subject_type=SUBJECT,
            subject_id=dossier.id,
        ):
            sent += 1
    return sent


def remove_contacts(p: Participatie, s: Session, now: datetime) -> int:
    from participatie.reactions import retention

    settings = p.settings.reactions
    total = 0
    rows = list(
        s.execute(
            select(DossierRow).where(
                DossierRow.contacts_removed_at.is_(None),
                or_(
                    DossierRow.decided_at <= now - settings.contact_retention,
                    # No decision ever recorded: counted from the last change instead.
                    DossierRow.decided_at.is_(None)
                    & (DossierRow.updated_at <= now - settings.undecided_contact_retention),
                ),
            )
        ).scalars()
    )
    for dossier in rows:
        count = retention.remove_contacts(s, dossier, now, p.outbox)
        total += count
        decided = dossier.decided_at is not None
        retention_period = (
            settings.contact_retention if decided else settings.undecided_contact_retention
        )
        record_event(
            p,
            s,
            "system",
            "reactions.contacts_removed",
            dossier.id,
            submitters=count,
            retention_days=retention_period.days,
            decided=decided,
        )
    return total
