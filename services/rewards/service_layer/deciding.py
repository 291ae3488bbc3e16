"""How a grade revision is decided and what its decision opens: the policy in force at the cycle's
end with what its conditions look at loaded once for a whole batch of grades, and the improvement plans
that plan actions open. Shared by deciding appraisal's grades as they come and by DecideCycle."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date, datetime

from services.chassis.directory.ports import DirectoryReader
from services.rewards.domain.actions import Action, ActionKind
from services.rewards.domain.decisions import Decision, decide_grade, previous_grades
from services.rewards.domain.grades import GradeRecord
from services.rewards.domain.pips import Pip, PipChange, PipChanged
from services.rewards.domain.policies import (
    OutcomePolicy,
    decide,
    policy_in_force,
    untitled_courses,
    with_course_titles,
)
from services.rewards.service_layer.ports import GradeKey, RewardsUnitOfWork


class Decider:
    """Decides grade revisions by the policy in force at their cycle's end, with what the policies'
    conditions look at loaded once for all of them: earlier grades only when some rule asks for them,
    units above the employee's only when some rule names units, course titles only when a training
    action lacks one."""

    def __init__(
        self,
        tenant_id: str,
        now: datetime,
        policies: list[OutcomePolicy],
        histories: dict[str, list[GradeRecord]],
        unit_lines: dict[str, list[str]],
        course_titles: dict[str, str],
    ) -> None:
        self._tenant_id = tenant_id
        self._course_titles = course_titles
        self._now = now
        self._policies = policies
        self._histories = histories
        self._unit_lines = unit_lines
        self._in_force: dict[date, OutcomePolicy | None] = {}

    @classmethod
    async def load(
        cls,
        uow: RewardsUnitOfWork,
        now: datetime,
        grades: Sequence[GradeRecord],
        unrecorded: Iterable[GradeRecord] = (),
    ) -> Decider:
        """`unrecorded`: grades written in this transaction, which count as history already."""
        policies = await uow.policies.all()
        in_force = {
            policy_in_force(policies, period_end) for period_end in {grade.period_end for grade in grades}
        }
        rules = [rule for policy in in_force if policy is not None for rule in policy.rules]
        histories: dict[str, list[GradeRecord]] = {}
        if any(rule.conditions.previous_grades for rule in rules):
            histories = _with_grades(
                await uow.grades.histories({grade.employee_id for grade in grades}), unrecorded
            )
        unit_lines: dict[str, list[str]] = {}
        if any(rule.conditions.unit_ids for rule in rules):
            units = await uow.directory.units({grade.unit_id for grade in grades})
            unit_lines = {unit.id: unit.ancestor_ids for unit in units.values()}
        # Published before its courses were in the catalog, a policy's training actions have no titles.
        course_titles: dict[str, str] = {}
        if untitled_courses(rules):
            course_titles = {code: course.title for code, course in (await uow.courses.catalog()).items()}
        return cls(uow.tenant_id, now, policies, histories, unit_lines, course_titles)

    def decide(self, grade: GradeRecord) -> tuple[Decision, list[Action]]:
        if grade.period_end not in self._in_force:
            self._in_force[grade.period_end] = policy_in_force(self._policies, grade.period_end)
        policy = self._in_force[grade.period_end]
        match = None
        if policy is not None:
            earlier = previous_grades(self._histories.get(grade.employee_id, ()), grade)
            match = decide(policy, grade, earlier, self._unit_lines.get(grade.unit_id, ()))
        if match is not None and self._course_titles:
            match = replace(match, rule=with_course_titles(match.rule, self._course_titles))
        return decide_grade(self._tenant_id, grade, policy, match, self._now)


def _with_grades(
    histories: dict[str, list[GradeRecord]], grades: Iterable[GradeRecord]
) -> dict[str, list[GradeRecord]]:
    """Histories (the latest revision of each cycle) with these grades added."""
    latest: dict[GradeKey, GradeRecord] = {
        (record.cycle_id, record.employee_id): record for history in histories.values() for record in history
    }
    for grade in grades:
        key = (grade.cycle_id, grade.employee_id)
        if key not in latest or latest[key].revision < grade.revision:
            latest[key] = grade
    merged: dict[str, list[GradeRecord]] = defaultdict(list)
    for record in sorted(latest.values(), key=lambda record: record.period_end, reverse=True):
        merged[record.employee_id].append(record)
    return dict(merged)


async def open_plans(uow: RewardsUnitOfWork, actions: Sequence[Action], now: datetime) -> None:
    """Opens the plan of each improvement plan action, led by the employee's manager (or whoever is
    responsible for their unit; nobody yet when the directory does not know them), and announces it."""
    plans = [
        action for action in actions if action.kind is ActionKind.IMPROVEMENT_PLAN and not action.cancels_key
    ]
    if not plans:
        return
    managers = await _responsible(uow.directory, {action.employee_id for action in plans})
    opened = []
    for action in plans:
        spec = action.spec
        opened.append(
            Pip.open(
                employee_id=action.employee_id,
                manager_id=managers.get(action.employee_id, ""),
                cycle_id=action.cycle_id,
                reason=action.reason,
                today=now.date(),
                now=now,
                duration_days=spec.duration_days,
                escalation=spec.escalation,
                pip_id=spec.pip_id,
            )
        )
    await uow.pips.add(opened)
    for pip in opened:
        uow.emit(uow.tenant_id, PipChanged(pip, PipChange.OPENED))


async def _responsible(directory: DirectoryReader, employee_ids: Iterable[str]) -> dict[str, str]:
    """Each employee's manager; without one, the head of their unit or of the nearest unit above it that
    someone other than they heads. Two queries, however many employees."""
    employees = await directory.employees(employee_ids)
    found = {employee.id: employee.manager_id for employee in employees.values() if employee.manager_id}
    unmanaged = [employee for employee in employees.values() if not employee.manager_id]
    if not unmanaged:
        return found
    own_units = await directory.units({employee.unit_id for employee in unmanaged})
    lines = {unit.id: [unit.id, *unit.ancestor_ids] for unit in own_units.values()}
    heads = {
        unit.id: unit.head_employee_id
        for unit in (await directory.units({unit for line in lines.values() for unit in line})).values()
    }
    for employee in unmanaged:
        for unit_id in lines.get(employee.unit_id, []):
            head = heads.get(unit_id)
            if head and head != employee.id:
                found[employee.id] = head
                break
    return found
