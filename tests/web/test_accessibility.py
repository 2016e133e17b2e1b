"""Every resident page in a real Chromium: zero axe-core violations of WCAG 2.1 A/AA,
forms usable by keyboard alone in a sensible focus order, and screenshots for the docs.

These run on SQLite only: they judge the HTML, which does not depend on the database;
the same pages are exercised on every database by the HTTP tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from participatie.engine import Participatie
from participatie.petitions.schemas import Petition, PetitionIn
from participatie.polls.schemas import BallotIn, Poll
from participatie.reactions.schemas import Dossier
from participatie.testing import make_participatie
from participatie.web import create_app
from tests.web.browser import audit, describe, screenshot, serve
from tests.web.helpers import open_code_poll, open_dossier, open_petition, seed_areas, tokens


@dataclass
class Site:
    p: Participatie
    base: str
    petition: Petition
    poll: Poll
    codes: list[str]
    ended: Poll
    tracker: str
    dossier: Dossier


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    p = make_participatie(f"sqlite:///{tmp_path / 'a11y.db'}")
    p.create_all()
    try:
        seed_areas(p)
        petition = open_petition(p)
        poll, codes = open_code_poll(p, households=4)
        ended, ended_codes = open_code_poll(p, title="Bankjes in het park", households=3)
        receipt = p.polls.cast(ended.id, BallotIn(choices=["Ecozone"]), code=ended_codes[0])
        p.polls.close(ended.id, actor="projectleider")
        p.polls.publish(ended.id, actor="projectleider")
        dossier = open_dossier(p, areas=["paddepoel"])
        with serve(create_app(p, frame_ancestors=["https://wijk.example.nl"])) as base:
            yield Site(
                p=p,
                base=base,
                petition=petition,
                poll=poll,
                codes=codes,
                ended=p.polls.get(ended.id),
                tracker=receipt.tracker,
                dossier=dossier,
            )
    finally:
        p.dispose()


def check(page: Any, name: str, tmp_path: Path, *, status: int = 200) -> None:
    """Audit the page as it is now; ``status``: the HTTP status it was served with."""

    violations = audit(page)
    assert violations == [], f"{name} ({page.url}):\n{describe(violations)}"
    # An error page logs its own status as a console error; anything else is a fault
    # (a CSP violation, a stylesheet that did not load).
    own = f"status of {status}" if status >= 400 else None
    problems = [e for e in page.console_errors if not (own and own in e)]
    assert problems == [], f"{name}: console errors {problems}"
    page.console_errors.clear()
    assert page.locator("html").get_attribute("lang") in ("nl", "en")
    assert page.locator("h1").count() == 1, f"{name}: one main heading"
    screenshot(page, name, tmp_path)


def visit(page: Any, url: str, status: int = 200) -> None:
    response = page.goto(url)
    assert response is not None and response.status == status, f"{url}: {response.status}"


def focus_order(page: Any, stop_at: str, limit: int = 40) -> list[str]:
    """Press Tab until the element with id ``stop_at`` has focus; the ids passed on the way."""

    seen: list[str] = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        current = str(page.evaluate("document.activeElement.id || document.activeElement.tagName"))
        seen.append(current)
        if current == stop_at:
            return seen
    raise AssertionError(f"never reached #{stop_at} by Tab; went through {seen}")


def press_and_wait(page: Any, key: str) -> None:
    """Press a key that submits a form and wait for the next page to load."""

    with page.expect_navigation(wait_until="load"):
        page.keyboard.press(key)


def test_pages_without_data(site: Site, page: Any, tmp_path: Path) -> None:
    visit(page, site.base + "/")
    check(page, "home", tmp_path)
    visit(page, site.base + "/?lang=en")
    check(page, "home-en", tmp_path)
    visit(page, site.base + "/bestaat-niet?lang=nl", status=404)
    check(page, "not-found", tmp_path, status=404)
    visit(page, site.base + "/petitions/confirm/kapotte-link", status=400)
    check(page, "bad-link", tmp_path, status=400)


def test_skip_link_is_the_first_stop_for_the_keyboard(site: Site, page: Any) -> None:
    visit(page, site.base + "/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Naar de inhoud"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "inhoud"


def test_petition_by_keyboard_alone(site: Site, page: Any, tmp_path: Path) -> None:
    url = f"{site.base}/petitions/{site.petition.id}"
    visit(page, url)
    check(page, "petition", tmp_path)

    # Send the form empty first: the errors are said next to the fields and on top.
    order = focus_order(page, "veld-name")
    assert order[0] != "veld-name", "the skip link and navigation come first"
    page.keyboard.type("Bram Bakker")
    page.keyboard.press("Tab")
    page.keyboard.type("bram@")
    press_and_wait(page, "Enter")
    assert "Kijk dit na" in page.content()
    check(page, "petition-errors", tmp_path, status=422)

    page.fill("#veld-email", "")
    page.focus("#veld-email")
    page.keyboard.type("bram@example.nl")
    assert focus_order(page, "veld-postcode") == ["veld-postcode"]
    page.keyboard.type("9742 cd")
    assert focus_order(page, "veld-notify_answer") == ["veld-show_name", "veld-notify_answer"]
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.type") == "submit"
    press_and_wait(page, "Enter")
    assert page.url == f"{url}/signed"
    check(page, "petition-signed", tmp_path)

    token = tokens(site.p, "bram@example.nl")["confirm"]
    visit(page, f"{site.base}/petitions/confirm/{token}")
    check(page, "petition-confirm", tmp_path)
    focus_order(page, "BUTTON")
    press_and_wait(page, "Enter")
    assert "Uw handtekening telt mee" in page.content()
    check(page, "petition-confirmed", tmp_path)
    assert site.p.petitions.count(site.petition.id) == 1

    withdraw = tokens(site.p, "bram@example.nl")["withdraw"]
    visit(page, f"{site.base}/petitions/withdraw/{withdraw}")
    check(page, "petition-withdraw", tmp_path)
    visit(page, f"{site.base}/widget/petitions/{site.petition.id}")
    check(page, "widget-petition", tmp_path)


def test_voting_by_keyboard_alone(site: Site, page: Any, tmp_path: Path) -> None:
    visit(page, f"{site.base}/polls/{site.poll.id}")
    check(page, "poll", tmp_path)
    visit(page, f"{site.base}/polls/{site.poll.id}/vote")
    check(page, "poll-code", tmp_path)

    focus_order(page, "veld-code")
    code = site.codes[0]
    typo = ("2" if code[0] != "2" else "3") + code[1:]
    page.keyboard.type(typo)
    press_and_wait(page, "Enter")
    assert "Er zit een tikfout in de code" in page.content()
    check(page, "poll-code-typo", tmp_path, status=422)

    page.fill("#veld-code", "")
    page.focus("#veld-code")
    page.keyboard.type(code.lower())
    press_and_wait(page, "Enter")
    check(page, "poll-ballot", tmp_path)
    assert focus_order(page, "keuze-1")[-1] == "keuze-1"
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Space")
    assert page.is_checked("#keuze-1") and page.is_checked("#keuze-3")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.type") == "submit"
    press_and_wait(page, "Enter")
    assert "Uw stem is ontvangen" in page.content()
    check(page, "poll-receipt", tmp_path)


def test_poll_results_and_trackers(site: Site, page: Any, tmp_path: Path) -> None:
    visit(page, f"{site.base}/polls/{site.ended.id}/result")
    assert page.locator("svg[role=img]").count() == 1
    check(page, "poll-result", tmp_path)
    visit(page, f"{site.base}/polls/{site.ended.id}/ballots?tracker={site.tracker}")
    assert "Uw stem is gevonden" in page.content()
    check(page, "poll-tracker", tmp_path)
    visit(page, f"{site.base}/polls/{site.ended.id}/ballots?tracker=onbekend", status=404)
    check(page, "poll-tracker-unknown", tmp_path, status=404)


def test_dossier_and_reaction_by_keyboard(site: Site, page: Any, tmp_path: Path) -> None:
    url = f"{site.base}/dossiers/{site.dossier.id}"
    visit(page, url)
    check(page, "dossier", tmp_path)
    focus_order(page, "veld-name")
    page.keyboard.type("Els de Boer")
    page.keyboard.press("Tab")
    page.keyboard.type("els@example.nl")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "veld-text"
    page.keyboard.press("Tab")
    press_and_wait(page, "Enter")
    assert "Schrijf uw reactie in het tekstvak." in page.content()
    check(page, "dossier-react-errors", tmp_path, status=422)
    page.focus("#veld-text")
    page.keyboard.type("Graag een losloopgebied bij de Ecozone.")
    page.keyboard.press("Tab")
    press_and_wait(page, "Enter")
    assert "Uw reactie heeft nummer 1" in page.content()
    check(page, "dossier-received", tmp_path)
    visit(page, f"{site.base}/widget/areas/paddepoel")
    check(page, "widget-area", tmp_path)
    visit(page, f"{site.base}/dossiers/{site.dossier.id}/result")
    check(page, "dossier-result-pending", tmp_path)


def test_the_audit_finds_violations_when_there_are_some(page: Any) -> None:
    # Guards the harness itself: a page with known faults must not pass.
    page.set_content('<html><head><title>x</title></head><body><img src="a.png"></body></html>')
    ids = {v["id"] for v in audit(page)}
    assert {"html-has-lang", "image-alt"} <= ids


@pytest.mark.parametrize("rule", ["borda", "cumulative", "plurality"])
def test_ballot_of_every_kind(site: Site, page: Any, tmp_path: Path, rule: str) -> None:
    poll, codes = open_code_poll(
        site.p, title=f"Stemming ({rule})", rule=rule, seats=1, max_choices=None
    )
    visit(page, f"{site.base}/polls/{poll.id}/vote")
    page.fill("#veld-code", codes[0])
    press_and_wait(page, "Enter")
    check(page, f"poll-ballot-{rule}", tmp_path)
    # Refused once (nothing filled in where a choice is needed, or too much), then fixed.
    if rule == "cumulative":
        page.fill("#punten-1", "99")
        press_and_wait(page, "Enter")
        assert "Verdeel hoogstens 10 punten, in hele getallen." in page.content()
        check(page, "poll-ballot-cumulative-error", tmp_path, status=422)
        page.fill("#punten-1", "3")
    elif rule == "borda":
        page.select_option("#plaats-2", "1")
    else:
        page.check("#keuze-2")
    page.focus("form button[type=submit]")
    press_and_wait(page, "Enter")
    assert "Uw stem is ontvangen" in page.content()


def test_privacy_pages(site: Site, page: Any, tmp_path: Path) -> None:
    from participatie.petitions.schemas import SignatureIn

    site.p.petitions.sign(
        site.petition.id,
        SignatureIn(name="Ilse Mulder", email="ilse@example.nl", postcode="9742 AB"),
        ip="198.51.100.20",
    )
    visit(page, f"{site.base}/privacy")
    check(page, "privacy-request", tmp_path)
    page.fill("#veld-email", "ilse@example.nl")
    page.focus("form button[type=submit]")
    press_and_wait(page, "Enter")
    check(page, "privacy-sent", tmp_path)
    mail = site.p.outbox.messages(to="ilse@example.nl")[-1].text_body
    visit(page, f"{site.base}/privacy/{mail.split('/privacy/')[1].split()[0]}")
    assert "Ilse Mulder" in page.content()
    check(page, "privacy-data", tmp_path)


def test_start_a_petition_page(site: Site, page: Any, tmp_path: Path) -> None:
    visit(page, f"{site.base}/petitions/new")
    check(page, "petition-new", tmp_path)
    page.fill("#veld-title", "Kort")
    page.focus("form button[type=submit]")
    press_and_wait(page, "Enter")
    check(page, "petition-new-errors", tmp_path, status=422)


def test_starting_a_petition_confirmed_by_keyboard(site: Site, page: Any, tmp_path: Path) -> None:
    site.p.petitions.create(
        PetitionIn(
            title="Bankjes langs het Reitdiep",
            summary="Meer bankjes.",
            body="Wij vragen om tien bankjes.",
            creator_name="Bert Bos",
            creator_email="bert@example.nl",
        )
    )
    url = f"{site.base}/petitions/creator/{tokens(site.p, 'bert@example.nl')['creator']}"
    visit(page, url)
    check(page, "petition-creator", tmp_path)
    focus_order(page, "BUTTON")
    press_and_wait(page, "Enter")
    assert "Uw petitie is bevestigd" in page.content()
    check(page, "petition-creator-done", tmp_path)
    visit(page, url)
    assert "U heeft deze petitie al bevestigd" in page.content()
    assert page.locator("form button").count() == 0
    check(page, "petition-creator-already", tmp_path)
