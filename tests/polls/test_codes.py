"""Voting codes: randomness, format, lenient parsing and a check character that catches
every single substitution and every swap of neighbours (tried exhaustively)."""

from __future__ import annotations

import pytest

from participatie.polls import codes
from participatie.polls.errors import CodeTypo, UnknownCode


def test_alphabet_has_no_look_alikes_and_enough_entropy() -> None:
    for ch in "01OIS":
        assert ch not in codes.ALPHABET
    assert len(set(codes.ALPHABET)) == codes.BASE == 31
    assert codes.ENTROPY_BITS >= 50


def test_format_and_lenient_parse() -> None:
    compact = codes.generate_code()
    printed = codes.format_code(compact)
    assert len(printed) == 14 and printed[4] == printed[9] == "-"
    assert codes.parse_code(printed) == compact
    assert codes.parse_code(" " + printed.lower().replace("-", " ") + " ") == compact
    assert codes.parse_code(compact.lower()) == compact


def test_every_single_typo_and_neighbour_swap_is_caught() -> None:
    tried = 0
    for _ in range(200):
        compact = codes.generate_code()
        assert codes.is_valid(compact)
        for i, original in enumerate(compact):
            for ch in codes.ALPHABET:
                if ch == original:
                    continue
                typo = compact[:i] + ch + compact[i + 1 :]
                assert not codes.is_valid(typo), (compact, typo)
                tried += 1
        for i in range(len(compact) - 1):
            if compact[i] == compact[i + 1]:
                continue
            swapped = compact[:i] + compact[i + 1] + compact[i] + compact[i + 2 :]
            assert not codes.is_valid(swapped), (compact, swapped)
            tried += 1
    assert tried > 200 * 12 * 30


def test_typo_says_so_plainly() -> None:
    compact = codes.generate_code()
    wrong = codes.ALPHABET[(codes.ALPHABET.index(compact[3]) + 1) % codes.BASE]
    typo = compact[:3] + wrong + compact[4:]
    with pytest.raises(CodeTypo) as info:
        codes.parse_code(codes.format_code(typo))
    assert info.value.code == "poll.code_typo"
    assert info.value.field == "code"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [("", "missing"), ("ABCD-EFGH-JK", "12 characters"), ("ABCD-EFGH-JKO0", "never appear")],
)
def test_malformed_codes_are_named(text: str, fragment: str) -> None:
    with pytest.raises(UnknownCode, match=fragment):
        codes.parse_code(text)


def test_codes_differ() -> None:
    assert len({codes.generate_code() for _ in range(10_000)}) == 10_000
