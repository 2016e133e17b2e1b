"""Uploaded spreadsheets are read within bounds (size, unpacked size, rows, columns,
cells, time), before any transaction, whatever the file claims about itself."""

from __future__ import annotations

import threading
import time
import uuid
import zipfile
from pathlib import Path

import pytest

from participatie.clock import FixedClock
from participatie.config import ImportSettings
from participatie.engine import Participatie
from participatie.errors import ImportTooLarge, InvalidInput
from participatie.exports.writers import write_xlsx
from participatie.imports_bounds import read_table
from participatie.testing import make_participatie

SHEET = "xl/worksheets/sheet1.xml"
NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def _workbook_with_sheet(tmp_path: Path, name: str, sheet_xml: str, *, level: int = 9) -> Path:
    """A real workbook (openpyxl's) with its first sheet replaced by ``sheet_xml``."""

    base = tmp_path / "base.xlsx"
    write_xlsx(base, [("Blad1", ["tekst"], [["x"]])])
    path = tmp_path / name
    with zipfile.ZipFile(base) as src, zipfile.ZipFile(path, "w") as out:
        for item in src.infolist():
            data = sheet_xml.encode() if item.filename == SHEET else src.read(item.filename)
            out.writestr(item.filename, data, zipfile.ZIP_DEFLATED, compresslevel=level)
    return path


def _sheet(dimension: str, rows: str) -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet {NS}>'
        f'<dimension ref="{dimension}"/><sheetData>{rows}</sheetData></worksheet>'
    )


def _cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def test_far_corner_cell_is_refused_at_once(
    p: Participatie, dossier: uuid.UUID, tmp_path: Path
) -> None:
    # 1.5 KB that claims A1:XFD1048576 with one value at the far corner.
    rows = f'<row r="1">{_cell("A1", "tekst")}</row>'
    rows += f'<row r="1048576">{_cell("XFD1048576", "x")}</row>'
    path = _workbook_with_sheet(tmp_path, "hoek.xlsx", _sheet("A1:XFD1048576", rows))
    assert path.stat().st_size < 10_000
    started = time.monotonic()
    with pytest.raises(ImportTooLarge) as info:
        p.reactions.import_file(dossier, path, actor="typist")
    assert time.monotonic() - started < 5
    assert info.value.details["bound"] in ("imports.max_columns", "imports.max_rows")
    assert info.value.code == "import.too_large"
    assert list(p.reactions.reactions(dossier)) == []


def test_millions_of_empty_rows_are_refused_by_unpacked_size(tmp_path: Path) -> None:
    # About 40 KB on disk: 4.5 million empty rows, refused with the default bounds before
    # openpyxl reads any of them.
    rows = f'<row r="1">{_cell("A1", "tekst")}</row>' + "<row/>" * 4_500_000
    path = _workbook_with_sheet(tmp_path, "leeg.xlsx", _sheet("A1:A4500000", rows))
    assert path.stat().st_size < 100_000
    started = time.monotonic()
    with pytest.raises(ImportTooLarge) as info:
        read_table(path, make_settings())
    assert info.value.details["bound"] == "imports.max_uncompressed_bytes"
    assert time.monotonic() - started < 5


def test_zip_member_that_lies_about_its_size(tmp_path: Path) -> None:
    rows = f'<row r="1">{_cell("A1", "tekst")}</row>' + "<row/>" * 400_000
    path = _workbook_with_sheet(tmp_path, "liegt.xlsx", _sheet("A1", rows))
    # Rewrite the sheet's declared size in both headers to 100 bytes.
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(SHEET)
    real = info.file_size.to_bytes(4, "little")
    assert data.count(real) >= 2
    data = data.replace(real, (100).to_bytes(4, "little"))
    path.write_bytes(bytes(data))
    # Python's zip reader stops at the declared size; the check reads every member
    # through to its checksum, so the lie is found before openpyxl parses anything.
    with pytest.raises(InvalidInput, match="Bad CRC-32"):
        read_table(path, make_settings(max_uncompressed_bytes=1024 * 1024))


def test_rows_columns_cells_and_trailing_claims(tmp_path: Path) -> None:
    # A declared size far past the data is ignored: reading stops at the last value.
    rows = f'<row r="1">{_cell("A1", "tekst")}{_cell("B1", "naam")}</row>'
    rows += f'<row r="2">{_cell("A2", "Meer bankjes")}{_cell("B2", "Els")}</row>'
    path = _workbook_with_sheet(tmp_path, "claim.xlsx", _sheet("A1:XFD1048576", rows))
    table = read_table(path, make_settings())
    assert table.header == ["tekst", "naam"]
    assert table.rows == [(2, ["Meer bankjes", "Els"])]

    csv_rows = tmp_path / "rijen.csv"
    csv_rows.write_text("tekst\n" + "".join(f"r{n}\n" for n in range(30)), "utf-8")
    _refused(csv_rows, "imports.max_rows", max_rows=20)
    wide = tmp_path / "breed.csv"
    wide.write_text("tekst" + ";" * 30 + "x\n", "utf-8")
    _refused(wide, "imports.max_columns", max_columns=10)
    many = tmp_path / "veel.csv"
    many.write_text("a;b;c;d;e\n" * 50, "utf-8")
    _refused(many, "imports.max_cells", max_cells=100)
    big = tmp_path / "groot.csv"
    big.write_text("tekst\n" + "x" * 5000, "utf-8")
    _refused(big, "imports.max_file_bytes", max_file_bytes=2048)
    slow = tmp_path / "traag.csv"
    slow.write_text("tekst\n" + "\n" * 300_000, "utf-8")
    _refused(slow, "imports.max_seconds", max_seconds=0.001)


def test_a_signature_is_not_held_up_by_an_import(
    p: Participatie, dossier: uuid.UUID, tmp_path: Path, clock: FixedClock
) -> None:
    # The file is read before the import's transaction opens, so a resident writing at
    # the same time does not wait for the reading (on SQLite: for the write lock).
    slow = tmp_path / "traag.csv"
    slow.write_text("tekst\n" + "\n" * 1_500_000 + "Meer bankjes\n", "utf-8")
    q = make_participatie(
        p.settings.database_url, engine=p.engine, clock=clock, imports={"max_rows": 2_000_000}
    )
    from participatie.petitions.schemas import SignatureIn
    from tests.web.helpers import open_petition

    petition = open_petition(q)
    outcome: list[object] = []
    reader = threading.Thread(
        target=lambda: outcome.append(q.reactions.import_file(dossier, slow, actor="typist"))
    )
    reader.start()
    time.sleep(0.2)
    started = time.monotonic()
    q.petitions.sign(
        petition.id, SignatureIn(name="Els", email="els@example.nl", postcode="9742 AB")
    )
    signed_in = time.monotonic() - started
    reader.join(timeout=120)
    assert outcome and getattr(outcome[0], "imported", None) == 1
    assert signed_in < 1.0


def test_upload_over_http_names_the_bound(p: Participatie, dossier: uuid.UUID) -> None:
    import base64

    from fastapi.testclient import TestClient

    from participatie.web import create_app
    from tests.web.conftest import allow_all

    content = ("tekst" + ";" * 200 + "x\n").encode()
    with TestClient(create_app(p, authorize=allow_all)) as c:
        answer = c.post(
            f"/api/admin/dossiers/{dossier}/import",
            json={"filename": "breed.csv", "content_base64": base64.b64encode(content).decode()},
        )
    assert answer.status_code == 413
    assert answer.json()["code"] == "import.too_large"
    assert "imports.max_columns" in answer.json()["detail"]


def make_settings(**bounds: object) -> ImportSettings:
    return ImportSettings.model_validate(bounds)


def _refused(path: Path, bound: str, **bounds: object) -> None:
    with pytest.raises(ImportTooLarge) as info:
        read_table(path, make_settings(**bounds))
    assert info.value.details["bound"] == bound
    assert bound in info.value.message
