"""Digests and immediate mails: who hears of which event, queued through the outbox with
a "never twice" key per subscriber and period, in pages of subscribers (memory flat)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table, bindparam, or_, select, update
from sqlalchemy.orm import Session

from participatie.outbox.bulk import Mail, Texts
from participatie.subscriptions.events import DOSSIER, PETITION
from participatie.subscriptions.models import EventRow, FollowRow, SubscriberRow
from participatie.subscriptions.schemas import MUNICIPALITY, DigestRun

if TYPE_CHECKING:
    from participatie.engine import Participatie

#: Subscribers read, matched and mailed per page.
PAGE = 1000
SUBSCRIBER = "subscriber"
SUBSCRIBERS: Table = SubscriberRow.__table__  # type: ignore[assignment]
_SUBSCRIBERS = SUBSCRIBERS.c
#: Moves a subscriber's high-water mark forward only (a slower runner never moves it back).
MOVE_MARK = (
    update(SUBSCRIBERS)
    .where(_SUBSCRIBERS.id == bindparam("sid"), _SUBSCRIBERS.last_seq < bindparam("mark"))
    .values(last_seq=bindparam("mark"))
)


@dataclass(frozen=True)
class Followed:
    kind: str
    target: str
    topics: frozenset[str]
    since: datetime


@dataclass(frozen=True)
class Event:
    seq: int
    occurred_at: datetime
    kind: str
    topic: str
    subject_type: str
    subject_id: str
    title: str
    area_codes: frozenset[str]
    url: str


def matches(follow: Followed, event: Event) -> bool:
    """Whether one follow covers one event; never an event older than the follow."""

    if event.occurred_at < follow.since:
        return False
    if follow.kind == "dossier":
        return event.subject_type == DOSSIER and event.subject_id == follow.target
    if follow.kind == "petition":
        return event.subject_type == PETITION and event.subject_id == follow.target
    if follow.topics and event.topic not in follow.topics:
        return False
    # No wijken on the event: it concerns the whole municipality, so every wijk.
    return (
        follow.target == MUNICIPALITY or not event.area_codes or follow.target in event.area_codes
    )


def period(p: Participatie, frequency: str, now: datetime, *, force: bool = False) -> str | None:
    """The digest period ``now`` falls in, or None when that digest is not due yet."""

    settings = p.settings.subscriptions
    local = now.astimezone(p.settings.zone)
    if frequency == "daily":
        due = local.hour >= settings.digest_hour
        name = local.date().isoformat()
    else:
        weekday = local.isoweekday()
        due = weekday > settings.weekly_day or (
            weekday == settings.weekly_day and local.hour >= settings.digest_hour
        )
        year, week, _ = local.isocalendar()
        name = f"{year}-W{week:02d}"
    return name if due or force else None


def _event(row: EventRow) -> Event:
    return Event(
        seq=row.seq,
        occurred_at=row.occurred_at,
        kind=row.kind,
        topic=row.topic,
        subject_type=row.subject_type,
        subject_id=row.subject_id,
        title=row.title,
        area_codes=frozenset(row.area_codes or []),
        url=row.url,
    )


def _follows(s: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, list[Followed]]:
    found: dict[uuid.UUID, list[Followed]] = defaultdict(list)
    rows = s.execute(
        select(
            FollowRow.subscriber_id,
            FollowRow.kind,
            FollowRow.target,
            FollowRow.topics,
            FollowRow.created_at,
        ).where(FollowRow.subscriber_id.in_(ids))
    )
    for sub_id, kind, target, topics, since in rows:
        topic_set = frozenset(topics.split(",")) if topics else frozenset()
        found[sub_id].append(Followed(kind, target, topic_set, since))
    return found


def _page(s: Session, frequency: str, above: int, after: uuid.UUID | None) -> list[Any]:
    """Up to ``PAGE`` subscribers of a frequency with events to hear of (a mark below
    ``above``), in id order after ``after`` (keyset)."""

    query = (
        select(
            SubscriberRow.id,
            SubscriberRow.address,
            SubscriberRow.locale,
            SubscriberRow.last_seq,
            SubscriberRow.mailbox_hash,
        )
        .where(SubscriberRow.frequency == frequency, SubscriberRow.last_seq < above)
        .order_by(SubscriberRow.id)
        .limit(PAGE)
    )
    if after is not None:
        query = query.where(SubscriberRow.id > after)
    return list(s.execute(query))


def headers(unsubscribe_url: str) -> dict[str, str]:
    """RFC 2369 and RFC 8058: one click in the mail client leaves."""

    return {
        "List-Unsubscribe": f"<{unsubscribe_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def _events(p: Participatie, s: Session, now: datetime) -> list[Event]:
    keep = p.settings.subscriptions.keep_events
    return [
        _event(row)
        for row in s.execute(
            select(EventRow)
            .where(EventRow.urgent.is_(False), EventRow.occurred_at >= now - keep)
            .order_by(EventRow.seq)
        ).scalars()
    ]


def send_digests(
    p: Participatie, s: Session | None, frequency: str, period_name: str, now: datetime
) -> DigestRun:
    """Queue one digest per subscriber of ``frequency`` for ``period_name``.

    In the caller's transaction ``s``; with None, a page of subscribers (``PAGE``) per
    transaction of its own (``jobs.Steps``), so 100,000 digests do not hold SQLite's
    write lock for the whole run. A run stopped half-way is finished by the next: a
    digest queued already is not queued again (its "never twice" key) and the marks of
    the subscribers it reached have moved.
    """

    from participatie.jobs import Steps

    if s is None:
        with p.unit_of_work(readonly=True) as read:
            events = _events(p, read, now)
    else:
        events = _events(p, s, now)
    if not events:
        return DigestRun(period=period_name, subscribers=0, queued=0)
    digest = _Digest(p, events, frequency, period_name)
    steps = Steps(p) if s is None else None
    after: uuid.UUID | None = None
    while True:
        with steps.step() if steps is not None else nullcontext(s) as session:
            assert session is not None
            page = _page(session, frequency, events[-1].seq, after)
            if not page:
                break
            digest.queue(session, page)
        after = page[-1].id
    return DigestRun(period=period_name, subscribers=digest.subscribers, queued=digest.queued)


class _Digest:
    """One frequency's digests for one period, queued a page of subscribers at a time."""

    def __init__(self, p: Participatie, events: list[Event], frequency: str, period: str) -> None:
        self._p = p
        self._frequency = frequency
        self._period = period
        self._texts = Texts(p, "subscriptions_digest", "manage_url")
        self._covered = Covered(events)
        self.subscribers = self.queued = 0

    def queue(self, s: Session, page: list[Any]) -> None:
        p = self._p
        follows = _follows(s, [row.id for row in page])
        mails: list[Mail] = []
        news_marks: list[dict[str, Any]] = []
        for row in page:
            self.subscribers += 1
            news = _news(follows.get(row.id, []), row.last_seq, self._covered)
            if not news:
                continue
            unsub = p.subscriptions.manage_url(row.id, row.mailbox_hash)
            # Subscribers with the same news in the same language get the same text but
            # their own link: rendered once per (language, events), the link filled in.
            rendered = self._texts.render(
                (row.locale, tuple(e.seq for e in news)),
                row.locale,
                {
                    "events": [_context(e) for e in news],
                    "frequency": self._frequency,
                    "period": self._period,
                },
                unsub,
            )
            mails.append(
                Mail(
                    to=row.address,
                    template="subscriptions_digest",
                    locale=row.locale,
                    headers=headers(unsub),
                    dedupe_key=f"subscription-digest:{row.id}:{self._frequency}:{self._period}",
                    subject_type=SUBSCRIBER,
                    subject_id=row.id,
                    rendered=rendered,
                )
            )
            news_marks.append({"sid": row.id, "mark": news[-1].seq})
        # One INSERT for the page's digests. A digest of this period that exists already
        # (another runner, an earlier run) is not queued again, and its subscriber's mark
        # stays: the events it did not carry wait for the next period.
        ids = p.outbox.enqueue_many(s, mails)
        marks = [mark for mark, queued_id in zip(news_marks, ids, strict=True) if queued_id]
        self.queued += len(marks)
        if marks:
            # One statement for the page (executemany), not one round trip per subscriber.
            s.connection().execute(MOVE_MARK, marks)


class Covered:
    """The events each kind of follow covers, worked out once per distinct follow (kind,
    target, topics) rather than once per subscriber: a hundred thousand subscribers
    follow a few dozen wijken and topics."""

    def __init__(self, events: list[Event]) -> None:
        self._events = events
        self._by_follow: dict[tuple[str, str, frozenset[str]], list[Event]] = {}

    def events(self, follow: Followed) -> list[Event]:
        """The events ``follow`` covers by what it follows, in order, regardless of when
        it began (``matches`` with the follow's start left out)."""

        key = (follow.kind, follow.target, follow.topics)
        found = self._by_follow.get(key)
        if found is None:
            always = Followed(
                follow.kind, follow.target, follow.topics, datetime.min.replace(tzinfo=UTC)
            )
            found = [e for e in self._events if matches(always, e)]
            self._by_follow[key] = found
        return found


def _news(mine: list[Followed], last_seq: int, covered: Covered) -> list[Event]:
    """What one subscriber has not heard of yet: events after ``last_seq`` that one of
    their follows covers and that happened after that follow began, in order."""

    if len(mine) == 1:
        follow = mine[0]
        return [
            e for e in covered.events(follow) if e.seq > last_seq and e.occurred_at >= follow.since
        ]
    chosen: dict[int, Event] = {}
    for follow in mine:
        for e in covered.events(follow):
            if e.seq > last_seq and e.occurred_at >= follow.since:
                chosen[e.seq] = e
    return [chosen[seq] for seq in sorted(chosen)]


def _context(event: Event) -> dict[str, Any]:
    return {"kind": event.kind, "title": event.title, "url": event.url, "topic": event.topic}


def send_urgent(p: Participatie, s: Session, now: datetime) -> int:
    """Mail each urgent event not mailed yet to everyone following it, once."""

    pending = list(
        s.execute(
            select(EventRow)
            .where(EventRow.urgent.is_(True), EventRow.notified_at.is_(None))
            .order_by(EventRow.seq)
            .with_for_update(skip_locked=s.get_bind().dialect.name != "sqlite")
        ).scalars()
    )
    queued = 0
    for row in pending:
        event = _event(row)
        targets = [*event.area_codes, MUNICIPALITY]
        query = (
            select(
                SubscriberRow.id,
                SubscriberRow.address,
                SubscriberRow.locale,
                SubscriberRow.mailbox_hash,
                FollowRow.kind,
                FollowRow.target,
                FollowRow.topics,
                FollowRow.created_at,
            )
            .join(FollowRow, FollowRow.subscriber_id == SubscriberRow.id)
            .where(
                or_(
                    FollowRow.kind == "area"
                    if not event.area_codes
                    else (FollowRow.kind == "area") & FollowRow.target.in_(targets),
                    (FollowRow.kind == "dossier") & (FollowRow.target == event.subject_id),
                    (FollowRow.kind == "petition") & (FollowRow.target == event.subject_id),
                )
            )
        )
        done: set[uuid.UUID] = set()
        texts = Texts(p, "subscriptions_event", "manage_url")
        mails: list[Mail] = []
        for sid, address, locale, key, kind, target, topics, since in s.execute(query):
            follow = Followed(
                kind, target, frozenset(topics.split(",")) if topics else frozenset(), since
            )
            if sid in done or not matches(follow, event):
                continue
            done.add(sid)
            unsub = p.subscriptions.manage_url(sid, key)
            mails.append(
                Mail(
                    to=address,
                    template="subscriptions_event",
                    locale=locale,
                    headers=headers(unsub),
                    dedupe_key=f"subscription-event:{sid}:{event.seq}",
                    subject_type=SUBSCRIBER,
                    subject_id=sid,
                    rendered=texts.render(locale, locale, {"event": _context(event)}, unsub),
                )
            )
            if len(mails) >= PAGE:
                queued += sum(i is not None for i in p.outbox.enqueue_many(s, mails))
                mails = []
        queued += sum(i is not None for i in p.outbox.enqueue_many(s, mails))
        row.notified_at = now
    s.flush()
    return queued


def closing_rounds(p: Participatie, s: Session, now: datetime) -> int:
    """Record "round closes soon" for each open round ending within the setting's days,
    once per round; the audit listener turns it into an urgent event."""

    from participatie.reactions.models import DossierRow, RoundRow

    days = p.settings.subscriptions.closing_soon_days
    today = now.astimezone(p.settings.zone).date()
    rows = s.execute(
        select(DossierRow.id, RoundRow.number, RoundRow.period_end)
        .join(RoundRow, RoundRow.dossier_id == DossierRow.id)
        .where(
            DossierRow.status == "open",
            RoundRow.number == DossierRow.round,
            RoundRow.period_end >= today,
            RoundRow.period_end <= today + timedelta(days=days),
        )
    ).all()
    recorded = 0
    for dossier_id, number, period_end in rows:
        done = p.audit.events(
            subject_type=DOSSIER,
            subject_id=dossier_id,
            action="subscriptions.round_closing",
            session=s,
        )
        if any(e.data.get("round") == number for e in done):
            continue
        p.audit.record(
            s,
            actor="system",
            action="subscriptions.round_closing",
            subject_type=DOSSIER,
            subject_id=dossier_id,
            data={"round": number, "period_end": period_end.isoformat()},
        )
        recorded += 1
    return recorded
