"""``p.subscriptions``: subscribe with double opt-in, change choices, leave with one
click, see and erase one's data by link, and the staff's counts (no addresses)."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from participatie.errors import NotFound
from participatie.identity import mailbox_key, normalize_email
from participatie.petitions.schemas import PUBLIC_STATUSES
from participatie.retry import retry_transient
from participatie.subscriptions import delivery, events, jobs
from participatie.subscriptions.errors import (
    NothingToFollow,
    SubscriptionNotFound,
    UnknownArea,
    UnknownSubject,
    UnknownTopic,
)
from participatie.subscriptions.models import EventRow, FollowRow, RequestRow, SubscriberRow
from participatie.subscriptions.schemas import (
    MUNICIPALITY,
    TOPICS,
    DigestRun,
    Follow,
    Frequency,
    StatsRow,
    Subscription,
    SubscriptionEvent,
    SubscriptionIn,
    SubscriptionStats,
)

if TYPE_CHECKING:
    from participatie.engine import Participatie
    from participatie.subscriptions.settings import SubscriptionSettings

CONFIRM = "subscription.confirm"
UNSUBSCRIBE = "subscription.unsubscribe"
#: ``subject_type`` of outbox messages, so an erasure finds them.
SUBSCRIBER = "subscriber"
REQUEST = "subscription_request"
LOCALES = ("nl", "en")


class Subscriptions:
    """The facade's ``subscriptions`` attribute."""

    def __init__(self, p: Participatie) -> None:
        self._p = p
        p.tokens.register(CONFIRM)
        p.tokens.register(UNSUBSCRIBE)
        p.audit.subscribe(partial(events.on_audit_event, p))
        jobs.register(p)

    @property
    def settings(self) -> SubscriptionSettings:
        return self._p.settings.subscriptions

    # -- subscribing --------------------------------------------------------------------

    @retry_transient
    def subscribe(
        self, data: SubscriptionIn, *, ip: str | None = None, session: Session | None = None
    ) -> None:
        """Mail a confirmation link; nothing is followed until it is confirmed.

        Args:
            data: the address, the wijk codes (``"*"``: the whole municipality), topics,
                a dossier or petition id, the digest's frequency and the language.
            ip: the requester's IP address, for the per-network send cap (keyed hash).
            session: the host's SQLAlchemy session to work in (the library only
                flushes); without it the call commits on its own.

        Returns:
            None: the same for every address, subscribed or not, and whether or not a
            send cap (``Settings.send_caps``) held the mail back (no enumeration).

        Raises:
            InvalidEmail: ``input.email``, field ``email``.
            UnknownArea: ``subscription.area``, a wijk code that does not exist.
            UnknownTopic: ``subscription.topic``.
            UnknownSubject: ``subscription.subject``, no such dossier or petition, or
                one residents cannot see (a draft dossier; a petition hidden, not yet
                open or rejected).
            NothingToFollow: ``subscription.empty``, no wijk, dossier or petition given.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        email = normalize_email(data.email, field="email")
        locale = data.locale if data.locale in LOCALES else self._p.settings.locale
        with self._p.unit_of_work(session) as s:
            choices = self._choices(s, data)
            key = self._p.hasher.mailbox(mailbox_key(email, self._p.settings.mailboxes))
            row = RequestRow(
                address=email.address,
                mailbox_hash=key,
                choices=choices,
                frequency=data.frequency,
                locale=locale,
                created_at=self._p.clock.now(),
            )
            s.add(row)
            s.flush()
            if not self._p.send_caps.allow(s, email=email, ip=ip):
                return
            token = self._p.tokens.make(CONFIRM, str(row.id), bound_to=key)
            self._p.outbox.enqueue(
                s,
                to=email.address,
                template="subscriptions_confirm",
                locale=locale,
                context={
                    "confirm_url": self._p.url("subscription.confirm", token=token),
                    "follows": self._labels(s, choices),
                    "frequency": data.frequency,
                },
                subject_type=REQUEST,
                subject_id=row.id,
            )

    def confirmation_page(self, token: str, *, session: Session | None = None) -> Subscription:
        """What confirming the link would follow; changes nothing (mail scanners open
        links, so only the button confirms).

        Args:
            token: the last part of the confirmation link (``subscription.confirm``).
            session: the host's SQLAlchemy session to read in; without it, one of its own.

        Returns:
            Subscription: the address, frequency and what would be followed.

        Raises:
            TokenExpired: ``token.expired``, the link is older than its lifetime.
            TokenInvalid: ``token.invalid``, the link was altered or is not for this
                address.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        with self._p.unit_of_work(session, readonly=True) as s:
            request = self._request(s, token)
            return Subscription(
                id=request.subscriber_id or request.id,
                email=request.address,
                frequency=request.frequency,
                locale=request.locale,
                confirmed_at=request.confirmed_at or request.created_at,
                follows=self._follows_of(request.choices, request.created_at),
            )

    @retry_transient
    def confirm(self, token: str, *, session: Session | None = None) -> Subscription:
        """Confirm a subscription (the button behind the link). Confirming twice, also
        at the same moment, gives one subscriber with one follow of each choice.

        Args:
            token: the last part of the confirmation link (``subscription.confirm``).
            session: the host's SQLAlchemy session to work in (the library only
                flushes); without it the call commits on its own.

        Returns:
            Subscription: the subscriber with everything it follows now.

        Raises:
            TokenExpired: ``token.expired``, the link is older than its lifetime.
            TokenInvalid: ``token.invalid``, the link was altered or is not for this
                address.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        with self._p.unit_of_work(session) as s:
            request = self._request(s, token)
            now = self._p.clock.now()
            subscriber = self._subscriber_for(s, request, now)
            for kind, target, topics in self._targets(request.choices):
                self._follow(s, subscriber, kind, target, topics, now)
            if request.confirmed_at is None:
                request.confirmed_at = now
                request.subscriber_id = subscriber.id
            s.flush()
            s.refresh(subscriber)
            return self._out(subscriber)

    # -- the subscriber's own links -------------------------------------------------------

    def manage_url(self, subscriber_id: uuid.UUID, mailbox_hash: str) -> str:
        """The manage link for a subscriber, signed and bound to its mailbox.

        Args:
            subscriber_id: the subscriber's id.
            mailbox_hash: the keyed hash of its mailbox, to which the link is bound.

        Returns:
            str: an absolute URL below ``Settings.public_base_url``.

        Raises:
            Nothing of its own: it only signs and formats.
        """

        token = self._p.tokens.make(UNSUBSCRIBE, str(subscriber_id), bound_to=mailbox_hash)
        return self._p.url("subscription.unsubscribe", token=token)

    def manage_link(self, subscriber_id: uuid.UUID, *, session: Session | None = None) -> str:
        """The manage (and unsubscribe) link of a subscriber, as its mails carry it.

        Args:
            subscriber_id: the subscriber's id.
            session: the host's SQLAlchemy session to read in; without it, one of its own.

        Returns:
            str: an absolute URL below ``Settings.public_base_url``.

        Raises:
            SubscriptionNotFound: ``subscription.not_found``, no such subscriber.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        with self._p.unit_of_work(session, readonly=True) as s:
            row = s.get(SubscriberRow, subscriber_id)
            if row is None:
                raise SubscriptionNotFound("no such subscriber", field="subscriber_id")
            return self.manage_url(row.id, row.mailbox_hash)

    @retry_transient
    def request_link(
        self,
        email: str,
        *,
        locale: str | None = None,
        ip: str | None = None,
        session: Session | None = None,
    ) -> None:
        """Mail the manage link (see, change, erase) to a subscribed address, within the send caps.

        Args:
            email: the address as typed.
            locale: the mail's language (``"nl"``, ``"en"``); default: the subscriber's.
            ip: the requester's IP address, for the per-network send cap.
            session: the host's SQLAlchemy session to work in (the library only
                flushes); without it the call commits on its own.

        Returns:
            None: the same for every address (no enumeration).

        Raises:
            InvalidEmail: ``input.email``, field ``email``.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        address = normalize_email(email, field="email")
        key = self._p.hasher.mailbox(mailbox_key(address, self._p.settings.mailboxes))
        with self._p.unit_of_work(session) as s:
            # The cap is taken for known and unknown addresses alike (same statements).
            allowed = self._p.send_caps.allow(s, email=address, ip=ip)
            row = s.execute(
                select(SubscriberRow).where(SubscriberRow.mailbox_hash == key)
            ).scalar_one_or_none()
            if row is None or not allowed:
                return
            url = self.manage_url(row.id, row.mailbox_hash)
            self._p.outbox.enqueue(
                s,
                to=row.address,
                template="subscriptions_link",
                locale=locale or row.locale,
                context={"manage_url": url},
                subject_type=SUBSCRIBER,
                subject_id=row.id,
            )

    def get(self, token: str, *, session: Session | None = None) -> Subscription:
        """The subscription behind a manage link; ``export`` (AVG art. 15) is the same call.

        Args:
            token: the last part of the manage link (``subscription.unsubscribe``).
            session: the host's SQLAlchemy session to read in; without it, one of its own.

        Returns:
            Subscription: the address, frequency, language and everything followed.

        Raises:
            TokenExpired: ``token.expired``, the link is older than its lifetime.
            TokenInvalid: ``token.invalid``, the link was altered or is not for this
                address.
            SubscriptionNotFound: ``subscription.not_found``, the subscriber left.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        with self._p.unit_of_work(session, readonly=True) as s:
            return self._out(self._by_link(s, token))

    export = get

    @retry_transient
    def change(
        self,
        token: str,
        *,
        areas: list[str] | None = None,
        topics: list[str] | None = None,
        frequency: Frequency | None = None,
        session: Session | None = None,
    ) -> Subscription:
        """Change the followed wijken (and their topics) or the digest's frequency;
        dossiers and petitions followed stay. Areas left empty with nothing else
        followed is refused: unsubscribe instead.

        Args:
            token: the last part of the manage link (``subscription.unsubscribe``).
            areas: the wijk codes to follow from now on (``"*"``: all); ``None`` keeps them.
            topics: the topics for those wijken; ``None`` keeps them, empty: every topic.
            frequency: ``"daily"`` or ``"weekly"``; ``None`` keeps it.
            session: the host's SQLAlchemy session to work in (the library only
                flushes); without it the call commits on its own.

        Returns:
            Subscription: the subscriber as it is now.

        Raises:
            TokenExpired: ``token.expired``, the link is older than its lifetime.
            TokenInvalid: ``token.invalid``, the link was altered or is not for this
                address.
            SubscriptionNotFound: ``subscription.not_found``, the subscriber left.
            UnknownArea: ``subscription.area``.
            UnknownTopic: ``subscription.topic``.
            NothingToFollow: ``subscription.empty``, nothing would be followed.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        with self._p.unit_of_work(session) as s:
            row = self._by_link(s, token)
            now = self._p.clock.now()
            if frequency is not None:
                row.frequency = frequency
            if areas is not None or topics is not None:
                current = [f for f in row.follows if f.kind == "area"]
                wanted = self._areas(s, areas) if areas is not None else [f.target for f in current]
                topic_text = (
                    ",".join(self._topics(topics))
                    if topics is not None
                    else (current[0].topics if current else "")
                )
                others = [f for f in row.follows if f.kind != "area"]
                if not wanted and not others:
                    raise NothingToFollow("follow at least one wijk", field="areas")
                for follow in current:
                    if follow.target not in wanted:
                        row.follows.remove(follow)
                    else:
                        follow.topics = topic_text
                s.flush()
                known = {f.target for f in current}
                for code in wanted:
                    if code not in known:
                        self._follow(s, row, "area", code, topic_text, now)
            s.flush()
            s.refresh(row)
            return self._out(row)

    @retry_transient
    def unsubscribe(self, token: str, *, session: Session | None = None) -> None:
        """Leave and erase (AVG art. 17; ``erase`` is the same call, twice is harmless):
        the subscriber, its follows, requests and mail; the send caps keep a keyed hash.

        Args:
            token: the last part of the manage link (``subscription.unsubscribe``).
            session: the host's SQLAlchemy session to work in (the library only
                flushes); without it the call commits on its own.

        Returns:
            None.

        Raises:
            TokenExpired: ``token.expired``, the link is older than its lifetime.
            TokenInvalid: ``token.invalid``, the link was altered or is not for this
                address.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        with self._p.unit_of_work(session) as s:
            try:
                row = self._by_link(s, token)  # the signature and the mailbox binding
            except SubscriptionNotFound:
                return  # left already
            self._erase(s, row)

    erase = unsubscribe

    def personal_data(self, email: str, *, session: Session | None = None) -> Subscription | None:
        """The subscription of this address's mailbox (for an access request), or None.

        Args:
            email: the address as typed (folded onto its mailbox, ``Settings.mailboxes``).
            session: the host's SQLAlchemy session to read in; without it, one of its own.

        Returns:
            Subscription | None: what is stored, or ``None`` when nothing is.

        Raises:
            InvalidEmail: ``input.email``, field ``email``.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        key = self._mailbox(email)
        with self._p.unit_of_work(session, readonly=True) as s:
            row = s.execute(
                select(SubscriberRow).where(SubscriberRow.mailbox_hash == key)
            ).scalar_one_or_none()
            return self._out(row) if row is not None else None

    def erase_address(self, email: str, *, actor: str, session: Session | None = None) -> int:
        """Erase this mailbox's subscription and unconfirmed requests with their mail (an
        erasure request at the desk; AVG art. 17). The erasure itself is audited, naming
        the mailbox only by a truncated keyed hash.

        Args:
            email: the address as typed (folded onto its mailbox).
            actor: who carries out the request (audit log).
            session: the host's SQLAlchemy session to work in (the library only
                flushes); without it the call commits on its own.

        Returns:
            int: 1 when a subscription went, else 0.

        Raises:
            InvalidEmail: ``input.email``, field ``email``.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        key = self._mailbox(email)
        with self._p.unit_of_work(session) as s:
            row = s.execute(
                select(SubscriberRow).where(SubscriberRow.mailbox_hash == key)
            ).scalar_one_or_none()
            if row is not None:
                self._erase(s, row)
            else:
                requests = list(
                    s.execute(select(RequestRow.id).where(RequestRow.mailbox_hash == key)).scalars()
                )
                self._p.outbox.erase(s, subject_type=REQUEST, subject_ids=requests)
                s.execute(delete(RequestRow).where(RequestRow.mailbox_hash == key))
            self._p.audit.record(
                s,
                actor=actor,
                action="subscription.personal_data_erased",
                subject_type="privacy_request",
                subject_id=key[:32],
                data={"subscriptions": int(row is not None)},
            )
            return int(row is not None)

    def _mailbox(self, email: str) -> str:
        address = normalize_email(email, field="email")
        return self._p.hasher.mailbox(mailbox_key(address, self._p.settings.mailboxes))

    def _erase(self, s: Session, row: SubscriberRow) -> None:
        requests = list(
            s.execute(
                select(RequestRow.id).where(RequestRow.mailbox_hash == row.mailbox_hash)
            ).scalars()
        )
        self._p.outbox.erase(s, subject_type=SUBSCRIBER, subject_ids=[row.id])
        self._p.outbox.erase(s, subject_type=REQUEST, subject_ids=requests)
        s.execute(delete(RequestRow).where(RequestRow.mailbox_hash == row.mailbox_hash))
        s.execute(delete(FollowRow).where(FollowRow.subscriber_id == row.id))
        s.execute(delete(SubscriberRow).where(SubscriberRow.id == row.id))

    # -- delivery -----------------------------------------------------------------------

    def digest(
        self,
        *,
        frequency: Frequency | None = None,
        force: bool = False,
        now: datetime | None = None,
        session: Session | None = None,
    ) -> list[DigestRun]:
        """Queue the digests that are due: at most one per subscriber and period, also
        from two runners at once, and never an event twice.

        Args:
            frequency: only ``"daily"`` or only ``"weekly"``; ``None``: both.
            force: queue now, whatever ``digest_hour`` and ``weekly_day`` say.
            now: the moment to act at (default: the facade's clock).
            session: the host's SQLAlchemy session to work in (the library only
                flushes); without it the call commits on its own.

        Returns:
            list[DigestRun]: one per frequency that was due, with the mails queued.

        Raises:
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        moment = now or self._p.clock.now()
        runs = []
        for freq in (frequency,) if frequency else ("daily", "weekly"):
            period = delivery.period(self._p, freq, moment, force=force)
            if period is None:
                continue
            # Without a host's session, a page of subscribers per transaction.
            runs.append(delivery.send_digests(self._p, session, freq, period, moment))
        return runs

    def send_urgent(self, *, session: Session | None = None) -> int:
        """Mail the urgent events (a round closing soon) at once.

        Args:
            session: the host's SQLAlchemy session to work in (the library only
                flushes); without it the call commits on its own.

        Returns:
            int: the number of mails queued in the outbox.

        Raises:
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        with self._p.unit_of_work(session) as s:
            return delivery.send_urgent(self._p, s, self._p.clock.now())

    def events(
        self, *, since_seq: int = 0, session: Session | None = None
    ) -> list[SubscriptionEvent]:
        """The events subscribers are told about, oldest first (from the audit log).

        Args:
            since_seq: only events after this sequence number.
            session: the host's SQLAlchemy session to read in; without it, one of its own.

        Returns:
            list[SubscriptionEvent]: in sequence order.

        Raises:
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        with self._p.unit_of_work(session, readonly=True) as s:
            rows = s.execute(
                select(EventRow).where(EventRow.seq > since_seq).order_by(EventRow.seq)
            ).scalars()
            return [events.event_out(r) for r in rows]

    # -- staff --------------------------------------------------------------------------

    def stats(self, *, session: Session | None = None) -> SubscriptionStats:
        """Subscribers per wijk and topic, per frequency; no addresses.

        Args:
            session: the host's SQLAlchemy session to read in; without it, one of its own.

        Returns:
            SubscriptionStats: counts only.

        Raises:
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        with self._p.unit_of_work(session, readonly=True) as s:
            per_frequency = dict(
                s.execute(
                    select(SubscriberRow.frequency, func.count()).group_by(SubscriberRow.frequency)
                ).all()
            )
            grouped = s.execute(
                select(FollowRow.kind, FollowRow.target, FollowRow.topics, func.count()).group_by(
                    FollowRow.kind, FollowRow.target, FollowRow.topics
                )
            ).all()
        counts: Counter[tuple[str, str]] = Counter()
        for kind, target, topics, n in grouped:
            name = target if kind == "area" else kind
            for topic in topics.split(",") if topics else ["all"]:
                counts[(name, topic)] += int(n)
        rows = [StatsRow(target=t, topic=topic, subscribers=n) for (t, topic), n in counts.items()]
        rows.sort(key=lambda r: (r.target, r.topic))
        daily = int(per_frequency.get("daily", 0))
        weekly = int(per_frequency.get("weekly", 0))
        return SubscriptionStats(subscribers=daily + weekly, daily=daily, weekly=weekly, rows=rows)

    # -- internals ----------------------------------------------------------------------

    def _choices(self, s: Session, data: SubscriptionIn) -> dict[str, Any]:
        choices: dict[str, Any] = {
            "areas": self._areas(s, data.areas),
            "topics": self._topics(data.topics),
        }
        if data.dossier_id is not None:
            try:
                dossier = self._p.reactions.get_dossier(data.dossier_id, session=s)
            except NotFound:
                dossier = None
            # A draft residents cannot see is not there to follow (the same answer as an
            # unknown id, so a guessed id tells nothing).
            if dossier is None or not dossier.published:
                raise UnknownSubject("no such dossier", field="dossier_id")
            choices["dossier"] = str(data.dossier_id)
        if data.petition_id is not None:
            try:
                petition = self._p.petitions.get(data.petition_id, session=s)
            except NotFound:
                petition = None
            if petition is None or petition.hidden or petition.status not in PUBLIC_STATUSES:
                raise UnknownSubject("no such petition", field="petition_id")
            choices["petition"] = str(data.petition_id)
        if not choices["areas"] and "dossier" not in choices and "petition" not in choices:
            raise NothingToFollow(
                "choose a wijk, the whole municipality, a dossier or a petition", field="areas"
            )
        return choices

    def _areas(self, s: Session, codes: list[str]) -> list[str]:
        wanted = []
        known = {a.code for a in self._p.areas.list(session=s)}
        for raw in codes:
            code = raw.strip().lower()
            if code != MUNICIPALITY and code not in known:
                raise UnknownArea(f"no wijk {raw!r}", field="areas")
            if code not in wanted:
                wanted.append(code)
        if len(wanted) > self.settings.max_follows:
            raise UnknownArea("too many wijken", field="areas")
        return sorted(wanted)

    @staticmethod
    def _topics(topics: list[str]) -> list[str]:
        result = []
        for raw in topics:
            topic = raw.strip().lower()
            if topic not in TOPICS:
                raise UnknownTopic(f"no topic {raw!r}", field="topics")
            if topic not in result:
                result.append(topic)
        # All topics is the same as no filter.
        return [] if len(result) == len(TOPICS) else sorted(result)

    @staticmethod
    def _targets(choices: dict[str, Any]) -> list[tuple[str, str, str]]:
        topics = ",".join(choices.get("topics") or [])
        found = [("area", code, topics) for code in choices.get("areas") or []]
        if choices.get("dossier"):
            found.append(("dossier", choices["dossier"], ""))
        if choices.get("petition"):
            found.append(("petition", choices["petition"], ""))
        return found

    def _follows_of(self, choices: dict[str, Any], since: datetime) -> list[Follow]:
        return [
            Follow(
                kind=kind,
                target=target,
                topics=topics.split(",") if topics else [],
                since=since,
            )
            for kind, target, topics in self._targets(choices)
        ]

    def _labels(self, s: Session, choices: dict[str, Any]) -> list[str]:
        names = {a.code: a.name for a in self._p.areas.list(session=s)}
        labels = [names.get(code, code) for code in choices.get("areas") or []]
        if choices.get("dossier"):
            labels.append(self._p.reactions.get_dossier(_uuid(choices["dossier"]), session=s).title)
        if choices.get("petition"):
            labels.append(self._p.petitions.get(_uuid(choices["petition"]), session=s).title)
        return labels

    def _request(self, s: Session, token: str) -> RequestRow:
        payload = self._p.tokens.load(CONFIRM, token, max_age=self.settings.confirm_link)
        row = s.get(RequestRow, _uuid(payload.subject))
        if row is None:
            raise SubscriptionNotFound("this subscription is no longer known", field="token")
        # The binding proves the link was made for this address.
        self._p.tokens.load(
            CONFIRM, token, max_age=self.settings.confirm_link, bound_to=row.mailbox_hash
        )
        return row

    def _by_link(self, s: Session, token: str) -> SubscriberRow:
        payload = self._p.tokens.load(UNSUBSCRIBE, token, max_age=self.settings.manage_link)
        row = s.get(SubscriberRow, _uuid(payload.subject))
        if row is None:
            raise SubscriptionNotFound("this subscription is no longer known", field="token")
        self._p.tokens.load(
            UNSUBSCRIBE, token, max_age=self.settings.manage_link, bound_to=row.mailbox_hash
        )
        return row

    def _subscriber_for(self, s: Session, request: RequestRow, now: datetime) -> SubscriberRow:
        query = select(SubscriberRow).where(SubscriberRow.mailbox_hash == request.mailbox_hash)
        row = s.execute(query).scalar_one_or_none()
        if row is not None:
            if request.confirmed_at is None:
                row.frequency = request.frequency
                row.locale = request.locale
            return row
        # Events before the subscription are never sent: start at the newest event.
        newest = s.execute(select(func.max(EventRow.seq))).scalar_one_or_none() or 0
        try:
            with s.begin_nested():
                row = SubscriberRow(
                    address=request.address,
                    mailbox_hash=request.mailbox_hash,
                    frequency=request.frequency,
                    locale=request.locale,
                    confirmed_at=now,
                    last_seq=newest,
                )
                s.add(row)
        except IntegrityError:
            # The same link confirmed at the same moment elsewhere: that one won.
            return s.execute(query.execution_options(populate_existing=True)).scalar_one()
        return row

    @staticmethod
    def _follow(
        s: Session, subscriber: SubscriberRow, kind: str, target: str, topics: str, now: datetime
    ) -> None:
        exists = s.execute(
            select(FollowRow).where(
                FollowRow.subscriber_id == subscriber.id,
                FollowRow.kind == kind,
                FollowRow.target == target,
            )
        ).scalar_one_or_none()
        if exists is not None:
            exists.topics = topics
            return
        try:
            with s.begin_nested():
                s.add(
                    FollowRow(
                        subscriber_id=subscriber.id,
                        kind=kind,
                        target=target,
                        topics=topics,
                        created_at=now,
                    )
                )
        except IntegrityError:
            pass  # followed already by a confirmation at the same moment

    @staticmethod
    def _out(row: SubscriberRow) -> Subscription:
        return Subscription(
            id=row.id,
            email=row.address,
            frequency=row.frequency,
            locale=row.locale,
            confirmed_at=row.confirmed_at,
            follows=[
                Follow(
                    kind=f.kind,
                    target=f.target,
                    topics=f.topics.split(",") if f.topics else [],
                    since=f.created_at,
                )
                for f in row.follows
            ],
        )


def _uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise SubscriptionNotFound("this subscription is not known", field="token") from None


__all__ = [
    "CONFIRM",
    "LOCALES",
    "REQUEST",
    "SUBSCRIBER",
    "UNSUBSCRIBE",
    "Subscriptions",
]
