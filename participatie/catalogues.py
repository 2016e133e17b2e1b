"""The message catalogues (``participatie/locale/<lang>*.toml``), read without the web
framework: the pages and the back office translate with them, and the mails take the
labels of the pages' buttons from them, so a mail names the button the page shows.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

LOCALE_DIR = Path(__file__).resolve().parent / "locale"

#: CLDR plural categories (Unicode TR35): a message given as a table of these has a
#: form per category, chosen by its ``count`` with Babel's plural rules for the language.
PLURAL_CATEGORIES = frozenset({"zero", "one", "two", "few", "many", "other"})
#: Separates a message's key from its plural category in the flattened catalogue.
PLURAL_MARK = "#"


def _flatten(prefix: str, table: Mapping[str, Any], out: dict[str, str]) -> None:
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and "other" in value and set(value) <= PLURAL_CATEGORIES:
            # ``count = { one = "1 handtekening", other = "{count} handtekeningen" }``
            out[name] = str(value["other"])
            for category, text in value.items():
                out[f"{name}{PLURAL_MARK}{category}"] = str(text)
        elif isinstance(value, Mapping):
            _flatten(f"{name}.", value, out)
        else:
            out[name] = str(value)


@cache
def plural_rule(lang: str) -> Any:
    """Babel's CLDR plural rule of ``lang``: a number -> its category (``one``, ``other``)."""

    from babel import Locale

    return Locale.parse(lang).plural_form


@cache
def catalogue(lang: str) -> Mapping[str, str]:
    """All messages of one language, keyed ``section.key`` (errors: ``errors.<code>``)."""

    out: dict[str, str] = {}
    for path in sorted(LOCALE_DIR.glob(f"{lang}*.toml")):
        with path.open("rb") as fh:
            _flatten("", tomllib.load(fh), out)
    return out


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


__all__ = ["LOCALE_DIR", "PLURAL_CATEGORIES", "PLURAL_MARK", "catalogue", "label", "plural_rule"]
