"""Public URLs of resident pages, shared by e-mails, letters, exports and the web app."""

from __future__ import annotations

import re
from urllib.parse import quote, unquote

#: Path templates below ``Settings.public_base_url``; the web app serves these.
PATHS: dict[str, str] = {
    "home": "/",
    "petition": "/petitions/{petition}",
    "petition.confirm": "/petitions/confirm/{token}",
    "petition.withdraw": "/petitions/withdraw/{token}",
    "petition.unsubscribe": "/petitions/unsubscribe/{token}",
    "petition.creator": "/petitions/creator/{token}",
    "petition.coinitiator": "/petitions/coinitiator/{token}",
    "poll": "/polls/{poll}",
    "poll.vote": "/polls/{poll}/vote",
    "poll.email": "/polls/confirm/{token}",
    "poll.trackers": "/polls/{poll}/ballots",
    "poll.result": "/polls/{poll}/result",
    "dossier": "/dossiers/{dossier}",
    "dossier.react": "/dossiers/{dossier}/react",
    "privacy.request": "/privacy/{token}",
    "subscriptions": "/subscriptions",
    "subscription.confirm": "/subscriptions/confirm/{token}",
    "subscription.unsubscribe": "/subscriptions/unsubscribe/{token}",
}


def build_path(name: str, **params: object) -> str:
    try:
        template = PATHS[name]
    except KeyError:
        raise ValueError(f"unknown link {name!r}") from None
    return template.format(**{key: quote(str(value), safe="") for key, value in params.items()})


_URL = re.compile(r"https?://[^\s<>\"']+")


def _pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[a-z_]+\})", template)
    regex = "".join(
        f"(?P<{part[1:-1]}>[^/?#]+)" if part.startswith("{") else re.escape(part) for part in parts
    )
    return re.compile(regex + r"/?$")


#: Most specific first, so ``/polls/{poll}/vote`` is not taken for ``/polls/{poll}``.
_PATTERNS = sorted(
    ((name, _pattern(template)) for name, template in PATHS.items() if name != "home"),
    key=lambda item: -len(PATHS[item[0]]),
)


def find_links(text: str, base_url: str) -> dict[str, str]:
    """The library's own links in ``text`` (a mail body), by name (a key of :data:`PATHS`).

    Returns ``{"petition.confirm": "https://.../petitions/confirm/<token>", ...}``; only
    URLs below ``base_url`` count, the first of each name wins. Used for the structured
    ``links`` of outbox messages, so a host reads a confirmation or voting link without
    scraping mail text.
    """

    base = base_url.rstrip("/")
    found: dict[str, str] = {}
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(".,;:)")
        if not url.startswith(base + "/"):
            continue
        path = url[len(base) :].split("?", 1)[0].split("#", 1)[0]
        for name, pattern in _PATTERNS:
            if pattern.match(path) and name not in found:
                found[name] = url
                break
    return found


def link_params(name: str, url: str, base_url: str) -> dict[str, str]:
    """The parameters of a link made by :func:`build_path` (``{"token": ...}``)."""

    path = url[len(base_url.rstrip("/")) :].split("?", 1)[0]
    match = _pattern(PATHS[name]).match(path)
    if match is None:
        raise ValueError(f"{url!r} is not a {name!r} link")
    return {key: unquote(value) for key, value in match.groupdict().items()}


__all__ = [
    "PATHS",
    "build_path",
    "find_links",
    "link_params",
]
