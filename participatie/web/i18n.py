"""Message catalogues of the web layer (``participatie/locale/<lang>.toml``) and language
choice per request: a ``lang`` parameter, then a cookie, then Accept-Language; Dutch first.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from participatie.catalogues import PLURAL_MARK, catalogue, plural_rule
from participatie.config import SUPPORTED_LOCALES
from participatie.errors import ParticipatieError

DEFAULT_LOCALE = "nl"
LANG_COOKIE = "participatie_lang"

_MONTHS = {
    "nl": [
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
    ],
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
}


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
        through Babel): "1 handtekening", "2 handtekeningen"."""

        text = self._messages.get(key) or self._fallback.get(key)
        if text is None:
            return key
        if "count" in params:
            try:
                category = plural_rule(self.lang)(abs(int(params["count"])))
            except (TypeError, ValueError):
                category = "other"
            text = self._messages.get(f"{key}{PLURAL_MARK}{category}", text)
        return text.format(**params) if params else text

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
        """``3 maart 2026`` (``3 maart 2026, 09:00`` with ``time``), in the local zone."""

        local = value.astimezone(zone)
        text = f"{local.day} {_MONTHS[self.lang][local.month - 1]} {local.year}"
        if time:
            text += f", {local:%H:%M}"
        return text


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
