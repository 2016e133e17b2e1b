"""The internal nota lists every submitter of every reaction with every contact field, and
its five formats agree on who they are."""

from __future__ import annotations

import csv
import html
import re
import uuid
from datetime import timedelta
from pathlib import Path

from participatie.engine import Participatie
from participatie.reactions.schemas import AnswerIn, PointIn, ReactionIn, SubmitterIn

Line = tuple[int, str]

FULL = {
    "name": "Anna de Vries",
    "email": "anna@example.nl",
    "phone": "06-12345678",
    "street": "Kerkstraat",
    "house_number": "4a",
    "postcode": "9742 AB",
    "city": "Groningen",
}


def line(name: str | None, email: str, phone: str, address: str) -> str:
    return ", ".join(part for part in (name or "(naam onbekend)", email, phone, address) if part)


def expected() -> set[Line]:
    return {
        (
            1,
            line(
                "Anna de Vries",
                "anna@example.nl",
                "06-12345678",
                "Kerkstraat 4A, 9742 AB Groningen",
            ),
        ),
        (2, line("Karel Jansen", "", "+31 50 123 4567", "Hoofdweg 12, 9711 AB Groningen")),
        (2, line("Mien Jansen", "", "", "")),
        (3, line("Piet Post", "piet@example.nl", "050-1234567", "")),
        (4, line(None, "", "0612345678", "")),
    }


def seed(p: Participatie, dossier: uuid.UUID) -> None:
    p.reactions.submit(
        dossier,
        ReactionIn(
            text="Meer losloopgebieden.",
            submitters=[SubmitterIn(**FULL)],
            points=[PointIn(text="Meer losloopgebieden.", theme="losloop")],
        ),
    )
    # After the reaction period: a late letter from two people.
    p.clock.advance(timedelta(weeks=8))  # type: ignore[attr-defined]
    p.reactions.register(
        dossier,
        ReactionIn(
            channel="letter",
            text="Te laat, maar toch.",
            submitters=[
                SubmitterIn(
                    name="Karel Jansen",
                    phone="+31 50 123 4567",
                    street="Hoofdweg",
                    house_number="12",
                    postcode="9711 AB",
                    city="Groningen",
                ),
                SubmitterIn(name="Mien Jansen"),
            ],
        ),
        actor="postkamer",
    )
    inadmissible = p.reactions.register(
        dossier,
        ReactionIn(
            channel="email",
            text="Iets anders.",
            submitters=[
                SubmitterIn(name="Piet Post", email="piet@example.nl", phone="050-1234567")
            ],
        ),
        actor="postkamer",
    )
    p.reactions.decide_admissibility(
        inadmissible.reaction.id,
        admissible=False,
        reason="Geen zienswijze.",
        actor="a",
    )
    p.reactions.register(
        dossier,
        ReactionIn(
            channel="oral",
            text="Telefonisch: graag terugbellen.",
            reported_by="M. Hoekstra",
            submitters=[SubmitterIn(phone="0612345678")],
        ),
        actor="loket",
    )
    p.reactions.draft_answer(
        dossier,
        AnswerIn(theme="losloop", outcome="honoured", motivation="Vier nieuwe gebieden."),
        actor="a",
    )


def from_html(path: Path) -> set[Line]:
    text = path.read_text(encoding="utf-8")
    annex = text[text.index("Bijlage: indieners") :]
    found: set[Line] = set()
    for number, cell in re.findall(
        r"<tr>\s*<td>(\d+)</td>\s*<td>[^<]*</td>\s*<td>[^<]*</td>\s*<td>(.*?)</td>\s*</tr>",
        annex,
        re.S,
    ):
        found |= {(int(number), html.unescape(part)) for part in cell.split("<br>")}
    return found


def _from_cells(rows: list[list[str]]) -> set[Line]:
    header = rows[0]
    assert header == [
        "Reactie",
        "Kanaal",
        "Ontvangen",
        "Te laat",
        "Naam",
        "E-mail",
        "Telefoon",
        "Adres",
    ]
    found: set[Line] = set()
    for row in rows[1:]:
        # Spreadsheet-safe cells: a leading ' keeps "+31 ..." from being a formula.
        name, email, phone, address = (str(c or "").removeprefix("'") for c in row[4:8])
        found.add((int(row[0]), line(name, email, phone, address)))
    return found


def from_csv(path: Path) -> set[Line]:
    rows = list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines(), delimiter=";"))
    start = rows.index(["Bijlage indieners"])
    return _from_cells(rows[start + 1 :])


def from_xlsx(path: Path) -> set[Line]:
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True)
    rows = [list(r) for r in workbook["Bijlage indieners"].iter_rows(values_only=True)]
    workbook.close()
    return _from_cells(rows)


def from_docx(path: Path) -> set[Line]:
    import docx

    table = docx.Document(str(path)).tables[-1]
    assert [c.text for c in table.rows[0].cells] == ["Nr", "Kanaal", "Ontvangen", "Indieners"]
    return {
        (int(row.cells[0].text), part)
        for row in table.rows[1:]
        for part in row.cells[3].text.split("\n")
    }


def from_pdf(path: Path, candidates: set[Line]) -> set[Line]:
    """The candidates the PDF's annex shows under their reaction's number (a table cell
    may wrap, so text is compared with white space collapsed)."""

    from pypdf import PdfReader

    text = "\n".join(page.extract_text() for page in PdfReader(str(path)).pages)
    annex = text[text.index("Bijlage: indieners") :].split("\n", 2)[2]
    # Each table row starts on a new line with its number.
    # (A wrapped address line may start with a postcode: "9742 AB Groningen".)
    parts = re.split(r"(?:^|\n)(\d{1,3})(?= [A-Z])", annex)
    rows = {
        int(n): " ".join(body.split()) for n, body in zip(parts[1::2], parts[2::2], strict=True)
    }
    return {(n, part) for n, part in candidates if " ".join(part.split()) in rows.get(n, "")}


def test_internal_nota_lists_every_submitter_alike_in_five_formats(
    p: Participatie, dossier: uuid.UUID, tmp_path: Path
) -> None:
    seed(p, dossier)
    nota = p.reactions.nota(dossier, internal=True)
    assert [row.reaction for row in nota.annex] == [1, 2, 3, 4]
    assert [row.late for row in nota.annex] == [False, True, True, True]
    want = expected()
    files = {}
    for fmt in ("html", "csv", "xlsx", "docx", "pdf"):
        files[fmt] = tmp_path / f"intern.{fmt}"
        p.reactions.write_nota(dossier, files[fmt], fmt=fmt, internal=True)
    found = {
        "html": from_html(files["html"]),
        "csv": from_csv(files["csv"]),
        "xlsx": from_xlsx(files["xlsx"]),
        "docx": from_docx(files["docx"]),
    }
    for fmt, lines in found.items():
        assert lines == want, fmt
    # The PDF shows the same lines, for the same reactions, and no one else's.
    others = {(n + 1, part) for n, part in want} | {(1, "Iemand, niemand@example.nl")}
    assert from_pdf(files["pdf"], want | others) == want
