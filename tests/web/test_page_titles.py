"""A page's title names its state, not only its subject: a petition that is answered, a
poll whose result is out, a result not known yet, a dossier whose answers are online, a
link's action done; an open petition or poll says nothing extra. And what staff wrote
stays marked ``lang="nl"`` inside the English sentences of these pages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from participatie.engine import Participatie
from participatie.petitions.schemas import SignatureIn
from participatie.testing import make_participatie
from participatie.web import create_app
from tests.backoffice.conftest import default_host, host_app
from tests.web.conftest import allow_all, csrf_token
from tests.web.helpers import open_code_poll, tokens
from tests.web.test_catalogues import _Languages
from tests.web.whole_site import WholeSite, build


@dataclass
class Site:
    client: TestClient
    staff: TestClient
    p: Participatie
    s: WholeSite
    closed_poll: str


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder: Path = tmp_path_factory.mktemp("titles")
    p = make_participatie(f"sqlite:///{folder / 'site.db'}")
    p.create_all()
    try:
        whole = build(p, folder)
        closed, _ = open_code_poll(p, title="Parkeren Centrum")
        p.polls.close(closed.id, actor="projectleider")
        with (
            TestClient(create_app(p, authorize=allow_all)) as client,
            TestClient(host_app(p, default_host())) as staff,
        ):
            staff.headers["x-test-staff"] = "beheerder"
            yield Site(client=client, staff=staff, p=p, s=whole, closed_poll=str(closed.id))
    finally:
        p.dispose()


def title(client: TestClient, path: str, lang: str = "nl") -> str:
    page = client.get(path, params={"lang": lang})
    assert page.status_code == 200, (path, page.status_code)
    found = re.search(r"<title>(.*?)</title>", page.text, re.S)
    assert found
    return " ".join(found.group(1).split()).replace("&#39;", "'")


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        (
            "nl",
            {
                "answered": "Bankjes langs het Reitdiep (beantwoord) – ",
                "published": "Bankjes in het park (uitslag bekend) – ",
                "closed": "Parkeren Centrum (gesloten) – ",
                "pending": "Uitslag: Parkeren Centrum (nog niet bekend) – ",
                "dossier": "Hondenbeleid 2026 (De antwoorden staan online) – ",
            },
        ),
        (
            "en",
            {
                "answered": "Bankjes langs het Reitdiep (answered) – ",
                "published": "Bankjes in het park (result published) – ",
                "closed": "Parkeren Centrum (closed) – ",
                "pending": "Result: Parkeren Centrum (not known yet) – ",
                "dossier": "Hondenbeleid 2026 (The answers are online) – ",
            },
        ),
    ],
)
def test_titles_name_the_state(site: Site, lang: str, words: dict[str, str]) -> None:
    client, s, closed = site.client, site.s, site.closed_poll
    assert title(client, f"/petitions/{s.answered.id}", lang).startswith(words["answered"])
    assert title(client, f"/widget/petitions/{s.answered.id}", lang).startswith(words["answered"])
    assert title(client, f"/polls/{s.ended.id}", lang).startswith(words["published"])
    assert title(client, f"/polls/{closed}", lang).startswith(words["closed"])
    assert title(client, f"/polls/{closed}/result", lang).startswith(words["pending"])
    assert title(client, f"/dossiers/{s.dossier.id}", lang).startswith(words["dossier"])
    # What is open says nothing more than its name.
    assert title(client, f"/petitions/{s.petition.id}", lang).startswith(
        "Groot scherm op de Grote Markt – "
    )
    assert title(client, f"/polls/{s.poll.id}", lang).startswith("Speelplekken Paddepoel – ")


def test_a_done_action_says_so_in_the_title(site: Site) -> None:
    client, p = site.client, site.p
    p.petitions.sign(
        site.s.petition.id,
        SignatureIn(name="Joost Bos", email="joost@example.nl", postcode="9742 AB"),
        ip="198.51.100.21",
    )
    p.petitions.confirm(tokens(p, "joost@example.nl")["confirm"])
    path = f"/petitions/withdraw/{tokens(p, 'joost@example.nl')['withdraw']}"
    before = title(client, path)
    assert before.startswith("Handtekening intrekken – "), before
    form = client.get(path)
    done = client.post(path, data={"csrf_token": csrf_token(form.text)})
    assert done.status_code == 200, done.text
    after = re.search(r"<title>(.*?)</title>", done.text, re.S)
    assert after and after.group(1).startswith("Handtekening intrekken (gelukt) – ")


WRITTEN = {
    "Groot scherm op de Grote Markt",
    "Bankjes langs het Reitdiep",
    "Bankjes in het park",
    "Speelplekken Paddepoel",
    "Hondenbeleid 2026",
    "Hoog Paddepoel",
    "Ecozone",
    "Siriusstraat",
    "Paddepoel",
    "Kaart losloopgebieden",
    "Losloopgebieden",
}


def unmarked(client: TestClient, paths: list[str]) -> tuple[set[str], list[str]]:
    """The names found alone in a text, and the texts of English pages that hold one of
    them without ``lang="nl"``."""

    found: set[str] = set()
    wrong: list[str] = []
    for path in paths:
        page = client.get(path, params={"lang": "en"})
        assert page.status_code == 200, path
        parser = _Languages()
        parser.feed(page.text)
        for text, declared in parser.texts:
            inside = {w for w in WRITTEN if re.search(rf"(?<!\w){re.escape(w)}(?!\w)", text)}
            if not inside:
                continue
            bare = re.sub(r"^\d+\.\s*", "", text).strip("‘’'\"():,.= ")
            if bare in WRITTEN:
                found.add(bare)
            if declared != "nl":
                wrong.append(f"{path}: {text!r} ({declared})")
    return found, wrong


def test_titles_inside_english_sentences_are_marked_dutch(site: Site) -> None:
    """On English pages a title, option or wijk name inside a sentence ("Back to ‘…’")
    is in an element of its own with ``lang="nl"``; no text node mixes it with English."""

    s = site.s
    paths = [
        f"/petitions/{s.answered.id}",
        f"/polls/{s.poll.id}/vote",
        f"/polls/{s.ended.id}/result",
        f"/polls/{s.ended.id}/ballots",
        f"/polls/{s.ended.id}/ballots?tracker={s.tracker}",
        f"/dossiers/{s.dossier.id}",
        f"/dossiers/{s.dossier.id}/result",
        f"/dossiers/{s.dossier.id}/react",
        "/widget/areas/paddepoel",
        "/subscriptions",
        "/",
    ]
    found, wrong = unmarked(site.client, paths)
    assert wrong == [], "\n".join(wrong)
    assert found >= WRITTEN, WRITTEN - found


def test_the_back_office_in_english_marks_what_staff_wrote(site: Site) -> None:
    s = site.s
    paths = [
        "/beheer/petities",
        f"/beheer/petities/{s.answered.id}",
        "/beheer/stemmingen",
        f"/beheer/stemmingen/{s.ended.id}",
        f"/beheer/stemmingen/{s.ended.id}/uitslag",
        "/beheer/dossiers",
        f"/beheer/dossiers/{s.dossier.id}",
        f"/beheer/dossiers/{s.dossier.id}/themas",
        f"/beheer/dossiers/{s.dossier.id}/uitvoer",
        f"/beheer/dossiers/{s.dossier.id}/termijnen",
    ]
    found, wrong = unmarked(site.staff, paths)
    assert wrong == [], "\n".join(wrong)
    assert {"Bankjes langs het Reitdiep", "Bankjes in het park", "Hondenbeleid 2026"} <= found


def test_the_log_on_staff_pages_says_what_happened_in_words(site: Site) -> None:
    """The history on a petition's, poll's and dossier's back-office page names each
    event in words ("antwoord geschreven"), not by its code (``reactions.answer_drafted``):
    no internal key in any text of those pages, in either language."""

    from participatie.catalogues import catalogue

    s = site.s
    actions = {e.action for e in site.p.audit.events() if e.subject_type != "area"}
    assert {"petition.answered", "poll.published", "reactions.answers_published"} <= actions
    for lang in ("nl", "en"):
        missing = sorted(a for a in actions if f"audit.{a}" not in catalogue(lang))
        assert missing == [], f"{lang}: {missing}"
    key = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b|\b[a-z]+\.[a-z]+_[a-z_]+\b")
    for path in (
        f"/beheer/petities/{s.answered.id}",
        f"/beheer/stemmingen/{s.ended.id}",
        f"/beheer/dossiers/{s.dossier.id}",
    ):
        for lang in ("nl", "en"):
            page = site.staff.get(path, params={"lang": lang})
            assert page.status_code == 200, path
            parser = _Languages()
            parser.feed(page.text)
            keys = [text for text, _ in parser.texts if key.search(text)]
            assert keys == [], (path, lang, keys)
    english = site.staff.get(f"/beheer/dossiers/{s.dossier.id}", params={"lang": "en"}).text
    assert "answers published" in english and "reactions.answers_published" not in english
