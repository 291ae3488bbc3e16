"""Use cases of check-ins (G5): a manager records a 1:1 with an employee, the employee's log of them,
the cadence each team holds them at, and who is overdue for one.

A check-in is the manager's record: the employee's managers, the heads of their units and HR covering
them record it (as themselves); the employee reads it in their log but does not write it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date
from operator import attrgetter

from services.chassis.context import Principal
from services.chassis.directory.access import (
    hr_covers_employee,
    is_tenant_wide_hr,
    managed_unit_ids,
    may_act_for_employee,
    may_manage_employee,
    may_manage_unit,
)
from services.chassis.directory.model import DirectoryEmployee, DirectoryUnit, EmployeeScope
from services.chassis.errors import FieldViolation, NotFound, PermissionDenied, refuse
from services.chassis.paging import PageRequest
from services.chassis.timestamps import utc_now
from services.goals.domain.check_ins import (
    Cadence,
    CheckIn,
    CheckInCadence,
    CheckInRecorded,
    OverdueCheckIn,
    cadence_for,
    check_in_violations,
    id_problem,
    latest_date_anywhere,
    overdue_check_in,
)
from services.goals.service_layer.ports import GoalsUnitOfWork, UnitOfWorkFactory


async def record_check_in(
    uows: UnitOfWorkFactory,
    principal: Principal,
    *,
    employee_id: str,
    held_on: str,
    notes: dict[str, str],
    objective_ids: Sequence[str],
    request_id: str,
) -> CheckIn:
    """Records a 1:1 the caller held with the employee as their manager (never the employee themself)."""
    now = utc_now()
    if violations := check_in_violations(
        employee_id=employee_id,
        held_on=held_on,
        notes=notes,
        objective_ids=objective_ids,
        latest=latest_date_anywhere(now),
    ):
        refuse(violations)
    async with uows(principal.tenant_id) as uow:
        if (prior := await uow.recall(principal, "RecordCheckIn", request_id)) is not None:
            return await _existing_check_in(uow, prior)
        if await uow.directory.employee(employee_id) is None:
            raise NotFound(f"no employee {employee_id}")
        if principal.subject == employee_id:
            raise PermissionDenied("a check-in is your manager's record of it: ask them to record it")
        if not await may_manage_employee(uow.directory, principal, employee_id):
            raise PermissionDenied(
                "only the employee's managers, the heads of their units and HR covering them record "
                "their check-ins"
            )
        await _check_objectives_exist(uow, objective_ids)
        check_in = CheckIn(
            id=str(uuid.uuid4()),
            tenant_id=principal.tenant_id,
            employee_id=employee_id,
            manager_id=principal.subject,
            held_on=date.fromisoformat(held_on),
            objective_ids=tuple(objective_ids),
            created_at=now,
            **notes,
        )
        await uow.check_ins.add(check_in)
        uow.emit(principal.tenant_id, CheckInRecorded(check_in))
        await uow.remember(principal, "RecordCheckIn", request_id, check_in.id)
        await uow.commit()
        return check_in


async def list_check_ins(
    uows: UnitOfWorkFactory, principal: Principal, employee_id: str, page: PageRequest
) -> tuple[list[CheckIn], str]:
    """The employee's log, newest first: for the employee, those who manage them and HR covering them."""
    if problem := id_problem(employee_id):
        refuse([FieldViolation("employee_id", problem)])
    async with uows(principal.tenant_id) as uow:
        if not await may_act_for_employee(uow.directory, principal, employee_id):
            raise NotFound(f"no employee {employee_id}")
        after = None
        if page.after is not None:
            after = await uow.check_ins.get(page.after)
            if after is None or after.employee_id != employee_id:
                refuse([FieldViolation("page_token", "is not a page token of this employee's log")])
        check_ins = await uow.check_ins.log_page(employee_id, after, page.size)
        return check_ins, page.next_token(check_ins, attrgetter("id"))


async def set_check_in_cadence(
    uows: UnitOfWorkFactory, principal: Principal, *, unit_id: str, cadence: Cadence | None, request_id: str
) -> CheckInCadence:
    """Sets how often a unit's employees (and those of the units below it without their own) have a
    check-in: for the heads of the unit or a unit above it, and HR covering it."""
    violations: list[FieldViolation] = []
    if problem := id_problem(unit_id):
        violations.append(FieldViolation("cadence.unit_id", problem))
    if cadence is None:
        violations.append(
            FieldViolation("cadence.cadence", "is required: weekly, biweekly, monthly or quarterly")
        )
    refuse(violations)
    assert cadence is not None, "a missing cadence is refused above"
    async with uows(principal.tenant_id) as uow:
        if (prior := await uow.recall(principal, "SetCheckInCadence", request_id)) is not None:
            return await _existing_cadence(uow, prior)
        if await uow.directory.unit(unit_id) is None:
            raise NotFound(f"no unit {unit_id}")
        if not await may_manage_unit(uow.directory, principal, unit_id):
            raise PermissionDenied(
                "only the heads of the unit or of a unit above it and HR covering it set its cadence"
            )
        current = await uow.check_ins.cadence(unit_id)
        if current is not None and current.cadence is cadence:
            result = current
        else:
            now = utc_now()
            result = CheckInCadence(
                tenant_id=principal.tenant_id,
                unit_id=unit_id,
                cadence=cadence,
                started_on=current.started_on if current is not None else now.date(),
                updated_at=now,
            )
            await uow.check_ins.save_cadence(result)
        await uow.remember(principal, "SetCheckInCadence", request_id, unit_id)
        await uow.commit()
        return result


async def list_check_in_cadences(
    uows: UnitOfWorkFactory, principal: Principal, page: PageRequest
) -> tuple[list[CheckInCadence], str]:
    """Every cadence set on a unit of the tenant, by unit id: anyone of the tenant reads them."""
    async with uows(principal.tenant_id) as uow:
        cadences = await uow.check_ins.cadence_page(page.after, page.size)
        return cadences, page.next_token(cadences, attrgetter("unit_id"))


async def list_overdue_check_ins(
    uows: UnitOfWorkFactory, principal: Principal, unit_id: str, page: PageRequest
) -> tuple[list[OverdueCheckIn], str]:
    """The active employees the caller may manage (within the unit's subtree, when one is named) whose
    next check-in is past due, most overdue first. An employee is due only under a cadence (their unit's
    or the nearest unit's above it) and with someone to hold it (a manager, or a unit head above them)."""
    if unit_id and (problem := id_problem(unit_id)):
        refuse([FieldViolation("unit_id", problem)])
    today = utc_now().date()
    async with uows(principal.tenant_id) as uow:
        scope = await _manageable(uow, principal)
        if unit_id:
            subtree = await uow.directory.unit_subtree_ids(unit_id)
            if not subtree:
                raise NotFound(f"no unit {unit_id}")
            scope = replace(scope, within_unit_ids=tuple(subtree))
        cadences = await uow.check_ins.cadences()
        if not cadences:
            return [], ""
        employees = await uow.directory.active_employees(scope)
        if not await hr_covers_employee(uow.directory, principal, principal.subject):
            employees = [employee for employee in employees if employee.id != principal.subject]
        units = await uow.directory.units({employee.unit_id for employee in employees})
        cadence_of = {
            employee.id: cadence
            for employee in employees
            if (cadence := cadence_for(_unit_line(employee.unit_id, units), cadences)) is not None
        }
        holders = await _holders(uow, [e for e in employees if e.id in cadence_of], units)
        latest = await uow.check_ins.latest_held_on(holders)
    overdue = []
    for employee_id, holder in holders.items():
        found = overdue_check_in(employee_id, holder, cadence_of[employee_id], latest.get(employee_id), today)
        if found is not None:
            overdue.append(found)
    overdue.sort(key=_overdue_key)
    if page.after is not None:
        overdue = [item for item in overdue if _overdue_key(item) > page.after]
    listed = overdue[: page.size]
    return listed, page.next_token(listed, _overdue_key)


async def _manageable(uow: GoalsUnitOfWork, principal: Principal) -> EmployeeScope:
    """Who the caller may manage: their reports direct and indirect, the employees of the units they
    head, and those of HR's scope; everyone for an admin and HR of the whole tenant."""
    if is_tenant_wide_hr(principal):
        return EmployeeScope(everyone=True)
    unit_ids = await managed_unit_ids(uow.directory, principal)
    return EmployeeScope(unit_ids=tuple(unit_ids), reports_to=principal.subject)


async def _holders(
    uow: GoalsUnitOfWork, employees: Iterable[DirectoryEmployee], units: dict[str, DirectoryUnit]
) -> dict[str, str]:
    """Who holds each employee's check-ins: their manager, or else the head of their unit or of the
    nearest unit above it other than themself. Employees with nobody are left out."""
    employees = list(employees)
    without_manager = [employee for employee in employees if employee.manager_id is None]
    line_ids = {unit for employee in without_manager for unit in _unit_line(employee.unit_id, units)}
    line_units = {**units, **await uow.directory.units(line_ids - units.keys())} if line_ids else units
    holders: dict[str, str] = {}
    for employee in employees:
        holder = employee.manager_id or _nearest_head(employee, line_units)
        if holder is not None:
            holders[employee.id] = holder
    return holders


def _nearest_head(employee: DirectoryEmployee, units: dict[str, DirectoryUnit]) -> str | None:
    for unit_id in _unit_line(employee.unit_id, units):
        head = units[unit_id].head_employee_id if unit_id in units else None
        if head is not None and head != employee.id:
            return head
    return None


def _unit_line(unit_id: str, units: dict[str, DirectoryUnit]) -> list[str]:
    """The unit, then the units above it, nearest first."""
    unit = units.get(unit_id)
    return [unit_id, *unit.ancestor_ids] if unit is not None else [unit_id]


def _overdue_key(overdue: OverdueCheckIn) -> str:
    """Orders the earliest due (the most overdue) first; ISO dates sort as text."""
    return f"{overdue.due_on.isoformat()}|{overdue.employee_id}"


async def _check_objectives_exist(uow: GoalsUnitOfWork, objective_ids: Sequence[str]) -> None:
    if not objective_ids:
        return
    known = await uow.objectives.get_many(objective_ids)
    if unknown := [
        FieldViolation(f"check_in.objective_ids[{index}]", "no such objective")
        for index, objective_id in enumerate(objective_ids)
        if objective_id not in known
    ]:
        refuse(unknown)


async def _existing_check_in(uow: GoalsUnitOfWork, check_in_id: str) -> CheckIn:
    check_in = await uow.check_ins.get(check_in_id)
    if check_in is None:
        raise NotFound(f"no check-in {check_in_id}")
    return check_in


async def _existing_cadence(uow: GoalsUnitOfWork, unit_id: str) -> CheckInCadence:
    cadence = await uow.check_ins.cadence(unit_id)
    if cadence is None:
        raise NotFound(f"no cadence for unit {unit_id}")
    return cadence
