from __future__ import annotations

import pytest

from participatie import InvalidEmail, InvalidInput, InvalidPostcode
from participatie.identity import (
    KeyedHasher,
    normalize_email,
    normalize_house_number,
    normalize_postcode,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("9742ab", "9742 AB"),
        (" 9742 AB ", "9742 AB"),
        ("1011Ac", "1011 AC"),
        ("9999 zz", "9999 ZZ"),
    ],
)
def test_postcode_normalised(raw: str, expected: str) -> None:
    assert normalize_postcode(raw) == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("0123 AB", "cannot start with 0"),
        ("9742 SA", "SA are never used"),
        ("9742 SD", "SD are never used"),
        ("9742 SS", "SS are never used"),
        ("974 AB", "not a Dutch postcode"),
        ("9742 A1", "not a Dutch postcode"),
        ("", "postcode is empty"),
    ],
)
def test_postcode_errors_name_the_problem(raw: str, reason: str) -> None:
    with pytest.raises(InvalidPostcode, match=reason) as info:
        normalize_postcode(raw)
    assert info.value.field == "postcode"
    assert info.value.code == "input.postcode"


def test_email_normalised_and_keyed() -> None:
    email = normalize_email("  Jan.Jansen@Example.NL ")
    assert email.address == "Jan.Jansen@example.nl"
    assert email.key == "jan.jansen@example.nl"
    assert email.domain == "example.nl"
    assert normalize_email("jan.jansen@EXAMPLE.nl").key == email.key


@pytest.mark.parametrize("raw", ["", "jan", "jan@", "@example.nl", "jan@@example.nl", "a b@x.nl"])
def test_invalid_email(raw: str) -> None:
    with pytest.raises(InvalidEmail) as info:
        normalize_email(raw)
    assert info.value.field == "email"


def test_house_number() -> None:
    assert normalize_house_number("12") == "12"
    assert normalize_house_number("12 a") == "12A"
    assert normalize_house_number("12-2") == "12-2"
    assert normalize_house_number(7) == "7"
    with pytest.raises(InvalidInput):
        normalize_house_number("abc")
    with pytest.raises(InvalidInput):
        normalize_house_number("0")


def test_keyed_hashes_depend_on_key_and_domain() -> None:
    a, b = KeyedHasher(b"key-one"), KeyedHasher(b"key-two")
    assert a.code("K7QF") == a.code("K7QF")
    assert a.code("K7QF") != b.code("K7QF")
    assert a.code("x") != a.subject("x")
    assert a.ip("192.0.2.10") == a.ip(" 192.0.2.10")
    assert a.subnet("192.0.2.10") == a.subnet("192.0.2.200")
    assert a.subnet("192.0.2.10") != a.subnet("192.0.3.10")
    assert a.subnet("2001:db8:1:2::1") == a.subnet("2001:db8:1:ffff::9")
    assert len(a.ip("192.0.2.10")) == 64
    assert "192.0.2.10" not in a.ip("192.0.2.10")


def test_parse_ip_unwraps_ipv4_behind_ipv6() -> None:
    from participatie.identity import parse_ip, subnet_of

    assert str(parse_ip("::ffff:203.0.113.9")) == "203.0.113.9"
    assert str(parse_ip("2002:cb00:7109::5")) == "203.0.113.9"
    assert str(parse_ip("64:ff9b::cb00:7109")) == "203.0.113.9"
    assert str(parse_ip("2001:db8::1")) == "2001:db8::1"
    assert str(subnet_of("::ffff:203.0.113.9")) == "203.0.113.0/24"
    assert str(subnet_of("2001:db8:1:2::1")) == "2001:db8:1::/48"
