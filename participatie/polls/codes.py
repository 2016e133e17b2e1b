"""Voting codes: 11 random characters from a 31-letter alphabet plus one check character,
printed as ``K7QF-M2XW-9PQR``; lenient parsing and a plain "typo" answer.

Why the check character catches every single substitution and every swap of neighbours:
the alphabet has p = 31 letters (a prime). A code c_0..c_11 (values 0..30) is valid when
sum(w_i * c_i) = 0 (mod 31) with weights w_i = 12 - i (12, 11, ..., 1; the check
character has weight 1). Replacing c_i by d != c_i changes the sum by w_i * (d - c_i);
both factors are non-zero and smaller than 31, so their product is not a multiple of the
prime 31. Swapping neighbours c_i, c_{i+1} changes it by (w_i - w_{i+1}) * (c_{i+1} - c_i)
= (c_{i+1} - c_i), again non-zero mod 31 when the two differ.
"""

from __future__ import annotations

import math
import secrets

from participatie.polls.errors import CodeTypo, UnknownCode

#: No 0, O, 1, I or S: the characters people misread on paper (S is dropped for 5).
ALPHABET = "23456789ABCDEFGHJKLMNPQRTUVWXYZ"
BASE = len(ALPHABET)
RANDOM_LENGTH = 11
LENGTH = RANDOM_LENGTH + 1
GROUP = 4
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
#: Bits of randomness in one code.
ENTROPY_BITS = RANDOM_LENGTH * math.log2(BASE)

assert BASE == 31, "the check character's proof needs a prime alphabet size"


def _weights(length: int) -> list[int]:
    return [length - i for i in range(length)]


def check_character(body: str) -> str:
    """The character that makes ``body`` + it a valid code."""

    weights = _weights(len(body) + 1)
    total = sum(w * _VALUE[ch] for w, ch in zip(weights, body, strict=False))
    return ALPHABET[(-total) % BASE]


def is_valid(compact: str) -> bool:
    weights = _weights(len(compact))
    return sum(w * _VALUE[ch] for w, ch in zip(weights, compact, strict=True)) % BASE == 0


def generate_code() -> str:
    """A new code in its compact form (12 characters, no dashes)."""

    body = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_LENGTH))
    return body + check_character(body)


def format_code(compact: str) -> str:
    """``K7QFM2XW9PQR`` -> ``K7QF-M2XW-9PQR``."""

    return "-".join(compact[i : i + GROUP] for i in range(0, len(compact), GROUP))


def parse_code(text: str, *, field: str = "code") -> str:
    """Read a code as a resident types it (any case, spaces, dashes) into compact form.

    Raises ``UnknownCode`` for text that cannot be a code and ``CodeTypo`` when the check
    character does not match.
    """

    if not isinstance(text, str):
        raise UnknownCode("the code is missing", field=field)
    compact = "".join(ch for ch in text.upper() if ch not in " -_.\t\r\n")
    if not compact:
        raise UnknownCode("the code is missing", field=field)
    wrong = sorted({ch for ch in compact if ch not in _VALUE})
    if wrong:
        raise UnknownCode(
            "the code contains characters that never appear in codes: "
            + ", ".join(repr(ch) for ch in wrong)
            + " (codes have no 0, 1, O, I or S)",
            field=field,
        )
    if len(compact) != LENGTH:
        raise UnknownCode(
            f"a code has {LENGTH} characters, this one has {len(compact)}", field=field
        )
    if not is_valid(compact):
        raise CodeTypo(
            "this code contains a typing error: please check every character", field=field
        )
    return compact
