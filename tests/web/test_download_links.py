"""A link that downloads a file says so, its format and, for a stored file, its size:
"Kaart (download, PDF, 3 kB)". Every resident page and back-office page of a site with
something in every state is walked in both languages; every link on them is followed, and
each that answers with a file (an attachment, or JSON) must say it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from participatie.testing import make_participatie
from tests.backoffice.conftest import default_host, host_app
from tests.web.whole_site import WholeSite, build

#: Paths that are files by their look, before any request: an extension or a file route.
FILE_PATH = re.compile(
    r"\.(csv|pdf|xlsx|docx|zip|json|jsonl|html|txt)$|/documents/|/documenten/|/api/polls/[^/]+/ballots$"
)
SIZE = re.compile(r"\d+(?:[.,]\d+)? (?:byte|kB|MB)")


class _Links(HTMLParser):
    """Every ``<a href>`` with its whole text (descendants included) and attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, dict[str, str | None], str]] = []
        self._open: list[tuple[str, dict[str, str | None], list[str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            found = dict(attrs)
            self._open.append((found.get("href") or "", found, []))

    def handle_data(self, data: str) -> None:
        for _, _, texts in self._open:
            texts.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._open:
            href, attrs, texts = self._open.pop()
            self.links.append((href, attrs, " ".join("".join(texts).split())))


def links(html: str) -> list[tuple[str, dict[str, str | None], str]]:
    parser = _Links()
    parser.feed(html)
    return parser.links


def what_is_wrong(text: str, file_format: str, *, sized: bool) -> str | None:
    """Why a download link's text does not say what it should, or None."""

    if "download" not in text.lower():
        return "does not say it downloads"
    if file_format.upper() not in text:
        return f"does not say its format {file_format.upper()}"
    if sized and not SIZE.search(text):
        return "does not say its size"
    return None


def test_the_check_finds_a_link_that_says_nothing() -> None:
    [(href, _, text)] = links('<a href="/nota.pdf">nota <span>van beantwoording</span></a>')
    assert FILE_PATH.search(href)
    assert what_is_wrong(text, "pdf", sized=False) == "does not say it downloads"
    assert what_is_wrong("nota (download, CSV)", "pdf", sized=False) is not None
    assert what_is_wrong("Kaart (download, PDF)", "pdf", sized=True) == "does not say its size"
    assert what_is_wrong("Kaart (download, PDF, 1,2 MB)", "pdf", sized=True) is None


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, WholeSite]]:
    folder: Path = tmp_path_factory.mktemp("downloads")
    p = make_participatie(f"sqlite:///{folder / 'site.db'}")
    p.create_all()
    try:
        whole = build(p, folder)
        with TestClient(host_app(p, default_host()), raise_server_exceptions=False) as client:
            client.headers["x-test-staff"] = "beheerder"
            yield client, whole
    finally:
        p.dispose()


def pages(s: WholeSite) -> list[str]:
    resident = [
        "/",
        f"/petitions/{s.petition.id}",
        f"/petitions/{s.answered.id}",
        f"/polls/{s.poll.id}",
        f"/polls/{s.ended.id}",
        f"/polls/{s.ended.id}/result",
        f"/polls/{s.ended.id}/ballots",
        f"/dossiers/{s.dossier.id}",
        f"/dossiers/{s.dossier.id}/result",
        "/widget/areas/paddepoel",
    ]
    backoffice = [
        "/beheer/",
        f"/beheer/petities/{s.petition.id}",
        f"/beheer/petities/{s.answered.id}",
        f"/beheer/stemmingen/{s.ended.id}",
        f"/beheer/stemmingen/{s.ended.id}/uitslag",
        f"/beheer/dossiers/{s.dossier.id}",
        f"/beheer/dossiers/{s.dossier.id}/uitvoer",
    ]
    return resident + backoffice


def is_file(client: TestClient, href: str, seen: dict[str, tuple[bool, str]]) -> tuple[bool, str]:
    """Does the link answer with a file, and in which format (from its name or type)?"""

    if href not in seen:
        answer = client.get(href)
        disposition = answer.headers.get("content-disposition", "")
        kind = answer.headers.get("content-type", "")
        named = re.search(r'filename="[^"]*\.(\w+)"', disposition)
        if "attachment" in disposition and named:
            seen[href] = (True, named.group(1))
        elif kind.startswith("application/json"):
            seen[href] = (True, "json")
        else:
            seen[href] = (False, "")
    return seen[href]


def test_every_link_that_downloads_a_file_says_so_its_format_and_size(
    site: tuple[TestClient, WholeSite],
) -> None:
    client, whole = site
    seen: dict[str, tuple[bool, str]] = {}
    problems: list[str] = []
    downloads: set[str] = set()
    for path in pages(whole):
        for lang in ("nl", "en"):
            page = client.get(path, params={"lang": lang})
            assert page.status_code == 200, (path, lang, page.status_code)
            for href, attrs, text in links(page.text):
                target = urlsplit(href)
                if target.netloc:
                    # A file elsewhere says at least its format, as its address tells.
                    named = FILE_PATH.search(target.path)
                    if named and named.group(1):
                        wrong = what_is_wrong(text, named.group(1), sized=False)
                        if wrong:
                            problems.append(f"{path}?lang={lang}: {href} ({text!r}) {wrong}")
                        downloads.add(href)
                    continue
                if not href.startswith("/") or "lang=" in href:
                    continue
                looks = "download" in attrs or bool(FILE_PATH.search(target.path))
                answers_file, file_format = is_file(client, href, seen)
                if not (looks or answers_file):
                    continue
                downloads.add(target.path)
                assert answers_file, f"{path}: {href} looks like a file but is a page"
                stored = "/documents/" in href or "/documenten/" in href
                wrong = what_is_wrong(text, file_format, sized=stored)
                if wrong:
                    problems.append(f"{path}?lang={lang}: {href} ({text!r}) {wrong}")
    assert problems == [], "\n".join(problems)
    # The walk met every kind of download there is on these pages.
    found = [FILE_PATH.search(d) for d in downloads]
    kinds = {match.group(0).rsplit("/", 1)[-1] or match.group(0) for match in found if match}
    assert {".pdf", ".html", ".csv", ".json", "ballots"} <= kinds, kinds
    assert any("/documents/" in d for d in downloads)
    assert any("/documenten/" in d for d in downloads)
    assert "https://gemeente.example.nl/hondenbeleid.pdf" in downloads
