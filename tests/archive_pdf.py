"""Checks that a PDF the library wrote is fit for the archive: PDF/A-2 declared in its XMP
with title, author and the clock's creation date, an sRGB output intent, every font
embedded, and the given names in its text as written (no "?" in their place)."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from typing import Any

from participatie.engine import Participatie
from participatie.organisation import OrganisationSettings

#: Names outside Latin-1 in four scripts: Vietnamese, Esperanto and Dutch, Polish, Arabic.
UNICODE_NAMES = ("Đặng Thị Hương", "Zoë Ŝŭ", "Łukasz Żółć", "أحمد")

GRONINGEN = OrganisationSettings(
    name="Gemeente Groningen",
    postal_address="Postbus 30026; 9700 RM Groningen",
    website="https://gemeente.groningen.example",
)


def with_organisation(p: Participatie, organisation: OrganisationSettings = GRONINGEN) -> Any:
    """The same facade (database, clock, mailer) with the organisation's settings."""

    return Participatie(
        p.settings.model_copy(update={"organisation": organisation}),
        engine=p.engine,
        clock=p.clock,
        mailer=p.mailer,
    )


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def xmp(data: bytes) -> str:
    """The XMP metadata of a PDF ("" when it has none)."""

    from pypdf import PdfReader

    root: Any = PdfReader(io.BytesIO(data)).trailer["/Root"]
    if "/Metadata" not in root:
        return ""
    return str(root["/Metadata"].get_object().get_data().decode("utf-8"))


def check_archival_pdf(
    data: bytes,
    *,
    title: str,
    author: str,
    created: datetime,
    names: tuple[str, ...] = UNICODE_NAMES,
) -> str:
    """Assert the archive's requirements on ``data``; returns the extracted text."""

    from pypdf import PdfReader

    assert data.startswith(b"%PDF-1.7")
    reader = PdfReader(io.BytesIO(data))
    root: Any = reader.trailer["/Root"]
    xmp_object = root["/Metadata"]
    xmp = xmp_object.get_object().get_data().decode("utf-8")
    assert re.search(r"<pdfaid:part>2</pdfaid:part>", xmp), xmp
    assert re.search(r"<pdfaid:conformance>[BU]</pdfaid:conformance>", xmp), xmp
    assert f"<rdf:li>{author}</rdf:li>" in xmp
    assert title in xmp
    stamp = created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    found = re.search(r"<xmp:CreateDate>([^<]+)</xmp:CreateDate>", xmp)
    assert found and found.group(1) in (f"{stamp}Z", f"{stamp}+00:00"), (stamp, xmp)
    info: Any = reader.metadata
    assert info.title == title and info.author == author
    assert info.creation_date.astimezone(UTC) == created.astimezone(UTC).replace(microsecond=0)
    assert "2000-01-01" not in xmp
    intents = root["/OutputIntents"]
    assert [intent.get_object()["/S"] for intent in intents] == ["/GTS_PDFA1"]
    assert intents[0].get_object()["/DestOutputProfile"]
    # Every font used on every page is embedded.
    fonts = 0
    for page in reader.pages:
        resources: Any = page["/Resources"]
        for ref in resources.get("/Font", {}).values():
            font: Any = ref.get_object()
            fonts += 1
            descendants = font.get("/DescendantFonts")
            descriptor = (
                descendants[0].get_object()["/FontDescriptor"]
                if descendants
                else font["/FontDescriptor"]
            ).get_object()
            assert any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")), font
    assert fonts > 0
    text = pdf_text(data)
    for name in names:
        assert name in text, (name, text[:2000])
    assert "?" not in "".join(
        line for line in text.splitlines() if any(name in line for name in names)
    )
    return text
