from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from participatie.engine import Participatie
from participatie.exports.writers import write_excel_csv, write_xlsx
from participatie.reactions.errors import ImportFailed

HEADER = [
    "nummer",
    "datum",
    "tekst",
    "naam",
    "e-mail",
    "straat",
    "huisnummer",
    "postcode",
    "plaats",
    "medeondertekenaars",
    "thema",
]
ROWS = [
    [
        "F1",
        "2026-03-02",
        "Meer losloopgebieden",
        "Anna",
        "anna@example.nl",
        "",
        "",
        "",
        "",
        "",
        "losloop",
    ],
    [
        "F2",
        "02-03-2026",
        "Poep bij school",
        "Bert",
        "",
        "Kerkstraat",
        "3",
        "9742 AB",
        "Groningen",
        "Cor; Dien",
        "opruim",
    ],
    ["F3", "2026-03-02", "", "Leeg", "", "", "", "", "", "", ""],
    ["F4", "2026-03-02", "Foute mail", "Eva", "eva@", "", "", "", "", "", ""],
    ["F5", "2026-03-02", "Foute postcode", "Frits", "", "Laan", "1", "0000 XX", "", "", ""],
    ["F6", "2026-03-02", "Onbekend thema", "Gijs", "", "", "", "", "", "", "vuurwerk"],
    ["F7", "31-02-2026", "Foute datum", "Hans", "", "", "", "", "", "", ""],
    ["F8", "2026-03-02", "Nog een goede", "Ida", "ida@example.nl", "", "", "", "", "", ""],
]
EXPECTED_ERRORS = [(4, "tekst"), (5, "e-mail"), (6, "postcode"), (7, "thema"), (8, "datum")]


def _check(p: Participatie, dossier: uuid.UUID, path: Path) -> None:
    steps: list[tuple[int, int]] = []
    report = p.reactions.import_file(
        dossier, path, actor="typist", progress=lambda done, total: steps.append((done, total))
    )
    # A step before every row, bad ones included, each knowing the whole.
    assert steps == [(n, 8) for n in range(1, 9)]
    assert report.rows == 8
    assert report.imported == 3
    assert [(e.row, e.field) for e in report.errors] == EXPECTED_ERRORS
    assert all(e.reason for e in report.errors)
    # The reasons are Dutch, as the file's header is: not the log's English message.
    assert report.errors[1].reason.startswith("geen geldig e-mailadres"), report.errors[1]
    assert not any("invalid" in e.reason for e in report.errors), report.errors
    reactions = list(p.reactions.reactions(dossier))
    assert [r.external_ref for r in reactions] == ["F1", "F2", "F8"]
    assert [r.channel for r in reactions] == ["paper"] * 3
    assert reactions[1].signatories == 3
    assert len(p.reactions.points(dossier, theme="opruim")) == 1
    # Importing the corrected file again does not double the good rows.
    again = p.reactions.import_file(dossier, path, actor="typist")
    assert again.imported == 0
    assert {e.row for e in again.errors} >= {2, 3, 9}
    assert len(list(p.reactions.reactions(dossier))) == 3


def test_csv_import_reports_bad_rows_and_keeps_good_ones(
    p: Participatie, dossier: uuid.UUID, tmp_path: Path
) -> None:
    path = tmp_path / "formulieren.csv"
    write_excel_csv(path, HEADER, ROWS)
    _check(p, dossier, path)


def test_xlsx_import_reports_bad_rows_and_keeps_good_ones(
    p: Participatie, dossier: uuid.UUID, tmp_path: Path
) -> None:
    path = tmp_path / "formulieren.xlsx"
    write_xlsx(path, [("Blad1", HEADER, ROWS)])
    _check(p, dossier, path)


def test_unreadable_file_is_refused(p: Participatie, dossier: uuid.UUID, tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("naam;adres\nA;B\n", encoding="utf-8")
    with pytest.raises(ImportFailed) as info:
        p.reactions.import_file(dossier, path, actor="typist")
    assert info.value.field == "file"
    with pytest.raises(ImportFailed):
        p.reactions.import_file(dossier, tmp_path / "x.pdf", actor="typist")
