"""The petition desk's jobs end to end in Debian's Chromium, each page audited by axe-core
at 1280 and 360 px: moderate, invalidate with a preview, hand over (with the downloads),
answer, allow/block rules and a privacy request. SQLite: these judge the pages; the
authorisation tests run on every database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from participatie.engine import Participatie
from participatie.petitions.schemas import PetitionIn, SignatureIn
from participatie.testing import make_participatie
from tests.backoffice.pages import Site, check, served, sign_in, submit, visit
from tests.web.helpers import open_petition, seed_areas, tokens


@pytest.fixture
def site(tmp_path: Path, browser: Any) -> Iterator[Site]:
    p = make_participatie(f"sqlite:///{tmp_path / 'desk.db'}")
    p.create_all()
    seed_areas(p)
    try:
        with served(p) as site:
            yield site
    finally:
        p.dispose()


def signed(p: Participatie, petition_id: Any, email: str, *, answer: bool = False) -> None:
    p.petitions.sign(
        petition_id,
        SignatureIn(
            name=email.split("@")[0], email=email, postcode="9742 AB", notify_answer=answer
        ),
        ip="192.0.2.7",
    )
    p.petitions.confirm(tokens(p, email)["confirm"])


def submitted(p: Participatie, title: str, email: str) -> Any:
    petition = p.petitions.create(
        PetitionIn(
            title=title,
            summary="Zet meer bankjes neer.",
            body="Wij willen meer bankjes.",
            creator_name="Chris Smit",
            creator_email=email,
        )
    )
    p.petitions.confirm_creator(tokens(p, email)["creator"])
    return petition


def test_moderate(site: Site, page: Any) -> None:
    p = site.p
    petition = submitted(p, "Meer bankjes in het Noorderplantsoen", "chris@example.nl")
    good = submitted(p, "Een watertappunt in het park", "dana@example.nl")
    sign_in(page, site, "griffie")
    visit(page, site.base + "/beheer/")
    check(page, "todo", shot="backoffice-todo")
    assert "Wacht op goedkeuring" in page.content()
    with page.expect_navigation():
        page.click(f"text={petition.title}")
    check(page, "petition-submitted")
    page.select_option("#af-reason", "duplicate")
    page.fill("#af-note", "Er loopt al een petitie over bankjes.")
    submit(page, "button:text-is('Bekijk eerst de e-mail')")
    check(page, "reject-preview", shot="backoffice-reject-preview")
    mail = page.inner_text(".participatie-bo-mail")
    assert "Er is al een petitie over hetzelfde onderwerp" in mail
    assert "Er loopt al een petitie over bankjes." in mail
    assert p.petitions.get(petition.id).status == "submitted", "a preview changes nothing"
    submit(page, "button:text-is('Afwijzen en e-mail versturen')")
    assert "De petitie is afgewezen" in page.content()
    check(page, "petition-rejected")
    assert p.petitions.get(petition.id).status == "rejected"
    events = p.audit.events(subject_type="petition", subject_id=petition.id)
    assert events[-1].action == "petition.rejected" and events[-1].actor == "griffie"

    visit(page, f"{site.base}/beheer/petities")
    check(page, "petitions")
    with page.expect_navigation():
        page.click(f"text={good.title}")
    page.click("text=Deze e-mail krijgt de indiener bij goedkeuring")
    assert "Uw petitie staat online" in page.inner_text("main")
    page.fill("#goed-closes_at", "2026-05-01")
    page.fill("#goed-thresholds", "100 250")
    submit(page, "button:text-is('Goedkeuren')")
    assert "De petitie is goedgekeurd en open" in page.content()
    check(page, "petition-approved")
    approved = p.petitions.get(good.id)
    assert approved.status == "open" and approved.thresholds == [100, 250]
    assert approved.closes_at is not None
    assert approved.closes_at.astimezone(p.settings.zone).date().isoformat() == "2026-05-01"


def test_invalidate_with_preview(site: Site, page: Any) -> None:
    p = site.p
    petition = open_petition(p)
    for n in range(3):
        signed(p, petition.id, f"bot{n}@spam.example")
    signed(p, petition.id, "echt@example.nl")
    sign_in(page, site, "griffie")
    visit(page, f"{site.base}/beheer/petities/{petition.id}")
    check(page, "petition-open")
    page.fill("#crit-domain", "spam.example")
    submit(page, "button:text-is('Tel hoeveel handtekeningen het zijn')")
    check(page, "invalidate-preview", shot="backoffice-invalidate-preview")
    assert "3 handtekeningen" in page.inner_text("#preview-count")

    # Meanwhile another one comes in: the confirmation of "3" is refused, the new count shown.
    signed(p, petition.id, "bot9@spam.example")
    page.fill("#ongeldig-reason", "Eén afzender, veel adressen")
    submit(page, "button:text-is('Ja, verklaar deze 3 ongeldig')")
    assert "4 handtekeningen" in page.inner_text("#preview-count")
    assert page.locator("[role=alert]").count() == 1
    check(page, "invalidate-changed")
    assert p.petitions.stats(petition.id).verified == 5

    submit(page, "button:text-is('Ja, verklaar deze 4 ongeldig')")
    assert "4 handtekeningen zijn ongeldig verklaard" in page.content()
    stats = p.petitions.stats(petition.id)
    assert (stats.verified, stats.invalidated) == (1, 4)
    check(page, "invalidated")


def test_hand_over_and_answer(site: Site, page: Any, tmp_path: Path) -> None:
    p = site.p
    petition = open_petition(p)
    signed(p, petition.id, "wil@example.nl", answer=True)
    signed(p, petition.id, "niet@example.nl")
    sign_in(page, site, "griffie")
    visit(page, f"{site.base}/beheer/petities/{petition.id}")
    page.fill("#papier-count", "12")
    page.select_option("#papier-area", "paddepoel")
    submit(page, "button:text-is('Toevoegen')")
    assert "op papier zijn toegevoegd" in page.content()
    page.fill("#aanbied-note", "Raadsvergadering 12 mei")
    submit(page, "button:text('Aanbieden')")
    assert "De petitie is aangeboden" in page.content()
    check(page, "handed-over", shot="backoffice-petition")
    assert p.petitions.get(petition.id).status == "handed_over"

    for link, suffix in (
        ("Lijst met handtekeningen", ".csv"),
        ("Document voor de aanbieding, als webpagina (download, HTML)", ".html"),
        ("Document voor de aanbieding (download, PDF)", ".pdf"),
    ):
        with page.expect_download() as info:
            page.click(f"text={link}")
        target = tmp_path / f"download{suffix}"
        info.value.save_as(target)
        data = target.read_bytes()
        assert len(data) > 100
        if suffix == ".csv":
            assert data.startswith(b"\xef\xbb\xbf") and b"wil" in data
            digest = __import__("hashlib").sha256(data).hexdigest()
        elif suffix == ".html":
            assert digest.encode() in data, "the document names the list's SHA-256"
        else:
            assert data.startswith(b"%PDF")

    page.fill("#antwoord-text", "De raad plaatst het scherm.")
    page.fill("#antwoord-decision_url", "https://gemeente.example.nl/besluiten/17")
    submit(page, "button:text-is('Bekijk eerst de e-mail')")
    check(page, "answer-preview")
    assert "De raad plaatst het scherm." in page.inner_text(".participatie-bo-mail")
    assert p.petitions.get(petition.id).status == "handed_over"
    # A link the service refuses: the answer stays, said in words next to the preview.
    page.click("text=Antwoord aanpassen")
    page.fill("#antwoord-decision_url", "ftp://gemeente.example.nl/besluit")
    submit(page, "button:text-is('Bekijk eerst de e-mail')")
    submit(page, "button:text-is('Antwoord vastleggen en versturen')")
    assert page.locator("[role=alert]").count() == 1
    assert page.input_value("#antwoord-text") == "De raad plaatst het scherm."
    check(page, "answer-refused", status=422)
    page.fill("#antwoord-decision_url", "https://gemeente.example.nl/besluiten/17")
    submit(page, "button:text-is('Bekijk eerst de e-mail')")
    submit(page, "button:text-is('Antwoord vastleggen en versturen')")
    assert "1 ondertekenaar krijgt het" in page.content()
    check(page, "answered")
    assert p.outbox.messages(to="wil@example.nl", template="petitions_answer")
    assert not p.outbox.messages(to="niet@example.nl", template="petitions_answer")
    # Sent once: the form is gone, and the service would refuse a second answer.
    assert page.locator("#antwoord-text").count() == 0


def test_rules_and_privacy(site: Site, page: Any) -> None:
    p = site.p
    petition = open_petition(p)
    signed(p, petition.id, "vraag@example.nl")
    sign_in(page, site, "griffie")
    visit(page, f"{site.base}/beheer/regels")
    check(page, "rules-empty")
    page.select_option("#regel-kind", "block_domain")
    page.fill("#regel-value", "wegwerp.example")
    submit(page, "button:text-is('Toevoegen')")
    check(page, "rules-added")
    assert [r.value for r in p.petitions.rules()] == ["wegwerp.example"]
    submit(page, "button:text-is('Verwijderen')")
    assert p.petitions.rules() == []

    from participatie.reactions.schemas import ReactionIn, SubmitterIn
    from tests.reactions.conftest import new_dossier

    dossier = new_dossier(p)
    p.reactions.submit(
        dossier,
        ReactionIn(
            text="Graag een losloopweide.",
            submitters=[
                SubmitterIn(name="Vera Vraag", email="vraag@example.nl", phone="0501234567")
            ],
        ),
    )
    visit(page, f"{site.base}/beheer/privacy")
    check(page, "privacy-empty")
    page.fill("#privacy-email", "vraag@example.nl")
    submit(page, "button:text-is('Zoeken')")
    check(page, "privacy-found")
    assert "9742" in page.content()
    assert "Hondenbeleid" in page.content() and "0501234567" in page.content()
    with page.expect_download() as info:
        page.click("text=Downloaden (JSON)")
    assert b"vraag@example.nl" in Path(info.value.path()).read_bytes()
    page.check("#privacy-confirm")
    submit(page, "button:text('Wissen')")
    check(page, "privacy-erased")
    assert p.privacy.personal_data("vraag@example.nl").empty
    assert p.petitions.stats(petition.id).verified == 1, "the signature keeps counting"
    assert len(list(p.reactions.reactions(dossier))) == 1, "the reaction stays in the file"


def test_error_page_and_english(site: Site, page: Any) -> None:
    sign_in(page, site, "griffie")
    visit(page, f"{site.base}/beheer/stemmingen", status=403)
    check(page, "forbidden", status=403)
    visit(page, f"{site.base}/beheer/bestaat-niet", status=404)
    check(page, "not-found", status=404)
    visit(page, f"{site.base}/beheer/?lang=en")
    assert page.locator("html").get_attribute("lang") == "en"
    assert "To do" in page.content()
    check(page, "todo-en")
