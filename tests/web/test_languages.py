"""Every page in both languages, resident and back office: no text in the other language
without a ``lang`` attribute. An English page holds Dutch only where staff or residents
wrote it (marked ``lang="nl"``); a Dutch page holds no English at all, so every message
is in both catalogues and every template translates what it shows."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from participatie.testing import make_participatie
from participatie.web.backoffice import route_table
from tests.backoffice.conftest import default_host, host_app
from tests.web.test_catalogues import _Languages
from tests.web.whole_site import WholeSite, build

#: Words of one language that the other never writes (names of people and places aside).
DUTCH = frozenset(
    {"het", "een", "uw", "niet", "wordt", "geen", "deze", "naar", "voor", "ook", "nog"}
    | {"alle", "kunt", "moet", "zijn", "wij", "hier", "bij"}
)
ENGLISH = frozenset(
    {"the", "your", "you", "with", "this", "please", "will", "have", "which", "been"}
    | {"from", "when", "there", "about", "should"}
)
WORD = re.compile(r"[a-zà-ÿ]+")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, WholeSite]]:
    folder: Path = tmp_path_factory.mktemp("languages")
    p = make_participatie(f"sqlite:///{folder / 'site.db'}")
    p.create_all()
    try:
        whole = build(p, folder)
        with TestClient(host_app(p, default_host())) as client:
            client.headers["x-test-staff"] = "beheerder"
            yield client, whole
    finally:
        p.dispose()


def every_page(s: WholeSite) -> list[str]:
    """The resident pages with something in them, and every back-office page that GET
    shows (files aside), about the site's petition, poll and dossier."""

    resident = [
        "/",
        "/petitions/new",
        f"/petitions/{s.petition.id}",
        f"/petitions/{s.answered.id}",
        f"/polls/{s.poll.id}",
        f"/polls/{s.poll.id}/vote",
        f"/polls/{s.ended.id}",
        f"/polls/{s.ended.id}/result",
        f"/polls/{s.ended.id}/ballots",
        f"/polls/{s.ended.id}/ballots?tracker={s.tracker}",
        f"/dossiers/{s.dossier.id}",
        f"/dossiers/{s.dossier.id}/react",
        f"/dossiers/{s.dossier.id}/result",
        "/subscriptions",
        "/privacy",
        f"/widget/petitions/{s.petition.id}",
        "/widget/areas/paddepoel",
        "/widget/open",
    ]
    ids = {
        "petition": s.petition.id,
        "poll": s.ended.id,
        "dossier": s.dossier.id,
        "dossier_id": s.dossier.id,
    }
    staff = [
        "/beheer" + route.path.format(**ids)
        for route in route_table()
        if "GET" in route.methods
        and "{fmt}" not in route.path
        and "{document}" not in route.path
        and not route.path.endswith((".csv", ".json"))
    ]
    return resident + staff


def foreign(html: str, lang: str) -> list[str]:
    """Texts of a page in ``lang`` that hold words of the other language unmarked."""

    parser = _Languages()
    parser.feed(html)
    other, marked = (DUTCH, "nl") if lang == "en" else (ENGLISH, "en")
    return [
        text
        for text, declared in parser.texts
        if declared != marked and set(WORD.findall(text.lower())) & other
    ]


def test_the_check_finds_an_unmarked_sentence() -> None:
    page = '<html lang="en"><body><p>Back to <span lang="nl">Het plan</span></p>'
    assert foreign(page, "en") == []
    assert foreign('<html lang="en"><body><p>Terug naar het plan</p>', "en") != []
    assert foreign('<html lang="nl"><body><p>Sign the petition</p>', "nl") != []


def test_no_page_holds_the_other_language_unmarked(
    site: tuple[TestClient, WholeSite],
) -> None:
    client, whole = site
    paths = every_page(whole)
    assert len(paths) > 40
    problems: list[str] = []
    for path in paths:
        for lang in ("nl", "en"):
            page = client.get(path, params={"lang": lang})
            assert page.status_code == 200, (path, lang, page.status_code)
            problems += [f"{path}?lang={lang}: {text[:100]!r}" for text in foreign(page.text, lang)]
    assert problems == [], "\n".join(problems)
