"""What the objective tests share: objectives and key results made through the API, the plant grown by a
unit or a person, periods around today, and goals' own database read back (events, unchanged state)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from fulcrum.goals.v1 import events_pb2, goals_pb2
from fulcrum.org.v1 import org_pb2
from google.protobuf.message import Message
from sqlalchemy import select

from services.chassis.database import create_engine
from services.goals.adapters import tables
from tests.integration.goals.helpers import Plant, wait_for_directory
from tests.support.calls import Metadata, state_unchanged
from tests.support.goals import GoalsHarness
from tests.support.org import OrgHarness

# Everything the objective use cases write besides the outbox.
STATE_TABLES = (tables.objectives, tables.key_results, tables.key_result_values, tables.chassis.idempotency)

HIGHER = goals_pb2.DIRECTION_HIGHER_IS_BETTER
LOWER = goals_pb2.DIRECTION_LOWER_IS_BETTER
MANUAL = goals_pb2.MEASURE_MANUAL
ALIGNED = goals_pb2.MEASURE_ALIGNED_OBJECTIVES
TENANT = goals_pb2.OBJECTIVE_LEVEL_TENANT
UNIT = goals_pb2.OBJECTIVE_LEVEL_UNIT
TEAM = goals_pb2.OBJECTIVE_LEVEL_TEAM
EMPLOYEE = goals_pb2.OBJECTIVE_LEVEL_EMPLOYEE


def today() -> date:
    return datetime.now(UTC).date()


def this_year() -> tuple[str, str]:
    """A period around today: half elapsed, so progress of 0.5 is on track."""
    return ((today() - timedelta(days=180)).isoformat(), (today() + timedelta(days=180)).isoformat())


async def create_objective(
    goals: GoalsHarness,
    metadata: Metadata,
    title: str,
    level: int = TENANT,
    period: tuple[str, str] | None = None,
    **fields: Any,
) -> goals_pb2.Objective:
    start, end = period or this_year()
    objective = goals_pb2.Objective(title=title, level=level, period_start=start, period_end=end, **fields)
    request = goals_pb2.CreateObjectiveRequest(objective=objective)
    return (await goals.stub.CreateObjective(request, metadata=metadata)).objective


async def create_key_result(
    goals: GoalsHarness,
    metadata: Metadata,
    objective_id: str,
    title: str,
    start: float = 0.0,
    target: float = 1.0,
    measure: int = MANUAL,
    direction: int = HIGHER,
    **fields: Any,
) -> goals_pb2.KeyResult:
    key_result = goals_pb2.KeyResult(
        objective_id=objective_id,
        title=title,
        start_value=start,
        target_value=target,
        direction=direction,
        measure=measure,
        **fields,
    )
    request = goals_pb2.CreateKeyResultRequest(key_result=key_result)
    return (await goals.stub.CreateKeyResult(request, metadata=metadata)).key_result


async def record(
    goals: GoalsHarness, metadata: Metadata, key_result_id: str, value: float, note: str = ""
) -> goals_pb2.KeyResult:
    request = goals_pb2.RecordKeyResultValueRequest(key_result_id=key_result_id, value=value, note=note)
    return (await goals.stub.RecordKeyResultValue(request, metadata=metadata)).key_result


async def get_objective(
    goals: GoalsHarness, metadata: Metadata, objective_id: str
) -> goals_pb2.GetObjectiveResponse:
    return await goals.stub.GetObjective(
        goals_pb2.GetObjectiveRequest(objective_id=objective_id), metadata=metadata
    )


async def progress_of(goals: GoalsHarness, metadata: Metadata, objective_id: str) -> float:
    return (await get_objective(goals, metadata, objective_id)).objective.progress


async def align(
    goals: GoalsHarness,
    metadata: Metadata,
    objective_id: str,
    *,
    parent_objective_id: str = "",
    parent_key_result_id: str = "",
) -> goals_pb2.Objective:
    request = goals_pb2.AlignObjectiveRequest(
        objective_id=objective_id,
        parent_objective_id=parent_objective_id,
        parent_key_result_id=parent_key_result_id,
    )
    return (await goals.stub.AlignObjective(request, metadata=metadata)).objective


async def add_unit(org: OrgHarness, plant: Plant, name: str, code: str, parent: str = "company") -> str:
    """A new unit under one of the plant's units, known to org (goals learns it with the next hire)."""
    unit = org_pb2.Unit(code=code, name=name, parent_id=plant.units[parent])
    created = await org.stub.CreateUnit(
        org_pb2.CreateUnitRequest(unit=unit), metadata=org.admin(plant.tenant)
    )
    plant.units[name] = created.unit.id
    return created.unit.id


async def hire(
    org: OrgHarness, goals: GoalsHarness, plant: Plant, name: str, unit: str, manager: str = ""
) -> str:
    """A new employee of the plant, once goals' read model knows them (and the units made before them)."""
    employee = org_pb2.Employee(
        employee_number=f"N-{name}",
        display_name=name,
        email=f"{name}@{plant.tenant}.test",
        unit_id=plant.units[unit],
        manager_id=plant.employees[manager] if manager else "",
        hire_date="2021-05-03",
    )
    hired = await org.stub.HireEmployee(
        org_pb2.HireEmployeeRequest(employee=employee), metadata=org.admin(plant.tenant)
    )
    plant.employees[name] = hired.employee.id
    await wait_for_directory(goals, plant.tenant, [hired.employee.id])
    return hired.employee.id


@dataclass(frozen=True)
class StoredEvent:
    tenant_id: str
    message: Message


async def stored_events(goals: GoalsHarness, *types: type[Message]) -> list[StoredEvent]:
    """The events of these types in goals' outbox, oldest first."""
    names = {message_type.DESCRIPTOR.full_name: message_type for message_type in types}
    outbox = tables.chassis.outbox
    engine = create_engine(goals.settings.database_url)
    try:
        async with engine.connect() as connection:
            query = (
                select(outbox.c.event_type, outbox.c.tenant_id, outbox.c.payload)
                .where(outbox.c.event_type.in_(names))
                .order_by(outbox.c.seq)
            )
            rows = (await connection.execute(query)).all()
    finally:
        await engine.dispose()
    return [
        StoredEvent(tenant, names[event_type].FromString(payload)) for event_type, tenant, payload in rows
    ]


async def last_objectives_changed(goals: GoalsHarness) -> events_pb2.ObjectivesChanged:
    events = await stored_events(goals, events_pb2.ObjectivesChanged)
    message = events[-1].message
    assert isinstance(message, events_pb2.ObjectivesChanged)
    return message


@asynccontextmanager
async def nothing_changes(goals: GoalsHarness) -> AsyncIterator[None]:
    """Asserts that what runs inside changes no objective, key result or value and writes no event."""
    async with state_unchanged(goals.settings.database_url, STATE_TABLES, tables.chassis.outbox):
        yield
