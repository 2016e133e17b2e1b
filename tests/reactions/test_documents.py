"""The nota and the letters as PDFs for the archive: PDF/A-2 with embedded fonts, the
organisation as author and letterhead, the clock's time, and names in any script."""

from __future__ import annotations

import uuid
from pathlib import Path

from participatie.engine import Participatie
from participatie.reactions.schemas import PointIn, ReactionIn, SubmitterIn
from tests.archive_pdf import UNICODE_NAMES, check_archival_pdf, with_organisation
from tests.reactions.conftest import new_dossier


def postal(name: str, number: int) -> SubmitterIn:
    return SubmitterIn(
        name=name,
        street="Kerkstraat",
        house_number=str(number),
        postcode="9742 AB",
        city="Groningen",
    )


def seed(p: Participatie) -> uuid.UUID:
    dossier = new_dossier(p)
    for number, name in enumerate(UNICODE_NAMES, start=1):
        p.reactions.register(
            dossier,
            ReactionIn(
                channel="paper",
                text=f"Reactie van {name}.",
                submitters=[postal(name, number)],
                points=[PointIn(text="Meer losloopgebieden.", theme="losloop")],
            ),
            actor="desk",
        )
    return dossier


def test_internal_nota_pdf_keeps_every_name(p: Participatie, tmp_path: Path) -> None:
    p = with_organisation(p)
    dossier = seed(p)
    path = tmp_path / "nota.pdf"
    p.reactions.write_nota(dossier, path, fmt="pdf", internal=True)
    text = check_archival_pdf(
        path.read_bytes(),
        title="Nota van beantwoording: Hondenbeleid (intern)",  # the internal version says so
        author="Gemeente Groningen",
        created=p.clock.now(),
    )
    assert "Postbus 30026" in text
    html = tmp_path / "nota.html"
    p.reactions.write_nota(dossier, html, fmt="html")
    assert "Gemeente Groningen" in html.read_text(encoding="utf-8")


def test_letters_pdf_keeps_every_name(p: Participatie, tmp_path: Path) -> None:
    p = with_organisation(p)
    dossier = seed(p)
    folder = tmp_path / "brieven"
    batch = p.reactions.write_letters(
        dossier, folder, kind="acknowledgement", pdf=True, actor="test"
    )
    assert batch.letters == len(UNICODE_NAMES) and batch.pdf_file is not None
    text = check_archival_pdf(
        (folder / batch.pdf_file).read_bytes(),
        title="Brieven: Hondenbeleid",
        author="Gemeente Groningen",
        created=p.clock.now(),
    )
    # Every letter has the letterhead and the return address.
    assert text.count("Retouradres: Postbus 30026, 9700 RM Groningen") == len(UNICODE_NAMES)
    letter = (folder / batch.files[0]).read_text(encoding="utf-8")
    assert "Gemeente Groningen" in letter and "Retouradres: Postbus 30026" in letter
