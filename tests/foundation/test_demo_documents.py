"""The demo's documents as the archive and the residents get them: the organisation named
in every report, the tally PDF fit for the archive, no ISO date meant for people."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import zipfile
from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest

from tests.archive_pdf import check_archival_pdf, pdf_text, xmp

#: A date as YYYY-MM-DD (with or without a time after it).
ISO_DATE = re.compile(r"(?<![\w-])\d{4}-\d{2}-\d{2}(?![\w-])")
#: An internal key (``max_choices``, ``honoured_partially``), not part of an address,
#: a file name or an e-mail address.
SNAKE_KEY = re.compile(r"(?<![\w./@-])[a-z]+(?:_[a-z0-9]+)+(?![\w./@-])")


def people_text(path: Path) -> str:
    """The text of a file a person reads (page, letter, report, mail); "" for data files
    (JSON, CSV, the audit log, checksums) that programs and spreadsheets read."""

    suffix = path.suffix.lower()
    if suffix == ".html":
        text = path.read_text(encoding="utf-8")
        # Attribute values (links, datetime="...") are for programs.
        return re.sub(r"<[^>]*>", " ", text)
    if suffix == ".pdf":
        return pdf_text(path.read_bytes())
    if suffix == ".eml":
        message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        parts = [str(message["Subject"])]
        for part in message.walk():
            if part.get_content_type() == "text/plain":
                parts.append(part.get_content())
        return "\n".join(parts)
    if suffix == ".xlsx":
        with zipfile.ZipFile(path) as zf:
            names = [n for n in zf.namelist() if n.startswith("xl/") and n.endswith(".xml")]
            return re.sub(r"<[^>]*>", " ", " ".join(zf.read(n).decode() for n in names))
    if suffix == ".docx":
        with zipfile.ZipFile(path) as zf:
            return re.sub(r"<[^>]*>", " ", zf.read("word/document.xml").decode())
    return ""


@pytest.mark.slow
def test_demo_must_show(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PARTICIPATIE_")},
        "PARTICIPATIE_ORGANISATION__NAME": "Gemeente Groningen",
    }
    done = subprocess.run(
        [str(Path(sys.executable).with_name("participatie")), "demo", "--out", str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    for name in ("paddepoel/tally.html", "grote-markt/handover.html", "hondenbeleid/nota.html"):
        assert "Gemeente Groningen" in (out / name).read_text(encoding="utf-8"), name
    tally_pdf = (out / "paddepoel" / "tally.pdf").read_bytes()
    from pypdf import PdfReader

    created = PdfReader(io.BytesIO(tally_pdf)).metadata.creation_date  # type: ignore[union-attr]
    assert created is not None and created.year == 2026
    text = check_archival_pdf(
        tally_pdf,
        title="Uitslag: Speelplekken Paddepoel",
        author="Gemeente Groningen",
        created=created.astimezone(UTC),
        names=("Hoog Paddepoel", "Ecozone"),
    )
    assert "Gemeente Groningen" in text
    assert created < datetime(2027, 1, 1, tzinfo=UTC)
    for name in ("grote-markt/handover.pdf", "hondenbeleid/nota.pdf"):
        assert "<pdfaid:part>2</pdfaid:part>" in xmp((out / name).read_bytes()), name
    # No date written as YYYY-MM-DD and no internal key for people, in any page, letter,
    # report or mail.
    found: dict[str, list[str]] = {}
    keys: dict[str, list[str]] = {}
    for path in sorted(out.rglob("*")):
        if path.is_file():
            text = people_text(path)
            dates = ISO_DATE.findall(text)
            if dates:
                found[str(path.relative_to(out))] = dates[:3]
            named = SNAKE_KEY.findall(text)
            if named:
                keys[str(path.relative_to(out))] = named[:3]
    assert not found, dict(list(found.items())[:10])
    assert not keys, dict(list(keys.items())[:10])
