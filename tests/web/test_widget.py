"""The widget: framable only by the origins the host names, no cookies, links leave the
frame; per wijk it lists what concerns that wijk."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from participatie.engine import Participatie
from participatie.web import create_app
from tests.web.helpers import open_dossier, open_petition, seed_areas


def test_widget_frames_only_for_listed_origins(p: Participatie) -> None:
    seed_areas(p)
    petition = open_petition(p)
    here = open_dossier(p, areas=["paddepoel"])
    there = open_dossier(p, title="Parkeren Centrum", areas=["centrum"])
    app = create_app(p, frame_ancestors=["https://wijk.example.nl"])
    with TestClient(app) as c:
        widget = c.get(f"/widget/petitions/{petition.id}")
        assert widget.status_code == 200
        csp = widget.headers["content-security-policy"]
        assert "frame-ancestors https://wijk.example.nl" in csp
        assert "x-frame-options" not in widget.headers
        assert "set-cookie" not in widget.headers
        assert "0 handtekeningen" in widget.text
        assert '<base target="_top">' in widget.text
        assert f'href="/petitions/{petition.id}#tekenen"' in widget.text
        # The rest of the site still refuses to be framed.
        page = c.get(f"/petitions/{petition.id}")
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
        assert page.headers["x-frame-options"] == "DENY"

        area = c.get("/widget/areas/paddepoel")
        assert area.status_code == 200
        assert "Doe mee in Paddepoel" in area.text
        assert f"/dossiers/{here.id}" in area.text
        assert f"/dossiers/{there.id}" not in area.text
        assert f"/petitions/{petition.id}" in area.text
        assert c.get("/widget/areas/nergens").status_code == 404
        only_polls = c.get("/widget/open?kind=polls")
        assert f"/petitions/{petition.id}" not in only_polls.text
        assert f"/dossiers/{here.id}" not in only_polls.text

    with TestClient(create_app(p)) as c:
        default = c.get(f"/widget/petitions/{petition.id}")
        assert "frame-ancestors 'none'" in default.headers["content-security-policy"]


def test_frame_ancestors_from_the_settings(
    p: Participatie, monkeypatch: pytest.MonkeyPatch
) -> None:
    from participatie.config import Settings
    from participatie.engine import Participatie as Facade

    monkeypatch.setenv("PARTICIPATIE_WEB__FRAME_ANCESTORS", '["https://buurt.example.nl"]')
    settings = Settings.load(
        database_url=p.settings.database_url, secret_keys=p.settings.signing_keys
    )
    assert settings.web.frame_ancestors == ("https://buurt.example.nl",)
    facade = Facade(settings, engine=p.engine, clock=p.clock, mailer=p.mailer)
    petition = open_petition(facade)
    with TestClient(create_app(facade)) as c:
        csp = c.get(f"/widget/petitions/{petition.id}").headers["content-security-policy"]
        assert "frame-ancestors https://buurt.example.nl" in csp
    # An argument to create_app overrides the setting.
    with TestClient(create_app(facade, frame_ancestors=["https://wijk.example.nl"])) as c:
        csp = c.get(f"/widget/petitions/{petition.id}").headers["content-security-policy"]
        assert "https://wijk.example.nl" in csp
        assert "buurt" not in csp
