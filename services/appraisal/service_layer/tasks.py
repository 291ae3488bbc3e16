"""The caller's open tasks with their deadlines (A3, A4): scorecards to propose, review and confirm while
a cycle sets indicators, and reviews to write while it is in review. Soonest due first.

Tasks are not stored: they are what is still missing, read from the cycles in those two phases with one
query per table for each cycle.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from services.appraisal.domain.model import Cycle, Phase, ReviewKind, ScorecardStatus
from services.appraisal.service_layer.ports import AppraisalUnitOfWork, UnitOfWorkFactory
from services.appraisal.service_layer.reviews import manager_reviewer
from services.chassis.context import ROLE_HR, Principal
from services.chassis.directory.access import is_tenant_wide_hr
from services.chassis.directory.model import EmployeeScope
from services.chassis.paging import PageRequest

# Sorts after every real date, so tasks without a deadline come last.
_NO_DEADLINE = "9999-12-31"


class TaskKind(enum.Enum):
    PROPOSE_SCORECARD = "propose_scorecard"
    REVIEW_SCORECARD = "review_scorecard"
    CONFIRM_SCORECARD = "confirm_scorecard"
    WRITE_REVIEW = "write_review"


@dataclass(frozen=True)
class Task:
    kind: TaskKind
    cycle_id: str
    employee_id: str
    due_on: date | None
    overdue: bool
    review_kind: ReviewKind | None = None

    @property
    def key(self) -> str:
        due = self.due_on.isoformat() if self.due_on else _NO_DEADLINE
        review = self.review_kind.value if self.review_kind else ""
        return f"{due}/{self.cycle_id}/{self.kind.value}/{review}/{self.employee_id}"


async def list_my_tasks(
    uows: UnitOfWorkFactory, principal: Principal, *, page: PageRequest, today: date
) -> tuple[list[Task], str]:
    async with uows(principal.tenant_id) as uow:
        tasks: list[Task] = []
        for cycle in await uow.cycles.in_phase(Phase.INDICATOR_SETTING):
            tasks.extend(await _indicator_setting_tasks(uow, principal, cycle, today))
        for cycle in await uow.cycles.in_phase(Phase.REVIEW):
            tasks.extend(await _review_tasks(uow, principal, cycle, today))
    tasks.sort(key=lambda task: task.key)
    if page.after is not None:
        tasks = [task for task in tasks if task.key > page.after]
    found = tasks[: page.size]
    return found, page.next_token(found, lambda task: task.key)


async def _indicator_setting_tasks(
    uow: AppraisalUnitOfWork, principal: Principal, cycle: Cycle, today: date
) -> list[Task]:
    """Proposing for those who manage a member (HR reviews instead), reviewing for HR, confirming for the
    member."""
    due = cycle.deadlines.get(Phase.INDICATOR_SETTING)
    members = await uow.cycles.members(cycle.id)
    statuses = {card.employee_id: card.status for card in await uow.scorecards.of_cycle(cycle.id)}
    member_ids = {member.employee_id for member in members}

    def tasks(kind: TaskKind, employee_ids: Iterable[str]) -> list[Task]:
        return [_task(kind, cycle, employee_id, due, today) for employee_id in employee_ids]

    to_propose = [
        employee_id
        for employee_id in await _managed_employee_ids(uow, principal, member_ids)
        if statuses.get(employee_id) in (None, ScorecardStatus.RETURNED)
    ]
    found = tasks(TaskKind.PROPOSE_SCORECARD, to_propose)
    if principal.has_role(ROLE_HR):
        proposed = {
            employee_id for employee_id, status in statuses.items() if status is ScorecardStatus.PROPOSED
        }
        found += tasks(TaskKind.REVIEW_SCORECARD, await _hr_covered_ids(uow, principal, proposed))
    if statuses.get(principal.subject) is ScorecardStatus.APPROVED:
        found += tasks(TaskKind.CONFIRM_SCORECARD, [principal.subject])
    return found


async def _review_tasks(
    uow: AppraisalUnitOfWork, principal: Principal, cycle: Cycle, today: date
) -> list[Task]:
    """The caller's self review, the manager reviews of the members whose manager reviewer they are
    (reviews.manager_reviewer: the manager in the cycle's snapshot, else the one responsible for them),
    and the peer reviews they were asked for."""
    due = cycle.deadlines.get(Phase.REVIEW)
    me = principal.subject
    written = {
        (review.employee_id, review.kind)
        for review in await uow.reviews.of_cycle(cycle.id)
        if review.kind is not ReviewKind.PEER or review.reviewer_id == me
    }
    wanted: list[tuple[str, ReviewKind]] = []
    for member in await uow.cycles.members(cycle.id):
        if member.employee_id == me:
            wanted.append((me, ReviewKind.SELF))
        # Only members without a manager in the snapshot cost a directory lookup: the few at the top.
        elif member.manager_id == me or (
            member.manager_id is None and await manager_reviewer(uow, member) == me
        ):
            wanted.append((member.employee_id, ReviewKind.MANAGER))
    wanted += [
        (employee_id, ReviewKind.PEER) for employee_id in await uow.reviews.peer_requests_of(cycle.id, me)
    ]
    return [
        _task(TaskKind.WRITE_REVIEW, cycle, employee_id, due, today, kind)
        for employee_id, kind in wanted
        if (employee_id, kind) not in written
    ]


async def _managed_employee_ids(uow: AppraisalUnitOfWork, principal: Principal, among: set[str]) -> list[str]:
    """Those of `among` the caller manages: below them in the reporting line, or in units they head."""
    headed = await uow.directory.headed_unit_ids(principal.subject)
    units = await uow.directory.subtrees_ids(headed) if headed else []
    scope = EmployeeScope(unit_ids=tuple(units), reports_to=principal.subject)
    employees = await uow.directory.active_employees(scope)
    return [e.id for e in employees if e.id in among and e.id != principal.subject]


async def _hr_covered_ids(uow: AppraisalUnitOfWork, principal: Principal, among: set[str]) -> list[str]:
    if not among:
        return []
    if is_tenant_wide_hr(principal):
        return sorted(among)
    units = await uow.directory.subtrees_ids(principal.hr_unit_ids)
    employees = await uow.directory.active_employees(EmployeeScope(unit_ids=tuple(units)))
    return [employee.id for employee in employees if employee.id in among]


def _task(
    kind: TaskKind,
    cycle: Cycle,
    employee_id: str,
    due: date | None,
    today: date,
    review_kind: ReviewKind | None = None,
) -> Task:
    return Task(kind, cycle.id, employee_id, due, due is not None and today > due, review_kind)
