"""Signed tokens for e-mail links: one salt per purpose, key rotation, distinct errors.

A token carries a subject (what it is about) and a digest of the state it confirms (the
e-mail address, say): when that state changes, the token no longer verifies.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from participatie.clock import Clock
from participatie.errors import TokenExpired, TokenInvalid, TokenWrongPurpose

#: Purposes known to the library; a module may register more with ``Tokens.register``.
DEFAULT_PURPOSES = (
    "petition.confirm",
    "petition.creator",
    "petition.coinitiator",
    "petition.withdraw",
    "petition.unsubscribe",
    "poll.email",
    "privacy.request",
)


def _clock_signer(clock: Clock) -> type[TimestampSigner]:
    """A signer that stamps and checks ages with the facade's clock, not the wall clock,
    so a simulated week (a demo, a test) expires links like a real one."""

    class ClockSigner(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(clock.now().timestamp())

    return ClockSigner


#: A link signed this far in the future is taken as clock difference, not as forged.
CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class TokenPayload:
    purpose: str
    subject: str
    extra: dict[str, Any]


class Tokens:
    """Makes and checks signed, timestamped tokens.

    ``keys``: the first signs, all verify (itsdangerous takes them oldest first).
    """

    def __init__(
        self,
        keys: Iterable[str],
        purposes: Iterable[str] = DEFAULT_PURPOSES,
        *,
        clock: Clock | None = None,
    ) -> None:
        self._keys = list(keys)
        if not self._keys:
            raise ValueError("Tokens needs at least one key")
        self._signer = _clock_signer(clock) if clock is not None else TimestampSigner
        self._clock = clock
        self._serializers: dict[str, URLSafeTimedSerializer] = {}
        for purpose in purposes:
            self.register(purpose)

    def register(self, purpose: str) -> None:
        if purpose not in self._serializers:
            self._serializers[purpose] = URLSafeTimedSerializer(
                list(reversed(self._keys)), salt=f"participatie:{purpose}", signer=self._signer
            )

    @property
    def purposes(self) -> tuple[str, ...]:
        return tuple(self._serializers)

    def make(self, purpose: str, subject: str, *, bound_to: str | None = None, **extra: Any) -> str:
        serializer = self._serializer(purpose)
        payload: dict[str, Any] = {"s": subject}
        if bound_to is not None:
            payload["b"] = self._binding_with(self._keys[0], bound_to)
        if extra:
            payload["x"] = extra
        return serializer.dumps(payload)

    def load(
        self,
        purpose: str,
        token: str,
        *,
        max_age: timedelta | None,
        bound_to: str | None = None,
    ) -> TokenPayload:
        """Check a token; raise ``TokenExpired``, ``TokenWrongPurpose`` or ``TokenInvalid``.

        ``bound_to``: the current state; the token must have been made for this state.
        """

        serializer = self._serializer(purpose)
        seconds = int(max_age.total_seconds()) if max_age is not None else None
        try:
            payload = serializer.loads(token, max_age=seconds)
        except SignatureExpired as exc:
            # itsdangerous also calls a token from the future expired; a few minutes of
            # clock difference between app servers must not kill a fresh link.
            signed = exc.date_signed
            now = self._now()
            if (
                signed is None
                or exc.payload is None
                or not (timedelta(0) < signed - now <= CLOCK_SKEW)
            ):
                raise TokenExpired("this link has expired", field="token") from None
            payload = serializer.load_payload(exc.payload)
        except BadSignature:
            for other, other_serializer in self._serializers.items():
                if other == purpose:
                    continue
                try:
                    other_serializer.loads(token)
                except BadSignature:
                    continue
                raise TokenWrongPurpose(
                    f"this link is meant for {other}, not for {purpose}",
                    field="token",
                    expected=purpose,
                    actual=other,
                ) from None
            raise TokenInvalid("this link is not valid", field="token") from None
        if not isinstance(payload, dict) or not isinstance(payload.get("s"), str):
            raise TokenInvalid("this link is not valid", field="token")
        if bound_to is not None:
            stored = payload.get("b")
            if not isinstance(stored, str) or not any(
                hmac.compare_digest(stored, self._binding_with(key, bound_to)) for key in self._keys
            ):
                raise TokenInvalid("this link no longer matches what it confirms", field="token")
        extra = payload.get("x") or {}
        return TokenPayload(purpose=purpose, subject=payload["s"], extra=dict(extra))

    def _now(self) -> datetime:
        return self._clock.now() if self._clock is not None else datetime.now(UTC)

    def _serializer(self, purpose: str) -> URLSafeTimedSerializer:
        try:
            return self._serializers[purpose]
        except KeyError:
            raise ValueError(f"unknown token purpose {purpose!r}") from None

    @staticmethod
    def _binding_with(key: str, state: str) -> str:
        digest = hmac.new(key.encode(), b"binding:" + state.encode(), hashlib.sha256)
        return digest.hexdigest()[:22]


__all__ = [
    "CLOCK_SKEW",
    "DEFAULT_PURPOSES",
    "TokenPayload",
    "Tokens",
]
