"""Public URLs of resident pages, shared by e-mails, letters, exports and the web app."""

from __future__ import annotations

from urllib.parse import quote

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
}


def build_path(name: str, **params: object) -> str:
    try:
        template = PATHS[name]
    except KeyError:
        raise ValueError(f"unknown link {name!r}") from None
    return template.format(**{key: quote(str(value), safe="") for key, value in params.items()})
