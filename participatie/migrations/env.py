"""Alembic environment of the library: runs on the connection the caller hands over."""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import create_engine

import participatie.models  # noqa: F401  (registers every table on the metadata)
from participatie.db import VERSION_TABLE, metadata
from participatie.migrations import include_name, include_object

config = context.config


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        url = config.get_main_option("sqlalchemy.url")
        if not url:
            raise RuntimeError("no connection or sqlalchemy.url given to the migrations")
        engine = create_engine(url)
        with engine.begin() as conn:
            _configure_and_run(conn)
        return
    _configure_and_run(connection)


def _configure_and_run(connection: object) -> None:
    # Writing a new revision for one module only: its tables share this prefix.
    only = config.attributes.get("only_tables_prefix")

    def include(obj: Any, name: str | None, type_: str, reflected: bool, other: Any) -> bool:
        if not include_object(obj, name, type_, reflected, other):
            return False
        table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", "")
        return only is None or str(table or "").startswith(only)

    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        include_object=include,
        include_name=include_name,
        compare_type=True,
        render_as_batch=connection.dialect.name == "sqlite",  # type: ignore[attr-defined]
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise RuntimeError("offline (SQL script) mode is not supported; run against a database")
run()
