"""The PDF routes side by side on a 1,000-reaction nota: fpdf2 with the bundled font (the
library's route), typst (Python wheel) and WeasyPrint (HTML and CSS).

Each route typesets the same document: a title, an introduction and a table of 1,000 rows
(number, summary, answer, conclusion) whose names include the archive test's Unicode names,
as PDF/A-2. typst and WeasyPrint are not dependencies of the library: install them into a
separate environment to run this (``pip install typst weasyprint``)::

    python -m benchmarks.pdf_routes --rows 1000 --repeat 3

Prints, per route: seconds (best of ``--repeat``), file size, whether the names came back
out of the text (pypdf) and whether a font is embedded and PDF/A declared.
"""

from __future__ import annotations

import argparse
import io
import time
from collections.abc import Callable
from datetime import UTC, datetime
from html import escape
from typing import Any

NAMES = ("Đặng Thị Hương", "Zoë Ŝŭ", "Łukasz Żółć", "أحمد", "Anna de Vries")
CREATED = datetime(2026, 10, 15, 9, 1, tzinfo=UTC)


def rows(n: int) -> list[tuple[str, str, str, str]]:
    out = []
    for i in range(1, n + 1):
        name = NAMES[i % len(NAMES)]
        out.append(
            (
                str(i),
                f"{name} vraagt om meer losloopgebieden in de wijk en om duidelijke borden "
                f"bij de ingang van het park (reactie {i}).",
                "Wij wijzen vier nieuwe losloopgebieden aan en plaatsen borden bij elke ingang. "
                "De kaart in de bijlage laat zien waar.",
                "deels gehonoreerd" if i % 3 else "gehonoreerd",
            )
        )
    return out


def route_library(data: list[tuple[str, str, str, str]]) -> bytes:
    from participatie.exports.pdf import PdfDocument

    pdf = PdfDocument("Nota van beantwoording", author="Gemeente Groningen", created=CREATED)
    pdf.heading("1. Inleiding")
    pdf.paragraph("Iedereen kon reageren van 2 maart tot en met 13 april 2026.")
    pdf.heading("3. Samenvatting en beantwoording")
    pdf.table(["Nr", "Samenvatting", "Antwoord", "Conclusie"], data, widths=[12, 70, 75, 33])
    return pdf.to_bytes()


def route_fpdf2(data: list[tuple[str, str, str, str]]) -> bytes:
    # fpdf2 (pip install fpdf2 uharfbuzz) with the bundled DejaVu Sans, PDF/A-2U; text
    # shaping (HarfBuzz) on, as the Arabic name needs.
    from importlib.resources import files

    from fpdf import FPDF  # type: ignore[import-not-found, import-untyped, unused-ignore]

    fonts = files("participatie.exports").joinpath("fonts")
    pdf = FPDF(format="A4", enforce_compliance="PDF/A-2U")
    pdf.add_font("DejaVu", "", str(fonts.joinpath("DejaVuSans.ttf")))
    pdf.add_font("DejaVu", "B", str(fonts.joinpath("DejaVuSans-Bold.ttf")))
    pdf.set_title("Nota van beantwoording")
    pdf.set_author("Gemeente Groningen")
    pdf.set_creation_date(CREATED)
    pdf.set_text_shaping(True)
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 16)
    pdf.multi_cell(0, 8, "Nota van beantwoording", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    pdf.multi_cell(0, 5, "Iedereen kon reageren van 2 maart tot en met 13 april 2026.")
    pdf.set_font("DejaVu", "", 9)
    with pdf.table(col_widths=(12, 70, 75, 33), text_align="LEFT") as table:
        head = table.row()
        for cell in ("Nr", "Samenvatting", "Antwoord", "Conclusie"):
            head.cell(cell)
        for row in data:
            line = table.row()
            for cell in row:
                line.cell(cell)
    return bytes(pdf.output())


def route_typst(data: list[tuple[str, str, str, str]]) -> bytes:
    from importlib.resources import files

    import typst  # the same wheel the library uses, without its layout or fonts

    from participatie.exports.pdf import PDFA_STANDARD

    def cell(text: str) -> str:
        return "[" + text.replace("\\", "\\\\").replace("]", "\\]").replace("[", "\\[") + "]"

    body = ",\n".join(", ".join(cell(c) for c in row) for row in data)
    source = f"""
#set document(title: "Nota van beantwoording", author: "Gemeente Groningen",
  date: datetime(year: 2026, month: 10, day: 15, hour: 9, minute: 1, second: 0))
#set text(lang: "nl", size: 9pt)
#set page(paper: "a4", margin: 15mm)
= Nota van beantwoording
== 1. Inleiding
Iedereen kon reageren van 2 maart tot en met 13 april 2026.
== 3. Samenvatting en beantwoording
#table(columns: (12mm, 1fr, 1fr, 30mm), table.header([*Nr*], [*Samenvatting*],
  [*Antwoord*], [*Conclusie*]),
{body})
"""
    fonts = str(files("participatie.exports").joinpath("fonts"))
    result = typst.compile(  # type: ignore[call-overload, unused-ignore]
        source.encode(),
        format="pdf",
        pdf_standards=PDFA_STANDARD,
        font_paths=[fonts],
        ignore_system_fonts=True,
    )
    assert isinstance(result, bytes)
    return result


def route_weasyprint(data: list[tuple[str, str, str, str]]) -> bytes:
    from weasyprint import HTML  # type: ignore[import-not-found, import-untyped, unused-ignore]

    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in data)
    html = f"""<!doctype html><html lang="nl"><head><meta charset="utf-8">
<title>Nota van beantwoording</title><meta name="author" content="Gemeente Groningen">
<style>@page {{ size: A4; margin: 15mm }} body {{ font: 9pt "DejaVu Sans", sans-serif }}
table {{ border-collapse: collapse }} td, th {{ border: 1px solid #999; padding: 2px }}</style>
</head><body><h1>Nota van beantwoording</h1><h2>1. Inleiding</h2>
<p>Iedereen kon reageren van 2 maart tot en met 13 april 2026.</p>
<h2>3. Samenvatting en beantwoording</h2><table><thead><tr><th>Nr</th><th>Samenvatting</th>
<th>Antwoord</th><th>Conclusie</th></tr></thead><tbody>{body}</tbody></table></body></html>"""
    result = HTML(string=html).write_pdf(pdf_variant="pdf/a-2b")
    assert isinstance(result, bytes)
    return result


ROUTES: dict[str, Callable[[list[tuple[str, str, str, str]]], bytes]] = {
    "participatie (typst, PdfDocument)": route_library,
    "fpdf2 + DejaVu Sans + HarfBuzz": route_fpdf2,
    "typst": route_typst,
    "WeasyPrint": route_weasyprint,
}


def check(pdf: bytes) -> tuple[int, bool, bool, bool]:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    names = all(name in text for name in NAMES)
    root: Any = reader.trailer["/Root"]
    xmp = root["/Metadata"].get_object().get_data() if "/Metadata" in root else b""
    pdfa = b"pdfaid:part" in xmp
    fonts = True
    for page in reader.pages:
        resources: Any = page["/Resources"]
        for ref in resources.get("/Font", {}).values():
            font = ref.get_object()
            inner = (font.get("/DescendantFonts") or [font])[0].get_object()
            descriptor = inner["/FontDescriptor"].get_object()
            fonts &= any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
    return len(reader.pages), names, fonts, pdfa


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    data = rows(args.rows)
    print(f"{args.rows} rows; best of {args.repeat}")
    for name, route in ROUTES.items():
        try:
            best = float("inf")
            pdf = b""
            for _ in range(args.repeat):
                start = time.perf_counter()
                pdf = route(data)
                best = min(best, time.perf_counter() - start)
        except ImportError as exc:
            print(f"{name}: not installed ({exc})")
            continue
        pages, names, fonts, pdfa = check(pdf)
        print(
            f"{name}: {best:.2f} s, {len(pdf) / 1024:.0f} KiB, {pages} pages, "
            f"names extracted: {names}, font embedded: {fonts}, PDF/A declared: {pdfa}"
        )


if __name__ == "__main__":
    main()
