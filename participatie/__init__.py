"""participatie: polls, e-mail-verified petitions and reactions with feedback tracking,
for Dutch municipalities to embed in their websites.
"""

from __future__ import annotations

from participatie.areas import Area, AreaIn
from participatie.audit import AuditEvent, VerifyResult
from participatie.clock import Clock, FixedClock, SystemClock
from participatie.config import Settings, SmtpSettings, TokenLifetimes
from participatie.engine import Participatie
from participatie.errors import (
    ConfigurationError,
    Conflict,
    DatabaseUnavailable,
    DeliveryError,
    DeliveryOutcomeUnknown,
    InvalidEmail,
    InvalidInput,
    InvalidPostcode,
    InvalidState,
    MailServerUnavailable,
    NotFound,
    ParticipatieError,
    PermanentDeliveryError,
    PermissionDenied,
    RateLimited,
    StaleUpdate,
    TokenError,
    TokenExpired,
    TokenInvalid,
    TokenWrongPurpose,
    TransientDeliveryError,
)
from participatie.identity import MailboxSettings
from participatie.outbox import DeliveryReport, OutboxMessage
from participatie.outbox.mailers import (
    FolderMailer,
    Mailer,
    OutgoingMessage,
    RecordingMailer,
    SmtpMailer,
)

__version__ = "0.1.0"

__all__ = [
    "Area",
    "AreaIn",
    "AuditEvent",
    "Clock",
    "ConfigurationError",
    "Conflict",
    "DatabaseUnavailable",
    "DeliveryError",
    "DeliveryOutcomeUnknown",
    "DeliveryReport",
    "FixedClock",
    "FolderMailer",
    "InvalidEmail",
    "InvalidInput",
    "InvalidPostcode",
    "InvalidState",
    "MailServerUnavailable",
    "MailboxSettings",
    "Mailer",
    "NotFound",
    "OutboxMessage",
    "OutgoingMessage",
    "Participatie",
    "ParticipatieError",
    "PermanentDeliveryError",
    "PermissionDenied",
    "RateLimited",
    "RecordingMailer",
    "Settings",
    "SmtpMailer",
    "SmtpSettings",
    "StaleUpdate",
    "SystemClock",
    "TokenError",
    "TokenExpired",
    "TokenInvalid",
    "TokenLifetimes",
    "TokenWrongPurpose",
    "TransientDeliveryError",
    "VerifyResult",
    "__version__",
]
