"""After a form with errors, on a phone: the error summary has focus (so it is in view and
a screen reader reads it) and the page title starts with "Fout:" ("Error:" in English)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from participatie.engine import Participatie
from participatie.testing import make_participatie
from participatie.web import create_app
from tests.web.browser import focused_after_autofocus, serve
from tests.web.helpers import open_dossier, open_petition, seed_areas


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[Participatie, str]]:
    p = make_participatie(f"sqlite:///{tmp_path / 'focus.db'}")
    p.create_all()
    try:
        seed_areas(p)
        with serve(create_app(p)) as base:
            yield p, base
    finally:
        p.dispose()


def summary_in_view(page: Any) -> None:
    assert focused_after_autofocus(page, "foutmeldingen") == "foutmeldingen"
    top = page.evaluate("document.getElementById('foutmeldingen').getBoundingClientRect().top")
    assert 0 <= top < 640, top


@pytest.mark.parametrize(("lang", "prefix"), [("nl", "Fout: "), ("en", "Error: ")])
def test_petition_form_errors_get_focus_and_the_title(
    site: tuple[Participatie, str], phone: Any, lang: str, prefix: str
) -> None:
    p, base = site
    petition = open_petition(p)
    phone.goto(f"{base}/petitions/{petition.id}?lang={lang}")
    assert not phone.title().startswith(prefix)
    with phone.expect_navigation(wait_until="load"):
        phone.click("form button[type=submit]")
    assert phone.title().startswith(prefix), phone.title()
    summary_in_view(phone)


def test_reaction_form_errors_get_focus(site: tuple[Participatie, str], phone: Any) -> None:
    p, base = site
    dossier = open_dossier(p)
    phone.goto(f"{base}/dossiers/{dossier.id}/react")
    with phone.expect_navigation(wait_until="load"):
        phone.click("form button[type=submit]")
    assert phone.title().startswith("Fout: "), phone.title()
    summary_in_view(phone)
