"""What a dossier document may be, read from its content: every allowed type by its
magic bytes or package parts, every refusal by its own code, whatever the file is called."""

from __future__ import annotations

import io
import zipfile

import pytest

from participatie.uploads import (
    DocumentActive,
    DocumentEmpty,
    DocumentExecutable,
    DocumentHtml,
    DocumentRefused,
    DocumentScript,
    DocumentTooLarge,
    DocumentType,
    safe_filename,
    sniff,
)
from tests.backoffice.dossier_support import EXE, HTML, JPEG, PNG, SVG, docx_bytes, odt_bytes

LIMIT = 10 * 1024 * 1024


@pytest.mark.parametrize(
    ("body", "ctype", "ext"),
    [
        (b"%PDF-1.7\n...", "application/pdf", ".pdf"),
        (PNG, "image/png", ".png"),
        (JPEG, "image/jpeg", ".jpg"),
        (odt_bytes(), "application/vnd.oasis.opendocument.text", ".odt"),
        (
            docx_bytes(),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            ".docx",
        ),
    ],
)
def test_dossier_upload_types_by_content(body: bytes, ctype: str, ext: str) -> None:
    # The name says something else: the content decides.
    found = sniff(body, name="bestand.exe", max_bytes=LIMIT)
    assert (found.content_type, found.extension) == (ctype, ext)


def _zip(**members: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, text in members.items():
            z.writestr(name, text)
    return out.getvalue()


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (EXE, DocumentExecutable),
        (b"\x7fELF\x02\x01\x01" + b"\x00" * 50, DocumentExecutable),
        (b"#!/bin/sh\nrm -rf /\n", DocumentExecutable),
        (HTML, DocumentHtml),
        (b"\xef\xbb\xbf  <HTML><BODY>hallo</BODY></HTML>", DocumentHtml),
        (SVG, DocumentScript),
        (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', DocumentScript),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>', DocumentType),
        (_zip(**{"a.txt": "x"}), DocumentType),
        (_zip(mimetype="application/vnd.oasis.opendocument.spreadsheet"), DocumentType),
        (b"GIF89a....", DocumentType),
        (b"", DocumentEmpty),
    ],
)
def test_dossier_upload_refusals_by_content(body: bytes, error: type[DocumentRefused]) -> None:
    with pytest.raises(error) as caught:
        sniff(body, name="rapport.pdf", max_bytes=LIMIT)
    assert caught.value.field == "file"
    assert caught.value.details["filename"] == "rapport.pdf"
    assert "rapport.pdf" in caught.value.message


def _pdf_with(*objects: bytes) -> bytes:
    body = b"%PDF-1.7\n" + b"".join(
        b"%d 0 obj\n%s\nendobj\n" % (n, obj) for n, obj in enumerate(objects, start=1)
    )
    return body + b"trailer<</Root 1 0 R>>\n%%EOF\n"


def _stream(data: bytes, *, compress: bool) -> bytes:
    import zlib

    raw = zlib.compress(data) if compress else data
    flate = b"/Filter/FlateDecode" if compress else b""
    return b"<</Length %d%s>>stream\n%s\nendstream" % (len(raw), flate, raw)


@pytest.mark.parametrize(
    ("body", "found"),
    [
        (
            _pdf_with(b"<</Type/Catalog/OpenAction<</S/JavaScript/JS(app.alert(1))>>>>"),
            "JS, JavaScript",
        ),
        (_pdf_with(b"<</Type/Catalog/OpenAction<</S/J#61vaScript/J#53(x)>>>>"), "JS, JavaScript"),
        (_pdf_with(b"<</Type/Catalog/OpenAction<</S/Launch/F(calc.exe)>>>>"), "Launch"),
        (
            # Hidden in a compressed object stream, as real files do.
            _pdf_with(
                b"<</Type/Catalog>>",
                b"<</Type/ObjStm/N 1/First 4"
                + _stream(b"3 0 <</Names<</EmbeddedFiles 5 0 R>>>>", compress=True)[2:],
            ),
            "EmbeddedFiles",
        ),
    ],
)
def test_dossier_upload_refuses_a_pdf_with_active_content(body: bytes, found: str) -> None:
    with pytest.raises(DocumentActive) as caught:
        sniff(body, name="voorstel.pdf", max_bytes=LIMIT)
    assert caught.value.field == "file"
    assert caught.value.details["found"] == found
    assert caught.value.code == "document.active"


def test_dossier_upload_takes_a_plain_pdf_with_compressed_pages() -> None:
    """Ordinary PDFs pass: compressed page content, an image stream that is no Flate data,
    and the library's own PDF/A output."""

    page = _stream(b"BT /F1 12 Tf 72 712 Td (Hondenbeleid) Tj ET", compress=True)
    image = _stream(b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4, compress=False)
    plain = _pdf_with(b"<</Type/Catalog/Pages 2 0 R/OpenAction[3 0 R/Fit]>>", page, image)
    assert sniff(plain, name="plan.pdf", max_bytes=LIMIT).extension == ".pdf"
    from datetime import UTC, datetime

    from participatie.exports.pdf import PdfDocument

    document = PdfDocument(
        "Nota van beantwoording",
        author="Gemeente Groningen",
        created=datetime(2026, 11, 30, tzinfo=UTC),
    )
    document.paragraph("Łukasz Żółć reageerde op het hondenbeleid.")
    ours = document.to_bytes()
    assert sniff(ours, name="nota.pdf", max_bytes=LIMIT).extension == ".pdf"


def test_dossier_upload_size_is_checked_first() -> None:
    with pytest.raises(DocumentTooLarge) as caught:
        sniff(b"%PDF-" + b"x" * 2000, name="groot.pdf", max_bytes=1024)
    assert caught.value.status == 413 and caught.value.details["limit"] == 1024


@pytest.mark.parametrize(
    ("name", "ext", "expected"),
    [
        ("Plan (definitief).PDF", ".pdf", "Plan definitief.pdf"),
        ("C:\\Users\\an\\verslag.exe", ".pdf", "verslag.pdf"),
        ('a"; filename=evil.html', ".png", "a filenameevil.png"),
        ("Één café.docx", ".docx", "Een cafe.docx"),
        ("...", ".jpg", "document.jpg"),
    ],
)
def test_dossier_download_names_are_plain(name: str, ext: str, expected: str) -> None:
    assert safe_filename(name, ext) == expected
