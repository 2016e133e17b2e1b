"""Whatever a resident typed, a PDF/A document is made: control characters, lone
surrogates, noncharacters, scripts the bundled font lacks and a 100,000-character word all
come out as a valid PDF, with the names the font can show intact (ISO 19005-2 refuses a
character without a glyph; ISO 32000-1 a string over 32,767 bytes)."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pypdf
import pytest

from participatie.exports.pdf import PdfDocument
from participatie.exports.pdftext import MAX_RUN, printable

TYPED = {
    "control characters": ("Anna\x00 de\x1b Vries\x07", "Anna de Vries"),
    "a lone surrogate": ("Jan\ud800tje", "Jan\ufffdtje"),
    "noncharacters": ("Piet\uffff\ufdd0", "Piet"),
    "a script the font lacks": ("李小龍", "\ufffd\ufffd\ufffd"),
    "names the font has": ("Đặng Thị Hương, Zoë Ŝŭ, Łukasz Żółć, أحمد", None),
}


@pytest.mark.parametrize("case", sorted(TYPED))
def test_any_typed_text_makes_a_pdf(case: str) -> None:
    typed, shown = TYPED[case]
    doc = PdfDocument("Overdracht", author="Gemeente Groningen", created=datetime.now(UTC))
    doc.heading(typed)
    doc.paragraph(typed)
    doc.table(["Naam"], [[typed]])
    data = doc.to_bytes()
    text = pypdf.PdfReader(io.BytesIO(data)).pages[0].extract_text()
    assert (shown or typed) in text
    assert b"pdfaid:part" in data or b"pdfaid:part".upper() in data.upper()


def test_a_word_longer_than_a_pdf_string_is_broken_not_refused() -> None:
    doc = PdfDocument("Reactie", author="Gemeente Groningen", created=datetime.now(UTC))
    doc.paragraph("x" * 100_000)
    assert doc.to_bytes().startswith(b"%PDF")
    assert max(len(w) for w in printable("x" * 10_000, frozenset({ord("x")})).split()) == MAX_RUN
