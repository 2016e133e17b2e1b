"""Documents and mails write numbers and dates as people read them, carry the
organisation in their properties, and mark what the municipality wrote with its language
on an English page or report."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

from fastapi.testclient import TestClient

from participatie.engine import Participatie
from participatie.exports.pdf import organisation_pdf
from tests.archive_pdf import pdf_text, with_organisation
from tests.reactions.test_documents import seed
from tests.web.helpers import open_code_poll


def test_pdf_tables_write_whole_numbers_in_the_documents_language(p: Participatie) -> None:
    for lang, expected in (("nl", "4.455"), ("en", "4,455")):
        pdf = organisation_pdf(p.settings.organisation, "Telling", created=p.clock.now(), lang=lang)
        pdf.table(["Wat", "Aantal"], [["Totaal", 4455], ["Blad", "1234"]])
        text = pdf_text(pdf.to_bytes())
        assert expected in text
        assert "1234" in text  # a number given as text is a name, written as given


def test_mails_write_counts_and_days_as_people_read_them(p: Participatie) -> None:
    context = {
        **p.template_globals(),
        "title": "Groot scherm",
        "name": "Anna",
        "total": 4455,
        "url": "https://x.nl/p",
    }
    _, body, _ = p.render_mail("petitions_closed", "nl", context)
    assert "met 4.455 handtekeningen" in body
    _, body, _ = p.render_mail("petitions_closed", "en", context)
    assert "4,455" in body
    digest = {
        **p.template_globals(),
        "events": [],
        "frequency": "daily",
        "period": "2026-05-21",
        "manage_url": "https://x.nl/m",
    }
    subject, _, _ = p.render_mail("subscriptions_digest", "nl", digest)
    assert subject.endswith("van 21 mei 2026"), subject
    subject, _, _ = p.render_mail("subscriptions_digest", "en", digest)
    assert subject.endswith("of 21 May 2026"), subject
    assert not re.search(r"\d{4}-\d{2}-\d{2}|\d{2}-\d{2}-\d{4}", subject)


def test_the_notas_docx_names_the_municipality_in_its_properties(
    p: Participatie, tmp_path: Path
) -> None:
    import docx

    p = with_organisation(p)
    dossier: uuid.UUID = seed(p)
    for internal, title in ((False, "Nota van beantwoording: Hondenbeleid"), (True, None)):
        path = tmp_path / f"nota-{internal}.docx"
        p.reactions.write_nota(dossier, path, fmt="docx", internal=internal)
        properties = docx.Document(str(path)).core_properties
        assert properties.author == "Gemeente Groningen"
        assert properties.last_modified_by == "Gemeente Groningen"
        assert properties.title == (title or "Nota van beantwoording: Hondenbeleid (intern)")
        assert "python-docx" not in (properties.comments or "")
        created = properties.created
        assert created is not None
        assert created.replace(tzinfo=None) == p.clock.now().replace(tzinfo=None)
        assert docx.Document(str(path)).paragraphs[0].text == "Gemeente Groningen"


def test_a_polls_question_on_an_english_home_page_is_marked_dutch(
    p: Participatie, client: TestClient
) -> None:
    poll, _ = open_code_poll(p)
    for path in ("/?lang=en", "/widget/open?kind=polls&lang=en"):
        page = client.get(path)
        assert page.status_code == 200
        assert f'<span lang="nl">{poll.question}</span> · Open until' in page.text, path
    dutch = client.get("/?lang=nl").text
    assert f"{poll.question} · Open tot" in dutch


def test_the_english_tally_marks_what_the_municipality_wrote(
    p: Participatie, tmp_path: Path
) -> None:
    poll, _ = open_code_poll(p)
    p.polls.close(poll.id, actor="griffie")
    path = tmp_path / "tally.html"
    p.polls.write_tally(p.polls.tally(poll.id), path, fmt="html", lang="en")
    html = path.read_text()
    assert f'<p><span lang="nl">{poll.question}</span></p>' in html
    assert '<span lang="nl">het college van burgemeester en wethouders' in html
    assert '<td><span lang="nl">Ecozone</span></td>' in html
