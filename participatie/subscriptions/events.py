"""From audit events to subscription events: the listener ``p.audit`` calls inside
``record``, in the caller's transaction, and the table of what residents hear of."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from participatie.audit import AuditEvent
from participatie.subscriptions.models import EventRow
from participatie.subscriptions.schemas import SubscriptionEvent

if TYPE_CHECKING:
    from participatie.engine import Participatie


@dataclass(frozen=True)
class Rule:
    """How one audit action becomes an event: its kind, topic and page."""

    kind: str
    topic: str
    urgent: bool = False


#: Audit action -> event. ``reactions.phase_set`` counts only when the phase is delayed.
RULES: dict[str, Rule] = {
    "poll.opened": Rule("poll.opened", "polls"),
    "poll.published": Rule("poll.published", "decisions"),
    "petition.approved": Rule("petition.opened", "petitions"),
    "petition.threshold_reached": Rule("petition.threshold_reached", "petitions"),
    "petition.closed": Rule("petition.closed", "petitions"),
    "petition.handed_over": Rule("petition.handed_over", "petitions"),
    "petition.answered": Rule("petition.answered", "decisions"),
    "reactions.dossier_created": Rule("dossier.created", "dossiers"),
    # A dossier made as a draft in the back office is news when it is published.
    "reactions.dossier_published": Rule("dossier.created", "dossiers"),
    "reactions.document_added": Rule("dossier.document_added", "dossiers"),
    "reactions.phase_set": Rule("dossier.phase_delayed", "dossiers"),
    "reactions.round_started": Rule("dossier.round_started", "dossiers"),
    "reactions.answers_published": Rule("dossier.answers_published", "dossiers"),
    "reactions.decided": Rule("dossier.decided", "decisions"),
    "subscriptions.round_closing": Rule("dossier.round_closing", "dossiers", urgent=True),
}

POLL = "poll"
PETITION = "petition"
DOSSIER = "reactions_dossier"
#: The subject type each action family is recorded under.
SUBJECT_TYPES = {
    "poll": POLL,
    "petition": PETITION,
    "reactions": DOSSIER,
    "subscriptions": DOSSIER,
}


@dataclass(frozen=True)
class Subject:
    title: str
    area_codes: list[str]
    url: str


def subject_of(p: Participatie, s: Session, subject_type: str, subject_id: str) -> Subject | None:
    """Title, wijken and public page of a poll, petition or dossier, read in ``s``;
    None for a subject the public does not see (a hidden petition)."""

    try:
        ident = uuid.UUID(subject_id)
    except ValueError:
        return None  # not one of the library's own subjects
    if subject_type == POLL:
        poll = p.polls.get(ident, session=s)
        return Subject(poll.title, sorted(poll.area_codes), p.url("poll", poll=poll.id))
    if subject_type == PETITION:
        petition = p.petitions.get(ident, session=s)
        if petition.hidden:
            return None
        # A petition has no wijk of its own: it concerns the whole municipality.
        return Subject(petition.title, [], p.url("petition", petition=petition.id))
    if subject_type == DOSSIER:
        dossier = p.reactions.get_dossier(ident, session=s)
        if not dossier.published:
            return None
        # Residents of the wijken the plan also affects follow it too.
        areas = sorted({*dossier.areas, *dossier.also_areas})
        return Subject(dossier.title, areas, p.url("dossier", dossier=dossier.id))
    return None


def on_audit_event(p: Participatie, session: Session, event: AuditEvent) -> None:
    """Write the subscription event of an audit event, if it is one residents follow."""

    rule = RULES.get(event.action)
    if rule is None:
        return
    if event.action == "reactions.phase_set":
        after = event.data.get("after") or {}
        before = event.data.get("before") or {}
        if after.get("status") != "delayed" or before.get("status") == "delayed":
            return
    if event.subject_type != SUBJECT_TYPES[event.action.split(".", 1)[0]]:
        return
    subject = subject_of(p, session, event.subject_type, event.subject_id)
    if subject is None:
        return
    session.add(
        EventRow(
            seq=event.seq,
            occurred_at=event.occurred_at,
            kind=rule.kind,
            topic=rule.topic,
            subject_type=event.subject_type,
            subject_id=event.subject_id,
            title=subject.title[:255],
            area_codes=subject.area_codes,
            url=subject.url,
            urgent=rule.urgent,
        )
    )


def event_out(row: EventRow) -> SubscriptionEvent:
    return SubscriptionEvent(
        seq=row.seq,
        occurred_at=row.occurred_at,
        kind=row.kind,
        topic=row.topic,
        subject_type=row.subject_type,
        subject_id=row.subject_id,
        title=row.title,
        area_codes=list(row.area_codes or []),
        url=row.url,
        urgent=row.urgent,
    )
