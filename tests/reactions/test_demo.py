from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from participatie.clock import FixedClock
from participatie.config import Settings
from participatie.demo import seed_areas
from participatie.engine import Participatie
from participatie.outbox.mailers import FolderMailer
from participatie.reactions.demo import run_demo
from participatie.testing import TEST_SECRET

EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
POSTCODE_NUMBER = re.compile(r"\b[1-9]\d{3}\s?[A-Za-z]{2}\b[\s,]*\d")


@pytest.mark.slow
def test_demo_must_show(tmp_path: Path) -> None:
    """The dog-policy case on SQLite: the outputs the issue's "Must show" names."""

    settings = Settings.load(
        database_url=f"sqlite:///{tmp_path / 'demo.db'}",
        secret_keys=[TEST_SECRET],
        sqlite_synchronous="OFF",
    )
    clock = FixedClock(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))
    p = Participatie(settings, clock=clock, mailer=FolderMailer(tmp_path / "mail"))
    try:
        p.create_all()
        seed_areas(p)
        out = tmp_path / "hondenbeleid"
        out.mkdir()
        result = run_demo(p, out, clock, lambda _line: None)
    finally:
        p.dispose()
    stats = json.loads((out / "stats.json").read_text(encoding="utf-8"))
    assert stats == json.loads(json.dumps(result, default=str))
    assert stats["reactions"] == 1000
    assert stats["per_channel"]["web"] == 400
    assert stats["per_channel"]["paper"] == 600
    assert stats["themes"] >= 10
    assert all(stats["per_outcome"][o] > 0 for o in stats["per_outcome"])
    assert stats["notified_by_email"] > 0
    assert stats["letters"] > 0
    assert stats["import_errors"] == 5

    public = (out / "nota.html").read_text(encoding="utf-8")
    assert not EMAIL.search(public)
    assert not POSTCODE_NUMBER.search(public)
    assert "[e-mailadres]" in public
    internal = (out / "nota-internal.html").read_text(encoding="utf-8")
    assert "Bijlage: indieners" in internal
    assert len(EMAIL.findall(internal)) > 500
    assert (out / "nota.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    letters = list((out / "brieven").rglob("brief-*.html"))
    assert len(letters) == stats["letters"]
    assert list((out / "brieven" / "antwoord").glob("*.pdf"))
    mails = list((tmp_path / "mail").glob("*.eml"))
    assert len(mails) >= stats["notified_by_email"]
    assert (out / "overdue.csv").exists()
    assert (out / "archief" / "SHA256SUMS").exists()
