"""Files the library writes are readable by their owner only (mode 0600).

Exports hold personal data (voting codes, names, addresses, e-mail), so they are created
with mode 0600 from the first byte, never made readable and tightened afterwards. A host
that publishes a public output (a tally, the anonymised ballots) widens it itself.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import IO

#: Mode of every file the library creates.
PRIVATE_FILE_MODE = 0o600


def open_private(path: str | os.PathLike[str]) -> IO[bytes]:
    """Open ``path`` for writing bytes (created or truncated) with mode 0600.

    An existing file keeps its contents until the truncation and is narrowed to 0600
    as well, so rewriting an export never leaves it more open than a new one.
    """

    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE_MODE)
    # Narrow a file that existed before; fchmod is missing on some platforms.
    with contextlib.suppress(AttributeError, OSError):
        os.fchmod(fd, PRIVATE_FILE_MODE)
    return os.fdopen(fd, "wb")


def write_private_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` with mode 0600."""

    with open_private(path) as fh:
        fh.write(data)


def write_private_text(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` as UTF-8 to ``path`` with mode 0600."""

    write_private_bytes(path, text.encode("utf-8"))


def is_private(path: str | os.PathLike[str]) -> bool:
    """Whether only the owner may read ``path`` (no group or other bits)."""

    return Path(path).stat().st_mode & 0o077 == 0


__all__ = [
    "PRIVATE_FILE_MODE",
    "is_private",
    "open_private",
    "write_private_bytes",
    "write_private_text",
]
