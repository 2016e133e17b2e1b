"""Rooms of a readable size: no file over 800 lines, and no file using another file's
private names or another object's private members (what two files need has a plain name).
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "participatie"
MAX_LINES = 800
#: Underscore names that are public API of the libraries they belong to.
ALLOWED = frozenset({"_mapping", "_replace", "_asdict", "_fields", "_make"})


def sources() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts)


def test_no_file_over_800_lines() -> None:
    long = {
        str(p.relative_to(PACKAGE)): n
        for p in sources()
        if (n := p.read_text(encoding="utf-8").count("\n")) > MAX_LINES
    }
    assert long == {}


def private_uses(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("participatie"):
            found += [
                f"{node.lineno}: imports {node.module}.{alias.name}"
                for alias in node.names
                if alias.name.startswith("_") and not alias.name.startswith("__")
            ]
        elif isinstance(node, ast.Attribute):
            name = node.attr
            if not name.startswith("_") or name.startswith("__") or name in ALLOWED:
                continue
            if isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
                continue
            found.append(f"{node.lineno}: .{name} of {ast.unparse(node.value)}")
    return found


def test_no_file_uses_another_files_private_names() -> None:
    uses = {str(p.relative_to(PACKAGE)): u for p in sources() if (u := private_uses(p))}
    assert uses == {}
