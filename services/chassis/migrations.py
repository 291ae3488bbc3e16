"""Alembic, one environment per service: services/<name>/migrations holds env.py and versions/.

Development applies migrations at start (FULCRUM_MIGRATE_ON_START); production runs
`fulcrum migrate` (or `python -m services.chassis.migrations <service>`) before rolling out.
"""

from __future__ import annotations

import asyncio
import sys
from importlib.resources import files

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection

from services.chassis.config import Settings
from services.chassis.database import create_engine


def alembic_config(service: str, url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(files(f"services.{service}") / "migrations"))
    config.set_main_option("sqlalchemy.url", url)
    return config


def upgrade(service: str, url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(service, url), revision)


async def upgrade_async(service: str, url: str) -> None:
    """Alembic's env runs its own event loop, so a running loop hands it to a worker thread."""
    await asyncio.to_thread(upgrade, service, url)


def run_environment(target_metadata: MetaData) -> None:
    """The body of every service's migrations/env.py."""
    url = context.config.get_main_option("sqlalchemy.url")
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=target_metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    asyncio.run(_run_online(url, target_metadata))


async def _run_online(url: str, target_metadata: MetaData) -> None:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_migrate, target_metadata)
            await connection.commit()
    finally:
        await engine.dispose()


def _migrate(connection: Connection, target_metadata: MetaData) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


if __name__ == "__main__":
    for name in sys.argv[1:]:
        upgrade(name, Settings.from_env(name).database_url)
