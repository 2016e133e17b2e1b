"""The Paddepoel demo's "must show": files, figures, winners, hash and recount."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from pathlib import Path

from participatie.clock import FixedClock
from participatie.demo import seed_areas
from participatie.exports import sha256_file
from participatie.polls.demo import run_demo
from participatie.testing import TEST_START, make_participatie


def test_paddepoel_demo(tmp_path: Path) -> None:
    clock = FixedClock(TEST_START)
    p = make_participatie(f"sqlite:///{tmp_path / 'demo.db'}", clock=clock)
    p.create_all()
    seed_areas(p)
    out = tmp_path / "paddepoel"
    out.mkdir()
    lines: list[str] = []
    try:
        result = run_demo(p, out, clock, lines.append)
    finally:
        p.dispose()
    for name in ("tally.json", "tally.csv", "tally.html", "tally.xlsx", "ballots.json"):
        assert (out / name).stat().st_size > 0, name
    tally = json.loads((out / "tally.json").read_text(encoding="utf-8"))
    ballots = json.loads((out / "ballots.json").read_text(encoding="utf-8"))
    assert tally["eligible"] == 354
    assert tally["ballots"] == 128 == len(ballots)
    assert tally["turnout"] == round(128 / 354, 4)
    assert tally["rule"] == "approval" and tally["seats"] == 2
    assert sorted(tally["winners"]) == ["Ecozone", "Hoog Paddepoel"]
    assert tally["ties"] == []
    assert tally["ballots_sha256"] == sha256_file(out / "ballots.json") == result["ballots_sha256"]
    # Recount from the published file alone.
    approvals: Counter[str] = Counter()
    per_channel: Counter[tuple[str, str]] = Counter()
    for ballot in ballots:
        assert set(ballot) >= {"tracker", "channel", "choices", "invalid"}
        if not ballot["invalid"]:
            approvals.update(ballot["choices"])
            per_channel.update((name, ballot["channel"]) for name in ballot["choices"])
    for option in tally["options"]:
        assert option["votes"] == approvals[option["name"]]
        for channel, n in option["channels"].items():
            assert n == per_channel[(option["name"], channel)]
    channels = Counter(b["channel"] for b in ballots)
    assert tally["channels"]["paper"] == channels["paper"] == 24
    assert tally["channels"]["online"] == channels["online"] == 104
    assert tally["blank"] == sum(1 for b in ballots if not b["choices"] and not b["invalid"]) >= 1
    assert tally["invalid"] == sum(1 for b in ballots if b["invalid"]) == 1
    # The double entry: one mismatch, resolved by a third person.
    mismatches = tally["paper"]["mismatches"]
    assert len(mismatches) == 1 and mismatches[0]["resolved_by"]
    assert tally["paper"]["envelopes_counted"] == tally["paper"]["sheets_entered"] == 24
    assert tally["reconciliation"]["matches"] is True
    # Excel CSV: BOM, semicolons; HTML: an inline SVG chart and no script.
    raw = (out / "tally.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "onderdeel"
    html = (out / "tally.html").read_text(encoding="utf-8")
    assert "<svg" in html and "<script" not in html and tally["ballots_sha256"] in html
    assert any("refused (typo)" in line and "poll.code_typo" in line for line in lines)
    assert any("recount of ballots.json matches" in line for line in lines)
