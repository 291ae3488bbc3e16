"""What the org integration tests share: a small org built through the API, import files, and the org's
database read back (the checks every service's tests share are in tests/support/calls.py)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

from fulcrum.org.v1 import org_pb2
from sqlalchemy import select

from services.chassis.context import ROLE_EMPLOYEE
from services.chassis.database import create_engine
from services.org.adapters import tables
from tests.support.calls import (
    Metadata,
    StoredState,
    every_page,
    field_violations,
    mask,
    precondition_violations,
    read_state,
    rpc_error,
    state_unchanged,
)
from tests.support.org import OrgHarness, new_tenant

__all__ = [
    "Metadata",
    "SmallOrg",
    "as_employee",
    "build_small_org",
    "csv_file",
    "every_page",
    "field_violations",
    "json_file",
    "mask",
    "nothing_changes",
    "precondition_violations",
    "rpc_error",
    "stored_events",
    "stored_state",
]

# Everything a use case writes besides the outbox; the relay stamps outbox rows as it publishes them,
# so the outbox is compared by its event ids.
STATE_TABLES = (
    tables.units,
    tables.positions,
    tables.employees,
    tables.role_grants,
    tables.responsibilities,
    tables.chassis.idempotency,
)


@dataclass
class SmallOrg:
    """One tenant's org, every code, name, number and e-mail tagged with the tenant, so a value seen in
    another tenant's response can only have leaked from this one.

    company (CO) ── sales (SALES) ── sales_east (SALES-E)
                └── operations (OPS)
    ceo ─┬─ sales_head ─┬─ seller (sales_east)
         │              └─ liaison (sits in operations, reports to sales)
         └─ operations_head ── analyst
    """

    tenant: str
    tag: str
    units: dict[str, org_pb2.Unit]
    positions: dict[str, org_pb2.Position]
    employees: dict[str, org_pb2.Employee]

    def identifying_values(self) -> list[str]:
        values = [self.tag]
        for unit in self.units.values():
            values += [unit.id, unit.code, unit.name]
        for position in self.positions.values():
            values += [position.id, position.code, position.title]
        for employee in self.employees.values():
            values += [employee.id, employee.employee_number, employee.display_name, employee.email]
        return values


UNITS = (
    # name, code, display name, parent, head
    ("company", "CO", "Company", None, "ceo"),
    ("sales", "SALES", "Sales", "company", "sales_head"),
    ("sales_east", "SALES-E", "Sales East", "sales", None),
    ("operations", "OPS", "Operations", "company", "operations_head"),
)
POSITIONS = (
    # name, code, title, unit, assessor
    ("ceo", "CEO", "Chief executive", "company", None),
    ("sales_manager", "SALES-MGR", "Sales manager", "sales", "ceo"),
    ("seller", "SELLER", "Account executive", "sales_east", "sales_manager"),
    ("operations_manager", "OPS-MGR", "Operations manager", "operations", "ceo"),
    ("analyst", "ANALYST", "Data analyst", "operations", "operations_manager"),
)
EMPLOYEES = (
    # name, number, unit, position, manager
    ("ceo", "1", "company", "ceo", None),
    ("sales_head", "2", "sales", "sales_manager", "ceo"),
    ("seller", "3", "sales_east", "seller", "sales_head"),
    ("operations_head", "4", "operations", "operations_manager", "ceo"),
    ("analyst", "5", "operations", "analyst", "operations_head"),
    ("liaison", "6", "operations", "analyst", "sales_head"),
)


async def build_small_org(org: OrgHarness, tenant: str | None = None) -> SmallOrg:
    tenant = tenant or new_tenant()
    tag = tenant.rsplit("-", 1)[-1]
    admin = org.admin(tenant)
    units: dict[str, org_pb2.Unit] = {}
    for name, code, display, parent, _ in UNITS:
        unit = org_pb2.Unit(
            code=f"{code}-{tag}", name=f"{display} {tag}", parent_id=units[parent].id if parent else ""
        )
        units[name] = (await org.stub.CreateUnit(org_pb2.CreateUnitRequest(unit=unit), metadata=admin)).unit
    positions: dict[str, org_pb2.Position] = {}
    for name, code, title, unit_name, assessor in POSITIONS:
        position = org_pb2.Position(
            code=f"{code}-{tag}",
            title=f"{title} {tag}",
            unit_id=units[unit_name].id,
            job_description=f"What a {title.lower()} does",
            responsibilities=[f"{title} duty one", f"{title} duty two"],
            assessor_position_id=positions[assessor].id if assessor else "",
        )
        request = org_pb2.CreatePositionRequest(position=position)
        positions[name] = (await org.stub.CreatePosition(request, metadata=admin)).position
    employees: dict[str, org_pb2.Employee] = {}
    for name, number, unit_name, position_name, manager in EMPLOYEES:
        employee = org_pb2.Employee(
            employee_number=f"{tag}-{number}",
            display_name=f"{name.replace('_', ' ').title()} {tag}",
            email=f"{name}.{tag}@example.com",
            unit_id=units[unit_name].id,
            position_id=positions[position_name].id,
            manager_id=employees[manager].id if manager else "",
            hire_date="2021-03-01",
        )
        request = org_pb2.HireEmployeeRequest(employee=employee)
        employees[name] = (await org.stub.HireEmployee(request, metadata=admin)).employee
    for name, *_, head in UNITS:
        if head:
            request = org_pb2.UpdateUnitRequest(
                unit=org_pb2.Unit(id=units[name].id, head_employee_id=employees[head].id),
                update_mask=mask("head_employee_id"),
            )
            units[name] = (await org.stub.UpdateUnit(request, metadata=admin)).unit
    return SmallOrg(tenant, tag, units, positions, employees)


def as_employee(org: OrgHarness, small: SmallOrg, name: str, *roles: str) -> Metadata:
    """Call metadata for one of the small org's employees, an employee unless other roles are given."""
    return org.as_(small.tenant, small.employees[name].id, roles or (ROLE_EMPLOYEE,))


async def stored_state(database_url: str) -> StoredState:
    """Every row the org keeps, and the ids of the events in its outbox."""
    return await read_state(database_url, STATE_TABLES, tables.chassis.outbox)


@dataclass(frozen=True)
class StoredEvent:
    event_type: str
    tenant_id: str
    payload: bytes


async def stored_events(database_url: str) -> list[StoredEvent]:
    """The outbox, oldest first."""
    outbox = tables.chassis.outbox
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            query = select(outbox.c.event_type, outbox.c.tenant_id, outbox.c.payload).order_by(outbox.c.seq)
            return [StoredEvent(*row) for row in await connection.execute(query)]
    finally:
        await engine.dispose()


@asynccontextmanager
async def nothing_changes(org: OrgHarness) -> AsyncIterator[None]:
    """Asserts that what runs inside changes no row and writes no event."""
    async with state_unchanged(org.settings.database_url, STATE_TABLES, tables.chassis.outbox):
        yield


def csv_file(rows: Sequence[dict[str, str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode()


def json_file(rows: Sequence[dict[str, str]]) -> bytes:
    return json.dumps(list(rows)).encode()
