"""The petitions benchmark runs and checks itself on a small scale, so its raw sides
cannot drift from the tables and statements the API uses (each side ends with the count
checked)."""

from __future__ import annotations

from typing import Any

import pytest

from benchmarks import petitions_bench


@pytest.mark.parametrize("side", ["api", "raw", "minimal"])
@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"], indirect=True)
def test_cycles_count_every_signer(dialect: str, servers: Any, side: str) -> None:
    """SQLite and PostgreSQL, the two databases the benchmark measures."""

    url = servers.url(dialect) if dialect == "postgresql" else None
    out = petitions_bench.cycles(dialect, url, 24, 2, side)
    assert out["signers"] == out["verified_counted"] == 24
