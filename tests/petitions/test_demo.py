"""The Grote Markt demo on SQLite: the figures and files the case must show."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from participatie.clock import FixedClock
from participatie.config import Settings
from participatie.demo import seed_areas
from participatie.engine import Participatie
from participatie.outbox.mailers import FolderMailer
from participatie.petitions.demo import run_demo
from participatie.testing import TEST_SECRET


@pytest.mark.slow
def test_grote_markt_demo_must_show(tmp_path: Path) -> None:
    settings = Settings.load(
        database_url=f"sqlite:///{tmp_path / 'demo.db'}",
        secret_keys=[TEST_SECRET],
        sqlite_synchronous="NORMAL",
    )
    clock = FixedClock(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))
    p = Participatie(settings, clock=clock, mailer=FolderMailer(tmp_path / "mail"))
    try:
        p.create_all()
        seed_areas(p)
        out = tmp_path / "grote-markt"
        out.mkdir()
        result = run_demo(p, out, clock, lambda line: None)
    finally:
        p.dispose()

    stats = json.loads((out / "stats.json").read_text(encoding="utf-8"))
    assert stats == result
    assert stats["verified"] >= 4000
    assert stats["fraudulent"] >= 1
    assert stats["invalidated"] >= 1
    assert stats["pending"] >= 1
    assert stats["duplicates_same_answer"] >= 1
    assert stats["invalid_addresses_refused"] >= 1
    assert stats["per_area"]["centrum"]["paper"] > 0
    assert sum(a["online"] for a in stats["per_area"].values()) == stats["verified"]

    data = (out / "signatures.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert len(rows[0]) > 1  # semicolons separate the columns
    assert len(rows) - 1 == stats["verified"] == stats["signatures_csv"]["rows"]
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@")), row
    assert any(row[1].startswith("'=") for row in rows[1:])  # the signer named "=..."

    html = (out / "handover.html").read_text(encoding="utf-8")
    assert stats["signatures_csv"]["sha256"] in html
    public = json.loads((out / "public.json").read_text(encoding="utf-8"))
    assert "fraudulent" not in public
    assert public["verified"] == stats["verified"]
    assert len(list((tmp_path / "mail").glob("*.eml"))) > stats["verified"]
