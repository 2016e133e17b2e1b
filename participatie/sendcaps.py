"""Send caps: how many mails a requester can make the library send to one address, or
from one network, within a window. Over the cap the mail is silently not queued.

Every request that mails an address somebody typed (a voting link, a privacy request,
a signature's confirmation, signing again, a petition's creator and co-initiators, a
reaction's acknowledgement) asks :meth:`SendCaps.allow` first, in its own transaction.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel
from sqlalchemy import (
    Index,
    Integer,
    String,
    bindparam,
    delete,
    func,
    select,
    text,
    update,
)
from sqlalchemy.dialects.mysql import insert as mysql_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from participatie.db import Base
from participatie.identity import Email
from participatie.jobs import grid_floor
from participatie.prepared import Prepared

if TYPE_CHECKING:
    from participatie.config import SendCapSettings
    from participatie.engine import Participatie

Scope = Literal["address", "network"]


class SendCapRow(Base):
    """Per scope, keyed hash and window: mails queued and mails held back."""

    __tablename__ = "participatie_send_cap"
    __table_args__ = (Index(None, "window_start"),)

    scope: Mapped[str] = mapped_column(String(16), primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(primary_key=True)
    sent: Mapped[int] = mapped_column(Integer, default=0)
    suppressed: Mapped[int] = mapped_column(Integer, default=0)


class SendCapStats(BaseModel):
    """What the caps did since ``since``: mails let through and mails held back."""

    since: datetime
    sent: int
    suppressed: int
    suppressed_by_address: int
    suppressed_by_network: int


_C = SendCapRow.__table__.c


def upsert_sql(keys: int, *, after: str | None = None) -> str:
    """PostgreSQL's and SQLite's upsert of ``keys`` scopes' slots (bind parameters
    ``scope0``, ``key0``, ``cap0``, .. and ``start``), returning the scopes taken: one
    is taken only below its cap (``sent < cap`` in the conflict's WHERE). ``after``: the
    name of a common table expression; the slots are taken only when it has a row (for
    a statement that writes the mail's cause and its slots at once)."""

    table = SendCapRow.__tablename__
    rows = " UNION ALL ".join(
        f"SELECT :scope{n} AS scope, :key{n} AS key_hash, {n} AS place" for n in range(keys)
    )
    limit = " ".join(f"WHEN :scope{n} THEN :cap{n}" for n in range(keys))
    source = f"({rows}) AS v"
    if after is not None:
        source = f"{after} CROSS JOIN {source}"
    # Rows in the order given (address first), the same for every request, so two
    # requests cannot wait on each other.
    return (
        f"INSERT INTO {table} (scope, key_hash, window_start, sent, suppressed) "  # noqa: S608
        f"SELECT v.scope, v.key_hash, :start, 1, 0 FROM {source} WHERE true ORDER BY v.place "
        f"ON CONFLICT (scope, key_hash, window_start) "
        f"DO UPDATE SET sent = {table}.sent + 1 "
        f"WHERE {table}.sent < CASE {table}.scope {limit} ELSE 0 END RETURNING scope"
    )


def _upsert(keys: int) -> Prepared:
    """:func:`upsert_sql` as a statement, built and compiled once."""

    return Prepared(
        text(upsert_sql(keys))
        .bindparams(bindparam("start", type_=_C.window_start.type))
        .columns(_C.scope)
    )


_UPSERTS = {keys: _upsert(keys) for keys in (1, 2)}


class SendCaps:
    """``p.send_caps``: one mechanism for every mail a requester can trigger."""

    def __init__(self, p: Participatie) -> None:
        self._p = p
        self._purged: datetime | None = None

    @property
    def settings(self) -> SendCapSettings:
        return self._p.settings.send_caps

    def allow(self, s: Session, *, email: Email, ip: str | None = None) -> bool:
        """Take a slot for one mail to ``email`` asked for from ``ip``; False over a cap.

        Each counter changes only by a statement that checks the cap in its own WHERE
        (``sent < cap``), so parallel requests cannot both take the last slot. A refusal
        is counted as suppressed. Nothing is said to the requester either way. Windows
        are fixed (aligned to ``window``), so a burst across a boundary can get twice
        the cap.
        """

        keys = self.slots(email, ip)
        start = self.window(s)
        dialect = s.get_bind().dialect.name
        if dialect in ("postgresql", "sqlite"):
            taken = self._take_all(s, dialect, keys, start)
        else:
            taken = {scope for scope, key, cap in keys if self._take(s, scope, key, cap, start)}
        return self.settle(s, keys, taken, start)

    def slots(
        self,
        email: Email,
        ip: str | None,
        *,
        email_hash: str | None = None,
        subnet_hash: str | None = None,
    ) -> list[tuple[Scope, str, int]]:
        """The slots one mail to ``email`` asked for from ``ip`` takes: (scope, keyed
        hash, cap), the address first, then the network when there is an IP address.
        ``email_hash`` and ``subnet_hash``: the keyed hashes when the caller has them
        (``hasher.email``, ``hasher.subnet``)."""

        keys: list[tuple[Scope, str, int]] = [
            ("address", email_hash or self._p.hasher.email(email), self.settings.per_address)
        ]
        if subnet_hash is not None:
            keys.append(("network", subnet_hash, self.settings.per_network))
        elif ip is not None:
            with contextlib.suppress(ValueError):  # no IP address: the address cap alone
                keys.append(("network", self._p.hasher.subnet(ip), self.settings.per_network))
        return keys

    def window(self, s: Session) -> datetime:
        """The start of the current window (counts older than ``keep`` go, once per
        window and process)."""

        start = self._window_start()
        self._purge(s, start)
        return start

    def settle(
        self, s: Session, keys: list[tuple[Scope, str, int]], taken: set[str], start: datetime
    ) -> bool:
        """True when every slot of ``keys`` was taken. Otherwise (over a cap) give back
        what this request took on the other scopes, count the refusal on the first scope
        that said no, and return False."""

        if len(taken) == len(keys):
            return True
        refused = next(scope for scope, _, _ in keys if scope not in taken)
        for scope, key, _ in keys:
            if scope in taken:
                self._change(s, scope, key, start, sent=-1)
            elif scope == refused:
                self._change(s, scope, key, start, suppressed=1)
        return False

    def stats(self, *, since: datetime | None = None) -> SendCapStats:
        """Counts since ``since`` (default: the counts still kept, ``keep``)."""

        oldest = self._p.clock.now() - self.settings.keep
        if since is not None and since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        # Nothing older than ``keep`` is kept, so nothing older is asked for.
        since = oldest if since is None or since < oldest else since
        with self._p.session_scope(readonly=True) as s:
            rows = s.execute(
                select(_C.scope, func.sum(_C.sent), func.sum(_C.suppressed))
                .where(_C.window_start >= self._floor(since))
                .group_by(_C.scope)
            ).all()
        sent = {scope: int(n or 0) for scope, n, _ in rows}
        held = {scope: int(n or 0) for scope, _, n in rows}
        return SendCapStats(
            since=since,
            sent=sent.get("address", 0),
            suppressed=held.get("address", 0) + held.get("network", 0),
            suppressed_by_address=held.get("address", 0),
            suppressed_by_network=held.get("network", 0),
        )

    # -- internals ------------------------------------------------------------------------

    def _floor(self, moment: datetime) -> datetime:
        # The same fixed grid the jobs keep.
        return grid_floor(moment, self.settings.window)

    def _window_start(self) -> datetime:
        return self._floor(self._p.clock.now())

    def _take_all(
        self, s: Session, dialect: str, keys: list[tuple[Scope, str, int]], start: datetime
    ) -> set[str]:
        """PostgreSQL and SQLite: every scope's slot in one statement, an upsert that adds
        one only below the cap (``sent < cap`` in the conflict's WHERE); the scopes it
        returns are the ones taken. The same statement whether or not a key was seen in
        this window: how long a request takes must not tell whether an address got mail
        lately. Rows are locked in the order given (address first), the same for every
        request, so two requests cannot wait on each other.
        """

        params: dict[str, Any] = {"start": start}
        for n, (scope, key, cap) in enumerate(keys):
            params.update({f"scope{n}": scope, f"key{n}": key, f"cap{n}": cap})
        return set(_UPSERTS[len(keys)].execute(s, params).scalars())

    def _take(self, s: Session, scope: Scope, key: str, cap: int, start: datetime) -> bool:
        # MariaDB: make sure the row exists, then add one below the cap. The same
        # statements whether or not the key was seen in this window.
        values = {
            "scope": scope,
            "key_hash": key,
            "window_start": start,
            "sent": 0,
            "suppressed": 0,
        }
        conn = s.connection()
        # ON DUPLICATE KEY takes the row's exclusive lock at once (INSERT IGNORE would
        # take a shared one, and two requests raising theirs to update it deadlock).
        conn.execute(mysql_insert(SendCapRow).values(values).on_duplicate_key_update(sent=_C.sent))
        where = (_C.scope == scope, _C.key_hash == key, _C.window_start == start)
        taken = conn.execute(
            update(SendCapRow).where(*where, _C.sent < cap).values(sent=_C.sent + 1)
        )
        return bool(taken.rowcount == 1)

    def _purge(self, s: Session, start: datetime) -> None:
        if self._purged != start:
            # Once per window and process: counts older than ``keep`` go.
            self._purged = start
            s.connection().execute(
                delete(SendCapRow).where(_C.window_start < start - self.settings.keep)
            )

    def _change(
        self,
        s: Session,
        scope: Scope,
        key: str,
        start: datetime,
        *,
        sent: int = 0,
        suppressed: int = 0,
    ) -> None:
        where = (_C.scope == scope, _C.key_hash == key, _C.window_start == start)
        s.connection().execute(
            update(SendCapRow)
            .where(*where)
            .values(sent=_C.sent + sent, suppressed=_C.suppressed + suppressed)
        )


__all__ = [
    "Scope",
    "SendCapStats",
    "SendCaps",
]
