"""What a document uploaded by staff may be: the type is read from the content (magic bytes
and, for ODT and DOCX, the package's own parts), never from the name or the browser's word.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass

from participatie.errors import InvalidInput

#: The types a dossier document may have: content type -> extension.
ALLOWED: dict[str, str] = {
    "application/pdf": ".pdf",
    "application/vnd.oasis.opendocument.text": ".odt",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "image/png": ".png",
    "image/jpeg": ".jpg",
}
ALLOWED_NAMES = "PDF, ODT, DOCX, PNG, JPEG"


class DocumentRefused(InvalidInput):
    """An uploaded document is not accepted; the subclass's code says why, ``details``
    name the file."""

    code = "document.refused"


class DocumentTooLarge(DocumentRefused):
    """The file is larger than ``documents.max_bytes`` (``details["limit"]``, bytes)."""

    code = "document.too_large"
    status = 413


class DocumentEmpty(DocumentRefused):
    code = "document.empty"


class DocumentExecutable(DocumentRefused):
    """A program (Windows, Linux or macOS executable, or a script), whatever its name."""

    code = "document.executable"


class DocumentHtml(DocumentRefused):
    """A web page: it could run script in the municipality's domain when opened."""

    code = "document.html"


class DocumentScript(DocumentRefused):
    """An SVG drawing with script or event handlers in it."""

    code = "document.script"


class DocumentActive(DocumentRefused):
    """A PDF with active content: JavaScript, an action that starts a program, embedded
    files or forms that send data (``details["found"]``: what was found)."""

    code = "document.active"


class DocumentType(DocumentRefused):
    """Not one of PDF, ODT, DOCX, PNG or JPEG (by its content)."""

    code = "document.type"


@dataclass(frozen=True)
class Sniffed:
    content_type: str
    extension: str


_EXECUTABLE = (
    b"MZ",  # Windows PE/COFF
    b"\x7fELF",  # Linux and most Unix
    b"\xfe\xed\xfa\xce",  # Mach-O 32
    b"\xfe\xed\xfa\xcf",  # Mach-O 64
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",  # Mach-O universal (also Java classes)
    b"#!",  # scripts
)
_HTML = re.compile(rb"<\s*(!doctype\s+html|html|head|body|script|iframe|meta|title)\b", re.I)
_SVG = re.compile(rb"<\s*svg\b", re.I)
_SVG_SCRIPT = re.compile(
    rb"<\s*script\b|\son[a-z]+\s*=|javascript\s*:|<\s*foreignobject\b|<\s*iframe\b", re.I
)


def _zip_type(data: bytes, name: str) -> Sniffed:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            names = set(package.namelist())
            if "mimetype" in names:
                info = package.getinfo("mimetype")
                if info.file_size < 200:
                    kind = package.read("mimetype").decode("ascii", "replace").strip()
                    if kind == "application/vnd.oasis.opendocument.text":
                        return Sniffed(kind, ".odt")
            if "[Content_Types].xml" in names and "word/document.xml" in names:
                kind = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
                return Sniffed(kind, ".docx")
    except (zipfile.BadZipFile, OSError, ValueError):
        pass
    raise DocumentType(
        f"{name}: a ZIP package that is no ODT or DOCX text document; allowed are {ALLOWED_NAMES}",
        field="file",
        filename=name,
    )


def sniff(data: bytes, *, name: str, max_bytes: int) -> Sniffed:
    """The type of an uploaded file, from its content.

    Raises (each an :class:`~participatie.errors.InvalidInput` naming the file):
    :class:`DocumentTooLarge` (``document.too_large``, over ``max_bytes``),
    :class:`DocumentEmpty` (``document.empty``), :class:`DocumentExecutable`
    (``document.executable``, a program whatever its name), :class:`DocumentHtml`
    (``document.html``), :class:`DocumentScript` (``document.script``, an SVG with
    script), :class:`DocumentActive` (``document.active``, a PDF with JavaScript, a
    launch action, embedded files or submitting forms) and :class:`DocumentType`
    (``document.type``, anything else that is not PDF, ODT, DOCX, PNG or JPEG).
    """

    if len(data) > max_bytes:
        raise DocumentTooLarge(
            f"{name} is {len(data)} bytes; the largest document is {max_bytes} bytes",
            field="file",
            filename=name,
            size=len(data),
            limit=max_bytes,
        )
    if not data:
        raise DocumentEmpty(f"{name} is empty", field="file", filename=name)
    head = data[:4096]
    if head.startswith(b"%PDF-"):
        found = pdf_active_content(data)
        if found:
            raise DocumentActive(
                f"{name} is a PDF with active content ({', '.join(found)})",
                field="file",
                filename=name,
                found=", ".join(found),
            )
        return Sniffed("application/pdf", ".pdf")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Sniffed("image/png", ".png")
    if head.startswith(b"\xff\xd8\xff"):
        return Sniffed("image/jpeg", ".jpg")
    if head.startswith(b"PK\x03\x04"):
        return _zip_type(data, name)
    if head.startswith(_EXECUTABLE):
        raise DocumentExecutable(
            f"{name} is a program, not a document", field="file", filename=name
        )
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if _SVG.search(text):
        if _SVG_SCRIPT.search(data):
            raise DocumentScript(
                f"{name} is an SVG drawing with script in it", field="file", filename=name
            )
        raise DocumentType(
            f"{name} is an SVG drawing; allowed are {ALLOWED_NAMES}", field="file", filename=name
        )
    if _HTML.search(text):
        raise DocumentHtml(f"{name} is a web page (HTML)", field="file", filename=name)
    raise DocumentType(f"{name} is not a {ALLOWED_NAMES} file", field="file", filename=name)


#: PDF names that make a document do things when opened (ISO 32000-1, 12.6 actions and
#: 7.11.4 embedded files; 12.7 interactive forms that submit or import data).
ACTIVE_PDF_NAMES = frozenset(
    {
        "JavaScript",
        "JS",
        "Launch",
        "EmbeddedFile",
        "EmbeddedFiles",
        "RichMedia",
        "SubmitForm",
        "ImportData",
        "XFA",
    }
)
_PDF_NAME = re.compile(rb"/([^\s/<>\[\]()%{}]+)")
_PDF_STREAM = re.compile(rb"stream\r?\n(.*?)endstream", re.S)
#: Inflated bytes looked at per stream, and in all: a bound against compression bombs.
_STREAM_LIMIT = 4 * 1024 * 1024
_TOTAL_LIMIT = 64 * 1024 * 1024


def _pdf_names(chunk: bytes) -> set[str]:
    """The names in ``chunk``, with ``#xx`` escapes read (``/J#61vaScript``)."""

    names = set()
    for raw in _PDF_NAME.findall(chunk):
        try:
            text = re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), raw)
            names.add(text.decode("latin-1"))
        except ValueError:
            continue
    return names


def pdf_active_content(data: bytes) -> list[str]:
    """The active-content names (:data:`ACTIVE_PDF_NAMES`) in a PDF, sorted; empty for a
    document that only shows itself. Looks at the file's own dictionaries and inside its
    Flate-compressed streams (object streams hide dictionaries there), each inflated up
    to a bound.

    Args:
        data: the PDF file's bytes.

    Returns:
        The names of :data:`ACTIVE_PDF_NAMES` found, for example
        ``["JS", "JavaScript"]``.
    """

    import zlib

    found = _pdf_names(data) & ACTIVE_PDF_NAMES
    budget = _TOTAL_LIMIT
    for stream in _PDF_STREAM.findall(data):
        if budget <= 0:
            break
        inflater = zlib.decompressobj()
        try:
            inflated = inflater.decompress(stream, min(_STREAM_LIMIT, budget))
        except zlib.error:
            continue  # not Flate (an image, say): nothing to read
        budget -= len(inflated)
        found |= _pdf_names(inflated) & ACTIVE_PDF_NAMES
    return sorted(found)


def safe_filename(name: str, extension: str) -> str:
    """A download name: the uploaded name's stem in plain characters, with the extension
    of the type found in the content (a renamed file gets its true extension)."""

    stem = name.replace("\\", "/").rsplit("/", 1)[-1]
    stem = stem.rsplit(".", 1)[0] if "." in stem else stem
    stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode("ascii")
    stem = re.sub(r"[^A-Za-z0-9._ -]+", "", stem).strip(" .-")[:100] or "document"
    return stem + extension


__all__ = [
    "ACTIVE_PDF_NAMES",
    "ALLOWED",
    "ALLOWED_NAMES",
    "DocumentActive",
    "DocumentEmpty",
    "DocumentExecutable",
    "DocumentHtml",
    "DocumentRefused",
    "DocumentScript",
    "DocumentTooLarge",
    "DocumentType",
    "Sniffed",
    "pdf_active_content",
    "safe_filename",
    "sniff",
]
