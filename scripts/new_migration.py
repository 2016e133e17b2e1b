"""Write a new migration from the models:

    python scripts/new_migration.py REV_ID "message" [TABLE_PREFIX]

Autogenerates against a scratch SQLite database brought to the current head.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

from alembic import command

import participatie.models  # noqa: F401
from participatie.db import make_engine
from participatie.migrations import alembic_config, upgrade


def main() -> None:
    rev_id, message = sys.argv[1], sys.argv[2]
    only = sys.argv[3] if len(sys.argv) > 3 else None
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'scratch.db'}")
        upgrade(engine)
        with engine.begin() as connection:
            config = alembic_config(connection)
            if only:
                config.attributes["only_tables_prefix"] = only
            [script] = _as_list(
                command.revision(config, message=message, autogenerate=True, rev_id=rev_id)
            )
        engine.dispose()
    _tidy_downgrade(Path(script.path))


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _tidy_downgrade(path: Path) -> None:
    """Drop tables without dropping their indexes first.

    A dropped table takes its indexes with it; dropping an index first fails on MariaDB
    when a foreign key still needs it.
    """

    text = path.read_text()
    head, sep, downgrade = text.partition("def downgrade() -> None:")
    if not sep:
        return
    lines = downgrade.splitlines(keepends=True)
    kept: list[str] = []
    skipping = False
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("with op.batch_alter_table("):
            skipping = True
            continue
        if skipping:
            if stripped.startswith("batch_op.drop_index(") or not stripped:
                continue
            skipping = False
        if stripped.startswith("op.drop_index("):
            continue
        kept.append(line)
    path.write_text(head + sep + "".join(kept))


if __name__ == "__main__":
    main()
