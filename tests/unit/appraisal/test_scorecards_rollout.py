"""How the rollout counts a cycle's members per unit (A3) and what indicator setting still misses, on fakes
of the unit of work."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from services.appraisal.domain.model import (
    ComplianceFinding,
    Cycle,
    CycleKind,
    CycleMember,
    Phase,
    Scorecard,
    ScorecardStatus,
)
from services.appraisal.service_layer.rollout import rollout
from services.appraisal.service_layer.scorecards import indicator_setting_gaps
from services.chassis.context import ROLE_ADMIN, Principal
from services.chassis.directory.model import DirectoryUnit
from services.chassis.errors import FieldViolation

TENANT = "fintech"
DEADLINE = date(2026, 3, 31)
ADMIN = Principal(TENANT, "admin", frozenset({ROLE_ADMIN}))
# company > sales > sales-east; company > risk; company > legal (nobody of the cycle sits in legal)
PATHS = {
    "company": "/company/",
    "sales": "/company/sales/",
    "sales-east": "/company/sales/sales-east/",
    "risk": "/company/risk/",
    "legal": "/company/legal/",
}


def unit(unit_id: str) -> DirectoryUnit:
    parts = PATHS[unit_id].strip("/").split("/")
    return DirectoryUnit(
        unit_id, unit_id.upper(), unit_id, parts[-2] if len(parts) > 1 else None, None, PATHS[unit_id]
    )


class FakeDirectory:
    tenant_id = TENANT

    async def unit(self, unit_id: str) -> DirectoryUnit | None:
        return unit(unit_id) if unit_id in PATHS else None

    async def units(self, unit_ids):
        return {unit_id: unit(unit_id) for unit_id in unit_ids if unit_id in PATHS}

    async def headed_unit_ids(self, employee_id: str) -> list[str]:
        return []


@dataclass
class FakeCycles:
    cycle: Cycle
    members_: list[CycleMember]

    async def get(self, cycle_id: str) -> Cycle | None:
        return self.cycle if cycle_id == self.cycle.id else None

    async def members(self, cycle_id: str) -> list[CycleMember]:
        return self.members_


@dataclass
class FakeScorecards:
    stored: list[Scorecard]

    async def of_cycle(self, cycle_id: str) -> list[Scorecard]:
        return self.stored


@dataclass
class FakeUnitOfWork:
    cycles: FakeCycles
    scorecards: FakeScorecards
    directory: FakeDirectory = field(default_factory=FakeDirectory)
    tenant_id: str = TENANT

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc_info):
        return None


def cycle() -> Cycle:
    return Cycle(
        id="cycle",
        tenant_id=TENANT,
        name="2026",
        kind=CycleKind.ANNUAL,
        period_start=date(2026, 1, 1),
        period_end=date(2026, 12, 31),
        unit_ids=("company",),
        phase=Phase.INDICATOR_SETTING,
        deadlines={Phase.INDICATOR_SETTING: DEADLINE},
    )


def member(employee_id: str, unit_id: str) -> CycleMember:
    return CycleMember("cycle", employee_id, unit_id, None, None)


def scorecard(employee_id: str, status: ScorecardStatus, *findings: ComplianceFinding) -> Scorecard:
    return Scorecard(TENANT, "cycle", employee_id, status, items=(), findings=findings)


MEMBERS = [
    member("ceo", "company"),
    member("sales-lead", "sales"),
    member("east-rep", "sales-east"),
    member("analyst", "risk"),
    member("risk-lead", "risk"),
]
SCORECARDS = [
    scorecard(
        "sales-lead",
        ScorecardStatus.CONFIRMED,
        ComplianceFinding("aligned", "not aligned", "item-1"),
        ComplianceFinding("data_source", "no data source", "item-1"),
        ComplianceFinding("measurable", "no formula", "item-2"),
    ),
    scorecard("east-rep", ScorecardStatus.APPROVED, ComplianceFinding("weights", "the weights sum to 90")),
    scorecard("analyst", ScorecardStatus.RETURNED),
    scorecard("risk-lead", ScorecardStatus.PROPOSED),
]


def uows(members=MEMBERS, scorecards=SCORECARDS):
    uow = FakeUnitOfWork(FakeCycles(cycle(), list(members)), FakeScorecards(list(scorecards)))
    return lambda tenant_id: uow


async def test_each_unit_below_counts_its_whole_subtree_and_units_without_members_are_left_out():
    found = await rollout(uows(), ADMIN, cycle_id="cycle", unit_id="company", today=DEADLINE)

    assert [u.unit_id for u in found.units] == ["risk", "sales"]
    risk, sales = found.units
    assert (sales.employees, sales.done, sales.non_compliant_items) == (2, 2, 3)
    assert (risk.employees, risk.done, risk.returned, risk.waiting_for_review) == (2, 0, 1, 1)
    assert found.units_done_percent == 50.0
    # The ceo sits in the company unit itself: counted in the total, in no unit listed.
    assert (found.total.employees, found.total.not_started, found.total.non_compliant_items) == (5, 1, 3)


async def test_nobody_is_overdue_on_the_deadline_and_everyone_not_done_is_the_day_after():
    on_the_day = await rollout(uows(), ADMIN, cycle_id="cycle", unit_id="company", today=DEADLINE)
    day_after = await rollout(uows(), ADMIN, cycle_id="cycle", unit_id="company", today=date(2026, 4, 1))

    assert on_the_day.total.overdue == 0
    assert day_after.total.overdue == 3
    assert [u.overdue for u in day_after.units] == [2, 0]


async def test_without_a_unit_the_cycles_units_are_listed_and_a_deeper_unit_lists_its_children():
    cycle_units = await rollout(uows(), ADMIN, cycle_id="cycle", unit_id="", today=DEADLINE)
    sales = await rollout(uows(), ADMIN, cycle_id="cycle", unit_id="sales", today=DEADLINE)

    assert [(u.unit_id, u.employees) for u in cycle_units.units] == [("company", 5)]
    assert cycle_units.units_done_percent == 0.0
    assert [(u.unit_id, u.employees, u.done) for u in sales.units] == [("sales-east", 1, 1)]
    assert sales.total.employees == 2
    assert sales.units_done_percent == 100.0


async def test_a_unit_whose_members_are_all_done_counts_as_done():
    done = [scorecard(m.employee_id, ScorecardStatus.APPROVED) for m in MEMBERS]

    found = await rollout(uows(scorecards=done), ADMIN, cycle_id="cycle", unit_id="company", today=DEADLINE)

    assert found.units_done_percent == 100.0
    assert found.total.done == 5


async def test_the_gaps_of_indicator_setting_name_each_member_not_confirmed_and_what_they_wait_for():
    uow = uows()("fintech")

    gaps = await indicator_setting_gaps(uow, cycle())

    assert gaps == [
        FieldViolation("employee:ceo", "has no scorecard proposed yet"),
        FieldViolation(
            "employee:east-rep", "has an approved scorecard waiting for the employee's confirmation"
        ),
        FieldViolation("employee:analyst", "has a scorecard HR returned, waiting to be proposed again"),
        FieldViolation("employee:risk-lead", "has a scorecard waiting for HR review"),
    ]
