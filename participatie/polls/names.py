"""Option names as voters and databases compare them: accents and case do not make two
options different (MariaDB's collation agrees)."""

from __future__ import annotations

import unicodedata

from participatie.errors import InvalidInput


def name_key(name: str) -> str:
    # "Ecozone" and "écozone" are one option to a voter, and one to MariaDB's collation.
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().strip()


def refuse_lookalike_names(names: list[str]) -> None:
    keys = [name_key(n) for n in names]
    if len(set(keys)) != len(keys):
        raise InvalidInput(
            "two options have the same name (letters with accents count as the same)",
            field="options",
        )


__all__ = ["name_key", "refuse_lookalike_names"]
