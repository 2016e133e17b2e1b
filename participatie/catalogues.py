"""The message catalogues: gettext PO files in ``participatie/locale/<lang>/LC_MESSAGES/``
(domain ``participatie`` for the resident pages, errors and mail labels, ``backoffice``
for the staff's pages, ``reports`` for the documents put before the college), read with
Babel and without the web framework: the pages and the back office translate with them,
the reports are written with them, and the mails take the labels of the pages' buttons
from them, so a mail names the button the page shows.

The message id is a stable key (``petition.confirm_button``); the text uses Python
``str.format`` fields (``{count}``). A message with plural forms is a gettext plural
entry: its form is chosen by its ``count`` through the file's ``Plural-Forms`` (which
Babel fills in from the CLDR plural rules of the language). Translators work on the PO
files with the usual tools (Poedit, Weblate, ``pybabel``); nothing needs compiling,
the files are compiled in memory on first use.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
#: The gettext domains, one PO file each per language.
DOMAINS = ("participatie", "backoffice", "reports")


@cache
def po_catalogue(lang: str, domain: str) -> Catalog:
    """The PO file of ``lang`` and ``domain`` as Babel reads it (an empty catalogue when
    the language has none)."""

    path = LOCALE_DIR / lang / "LC_MESSAGES" / f"{domain}.po"
    if not path.exists():
        return Catalog(locale=lang, domain=domain)
    with path.open("rb") as fh:
        return read_po(fh, locale=lang, domain=domain)


@cache
def translations(lang: str) -> Translations:
    """Every domain of ``lang`` as one gettext translations object (``gettext``,
    ``ngettext``); what Jinja2's i18n extension and the translator use."""

    merged: Translations | None = None
    for domain in DOMAINS:
        buffer = io.BytesIO()
        write_mo(buffer, po_catalogue(lang, domain))
        buffer.seek(0)
        part = Translations(fp=buffer, domain=domain)
        if merged is None:
            merged = part
        else:
            merged.merge(part)
    assert merged is not None
    return merged


@cache
def catalogue(lang: str) -> Mapping[str, str]:
    """All messages of one language by key (errors: ``errors.<code>``); a message with
    plural forms gives its last form (CLDR ``other``) here."""

    out: dict[str, str] = {}
    for domain in DOMAINS:
        for message in po_catalogue(lang, domain):
            if not message.id:
                continue
            key = message.id[0] if isinstance(message.id, tuple | list) else message.id
            text = message.string
            if isinstance(text, tuple | list):
                text = text[-1]
            if text:
                out[str(key)] = str(text)
    return out


@cache
def plural_keys(lang: str) -> frozenset[str]:
    """The keys of ``lang`` whose message has plural forms."""

    return frozenset(
        str(message.id[0])
        for domain in DOMAINS
        for message in po_catalogue(lang, domain)
        if message.pluralizable
    )


def text(lang: str, key: str, count: int | None = None) -> str | None:
    """The text of ``key`` in ``lang`` (the form ``count`` asks for, when it has plural
    forms), or None when ``lang`` lacks it."""

    if count is not None and key in plural_keys(lang):
        return str(translations(lang).ngettext(key, key, abs(count)))
    return catalogue(lang).get(key)


def say(lang: str, key: str, /, count: int | None = None, **params: Any) -> str:
    """The message ``key`` in ``lang`` (else Dutch, else the key) with ``params`` filled
    in; with ``count``, the plural form it asks for (``count`` is a parameter too).

    Args:
        lang: ``nl`` or ``en``.
        key: the message id, for example ``tally.title``.
        count: the number a plural message is about.
        params: the message's ``str.format`` fields.

    Returns:
        The text.
    """

    found = text(lang, key, count) or text("nl", key, count) or key
    if count is not None:
        params = {"count": count, **params}
    return found.format(**params) if params else found


def fill(message: str, values: dict[str, Any]) -> str:
    """``message`` with its ``{name}`` placeholders filled in. When a value is ``Markup``
    (what staff wrote, in an element that says its language), the message and the other
    values are escaped and the result is ``Markup`` with that value kept as it is.

    Args:
        message: a catalogue's text.
        values: the placeholders' values.

    Returns:
        str: the filled-in message (``Markup`` when a value was).
    """

    from markupsafe import Markup, escape

    if any(isinstance(value, Markup) for value in values.values()):
        marked: str = escape(message).format(**values)
        return marked
    return message.format(**values)


def install_gettext(environment: Any) -> None:
    """Give a Jinja2 environment gettext's calls through Jinja2's i18n extension:
    ``_("key", name=...)``, ``gettext`` and ``ngettext`` translate with the render
    context's translator ``t`` (the page's language), else in the context's ``lang``.

    Args:
        environment: a ``jinja2.Environment``.
    """

    from jinja2 import pass_context

    def translate(context: Any, key: str, count: int | None, params: dict[str, Any]) -> str:
        translator = context.get("t")
        if callable(translator):
            if count is not None:
                params = {"count": count, **params}
            found: str = translator(key, **params)
            return found
        lang = context.get("lang") if context.get("lang") in ("nl", "en") else "nl"
        found = text(lang, key, count) or text("nl", key, count) or key
        return fill(found, {**({"count": count} if count is not None else {}), **params})

    @pass_context
    def gettext(context: Any, key: str, /, **params: Any) -> str:
        return translate(context, key, None, params)

    @pass_context
    def ngettext(context: Any, key: str, _plural: str, count: int, /, **params: Any) -> str:
        return translate(context, key, count, params)

    environment.add_extension("jinja2.ext.i18n")
    environment.install_gettext_callables(gettext=gettext, ngettext=ngettext, newstyle=False)


def label(lang: str, key: str) -> str:
    """The text of ``key`` (``section.key``) in ``lang``, else in Dutch, else the key:
    what a mail quotes of a page (a button's label).

    Args:
        lang: ``nl`` or ``en``.
        key: the catalogue key, for example ``petition.confirm_button``.

    Returns:
        The text, as the page shows it.
    """

    return catalogue(lang).get(key) or catalogue("nl").get(key) or key


__all__ = [
    "DOMAINS",
    "LOCALE_DIR",
    "catalogue",
    "fill",
    "install_gettext",
    "label",
    "plural_keys",
    "po_catalogue",
    "say",
    "text",
    "translations",
]
