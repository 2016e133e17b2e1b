"""Reading a spreadsheet somebody uploaded, within bounds: file size, zip members'
uncompressed size, rows, columns, cells and time, each refused by name when passed.

The whole table is read here, before any transaction opens, so a hostile file never
holds a database lock while it is being read.
"""

from __future__ import annotations

import csv
import io
import time
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from participatie.config import ImportSettings
from participatie.errors import ImportTooLarge, InvalidInput

XLSX_SUFFIXES = (".xlsx", ".xlsm")
CSV_SUFFIXES = (".csv", ".txt")


@dataclass(frozen=True)
class Table:
    """A header and the rows with data, each with its number as a spreadsheet shows it."""

    header: list[str]
    rows: list[tuple[int, list[Any]]]


def read_table(path: Path, bounds: ImportSettings, *, field: str = "file") -> Table:
    """Read the first sheet of an XLSX file, or a CSV file (``;`` or ``,``), within
    ``bounds``; ``ImportTooLarge`` names the bound that was passed.

    Empty rows are skipped; a sheet's declared size is ignored, so reading stops at the
    last row with data whatever the sheet claims.
    """

    guard = _Guard(bounds, path.name, field)
    size = path.stat().st_size
    if size > bounds.max_file_bytes:
        guard.refuse("max_file_bytes", f"the file is {size} bytes")
    suffix = path.suffix.lower()
    if suffix in XLSX_SUFFIXES:
        _check_zip(path, guard)
        return _table(_xlsx_rows(path, guard), guard)
    if suffix in CSV_SUFFIXES:
        return _table(_csv_rows(path, guard), guard)
    raise InvalidInput(f"cannot import {path.name}: use .csv or .xlsx", field=field)


class _Guard:
    def __init__(self, bounds: ImportSettings, name: str, field: str) -> None:
        self.bounds = bounds
        self.name = name
        self.field = field
        self.deadline = time.monotonic() + bounds.max_seconds
        self.cells = 0

    def refuse(self, bound: str, what: str) -> None:
        limit = getattr(self.bounds, bound)
        raise ImportTooLarge(
            f"{self.name}: {what}; the limit is {limit} (imports.{bound})",
            field=self.field,
            bound=f"imports.{bound}",
            limit=limit,
        )

    def row(self, number: int, cells: Sequence[Any]) -> list[Any] | None:
        """The row's cells up to its last value, or None for an empty row; refuses a
        row or column past the bounds and keeps the time and cell count."""

        if time.monotonic() > self.deadline:
            self.refuse("max_seconds", f"reading took longer than {self.bounds.max_seconds} s")
        last = 0
        for index, value in enumerate(cells, start=1):
            if value is not None and str(value).strip() != "":
                last = index
                if index > self.bounds.max_columns:
                    self.refuse("max_columns", f"row {number} has a value in column {index}")
        if last == 0:
            return None
        if number > self.bounds.max_rows:
            self.refuse("max_rows", f"row {number} has values")
        self.cells += last
        if self.cells > self.bounds.max_cells:
            self.refuse("max_cells", f"more than {self.bounds.max_cells} cells up to row {number}")
        return list(cells[:last])


def _table(rows: Iterable[tuple[int, Sequence[Any]]], guard: _Guard) -> Table:
    header: list[str] | None = None
    out: list[tuple[int, list[Any]]] = []
    for number, cells in rows:
        kept = guard.row(number, cells)
        if kept is None:
            continue
        if header is None:
            header = ["" if v is None else str(v) for v in kept]
            continue
        out.append((number, kept))
    if header is None:
        raise InvalidInput(f"{guard.name} is empty", field=guard.field)
    return Table(header=header, rows=out)


def _check_zip(path: Path, guard: _Guard) -> None:
    """Declared and actual uncompressed sizes, before openpyxl reads a byte of XML."""

    bounds = guard.bounds
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            if len(members) > bounds.max_zip_members:
                guard.refuse("max_zip_members", f"the workbook has {len(members)} parts")
            declared = sum(m.file_size for m in members)
            if declared > bounds.max_uncompressed_bytes:
                guard.refuse("max_uncompressed_bytes", f"it unpacks to {declared} bytes")
            # The declared sizes may lie: count what really comes out, and stop early.
            actual = 0
            for member in members:
                with archive.open(member) as stream:
                    while chunk := stream.read(1 << 16):
                        actual += len(chunk)
                        if actual > bounds.max_uncompressed_bytes:
                            guard.refuse(
                                "max_uncompressed_bytes", "it unpacks to more than declared"
                            )
                        if time.monotonic() > guard.deadline:
                            guard.refuse("max_seconds", "unpacking took too long")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError) as exc:
        raise InvalidInput(f"cannot read {path.name}: {exc}", field=guard.field) from None


def _xlsx_rows(path: Path, guard: _Guard) -> Iterable[tuple[int, Sequence[Any]]]:
    try:
        from openpyxl import load_workbook
    except ImportError as exc:  # pragma: no cover - depends on the extra
        raise InvalidInput("XLSX import needs the 'reports' extra", field=guard.field) from exc
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise InvalidInput(f"cannot read {path.name}: {exc}", field=guard.field) from None
    try:
        sheet: Any = workbook.worksheets[0]
        # The sheet's own claim (A1:XFD1048576, say) would pad every row to it.
        sheet.reset_dimensions()
        yield from enumerate(sheet.iter_rows(values_only=True), start=1)
    except Exception as exc:
        raise InvalidInput(f"cannot read {path.name}: {exc}", field=guard.field) from None
    finally:
        workbook.close()


def _csv_rows(path: Path, guard: _Guard) -> Iterable[tuple[int, Sequence[Any]]]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for row in reader:
            yield reader.line_num, row
    except csv.Error as exc:
        raise InvalidInput(
            f"cannot read {path.name} at line {reader.line_num}: {exc}", field=guard.field
        ) from None


__all__ = [
    "CSV_SUFFIXES",
    "XLSX_SUFFIXES",
    "Table",
    "read_table",
]
