"""Files the library writes are readable by their owner only (mode 0600).

Exports hold personal data (voting codes, names, addresses, e-mail), so they are created
with mode 0600 from the first byte, never made readable and tightened afterwards. A host
that publishes a public output (a tally, the anonymised ballots) widens it itself.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import zipfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import IO, cast

from participatie.errors import InvalidInput

#: Mode of every file the library creates.
PRIVATE_FILE_MODE = 0o600

#: Where a writer puts its output: a path (a new file with mode 0600) or a binary file.
Output = str | os.PathLike[str] | IO[bytes]


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


def _binary_file(out: object) -> IO[bytes]:
    """``out`` as a binary file, or InvalidInput (field ``out``) for anything else."""

    if isinstance(out, io.TextIOBase) or not callable(getattr(out, "write", None)):
        raise InvalidInput(
            "give a path or a file opened for writing bytes ('wb', io.BytesIO)", field="out"
        )
    return out  # type: ignore[return-value]


@contextlib.contextmanager
def binary_output(out: Output) -> Iterator[IO[bytes]]:
    """The binary file to write an output to.

    A path is created (or truncated) with mode 0600, its folder made when missing, and
    closed at the end; a binary file object is written to as it is, flushed at the end
    and never closed (the caller owns it).

    Raises:
        InvalidInput: ``input.invalid``, field ``out``: neither a path nor a binary file
            (a text file, say), or the path of a folder.
    """

    if isinstance(out, str | os.PathLike):
        if Path(out).is_dir():
            raise InvalidInput(f"{os.fspath(out)!r} is a folder: give a file's path", field="out")
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        with open_private(out) as fh:
            yield fh
        return
    fh = _binary_file(out)
    yield fh
    fh.flush()


class Sha256Sink:
    """A binary file that passes what is written on and hashes it (SHA-256)."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self._hash = hashlib.sha256()
        self.bytes_written = 0

    def write(self, data: bytes) -> int:
        self._raw.write(data)
        self._hash.update(data)
        self.bytes_written += len(data)
        return len(data)

    def flush(self) -> None:
        self._raw.flush()

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


class OutputFiles:
    """The files of a multi-file output (letters, an archive package), in a folder or
    as the members of one ZIP archive; each file's SHA-256 is kept in ``digests``."""

    def __init__(self, folder: Path | None, archive: zipfile.ZipFile | None, when: datetime):
        self.folder = folder
        self._archive = archive
        self._when = when
        #: File name -> SHA-256 of its bytes, in the order written.
        self.digests: dict[str, str] = {}

    @contextlib.contextmanager
    def open(self, name: str) -> Iterator[IO[bytes]]:
        """A new file ``name`` (mode 0600 in a folder) to write bytes to, hashed."""

        if name in self.digests or "/" in name or name in ("", ".", ".."):
            raise ValueError(f"file name {name!r} is not new or not plain")
        if self._archive is not None:
            info = zipfile.ZipInfo(name, date_time=self._when.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (0o100000 | PRIVATE_FILE_MODE) << 16
            with self._archive.open(info, "w") as member:
                sink = Sha256Sink(member)
                yield cast(IO[bytes], sink)
        else:
            assert self.folder is not None
            with open_private(self.folder / name) as raw:
                sink = Sha256Sink(raw)
                yield cast(IO[bytes], sink)
        self.digests[name] = sink.hexdigest()

    def write(self, name: str, data: bytes) -> str:
        """Write the file ``name`` whole; returns its SHA-256."""

        with self.open(name) as fh:
            fh.write(data)
        return self.digests[name]


@contextlib.contextmanager
def output_files(out: Output, *, when: datetime) -> Iterator[OutputFiles]:
    """Where a multi-file output goes: a folder path (made when missing; an existing one
    must be empty) gets the files; a path ending in ``.zip``, or a binary file, gets one
    ZIP archive of the same files, streamed (an unseekable stream works too; a file
    object is flushed and not closed). ``when`` is the time the ZIP members carry.

    Raises:
        InvalidInput: ``input.invalid``, field ``out``: the folder is not empty, is a
            file, or ``out`` is neither a path nor a binary file.
    """

    if isinstance(out, str | os.PathLike) and Path(out).suffix.lower() == ".zip":
        with binary_output(out) as fh, zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED) as archive:
            yield OutputFiles(None, archive, when)
        return
    if isinstance(out, str | os.PathLike):
        folder = Path(out)
        if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
            raise InvalidInput(f"{folder} exists and is not an empty folder", field="out")
        folder.mkdir(parents=True, exist_ok=True)
        yield OutputFiles(folder, None, when)
        return
    fh = _binary_file(out)
    with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        yield OutputFiles(None, archive, when)
    fh.flush()


def is_private(path: str | os.PathLike[str]) -> bool:
    """Whether only the owner may read ``path`` (no group or other bits)."""

    return Path(path).stat().st_mode & 0o077 == 0


__all__ = [
    "PRIVATE_FILE_MODE",
    "Output",
    "OutputFiles",
    "Sha256Sink",
    "binary_output",
    "is_private",
    "open_private",
    "output_files",
    "write_private_bytes",
    "write_private_text",
]
