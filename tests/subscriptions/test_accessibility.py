"""The subscription pages in a real Chromium: zero axe-core violations, errors linked to
their fields, the follow form on the dossier and petition pages. SQLite only: they judge
the HTML; the same routes run on every database in test_web.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from participatie.engine import Participatie
from participatie.links import link_params
from participatie.testing import make_participatie
from participatie.web import create_app
from tests.web.browser import serve
from tests.web.helpers import open_dossier, open_petition, seed_areas
from tests.web.test_accessibility import check, visit


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[Participatie, str]]:
    p = make_participatie(f"sqlite:///{tmp_path / 'a11y.db'}")
    p.create_all()
    try:
        seed_areas(p)
        with serve(create_app(p, frame_ancestors=["https://wijk.example.nl"])) as base:
            yield p, base
    finally:
        p.dispose()


def _link(p: Participatie, to: str, name: str) -> str:
    url = next(m.links[name] for m in reversed(p.outbox.messages(to=to)) if name in m.links)
    return link_params(name, url, p.settings.public_base_url)["token"]


def test_subscription_pages(site: tuple[Participatie, str], page: Any, tmp_path: Path) -> None:
    p, base = site
    visit(page, base + "/subscriptions?area=paddepoel")
    check(page, "subscribe", tmp_path)
    page.fill("#veld-email", "fenna@example.nl")
    page.uncheck("#wijk-paddepoel")
    with page.expect_navigation(wait_until="load"):
        page.click("button[type=submit]")
    check(page, "subscribe-errors", tmp_path, status=422)
    assert page.locator('a[href="#veld-areas"]').count() == 1
    page.check("#wijk-paddepoel")
    with page.expect_navigation(wait_until="load"):
        page.click("main button[type=submit]")
    check(page, "subscribe-sent", tmp_path)
    visit(
        page,
        base + "/subscriptions/confirm/" + _link(p, "fenna@example.nl", "subscription.confirm"),
    )
    check(page, "subscribe-confirm", tmp_path)
    with page.expect_navigation(wait_until="load"):
        page.click("main button[type=submit]")
    check(page, "subscribe-confirmed", tmp_path)
    sub = p.subscriptions.confirmation_page(_link(p, "fenna@example.nl", "subscription.confirm"))
    visit(page, p.subscriptions.manage_link(sub.id).replace(p.settings.public_base_url, base))
    check(page, "subscription-manage", tmp_path)
    for lang in ("nl", "en"):
        visit(page, f"{base}/subscriptions?lang={lang}")
        check(page, f"subscribe-{lang}", tmp_path)


def test_follow_forms(site: tuple[Participatie, str], page: Any, tmp_path: Path) -> None:
    p, base = site
    dossier = open_dossier(p, areas=["paddepoel"])
    petition = open_petition(p)
    visit(page, f"{base}/dossiers/{dossier.id}")
    assert page.locator("#volg-email").count() == 1
    check(page, "dossier-follow", tmp_path)
    visit(page, f"{base}/petitions/{petition.id}")
    assert page.locator("#volg-email").count() == 1
    check(page, "petition-follow", tmp_path)
    visit(page, f"{base}/widget/areas/paddepoel")
    assert page.locator('a[href*="/subscriptions?area=paddepoel"]').count() == 1
