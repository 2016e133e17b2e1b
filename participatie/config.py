"""Settings: one frozen pydantic model, read from ``PARTICIPATIE_*`` environment variables.

``Settings.load()`` turns validation failures into a ``ConfigurationError`` that names the
setting, so a host sees "PARTICIPATIE_SECRET_KEYS: ..." rather than a pydantic dump.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from participatie.errors import ConfigurationError
from participatie.identity import MailboxSettings
from participatie.organisation import OrganisationSettings
from participatie.petitions.settings import PetitionSettings
from participatie.polls.settings import PollSettings
from participatie.reactions.settings import ReactionSettings
from participatie.retention import RetentionSettings
from participatie.storage import DocumentSettings
from participatie.subscriptions.settings import SubscriptionSettings

#: Locales with message catalogues and templates.
SUPPORTED_LOCALES = ("nl", "en")
MIN_SECRET_LENGTH = 16


class SmtpSettings(BaseModel):
    """Outgoing mail server. ``security``: ``none``, ``starttls`` or ``ssl`` (implicit TLS)."""

    model_config = ConfigDict(frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(default=25, ge=1, le=65535)
    security: Literal["none", "starttls", "ssl"] = "none"
    username: str | None = None
    password: SecretStr | None = None
    from_address: str = "participatie@localhost"
    #: Display name in ``From`` (the organisation's name when not set).
    from_name: str | None = None
    #: Where replies go (``Reply-To``); none by default.
    reply_to: str | None = None
    timeout: float = Field(default=30.0, gt=0)
    #: CA bundle to trust for the server's certificate (an internal mail relay's own
    #: CA, say); the system's trust store when not set.
    ca_file: str | None = None

    @field_validator("from_address", "reply_to")
    @classmethod
    def _check_address(cls, value: str | None) -> str | None:
        if value is None:
            return None
        return check_mail_address(value)


def check_mail_address(value: str) -> str:
    """A sender address every relay takes: ASCII local part, domain with a dot or
    ``localhost`` (an IDN domain is sent as punycode)."""

    from email_validator import EmailNotValidError, validate_email

    text = value.strip()
    local, at, domain = text.rpartition("@")
    if at and domain.lower() == "localhost" and local:
        text = f"{local}@localhost.test"
    try:
        validate_email(
            text, check_deliverability=False, globally_deliverable=False, allow_smtputf8=False
        )
    except EmailNotValidError as exc:
        raise ValueError(f"invalid e-mail address {value!r}: {exc}") from None
    return value.strip()


class WebSettings(BaseModel):
    """Defaults of the optional web app (``create_app`` arguments override them)."""

    model_config = ConfigDict(frozen=True)

    #: Origins allowed to embed the widget (CSP frame-ancestors), e.g. a wijk website.
    frame_ancestors: tuple[str, ...] = ()
    #: Networks of reverse proxies whose X-Forwarded-For is believed (rate limits).
    trusted_proxies: tuple[str, ...] = ()
    #: Largest request body accepted, in bytes.
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    #: Largest body of the forms and API calls that carry a long text (starting a
    #: petition, its body up to 50,000 characters; a reaction, up to 20,000), in bytes:
    #: room for the longest text in any script once percent- or JSON-escaped (up to 12
    #: bytes a character), so a text the form allows is never refused at the edge.
    max_text_body_bytes: int = Field(default=1024 * 1024, ge=1024)


class SendCapSettings(BaseModel):
    """Caps on mails a requester can make the library send (``participatie.sendcaps``)."""

    #: Mails a requester can have sent to one address within ``window``.
    per_address: int = Field(default=5, ge=1)
    #: Mails requests from one network (/24, /48) can have sent within ``window``.
    per_network: int = Field(default=200, ge=1)
    window: timedelta = timedelta(hours=1)
    #: Counts are kept this long for the desk's overview, then deleted.
    keep: timedelta = timedelta(days=7)


class ImportSettings(BaseModel):
    """Bounds on a spreadsheet somebody uploads (``participatie.imports_bounds``)."""

    #: The file as uploaded.
    max_file_bytes: int = Field(default=5 * 1024 * 1024, ge=1024)
    #: An XLSX file's parts together once unpacked (declared and actual).
    max_uncompressed_bytes: int = Field(default=25 * 1024 * 1024, ge=1024)
    max_zip_members: int = Field(default=500, ge=1)
    #: The last row and column with a value (the header is row 1).
    max_rows: int = Field(default=10_000, ge=1)
    max_columns: int = Field(default=100, ge=1)
    #: Cells up to each row's last value, all rows together.
    max_cells: int = Field(default=500_000, ge=1)
    #: Reading the file, before any database work starts.
    max_seconds: float = Field(default=20.0, gt=0)


class TokenLifetimes(BaseModel):
    """How long signed links stay valid, per purpose."""

    model_config = ConfigDict(frozen=True)

    confirm: timedelta = timedelta(days=7)
    withdraw: timedelta = timedelta(days=365)
    vote: timedelta = timedelta(days=2)
    unsubscribe: timedelta = timedelta(days=3650)


class Settings(BaseSettings):
    """Everything a deployment configures. Frozen: build a new one to change it."""

    model_config = SettingsConfigDict(
        env_prefix="PARTICIPATIE_",
        env_nested_delimiter="__",
        frozen=True,
        extra="forbid",
    )

    database_url: str = "sqlite:///participatie.db"
    #: Connections each process keeps open to its database. Beyond them, up to
    #: ``database_max_overflow`` more open while more requests than that work at once,
    #: and each of those closes when its request ends: a load above the pool size pays a
    #: new connection per request (on PostgreSQL a new server process). The defaults
    #: (10 + 30) match the 40 threads a server process runs requests in.
    database_pool_size: int = Field(default=10, ge=1)
    database_max_overflow: int = Field(default=30, ge=0)
    #: The first key signs, every key verifies: put a new key first to rotate.
    #: From the environment: a JSON list or comma-separated values.
    secret_keys: Annotated[tuple[SecretStr, ...], NoDecode] = ()
    #: Key for the keyed hashes of codes, e-mail addresses, IP addresses and host
    #: identities. Defaults to the *last* (oldest) secret key, so adding a new signing key
    #: in front does not change stored hashes.
    hash_key: SecretStr | None = None
    public_base_url: str = "http://127.0.0.1:8000"
    smtp: SmtpSettings = SmtpSettings()
    locale: str = "nl"
    timezone: str = "Europe/Amsterdam"
    tokens: TokenLifetimes = TokenLifetimes()
    #: SQLite durability: FULL syncs the WAL on every commit so no committed signature
    #: is lost on power failure; NORMAL is faster and may lose the last commits.
    sqlite_synchronous: Literal["OFF", "NORMAL", "FULL", "EXTRA"] = "FULL"
    sqlite_busy_timeout_ms: int = Field(default=30_000, ge=0)
    #: Ask DNS whether an e-mail domain accepts mail (off: no network lookups).
    email_check_deliverability: bool = False
    #: How addresses fold onto one mailbox for "signed/voted already" (identity.py).
    mailboxes: MailboxSettings = MailboxSettings()
    #: Links given by staff or residents (dossier documents, a petition's decision) may
    #: be plain ``http:``; off, only ``https:`` is accepted.
    allow_http_links: bool = False
    #: Seconds an outbox claim lasts before another deliverer may take it over.
    outbox_lease_seconds: int = Field(default=300, ge=5)
    #: Tries per message before it is marked failed (the last about 5 1/3 days after the
    #: first, at the backoff's cap of 6 hours); failing to reach the server does not count.
    outbox_max_attempts: int = Field(default=30, ge=1)
    #: A message whose outcome was unknown this often (the connection broke after it was
    #: handed over, each time) is marked failed: it most likely arrived, this many times.
    outbox_max_unknown_outcomes: int = Field(default=3, ge=1)
    #: Host jobs: ``"package.module:register"`` callables, each called with the facade to
    #: register the host's own jobs, so ``participatie jobs run`` runs them too (besides
    #: the ``participatie.jobs`` entry point group). From the environment: a JSON list.
    host_jobs: tuple[str, ...] = ()
    #: The gemeente: name, address, website, logo, names of raad and college.
    organisation: OrganisationSettings = OrganisationSettings()
    web: WebSettings = WebSettings()
    send_caps: SendCapSettings = SendCapSettings()
    imports: ImportSettings = ImportSettings()
    polls: PollSettings = PollSettings()
    petitions: PetitionSettings = PetitionSettings()
    reactions: ReactionSettings = ReactionSettings()
    #: Documents the library stores (dossier uploads): folder or S3, largest size.
    documents: DocumentSettings = DocumentSettings()
    subscriptions: SubscriptionSettings = SubscriptionSettings()
    retention: RetentionSettings = RetentionSettings()

    @model_validator(mode="before")
    @classmethod
    def _organisation_name(cls, data: Any) -> Any:
        # ``organisation_name=...`` of earlier versions is the organisation's name.
        if isinstance(data, dict) and "organisation_name" in data:
            data = dict(data)
            name = data.pop("organisation_name")
            given = data.get("organisation") or {}
            if isinstance(given, OrganisationSettings):
                given = given.model_dump()
            data["organisation"] = {"name": name, **dict(given)}
        return data

    @field_validator("secret_keys", mode="before")
    @classmethod
    def _split_keys(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                import json

                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value

    @field_validator("secret_keys")
    @classmethod
    def _check_keys(cls, value: tuple[SecretStr, ...]) -> tuple[SecretStr, ...]:
        if not value:
            raise ValueError(
                "no secret key set: give at least one in PARTICIPATIE_SECRET_KEYS "
                f"(random, {MIN_SECRET_LENGTH}+ characters)"
            )
        for index, key in enumerate(value):
            if len(key.get_secret_value()) < MIN_SECRET_LENGTH:
                raise ValueError(
                    f"secret key #{index + 1} is shorter than {MIN_SECRET_LENGTH} characters"
                )
        return value

    @field_validator("database_url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        if not value or not value.strip():
            raise ValueError("database URL is empty")
        try:
            url = make_url(value)
        except ArgumentError as exc:
            raise ValueError(f"malformed database URL {value!r}: {exc}") from None
        if url.get_backend_name() not in ("sqlite", "postgresql", "mysql", "mariadb"):
            raise ValueError(
                f"unsupported database {url.get_backend_name()!r}: "
                "use sqlite, postgresql or mysql/mariadb"
            )
        return value

    @field_validator("locale")
    @classmethod
    def _check_locale(cls, value: str) -> str:
        if value not in SUPPORTED_LOCALES:
            raise ValueError(
                f"unknown locale {value!r}: choose one of {', '.join(SUPPORTED_LOCALES)}"
            )
        return value

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @field_validator("public_base_url")
    @classmethod
    def _check_base_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("public_base_url must start with http:// or https://")
        return value.rstrip("/")

    @classmethod
    def load(cls, **overrides: Any) -> Settings:
        """Read the environment (overridden by keyword arguments); clear errors."""

        try:
            return cls(**overrides)
        except ValidationError as exc:
            raise configuration_error(exc) from None

    @classmethod
    def for_demo(cls, **overrides: Any) -> tuple[Settings, bool]:
        """Settings for the demo: generates a throw-away secret key when none is set.

        Returns the settings and whether a key was generated, so the caller can say so.
        """

        try:
            return cls.load(**overrides), False
        except ConfigurationError:
            if "secret_keys" in overrides:
                raise
        # With a throw-away key: either the key was the only problem, or the problems
        # left are reported without it (this caller needs no key of its own).
        overrides = {**overrides, "secret_keys": (secrets.token_urlsafe(32),)}
        return cls.load(**overrides), True

    @classmethod
    def for_schema(cls, **overrides: Any) -> Settings:
        """Settings for the migration commands, which need no secret key.

        Without ``PARTICIPATIE_SECRET_KEYS`` a throw-away key fills the gap; it signs and
        hashes nothing, since migrations only create and alter tables.
        """

        return cls.for_demo(**overrides)[0]

    @property
    def signing_keys(self) -> list[str]:
        return [key.get_secret_value() for key in self.secret_keys]

    @property
    def hashing_key(self) -> bytes:
        if self.hash_key is not None:
            return self.hash_key.get_secret_value().encode()
        return self.secret_keys[-1].get_secret_value().encode()

    @property
    def organisation_name(self) -> str:
        """The organisation's name (``organisation.name``), as sender and signature."""

        return self.organisation.name

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def configuration_error(exc: ValidationError) -> ConfigurationError:
    first = exc.errors()[0]
    loc = [str(part) for part in first.get("loc", ())]
    field = loc[0] if loc else None
    env = "PARTICIPATIE_" + "__".join(loc).upper() if loc else "PARTICIPATIE_*"
    message = str(first.get("msg", "invalid value")).removeprefix("Value error, ")
    more = len(exc.errors()) - 1
    suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    return ConfigurationError(f"{env}: {message}{suffix}", field=field)


__all__ = [
    "MIN_SECRET_LENGTH",
    "SUPPORTED_LOCALES",
    "ImportSettings",
    "SendCapSettings",
    "Settings",
    "SmtpSettings",
    "TokenLifetimes",
    "WebSettings",
    "check_mail_address",
    "configuration_error",
]
