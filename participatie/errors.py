"""The error tree: every error the library raises derives from ParticipatieError.

Each class carries a stable ``code`` (for example ``"petition.closed"``) that the web layer
maps to an HTTP status and a translated message; ``field`` names the offending input.
"""

from __future__ import annotations

from typing import Any, ClassVar


class ParticipatieError(Exception):
    """Root of every error the library raises on purpose."""

    code: ClassVar[str] = "error"
    #: HTTP status the web layer answers with.
    status: ClassVar[int] = 400

    def __init__(self, message: str, *, field: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = details

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field is not None:
            out["field"] = self.field
        if self.details:
            out["details"] = self.details
        return out


class ConfigurationError(ParticipatieError):
    """The settings are missing something or hold a value that cannot work."""

    code = "config.invalid"
    status = 500


class MissingExtra(ParticipatieError, RuntimeError):
    """An output needs an optional extra that is not installed (e.g. PDF: ``reports``).

    Also a ``RuntimeError``, as it was before it had a code of its own.
    """

    code = "extra.missing"
    status = 501


class InvalidInput(ParticipatieError):
    """Input that fails validation; ``field`` names the field."""

    code = "input.invalid"
    status = 422


class ImportTooLarge(InvalidInput):
    """An uploaded file passes one of the import bounds; ``details["bound"]`` names the
    setting (``imports.max_rows``, ...) and ``details["limit"]`` its value."""

    code = "import.too_large"
    status = 413


class InvalidEmail(InvalidInput):
    code = "input.email"


class InvalidPostcode(InvalidInput):
    code = "input.postcode"


class NotFound(ParticipatieError):
    """The thing asked for does not exist (or is not visible to the caller)."""

    code = "not_found"
    status = 404


class Conflict(ParticipatieError):
    """The request clashes with the current state of the data."""

    code = "conflict"
    status = 409


class StaleUpdate(Conflict):
    """Someone else changed the record since it was read (optimistic locking)."""

    code = "conflict.stale"


class InvalidState(Conflict):
    """The operation is not allowed in the object's current state."""

    code = "state.invalid"


class PermissionDenied(ParticipatieError):
    code = "permission.denied"
    status = 403


class RateLimited(ParticipatieError):
    code = "rate_limited"
    status = 429


class TokenError(ParticipatieError):
    """A signed link or token could not be accepted."""

    code = "token.error"
    status = 400


class TokenExpired(TokenError):
    code = "token.expired"


class TokenInvalid(TokenError):
    """Tampered with, signed by an unknown key, or no longer matching what it confirms."""

    code = "token.invalid"


class TokenWrongPurpose(TokenError):
    """A valid token made for another purpose (a withdraw link used to confirm, say)."""

    code = "token.wrong_purpose"


class DatabaseUnavailable(ParticipatieError):
    """The database could not finish the work now; nothing of it was written.

    Raised for a lost connection, a server shutting down or restarting, a lock wait that
    ran out, and a deadlock or serialization failure that was still there after the
    retries (the facade repeats those itself when it owns the transaction). Retrying the
    whole request later is safe: the transaction was rolled back. ``details["reason"]``
    says which: ``"conflict"`` (deadlock, serialization failure) or ``"connection"``
    (anything else). The web layer answers 503 with ``Retry-After: retry_after``.
    """

    code = "db.unavailable"
    status = 503
    #: Seconds after which trying again is reasonable (the web's Retry-After).
    retry_after: ClassVar[int] = 60
    #: The connection was lost before the call sent anything that succeeded: the
    #: facade may repeat the call at once (``retry.retry_transient`` does, once).
    lost_before_work: bool = False


class DeliveryError(ParticipatieError):
    """A mailer could not hand over a message."""

    code = "delivery.error"
    status = 502


class TransientDeliveryError(DeliveryError):
    """Worth retrying later: 4xx reply, connection refused, timeout."""

    code = "delivery.transient"


class PermanentDeliveryError(DeliveryError):
    """Retrying will not help: 5xx reply, malformed address."""

    code = "delivery.permanent"


class DeliveryOutcomeUnknown(TransientDeliveryError):
    """The connection broke after the message was handed over; it may have arrived."""

    code = "delivery.unknown"


class MailServerUnavailable(TransientDeliveryError):
    """No message can go out: server unreachable, TLS or login failing (settings?)."""

    code = "delivery.unavailable"


def error_classes() -> list[type[ParticipatieError]]:
    """Every error class, depth first, for the documented reference and the web layer."""

    seen: list[type[ParticipatieError]] = []

    def walk(cls: type[ParticipatieError]) -> None:
        seen.append(cls)
        for sub in sorted(cls.__subclasses__(), key=lambda c: c.__name__):
            walk(sub)

    walk(ParticipatieError)
    return seen


__all__ = [
    "ConfigurationError",
    "Conflict",
    "DatabaseUnavailable",
    "DeliveryError",
    "DeliveryOutcomeUnknown",
    "ImportTooLarge",
    "InvalidEmail",
    "InvalidInput",
    "InvalidPostcode",
    "InvalidState",
    "MailServerUnavailable",
    "MissingExtra",
    "NotFound",
    "ParticipatieError",
    "PermanentDeliveryError",
    "PermissionDenied",
    "RateLimited",
    "StaleUpdate",
    "TokenError",
    "TokenExpired",
    "TokenInvalid",
    "TokenWrongPurpose",
    "TransientDeliveryError",
    "error_classes",
]
