"""PDF documents fit for the archive (title, headings, paragraphs, tables, letters) with
typst (``reports`` extra): PDF/A-2U, every font embedded, title, author and creation date in
the document information and the XMP metadata, tagged for screen readers.

Every PDF the library writes (tally, hand-over, nota, letters) is a ``PdfDocument``. The
content goes to one typst layout (``exports/typst/document.typ``) as JSON, never as markup,
so a name with ``#`` or ``[`` stays text. The font is DejaVu Sans, shipped with the package
(``exports/fonts``, Bitstream Vera licence) and the only font typst may use, so the same
data gives the same bytes on Linux, macOS and Windows and any Latin, Greek, Cyrillic,
Vietnamese or Arabic name is shown as written. The archival standard is ISO 19005-2
(PDF/A-2), level U: every character maps to Unicode, so text can be searched and extracted.
Why typst and not fpdf2 or WeasyPrint: ``docs/dependencies.md`` (measured).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib.resources import as_file, files
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from participatie.errors import MissingExtra
from participatie.exports.files import Output, binary_output
from participatie.exports.pdftext import covered, printable_data
from participatie.formatting import format_number

if TYPE_CHECKING:
    from participatie.organisation import OrganisationSettings

#: The font family every PDF uses; the files ship in ``participatie/exports/fonts``.
FONT_FAMILY = "DejaVu Sans"
#: ISO 19005-2 (PDF/A-2), level U, as typst names it.
PDFA_STANDARD: Final = "a-2u"


class PdfDocument:
    """One PDF/A-2U document: a title on the first page, then headings, paragraphs and
    tables; ``new_page`` starts the next letter of a batch. Blocks are collected and set
    by typst in ``to_bytes`` (or ``save``).

    Args:
        title: the document's title, shown on top (unless ``show_title`` is false) and
            written into the metadata (``/Title``, ``dc:title``).
        author: the organisation that makes the document (``/Author``, ``dc:creator``),
            e.g. "Gemeente Groningen" (``Settings.organisation.name``).
        created: the creation time from the library's clock (``p.clock.now()``), written as
            ``/CreationDate`` and ``xmp:CreateDate`` in UTC; the same inputs give the same
            bytes.
        lang: the document's language (BCP 47), ``nl`` by default.
        font: a folder of TrueType fonts with a family "DejaVu Sans" to use instead of the
            bundled one (``Settings.polls.pdf_font``).
        letterhead: lines above the title on the first page (the organisation's name,
            address and website); the first is bold.
        logo: PNG or JPEG bytes shown above the letterhead.

    Raises:
        MissingExtra: ``extra.missing`` when typst (the ``reports`` extra) is not installed.
    """

    def __init__(
        self,
        title: str,
        *,
        author: str,
        created: datetime,
        lang: str = "nl",
        font: str | None = None,
        show_title: bool = True,
        letterhead: Sequence[str] = (),
        logo: bytes | None = None,
    ) -> None:
        try:
            import typst  # noqa: F401
        except ImportError as exc:  # pragma: no cover - depends on the extra
            raise MissingExtra(
                "PDF output needs the 'reports' extra: pip install participatie[reports]"
            ) from exc
        stamp = (created if created.tzinfo else created.replace(tzinfo=UTC)).astimezone(UTC)
        self.title = title
        self.author = author
        self.created = stamp
        self.lang = lang
        self._font = font
        self._blocks: list[dict[str, Any]] = []
        self._images: list[bytes] = []
        if logo:
            self.image(logo)
        if letterhead:
            self.paragraph(letterhead[0], bold=True)
            self.lines(letterhead[1:], size=9)
            self._blocks.append({"kind": "space", "height": 4})
        if show_title:
            self._blocks.append({"kind": "title", "text": title})

    def heading(self, text: str, *, level: int = 1) -> None:
        """A heading: 12 pt bold (level 1) or 10.5 pt bold (level 2)."""

        self._blocks.append({"kind": "heading", "text": text, "level": 1 if level == 1 else 2})

    def paragraph(self, text: str, *, bold: bool = False) -> None:
        """A paragraph of running text; new lines in ``text`` start new lines."""

        self._blocks.append({"kind": "paragraph", "text": text, "bold": bold})

    def lines(self, lines: Sequence[str], *, size: float = 10) -> None:
        """Short lines set one under the other (an address, a letterhead)."""

        if lines:
            self._blocks.append({"kind": "lines", "lines": list(lines), "size": size})

    def table(
        self,
        header: Sequence[str],
        rows: Sequence[Sequence[Any]],
        widths: Sequence[int] | None = None,
        *,
        align: Sequence[str] | None = None,
    ) -> None:
        """A table with a bold, shaded header row repeated on each page. ``widths`` are
        relative (millimetres of the old layouts do); ``align`` per column, "L" or "R"
        (numbers right). A whole number is written in the document's language by Babel
        ("4.455" in Dutch, "4,455" in English); pass text for a number that is a name
        (a sheet or reaction number)."""

        columns = len(header)

        def text(cell: Any) -> str:
            if cell is None:
                return ""
            if isinstance(cell, int) and not isinstance(cell, bool):
                return format_number(cell, self.lang)
            return str(cell)

        self._blocks.append(
            {
                "kind": "table",
                "header": [str(cell) for cell in header],
                "rows": [
                    [text(cell) for cell in row][:columns] + [""] * (columns - len(row))
                    for row in rows
                ],
                "widths": list(widths) if widths else [1] * columns,
                "align": list(align) if align else ["L"] * columns,
            }
        )

    def image(self, data: bytes, *, height: float = 14) -> None:
        """An image (a logo: PNG or JPEG bytes), ``height`` in millimetres."""

        self._blocks.append(
            {"kind": "image", "file": f"image-{len(self._images)}", "height": height}
        )
        self._images.append(data)

    def new_page(self) -> None:
        """Start a new page (one letter per page in a batch of letters, say)."""

        self._blocks.append({"kind": "page"})

    def save(self, out: Output) -> None:
        """Write the PDF to ``out``: a path (mode 0600) or a binary file."""

        data = self.to_bytes()
        with binary_output(out) as fh:
            fh.write(data)

    def to_bytes(self) -> bytes:
        import typst

        c = self.created
        data = {
            "title": self.title,
            "author": self.author,
            "lang": self.lang,
            "created": [c.year, c.month, c.day, c.hour, c.minute, c.second],
            "blocks": self._blocks,
        }
        layout = files("participatie.exports").joinpath("typst", "document.typ")
        fonts = files("participatie.exports").joinpath("fonts")
        with (
            tempfile.TemporaryDirectory(prefix="participatie-pdf-") as tmp,
            as_file(fonts) as font_dir,
        ):
            root = Path(tmp)
            folders = [self._font] if self._font else [str(font_dir)]
            # What residents typed, as the embedded fonts can show it (PDF/A refuses a
            # character without a glyph; see pdftext).
            data = printable_data(data, covered(tuple(folders)))
            (root / "document.typ").write_bytes(layout.read_bytes())
            for index, image in enumerate(self._images):
                (root / f"image-{index}").write_bytes(image)
            result = typst.compile(
                str(root / "document.typ"),
                root=str(root),
                font_paths=folders,
                ignore_system_fonts=True,
                sys_inputs={"doc": json.dumps(data, ensure_ascii=False)},
                pdf_standards=[PDFA_STANDARD],
                format="pdf",
            )
        assert isinstance(result, bytes)
        return result


def organisation_pdf(
    organisation: OrganisationSettings,
    title: str,
    *,
    created: datetime,
    font: str | None = None,
    show_title: bool = True,
    lang: str = "nl",
) -> PdfDocument:
    """A ``PdfDocument`` by the organisation: its name as author, its letterhead (logo,
    name, postal address, website) on top of the first page; ``lang`` is the document's
    language."""

    lines = [organisation.name, *organisation.address_lines]
    if organisation.website:
        lines.append(organisation.website_label)
    return PdfDocument(
        title,
        author=organisation.name,
        created=created,
        font=font,
        show_title=show_title,
        letterhead=lines,
        logo=organisation.logo_bytes(),
        lang=lang,
    )


__all__ = ["FONT_FAMILY", "PDFA_STANDARD", "PdfDocument", "organisation_pdf"]
