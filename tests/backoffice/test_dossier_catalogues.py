"""Every message the dossier pages ask for exists in Dutch and in English, with the same
placeholders; the start page links a dossier's pages for the actions a user has."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

from participatie.catalogues import catalogue
from participatie.engine import Participatie
from tests.web.helpers import open_dossier

PACKAGE = Path(__file__).resolve().parents[2] / "participatie"
SECTIONS = ("dossier_intake", "dossier_assess", "dossier_outputs")
LITERAL = re.compile(
    r"""(?<![\w.])[t_]\(\s*["']((?:dossier_intake|dossier_assess|dossier_outputs)\.[a-z_0-9]+)["']"""
)
#: Keys completed at run time, with the values they take.
DYNAMIC = {
    "dossier_intake.channel_": ["paper", "letter", "email", "oral", "web"],
    "dossier_intake.nav_": [
        "intake",
        "import",
        "assess",
        "themes",
        "answers",
        "review",
        "publish",
        "outputs",
    ],
    "dossier_assess.status_": ["draft", "ready", "approved", "published"],
    "dossier_assess.outcome_": [
        "honoured",
        "partially_honoured",
        "not_honoured",
        "noted",
        "out_of_scope",
    ],
    "dossier_assess.late_": ["open", "yes", "no"],
    "dossier_assess.channel_": ["email", "letter", "publication"],
    "dossier_outputs.kind_": ["acknowledgement", "delay", "feedback"],
    "dossier_outputs.channel_": ["email", "letter", "publication"],
    "dossier_outputs.col_": ["number", "kind", "channel", "sent", "sha256"],
}


def used_keys() -> set[str]:
    files = [
        *(PACKAGE / "templates" / "backoffice").glob("dossier_*.html"),
        PACKAGE / "templates" / "backoffice" / "home.html",
        *(PACKAGE / "web" / "backoffice").glob("dossier_*.py"),
    ]
    keys: set[str] = set()
    for path in files:
        keys |= {k for k in LITERAL.findall(path.read_text("utf-8")) if not k.endswith("_")}
    for stem, values in DYNAMIC.items():
        keys |= {stem + value for value in values}
    return keys


def test_every_dossier_key_in_both_languages() -> None:
    keys = used_keys()
    assert len(keys) > 200
    for lang in ("nl", "en"):
        missing = sorted(k for k in keys if k not in catalogue(lang))
        assert missing == [], f"{lang}: {missing}"


def test_the_start_page_links_the_dossier_pages_per_action(
    p: Participatie, bo_client: TestClient, host: object
) -> None:
    from tests.backoffice.conftest import Host

    assert isinstance(host, Host)
    dossier = open_dossier(p)
    host.actions["secretaris"] = frozenset({"dossiers.intake"})
    host.actions["teamleider-dossiers"] = frozenset({"dossiers.assess", "dossiers.publish"})
    intake = bo_client.get("/beheer/", headers={"x-test-staff": "secretaris"}).text
    assert f"/dossiers/{dossier.id}/intake" in intake
    assert "/beoordelen" not in intake and "/uitvoer" not in intake
    lead = bo_client.get("/beheer/", headers={"x-test-staff": "teamleider-dossiers"}).text
    assert f"/dossiers/{dossier.id}/beoordelen" in lead and "/uitvoer" in lead
    assert "/intake" not in lead
    griffie = bo_client.get("/beheer/", headers={"x-test-staff": "griffie"}).text
    assert str(dossier.id) not in griffie


def test_every_dossier_page_in_english_without_raw_keys(
    p: Participatie, bo_client: TestClient
) -> None:
    """Each GET page of the dossier screens, with data, in English: no key left showing."""

    from participatie.web.backoffice import route_table
    from tests.backoffice.test_accessibility import dossier_with_data

    dossier = dossier_with_data(p)
    pages = [
        spec
        for spec in route_table()
        if "{dossier_id}" in spec.path and spec.methods == ("GET",) and "." not in spec.path
    ]
    assert len(pages) >= 10
    for spec in pages:
        path = "/beheer" + spec.path.replace("{dossier_id}", dossier) + "?lang=en"
        page = bo_client.get(path, headers={"x-test-staff": "beheerder"})
        assert page.status_code == 200, path
        assert '<html lang="en"' in page.text, path
        leftover = re.findall(r"dossier_(?:intake|assess|outputs)\.[a-z_]+", page.text)
        assert leftover == [], (path, leftover)
