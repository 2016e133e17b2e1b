"""Translation of the web layer (gettext catalogues, :mod:`participatie.catalogues`) and language
choice per request: a ``lang`` parameter, then a cookie, then Accept-Language; Dutch first.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from participatie.catalogues import catalogue, fill
from participatie.catalogues import text as catalogue_text
from participatie.config import SUPPORTED_LOCALES
from participatie.errors import ParticipatieError
from participatie.formatting import format_day, format_moment, format_number

DEFAULT_LOCALE = "nl"
#: The Jinja2 extensions of the pages: ``do``, and ``i18n`` so templates translate with
#: ``_("key", name=...)`` and ``ngettext``, gettext's calls, which ``pybabel extract``
#: finds (``catalogues.install_gettext`` binds them to the render context's ``t``).
TEMPLATE_EXTENSIONS = ("jinja2.ext.do", "jinja2.ext.i18n")
LANG_COOKIE = "participatie_lang"


class Translator:
    """Looks messages up in one language, falling back to Dutch, then to the key itself."""

    def __init__(self, lang: str) -> None:
        self.lang = lang if lang in SUPPORTED_LOCALES else DEFAULT_LOCALE
        self._messages = catalogue(self.lang)
        self._fallback = catalogue(DEFAULT_LOCALE)

    def has(self, key: str) -> bool:
        return key in self._messages or key in self._fallback

    def __call__(self, key: str, /, **params: Any) -> str:
        """The message ``key`` with ``params`` filled in. A message with plural forms
        takes the form its ``count`` asks for in this language (CLDR plural rules,
        through Babel): "1 handtekening", "2 handtekeningen". Whole numbers are written
        in the language's notation by Babel: "4.455 handtekeningen", "4,455 signatures".
        When a parameter is ``Markup`` (a title in an element marked ``lang="nl"``), the
        message is escaped and returned as ``Markup`` with that parameter kept as it is."""

        count: int | None = None
        if "count" in params:
            try:
                count = int(params["count"])
            except (TypeError, ValueError):
                count = None
        text = catalogue_text(self.lang, key, count)
        if text is None:
            text = catalogue_text(DEFAULT_LOCALE, key, count)
        if text is None:
            return key
        if not params:
            return text
        shown = {
            name: format_number(value, self.lang)
            if isinstance(value, int) and not isinstance(value, bool)
            else value
            for name, value in params.items()
        }
        # What staff wrote may come as markup that says its language (``written``).
        return fill(text, shown)

    def error(self, exc: ParticipatieError | type[ParticipatieError] | str) -> str:
        """The resident's message for an error: its own code, else its nearest parent's."""

        if isinstance(exc, str):
            codes = [exc, "error"]
        else:
            cls = exc if isinstance(exc, type) else type(exc)
            codes = [
                c.code
                for c in cls.__mro__
                if isinstance(c, type) and issubclass(c, ParticipatieError)
            ]
        for code in codes:
            key = f"errors.{code}"
            if self.has(key):
                return self(key)
        return self("errors.error")

    def date(self, value: datetime, zone: ZoneInfo, *, time: bool = False) -> str:
        """``3 maart 2026`` (``3 maart 2026 om 09:00`` with ``time``), in the local zone;
        written by Babel, as in mails and documents."""

        if time:
            return format_moment(value, self.lang, zone)
        return format_day(value.astimezone(zone), self.lang)


def negotiate(query_lang: str | None, cookie_lang: str | None, accept_language: str) -> str:
    """Choose the page language; an explicit choice wins over the browser's wishes."""

    for choice in (query_lang, cookie_lang):
        if choice in SUPPORTED_LOCALES:
            return str(choice)
    best: tuple[float, str] | None = None
    for part in accept_language.split(","):
        piece = part.strip()
        if not piece:
            continue
        tag, _, params = piece.partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        primary = tag.strip().lower().split("-")[0]
        # Earlier entries win ties, as browsers list them in order of preference.
        if primary in SUPPORTED_LOCALES and quality > 0 and (best is None or quality > best[0]):
            best = (quality, primary)
    return best[1] if best else DEFAULT_LOCALE
