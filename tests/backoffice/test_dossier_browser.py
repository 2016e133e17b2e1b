"""The dossier jobs in Chromium, end to end, with axe-core at 1280 and 360 px on every page
and state on the way: fill and publish a dossier with a 2 MB PDF and a delayed phase (and
the refusals of a renamed program and a too-large file), and extend an answer deadline
with the delay notice."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from participatie.clock import FixedClock
from participatie.reactions.schemas import (
    AnswerIn,
    DocumentIn,
    DossierUpdate,
    PhaseIn,
    PointIn,
    ReactionIn,
    SubmitterIn,
)
from participatie.storage import LocalStore
from participatie.testing import make_participatie
from tests.backoffice.dossier_support import EXE, api_dossier, pdf_bytes
from tests.backoffice.pages import Site, check, served, sign_in, visit
from tests.web.helpers import seed_areas


@pytest.fixture
def site(tmp_path: Path, browser: Any) -> Iterator[Site]:
    p = make_participatie(f"sqlite:///{tmp_path / 'dossier.db'}")
    p.create_all()
    seed_areas(p)
    p.document_store = LocalStore(tmp_path / "documenten")
    try:
        with served(p) as site:
            yield site
    finally:
        p.dispose()


def button_of(page: Any, field: str) -> Any:
    """The submit button of the form that holds the field with this id."""

    return page.locator("form", has=page.locator(f"#{field}")).locator("button[type=submit]")


def click(page: Any, locator: Any) -> None:
    with page.expect_navigation(wait_until="load"):
        locator.click()


def test_dossier_fill_and_publish_with_a_pdf_and_a_delayed_phase(
    site: Site, page: Any, tmp_path: Path
) -> None:
    p = site.p
    sign_in(page, site, "beheerder")
    visit(page, site.base + "/beheer/dossiers")
    check(page, "dossier list (empty)")
    click(page, page.get_by_role("link", name="Nieuw dossier"))
    check(page, "new dossier")
    # Nothing filled in: the browser's own check stops it; without it the server refuses.
    page.fill("#nieuw-title", "Herinrichting Noorderplantsoen")
    page.fill("#nieuw-summary", "De gemeente wil paden, licht en speelplekken vernieuwen.")
    page.fill("#nieuw-responsible_official", "J. de Vries (projectleider)")
    page.fill("#nieuw-responsible_email", "geen adres")
    page.evaluate("document.querySelector('form[action$=\"/nieuw\"]').noValidate = true")
    click(page, button_of(page, "nieuw-title"))
    assert "E-mailadres voor reacties" in page.inner_text(".utrecht-alert--error")
    check(page, "new dossier with an error", status=422)
    page.fill("#nieuw-responsible_email", "noorderplantsoen@gemeente.example.nl")
    click(page, button_of(page, "nieuw-title"))
    assert "nog niet zichtbaar" in page.inner_text("[role=status]")
    check(page, "editor of a draft")
    dossier = page.url.rsplit("/", 1)[-1].split("?")[0]

    # The template's sections, one form.
    page.fill("#dossier-meeting_reports", "Informatieavond 3 maart: 40 bewoners kwamen.")
    page.check("#wijk-centrum")
    page.check("#ook-paddepoel")
    page.fill("#dossier-acknowledgement_days", "5")
    page.select_option("#dossier-acknowledgement_day_count", "working")
    page.fill("#dossier-answer_days", "6")
    page.select_option("#dossier-answer_day_count", "weeks")
    click(page, button_of(page, "dossier-title"))
    assert "opgeslagen" in page.inner_text("[role=status]")
    check(page, "editor saved")

    # A 2 MB PDF from the computer, and a renamed program and a too-large file refused.
    pdf = tmp_path / "Ontwerp inrichtingsplan.pdf"
    pdf.write_bytes(pdf_bytes(2 * 1024 * 1024))
    program = tmp_path / "verslag.pdf"
    program.write_bytes(EXE)
    large = tmp_path / "kaart.pdf"
    large.write_bytes(pdf_bytes(10 * 1024 * 1024 + 10))
    for path, reason in ((program, "programma"), (large, "te groot")):
        page.set_input_files("#upload-file", str(path))
        click(page, button_of(page, "upload-file"))
        alert = page.inner_text(".utrecht-alert--error")
        assert f"{path.name} is niet toegevoegd" in alert and reason in alert
        check(page, f"upload refused: {reason}", status=413 if reason == "te groot" else 422)
    page.set_input_files("#upload-file", str(pdf))
    click(page, button_of(page, "upload-file"))
    assert "toegevoegd" in page.inner_text("[role=status]")
    check(page, "editor with a document")

    # The planning: a delayed phase needs its reason and expected date.
    planned = (p.reactions.today() + timedelta(weeks=8)).isoformat()
    expected = (p.reactions.today() + timedelta(weeks=12)).isoformat()
    page.fill("#fase-nieuw-name", "Nota van beantwoording")
    page.fill("#fase-nieuw-planned_date", planned)
    page.select_option("#fase-nieuw-status", "delayed")
    page.fill("#fase-nieuw-delay_reason", "Er kwamen meer reacties dan verwacht.")
    click(page, button_of(page, "fase-nieuw-name"))
    assert "Nieuwe verwachte datum" in page.inner_text(".utrecht-alert--error")
    check(page, "phase refused", status=422)
    assert page.input_value("#fase-nieuw-delay_reason") == "Er kwamen meer reacties dan verwacht."
    page.fill("#fase-nieuw-expected_date", expected)
    click(page, button_of(page, "fase-nieuw-name"))
    assert "planning is opgeslagen" in page.inner_text("[role=status]")
    check(page, "editor with a delayed phase")

    # The preview is the residents' page; then publish.
    click(page, page.get_by_role("link", name="Bekijk zoals bewoners het zien"))
    text = page.inner_text("main")
    assert "Er kwamen meer reacties dan verwacht." in text and "Nieuwe verwachte datum" in text
    assert "Ontwerp inrichtingsplan" in text and "Informatieavond 3 maart" in text
    check(page, "preview")
    page.go_back()
    assert page.request.get(site.base + f"/dossiers/{dossier}").status == 404
    click(page, page.get_by_role("button", name="Publiceren voor bewoners"))
    assert "gepubliceerd" in page.inner_text("[role=status]")
    check(page, "editor published")
    visit(page, site.base + "/beheer/dossiers")
    check(page, "dossier list with a published dossier")

    # What residents see now, and the PDF they download.
    page.context.clear_cookies()
    visit(page, site.base + f"/dossiers/{dossier}")
    main = page.inner_text("main")
    assert "Er kwamen meer reacties dan verwacht." in main and "Ook van belang voor" in main
    href = page.get_by_role("link", name="Ontwerp inrichtingsplan").get_attribute("href")
    assert href is not None
    download = page.request.get(site.base + href)
    assert download.status == 200 and download.body() == pdf.read_bytes()
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.headers["content-disposition"].startswith("attachment;")
    found = p.reactions.get_dossier(uuid.UUID(dossier))
    assert found.published and found.phases[0].status == "delayed"
    assert (found.acknowledgement_day_count, found.answer_day_count) == ("working", "weeks")


def test_dossier_extend_a_deadline_with_the_delay_notice(site: Site, page: Any) -> None:
    p = site.p
    dossier = api_dossier(p)
    for n in range(4):
        p.reactions.register(
            uuid.UUID(dossier),
            ReactionIn(
                channel="letter",
                text=f"Brief {n}",
                submitters=[SubmitterIn(name=f"Bewoner {n}", email=f"b{n}@example.nl")],
            ),
            actor="balie",
        )
    assert isinstance(p.clock, FixedClock)
    p.clock.advance(timedelta(weeks=6, days=25))
    sign_in(page, site, "beheerder")
    visit(page, site.base + "/beheer/")
    check(page, "todo with overdue dossier")
    click(page, page.get_by_role("link", name="Hondenbeleid").first)
    assert "Niveau 3" in page.inner_text("main")
    check(page, "deadlines of a dossier, overdue")
    visit(page, site.base + "/beheer/termijnen")
    check(page, "deadlines of all dossiers")
    page.go_back()
    # A date that is not in the future is refused, naming the field.
    page.fill("#verleng-new_due", p.reactions.today().isoformat())
    page.fill("#verleng-reason", "Drukte")
    click(page, button_of(page, "verleng-reason"))
    assert "Nieuwe uiterste datum" in page.inner_text(".utrecht-alert--error")
    check(page, "extension refused", status=422)
    new_due = (p.reactions.today() + timedelta(days=14)).isoformat()
    page.fill("#verleng-new_due", new_due)
    page.fill("#verleng-reason", "Er kwamen veel meer reacties dan verwacht.")
    click(page, button_of(page, "verleng-reason"))
    assert "voor 4 reacties" in page.inner_text("main")
    assert "komt later" in page.inner_text("main")
    check(page, "extension preview")
    assert p.outbox.messages(template="reactions_delay") == []
    # Confirming a count that no longer holds shows the preview again and sends nothing.
    page.evaluate("document.querySelector('input[name=expected]').value = '3'")
    click(page, page.get_by_role("button", name="Verlengen en 4 reacties bericht sturen"))
    assert "veranderd" in page.inner_text(".utrecht-alert--error")
    check(page, "extension preview, count changed")
    assert p.outbox.messages(template="reactions_delay") == []
    click(page, page.get_by_role("button", name="Verlengen en 4 reacties bericht sturen"))
    assert "verlengd" in page.inner_text("[role=status]")
    check(page, "deadlines after the extension")
    assert len(p.outbox.messages(template="reactions_delay")) == 4


def test_dossier_pages_without_dossiers_pass_axe(site: Site, page: Any) -> None:
    sign_in(page, site, "beheerder")
    for path in ("/beheer/termijnen", "/beheer/dossiers?lang=en", "/beheer/dossiers/nieuw"):
        visit(page, site.base + path)
        check(page, path)


def test_dossier_pages_in_their_other_states_pass_axe(site: Site, page: Any) -> None:
    """Read-only for a user without dossiers.edit, English, the reaction form off, a
    decided dossier, and a stored and a linked document side by side."""

    p = site.p
    dossier = uuid.UUID(api_dossier(p, also_areas=["paddepoel"], meeting_reports="Verslag."))
    p.reactions.upload_document(
        dossier, title="Plan", filename="plan.pdf", data=pdf_bytes(4000), actor="test"
    )
    p.reactions.add_document(
        dossier,
        DocumentIn(
            title="Raadsvoorstel",
            url="https://raad.example.nl/42.pdf",
            published_on=p.reactions.today(),
        ),
        actor="test",
    )
    p.reactions.set_phase(
        dossier,
        PhaseIn(
            name="Besluit",
            planned_date=p.reactions.today() + timedelta(weeks=8),
            status="delayed",
            delay_reason="Meer reacties",
            expected_date=p.reactions.today() + timedelta(weeks=12),
        ),
        actor="test",
    )
    p.reactions.update_dossier(dossier, DossierUpdate(reaction_form=False), actor="test")
    site.host.actions["beoordelaar"] = frozenset({"dossiers.assess"})
    sign_in(page, site, "beoordelaar")
    visit(page, site.base + f"/beheer/dossiers/{dossier}")
    assert page.locator("#dossier-title").count() == 0, "read-only without dossiers.edit"
    check(page, "editor read-only")
    visit(page, site.base + f"/beheer/dossiers/{dossier}/termijnen")
    check(page, "deadlines read-only")
    sign_in(page, site, "beheerder")
    visit(page, site.base + f"/beheer/dossiers/{dossier}?lang=en")
    check(page, "editor in English")
    visit(page, site.base + f"/beheer/dossiers/{dossier}/voorbeeld?lang=nl")
    assert "niet via de website reageren" in page.inner_text("main")
    check(page, "preview with the reaction form off")
    p.reactions.record_decision(dossier, summary="Het college besloot.", actor="test")
    visit(page, site.base + f"/beheer/dossiers/{dossier}")
    check(page, "editor of a decided dossier")
    visit(page, site.base + "/beheer/dossiers")
    check(page, "list with a decided dossier")
    page.context.clear_cookies()
    visit(page, site.base + f"/dossiers/{dossier}")
    check(page, "resident page of a decided dossier")


def test_dossier_refused_forms_pass_axe(site: Site, page: Any) -> None:
    """The error states of the intake (three wrong fields at once), the editor (two) and
    the review (no answer chosen), audited as every page is; the focus is on the first
    wrong field and the summary links to each."""

    p = site.p
    dossier = api_dossier(p)
    p.reactions.register(
        uuid.UUID(dossier),
        ReactionIn(channel="paper", text="Meer bankjes.", submitters=[SubmitterIn(name="An")]),
        actor="balie",
    )
    sign_in(page, site, "beheerder")
    visit(page, site.base + f"/beheer/dossiers/{dossier}/intake")
    page.fill("#reactie-received_on", "31-02-2026")
    page.fill("#reactie-text", "Honden moeten aan de lijn.")
    page.fill("#reactie-house_number", "3")
    page.fill("#reactie-postcode", "97")
    page.fill("#reactie-email", "kees@")
    click(page, button_of(page, "reactie-text"))
    links = page.locator(".utrecht-alert--error a")
    assert links.count() == 3
    assert [links.nth(i).get_attribute("href") for i in range(3)] == [
        "#reactie-received_on",
        "#reactie-postcode",
        "#reactie-email",
    ]
    assert page.evaluate("document.activeElement.id") == "reactie-received_on"
    assert page.input_value("#reactie-text") == "Honden moeten aan de lijn."
    check(page, "intake refused with three fields", status=422)

    visit(page, site.base + f"/beheer/dossiers/{dossier}")
    page.fill("#dossier-title", "")
    page.fill("#dossier-responsible_email", "geen adres")
    page.evaluate("document.querySelector('#dossier-title').form.noValidate = true")
    click(page, button_of(page, "dossier-title"))
    assert page.locator(".utrecht-alert--error a").count() == 2
    assert page.get_attribute("#dossier-responsible_email", "aria-invalid") == "true"
    assert page.input_value("#dossier-responsible_email") == "geen adres"
    check(page, "editor refused with two fields", status=422)

    p.reactions.add_point(
        p.reactions.reaction_by_number(uuid.UUID(dossier), 1).id,
        PointIn(text="Bankjes", theme=None),
        actor="test",
    )
    [point] = p.reactions.points(uuid.UUID(dossier))
    answer = p.reactions.draft_answer(
        uuid.UUID(dossier),
        AnswerIn(point_id=point.id, outcome="noted", motivation="Genoteerd."),
        actor="schrijver",
    )
    p.reactions.mark_ready(uuid.UUID(dossier), [answer.id], actor="schrijver")
    visit(page, site.base + f"/beheer/dossiers/{dossier}/controleren")
    click(page, page.get_by_role("button", name="Gekozen antwoorden goedkeuren"))
    assert page.get_attribute(f"#controle-{answer.id}", "aria-invalid") == "true"
    check(page, "review refused without a choice", status=422)
