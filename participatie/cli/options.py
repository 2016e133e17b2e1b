"""The options every export command shares: ``--out`` (the file to write, created with
mode 0600) and ``--format`` (the writer's ``fmt``, one of its formats)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def out_option(help: str = "The file to write (created with mode 0600).") -> Callable[[F], F]:
    """``--out PATH``, required, a file (not a folder), given to the command as ``out``."""

    return click.option(
        "--out",
        type=click.Path(dir_okay=False, path_type=Path),
        required=True,
        help=help,
    )


def folder_option(help: str) -> Callable[[F], F]:
    """``--out PATH`` for a multi-file output: a new or empty folder, or a ``.zip`` file."""

    return click.option(
        "--out",
        type=click.Path(path_type=Path),
        required=True,
        help=help,
    )


def format_option(formats: Sequence[str], default: str) -> Callable[[F], F]:
    """``--format`` with the writer's formats, given to the command as ``fmt``."""

    return click.option(
        "--format",
        "fmt",
        type=click.Choice(list(formats)),
        default=default,
        show_default=True,
        help="The format to write.",
    )


__all__ = ["folder_option", "format_option", "out_option"]
