"""Public methods of the facades say their arguments, result and errors (with codes).

Every public method of ``p.polls``, ``p.petitions``, ``p.reactions``, ``p.subscriptions``,
``p.outbox`` and ``p.privacy`` has a docstring with ``Args:`` (naming each parameter),
``Returns:`` and ``Raises:`` (naming error codes, or saying it raises nothing of its own).
``NOT_YET`` (methods exempted) is empty: a new method must come documented.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from participatie.engine import Participatie
from participatie.testing import make_participatie

FACADES = ("polls", "petitions", "reactions", "subscriptions", "outbox", "privacy")
SECTION = re.compile(r"^(Args|Returns|Raises):\s*$", re.MULTILINE)
#: An error code in double backticks (``petition.closed``), or an explicit "nothing".
CODE = re.compile(r"``[a-z_]+(\.[a-z_]+)*``|Nothing of its own|reported, not raised")

#: Public methods that do not yet carry all three sections.
NOT_YET: dict[str, set[str]] = {}


def sections(doc: str) -> dict[str, str]:
    """The text of each Google-style section of ``doc``."""

    found: dict[str, str] = {}
    marks = list(SECTION.finditer(doc))
    for index, mark in enumerate(marks):
        end = marks[index + 1].start() if index + 1 < len(marks) else len(doc)
        found[mark.group(1)] = doc[mark.end() : end]
    return found


def problems(method: Callable[..., Any]) -> list[str]:
    doc = inspect.getdoc(method) or ""
    parts = sections(doc)
    found = [f"no {name}: section" for name in ("Args", "Returns", "Raises") if name not in parts]
    parameters = [n for n in inspect.signature(method).parameters if n != "self"]
    if parameters and "Args" in parts:
        found += [
            f"Args: does not name {name}"
            for name in parameters
            if not re.search(rf"^\s*{name}( \(.*\))?:", parts["Args"], re.MULTILINE)
        ]
    if "Raises" in parts and not CODE.search(parts["Raises"]):
        found.append("Raises: names no error code")
    return found


@pytest.fixture(scope="module")
def facade(tmp_path_factory: pytest.TempPathFactory) -> Participatie:
    path: Path = tmp_path_factory.mktemp("docstrings") / "p.db"
    return make_participatie(f"sqlite:///{path}")


def public_methods(obj: object) -> dict[str, Callable[..., Any]]:
    return {
        name: member
        for name, member in inspect.getmembers(type(obj), predicate=inspect.isfunction)
        if not name.startswith("_")
    }


@pytest.mark.parametrize("name", FACADES)
def test_public_methods_say_args_returns_and_raises(facade: Participatie, name: str) -> None:
    methods = public_methods(getattr(facade, name))
    missing = {method: found for method, func in methods.items() if (found := problems(func))}
    assert missing == {m: problems(methods[m]) for m in NOT_YET.get(name, set())}, (
        f"p.{name}: a public method lacks Args/Returns/Raises, or one documented since "
        "should leave NOT_YET"
    )


def test_the_check_finds_a_missing_section() -> None:
    def bare(self: object, poll_id: str) -> None:
        """Does something."""

    def documented(self: object, poll_id: str) -> None:
        """Does something.

        Args:
            poll_id: the poll.

        Returns:
            None.

        Raises:
            NotFound: ``poll.not_found``.
        """

    assert problems(bare) == ["no Args: section", "no Returns: section", "no Raises: section"]
    assert problems(documented) == []
