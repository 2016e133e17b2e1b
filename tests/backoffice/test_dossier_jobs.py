"""A dossier's staff jobs in the back office, one test each, in Debian's Chromium with every
page audited by axe-core at 1280 and 360 px: 20 paper reactions typed with the keyboard
alone, a spreadsheet with bad rows and late reactions, and splitting, theming, answering,
approval by a second person (the writer refused) and publishing. SQLite, as the other
page tests; what a job starts from is made through the Python API.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from participatie.engine import Participatie
from participatie.reactions.schemas import AnswerIn, ReactionIn, SubmitterIn
from participatie.testing import make_participatie
from tests.backoffice.conftest import ALL
from tests.backoffice.pages import Site, check, press_and_wait, served, sign_in, submit, visit
from tests.web.browser import focused_after_autofocus
from tests.web.helpers import open_dossier, seed_areas

REACTIONS = 20


@pytest.fixture
def site(tmp_path: Path, browser: Any) -> Iterator[Site]:
    p = make_participatie(f"sqlite:///{tmp_path / 'dossiers.db'}")
    p.create_all()
    seed_areas(p)
    try:
        with served(p) as site:
            site.host.actions.update(
                {
                    "secretaris": frozenset({"dossiers.intake"}),
                    "beoordelaar-a": frozenset({"dossiers.assess"}),
                    "beoordelaar-b": frozenset({"dossiers.assess", "dossiers.publish"}),
                    "teamleider-dossiers": frozenset(ALL),
                }
            )
            yield site
    finally:
        p.dispose()


def button(page: Any, label: str) -> None:
    submit(page, f"button:text-is('{label}')")


def focused(page: Any) -> str:
    return str(page.evaluate("document.activeElement && document.activeElement.id"))


def test_dossier_intake_of_twenty_paper_reactions_by_keyboard(site: Site, page: Any) -> None:
    p = site.p
    dossier = open_dossier(p)
    sign_in(page, site, "secretaris")
    visit(page, site.base + "/beheer/")
    with page.expect_navigation():
        page.click("text=Invoeren")
    check(page, "dossier-intake-empty")
    assert focused_after_autofocus(page, "reactie-received_on") == "reactie-received_on"
    today = p.reactions.today().strftime("%d-%m-%Y")
    assert page.input_value("#reactie-received_on") == today

    def tab(times: int = 1) -> None:
        for _ in range(times):
            page.keyboard.press("Tab")

    # A refusal keeps every typed value, names the field and puts the focus on it.
    tab(5)
    assert focused(page) == "reactie-text"
    page.keyboard.type("Honden moeten overal aan de lijn.")
    tab(4)
    assert focused(page) == "reactie-postcode"
    page.keyboard.type("97")
    tab(2)
    page.keyboard.type("kees@example.nl")
    press_and_wait(page, "Enter")
    check(page, "dossier-intake-refused", status=422)
    alert = page.locator("[role=alert]").inner_text()
    # Both wrong fields at once: the postcode, and the house number it needs.
    assert "Postcode" in alert and "Huisnummer" in alert
    assert focused_after_autofocus(page, "reactie-house_number") == "reactie-house_number"
    assert page.get_attribute("#reactie-postcode", "aria-invalid") == "true"
    assert page.get_attribute("#reactie-house_number", "aria-invalid") == "true"
    assert page.input_value("#reactie-text") == "Honden moeten overal aan de lijn."
    assert page.input_value("#reactie-email") == "kees@example.nl"
    page.keyboard.type("12")
    tab()
    page.keyboard.press("Control+A")
    page.keyboard.type("9742 AB")
    press_and_wait(page, "Enter")
    assert "Reactie 1 is opgeslagen" in page.locator("[role=status]").first.inner_text()
    check(page, "dossier-intake-saved")

    # Twenty forms from an information market, by keyboard alone: Tab, type, Enter.
    for n in range(2, REACTIONS + 1):
        assert focused_after_autofocus(page, "reactie-received_on") == "reactie-received_on", n
        tab(3)
        page.keyboard.type(f"F{n:03d}")
        tab(2)
        page.keyboard.type(f"Reactie van formulier {n}: meer losloopgebieden.")
        tab()
        page.keyboard.type(f"Inwoner {n}")
        tab()
        page.keyboard.type("Grote Markt")
        tab()
        page.keyboard.type(str(n))
        tab()
        page.keyboard.type("9711 LV")
        tab()
        page.keyboard.type("Groningen")
        if n % 2 == 0:
            tab()
            page.keyboard.type(f"inwoner{n}@example.nl")
        press_and_wait(page, "Enter")
        assert f"Reactie {n} is opgeslagen" in page.content(), n
    reactions = list(p.reactions.reactions(dossier.id))
    assert len(reactions) == REACTIONS
    assert {r.channel for r in reactions} == {"paper"}
    assert reactions[-1].external_ref == f"F{REACTIONS:03d}"
    submitters = p.reactions.submitters(dossier.id)
    assert len(submitters) == REACTIONS
    assert submitters[1].postcode == "9711 LV" and submitters[1].house_number == "2"
    assert sum(1 for s in submitters if s.email) == 11
    # Postal-only submitters get their acknowledgement by letter.
    assert p.reactions.pending_letters(dossier.id)["acknowledgement"] == 9
    events = p.audit.events(subject_type="reactions_dossier", subject_id=dossier.id)
    assert {e.actor for e in events if e.action == "reactions.received"} == {"secretaris"}


def test_dossier_import_with_bad_rows_and_late_reactions(
    site: Site, page: Any, tmp_path: Path
) -> None:
    p = site.p
    today = p.reactions.today()
    # The reaction period ended a week ago: everything typed in now is late.
    dossier = open_dossier(
        p,
        period_start=(today - timedelta(weeks=7)).isoformat(),
        period_end=(today - timedelta(weeks=1)).isoformat(),
    )
    day = today - timedelta(days=1)
    sheet = tmp_path / "informatiemarkt.csv"
    sheet.write_text(
        "nummer;datum;tekst;naam;postcode;huisnummer;e-mail\n"
        f"M1;{day:%d-%m-%Y};Meer groen;Anna;9742 AB;1;anna@example.nl\n"
        f"M2;{day:%d-%m-%Y};;Bert;9742 AB;2;\n"
        f"M3;{day:%d-%m-%Y};Bankjes;Carla;97;3;\n"
        f"M1;{day:%d-%m-%Y};Dubbel;Anna;9742 AB;1;anna@example.nl\n"
        f"M4;{day:%d-%m-%Y};Speeltuin;Dirk;9711 LV;4;\n",
        encoding="utf-8",
    )
    sign_in(page, site, "secretaris")
    visit(page, site.base + f"/beheer/dossiers/{dossier.id}/import")
    check(page, "dossier-import-empty")
    page.set_input_files("#import-file", str(sheet))
    button(page, "Importeren")
    check(page, "dossier-import-report")
    report = page.locator("#verslag").locator("..").inner_text()
    assert "5 rijen gelezen: 2 ingelezen, 3 geweigerd" in report
    rows = page.locator("table tbody tr")
    assert rows.count() == 3
    assert [rows.nth(i).locator("td").first.inner_text() for i in range(3)] == ["3", "4", "5"]
    assert "postcode" in rows.nth(1).inner_text()
    assert "M1" in rows.nth(2).inner_text()
    # A file that is no spreadsheet is refused with a message, nothing is read.
    exe = tmp_path / "reacties.exe"
    exe.write_bytes(b"MZ\x90\x00")
    page.set_input_files("#import-file", str(exe))
    button(page, "Importeren")
    check(page, "dossier-import-refused", status=422)
    assert "CSV- of XLSX-bestand" in page.locator("[role=alert]").inner_text()

    # Both imported reactions are late and wait for a decision on the intake page.
    visit(page, site.base + f"/beheer/dossiers/{dossier.id}/intake")
    assert page.locator("#te-laat ~ form").count() == 2
    check(page, "dossier-intake-late")
    first = page.locator("#te-laat ~ form").first
    first.locator("text=Ja, de reactie telt mee").click()
    first.locator("input[name=reason]").fill("Op de informatiemarkt ingeleverd, op tijd.")
    with page.expect_navigation():
        first.locator("button").click()
    assert "Het besluit over reactie 1 is opgeslagen" in page.content()
    assert page.locator("#te-laat ~ form").count() == 1
    check(page, "dossier-intake-late-decided")
    decided = p.reactions.reaction_by_number(dossier.id, 1)
    assert (decided.late, decided.admissible) == (True, True)


def _reactions(p: Participatie, dossier_id: Any) -> None:
    people = [
        SubmitterIn(name="Anna", email="anna@example.nl", postcode="9742 AB", house_number="1"),
        SubmitterIn(name="Bert", postcode="9711 LV", house_number="2", street="Grote Markt"),
        SubmitterIn(name="Carla", email="carla@example.nl"),
    ]
    texts = [
        "Ik wil meer losloopgebieden in Paddepoel.",
        "Meer hondenveldjes graag. En een bankje bij de vijver.",
        "Eigenaren ruimen de poep niet op.",
    ]
    for person, text in zip(people, texts, strict=True):
        p.reactions.register(
            dossier_id,
            ReactionIn(channel="paper", text=text, submitters=[person]),
            actor="secretaris",
        )


def _add_point(page: Any, text: str, theme: str) -> None:
    page.fill("#punt-text", text)
    page.select_option("#punt-theme", theme)
    button(page, "Punt toevoegen")


def test_dossier_split_theme_answer_approve_and_publish(site: Site, page: Any) -> None:
    p = site.p
    dossier = open_dossier(p)
    _reactions(p, dossier.id)
    base = site.base + f"/beheer/dossiers/{dossier.id}"
    sign_in(page, site, "beoordelaar-a")
    visit(page, base + "/beoordelen")
    check(page, "dossier-assess-overview")
    assert "Nog niet in punten verdeeld: 3" in page.content()

    visit(page, base + "/themas")
    check(page, "dossier-themes-empty")
    for code, title in (
        ("losloop", "Losloop"),
        ("veldjes", "Hondenveldjes"),
        ("opruim", "Opruimen"),
    ):
        page.fill("#thema-code", code)
        page.fill("#thema-title", title)
        button(page, "Onderwerp maken")
    # A theme code twice is refused, with what was typed kept.
    page.fill("#thema-code", "opruim")
    page.fill("#thema-title", "Nog eens")
    button(page, "Onderwerp maken")
    check(page, "dossier-themes-refused", status=422)
    assert page.input_value("#thema-title") == "Nog eens"

    # The reaction's text beside the points split off from it.
    visit(page, base + "/reactie")
    check(page, "dossier-reaction-unsplit")
    assert "losloopgebieden in Paddepoel" in page.locator("#reactietekst").inner_text()
    _add_point(page, "Meer losloopgebieden", "losloop")
    assert "Het punt is toegevoegd." in page.content()
    with page.expect_navigation():
        page.click("text=Volgende: reactie 2")
    _add_point(page, "Meer hondenveldjes", "veldjes")
    _add_point(page, "Een bankje bij de vijver", "")
    check(page, "dossier-reaction-split")
    with page.expect_navigation():
        page.click("text=Volgende: reactie 3")
    _add_point(page, "Poep wordt niet opgeruimd", "veldjes")
    # Moved to the theme it belongs in.
    page.select_option("#punt-1-theme", "opruim")
    button(page, "Punt 1 naar dit onderwerp")
    assert [
        pt.theme
        for pt in p.reactions.points(
            dossier.id, reaction_id=p.reactions.reaction_by_number(dossier.id, 3).id
        )
    ] == ["opruim"]

    # Rename one theme, merge two.
    visit(page, base + "/themas")
    page.select_option("#hernoem-theme", "losloop")
    page.fill("#hernoem-title", "Losloopgebieden in de wijk")
    button(page, "Naam opslaan")
    page.select_option("#samen-source", "veldjes")
    page.select_option("#samen-into", "losloop")
    button(page, "Samenvoegen")
    assert "De onderwerpen zijn samengevoegd (2 punten verplaatst)" in page.content()
    check(page, "dossier-themes")
    assert [(t.code, t.title, t.points) for t in p.reactions.themes(dossier.id)] == [
        ("losloop", "Losloopgebieden in de wijk", 2),
        ("opruim", "Opruimen", 1),
    ]

    # Answers: one from a template, one by hand, one to a point of its own.
    visit(page, base + "/antwoorden")
    check(page, "dossier-answers-empty")
    page.fill("#sjabloon-name", "ja")
    page.fill("#sjabloon-text", "Wij nemen {thema} over, want {reden}.")
    button(page, "Sjabloon opslaan")
    with page.expect_navigation():
        page.click("text=Antwoord schrijven bij 'Losloopgebieden in de wijk'")
    page.select_option("#antwoord-template", "ja")
    page.fill("#antwoord-template_values", "reden = er is ruimte in Paddepoel")
    button(page, "Tekst uit sjabloon invullen")
    assert page.input_value("#antwoord-motivation") == (
        "Wij nemen Losloopgebieden in de wijk over, want er is ruimte in Paddepoel."
    )
    page.select_option("#antwoord-outcome", "honoured")
    page.check("#antwoord-changes_plan")
    button(page, "Antwoord opslaan")
    check(page, "dossier-answer-saved")
    visit(page, base + "/antwoord?thema=opruim")
    page.select_option("#antwoord-outcome", "noted")
    page.fill("#antwoord-motivation", "Wij letten er beter op.")
    button(page, "Antwoord opslaan")
    point = next(pt for pt in p.reactions.points(dossier.id) if pt.theme is None)
    visit(page, base + f"/antwoord?punt={point.id}")
    page.select_option("#antwoord-outcome", "out_of_scope")
    page.fill("#antwoord-motivation", "Bankjes horen niet bij dit plan.")
    button(page, "Antwoord opslaan")

    # A crossed edit: someone saves between reading and saving; both versions are shown.
    visit(page, base + "/antwoord?thema=opruim")
    opruim = next(a for a in p.reactions.answers(dossier.id) if a.theme == "opruim")
    p.reactions.update_answer(
        opruim.id,
        AnswerIn(theme="opruim", outcome="noted", motivation="Handhavers gaan vaker kijken."),
        expected_version=1,
        actor="beoordelaar-b",
    )
    page.fill("#antwoord-motivation", "Wij plaatsen meer afvalbakken.")
    button(page, "Antwoord opslaan")
    check(page, "dossier-answer-stale", status=409)
    assert "Handhavers gaan vaker kijken." in page.locator("#versie-opgeslagen").inner_text()
    assert "Wij plaatsen meer afvalbakken." in page.locator("#versie-van-mij").inner_text()
    button(page, "Mijn versie opslaan")
    kept = p.reactions.get_answer(opruim.id)
    assert (kept.motivation, kept.version) == ("Wij plaatsen meer afvalbakken.", 3)

    # Ready for review, then the writer may not approve their own answers.
    visit(page, base + "/antwoorden")
    check(page, "dossier-answers")
    for box in page.locator("input[name=answer]").all():
        box.check()
    button(page, "Gekozen antwoorden klaarzetten voor controle")
    assert "3 antwoorden staan klaar voor controle" in page.content()
    visit(page, base + "/controleren")
    check(page, "dossier-review-own")
    for box in page.locator("input[name=answer]").all():
        box.check()
    button(page, "Gekozen antwoorden goedkeuren")
    # Refused on the same page: the choice is named and stays ticked.
    check(page, "dossier-review-refused", status=422)
    assert all(box.is_checked() for box in page.locator("input[name=answer]").all())
    assert "Een ander dan de schrijver" in page.locator("[role=alert]").inner_text()
    assert {a.status for a in p.reactions.answers(dossier.id)} == {"ready"}
    visit(page, base + "/publiceren", status=403)
    check(page, "dossier-publish-forbidden", status=403)

    # The second person approves and publishes, after the preview of every notice.
    sign_in(page, site, "beoordelaar-b")
    visit(page, base + "/controleren")
    for box in page.locator("input[name=answer]").all():
        box.check()
    button(page, "Gekozen antwoorden goedkeuren")
    assert "3 antwoorden goedgekeurd" in page.content()
    check(page, "dossier-review-approved")
    visit(page, base + "/publiceren")
    check(page, "dossier-publish-preview")
    counts = page.locator("#telling-lijst").inner_text()
    assert "E-mails: 2" in counts and "Brieven om te printen: 1" in counts
    notices = page.locator("details")
    assert notices.count() == 3
    notices.nth(1).locator("summary").click()
    assert "Bankjes horen niet bij dit plan." in notices.nth(1).inner_text()
    button(page, "3 antwoorden publiceren en 3 berichten versturen")
    assert "De antwoorden zijn gepubliceerd (3)" in page.content()
    check(page, "dossier-outputs-published")
    assert {a.status for a in p.reactions.answers(dossier.id)} == {"published"}
    mails = [m for m in p.outbox.messages(to="anna@example.nl") if "ruimte in" in m.text_body]
    assert len(mails) == 1
    events = p.audit.events(subject_type="reactions_dossier", subject_id=dossier.id)
    approved = [e for e in events if e.action == "reactions.answers_approved"]
    assert [e.actor for e in approved] == ["beoordelaar-b"]


def test_dossier_download_nota_letters_and_archive(site: Site, page: Any) -> None:
    p = site.p
    dossier = open_dossier(p)
    _reactions(p, dossier.id)
    for number in (1, 2, 3):
        p.reactions.add_point(
            p.reactions.reaction_by_number(dossier.id, number).id,
            _point(number),
            actor="beoordelaar-a",
        )
    for point in p.reactions.points(dossier.id):
        answer = p.reactions.draft_answer(
            dossier.id,
            AnswerIn(point_id=point.id, outcome="partially_honoured", motivation="Deels."),
            actor="beoordelaar-a",
        )
        p.reactions.mark_ready(dossier.id, [answer.id], actor="beoordelaar-a")
        p.reactions.approve_answers(dossier.id, [answer.id], actor="beoordelaar-b")
    p.reactions.publish_answers(dossier.id, actor="beoordelaar-b", four_eyes=True)
    base = site.base + f"/beheer/dossiers/{dossier.id}"
    sign_in(page, site, "beoordelaar-b")
    visit(page, base + "/uitvoer")
    check(page, "dossier-outputs")
    assert "Punten per uitkomst" in page.content()
    assert page.locator("svg[role=img]").count() == 4
    for label, start in (
        ("Openbare nota (download, HTML)", b"<!doctype html"),
        ("Openbare nota (download, PDF)", b"%PDF"),
        ("Interne nota (download, DOCX)", b"PK"),
        ("Interne nota (download, CSV)", b"\xef\xbb\xbf"),
    ):
        with page.expect_download() as info:
            page.click(f"text={label}")
        body = Path(info.value.path()).read_bytes()
        assert body[: len(start)].lower() == start.lower(), label
    public = _download(page, "text=Openbare nota (download, HTML)")
    assert b"Anna" not in public and b"Bert" not in public
    internal = _download(page, "text=Interne nota (download, HTML)")
    assert b"Bert" in internal

    # The letters waiting: acknowledgement and answer for the postal-only submitter.
    assert "2 brieven maken" in page.content()
    with page.expect_download() as info:
        page.click("button:has-text('brieven maken')")
    with zipfile.ZipFile(io.BytesIO(Path(info.value.path()).read_bytes())) as letters:
        names = letters.namelist()
        assert any(n.endswith(".pdf") for n in names)
        assert sum(1 for n in names if n.startswith("brief-")) == 2
        answer_letter = next(n for n in names if n.startswith("brief-feedback"))
        assert "Deels." in letters.read(answer_letter).decode("utf-8")
    assert p.reactions.pending_letters(dossier.id) == {
        "acknowledgement": 0,
        "delay": 0,
        "feedback": 0,
    }
    visit(page, base + "/uitvoer")
    check(page, "dossier-outputs-printed")
    dispatch_csv = _download(page, "text=Verzendlijst (download, CSV)").decode("utf-8-sig")
    assert len(dispatch_csv.strip().splitlines()) == 1 + len(p.reactions.dispatches(dossier.id))
    with page.expect_download() as info:
        page.click("button:text-is('Archiefpakket downloaden (ZIP)')")
    with zipfile.ZipFile(io.BytesIO(Path(info.value.path()).read_bytes())) as archive:
        assert "archief/SHA256SUMS" in archive.namelist()
        assert "archief/nota.html" in archive.namelist()


def _point(number: int) -> Any:
    from participatie.reactions.schemas import PointIn

    return PointIn(text=f"Punt uit reactie {number}")


def _download(page: Any, selector: str) -> bytes:
    with page.expect_download() as info:
        page.click(selector)
    return Path(info.value.path()).read_bytes()
