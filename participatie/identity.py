"""Identity helpers: e-mail normalisation, Dutch postcodes, keyed hashes of identifiers.

Identifiers that must be compared but never read back (voting codes, IP addresses, host
identities, e-mail keys) are stored as HMAC-SHA256 digests with the deployment's key.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import ipaddress
import re
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from pydantic import BaseModel, ConfigDict

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


#: Providers that deliver ``name+anything@domain`` to the mailbox of ``name@domain``
#: (sub-addressing). Checked against each provider's own help pages:
#: Gmail (also ``googlemail.com``); Outlook.com, Hotmail, Live and MSN (Microsoft's
#: consumer mail, plus addressing for all accounts); iCloud Mail (``icloud.com``,
#: ``me.com``, ``mac.com``); Proton Mail (``proton.me``, ``protonmail.com``,
#: ``protonmail.ch``, ``pm.me``); Fastmail (``fastmail.com``, ``fastmail.fm``).
#: Yahoo is not here: it uses disposable "base-keyword" addresses, not ``+``.
DEFAULT_PLUS_TAG_DOMAINS: tuple[str, ...] = (
    "gmail.com",
    "googlemail.com",
    "outlook.com",
    "outlook.nl",
    "hotmail.com",
    "hotmail.nl",
    "live.com",
    "live.nl",
    "msn.com",
    "icloud.com",
    "me.com",
    "mac.com",
    "proton.me",
    "protonmail.com",
    "protonmail.ch",
    "pm.me",
    "fastmail.com",
    "fastmail.fm",
)
#: Providers that ignore dots in the local part: only Gmail says so of every account.
DEFAULT_DOT_BLIND_DOMAINS: tuple[str, ...] = ("gmail.com",)
#: Domains that are another name for the same mailboxes.
DEFAULT_DOMAIN_ALIASES: dict[str, str] = {"googlemail.com": "gmail.com"}


class MailboxSettings(BaseModel):
    """How addresses are folded onto one mailbox for uniqueness (``Settings.mailboxes``).

    Mail always goes to the address as typed; only the key that decides "signed already"
    or "voted already" is folded. A deployment may widen the lists (a municipality's own
    mail domain, say) or empty them.
    """

    model_config = ConfigDict(frozen=True)

    #: ``+tag`` is removed for these domains (after the aliases below are applied).
    plus_tag_domains: tuple[str, ...] = DEFAULT_PLUS_TAG_DOMAINS
    #: Dots in the local part are removed for these domains.
    dot_blind_domains: tuple[str, ...] = DEFAULT_DOT_BLIND_DOMAINS
    #: Domain -> the domain it is another name for.
    domain_aliases: dict[str, str] = DEFAULT_DOMAIN_ALIASES


def mailbox_key(address: Email | str, settings: MailboxSettings) -> str:
    """The key of the mailbox an address delivers to, for uniqueness.

    ``Pieter.Dijkstra+petitie@GoogleMail.com`` -> ``pieterdijkstra@gmail.com``. Lower
    case; the domain's alias applied; for ``plus_tag_domains`` everything from the first
    ``+`` dropped; for ``dot_blind_domains`` the dots dropped. Other domains keep their
    local part (lower-cased): whether ``a.b`` and ``ab`` are one mailbox there is not
    known. A string is validated first (``InvalidEmail``).
    """

    email = normalize_email(address) if isinstance(address, str) else address
    local, _, domain = email.key.rpartition("@")
    domain = settings.domain_aliases.get(domain, domain)
    if domain in settings.plus_tag_domains or email.domain in settings.plus_tag_domains:
        base = local.split("+", 1)[0]
        local = base or local
    if domain in settings.dot_blind_domains:
        local = local.replace(".", "") or local
    return f"{local}@{domain}"


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

    def mailbox(self, key: str) -> str:
        """Hash of a ``mailbox_key``: the uniqueness key of a signer, a voter."""

        return self.hash("mailbox", key)

    def ip(self, address: str) -> str:
        return self.hash("ip", str(parse_ip(address)))

    def subnet(self, address: str) -> str:
        """Hash of the /24 (IPv4) or /48 (IPv6) network an address belongs to."""

        return self.hash("subnet", str(subnet_of(address)))

    def code(self, code: str) -> str:
        return self.hash("code", code)

    def subject(self, subject: str) -> str:
        return self.hash("host-subject", subject)


#: NAT64's well-known prefix (RFC 6052): the last 32 bits are the IPv4 client.
NAT64 = ipaddress.ip_network("64:ff9b::/96")


def parse_ip(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """An IP address with an IPv4 client behind an IPv6 form unwrapped to that IPv4.

    A dual-stack socket reports IPv4 peers as ``::ffff:a.b.c.d``; 6to4 (``2002::/16``) and
    NAT64 (``64:ff9b::/96``) carry the IPv4 address too. Left wrapped, every IPv4
    resident would fall into one IPv6 /48 and share one rate limit. ``ValueError`` when
    ``address`` is no IP address.
    """

    ip = ipaddress.ip_address(address.strip())
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return ip.ipv4_mapped
        if ip.sixtofour is not None:
            return ip.sixtofour
        if ip in NAT64:
            return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip


@functools.lru_cache(maxsize=4096)
def subnet_of(address: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """The /24 (IPv4) or /48 (IPv6) network of ``address`` (as :func:`parse_ip` reads it),
    remembered for the last 4,096 addresses: a request asks for it more than once, and
    the same networks come back. ``ValueError`` when ``address`` is no IP address."""

    ip = parse_ip(address)
    prefix = 24 if ip.version == 4 else 48
    return ipaddress.ip_network(f"{ip}/{prefix}", strict=False)


__all__ = [
    "DEFAULT_DOMAIN_ALIASES",
    "DEFAULT_DOT_BLIND_DOMAINS",
    "DEFAULT_PLUS_TAG_DOMAINS",
    "NAT64",
    "Email",
    "KeyedHasher",
    "MailboxSettings",
    "mailbox_key",
    "normalize_email",
    "normalize_house_number",
    "normalize_postcode",
    "parse_ip",
    "postcode_digits",
    "subnet_of",
]
