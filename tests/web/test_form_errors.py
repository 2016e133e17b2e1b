"""Every resident form, on a phone, in Chromium: after a refused post the page title starts
with "Fout:", the error summary has the focus and is in view, and it lists every field
that is wrong at once (one round, not one problem per round). English likewise."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tests.web.browser import audit, describe, focused_after_autofocus
from tests.web.test_accessibility import Site
from tests.web.test_accessibility import site as site

PHONE = {"width": 360, "height": 740}


@dataclass
class Form:
    path: Callable[[Site], str]
    fill: dict[str, str]
    wrong: set[str]
    status: int = 422


FORMS = {
    "petition_sign": Form(
        lambda s: f"/petitions/{s.petition.id}",
        {"name": "", "email": "anna@@example", "postcode": "12345"},
        {"name", "email", "postcode"},
    ),
    "petition_new": Form(
        lambda s: "/petitions/new",
        {
            "title": "",
            "summary": "",
            "body": "",
            "creator_name": "",
            "creator_email": "geen-adres",
        },
        {"title", "summary", "body", "creator_name", "creator_email"},
    ),
    "dossier_react": Form(
        lambda s: f"/dossiers/{s.dossier.id}/react",
        {"name": "", "email": "anna@", "text": ""},
        {"name", "email", "text"},
    ),
    "subscribe": Form(
        lambda s: "/subscriptions",
        {"email": "anna@"},
        {"email", "areas"},
    ),
    "privacy_request": Form(lambda s: "/privacy", {"email": "geen-adres"}, {"email"}),
    "poll_code": Form(
        lambda s: f"/polls/{s.poll.id}/vote",
        {"code": "XXXX-XXXX"},
        {"code"},
    ),
    "poll_tracker": Form(
        lambda s: f"/polls/{s.ended.id}/ballots",
        {"tracker": "zzzz-zzzz"},
        {"tracker"},
        status=404,
    ),
}


def _submit(page: Any, site: Site, form: Form, lang: str) -> Any:
    page.set_viewport_size(PHONE)
    page.goto(f"{site.base}{form.path(site)}?lang={lang}")
    for name, value in form.fill.items():
        page.fill(f"#veld-{name}", value)
    first = next(iter(form.fill))
    own = page.locator(f"#veld-{first}").locator("xpath=ancestor::form")
    with page.expect_navigation(wait_until="load") as info:
        own.locator("button[type=submit]").last.click()
    return info.value


@pytest.mark.parametrize("lang", ["nl", "en"])
@pytest.mark.parametrize("name", sorted(FORMS))
def test_a_refused_form_shows_every_error_at_once_in_view(
    site: Site,
    page: Any,
    name: str,
    lang: str,
) -> None:
    form = FORMS[name]
    response = _submit(page, site, form, lang)
    assert response.status == form.status
    prefix = {"nl": "Fout:", "en": "Error:"}[lang]
    assert page.title().startswith(prefix), page.title()
    focused = focused_after_autofocus(page, "foutmeldingen")
    assert focused == "foutmeldingen", f"{name}: focus on {focused!r}"
    top = page.evaluate("document.getElementById('foutmeldingen').getBoundingClientRect().top")
    assert 0 <= top < PHONE["height"], f"{name}: the summary is {top}px down"
    linked = set(
        page.eval_on_selector_all(
            "#foutmeldingen a[href^='#veld-']",
            "links => links.map(a => a.getAttribute('href').slice(6))",
        )
    )
    assert linked == form.wrong, f"{name}: summary lists {sorted(linked)}"
    for field in form.wrong - {"areas"}:
        assert page.get_attribute(f"#veld-{field}", "aria-invalid") == "true", field
    violations = audit(page)
    assert violations == [], f"{name}:\n{describe(violations)}"
    page.console_errors.clear()
