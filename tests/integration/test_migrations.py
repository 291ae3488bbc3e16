"""Each service's Alembic migrations build exactly the schema its code declares."""

import asyncio

import pytest
from alembic import command

from services.chassis.migrations import alembic_config, upgrade_async
from tests.support.database import NewDatabase

SERVICES = ["org", "goals", "appraisal", "rewards", "gateway"]


@pytest.mark.parametrize("service", SERVICES)
async def test_migrations_match_the_declared_tables(service: str, new_database: NewDatabase) -> None:
    url = await new_database(f"{service}_migrations")
    await upgrade_async(service, url)
    # `check` fails when autogenerate would find any difference between the database and the code.
    await asyncio.to_thread(command.check, alembic_config(service, url))
    await upgrade_async(service, url)
