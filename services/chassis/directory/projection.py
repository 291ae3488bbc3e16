"""Keeps the directory in step with org's UnitsChanged and EmployeesChanged events.

Each event carries the full new state of what changed, with its version: a row is only ever
replaced by a newer version, so a redelivered or replayed older event changes nothing. org sends
only the unit that moved, not its subtree, so the projection keeps the paths itself: a unit whose
parent changed takes its whole subtree along, and a unit whose parent has not arrived yet stands as
a root of its own until the parent comes and adopts it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from fulcrum.org.v1 import events_pb2, org_pb2
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError
from sqlalchemy import ColumnElement, Table, and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.chassis.database import upsert
from services.chassis.directory.model import SEPARATOR, path_of, subtree_upper_bound
from services.chassis.directory.tables import DirectoryTables
from services.chassis.messaging.consumer import EventConsumer, IncomingEvent
from services.chassis.messaging.envelope import stream_name, subject_for
from services.chassis.messaging.streams import ensure_stream
from services.chassis.tables import ChassisTables

ORG_SERVICE = "org"
UNITS_CHANGED = subject_for(events_pb2.UnitsChanged())
EMPLOYEES_CHANGED = subject_for(events_pb2.EmployeesChanged())
ORG_EVENT_SUBJECTS = (UNITS_CHANGED, EMPLOYEES_CHANGED)

_UNIT_FIELDS = ("code", "name", "parent_id", "head_employee_id", "version")
_EMPLOYEE_FIELDS = (
    "employee_number",
    "display_name",
    "unit_id",
    "position_id",
    "manager_id",
    "active",
    "version",
)

Versioned = TypeVar("Versioned", org_pb2.Unit, org_pb2.Employee)


async def directory_consumer(
    js: JetStreamContext,
    session_factory: async_sessionmaker[AsyncSession],
    chassis_tables: ChassisTables,
    directory_tables: DirectoryTables,
    *,
    service: str,
) -> EventConsumer:
    """The durable consumer that feeds `service`'s directory from org's stream.

    A service may start before org ever has, so org's stream is made here when it is missing; an
    existing one is left as org configured it.
    """
    try:
        await js.stream_info(stream_name(ORG_SERVICE))
    except NotFoundError:
        await ensure_stream(js, ORG_SERVICE)

    async def handle(session: AsyncSession, event: IncomingEvent) -> None:
        await apply_org_event(session, directory_tables, event)

    return EventConsumer(
        js,
        session_factory,
        chassis_tables,
        name=f"{service}-org-directory",
        stream=stream_name(ORG_SERVICE),
        subjects=ORG_EVENT_SUBJECTS,
        handle=handle,
    )


async def apply_org_event(session: AsyncSession, tables: DirectoryTables, event: IncomingEvent) -> None:
    """Apply one org event to the directory of its tenant; other org events are not the directory's."""
    if event.subject == UNITS_CHANGED:
        changed = event.decode(events_pb2.UnitsChanged)
        await _apply_units(session, tables.units, event.tenant_id, changed.units)
        await _delete_units(session, tables.units, event.tenant_id, changed.deleted_unit_ids)
        await _repair_paths(session, tables.units, event.tenant_id)
    elif event.subject == EMPLOYEES_CHANGED:
        employees = event.decode(events_pb2.EmployeesChanged).employees
        await _apply_employees(session, tables.employees, event.tenant_id, employees)


async def _apply_units(
    session: AsyncSession, table: Table, tenant_id: str, units: Sequence[org_pb2.Unit]
) -> None:
    # A new unit starts as a root of its own; _repair_paths puts it under its parent.
    rows = [
        {
            "tenant_id": tenant_id,
            "id": unit.id,
            "code": unit.code,
            "name": unit.name,
            "parent_id": unit.parent_id or None,
            "head_employee_id": unit.head_employee_id or None,
            "version": unit.version,
            "path": path_of(None, unit.id),
            "deleted": False,
        }
        for unit in _newest(units).values()
    ]
    await _upsert_newer(session, table, rows, _UNIT_FIELDS, table.c.deleted.is_(False))


async def _delete_units(session: AsyncSession, table: Table, tenant_id: str, unit_ids: Sequence[str]) -> None:
    """Mark the units deleted, known or not yet: a deletion is final, whatever version comes after it."""
    if not unit_ids:
        return
    rows = [
        {
            "tenant_id": tenant_id,
            "id": unit_id,
            "code": "",
            "name": "",
            "parent_id": None,
            "head_employee_id": None,
            "version": 0,
            "path": path_of(None, unit_id),
            "deleted": True,
        }
        for unit_id in dict.fromkeys(unit_ids)
    ]
    dialect_name = (await session.connection()).dialect.name
    statement = upsert(dialect_name, table)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.tenant_id, table.c.id], set_={"deleted": True, "head_employee_id": None}
    )
    await session.execute(statement, rows)


async def _repair_paths(session: AsyncSession, table: Table, tenant_id: str) -> None:
    """Move every unit whose path does not match its parent's under it, its subtree along.

    A unit whose parent is unknown stands as a root. Moving a subtree keeps every unit in it placed
    under its parent, so each round places more units, until none is out of place.
    """
    while misplaced := await _misplaced_unit_ids(session, table, tenant_id):
        moved = [await _place(session, table, tenant_id, unit_id) for unit_id in misplaced]
        if not any(moved):
            return


async def _misplaced_unit_ids(session: AsyncSession, table: Table, tenant_id: str) -> list[str]:
    child = table.alias("child")
    parent = table.alias("parent")
    query = (
        select(child.c.id)
        .select_from(
            child.outerjoin(
                parent,
                and_(
                    parent.c.tenant_id == child.c.tenant_id,
                    parent.c.id == child.c.parent_id,
                    parent.c.deleted.is_(False),
                ),
            )
        )
        .where(
            child.c.tenant_id == tenant_id,
            child.c.deleted.is_(False),
            or_(
                and_(parent.c.id.is_(None), child.c.path != SEPARATOR + child.c.id + SEPARATOR),
                and_(
                    parent.c.id.is_not(None),
                    child.c.path != parent.c.path + child.c.id + SEPARATOR,
                    ~_begins_with(parent.c.path, child.c.path),
                ),
            ),
        )
        .order_by(child.c.path)
    )
    return list((await session.execute(query)).scalars())


async def _place(session: AsyncSession, table: Table, tenant_id: str, unit_id: str) -> bool:
    """Move the unit, its subtree along, under its parent's path as it is now; True when it moved."""
    unit = (
        await session.execute(
            select(table.c.path, table.c.parent_id).where(
                table.c.tenant_id == tenant_id, table.c.id == unit_id
            )
        )
    ).one()
    parent_path = None
    if unit.parent_id is not None:
        parent_path = await session.scalar(
            select(table.c.path).where(
                table.c.tenant_id == tenant_id, table.c.id == unit.parent_id, table.c.deleted.is_(False)
            )
        )
    # A parent inside the unit's own subtree comes only from events applied out of order: the unit
    # stays where it is until a newer event breaks the loop, so the paths never form one.
    if parent_path is not None and parent_path.startswith(unit.path):
        return False
    path = path_of(parent_path, unit_id)
    if path == unit.path:
        return False
    column = table.c.path
    await session.execute(
        update(table)
        .where(table.c.tenant_id == tenant_id, column >= unit.path, column < subtree_upper_bound(unit.path))
        .values(path=path + func.substr(column, len(unit.path) + 1)),
        execution_options={"synchronize_session": False},
    )
    return True


def _begins_with(text: ColumnElement[str], prefix: ColumnElement[str]) -> ColumnElement[bool]:
    # Not LIKE: "_" and "%" in an id would be wildcards there.
    return func.substr(text, 1, func.length(prefix)) == prefix


async def _apply_employees(
    session: AsyncSession, table: Table, tenant_id: str, employees: Sequence[org_pb2.Employee]
) -> None:
    rows = [
        {
            "tenant_id": tenant_id,
            "id": employee.id,
            "employee_number": employee.employee_number,
            "display_name": employee.display_name,
            "unit_id": employee.unit_id,
            "position_id": employee.position_id or None,
            "manager_id": employee.manager_id or None,
            "active": employee.status == org_pb2.EMPLOYMENT_STATUS_ACTIVE,
            "version": employee.version,
        }
        for employee in _newest(employees).values()
    ]
    await _upsert_newer(session, table, rows, _EMPLOYEE_FIELDS)


def _newest(things: Iterable[Versioned]) -> dict[str, Versioned]:
    """One per id, the highest version: one statement may not touch a row twice (PostgreSQL)."""
    newest: dict[str, Versioned] = {}
    for thing in things:
        if thing.id not in newest or newest[thing.id].version < thing.version:
            newest[thing.id] = thing
    return newest


async def _upsert_newer(
    session: AsyncSession,
    table: Table,
    rows: list[dict[str, Any]],
    fields: Sequence[str],
    *replaceable: ColumnElement[bool],
) -> None:
    """Insert the rows, or update the stored ones that are older than them (and `replaceable`)."""
    if not rows:
        return
    dialect_name = (await session.connection()).dialect.name
    statement = upsert(dialect_name, table)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.tenant_id, table.c.id],
        set_={name: statement.excluded[name] for name in fields},
        where=and_(table.c.version < statement.excluded.version, *replaceable),
    )
    await session.execute(statement, rows)
