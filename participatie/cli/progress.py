"""Progress for long commands: a bar on standard error when it is a terminal, nothing at
all in a pipe or a log (so cron mail and scripts read only the commands' own lines).

click's own progress bar is used: the command line already depends on click, and its bar
is enough for "how far along is this"; rich would add a dependency for colour.
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, Any

import click


def interactive() -> bool:
    """Whether progress may be shown: standard error is a terminal that can redraw."""

    stream = sys.stderr
    return bool(stream.isatty()) and os.environ.get("TERM") != "dumb"


class Progress:
    """A bar that moves by ``advance(n)``; silent when not :func:`interactive`."""

    def __init__(self, bar: Any | None) -> None:
        self._bar = bar

    @property
    def shown(self) -> bool:
        return self._bar is not None

    def advance(self, steps: int = 1) -> None:
        if self._bar is not None and steps:
            self._bar.update(steps)

    def echo(self, line: str) -> None:
        """Print a line of the command's own output without tearing the bar."""

        if self._bar is None:
            click.echo(line)
            return
        click.echo("\r\033[K", nl=False, err=True)
        click.echo(line)
        # Drawn again by hand: click skips a redraw when its own line did not change.
        click.echo(self._bar.format_progress_line(), nl=False, err=True)


@contextmanager
def progress(length: int, label: str) -> Iterator[Progress]:
    """A bar of ``length`` steps on standard error, when it is a terminal."""

    if not interactive() or length <= 0:
        yield Progress(None)
        return
    # At most about 200 redraws, so a million-row export does not wait for the terminal.
    with click.progressbar(
        length=length,
        label=label,
        file=sys.stderr,
        show_pos=True,
        show_eta=True,
        update_min_steps=max(1, length // 200),
    ) as bar:
        yield Progress(bar)


class LineCounter(io.RawIOBase):
    """A binary file that moves a bar by each line written through it (the header line
    of a CSV is skipped), for exports whose writer streams into a file object."""

    def __init__(self, raw: IO[bytes], on_lines: Callable[[int], None], *, skip: int = 0) -> None:
        super().__init__()
        self._raw = raw
        self._on_lines = on_lines
        self._skip = skip

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self._raw.write(chunk)
        lines = chunk.count(b"\n")
        if self._skip:
            skipped = min(self._skip, lines)
            self._skip -= skipped
            lines -= skipped
        if lines:
            self._on_lines(lines)
        return len(chunk)

    def flush(self) -> None:
        self._raw.flush()


def counting(raw: IO[bytes], bar: Progress, *, skip: int = 0) -> IO[bytes]:
    """``raw`` as a file object that moves ``bar`` by the lines written to it."""

    from typing import cast

    return cast(IO[bytes], LineCounter(raw, bar.advance, skip=skip))


__all__ = ["LineCounter", "Progress", "counting", "interactive", "progress"]
