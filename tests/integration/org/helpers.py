"""What the org integration tests share: a small org built through the API, expected errors, paging,
import files, and the service's database read back to prove that a refused call changed nothing."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator, Awaitable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import grpc
import pytest
from fulcrum.org.v1 import org_pb2
from google.protobuf.field_mask_pb2 import FieldMask
from google.protobuf.message import Message
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from sqlalchemy import select

from services.chassis.context import ROLE_EMPLOYEE
from services.chassis.database import create_engine
from services.org.adapters import tables
from tests.support.org import OrgHarness, new_tenant

Metadata = tuple[tuple[str, str], ...]

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


def mask(*paths: str) -> FieldMask:
    return FieldMask(paths=list(paths))


def as_employee(org: OrgHarness, small: SmallOrg, name: str, *roles: str) -> Metadata:
    """Call metadata for one of the small org's employees, an employee unless other roles are given."""
    return org.as_(small.tenant, small.employees[name].id, roles or (ROLE_EMPLOYEE,))


async def rpc_error(call: Awaitable[object], code: grpc.StatusCode) -> grpc.aio.AioRpcError:
    """The error `call` fails with, which must carry `code`."""
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    assert caught.value.code() == code, f"{caught.value.code()}: {caught.value.details()}"
    return caught.value


def field_violations(error: grpc.aio.AioRpcError) -> dict[str, str]:
    """The google.rpc.BadRequest field violations of an error, field -> description."""
    bad_request = error_details_pb2.BadRequest()
    assert _detail(error).Unpack(bad_request), "the error detail is not a google.rpc.BadRequest"
    return {violation.field: violation.description for violation in bad_request.field_violations}


def precondition_violations(error: grpc.aio.AioRpcError) -> dict[str, str]:
    """The google.rpc.PreconditionFailure violations of an error, subject -> description."""
    failure = error_details_pb2.PreconditionFailure()
    assert _detail(error).Unpack(failure), "the error detail is not a google.rpc.PreconditionFailure"
    return {violation.subject: violation.description for violation in failure.violations}


def _detail(error: grpc.aio.AioRpcError) -> Any:
    status = rpc_status.from_call(error)
    assert status is not None, f"no google.rpc.Status on {error.details()}"
    assert len(status.details) == 1, f"not one error detail on {error.details()}"
    return status.details[0]


async def every_page(method: Any, request: Message, items_field: str, metadata: Metadata) -> list[list[Any]]:
    """Each page of a list call, following next_page_token to the end."""
    request = type(request).FromString(request.SerializeToString())
    pages = []
    while True:
        response = await method(request, metadata=metadata)
        pages.append(list(getattr(response, items_field)))
        if not response.next_page_token:
            return pages
        request.page_token = response.next_page_token


@dataclass(frozen=True)
class StoredState:
    rows: dict[str, list[tuple[Any, ...]]]
    event_ids: list[str]


async def stored_state(database_url: str) -> StoredState:
    """Every row the org keeps, and the ids of the events in its outbox."""
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            rows = {}
            for table in STATE_TABLES:
                result = await connection.execute(select(table).order_by(*table.primary_key.columns))
                rows[table.name] = [tuple(row) for row in result]
            outbox = tables.chassis.outbox
            event_ids = list(
                (await connection.execute(select(outbox.c.event_id).order_by(outbox.c.seq))).scalars()
            )
    finally:
        await engine.dispose()
    return StoredState(rows, event_ids)


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
    before = await stored_state(org.settings.database_url)
    yield
    after = await stored_state(org.settings.database_url)
    assert after.event_ids == before.event_ids, "an event was written"
    for table, rows in before.rows.items():
        assert after.rows[table] == rows, f"{table} changed"


def csv_file(rows: Sequence[dict[str, str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode()


def json_file(rows: Sequence[dict[str, str]]) -> bytes:
    return json.dumps(list(rows)).encode()
