"""The facade a host builds once: ``Participatie(settings)``.

It owns the engine, sessions (units of work), the token signer, the keyed hasher, the
mailer, the clock and the templates, and carries the services: ``outbox``, ``audit``,
``jobs``, ``areas``, ``polls``, ``petitions``, ``reactions`` and ``subscriptions``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PackageLoader,
    StrictUndefined,
    Template,
    TemplateNotFound,
    select_autoescape,
)
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from participatie.areas import Areas
from participatie.audit import AuditLog
from participatie.catalogues import install_gettext, label
from participatie.clock import Clock, SystemClock
from participatie.config import Settings
from participatie.db import make_engine
from participatie.formatting import install_filters
from participatie.identity import KeyedHasher
from participatie.jobs import Jobs
from participatie.links import build_path
from participatie.outbox import Outbox
from participatie.outbox.mailers import Mailer, SmtpMailer
from participatie.retry import database_errors
from participatie.sendcaps import SendCaps
from participatie.shortcodes import ShortCodes
from participatie.storage import DocumentStore, open_store
from participatie.tokens import Tokens

if TYPE_CHECKING:
    from participatie.petitions.service import Petitions
    from participatie.polls.service import Polls
    from participatie.reactions.service import Reactions
    from participatie.subscriptions.service import Subscriptions


#: Mail templates (name and language) kept looked up per facade.
MAIL_TEMPLATES_KEPT = 512


class Participatie:
    """Entry point of the library.

    ``Participatie(settings)`` creates its own engine from ``settings.database_url``;
    ``Participatie(settings, engine=host_engine)`` reuses a host's SQLAlchemy engine.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        engine: Engine | None = None,
        clock: Clock | None = None,
        mailer: Mailer | None = None,
        template_dirs: list[str | os.PathLike[str]] | None = None,
    ) -> None:
        self.settings = settings or Settings.load()
        self.engine = engine or make_engine(
            self.settings.database_url,
            sqlite_synchronous=self.settings.sqlite_synchronous,
            sqlite_busy_timeout_ms=self.settings.sqlite_busy_timeout_ms,
            pool_size=self.settings.database_pool_size,
            max_overflow=self.settings.database_max_overflow,
        )
        self.clock: Clock = clock or SystemClock()
        self.mailer: Mailer = mailer or SmtpMailer(
            self.settings.smtp, from_name=self.settings.organisation_name
        )
        self.tokens = Tokens(self.settings.signing_keys, clock=self.clock)
        self.hasher = KeyedHasher(self.settings.hashing_key)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._readonly_sessions = sessionmaker(
            self.engine.execution_options(participatie_readonly=True), expire_on_commit=False
        )
        loaders: list[Any] = [FileSystemLoader([str(d) for d in template_dirs or []])]
        loaders.append(PackageLoader("participatie", "templates"))
        self.templates = Environment(
            loader=ChoiceLoader(loaders),
            autoescape=select_autoescape(["html", "xml"], default_for_string=False),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        install_filters(self.templates)
        install_gettext(self.templates)
        self._mail_templates: dict[tuple[str, str], tuple[str, Template, Template | None]] = {}
        self.outbox = Outbox(self)
        self.audit = AuditLog(self)
        self.jobs = Jobs(self)
        self.areas = Areas(self)
        self.send_caps = SendCaps(self)
        self.short_codes = ShortCodes(self)
        # The feature modules import the facade's types; import them here, not at the top.
        from participatie.petitions.service import Petitions
        from participatie.polls.service import Polls
        from participatie.reactions.service import Reactions

        self.polls: Polls = Polls(self)
        self.petitions: Petitions = Petitions(self)
        self.reactions: Reactions = Reactions(self)
        from participatie.subscriptions.service import Subscriptions

        self.subscriptions: Subscriptions = Subscriptions(self)
        from participatie.privacy import Privacy

        self.privacy: Privacy = Privacy(self)
        from participatie import retention

        retention.register(self)
        self.jobs.load_host_jobs()

    # -- transactions ---------------------------------------------------------------

    @contextmanager
    def session_scope(self, *, readonly: bool = False) -> Iterator[Session]:
        """A new session in its own transaction: commit on success, roll back on error."""

        factory = self._readonly_sessions if readonly else self._sessions
        # A lost connection, a shutdown, a deadlock: one documented error, and the
        # transaction is rolled back (or was never committed), so nothing is written.
        with database_errors(), factory() as session, session.begin():
            yield session

    @contextmanager
    def unit_of_work(
        self, session: Session | None = None, *, readonly: bool = False
    ) -> Iterator[Session]:
        """The transaction a service call runs in.

        With ``session`` (a host's own), the library only flushes: the host commits, so
        library rows and host rows commit or roll back together. The host's pending
        changes are flushed first, so the host's rows are written, and locked, before the
        library's, in the order the host made them (the library's prepared statements do
        not autoflush). Without it, a new transaction is committed at the end (rolled
        back on an exception).

        A database failure that is not the caller's doing (lost connection, shutdown,
        deadlock) comes out as ``DatabaseUnavailable`` in both cases.
        """

        if session is not None:
            with database_errors():
                if not readonly:
                    session.flush()
                yield session
                if not readonly:
                    session.flush()
            return
        with self.session_scope(readonly=readonly) as own:
            yield own

    # -- schema ---------------------------------------------------------------------

    def migrate(self, revision: str = "head") -> None:
        """Bring the library's tables up to ``revision`` (Alembic, own version table)."""

        from participatie.migrations import upgrade

        upgrade(self.engine, revision)

    def create_all(self) -> None:
        """Create the tables straight from the models (tests); production uses migrate()."""

        from participatie.db import metadata

        metadata.create_all(self.engine)

    def dispose(self) -> None:
        self.engine.dispose()

    # -- links and templates --------------------------------------------------------

    def url(self, name: str, **params: object) -> str:
        return self.settings.public_base_url + build_path(name, **params)

    @property
    def document_store(self) -> DocumentStore:
        """Where stored documents live (``Settings.documents``), opened on first use; a
        host may set its own :class:`~participatie.storage.DocumentStore`."""

        store = self.__dict__.get("_document_store")
        if store is None:
            store = self.__dict__["_document_store"] = open_store(self.settings.documents)
        return store

    @document_store.setter
    def document_store(self, store: DocumentStore) -> None:
        self.__dict__["_document_store"] = store

    def template_globals(self) -> dict[str, Any]:
        return {
            "organisation": self.settings.organisation.name,
            "org": self.settings.organisation,
            "base_url": self.settings.public_base_url,
        }

    def render_mail(
        self, name: str, locale: str, context: dict[str, Any]
    ) -> tuple[str, str, str | None]:
        """Render ``mail/<name>.<locale>.txt`` (blocks ``subject`` and ``body``) and the
        optional ``mail/<name>.<locale>.html``; falls back to Dutch."""

        if locale != self.settings.locale:
            # The resident's language rides along on every link of the library's own,
            # so the page opens in the language the mail was written in.
            context = _with_lang(context, self.settings.public_base_url, locale)
        found = self._mail_templates.get((name, locale))
        if found is None:
            if len(self._mail_templates) >= MAIL_TEMPLATES_KEPT:
                self._mail_templates.clear()  # a host passing many odd locales
            found = self._mail_templates[(name, locale)] = self._find_mail(name, locale)
        loc, text_template, html_template = found
        # ``label(key)``: a page's text (a button) as the page shows it in this language.
        ctx = text_template.new_context({**context, "locale": loc, "label": partial(label, loc)})
        subject = "".join(text_template.blocks["subject"](ctx)).strip()
        body = "".join(text_template.blocks["body"](ctx)).strip() + "\n"
        html: str | None = None
        if html_template is not None:
            html = html_template.render(
                {**context, "locale": loc, "subject": subject, "label": partial(label, loc)}
            )
        return " ".join(subject.split()), body, html

    def _find_mail(self, name: str, locale: str) -> tuple[str, Template, Template | None]:
        """The language and the templates a mail is rendered from, looked up once per
        facade (a template folder changed while the process runs is read at its next
        start): a lookup per mail cost a file check per template and, for a mail without
        HTML, a failed search of every folder."""

        for loc in (locale, "nl"):
            try:
                text_template = self.templates.get_template(f"mail/{name}.{loc}.txt")
            except TemplateNotFound:
                continue
            try:
                html_template: Template | None = self.templates.get_template(
                    f"mail/{name}.{loc}.html"
                )
            except TemplateNotFound:
                html_template = None
            return loc, text_template, html_template
        raise TemplateNotFound(f"mail/{name}.{locale}.txt")

    def render(self, name: str, **context: Any) -> str:
        """Render a page, report or letter template with the globals."""

        return self.templates.get_template(name).render({**self.template_globals(), **context})

    @property
    def package_dir(self) -> Path:
        return Path(__file__).parent


__all__ = [
    "Participatie",
]


def _with_lang(value: Any, base_url: str, lang: str) -> Any:
    """``value`` with ``lang=<lang>`` added to every URL below ``base_url`` in it (strings,
    and those inside dicts, lists and tuples)."""

    if isinstance(value, str):
        if value.startswith(base_url.rstrip("/") + "/") and "lang=" not in value:
            path, hash_mark, fragment = value.partition("#")
            path += ("&" if "?" in path else "?") + f"lang={lang}"
            return path + hash_mark + fragment
        return value
    if isinstance(value, dict):
        return {key: _with_lang(item, base_url, lang) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_with_lang(item, base_url, lang) for item in value)
    return value
