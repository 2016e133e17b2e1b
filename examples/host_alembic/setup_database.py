"""A host application that keeps its own Alembic history next to participatie's.

Run: ``python -m examples.host_alembic.setup_database sqlite:///host.db``. Both histories
live in one database: the host's in ``alembic_version``, the library's in
``participatie_alembic_version``; each environment only looks at its own tables.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import Engine, create_engine

from examples.host_alembic.host_app.models import HostBase, include_name
from participatie import Participatie, Settings

HERE = Path(__file__).parent


def host_config(connection: Any) -> Config:
    config = Config()
    config.set_main_option("script_location", str(HERE / "host_app" / "migrations"))
    config.attributes["connection"] = connection
    return config


def upgrade_host(engine: Engine) -> None:
    with engine.begin() as connection:
        command.upgrade(host_config(connection), "head")


def host_differences(engine: Engine) -> list[Any]:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"include_name": include_name, "version_table": "alembic_version"}
        )
        return list(compare_metadata(context, HostBase.metadata))


def setup_database(url: str, secret: str) -> Participatie:
    """Upgrade the host's schema and the library's, in either order."""

    engine = create_engine(url)
    upgrade_host(engine)
    p = Participatie(Settings.load(database_url=url, secret_keys=[secret]), engine=engine)
    p.migrate()
    return p


if __name__ == "__main__":
    p = setup_database(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "change-me-0123456789")
    print("host differences:", host_differences(p.engine))
