"""Writers that stream: a million rows go through without being held in memory."""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import json
import os
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import IO, Any
from uuid import UUID

from participatie.errors import MissingExtra
from participatie.exports.files import Output, binary_output

#: Cells starting with these are formulas to Excel and LibreOffice; they get a quote.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


_FORMULA_STARTS = frozenset(FORMULA_PREFIXES)


def csv_cell(value: Any) -> str:
    """Text of a cell, with a leading ``'`` where a spreadsheet would see a formula."""

    # Text and whole numbers first: nearly every cell of a million-row list is one.
    kind = type(value)
    if kind is str:
        text: str = value
        return "'" + text if text and text[0] in _FORMULA_STARTS else text
    if kind is int:
        return str(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nee"
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, int | float | Decimal):
        # Numbers stay numbers (a negative count is data, not a formula).
        return str(value)
    text = str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


class CountingSha256Writer:
    """A text sink that writes UTF-8 to a binary file and hashes exactly those bytes.

    Text is gathered up to ``BUFFER`` characters and then encoded, written and hashed in
    one go (a CSV writer calls ``write`` once per row: a million small writes otherwise);
    ``flush`` and ``hexdigest`` write what is gathered, so the digest is of the whole file.
    """

    BUFFER = 1 << 16

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self._hash = hashlib.sha256()
        self._parts: list[str] = []
        self._size = 0
        self.bytes_written = 0

    def write(self, text: str) -> int:
        self._parts.append(text)
        self._size += len(text)
        if self._size >= self.BUFFER:
            self.flush()
        return len(text)

    def flush(self) -> None:
        if not self._parts:
            return
        data = "".join(self._parts).encode("utf-8")
        self._parts.clear()
        self._size = 0
        self._raw.write(data)
        self._hash.update(data)
        self.bytes_written += len(data)

    def write_bytes(self, data: bytes) -> None:
        """Write UTF-8 bytes as they are, after the text gathered so far."""

        self.flush()
        self._raw.write(data)
        self._hash.update(data)
        self.bytes_written += len(data)

    def hexdigest(self) -> str:
        self.flush()
        return self._hash.hexdigest()


#: Rows written per batch: the csv module writes a batch into memory in one call, and the
#: batch's bytes are hashed and written together.
CSV_BATCH = 1000


def write_excel_csv(
    out: Output,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    escaped: bool = False,
) -> tuple[int, str]:
    """CSV for Dutch Excel: UTF-8 with BOM, semicolons, CRLF, formula cells escaped;
    streamed to ``out``, a path (mode 0600) or a binary file (``binary_output``).

    ``escaped``: the rows' cells are text already made safe with :func:`csv_cell`, or
    whole numbers, or text that cannot start a formula (a long list's producer does this
    for the few cells that need it, not for every cell).

    Returns (number of data rows, SHA-256 of the file's bytes).
    """

    with binary_output(out) as raw:
        sink = CountingSha256Writer(raw)
        buffer = io.StringIO()
        buffer.write("\ufeff")
        writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
        writer.writerow([csv_cell(h) for h in header])
        count = 0
        source = iter(rows)
        while batch := list(itertools.islice(source, CSV_BATCH)):
            if escaped:
                writer.writerows(batch)
            else:
                writer.writerows([list(map(csv_cell, row)) for row in batch])
            count += len(batch)
            sink.write(buffer.getvalue())
            buffer.seek(0)
            buffer.truncate()
        sink.write(buffer.getvalue())
        return count, sink.hexdigest()


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def deterministic_json(data: Any, *, indent: int | None = 2) -> bytes:
    """Same data, same bytes: sorted keys, fixed separators, UTF-8, trailing newline."""

    text = json.dumps(
        data,
        sort_keys=True,
        ensure_ascii=False,
        indent=indent,
        separators=(",", ": ") if indent is not None else (",", ":"),
        default=_json_default,
    )
    return (text + "\n").encode("utf-8")


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: str | os.PathLike[str]) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


#: Rows looked at to size a sheet's columns before it is streamed.
WIDTH_SAMPLE = 200


def write_xlsx(
    out: Output,
    sheets: Iterable[tuple[str, Sequence[str], Iterable[Sequence[Any]]]],
    *,
    creator: str | None = None,
    title: str | None = None,
    created: datetime | None = None,
) -> None:
    """Write sheets (name, header, rows) with openpyxl's write-only mode (``reports`` extra)
    to ``out``, a path (mode 0600) or a binary file.

    Each sheet has a bold header row that stays in view (frozen) and columns as wide as
    their header and first 200 rows need (8 to 60 characters); numbers stay numbers. Text
    cells that look like formulas are written as text, never as formulas. ``creator`` (the
    organisation, "participatie" when not given), ``title`` and ``created`` (the
    library's clock) go into the file's properties (openpyxl stamps the modification time
    itself when it saves).
    """

    try:
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Font
        from openpyxl.utils import get_column_letter
    except ImportError as exc:  # pragma: no cover - depends on the extra
        raise MissingExtra(
            "XLSX export needs the 'reports' extra: pip install participatie[reports]"
        ) from exc

    workbook = Workbook(write_only=True)
    workbook.properties.creator = creator or "participatie"
    workbook.properties.lastModifiedBy = creator or "participatie"
    if title:
        workbook.properties.title = title
    if created is not None:
        stamp = created.astimezone(UTC).replace(tzinfo=None) if created.tzinfo else created
        workbook.properties.created = stamp
    bold = Font(bold=True)
    for name, header, rows in sheets:
        sheet = workbook.create_sheet(title=name[:31])
        iterator = iter(rows)
        sample = list(itertools.islice(iterator, WIDTH_SAMPLE))
        for index, label in enumerate(header, start=1):
            longest = max(
                [len(str(label))]
                + [
                    max((len(part) for part in str(row[index - 1]).split("\n")), default=0)
                    for row in sample
                    if len(row) >= index and row[index - 1] is not None
                ]
            )
            sheet.column_dimensions[get_column_letter(index)].width = min(max(longest + 2, 8), 60)
        sheet.freeze_panes = "A2"
        head = []
        for label in header:
            cell = WriteOnlyCell(sheet, value=str(label))
            cell.font = bold
            head.append(cell)
        sheet.append(head)
        for row in itertools.chain(sample, iterator):
            cells = []
            for value in row:
                if isinstance(value, str):
                    cell = WriteOnlyCell(sheet, value=value)
                    cell.data_type = "s"  # never a formula
                    cells.append(cell)
                elif isinstance(value, datetime) and value.tzinfo is not None:
                    cells.append(WriteOnlyCell(sheet, value=value.replace(tzinfo=None)))
                else:
                    cells.append(WriteOnlyCell(sheet, value=value))
            sheet.append(cells)
    with binary_output(out) as fh:
        workbook.save(fh)


__all__ = [
    "FORMULA_PREFIXES",
    "CountingSha256Writer",
    "csv_cell",
    "deterministic_json",
    "sha256_bytes",
    "sha256_file",
    "write_excel_csv",
    "write_xlsx",
]
