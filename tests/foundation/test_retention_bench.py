"""The retention benchmark runs and checks itself on a small scale: the jobs erase all it
loaded, in more than one write transaction."""

from __future__ import annotations

import pytest

from benchmarks import retention_bench
from participatie.petitions import jobs as petition_jobs
from participatie.polls import retention


def test_polls_retention_bench(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(retention, "BATCH", 20)
    monkeypatch.setattr(retention, "MESSAGES_PER_STEP", 20)
    out = retention_bench.polls(50)
    assert out["left"] == {"address_hashes": 0, "voter_keys": 0, "mails": 0}
    assert out["write_transactions"] >= 3 + 3  # the steps, besides the runner's own


def test_petitions_anonymise_bench(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(petition_jobs, "ANONYMISE_STEP", 20)
    out = retention_bench.petitions(50)
    assert out["left"] == {"addresses": 0, "mails": 0}
    assert out["write_transactions"] >= 3 + 1


def test_digest_bench(monkeypatch: pytest.MonkeyPatch) -> None:
    from participatie.subscriptions import delivery

    monkeypatch.setattr(delivery, "PAGE", 20)
    out = retention_bench.digest(50)
    assert out["left"] == {"not_queued": 0}
    assert out["write_transactions"] >= 3 + 1  # three pages, besides the runner's own
