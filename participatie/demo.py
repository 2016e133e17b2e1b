"""``participatie demo``: the real cases from the domain brief, end to end.

Seeds the wijken of the demo municipality, then runs each module's case (its
``demo.run_demo``) through the public API, writing the outputs into a folder per case.
"""

from __future__ import annotations

import importlib
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from participatie.areas import AreaIn
from participatie.clock import FixedClock
from participatie.engine import Participatie
from participatie.errors import ConfigurationError
from participatie.infra import mask_url

#: File that marks a folder as written by the demo, so a later run may empty it.
DEMO_MARKER = ".participatie-demo"


def prepare_output(out: Path, *, force: bool = False) -> None:
    """Make ``out`` an empty demo folder, refusing to empty anything else.

    An earlier demo output (it holds :data:`DEMO_MARKER`) or an empty folder is emptied;
    any other existing folder is refused unless ``force``. The working folder and its
    parents are refused always.

    Raises:
        ConfigurationError: ``config.invalid`` (field ``out``) naming the folder and why.
    """

    target = out.resolve()
    if target == Path.cwd().resolve() or target in Path.cwd().resolve().parents:
        raise ConfigurationError(
            f"{out} is the working folder or contains it: choose another --out", field="out"
        )
    if target.exists() and not target.is_dir():
        raise ConfigurationError(
            f"{out} is a file, not a folder: choose another --out", field="out"
        )
    if target.exists():
        marked = (target / DEMO_MARKER).is_file()
        if not marked and not force and any(target.iterdir()):
            raise ConfigurationError(
                f"{out} exists and was not written by the demo; nothing was changed. "
                "Choose another --out, or add --force to empty it",
                field="out",
            )
        shutil.rmtree(target)
    target.mkdir(parents=True)
    (target / DEMO_MARKER).write_text(
        "Written by `participatie demo`; the next demo run may empty this folder.\n",
        encoding="utf-8",
    )


#: Wijken of the demo municipality with their PC4 ranges (approximate, for the demo).
DEMO_AREAS: list[tuple[str, str, list[str]]] = [
    ("centrum", "Centrum", ["9711-9712"]),
    ("oosterparkwijk", "Oosterparkwijk", ["9713-9715"]),
    ("korrewegwijk", "Korrewegwijk", ["9716-9717"]),
    ("helpman", "Helpman", ["9721-9723"]),
    ("oosterpoort", "Oosterpoort", ["9724-9726"]),
    ("beijum", "Beijum", ["9733-9736"]),
    ("lewenborg", "Lewenborg", ["9737-9738"]),
    ("selwerd", "Selwerd", ["9741"]),
    ("paddepoel", "Paddepoel", ["9742"]),
    ("vinkhuizen", "Vinkhuizen", ["9743-9744"]),
    ("hoogkerk", "Hoogkerk", ["9745-9746"]),
]

#: (module, case folder) in the order they run.
CASES = (
    ("polls", "paddepoel"),
    ("petitions", "grote-markt"),
    ("reactions", "hondenbeleid"),
    ("subscriptions", "volgen"),
)


def seed_areas(p: Participatie) -> None:
    for code, name, ranges in DEMO_AREAS:
        p.areas.create(AreaIn(code=code, name=name, postcodes=list(ranges)), actor="demo")


def run_demo(
    p: Participatie,
    out: Path,
    clock: FixedClock,
    echo: Callable[[str], Any] = print,
    *,
    scale: float = 1.0,
    prepared: bool = False,
) -> dict[str, Any]:
    """Run every case; ``scale`` below 1 makes the larger cases smaller.

    The petition and consultation cases sign and react ``scale`` times as often (a
    quick load for ``participatie serve --demo``); the Paddepoel poll is small and
    always runs at its real size. ``prepared``: the database is migrated and the wijken
    exist already (``serve --demo`` does both before it starts serving).
    """

    if not 0 < scale <= 1:
        raise ValueError(f"scale must be in (0, 1], got {scale}")
    if not prepared:
        echo(f"database: {mask_url(p.settings.database_url)}")
        p.migrate()
        echo("migrated the database to the newest revision")
        seed_areas(p)
        echo(f"created {len(DEMO_AREAS)} wijken")
    # Residents follow their wijk before the cases run, so the digests carry their events.
    from participatie.subscriptions import demo as follow

    follow.prepare(p, clock, echo)
    results: dict[str, Any] = {}
    for module, folder in CASES:
        try:
            demo_module = importlib.import_module(f"participatie.{module}.demo")
        except ModuleNotFoundError as exc:
            if exc.name != f"participatie.{module}.demo":
                raise
            continue
        target = out / folder
        target.mkdir(parents=True, exist_ok=True)
        echo(f"== {folder} ==")
        results[module] = demo_module.run_demo(p, target, clock, echo, scale=scale)
    audit = p.audit.verify()
    echo(f"audit log: {audit.checked} events, chain {'intact' if audit.ok else 'BROKEN'}")
    echo(f"outputs in {out}")
    return results
