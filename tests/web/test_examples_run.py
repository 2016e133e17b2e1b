"""The commands in ``examples/README.md`` run as written: each shell block is taken from
the README and run in bash (only the port is changed to a free one), the servers are
probed over HTTP and stopped, bounded waits everywhere."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from participatie.testing import free_port, make_participatie
from tests.web.helpers import open_petition

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "examples" / "README.md"
STARTUP_SECONDS = 90

pytestmark = pytest.mark.slow


def blocks() -> dict[str, str]:
    """The README's shell blocks by the heading above them (the first: the set-up)."""

    text = README.read_text(encoding="utf-8")
    found: dict[str, str] = {}
    heading = "setup"
    for line_block in re.finditer(r"^## ([^\n]+)$|^```sh\n(.*?)^```", text, re.M | re.S):
        if line_block.group(1):
            heading = line_block.group(1).split(":")[0].strip().lower()
        else:
            found[heading] = line_block.group(2).strip()
    return found


def shell(command: str, cwd: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARTICIPATIE_")}
    env["PYTHONPATH"] = str(ROOT)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    script = f"set -e\n{blocks()['setup']}\n{command}"
    return subprocess.Popen(
        ["bash", "-c", script],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310
            return int(response.status), response.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")


def wait_for(process: subprocess.Popen[bytes], url: str) -> tuple[int, str]:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read().decode() if process.stdout else ""
            pytest.fail(f"the example stopped:\n{output}")
        try:
            return get(url)
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"no answer from {url} in {STARTUP_SECONDS} s")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the command's whole process group (bash and the server it started)."""

    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


def with_port(command: str, port: int) -> str:
    changed = re.sub(r"--port \d+", f"--port {port}", command)
    assert changed != command, "every server command in the README names its port"
    return changed.replace("\\\n", " ")


def test_fastapi_example_runs_as_the_readme_says(tmp_path: Path) -> None:
    port = free_port()
    process = shell(with_port(blocks()["fastapi"], port), tmp_path)
    try:
        status, html = wait_for(process, f"http://127.0.0.1:{port}/")
        assert status == 200 and 'href="/meedoen/"' in html
        status, html = get(f"http://127.0.0.1:{port}/meedoen/")
        assert status == 200 and '<html lang="nl"' in html
    finally:
        stop(process)
    assert (tmp_path / "fastapi-example.db").exists()


@pytest.mark.parametrize(("name", "database"), [("flask", "flask"), ("django", "django")])
def test_flask_and_django_examples_run_as_the_readme_says(
    name: str, database: str, tmp_path: Path
) -> None:
    port = free_port()
    process = shell(with_port(blocks()[name], port), tmp_path)
    try:
        status, _ = wait_for(process, f"http://127.0.0.1:{port}/petitions/unknown")
        assert status in (404, 400), status
        p = make_participatie(f"sqlite:///{tmp_path / f'{database}-example.db'}")
        try:
            petition = open_petition(p)
        finally:
            p.dispose()
        status, html = get(f"http://127.0.0.1:{port}/petitions/{petition.id}")
        assert status == 200, html
        assert petition.title in html
    finally:
        stop(process)


def test_alembic_example_runs_as_the_readme_says(tmp_path: Path) -> None:
    process = shell(blocks()["alembic"], tmp_path)
    try:
        assert process.wait(timeout=120) == 0, process.stdout.read() if process.stdout else ""
    finally:
        if process.poll() is None:
            stop(process)
    assert (tmp_path / "host.db").exists()
