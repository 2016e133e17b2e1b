"""The host's Alembic environment: its own version table, and it ignores the library's
``participatie_*`` tables so the two histories never step on each other."""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import engine_from_config, pool

from examples.host_alembic.host_app.models import HostBase, include_name

config = context.config


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        engine = engine_from_config(
            config.get_section(config.config_ini_section) or {},
            prefix="sqlalchemy.",
            poolclass=pool.NullPool,
        )
        with engine.begin() as conn:
            _run(conn)
        return
    _run(connection)


def _run(connection: Any) -> None:
    context.configure(
        connection=connection,
        target_metadata=HostBase.metadata,
        include_name=include_name,
        version_table="alembic_version",
    )
    with context.begin_transaction():
        context.run_migrations()


run()
