"""Text a PDF/A document can carry: every character must have a glyph in the embedded
fonts (ISO 19005-2, 6.2.11.4), and no PDF string may exceed 32,767 bytes (ISO 32000-1,
annex C). Residents type anything — control characters, lone surrogates, scripts the
bundled font lacks, a 100,000-character word — and a document must still be made.

``printable`` keeps everything the fonts can show, replaces what they cannot with U+FFFD
(or ``?`` where even that is missing), drops control characters and Unicode
noncharacters, and breaks unbroken runs longer than :data:`MAX_RUN` characters. The fonts'
coverage is read from their ``cmap`` tables with fontTools (``reports`` extra).
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

#: The longest run without a break opportunity a document keeps (well below the PDF
#: string limit, even at four bytes a character).
MAX_RUN: Final = 2000
#: Kept although they have no glyph: typst turns them into layout, not text.
LAYOUT: Final = frozenset("\n\t ")


@lru_cache(maxsize=8)
def covered(folders: tuple[str, ...]) -> frozenset[int]:
    """The code points the fonts in ``folders`` (``.ttf``/``.otf`` files) can show."""

    from fontTools.ttLib import TTFont

    points: set[int] = set()
    for folder in folders:
        for path in sorted(Path(folder).iterdir()):
            if path.suffix.lower() in (".ttf", ".otf"):
                with TTFont(str(path), lazy=True) as font:
                    points.update(font.getBestCmap() or {})
    return frozenset(points)


def _noncharacter(point: int) -> bool:
    return 0xFDD0 <= point <= 0xFDEF or (point & 0xFFFE) == 0xFFFE


def printable(text: str, points: frozenset[int]) -> str:
    """``text`` as the fonts with code points ``points`` can show it (see the module)."""

    replacement = "\ufffd" if 0xFFFD in points else "?"
    out: list[str] = []
    run = 0
    for char in text:
        point = ord(char)
        category = unicodedata.category(char)
        if char in LAYOUT:
            run = 0
            out.append(char)
            continue
        if category in ("Cc", "Cs") or _noncharacter(point):
            # Control characters go; a lone surrogate is a broken character: marked.
            if category == "Cs":
                out.append(replacement)
                run += 1
            continue
        if point not in points:
            if category.startswith("Z"):
                out.append(" ")
                run = 0
                continue
            if category in ("Cf", "Mn", "Me"):
                continue  # invisible marks the font does not know: nothing to show
            char = replacement
        out.append(char)
        run += 1
        if run >= MAX_RUN:
            out.append(" ")
            run = 0
    return "".join(out)


def printable_data(value: Any, points: frozenset[int]) -> Any:
    """``printable`` applied to every string in a JSON-like structure."""

    if isinstance(value, str):
        return printable(value, points)
    if isinstance(value, list):
        return [printable_data(v, points) for v in value]
    if isinstance(value, dict):
        return {k: printable_data(v, points) for k, v in value.items()}
    return value


__all__ = ["LAYOUT", "MAX_RUN", "covered", "printable", "printable_data"]
