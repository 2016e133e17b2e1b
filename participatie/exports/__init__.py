"""Shared writers for exports and reports: Excel-safe CSV, deterministic JSON, XLSX
(write-only, streams), SHA-256 of what was written, and simple PDF documents."""

from participatie.exports.writers import (
    CountingSha256Writer,
    csv_cell,
    deterministic_json,
    sha256_bytes,
    sha256_file,
    write_excel_csv,
    write_xlsx,
)

__all__ = [
    "CountingSha256Writer",
    "csv_cell",
    "deterministic_json",
    "sha256_bytes",
    "sha256_file",
    "write_excel_csv",
    "write_xlsx",
]
