"""Every page of the back office through axe-core in Chromium at 1280 and 360 px: each GET
route of the route table, with data and without, plus the demo sign-in. The staff jobs
(tests/backoffice/test_petition_desk.py, test_poll_desk.py) audit the error and success
states on the way."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from participatie.engine import Participatie
from participatie.petitions.schemas import PetitionIn, SignatureIn
from participatie.polls.schemas import PaperEntry
from participatie.testing import make_participatie
from participatie.web import create_app
from participatie.web.backoffice import route_table
from participatie.web.backoffice.demo import create_demo_backoffice
from tests.backoffice.pages import check, served, sign_in, visit
from tests.web.browser import serve
from tests.web.helpers import open_code_poll, open_dossier, open_petition, seed_areas, tokens

PAGES = [
    spec
    for spec in route_table()
    if spec.methods == ("GET",)
    # The dossier pages, in each of their states: test_dossier_browser.py.
    and spec.subject != "dossier"
    and "{fmt}" not in spec.path
    and not spec.path.endswith((".csv", ".json"))
]


@pytest.fixture
def facade(tmp_path: Path, browser: Any) -> Iterator[Participatie]:
    p = make_participatie(f"sqlite:///{tmp_path / 'a11y.db'}")
    p.create_all()
    seed_areas(p)
    try:
        yield p
    finally:
        p.dispose()


def fill(path: str, values: dict[str, str]) -> str:
    return "/beheer" + re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path)


def with_data(p: Participatie) -> dict[str, str]:
    """A submitted and an open petition with signatures and a rule; a closed poll with a
    difference between two typings."""

    submitted = p.petitions.create(
        PetitionIn(
            title="Een zebrapad bij de school",
            summary="Veilig oversteken.",
            body="Wij vragen een zebrapad.",
            creator_name="Dirk",
            creator_email="dirk@example.nl",
        )
    )
    p.petitions.confirm_creator(tokens(p, "dirk@example.nl")["creator"])
    petition = open_petition(p)
    p.petitions.sign(
        petition.id,
        SignatureIn(name="Eva", email="eva@example.nl", postcode="9742 AB"),
        ip="192.0.2.1",
    )
    p.petitions.confirm(tokens(p, "eva@example.nl")["confirm"])
    p.petitions.add_rule("block_domain", "wegwerp.example", actor="griffie")
    poll, codes = open_code_poll(p, households=3)
    p.polls.enter_paper(poll.id, PaperEntry(sheet="P1", code=codes[0], marks=["1"]), staff="a")
    p.polls.enter_paper(poll.id, PaperEntry(sheet="P1", code=codes[0], marks=["2"]), staff="b")
    p.polls.enter_paper(poll.id, PaperEntry(sheet="P2", code=codes[1], marks=["1"]), staff="a")
    p.polls.close(poll.id, actor="projectleider")
    assert submitted
    return {"petition": str(petition.id), "poll": str(poll.id), "dossier_id": dossier_with_data(p)}


def dossier_with_data(p: Participatie) -> str:
    """A dossier with a late reaction, a theme, points and answers waiting for review."""

    from participatie.reactions.schemas import AnswerIn, PointIn, ReactionIn, SubmitterIn, ThemeIn

    dossier = open_dossier(p)
    p.reactions.create_theme(
        dossier.id, ThemeIn(code="losloop", title="Losloopgebieden"), actor="test"
    )
    person = SubmitterIn(name="Eva", email="eva@example.nl", postcode="9742 AB", house_number="1")
    p.reactions.register(
        dossier.id,
        ReactionIn(
            channel="paper",
            text="Meer losloopgebieden en een bankje.",
            submitters=[person],
            points=[PointIn(text="Meer losloopgebieden", theme="losloop")],
        ),
        actor="secretaris",
    )
    letter = SubmitterIn(name="Bert", postcode="9711 AB", house_number="2")
    p.reactions.register(
        dossier.id,
        ReactionIn(channel="letter", text="Een brief.", submitters=[letter]),
        actor="secretaris",
    )
    answer = p.reactions.draft_answer(
        dossier.id,
        AnswerIn(theme="losloop", outcome="honoured", motivation="Vier nieuwe gebieden."),
        actor="beoordelaar",
    )
    p.reactions.mark_ready(dossier.id, [answer.id], actor="beoordelaar")
    return str(dossier.id)


@pytest.mark.parametrize("data", [False, True], ids=["empty", "with-data"])
def test_every_page_passes_axe(facade: Participatie, page: Any, data: bool) -> None:
    p = facade
    if data:
        values = with_data(p)
    else:
        petition = open_petition(p)
        poll, _ = open_code_poll(p, households=2)
        values = {
            "petition": str(petition.id),
            "poll": str(poll.id),
            "dossier_id": str(open_dossier(p).id),
        }
    with served(p) as site:
        sign_in(page, site, "beheerder")
        for spec in PAGES:
            url = site.base + fill(spec.path, values)
            response = page.goto(url)
            # The tally of a poll still open is an error page (409): audited as well.
            expected = 409 if spec.name == "tally" and not data else 200
            assert response is not None and response.status == expected, url
            check(page, f"{spec.name} ({'data' if data else 'empty'})", status=expected)
        visit(page, site.base + "/beheer/?lang=en")
        check(page, "todo in English")


def test_demo_sign_in_passes_axe(facade: Participatie, page: Any) -> None:
    site = create_app(facade)
    site.mount("/beheer", create_demo_backoffice(facade))
    with serve(site) as base:
        visit(page, base + "/beheer/aanmelden")
        check(page, "demo sign-in")
        with page.expect_navigation():
            page.click("button:has-text('Teamleider')")
        check(page, "demo todo")
