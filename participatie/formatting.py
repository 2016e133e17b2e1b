"""Dates, times, numbers, percentages and plurals as people read them, in Dutch or English,
written one way by Babel (CLDR data) for pages, mails, letters and reports.

``"15 oktober 2026"``, ``"15 oktober 2026 om 09:01"``, ``"4.455"``, ``"36,2%"``,
``"1 reactie"`` / ``"3 reacties"``; English through the same functions (``"15 October
2026 at 09:01"``, ``"4,455"``). Templates reach them as filters (``{{ d | date }}``,
``{{ n | number }}``, ``{{ x | percent }}``, ``{{ n | plural("reactie", "reacties") }}``)
in the language of the page or mail being rendered.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date as _babel_date
from babel.dates import format_time as _babel_time
from babel.numbers import format_decimal, format_percent
from babel.units import format_unit

#: The languages the library writes; anything else is written as Dutch.
LOCALES = ("nl", "en")
#: The word between a date and its time ("15 oktober 2026 om 09:01").
AT = {"nl": "om", "en": "at"}
DEFAULT_ZONE = ZoneInfo("Europe/Amsterdam")


def _locale(locale: str | None) -> str:
    return locale if locale in LOCALES else "nl"


def as_date(value: date | datetime | str) -> date:
    """A date from a ``date``, an aware ``datetime`` (its date in Europe/Amsterdam) or an
    ISO 8601 string (as stored in JSON columns)."""

    if isinstance(value, str):
        value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
    if isinstance(value, datetime):
        return value.astimezone(DEFAULT_ZONE).date() if value.tzinfo else value.date()
    return value


def format_day(value: date | datetime | str | None, locale: str | None = "nl") -> str:
    """``"15 oktober 2026"`` (nl) or ``"15 October 2026"`` (en); "" for None."""

    if value is None or value == "":
        return ""
    return str(_babel_date(as_date(value), "d MMMM y", locale=_locale(locale)))


def format_moment(
    value: datetime | str | None, locale: str | None = "nl", zone: ZoneInfo | str | None = None
) -> str:
    """``"15 oktober 2026 om 09:01"`` (nl) or ``"15 October 2026 at 09:01"`` (en), in
    ``zone`` (Europe/Amsterdam by default; a stored UTC time is converted); "" for None."""

    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    tz = ZoneInfo(zone) if isinstance(zone, str) else (zone or DEFAULT_ZONE)
    local = value.astimezone(tz) if value.tzinfo else value
    loc = _locale(locale)
    clock = _babel_time(time(local.hour, local.minute), "HH:mm", locale=loc)
    return f"{format_day(local.date(), loc)} {AT[loc]} {clock}"


def format_number(value: int | float | None, locale: str | None = "nl", digits: int = 0) -> str:
    """``"4.455"`` (nl) or ``"4,455"`` (en); ``digits`` decimals; "" for None."""

    if value is None:
        return ""
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return str(format_decimal(value, pattern, locale=_locale(locale)))


def format_share(value: float | None, locale: str | None = "nl", digits: int = 1) -> str:
    """A fraction as a percentage: 0.3616 → ``"36,2%"`` (nl) or ``"36.2%"`` (en)."""

    if value is None:
        return ""
    pattern = "#,##0" + ("." + "0" * digits if digits else "") + "%"
    return str(format_percent(value, pattern, locale=_locale(locale)))


def format_size(size: int | None, locale: str | None = "nl") -> str:
    """A file's size as people read it: ``"850 kB"``, ``"1,2 MB"`` (nl) or ``"1.2 MB"``
    (en), in decimal units (1 kB = 1,000 bytes); "" for None.

    Args:
        size: the number of bytes.
        locale: ``nl`` or ``en``.

    Returns:
        The size with its unit, written by Babel.
    """

    if size is None:
        return ""
    loc = _locale(locale)
    if size < 1000:
        return str(format_unit(size, "digital-byte", length="short", locale=loc))
    kilo = -(-size // 1000)
    if kilo < 1000:
        return str(format_unit(kilo, "digital-kilobyte", length="short", locale=loc))
    mega = round(size / 1_000_000, 1)
    return str(format_unit(mega, "digital-megabyte", length="short", locale=loc, format="#,##0.0"))


def plural(count: int, one: str, other: str, locale: str | None = "nl") -> str:
    """``"1 reactie"``, ``"3 reacties"``: the count (as ``format_number``) and the word in
    the form the language's plural rule (CLDR) asks for."""

    form = Locale.parse(_locale(locale)).plural_form(abs(count))
    return f"{format_number(count, locale)} {one if form == 'one' else other}"


def template_locale(context: Any) -> str:
    """The language of a template being rendered: its ``locale`` or ``lang`` variable."""

    for name in ("locale", "lang"):
        value = context.get(name)
        if isinstance(value, str) and value in LOCALES:
            return value
    return "nl"


def install_filters(environment: Any) -> None:
    """Add the filters ``date``, ``datetime``, ``number``, ``percent``, ``plural`` and
    ``filesize`` to a Jinja2 environment; each writes in the template's language
    (``template_locale``). ``written`` puts what staff or residents wrote inside a sentence
    of the page in an element that says its language (the render context's
    ``content_lang``, empty when page and text share their language)."""

    from jinja2 import pass_context
    from markupsafe import Markup, escape

    @pass_context
    def date_filter(context: Any, value: Any) -> str:
        return format_day(value, template_locale(context))

    @pass_context
    def datetime_filter(context: Any, value: Any, zone: str | None = None) -> str:
        return format_moment(value, template_locale(context), zone)

    @pass_context
    def number_filter(context: Any, value: Any, digits: int = 0) -> str:
        return format_number(value, template_locale(context), digits)

    @pass_context
    def percent_filter(context: Any, value: Any, digits: int = 1) -> str:
        return format_share(value, template_locale(context), digits)

    @pass_context
    def plural_filter(context: Any, count: int, one: str, other: str) -> str:
        return plural(count, one, other, template_locale(context))

    @pass_context
    def filesize_filter(context: Any, value: Any) -> str:
        return format_size(value, template_locale(context))

    @pass_context
    def written_filter(context: Any, value: Any) -> Markup:
        attribute = context.get("content_lang")
        if not attribute:
            return escape(value)
        return Markup("<span{}>{}</span>").format(attribute, value)

    environment.filters.update(
        {
            "filesize": filesize_filter,
            "written": written_filter,
            "date": date_filter,
            "datetime": datetime_filter,
            "number": number_filter,
            "percent": percent_filter,
            "plural": plural_filter,
        }
    )


__all__ = [
    "as_date",
    "format_day",
    "format_moment",
    "format_number",
    "format_share",
    "format_size",
    "install_filters",
    "plural",
    "template_locale",
]
