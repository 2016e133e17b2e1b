"""Every link the library puts in its e-mails and letters (``participatie.links``) leads
to a page of the app, for GET, and for POST where the page has a button."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.routing import Match

from participatie.links import PATHS, build_path

#: Pages behind a link whose button posts back to the same address (GET changes nothing).
BUTTON_PAGES = {
    "petition.confirm",
    "petition.withdraw",
    "petition.unsubscribe",
    "petition.creator",
    "petition.coinitiator",
    "privacy.request",
    "petition",
    "poll.vote",
    "dossier.react",
}


def _matches(app: FastAPI, path: str, method: str) -> bool:
    scope = {"type": "http", "path": path, "method": method, "root_path": ""}
    return any(route.matches(scope)[0] == Match.FULL for route in app.routes)


def test_every_mailed_link_has_a_page() -> None:
    from participatie.config import Settings
    from participatie.engine import Participatie
    from participatie.outbox.mailers import RecordingMailer
    from participatie.web import create_app

    p = Participatie(
        Settings.load(database_url="sqlite://", secret_keys=["links-test-secret-key"]),
        mailer=RecordingMailer(),
    )
    try:
        app = create_app(p)
        params = {"petition": "p1", "poll": "p2", "dossier": "d1", "token": "t0ken"}
        missing = []
        for name, template in PATHS.items():
            wanted = {key: value for key, value in params.items() if "{" + key + "}" in template}
            path = build_path(name, **wanted)
            if not _matches(app, path, "GET"):
                missing.append(name)
            elif name in BUTTON_PAGES and not _matches(app, path, "POST"):
                missing.append(f"{name} (POST)")
        assert missing == []
    finally:
        p.dispose()
