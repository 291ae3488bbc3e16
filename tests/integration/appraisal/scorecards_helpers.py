"""What the scorecard tests share: a small fintech company built through org's ImportOrg, a wait until
appraisal's read model of org knows it, a cycle in indicator setting, items, and the calls of A3.

    fintech FIN (head: director)
    ├── sales SALES (head: sales_head)          seller_a, seller_b (report to sales_head)
    ├── operations OPS (head: ops_head)         clerk
    ├── tech TECH (head: tech_head)             developer
    ├── risk RISK (head: risk_head)             analyst
    └── compliance COMP (head: compliance_head) officer
    every head reports to the director
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from fulcrum.appraisal.v1 import appraisal_pb2
from fulcrum.org.v1 import org_pb2

from services.appraisal.adapters import tables
from services.chassis.context import ROLE_EMPLOYEE, ROLE_HR
from tests.support.appraisal import AppraisalHarness
from tests.support.calls import Metadata, mask, state_unchanged
from tests.support.directory import wait_for_directory
from tests.support.org import OrgHarness, new_tenant

HR_DIRECTOR = "hr-director"

UNITS = (
    # name, code, parent, head
    ("fintech", "FIN", "", "director"),
    ("sales", "SALES", "FIN", "sales_head"),
    ("operations", "OPS", "FIN", "ops_head"),
    ("tech", "TECH", "FIN", "tech_head"),
    ("risk", "RISK", "FIN", "risk_head"),
    ("compliance", "COMP", "FIN", "compliance_head"),
)
DEPARTMENTS = ("sales", "operations", "tech", "risk", "compliance")
EMPLOYEES = (
    # name, unit, manager
    ("director", "FIN", ""),
    ("sales_head", "SALES", "director"),
    ("seller_a", "SALES", "sales_head"),
    ("seller_b", "SALES", "sales_head"),
    ("ops_head", "OPS", "director"),
    ("clerk", "OPS", "ops_head"),
    ("tech_head", "TECH", "director"),
    ("developer", "TECH", "tech_head"),
    ("risk_head", "RISK", "director"),
    ("analyst", "RISK", "risk_head"),
    ("compliance_head", "COMP", "director"),
    ("officer", "COMP", "compliance_head"),
)
# The people of each department, head first.
PEOPLE = {
    department: [name for name, unit, _ in EMPLOYEES if unit == code]
    for department, code, *_ in UNITS
    if department in DEPARTMENTS
}

STATE_TABLES = (tables.scorecards, tables.chassis.idempotency)

PROPOSED = appraisal_pb2.SCORECARD_STATUS_PROPOSED
RETURNED = appraisal_pb2.SCORECARD_STATUS_RETURNED
APPROVED = appraisal_pb2.SCORECARD_STATUS_APPROVED
CONFIRMED = appraisal_pb2.SCORECARD_STATUS_CONFIRMED
APPROVE = appraisal_pb2.VERDICT_APPROVE
RETURN = appraisal_pb2.VERDICT_RETURN


@dataclass(frozen=True)
class Company:
    """One tenant's fintech company: unit and employee ids by their names above."""

    tenant: str
    units: dict[str, str]
    employees: dict[str, str]

    def ids(self, *names: str) -> set[str]:
        return {self.employees[name] for name in names}


def _csv(header: str, rows: list[str]) -> bytes:
    return "\n".join([header, *rows]).encode() + b"\n"


async def build_company(org: OrgHarness, appraisal: AppraisalHarness, tenant: str | None = None) -> Company:
    """The fintech company in org, once appraisal's read model has caught up with it."""
    tenant = tenant or new_tenant()
    numbers = {name: f"F{index:03d}" for index, (name, *_) in enumerate(EMPLOYEES, start=1)}
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
    company = Company(
        tenant,
        units={name: unit_ids[code] for name, code, *_ in UNITS},
        employees={name: employee_ids[numbers[name]] for name, *_ in EMPLOYEES},
    )
    await wait_for_directory(appraisal, tenant, company.employees.values(), company.units.values())
    return company


def person(appraisal: AppraisalHarness, company: Company, name: str, *roles: str) -> Metadata:
    """Call metadata for one of the company's employees, an employee unless other roles are given."""
    return appraisal.as_(company.tenant, company.employees[name], roles or (ROLE_EMPLOYEE,))


def hr(appraisal: AppraisalHarness, company: Company, *units: str) -> Metadata:
    """HR for the whole company, or for the subtrees of the named units."""
    return appraisal.as_(
        company.tenant, HR_DIRECTOR, (ROLE_HR,), hr_unit_ids=[company.units[unit] for unit in units]
    )


def today() -> date:
    return datetime.now(UTC).date()


def days_from_today(days: int) -> str:
    return (today() + timedelta(days=days)).isoformat()


async def create_cycle(
    appraisal: AppraisalHarness, company: Company, *units: str, indicator_deadline: int = 14
) -> appraisal_pb2.Cycle:
    """An annual cycle over the units' subtrees (the whole company unless named), in DRAFT; indicator
    setting is due `indicator_deadline` days from today, the reviews a month after that."""
    year = today().year
    cycle = appraisal_pb2.Cycle(
        name=f"Annual review {year}",
        kind=appraisal_pb2.CYCLE_KIND_ANNUAL,
        period_start=f"{year}-01-01",
        period_end=f"{year}-12-31",
        unit_ids=[company.units[unit] for unit in units or ("fintech",)],
        deadlines=[
            appraisal_pb2.PhaseDeadline(
                phase=appraisal_pb2.PHASE_INDICATOR_SETTING, due_on=days_from_today(indicator_deadline)
            ),
            appraisal_pb2.PhaseDeadline(
                phase=appraisal_pb2.PHASE_REVIEW, due_on=days_from_today(indicator_deadline + 30)
            ),
        ],
    )
    request = appraisal_pb2.CreateCycleRequest(cycle=cycle)
    return (await appraisal.stub.CreateCycle(request, metadata=appraisal.admin(company.tenant))).cycle


async def advance(appraisal: AppraisalHarness, company: Company, cycle_id: str, phase: int) -> None:
    request = appraisal_pb2.AdvanceCycleRequest(cycle_id=cycle_id, to_phase=phase)
    await appraisal.stub.AdvanceCycle(request, metadata=appraisal.admin(company.tenant))


async def indicator_setting(
    appraisal: AppraisalHarness, company: Company, *units: str, indicator_deadline: int = 14
) -> str:
    """The id of a cycle (see create_cycle) that has entered indicator setting."""
    cycle = await create_cycle(appraisal, company, *units, indicator_deadline=indicator_deadline)
    await advance(appraisal, company, cycle.id, appraisal_pb2.PHASE_INDICATOR_SETTING)
    return cycle.id


async def move_indicator_deadline(
    appraisal: AppraisalHarness, company: Company, cycle_id: str, days: int
) -> None:
    deadlines = [
        appraisal_pb2.PhaseDeadline(
            phase=appraisal_pb2.PHASE_INDICATOR_SETTING, due_on=days_from_today(days)
        ),
        appraisal_pb2.PhaseDeadline(phase=appraisal_pb2.PHASE_REVIEW, due_on=days_from_today(days + 30)),
    ]
    request = appraisal_pb2.UpdateCycleRequest(
        cycle=appraisal_pb2.Cycle(id=cycle_id, deadlines=deadlines), update_mask=mask("deadlines")
    )
    await appraisal.stub.UpdateCycle(request, metadata=appraisal.admin(company.tenant))


def rated(title: str, weight: float, **fields: Any) -> appraisal_pb2.Item:
    """A qualitative item: rated by people, so the compliance checks do not apply to it."""
    return appraisal_pb2.Item(
        title=title,
        kind=appraisal_pb2.ITEM_KIND_QUALITATIVE,
        weight=weight,
        qualitative=appraisal_pb2.Qualitative(scale_max=5, guidance=f"{title}: how well"),
        **fields,
    )


def measured(
    title: str,
    weight: float,
    metric_code: str = "loan_volume",
    key_result_id: str = "",
    data_source: str = "CRM",
    **fields: Any,
) -> appraisal_pb2.Item:
    """A quantitative item read from a goals metric (or key result), linear to its target."""
    quantitative = appraisal_pb2.Quantitative(
        metric_code=metric_code,
        key_result_id=key_result_id,
        direction=appraisal_pb2.DIRECTION_HIGHER_IS_BETTER,
        target=100.0,
        linear=appraisal_pb2.LinearScoring(floor=0.0, cap=120.0),
        data_source=data_source,
    )
    return appraisal_pb2.Item(
        title=title,
        kind=appraisal_pb2.ITEM_KIND_QUANTITATIVE,
        weight=weight,
        quantitative=quantitative,
        **fields,
    )


# Compliant: only qualitative items.
VALUES = (rated("Customer focus", 60.0), rated("Teamwork", 40.0))
# One item fails the checks: its metric is not in goals' catalog and it serves no goal.
WITH_ONE_FINDING = (measured("Loan volume", 50.0), rated("Customer focus", 50.0))


async def propose(
    appraisal: AppraisalHarness,
    metadata: Metadata,
    cycle_id: str,
    employee_id: str,
    items: Iterable[appraisal_pb2.Item] = VALUES,
    **fields: Any,
) -> appraisal_pb2.Scorecard:
    request = appraisal_pb2.ProposeScorecardRequest(
        cycle_id=cycle_id, employee_id=employee_id, items=list(items), **fields
    )
    return (await appraisal.stub.ProposeScorecard(request, metadata=metadata)).scorecard


async def review(
    appraisal: AppraisalHarness,
    metadata: Metadata,
    cycle_id: str,
    employee_id: str,
    verdict: int = APPROVE,
    *reasons: appraisal_pb2.ItemReturn,
    **fields: Any,
) -> appraisal_pb2.Scorecard:
    request = appraisal_pb2.ReviewScorecardRequest(
        cycle_id=cycle_id, employee_id=employee_id, verdict=verdict, returns=list(reasons), **fields
    )
    return (await appraisal.stub.ReviewScorecard(request, metadata=metadata)).scorecard


async def confirm(
    appraisal: AppraisalHarness, metadata: Metadata, cycle_id: str, employee_id: str, **fields: Any
) -> appraisal_pb2.Scorecard:
    request = appraisal_pb2.ConfirmScorecardRequest(cycle_id=cycle_id, employee_id=employee_id, **fields)
    return (await appraisal.stub.ConfirmScorecard(request, metadata=metadata)).scorecard


async def get(
    appraisal: AppraisalHarness, metadata: Metadata, cycle_id: str, employee_id: str
) -> appraisal_pb2.Scorecard:
    request = appraisal_pb2.GetScorecardRequest(cycle_id=cycle_id, employee_id=employee_id)
    return (await appraisal.stub.GetScorecard(request, metadata=metadata)).scorecard


async def listed(
    appraisal: AppraisalHarness, metadata: Metadata, cycle_id: str, **fields: Any
) -> dict[str, appraisal_pb2.Scorecard]:
    """The scorecards a list call returns, by employee id."""
    request = appraisal_pb2.ListScorecardsRequest(cycle_id=cycle_id, **fields)
    response = await appraisal.stub.ListScorecards(request, metadata=metadata)
    return {scorecard.employee_id: scorecard for scorecard in response.scorecards}


async def rollout(
    appraisal: AppraisalHarness, metadata: Metadata, cycle_id: str, unit_id: str = ""
) -> appraisal_pb2.GetRolloutResponse:
    request = appraisal_pb2.GetRolloutRequest(cycle_id=cycle_id, unit_id=unit_id)
    return await appraisal.stub.GetRollout(request, metadata=metadata)


async def tasks(appraisal: AppraisalHarness, metadata: Metadata) -> list[appraisal_pb2.Task]:
    response = await appraisal.stub.ListMyTasks(appraisal_pb2.ListMyTasksRequest(), metadata=metadata)
    return list(response.tasks)


async def approved(
    appraisal: AppraisalHarness, company: Company, cycle_id: str, name: str, items: Iterable[Any] = VALUES
) -> appraisal_pb2.Scorecard:
    """The employee's scorecard, proposed by HR and approved."""
    employee_id = company.employees[name]
    await propose(appraisal, hr(appraisal, company), cycle_id, employee_id, items)
    return await review(appraisal, hr(appraisal, company), cycle_id, employee_id)


@asynccontextmanager
async def nothing_changes(appraisal: AppraisalHarness) -> AsyncIterator[None]:
    """Asserts that what runs inside changes no scorecard and writes no idempotency record or event."""
    async with state_unchanged(appraisal.settings.database_url, STATE_TABLES, tables.chassis.outbox):
        yield
