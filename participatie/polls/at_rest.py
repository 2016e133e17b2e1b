"""Secrecy of the ballot at rest: what a copy of the database says about who voted what.

Credentials keep at most the day of a vote, and claiming one marks it for the next mix;
the mixes themselves, which rewrite the rows a vote wrote so that no row order, id or
transaction number follows the casting order, are ``polls.mixing``.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, tzinfo
from typing import Any, cast

from sqlalchemy import String, Table, bindparam, func, null, update
from sqlalchemy.orm import Session

from participatie.polls.models import CredentialRow
from participatie.prepared import Prepared

_CREDENTIALS = cast(Table, CredentialRow.__table__)


def day_of(moment: datetime, zone: tzinfo) -> datetime:
    """The start of ``moment``'s local calendar day, in UTC: the finest time a credential
    keeps, so the order of votes within a day cannot be read from it."""

    local = moment.astimezone(zone)
    return datetime.combine(local.date(), time(), tzinfo=zone).astimezone(UTC)


def _claim(which: Any) -> Any:
    """Use one ballot of the credential ``which`` picks, if it is active and has one left."""

    c = _CREDENTIALS.c
    return (
        update(_CREDENTIALS)
        .where(which, c.uses < c.max_uses, c.status == "active")
        .values(
            uses=c.uses + 1,
            used_at=func.coalesce(c.used_at, bindparam("day", type_=c.used_at.type)),
            first_channel=func.coalesce(c.first_channel, bindparam("channel", type_=String())),
            # Written by this vote: waits for the next mix (``polls.mixing``).
            mix=null(),
        )
    )


# Built once and sent on the driver's cursor: one of these runs for every ballot.
_CLAIM_BY_KEY = Prepared(
    _claim(
        (_CREDENTIALS.c.poll_id == bindparam("poll"))
        & (_CREDENTIALS.c.key_hash == bindparam("key"))
    )
)
_CLAIM_BY_ID = Prepared(_claim(_CREDENTIALS.c.id == bindparam("credential_id")))


def claim_credential(
    s: Session,
    day: datetime | None,
    channel: str,
    *,
    poll_id: uuid.UUID | None = None,
    key: str | None = None,
    credential_id: uuid.UUID | None = None,
) -> bool:
    """Use one ballot of an active credential, if one is left; True when this call got it.

    The credential is the one with ``credential_id``, or the poll's one with keyed hash
    ``key``. ``day`` (from :func:`day_of`, or None for paper) is all the credential keeps
    of when.
    """

    params: dict[str, Any] = {"day": day, "channel": channel}
    if credential_id is not None:
        params["credential_id"] = credential_id
        statement = _CLAIM_BY_ID
    else:
        params.update(poll=poll_id, key=key)
        statement = _CLAIM_BY_KEY
    return statement.execute(s, params).rowcount == 1


__all__ = ["claim_credential", "day_of"]
