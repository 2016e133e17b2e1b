"""Simple PDF documents (title, headings, paragraphs, tables) with fpdf2 (``reports`` extra).

Reports build a ``PdfDocument`` and save it; fonts are the PDF core fonts, so text is
limited to Latin-1 (other characters are replaced, never dropped silently: "?").
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from participatie.errors import MissingExtra
from participatie.exports.files import write_private_bytes


class PdfDocument:
    def __init__(
        self, title: str, *, author: str = "participatie", created: datetime | None = None
    ) -> None:
        try:
            from fpdf import FPDF
        except ImportError as exc:  # pragma: no cover - depends on the extra
            raise MissingExtra(
                "PDF output needs the 'reports' extra: pip install participatie[reports]"
            ) from exc
        self._pdf = FPDF(format="A4")
        self._pdf.set_title(latin1(title))
        self._pdf.set_author(author)
        self._pdf.set_creator("participatie")
        # Fixed creation date: the same report data gives the same PDF bytes.
        self._pdf.set_creation_date(created or datetime(2000, 1, 1, tzinfo=UTC))
        self._pdf.set_auto_page_break(auto=True, margin=15)
        self._pdf.add_page()
        self._pdf.set_font("Helvetica", "B", 16)
        self._pdf.multi_cell(0, 8, latin1(title), new_x="LMARGIN", new_y="NEXT")
        self._pdf.ln(2)

    def heading(self, text: str) -> None:
        self._pdf.ln(2)
        self._pdf.set_font("Helvetica", "B", 12)
        self._pdf.multi_cell(0, 7, latin1(text), new_x="LMARGIN", new_y="NEXT")

    def paragraph(self, text: str) -> None:
        self._pdf.set_font("Helvetica", "", 10)
        self._pdf.multi_cell(0, 5, latin1(text), new_x="LMARGIN", new_y="NEXT")
        self._pdf.ln(1)

    def table(
        self,
        header: Sequence[str],
        rows: Sequence[Sequence[Any]],
        widths: Sequence[int] | None = None,
    ) -> None:
        self._pdf.set_font("Helvetica", "", 9)
        with self._pdf.table(
            col_widths=tuple(widths) if widths else None, text_align="LEFT"
        ) as table:
            head = table.row()
            for cell in header:
                head.cell(latin1(str(cell)))
            for row in rows:
                line = table.row()
                for cell in row:
                    line.cell(latin1("" if cell is None else str(cell)))
        self._pdf.ln(2)

    def new_page(self) -> None:
        """Start a new page (one letter per page in a batch of letters, say)."""

        self._pdf.add_page()

    @property
    def fpdf(self) -> Any:
        """The underlying fpdf2 document, for layouts beyond headings, text and tables."""

        return self._pdf

    def save(self, path: str | os.PathLike[str]) -> None:
        write_private_bytes(path, bytes(self._pdf.output()))

    def to_bytes(self) -> bytes:
        return bytes(self._pdf.output())


def latin1(text: str) -> str:
    """Text the PDF core fonts can show: typographic quotes and dashes simplified, the rest
    of what Latin-1 lacks replaced by "?"."""

    replacements = {
        "\u2013": "-",
        "\u2014": "-",
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2026": "...",
        "\u20ac": "EUR",
    }
    for src, dst in replacements.items():
        text = text.replace(src, dst)
    return text.encode("latin-1", "replace").decode("latin-1")


__all__ = [
    "PdfDocument",
    "latin1",
]
