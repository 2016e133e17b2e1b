"""Staff identities as the four-eyes rules compare them: one person is one identity,
whatever case, spacing or Unicode form the host's login or a typist's name arrives in.
"""

from __future__ import annotations

import unicodedata


def staff_key(name: str) -> str:
    """The comparable form of a staff identity: NFKC, casefolded, whitespace collapsed.

    NFKC folds compatibility forms (full-width letters, ligatures, non-breaking spaces)
    into their plain letters, so ``"Ｊ.Jansen"`` and ``"j.jansen"`` are one person.
    """

    folded = unicodedata.normalize("NFKC", name).casefold()
    # casefold can produce text that NFKC would write differently (e.g. "ß" -> "ss" is
    # stable, but some compatibility characters are not): normalise once more.
    return " ".join(unicodedata.normalize("NFKC", folded).split())


def same_staff(first: str, second: str) -> bool:
    """Whether two staff identities name the same person."""

    return staff_key(first) == staff_key(second)


__all__ = [
    "same_staff",
    "staff_key",
]
