"""A poll's whole life in the back office, in Debian's Chromium, each page audited by axe-core
at 1280 and 360 px: create, issue the letters' codes (once), a lost letter, a desk ballot,
20 paper sheets typed by two typists with the keyboard alone (2 differences), the third
person resolving them, close, publish and every download. SQLite, as the other page tests.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from participatie.testing import make_participatie
from tests.backoffice.pages import Site, check, press_and_wait, served, sign_in, submit, visit
from tests.web.helpers import seed_areas

SHEETS = 20
#: Sheets the second typist reads differently from the first.
DIFFERENT = {"P005", "P013"}


@pytest.fixture
def site(tmp_path: Path, browser: Any) -> Iterator[Site]:
    p = make_participatie(f"sqlite:///{tmp_path / 'polls.db'}")
    p.create_all()
    seed_areas(p)
    try:
        with served(p) as site:
            yield site
    finally:
        p.dispose()


def button(page: Any, label: str) -> None:
    submit(page, f"button:text-is('{label}')")


def create_poll(site: Site, page: Any) -> str:
    sign_in(page, site, "projectleider")
    visit(page, site.base + "/beheer/stemmingen")
    check(page, "polls-empty")
    with page.expect_navigation():
        page.click("text=Nieuwe stemming")
    check(page, "poll-new")
    page.fill("#poll-title", "Speelplekken Paddepoel")
    page.fill("#poll-question", "Waar moeten de twee nieuwe speelplekken komen?")
    page.fill("#poll-options", "Hoog Paddepoel | grasveld\nEcozone\nSiriusstraat")
    page.select_option("#poll-rule", "approval")
    page.fill("#poll-seats", "2")
    page.fill("#poll-max_choices", "2")
    page.fill("#poll-closes_at", "2026-04-01T20:00")
    # Seats must be fewer than options: first the error, with what was typed kept.
    page.fill("#poll-seats", "3")
    button(page, "Opslaan")
    check(page, "poll-new-error")
    assert page.locator("[role=alert]").count() == 1
    assert page.input_value("#poll-title") == "Speelplekken Paddepoel"
    page.fill("#poll-seats", "2")
    button(page, "Opslaan")
    assert "als concept" in page.content()
    check(page, "poll-draft")
    poll_id = str(page.url).rstrip("/").split("/")[-1].split("?")[0]
    return poll_id


def test_poll_from_creation_to_publication(site: Site, page: Any, tmp_path: Path) -> None:
    p = site.p
    poll_id = create_poll(site, page)
    base = f"{site.base}/beheer/stemmingen/{poll_id}"

    # The letters: once, and the page says by whom and when.
    assert "maar één keer downloaden" in page.content()
    page.fill("#codes-count", str(SHEETS + 3))
    with page.expect_download() as info:
        page.click("button:text-is('Stemcodes maken en downloaden')")
    letters = Path(info.value.path()).read_text(encoding="utf-8-sig").splitlines()[1:]
    codes = [row.split(";")[2] for row in letters]
    assert len(codes) == SHEETS + 3
    visit(page, base)
    assert "projectleider heeft de 23 stemcodes gemaakt" in page.content()
    assert page.locator("#codes-count").count() == 0, "no second download"

    button(page, "Nu openen")
    assert p.polls.get(poll_id).state == "open"
    visit(page, base + "/bewerken")
    check(page, "poll-edit-open")
    assert page.locator("#poll-title").count() == 0, "the title is locked once open"
    assert page.locator("#poll-explanation").count() == 1

    # A lost letter: its code is revoked and a new one shown once.
    visit(page, base)
    check(page, "poll-open")
    page.fill("#brief-serial", str(SHEETS + 1))
    page.fill("#brief-reason", "brief kwijt")
    button(page, "Nieuwe code maken")
    check(page, "poll-reissued")
    new_code = page.inner_text("#nieuwe-code").strip()
    assert new_code and new_code != codes[SHEETS]

    # A resident at the desk, with the reissued code.
    sign_in(page, site, "teamleider")
    visit(page, base + "/balie")
    check(page, "desk")
    page.fill("#balie-code", new_code)
    page.check("text=Ecozone")
    button(page, "Stem vastleggen")
    assert "Geef de inwoner dit bewijs" in page.content()
    check(page, "desk-done")

    # Paper: two typists, keyboard alone; Enter saves, the next sheet is ready.
    for typist in ("typist-a", "typist-b"):
        sign_in(page, site, typist)
        visit(page, base + "/papier")
        check(page, f"paper-{typist}")
        for n in range(1, SHEETS + 1):
            sheet = f"P{n:03d}"
            assert page.evaluate("document.activeElement.id") == "papier-sheet"
            page.keyboard.type(sheet)
            page.keyboard.press("Tab")
            page.keyboard.type(codes[n - 1])
            page.keyboard.press("Tab")
            marks = "1 3" if typist == "typist-b" and sheet in DIFFERENT else "1 2"
            page.keyboard.type(marks)
            press_and_wait(page, "Enter")
            status = page.inner_text("#laatste-blad")
            assert sheet in status
            if typist == "typist-b":
                expected = "verschillen" if sheet in DIFFERENT else "gelijk"
                assert expected in status, status
            # The second typist sees nothing of the first typing.
            assert "typist-a" not in page.content() or typist == "typist-a"
        check(page, f"paper-done-{typist}")

    # A typing error in the code is caught by its check character.
    page.keyboard.type("P099")
    page.keyboard.press("Tab")
    page.keyboard.type(codes[SHEETS + 2][:-1] + ("A" if codes[SHEETS + 2][-1] != "A" else "B"))
    page.keyboard.press("Tab")
    page.keyboard.type("1")
    press_and_wait(page, "Enter")
    check(page, "paper-error", status=422)
    assert page.locator("[role=alert]").count() == 1

    # The same typist may not settle the differences; the third person sees both typings.
    visit(page, base + "/verschillen", status=403)
    check(page, "differences-forbidden", status=403)
    sign_in(page, site, "teamleider")
    visit(page, f"{site.base}/beheer/")
    assert "2 stembiljet(ten) met een verschil" in page.content()
    visit(page, base + "/verschillen")
    check(page, "differences")
    for sheet in sorted(DIFFERENT):
        section = page.locator("section", has_text=sheet)
        text = section.inner_text()
        assert "Eerste invoer (typist-a)" in text and "Tweede invoer (typist-b)" in text
        assert "Hoog Paddepoel, Ecozone" in text and "Hoog Paddepoel, Siriusstraat" in text
        number = sorted(DIFFERENT).index(sheet) + 1
        page.fill(f"#los-{1}-code", codes[int(sheet[1:]) - 1])
        page.fill(f"#los-{1}-marks", "1 2")
        button(page, f"Vastleggen voor blad {sheet}")
        assert f"Blad {sheet} is vastgelegd" in page.content(), number
    check(page, "differences-done")
    assert "Er zijn geen verschillen die wachten" in page.content()

    visit(page, base)
    page.fill("#enveloppen-count", str(SHEETS))
    submit(page, "form:has(#enveloppen-count) button")
    assert "Het aantal enveloppen is opgeslagen" in page.content()

    # Close, the tally with its reconciliation, publish, download.
    sign_in(page, site, "projectleider")
    visit(page, base)
    button(page, "Nu sluiten")
    assert p.polls.get(poll_id).state == "closed"
    visit(page, base + "/uitslag")
    check(page, "tally-preview")
    text = page.inner_text("main")
    assert "Controle van de telling" in text
    assert "nog niet gepubliceerd" in text
    tally = p.polls.tally(poll_id)
    assert tally.ballots == SHEETS + 1
    assert tally.channels.get("paper") == SHEETS
    button(page, "Uitslag publiceren")
    assert "De uitslag is gepubliceerd" in page.content()
    check(page, "tally-published")
    assert p.polls.get(poll_id).state == "published"
    events = p.audit.events(subject_type="poll", subject_id=poll_id, action="poll.published")
    assert events[-1].actor == "projectleider"

    for fmt in ("HTML", "PDF", "CSV", "XLSX", "JSON"):
        with page.expect_download() as info:
            page.click(f"text=Rapport ({fmt})")
        assert Path(info.value.path()).stat().st_size > 100, fmt
    with page.expect_download() as info:
        page.click("text=Bestand met alle stembiljetten")
    ballots = json.loads(Path(info.value.path()).read_text(encoding="utf-8"))
    assert len(ballots) == SHEETS + 1
    assert tally.ballots_sha256 in page.content()
