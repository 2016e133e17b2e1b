"""``participatie polls``: list, the one-time codes export and the tally in each format."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from participatie.cli import main
from participatie.polls.schemas import BallotIn
from participatie.testing import TEST_SECRET, make_participatie
from tests.polls.conftest import make_poll


def test_cli_codes_once_and_tally(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    p = make_participatie(url)
    p.create_all()
    poll = make_poll(p)
    env = {"PARTICIPATIE_SECRET_KEYS": TEST_SECRET, "PARTICIPATIE_DATABASE_URL": url}
    runner = CliRunner()

    listed = runner.invoke(main, ["polls", "list"], env=env)
    assert listed.exit_code == 0, listed.output
    assert str(poll.id) in listed.output and "draft" in listed.output

    addresses = tmp_path / "adressen.csv"
    addresses.write_text("adres;postcode\nZonnelaan 1;9742 BA\nZonnelaan 3;9742ba\n", "utf-8")
    letters = tmp_path / "letters.csv"
    first = runner.invoke(
        main,
        ["polls", "codes", str(poll.id), "--out", str(letters), "--addresses", str(addresses)],
        env=env,
    )
    assert first.exit_code == 0, first.output
    rows = letters.read_text(encoding="utf-8-sig").splitlines()
    assert rows[0] == "volgnummer;adres;stemcode;stemadres"
    assert rows[1].startswith("1;Zonnelaan 1, 9742 BA;")
    again = runner.invoke(
        main,
        ["polls", "codes", str(poll.id), "--out", str(tmp_path / "b.csv"), "--count", "2"],
        env=env,
    )
    assert again.exit_code == 2 and "poll.codes_already_issued" in again.output
    assert not (tmp_path / "b.csv").exists()

    code = rows[1].split(";")[2]
    p.polls.open(poll.id, actor="a")
    p.polls.cast(poll.id, BallotIn(choices=["Ecozone"]), code=code)
    early = runner.invoke(
        main, ["polls", "tally", str(poll.id), "--out", str(tmp_path / "t.json")], env=env
    )
    assert early.exit_code == 2 and "state.invalid" in early.output
    closed = runner.invoke(main, ["polls", "close", str(poll.id)], env=env)
    assert closed.exit_code == 0, closed.output
    assert p.polls.get(poll.id).state == "closed"
    listed = runner.invoke(main, ["polls", "mismatches", str(poll.id)], env=env)
    assert "no differences" in listed.output
    for fmt in ("html", "csv", "json", "xlsx", "pdf"):
        out = tmp_path / f"t.{fmt}"
        result = runner.invoke(
            main, ["polls", "tally", str(poll.id), "--format", fmt, "--out", str(out)], env=env
        )
        assert result.exit_code == 0, result.output
        assert out.stat().st_size > 0
    data = json.loads((tmp_path / "t.json").read_text(encoding="utf-8"))
    assert data["eligible"] == 2 and data["ballots"] == 1
    ballots = runner.invoke(
        main, ["polls", "ballots", str(poll.id), "--out", str(tmp_path / "b.json")], env=env
    )
    assert ballots.exit_code == 0 and data["ballots_sha256"] in ballots.output
    published = runner.invoke(main, ["polls", "publish", str(poll.id)], env=env)
    assert published.exit_code == 0, published.output
    assert "winners Ecozone" in published.output
    assert p.polls.get(poll.id).state == "published"
    p.dispose()
