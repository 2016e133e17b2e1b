"""The library's own Alembic migrations, shipped as package data.

Version table ``participatie_alembic_version``; only ``participatie_*`` tables are looked
at, so a host's own tables and Alembic history live side by side in the same database.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

from participatie.db import VERSION_TABLE, is_participatie_table, metadata

SCRIPT_LOCATION = "participatie:migrations"


log = logging.getLogger("participatie.migrations")


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Look only at the library's tables (and their indexes and constraints)."""

    if type_ == "table":
        return is_participatie_table(name)
    table = getattr(obj, "table", None)
    if table is not None:
        return is_participatie_table(table.name)
    return True


def include_name(name: str | None, type_: Any, parent_names: Any) -> bool:
    if type_ == "table":
        return is_participatie_table(name)
    return True


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.set_main_option("version_table", VERSION_TABLE)
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    before = current(engine)
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), revision)
    log.info("migrated the database from %s to %s", before or "base", current(engine))


def downgrade(engine: Engine, revision: str) -> None:
    before = current(engine)
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), revision)
    log.info("migrated the database down from %s to %s", before, current(engine) or "base")


def history() -> list[str]:
    """One line per revision, newest first: ``<revision> <- <down revision>: <message>``."""

    script = ScriptDirectory.from_config(alembic_config())
    lines = []
    for rev in script.walk_revisions():
        down = rev.down_revision if isinstance(rev.down_revision, str) else "base"
        head = " (head)" if rev.is_head else ""
        lines.append(f"{rev.revision} <- {down or 'base'}{head}: {rev.doc or ''}".rstrip())
    return lines


def heads() -> list[str]:
    return list(ScriptDirectory.from_config(alembic_config()).get_heads())


def current(engine: Engine) -> str | None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
        return context.get_current_revision()


@dataclass(frozen=True)
class CheckResult:
    current: str | None
    head: str
    differences: list[Any]

    @property
    def ok(self) -> bool:
        return self.current == self.head and not self.differences


def check(engine: Engine) -> CheckResult:
    """Compare the database with the models: revision at head and no difference."""

    import participatie.models  # noqa: F401  (every table on the metadata, as in env.py)

    (head,) = heads()
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "version_table": VERSION_TABLE,
                "include_object": include_object,
                "include_name": include_name,
                "compare_type": True,
                "compare_server_default": False,
            },
        )
        differences = compare_metadata(context, metadata)
        revision = context.get_current_revision()
    return CheckResult(current=revision, head=head, differences=list(differences))


def describe(diff: Any) -> str:
    """One readable line for an autogenerate difference: ``add_table participatie_x``,
    ``remove_column participatie_x.y``, ``modify_type participatie_x.y``."""

    if isinstance(diff, list):
        return "; ".join(describe(item) for item in diff)
    if not isinstance(diff, tuple) or not diff:
        return str(diff)
    op = str(diff[0])
    names: list[str] = []
    for part in diff[1:]:
        table = getattr(part, "table", None)
        name = getattr(part, "name", None)
        if name is not None and table is not None and getattr(table, "name", None):
            names.append(f"{table.name}.{name}")
        elif name is not None:
            names.append(str(name))
        elif isinstance(part, str):
            names.append(part)
    return f"{op} {' '.join(n for n in names if n)}".strip()
