"""Links that staff or residents give and the library stores and shows again: one type
(``ExternalUrl``) that accepts only web addresses, and the deployment's rule on http.
"""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field

from participatie.errors import InvalidInput

#: Longest link stored.
MAX_URL_LENGTH = 1000
_CONTROL_OR_SPACE = re.compile(r"[\x00-\x20\x7f]")


def check_url(value: str, *, allow_http: bool = True, field: str = "url") -> str:
    """``value`` if it is an absolute ``https:`` (or, when allowed, ``http:``) URL with a
    host; ``InvalidInput`` naming ``field`` otherwise.

    Anything else (``javascript:``, ``data:``, a relative path, credentials in the URL)
    would be a link the library's own pages and mails put in front of residents.
    """

    text = value.strip()
    if not text:
        raise InvalidInput("the link is empty", field=field)
    if len(text) > MAX_URL_LENGTH:
        raise InvalidInput(f"the link is longer than {MAX_URL_LENGTH} characters", field=field)
    if _CONTROL_OR_SPACE.search(text):
        raise InvalidInput("the link contains spaces or control characters", field=field)
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise InvalidInput("the link is not a valid web address", field=field) from None
    schemes = ("https", "http") if allow_http else ("https",)
    if parts.scheme.lower() not in schemes:
        wanted = "https:// (or http://)" if allow_http else "https://"
        raise InvalidInput(f"the link must start with {wanted}", field=field)
    if not parts.hostname or port == 0:
        raise InvalidInput("the link has no host", field=field)
    if parts.username is not None or parts.password is not None:
        raise InvalidInput("the link must not contain a user name or password", field=field)
    return text


def _web_address(value: str) -> str:
    # Whether plain http is acceptable is the deployment's choice, checked by the service
    # (require_allowed); the type itself accepts no other scheme.
    try:
        return check_url(value, allow_http=True)
    except InvalidInput as exc:
        raise ValueError(exc.message) from None


#: A web link given by staff or residents: ``https:`` (``http:`` if the deployment allows).
ExternalUrl = Annotated[
    str,
    Field(min_length=1, max_length=MAX_URL_LENGTH, json_schema_extra={"format": "uri"}),
    AfterValidator(_web_address),
]


def require_allowed(value: str | None, *, allow_http: bool, field: str) -> str | None:
    """The deployment's rule on a stored link: ``http:`` only with ``allow_http_links``."""

    if value is None:
        return None
    return check_url(value, allow_http=allow_http, field=field)


__all__ = [
    "MAX_URL_LENGTH",
    "ExternalUrl",
    "check_url",
    "require_allowed",
]
