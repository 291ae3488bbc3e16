"""What the appraisal integration tests share: a small organization built through org's ImportOrg (any
area may import `build_org` and pass its own units, positions and employees), a wait until appraisal's
directory knows it, and the setup area's requests and stored state.

The default organization, a fintech company:

    company CO (head: ceo)
    ├── sales SALES (head: sales_head)
    │   └── east EAST (head: east_lead)       reps: rep_a, rep_b (report to east_lead), analyst_e
    └── risk RISK (head: risk_head)           analyst (reports to risk_head)
    positions: REP (sales rep, EAST), ANL (analyst, RISK)
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from fulcrum.appraisal.v1 import appraisal_pb2, events_pb2
from fulcrum.org.v1 import org_pb2
from sqlalchemy import select

from services.appraisal.adapters import tables
from services.chassis.context import ROLE_EMPLOYEE, ROLE_HR
from services.chassis.database import create_engine
from tests.support.appraisal import AppraisalHarness
from tests.support.calls import Metadata, read_state, state_unchanged
from tests.support.directory import wait_for_directory
from tests.support.org import OrgHarness
from tests.support.services import new_tenant

UNITS = (
    # name, code, parent code, head
    ("company", "CO", "", "ceo"),
    ("sales", "SALES", "CO", "sales_head"),
    ("east", "EAST", "SALES", "east_lead"),
    ("risk", "RISK", "CO", "risk_head"),
)
POSITIONS = (
    # name, code, title, unit code
    ("rep", "REP", "Sales representative", "EAST"),
    ("analyst", "ANL", "Risk analyst", "RISK"),
)
EMPLOYEES = (
    # name, unit code, manager, position ("" for none)
    ("ceo", "CO", "", ""),
    ("sales_head", "SALES", "ceo", ""),
    ("east_lead", "EAST", "sales_head", ""),
    ("rep_a", "EAST", "east_lead", "rep"),
    ("rep_b", "EAST", "east_lead", "rep"),
    ("analyst_e", "EAST", "east_lead", "analyst"),
    ("risk_head", "RISK", "ceo", ""),
    ("analyst", "RISK", "risk_head", "analyst"),
)

# What the setup area writes besides the outbox.
SETUP_TABLES = (
    tables.grade_scales,
    tables.templates,
    tables.template_defaults,
    tables.cycles,
    tables.cycle_members,
    tables.chassis.idempotency,
)


@dataclass(frozen=True)
class Org:
    """One tenant's organization: unit, position and employee ids by their names."""

    tenant: str
    units: dict[str, str]
    positions: dict[str, str]
    employees: dict[str, str]


def _csv(header: str, rows: Iterable[str]) -> bytes:
    return "\n".join([header, *rows]).encode() + b"\n"


async def build_org(
    org: OrgHarness,
    appraisal: AppraisalHarness,
    tenant: str | None = None,
    *,
    units: Sequence[tuple[str, str, str, str]] = UNITS,
    positions: Sequence[tuple[str, str, str, str]] = POSITIONS,
    employees: Sequence[tuple[str, str, str, str]] = EMPLOYEES,
) -> Org:
    """The organization in org, once appraisal's directory has caught up with it. Rows as UNITS,
    POSITIONS and EMPLOYEES above (employees name their unit by code, manager and position by name)."""
    tenant = tenant or new_tenant()
    numbers = {name: f"E{index:04d}" for index, (name, *_) in enumerate(employees, start=1)}
    position_codes = {name: code for name, code, *_ in positions}
    request = org_pb2.ImportOrgRequest(
        format=org_pb2.IMPORT_FORMAT_CSV,
        units=_csv(
            "code,name,parent_code,head_employee_number",
            (f"{code},{name},{parent},{numbers.get(head, '')}" for name, code, parent, head in units),
        ),
        positions=_csv(
            "code,title,unit_code", (f"{code},{title},{unit}" for _, code, title, unit in positions)
        ),
        employees=_csv(
            "employee_number,display_name,email,unit_code,position_code,manager_employee_number,hire_date",
            (
                f"{numbers[name]},{name},{name}@{tenant}.test,{unit},{position_codes.get(position, '')},"
                f"{numbers.get(manager, '')},2020-01-06"
                for name, unit, manager, position in employees
            ),
        ),
    )
    admin = org.admin(tenant)
    await org.stub.ImportOrg(request, metadata=admin)
    listed_units = await org.stub.ListUnits(org_pb2.ListUnitsRequest(page_size=1000), metadata=admin)
    unit_ids = {unit.code: unit.id for unit in listed_units.units}
    listed_positions = await org.stub.ListPositions(
        org_pb2.ListPositionsRequest(page_size=1000), metadata=admin
    )
    position_ids = {position.code: position.id for position in listed_positions.positions}
    listed = await org.stub.ListEmployees(org_pb2.ListEmployeesRequest(page_size=1000), metadata=admin)
    employee_ids = {employee.employee_number: employee.id for employee in listed.employees}
    built = Org(
        tenant,
        units={name: unit_ids[code] for name, code, *_ in units},
        positions={name: position_ids[code] for name, code, *_ in positions},
        employees={name: employee_ids[numbers[name]] for name, *_ in employees},
    )
    await wait_for_directory(appraisal, tenant, built.employees.values())
    return built


def as_person(appraisal: AppraisalHarness, org: Org, name: str, *roles: str) -> Metadata:
    """Call metadata for one of the organization's employees, an employee unless other roles are given."""
    return appraisal.as_(org.tenant, org.employees[name], roles or (ROLE_EMPLOYEE,))


def as_hr(appraisal: AppraisalHarness, org: Org, *unit_names: str) -> Metadata:
    """HR for the whole tenant, or for these units' subtrees."""
    return appraisal.as_(org.tenant, "hr-person", (ROLE_HR,), [org.units[name] for name in unit_names])


def quantitative_item(title: str = "Defect rate", weight: float = 60, **fields: Any) -> appraisal_pb2.Item:
    item = appraisal_pb2.Item(
        title=title,
        kind=appraisal_pb2.ITEM_KIND_QUANTITATIVE,
        weight=weight,
        quantitative=appraisal_pb2.Quantitative(
            metric_code="defect_rate",
            direction=appraisal_pb2.DIRECTION_LOWER_IS_BETTER,
            target=3.0,
            linear=appraisal_pb2.LinearScoring(floor=8.0, cap=120.0),
            data_source="MES",
        ),
        aligned_objective_id="objective-quality",
    )
    for name, value in fields.items():
        setattr(item, name, value)
    return item


def qualitative_item(title: str = "Customer focus", weight: float = 40) -> appraisal_pb2.Item:
    return appraisal_pb2.Item(
        title=title,
        kind=appraisal_pb2.ITEM_KIND_QUALITATIVE,
        weight=weight,
        qualitative=appraisal_pb2.Qualitative(scale_max=5, guidance="puts the customer first"),
    )


def template(name: str = "Operators", **fields: Any) -> appraisal_pb2.Template:
    sent = appraisal_pb2.Template(name=name, items=[quantitative_item(), qualitative_item()])
    for field, value in fields.items():
        sent.ClearField(field)
        getattr(sent, field).extend(value)
    return sent


def cycle(org: Org, name: str = "2027 Q1", **fields: Any) -> appraisal_pb2.Cycle:
    """A quarterly cycle over the whole company, with a deadline per phase, any field replaced."""
    sent = appraisal_pb2.Cycle(
        name=name,
        kind=appraisal_pb2.CYCLE_KIND_QUARTERLY,
        period_start="2027-01-01",
        period_end="2027-03-31",
        unit_ids=[org.units["company"]],
        deadlines=[
            appraisal_pb2.PhaseDeadline(phase=appraisal_pb2.PHASE_INDICATOR_SETTING, due_on="2027-01-15"),
            appraisal_pb2.PhaseDeadline(phase=appraisal_pb2.PHASE_REVIEW, due_on="2027-04-10"),
            appraisal_pb2.PhaseDeadline(phase=appraisal_pb2.PHASE_CALIBRATION, due_on="2027-04-20"),
        ],
    )
    for field, value in fields.items():
        if isinstance(value, list):
            sent.ClearField(field)
            getattr(sent, field).extend(value)
        elif hasattr(value, "CopyFrom"):
            getattr(sent, field).CopyFrom(value)
        else:
            setattr(sent, field, value)
    return sent


async def create_cycle(appraisal: AppraisalHarness, org: Org, **fields: Any) -> appraisal_pb2.Cycle:
    request = appraisal_pb2.CreateCycleRequest(cycle=cycle(org, **fields))
    return (await appraisal.stub.CreateCycle(request, metadata=appraisal.admin(org.tenant))).cycle


async def advance(appraisal: AppraisalHarness, org: Org, cycle_id: str, phase: int) -> appraisal_pb2.Cycle:
    request = appraisal_pb2.AdvanceCycleRequest(cycle_id=cycle_id, to_phase=phase)
    return (await appraisal.stub.AdvanceCycle(request, metadata=appraisal.admin(org.tenant))).cycle


@asynccontextmanager
async def setup_unchanged(appraisal: AppraisalHarness) -> AsyncIterator[None]:
    """Asserts that what runs inside changes no scale, template, cycle or member and writes no event."""
    async with state_unchanged(appraisal.settings.database_url, SETUP_TABLES, tables.chassis.outbox):
        yield


async def event_count(appraisal: AppraisalHarness) -> int:
    return len((await read_state(appraisal.settings.database_url, (), tables.chassis.outbox)).event_ids)


async def stored_members(
    appraisal: AppraisalHarness, tenant: str, cycle_id: str
) -> dict[str, tuple[Any, ...]]:
    """The cycle's member snapshot: employee id -> (unit id, position id, manager id)."""
    members = tables.cycle_members
    engine = create_engine(appraisal.settings.database_url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                select(
                    members.c.employee_id, members.c.unit_id, members.c.position_id, members.c.manager_id
                ).where(members.c.tenant_id == tenant, members.c.cycle_id == cycle_id)
            )
            return {row.employee_id: (row.unit_id, row.position_id, row.manager_id) for row in rows}
    finally:
        await engine.dispose()


async def phase_events(appraisal: AppraisalHarness) -> list[tuple[str, events_pb2.CyclePhaseChanged]]:
    """Every CyclePhaseChanged in the outbox, oldest first, with its tenant."""
    outbox = tables.chassis.outbox
    engine = create_engine(appraisal.settings.database_url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                select(outbox.c.tenant_id, outbox.c.payload)
                .where(outbox.c.event_type == "fulcrum.appraisal.v1.CyclePhaseChanged")
                .order_by(outbox.c.seq)
            )
            return [(tenant, events_pb2.CyclePhaseChanged.FromString(payload)) for tenant, payload in rows]
    finally:
        await engine.dispose()
