"""Identity helpers: e-mail normalisation, Dutch postcodes, keyed hashes of identifiers.

Identifiers that must be compared but never read back (voting codes, IP addresses, host
identities, e-mail keys) are stored as HMAC-SHA256 digests with the deployment's key.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email

from participatie.errors import InvalidEmail, InvalidInput, InvalidPostcode

_POSTCODE = re.compile(r"^\s*([0-9]{4})\s*([A-Za-z]{2})\s*$")
_FORBIDDEN_LETTERS = frozenset({"SA", "SD", "SS"})
_HOUSE_NUMBER = re.compile(r"^\s*([1-9][0-9]{0,4})\s*(?:[-\s]?\s*([A-Za-z0-9]{1,6}))?\s*$")


@dataclass(frozen=True)
class Email:
    """A validated address: ``address`` to write to, ``key`` to compare (lower case)."""

    address: str
    key: str
    domain: str


def normalize_email(
    value: str, *, check_deliverability: bool = False, field: str = "email"
) -> Email:
    """Validate and normalise an e-mail address; ``InvalidEmail`` names the problem."""

    if not isinstance(value, str) or not value.strip():
        raise InvalidEmail("e-mail address is empty", field=field)
    if len(value) > 254:
        raise InvalidEmail("e-mail address is longer than 254 characters", field=field)
    text = value.strip()
    local = text.rpartition("@")[0]
    if not local.isascii():
        # A non-ASCII mailbox name needs SMTPUTF8 on every relay on the way; most gemeente
        # relays lack it, so the confirmation mail could never arrive. Non-ASCII domains
        # are fine: they are sent as punycode (IDNA).
        raise InvalidEmail(
            "invalid e-mail address: the part before the @ may only hold ASCII characters "
            "(accented letters there cannot be delivered by most mail servers)",
            field=field,
        )
    try:
        result = validate_email(
            text, check_deliverability=check_deliverability, allow_smtputf8=False
        )
    except EmailNotValidError as exc:
        raise InvalidEmail(f"invalid e-mail address: {exc}", field=field) from None
    address = result.normalized
    domain = result.ascii_domain.lower()
    key = f"{result.local_part.lower()}@{domain}"
    return Email(address=address, key=key, domain=domain)


def normalize_postcode(value: str, *, field: str = "postcode") -> str:
    """``9742ab`` -> ``9742 AB``. Refuses a leading zero and the letters SA, SD and SS."""

    if not isinstance(value, str) or not value.strip():
        raise InvalidPostcode("postcode is empty", field=field)
    match = _POSTCODE.match(value)
    if not match:
        raise InvalidPostcode(
            f"{value!r} is not a Dutch postcode (four digits and two letters, like 9742 AB)",
            field=field,
        )
    digits, letters = match.group(1), match.group(2).upper()
    if digits[0] == "0":
        raise InvalidPostcode(
            f"{value!r} is not a Dutch postcode: it cannot start with 0", field=field
        )
    if letters in _FORBIDDEN_LETTERS:
        raise InvalidPostcode(
            f"{value!r} is not a Dutch postcode: the letters {letters} are never used",
            field=field,
        )
    return f"{digits} {letters}"


def normalize_house_number(value: str | int, *, field: str = "house_number") -> str:
    """``12 a`` -> ``12A``; ``12-2`` -> ``12-2``. Number 1..99999 plus optional addition."""

    text = str(value)
    match = _HOUSE_NUMBER.match(text)
    if not match:
        raise InvalidInput(f"{text!r} is not a house number", field=field)
    number, addition = match.group(1), (match.group(2) or "").upper()
    if not addition:
        return number
    return f"{number}-{addition}" if addition.isdigit() else f"{number}{addition}"


def postcode_digits(postcode: str) -> int:
    """The four-digit part of a normalised postcode (the PC4 area)."""

    return int(postcode[:4])


class KeyedHasher:
    """HMAC-SHA256 with the deployment's hash key, one domain per kind of identifier."""

    def __init__(self, key: bytes) -> None:
        if not key:
            raise ValueError("KeyedHasher needs a key")
        self._key = key

    def hash(self, domain: str, value: str) -> str:
        message = domain.encode() + b"\x00" + value.encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def email(self, email: Email) -> str:
        return self.hash("email", email.key)

    def ip(self, address: str) -> str:
        return self.hash("ip", str(ipaddress.ip_address(address.strip())))

    def subnet(self, address: str) -> str:
        """Hash of the /24 (IPv4) or /48 (IPv6) network an address belongs to."""

        return self.hash("subnet", str(subnet_of(address)))

    def code(self, code: str) -> str:
        return self.hash("code", code)

    def subject(self, subject: str) -> str:
        return self.hash("host-subject", subject)


def subnet_of(address: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    ip = ipaddress.ip_address(address.strip())
    prefix = 24 if ip.version == 4 else 48
    return ipaddress.ip_network(f"{ip}/{prefix}", strict=False)
