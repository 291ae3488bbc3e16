"""Waiting for a service's read model of org (services/chassis/directory), which follows org's events a
moment behind org itself."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable

from sqlalchemy import MetaData

from services.chassis.database import create_engine, create_session_factory
from services.chassis.directory.reader import Directory
from services.chassis.directory.tables import DirectoryTables
from tests.support.services import ServiceHarness

DIRECTORY_TIMEOUT_SECONDS = 20
# Every service keeps the directory under the same table names.
_TABLES = DirectoryTables.define(MetaData())


async def wait_for_directory(
    service: ServiceHarness[object],
    tenant: str,
    employee_ids: Iterable[str],
    unit_ids: Iterable[str] = (),
) -> None:
    """Waits until the service's directory holds these employees, and these units with their heads."""
    wanted_employees, wanted_units = set(employee_ids), set(unit_ids)
    engine = create_engine(service.settings.database_url)
    sessions = create_session_factory(engine)
    deadline = time.monotonic() + DIRECTORY_TIMEOUT_SECONDS
    try:
        while True:
            async with sessions() as session:
                directory = Directory(session, _TABLES, tenant)
                employees = await directory.employees(wanted_employees)
                units = await directory.units(wanted_units)
            headed = all(unit.head_employee_id for unit in units.values())
            if set(employees) == wanted_employees and set(units) == wanted_units and headed:
                return
            assert time.monotonic() < deadline, (
                f"{service.settings.service} learned {len(employees)} of {len(wanted_employees)} employees "
                f"and {len(units)} of {len(wanted_units)} units"
            )
            await asyncio.sleep(0.1)
    finally:
        await engine.dispose()
