"""The polls benchmark runs and checks itself on a small scale, so it cannot drift from the
tables it writes to (its raw side inserts ballots as casting does)."""

from __future__ import annotations

from benchmarks import polls_bench


def test_cast_benchmark_runs_both_sides() -> None:
    out = polls_bench.cast("sqlite", None, 20, block=10)
    assert out["ballots"] == 20
    assert out["api_ballots_per_s"] > 0 and out["raw_ballots_per_s"] > 0


def test_tally_benchmark_closes_what_it_loaded() -> None:
    out = polls_bench.tally("sqlite", None, 300, None)
    assert out["ballots"] == 300
    # Fewer than a mix: the job mixed nothing, closing mixed every live ballot.
    assert out["mixed_at_closing"] == 300
    # SQLite: another connection wrote while the poll closed and was published.
    assert out["longest_write_wait_closing_seconds"] is not None
    assert out["longest_write_wait_publishing_seconds"] is not None
    assert out["choices"] == sum(1 for i in range(300) if i % 50) * 2 - sum(
        1 for i in range(300) if i % 50 and i % 5 + 1 == (i * 7 // 3) % 5 + 1
    )
