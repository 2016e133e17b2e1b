"""Check that PostgreSQL and MariaDB answer before the suite runs (stdlib only).

A plain TCP connect plus the server greeting: enough to tell "not running" from "running",
without needing the drivers that `make test` installs afterwards.
"""

from __future__ import annotations

import os
import socket
import sys
import time
from urllib.parse import urlsplit


def answers(url: str, timeout: float = 30.0) -> str | None:
    parts = urlsplit(url.replace("+psycopg", "").replace("+pymysql", ""))
    host, port = parts.hostname or "127.0.0.1", parts.port
    deadline = time.monotonic() + timeout
    last = "no attempt"
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port or 0), timeout=3) as sock:
                if parts.scheme.startswith("mysql"):
                    greeting = sock.recv(64)
                    if not greeting:
                        raise OSError("closed without a greeting")
                return None
        except OSError as exc:
            last = str(exc)
            time.sleep(1)
    return f"{host}:{port}: {last}"


def main() -> int:
    failed = False
    for name in ("PARTICIPATIE_TEST_POSTGRES_URL", "PARTICIPATIE_TEST_MARIADB_URL"):
        url = os.environ.get(name)
        if not url:
            print(f"{name} is not set", file=sys.stderr)
            failed = True
            continue
        problem = answers(url)
        if problem:
            print(f"{name}: database does not answer ({problem})", file=sys.stderr)
            failed = True
        else:
            print(f"{name}: answers")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
