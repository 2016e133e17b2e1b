"""The distributions carry the licence, one version and what the tests and docs need."""

from __future__ import annotations

import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

import participatie

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    for kind in ("wheel", "sdist"):
        subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)]
            if kind == "wheel"
            else [sys.executable, "-c", _SDIST, str(ROOT), str(out)],
            check=True,
            capture_output=True,
            timeout=300,
        )
    return out


#: The sdist is built with hatchling itself (in the test extra), as `python -m build` does.
_SDIST = """
import sys
from hatchling.builders.sdist import SdistBuilder
list(SdistBuilder(sys.argv[1]).build(directory=sys.argv[2]))
"""


def test_wheel_ships_the_licence_and_the_version(dists: Path) -> None:
    (wheel,) = dists.glob("*.whl")
    assert f"-{participatie.__version__}-" in wheel.name
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        licence = next(n for n in names if n.endswith("licenses/LICENSE"))
        assert zf.read(licence).startswith(b"EUROPEAN UNION PUBLIC LICENCE v. 1.2")
        assert "participatie/py.typed" in names
        # The PDFs' font and its licence (exports/pdf.py).
        for font in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "LICENSE.txt"):
            assert f"participatie/exports/fonts/{font}" in names
        assert any(n.startswith("participatie/migrations/versions/") for n in names)
        metadata = zf.read(next(n for n in names if n.endswith("METADATA"))).decode()
    assert f"Version: {participatie.__version__}" in metadata
    assert "License-Expression: EUPL-1.2" in metadata


def test_sdist_holds_what_tests_types_and_docs_need(dists: Path) -> None:
    (sdist,) = dists.glob("*.tar.gz")
    with tarfile.open(sdist) as tf:
        names = {name.split("/", 1)[1] for name in tf.getnames() if "/" in name}
    for needed in (
        "LICENSE",
        "CHANGELOG.md",
        "README.md",
        "Makefile",
        "mkdocs.yml",
        "pyproject.toml",
        "tests/conftest.py",
        "docs/index.md",
        "examples/fastapi_host/app.py",
        "participatie/py.typed",
    ):
        assert needed in names, needed
