"""The docs as a contract: every ```python block in ``docs/`` and the README runs.

A page's blocks run in order in one namespace, in a temporary folder, against a SQLite
database in that folder and a real SMTP server on loopback (``PARTICIPATIE_*`` variables
point there). A page prepares what a reader has in hand but the text does not show in a
hidden comment, run where it stands::

    <!-- docs-setup
    from participatie.testing import confirmation_token
    -->

A block meant to be pasted into another program (an Alembic ``env.py``) or that would not
return (a server) is marked by ``<!-- docs-fragment -->`` in the text just before it (at
the end of the line that introduces it, so it stays inside a list), and only compiled.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from participatie.testing import TEST_SECRET, smtp_server

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").rglob("*.md")])

FENCE = re.compile(r"^(?P<indent> *)```(?P<lang>[\w-]*)\s*$")
SETUP = re.compile(r"^ *<!-- docs-setup\s*$")
#: Anywhere in a line, but not quoted in backticks (as where the README explains it).
FRAGMENT = re.compile(r"(?<!`)<!-- docs-fragment -->")


@dataclass(frozen=True)
class Block:
    """One piece of Python on a page: a code block, or a hidden set-up comment."""

    page: Path
    line: int  # 1-based line of the first line of code
    code: str
    kind: str  # "block", "setup" or "fragment"

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def blocks(page: Path) -> list[Block]:
    """The Python of ``page`` in reading order."""

    lines = page.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    fragment = False
    index = 0
    while index < len(lines):
        line = lines[index]
        if SETUP.match(line):
            end = next(i for i in range(index + 1, len(lines)) if lines[i].strip() == "-->")
            code = "\n".join(lines[index + 1 : end])
            found.append(Block(page, index + 2, code, "setup"))
            index = end + 1
            continue
        if FRAGMENT.search(line):
            fragment = True
            index += 1
            continue
        fence = FENCE.match(line)
        if fence:
            indent = len(fence["indent"])
            end = next(i for i in range(index + 1, len(lines)) if lines[i].strip() == "```")
            if fence["lang"] == "python":
                code = "\n".join(text[indent:] for text in lines[index + 1 : end])
                kind = "fragment" if fragment else "block"
                found.append(Block(page, index + 2, code, kind))
            fragment = False
            index = end + 1
            continue
        if line.strip():
            fragment = False
        index += 1
    return found


def pages_with_code() -> list[Path]:
    return [page for page in PAGES if any(b.kind != "setup" for b in blocks(page))]


@pytest.fixture
def reader(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh folder and environment, as a reader who pastes the page into a file has.

    The library's logger is put back afterwards: the operations page configures it.
    """

    library = logging.getLogger("participatie")
    saved = (library.level, list(library.handlers), library.propagate, library.disabled)
    monkeypatch.setattr(library, "handlers", list(library.handlers))
    for name in list(os.environ):
        if name.startswith("PARTICIPATIE_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    with smtp_server() as sink:
        monkeypatch.setenv("PARTICIPATIE_SECRET_KEYS", TEST_SECRET)
        monkeypatch.setenv("PARTICIPATIE_SMTP__HOST", sink.host)
        monkeypatch.setenv("PARTICIPATIE_SMTP__PORT", str(sink.port))
        monkeypatch.setenv("PARTICIPATIE_SQLITE_SYNCHRONOUS", "NORMAL")
        try:
            yield tmp_path
        finally:
            library.setLevel(saved[0])
            library.handlers[:] = saved[1]
            library.propagate, library.disabled = saved[2], saved[3]


def dispose(namespace: dict[str, Any]) -> None:
    from participatie.engine import Participatie

    for value in namespace.values():
        if isinstance(value, Participatie):
            value.dispose()


def test_the_pages_have_code() -> None:
    """The collector finds the blocks (a broken pattern would pass every page)."""

    pages = {str(page.relative_to(ROOT)) for page in pages_with_code()}
    assert {"README.md", "docs/quickstart.md", "docs/polls/index.md"} <= pages
    found = [block for page in PAGES for block in blocks(page)]
    assert len([b for b in found if b.kind == "block"]) >= 25
    # Fragments are the exception: an Alembic env.py and a server's start.
    fragments = [str(b.page.relative_to(ROOT)) for b in found if b.kind == "fragment"]
    assert fragments == ["docs/migrations.md", "docs/web/index.md"]


@pytest.mark.parametrize("page", pages_with_code(), ids=lambda page: str(page.relative_to(ROOT)))
def test_page_runs(page: Path, reader: Path) -> None:
    namespace: dict[str, Any] = {"__name__": "__docs__"}
    try:
        for block in blocks(page):
            # Padded so a traceback names the page's own line numbers.
            source = "\n" * (block.line - 1) + block.code
            name = str(block.page.relative_to(ROOT))
            compiled = compile(source, name, "exec", dont_inherit=True)
            if block.kind == "fragment":
                continue
            try:
                exec(compiled, namespace)  # noqa: S102  (the docs' own code)
            except Exception as exc:
                raise AssertionError(f"{block.where}: {type(exc).__name__}: {exc}") from exc
    finally:
        dispose(namespace)
