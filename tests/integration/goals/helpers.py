"""What the goals integration tests share: a small manufacturer built through org's ImportOrg, and a
wait until goals' read model of org (fed by org's events) knows it.

    company CO (head: ceo)
    ├── production PROD (head: production_manager)
    │   └── line 1 LINE1 (head: line_lead)        operators: operator_a, operator_b (report to line_lead)
    └── quality QA (head: quality_manager)        inspector (reports to quality_manager)
    ceo ── production_manager ── line_lead ── operator_a, operator_b
        └── quality_manager ── inspector
"""

from __future__ import annotations

from dataclasses import dataclass

from fulcrum.org.v1 import org_pb2

from services.chassis.context import ROLE_EMPLOYEE
from tests.support.calls import Metadata
from tests.support.directory import wait_for_directory
from tests.support.goals import GoalsHarness
from tests.support.org import OrgHarness, new_tenant

UNITS = (
    # name, code, parent, head
    ("company", "CO", "", "ceo"),
    ("production", "PROD", "CO", "production_manager"),
    ("line1", "LINE1", "PROD", "line_lead"),
    ("quality", "QA", "CO", "quality_manager"),
)
EMPLOYEES = (
    # name, unit, manager
    ("ceo", "CO", ""),
    ("production_manager", "PROD", "ceo"),
    ("line_lead", "LINE1", "production_manager"),
    ("operator_a", "LINE1", "line_lead"),
    ("operator_b", "LINE1", "line_lead"),
    ("quality_manager", "QA", "ceo"),
    ("inspector", "QA", "quality_manager"),
)


@dataclass(frozen=True)
class Plant:
    """One tenant's manufacturer: unit and employee ids by their names above."""

    tenant: str
    units: dict[str, str]
    employees: dict[str, str]


def _csv(header: str, rows: list[str]) -> bytes:
    return "\n".join([header, *rows]).encode() + b"\n"


async def build_plant(org: OrgHarness, goals: GoalsHarness, tenant: str | None = None) -> Plant:
    """The manufacturer in org, once goals' read model has caught up with it."""
    tenant = tenant or new_tenant()
    numbers = {name: f"E{index:03d}" for index, (name, *_) in enumerate(EMPLOYEES, start=1)}
    request = org_pb2.ImportOrgRequest(
        format=org_pb2.IMPORT_FORMAT_CSV,
        units=_csv(
            "code,name,parent_code,head_employee_number",
            [f"{code},{name},{parent},{numbers[head]}" for name, code, parent, head in UNITS],
        ),
        employees=_csv(
            "employee_number,display_name,email,unit_code,position_code,manager_employee_number,hire_date",
            [
                f"{numbers[name]},{name},{name}@{tenant}.test,{unit},,{numbers.get(manager, '')},2020-01-06"
                for name, unit, manager in EMPLOYEES
            ],
        ),
    )
    admin = org.admin(tenant)
    await org.stub.ImportOrg(request, metadata=admin)
    listed_units = await org.stub.ListUnits(org_pb2.ListUnitsRequest(page_size=100), metadata=admin)
    unit_ids = {unit.code: unit.id for unit in listed_units.units}
    listed = await org.stub.ListEmployees(org_pb2.ListEmployeesRequest(page_size=100), metadata=admin)
    employee_ids = {employee.employee_number: employee.id for employee in listed.employees}
    plant = Plant(
        tenant,
        units={name: unit_ids[code] for name, code, *_ in UNITS},
        employees={name: employee_ids[numbers[name]] for name, *_ in EMPLOYEES},
    )
    await wait_for_directory(goals, tenant, plant.employees.values())
    return plant


def as_person(goals: GoalsHarness, plant: Plant, name: str, *roles: str) -> Metadata:
    """Call metadata for one of the plant's employees, an employee unless other roles are given."""
    return goals.as_(plant.tenant, plant.employees[name], roles or (ROLE_EMPLOYEE,))
