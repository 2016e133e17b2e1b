from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from participatie.reactions.redaction import name_pattern, redact


@pytest.mark.parametrize(
    ("text", "gone"),
    [
        ("mail mij op jan.de.vries@example.nl graag", "jan.de.vries@example.nl"),
        ("of jan (at) example.nl", "example.nl"),
        ("bel 06-12345678 na zessen", "12345678"),
        ("bel +31 6 1234 5678", "1234 5678"),
        ("vast nummer 050 123 4567", "123 4567"),
        ("ik woon op 9742 AB 12", "9742 AB"),
        ("adres 9742ab, 14-2 hier", "9742ab"),
        ("Hoofdstraat 12a, 9711 AA Groningen", "Hoofdstraat 12a"),
        ("Hoofdstraat 12a, 9711 AA Groningen", "9711 AA"),
    ],
)
def test_personal_data_is_redacted(text: str, gone: str) -> None:
    out = redact(text)
    assert gone not in out
    assert "[" in out


def test_ordinary_numbers_stay() -> None:
    text = "In 2026 en 2027 komen er 60 afvalbakken bij, 5 per wijk; boete 100 euro."
    assert redact(text) == text


def test_marked_names_in_free_text() -> None:
    names = name_pattern(["Bakker", "Jan de Vries"])
    out = redact("Meneer BAKKER en jan  de vries laten hun hond los; Bakkerij blijft.", names)
    assert out == "Meneer [naam] en [naam] laten hun hond los; Bakkerij blijft."


@given(
    local=st.from_regex(r"[a-z][a-z0-9._]{0,15}[a-z0-9]", fullmatch=True),
    domain=st.from_regex(r"[a-z][a-z0-9-]{0,10}[a-z0-9]\.(nl|com|org)", fullmatch=True),
    before=st.sampled_from(["", "Mail ", "mijn adres is ", "("]),
    after=st.sampled_from(["", ".", " graag", ")", ", dank u"]),
)
def test_any_email_in_text_is_redacted(local: str, domain: str, before: str, after: str) -> None:
    address = f"{local}@{domain}"
    out = redact(f"{before}{address}{after}")
    assert address not in out
    assert "@" not in out


@given(
    digits=st.integers(min_value=1000, max_value=9999),
    letters=st.sampled_from(["AB", "XY", "HV", "KL", "ab", "Zz"]),
    number=st.integers(min_value=1, max_value=999),
    sep=st.sampled_from([" ", "", ", "]),
)
def test_postcode_with_house_number_is_redacted(
    digits: int, letters: str, number: int, sep: str
) -> None:
    text = f"Ik woon op {digits} {letters}{sep}{number} in de wijk."
    out = redact(text)
    assert f"{digits}" not in out
