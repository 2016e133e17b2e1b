"""A poll's staff jobs in the back office, one test each, in Debian's Chromium with every page
audited by axe-core at 1280 and 360 px: create, issue the letters' codes (once) and a lost
letter, a desk ballot, 20 paper sheets typed by two typists with the keyboard alone (2
differences), the third person resolving them, close, publish and download. SQLite, as
the other page tests; what a job starts from is made through the Python API.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from participatie.engine import Participatie
from participatie.polls.schemas import BallotIn, PaperEntry, PollIn
from participatie.testing import make_participatie
from tests.backoffice.pages import Site, check, press_and_wait, served, sign_in, submit, visit
from tests.web.browser import focused_after_autofocus
from tests.web.helpers import open_code_poll, seed_areas

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
    check(page, "poll-new-error", status=422)
    assert page.title().startswith("Fout:")
    assert page.get_attribute("#poll-seats", "aria-invalid") == "true"
    assert page.locator("[role=alert]").count() == 1
    assert page.input_value("#poll-title") == "Speelplekken Paddepoel"
    page.fill("#poll-seats", "2")
    button(page, "Opslaan")
    assert "als concept" in page.content()
    check(page, "poll-draft")
    poll_id = str(page.url).rstrip("/").split("/")[-1].split("?")[0]
    return poll_id


def test_create_poll(site: Site, page: Any) -> None:
    poll_id = create_poll(site, page)
    poll = site.p.polls.get(poll_id)
    assert (poll.state, poll.seats, poll.max_choices) == ("draft", 2, 2)
    assert [o.name for o in poll.options] == ["Hoog Paddepoel", "Ecozone", "Siriusstraat"]
    events = site.p.audit.events(subject_type="poll", subject_id=poll_id, action="poll.created")
    assert events[-1].actor == "projectleider"

    # Before opening everything may change; once open only the explanation.
    visit(page, f"{site.base}/beheer/stemmingen/{poll_id}/bewerken")
    page.fill("#poll-title", "Twee speelplekken in Paddepoel")
    button(page, "Opslaan")
    assert site.p.polls.get(poll_id).title == "Twee speelplekken in Paddepoel"
    button(page, "Nu openen")
    assert site.p.polls.get(poll_id).state == "open"
    visit(page, f"{site.base}/beheer/stemmingen/{poll_id}/bewerken")
    check(page, "poll-edit-open")
    assert page.locator("#poll-title").count() == 0, "the title is locked once open"
    assert "staat vast" in page.inner_text("main")
    page.fill("#poll-explanation", "Kies twee plekken.")
    button(page, "Opslaan")
    assert site.p.polls.get(poll_id).explanation == "Kies twee plekken."


def draft_poll(p: Participatie) -> str:
    poll = p.polls.create(
        PollIn.model_validate(
            {
                "title": "Speelplekken Paddepoel",
                "question": "Waar moeten de twee nieuwe speelplekken komen?",
                "options": [
                    {"name": "Hoog Paddepoel"},
                    {"name": "Ecozone"},
                    {"name": "Siriusstraat"},
                ],
                "rule": "approval",
                "seats": 2,
                "max_choices": 2,
                "closes_at": p.clock.now() + timedelta(days=14),
            }
        ),
        actor="projectleider",
    )
    return str(poll.id)


def test_issue_codes_once_and_reissue_a_letter(site: Site, page: Any) -> None:
    p = site.p
    poll_id = draft_poll(p)
    base = f"{site.base}/beheer/stemmingen/{poll_id}"
    sign_in(page, site, "projectleider")
    visit(page, base)
    assert "maar één keer downloaden" in page.content()
    page.fill("#codes-count", "23")
    with page.expect_download() as info:
        page.click("button:text-is('Stemcodes maken en downloaden (CSV)')")
    letters = Path(info.value.path()).read_text(encoding="utf-8-sig").splitlines()[1:]
    codes = [row.split(";")[2] for row in letters]
    assert len(codes) == 23
    visit(page, base)
    check(page, "codes-issued", shot="backoffice-poll")
    assert "projectleider heeft de 23 stemcodes gemaakt" in page.content()
    assert page.locator("#codes-count").count() == 0, "no second download"

    button(page, "Nu openen")
    page.fill("#brief-serial", "21")
    page.fill("#brief-reason", "brief kwijt")
    button(page, "Nieuwe code maken")
    check(page, "poll-reissued")
    new_code = page.inner_text("#nieuwe-code").strip()
    assert new_code and new_code != codes[20]
    assert p.polls.cast(poll_id, BallotIn(choices=["Ecozone"]), code=new_code).tracker
    reissued = p.audit.events(subject_type="poll", subject_id=poll_id, action="poll.code_reissued")
    assert [e.actor for e in reissued] == ["projectleider"]


def test_desk_ballot(site: Site, page: Any) -> None:
    poll, codes = open_code_poll(site.p, households=2)
    sign_in(page, site, "teamleider")
    visit(page, f"{site.base}/beheer/stemmingen/{poll.id}/balie")
    check(page, "desk")
    page.fill("#balie-code", codes[0])
    page.check("text=Ecozone")
    button(page, "Stem vastleggen")
    assert "Geef de inwoner dit bewijs" in page.content()
    check(page, "desk-done")
    # The same code twice: said in words, nothing recorded.
    page.fill("#balie-code", codes[0])
    button(page, "Stem vastleggen")
    assert page.locator("[role=alert]").count() == 1
    check(page, "desk-error")


def poll_with_codes(p: Participatie, count: int) -> tuple[str, list[str]]:
    poll, codes = open_code_poll(p, households=count)
    return str(poll.id), codes


def test_paper_entry_by_two_typists_with_the_keyboard_alone(site: Site, page: Any) -> None:
    p = site.p
    poll_id, codes = poll_with_codes(p, SHEETS + 1)
    base = f"{site.base}/beheer/stemmingen/{poll_id}"
    for typist in ("typist-a", "typist-b"):
        sign_in(page, site, typist)
        visit(page, base + "/papier")
        check(page, f"paper-{typist}", shot="backoffice-paper" if typist == "typist-b" else None)
        for n in range(1, SHEETS + 1):
            sheet = f"P{n:03d}"
            # Enter saved the last sheet; the next one is ready, the focus in its first field.
            assert focused_after_autofocus(page, "papier-sheet") == "papier-sheet"
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
                assert "typist-a" not in page.content()
                assert page.input_value("#papier-marks") == ""
        check(page, f"paper-done-{typist}")
    assert "Met een verschil: 2. Klaar: 18." in page.inner_text("main")

    # A typing error in the code is caught by its check character.
    page.keyboard.type("P099")
    page.keyboard.press("Tab")
    last = codes[SHEETS]
    page.keyboard.type(last[:-1] + ("A" if last[-1] != "A" else "B"))
    page.keyboard.press("Tab")
    page.keyboard.type("1")
    press_and_wait(page, "Enter")
    check(page, "paper-error", status=422)
    assert page.locator("[role=alert]").count() == 1
    assert page.input_value("#papier-sheet") == "P099", "what was typed stays"

    # The same typist may not look at the differences.
    visit(page, base + "/verschillen", status=403)
    check(page, "differences-forbidden", status=403)


def test_resolve_differences(site: Site, page: Any) -> None:
    p = site.p
    poll_id, codes = poll_with_codes(p, 4)
    for n, sheet in enumerate(sorted(DIFFERENT)):
        first = PaperEntry(sheet=sheet, code=codes[n], marks=["1", "2"])
        second = PaperEntry(sheet=sheet, code=codes[n], marks=["1", "3"])
        p.polls.enter_paper(poll_id, first, staff="typist-a")
        p.polls.enter_paper(poll_id, second, staff="typist-b")
    sign_in(page, site, "teamleider")
    visit(page, f"{site.base}/beheer/")
    assert "2 stembiljetten met een verschil" in page.content()
    with page.expect_navigation():
        page.click("text=Speelplekken Paddepoel")
    check(page, "differences", shot="backoffice-differences")
    for n, sheet in enumerate(sorted(DIFFERENT)):
        text = page.locator("section", has_text=sheet).inner_text()
        assert "Eerste invoer (typist-a)" in text and "Tweede invoer (typist-b)" in text
        assert "Hoog Paddepoel, Ecozone" in text and "Hoog Paddepoel, Siriusstraat" in text
        assert "De stemcode was bij beide invoeren gelijk" in text
        page.fill("#los-1-code", codes[n])
        page.fill("#los-1-marks", "1 2")
        button(page, f"Vastleggen voor blad {sheet}")
        assert f"Blad {sheet} is vastgelegd" in page.content()
    check(page, "differences-done")
    assert "Er zijn geen verschillen die wachten" in page.content()
    resolved = p.polls.paper_mismatches(poll_id)
    assert {m.resolved_by for m in resolved} == {"teamleider"}


def test_close_publish_and_download(site: Site, page: Any) -> None:
    p = site.p
    poll_id, codes = poll_with_codes(p, 4)
    p.polls.cast(poll_id, BallotIn(choices=["Ecozone", "Hoog Paddepoel"]), code=codes[0])
    for staff in ("typist-a", "typist-b"):
        entry = PaperEntry(sheet="P001", code=codes[1], marks=["1", "2"])
        p.polls.enter_paper(poll_id, entry, staff=staff)
    p.polls.set_paper_envelopes(poll_id, 1, staff="teamleider")
    sign_in(page, site, "projectleider")
    base = f"{site.base}/beheer/stemmingen/{poll_id}"
    visit(page, base)
    button(page, "Nu sluiten")
    assert p.polls.get(poll_id).state == "closed"
    visit(page, f"{site.base}/beheer/")
    assert "Gesloten: uitslag bekijken en publiceren" in page.content()
    visit(page, base + "/uitslag")
    check(page, "tally-preview", shot="backoffice-tally")
    text = page.inner_text("main")
    assert "Controle van de telling" in text and "nog niet gepubliceerd" in text
    button(page, "Uitslag publiceren")
    assert "De uitslag is gepubliceerd" in page.content()
    check(page, "tally-published")
    assert p.polls.get(poll_id).state == "published"
    events = p.audit.events(subject_type="poll", subject_id=poll_id, action="poll.published")
    assert events[-1].actor == "projectleider"

    tally = p.polls.tally(poll_id)
    assert (tally.ballots, tally.channels.get("paper")) == (2, 1)
    for fmt in ("HTML", "PDF", "CSV", "XLSX", "JSON"):
        with page.expect_download() as info:
            page.click(f"text=Rapport (download, {fmt})")
        assert Path(info.value.path()).stat().st_size > 100, fmt
    with page.expect_download() as info:
        page.click("text=Bestand met alle stembiljetten")
    ballots = json.loads(Path(info.value.path()).read_text(encoding="utf-8"))
    assert len(ballots) == 2
    assert tally.ballots_sha256 in page.content()
