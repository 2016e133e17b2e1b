"""The subscriptions demo on SQLite with the Paddepoel poll: digests land in ``mail/``
with RFC 8058 headers, and one resident leaves by the one-click POST."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from participatie.clock import FixedClock
from participatie.config import Settings
from participatie.demo import seed_areas
from participatie.engine import Participatie
from participatie.outbox.mailers import FolderMailer
from participatie.polls import demo as poll_demo
from participatie.subscriptions import demo
from participatie.testing import TEST_SECRET


def test_demo_digests_carry_one_click_headers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As after `pip install 'participatie[web]'`: no HTTP client library. The one-click
    # POST still goes through the web app.
    for name in ("httpx", "fastapi.testclient", "starlette.testclient"):
        monkeypatch.setitem(sys.modules, name, None)
    said: list[str] = []
    settings = Settings.load(
        database_url=f"sqlite:///{tmp_path / 'demo.db'}",
        secret_keys=[TEST_SECRET],
        sqlite_synchronous="NORMAL",
        public_base_url="https://participatie.example.nl",
    )
    clock = FixedClock(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))
    p = Participatie(settings, clock=clock, mailer=FolderMailer(tmp_path / "mail"))
    try:
        p.create_all()
        seed_areas(p)
        demo.prepare(p, clock, lambda line: None)
        (tmp_path / "paddepoel").mkdir()
        poll_demo.run_demo(p, tmp_path / "paddepoel", clock, lambda line: None)
        (tmp_path / "volgen").mkdir()
        result = demo.run_demo(p, tmp_path / "volgen", clock, said.append)
    finally:
        p.dispose()

    digests = []
    for path in sorted((tmp_path / "mail").glob("*.eml")):
        raw = path.read_bytes()
        if b"/subscriptions/unsubscribe/" not in raw:
            continue
        message = message_from_bytes(raw, policy=policy.default)
        value = str(message["List-Unsubscribe"])
        assert value.startswith("<https://participatie.example.nl/subscriptions/unsubscribe/")
        assert value.endswith(">") and value.isascii()
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        digests.append(str(message["To"]))
    # Every Paddepoel resident got the poll's news; the whole-municipality residents too.
    assert set(demo.PADDEPOEL) | set(demo.MUNICIPALITY) <= set(digests)
    assert result["subscribers"] == len(demo.PADDEPOEL) + len(demo.MUNICIPALITY) - 1
    assert any("one-click POST (web app, HTTP 200)" in line for line in said), said
