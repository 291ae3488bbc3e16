"""Use cases on employees and reporting lines (O3)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from operator import attrgetter
from typing import Any

from services.chassis.context import Principal
from services.chassis.errors import (
    AlreadyExists,
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
    check_fields,
)
from services.chassis.field_mask import checked_paths
from services.chassis.paging import PageRequest
from services.chassis.timestamps import utc_now
from services.org.domain.model import Employee, EmployeesChanged, EmploymentStatus
from services.org.domain.paths import ancestor_ids, path_of
from services.org.domain.rules import (
    check_manager,
    code_problem,
    date_problem,
    email_problem,
    parse_date,
    text_problem,
)
from services.org.service_layer.access import (
    employee_visibility,
    require_org_writer,
    visible_employee,
)
from services.org.service_layer.common import (
    check_version,
    existing_position,
    existing_unit,
    lock_tree,
    new_id,
)
from services.org.service_layer.ports import EmployeeVisibility, OrgUnitOfWork, UnitOfWorkFactory

UPDATABLE_EMPLOYEE_FIELDS = ("employee_number", "display_name", "email", "position_id", "hire_date")


def _check_employee_fields(values: dict[str, Any], paths: set[str]) -> None:
    checks = {
        "employee_number": code_problem,
        "display_name": text_problem,
        "email": email_problem,
        "hire_date": date_problem,
    }
    check_fields({f"employee.{name}": check(values[name]) for name, check in checks.items() if name in paths})


async def hire_employee(
    uows: UnitOfWorkFactory, principal: Principal, *, values: dict[str, Any], request_id: str
) -> Employee:
    _check_employee_fields(values, {"employee_number", "display_name", "email", "hire_date"})
    async with uows(principal.tenant_id) as uow:
        await lock_tree(uow, principal.tenant_id)
        if (prior := await uow.recall(principal, "HireEmployee", request_id)) is not None:
            return await _employee(uow, prior)
        unit = await existing_unit(uow, values["unit_id"], "employee.unit_id")
        await require_org_writer(uow, principal, [unit.id])
        if values["position_id"]:
            await existing_position(uow, values["position_id"], "employee.position_id")
        await _check_unique(uow, values["employee_number"], values["email"])
        manager = await _manager(uow, values["manager_id"]) if values["manager_id"] else None
        if manager is not None and not manager.active:
            raise InvalidArgument(
                f"{manager.display_name} has left",
                [FieldViolation("employee.manager_id", "is not an active employee")],
            )
        employee_id = new_id()
        employee = Employee(
            id=employee_id,
            tenant_id=principal.tenant_id,
            employee_number=values["employee_number"],
            display_name=values["display_name"],
            email=values["email"],
            unit_id=unit.id,
            hire_date=_date(values["hire_date"]),
            path=path_of(manager.path if manager else None, employee_id),
            position_id=values["position_id"] or None,
            manager_id=manager.id if manager else None,
            updated_at=utc_now(),
        )
        await uow.employees.add(employee)
        uow.emit(principal.tenant_id, EmployeesChanged(employees=(employee,)))
        await uow.remember(principal, "HireEmployee", request_id, employee.id)
        await uow.commit()
        return employee


async def get_employee(uows: UnitOfWorkFactory, principal: Principal, employee_id: str) -> Employee:
    async with uows(principal.tenant_id) as uow:
        return await visible_employee(uow, principal, employee_id)


async def list_employees(
    uows: UnitOfWorkFactory,
    principal: Principal,
    *,
    unit_subtree_id: str,
    manager_id: str,
    include_terminated: bool,
    page: PageRequest,
) -> tuple[list[Employee], str]:
    async with uows(principal.tenant_id) as uow:
        unit_ids = None
        if unit_subtree_id:
            unit = await existing_unit(uow, unit_subtree_id, "unit_subtree_id")
            unit_ids = await uow.units.subtree_ids([unit.path])
        employees = await uow.employees.page_by_number(
            await employee_visibility(uow, principal),
            unit_ids,
            manager_id or None,
            include_terminated,
            page.after,
            page.size,
        )
        return employees, page.next_token(employees, attrgetter("employee_number"))


async def list_reports(
    uows: UnitOfWorkFactory,
    principal: Principal,
    *,
    employee_id: str,
    include_indirect: bool,
    page: PageRequest,
) -> tuple[list[Employee], str]:
    async with uows(principal.tenant_id) as uow:
        manager = await visible_employee(uow, principal, employee_id)
        visibility = await employee_visibility(uow, principal)
        if include_indirect:
            reports = await uow.employees.reports_in_tree_order(manager, visibility, page.after, page.size)
            return reports, page.next_token(reports, attrgetter("path"))
        reports = await uow.employees.page_by_number(
            visibility, None, manager.id, False, page.after, page.size
        )
        return reports, page.next_token(reports, attrgetter("employee_number"))


async def manager_chain(uows: UnitOfWorkFactory, principal: Principal, employee_id: str) -> list[Employee]:
    async with uows(principal.tenant_id) as uow:
        employee = await visible_employee(uow, principal, employee_id)
        chain_ids = ancestor_ids(employee.path)
        managers = await uow.employees.get_many(chain_ids)
        return [managers[manager_id] for manager_id in chain_ids if manager_id in managers]


async def update_employee(
    uows: UnitOfWorkFactory,
    principal: Principal,
    *,
    employee_id: str,
    values: dict[str, Any],
    mask: list[str],
    expected_version: int,
    request_id: str,
) -> Employee:
    paths = checked_paths(mask, UPDATABLE_EMPLOYEE_FIELDS)
    _check_employee_fields(values, paths)
    async with uows(principal.tenant_id) as uow:
        if (prior := await uow.recall(principal, "UpdateEmployee", request_id)) is not None:
            return await _employee(uow, prior)
        employee = await _employee(uow, employee_id)
        await require_org_writer(uow, principal, [employee.unit_id])
        check_version("employee", employee.id, employee.version, expected_version)
        await _check_unique(
            uow,
            values["employee_number"] if "employee_number" in paths else None,
            values["email"] if "email" in paths else None,
            except_id=employee.id,
        )
        if "position_id" in paths and values["position_id"]:
            await existing_position(uow, values["position_id"], "employee.position_id")
        changes = {name: values[name] for name in paths}
        if "hire_date" in changes:
            changes["hire_date"] = _date(changes["hire_date"])
        if "position_id" in changes:
            changes["position_id"] = changes["position_id"] or None
        return await _save_if_changed(
            uow, principal, employee, replace(employee, **changes), request_id, "UpdateEmployee"
        )


async def transfer_employee(
    uows: UnitOfWorkFactory,
    principal: Principal,
    *,
    employee_id: str,
    new_unit_id: str,
    new_position_id: str,
    request_id: str,
) -> Employee:
    async with uows(principal.tenant_id) as uow:
        if (prior := await uow.recall(principal, "TransferEmployee", request_id)) is not None:
            return await _employee(uow, prior)
        employee = await _employee(uow, employee_id)
        unit = await existing_unit(uow, new_unit_id, "new_unit_id")
        await require_org_writer(uow, principal, {employee.unit_id, unit.id})
        _require_active(employee)
        if new_position_id:
            await existing_position(uow, new_position_id, "new_position_id")
        moved = replace(employee, unit_id=unit.id, position_id=new_position_id or employee.position_id)
        return await _save_if_changed(uow, principal, employee, moved, request_id, "TransferEmployee")


async def change_manager(
    uows: UnitOfWorkFactory, principal: Principal, *, employee_id: str, new_manager_id: str, request_id: str
) -> Employee:
    async with uows(principal.tenant_id) as uow:
        await lock_tree(uow, principal.tenant_id)
        if (prior := await uow.recall(principal, "ChangeManager", request_id)) is not None:
            return await _employee(uow, prior)
        employee = await _employee(uow, employee_id)
        await require_org_writer(uow, principal, [employee.unit_id])
        _require_active(employee)
        manager = await _manager(uow, new_manager_id, "new_manager_id") if new_manager_id else None
        check_manager(employee, manager)
        new_path = path_of(manager.path if manager else None, employee.id)
        changed = replace(employee, manager_id=manager.id if manager else None, path=new_path)
        if changed.manager_id != employee.manager_id:
            await uow.employees.move_subtree(employee.path, new_path)
        return await _save_if_changed(uow, principal, employee, changed, request_id, "ChangeManager")


async def terminate_employee(
    uows: UnitOfWorkFactory, principal: Principal, *, employee_id: str, termination_date: str, request_id: str
) -> Employee:
    check_fields({"termination_date": date_problem(termination_date) if termination_date else None})
    async with uows(principal.tenant_id) as uow:
        await lock_tree(uow, principal.tenant_id)
        if (prior := await uow.recall(principal, "TerminateEmployee", request_id)) is not None:
            return await _employee(uow, prior)
        employee = await _employee(uow, employee_id)
        await require_org_writer(uow, principal, [employee.unit_id])
        _require_active(employee)
        blockers = []
        reports = await uow.employees.page_by_number(
            EmployeeVisibility(everyone=True), None, employee.id, False, None, 1
        )
        if reports:
            blockers.append(FieldViolation("reports", "give their direct reports another manager first"))
        if await uow.units.referencing(["head_employee_id"], employee.id):
            blockers.append(FieldViolation("head_of_units", "give the units they head another head first"))
        if blockers:
            raise FailedPrecondition(
                f"{employee.display_name} cannot leave yet: " + "; ".join(b.description for b in blockers),
                blockers,
            )
        left = replace(
            employee,
            status=EmploymentStatus.TERMINATED,
            termination_date=_date(termination_date) if termination_date else utc_now().date(),
        )
        return await _save_if_changed(uow, principal, employee, left, request_id, "TerminateEmployee")


async def _save_if_changed(
    uow: OrgUnitOfWork,
    principal: Principal,
    before: Employee,
    after: Employee,
    request_id: str,
    operation: str,
) -> Employee:
    if after != before:
        after = replace(after, version=before.version + 1, updated_at=utc_now())
        await uow.employees.save(after)
        uow.emit(principal.tenant_id, EmployeesChanged(employees=(after,)))
    await uow.remember(principal, operation, request_id, before.id)
    await uow.commit()
    return after


async def _employee(uow: OrgUnitOfWork, employee_id: str) -> Employee:
    employee = await uow.employees.get(employee_id)
    if employee is None:
        raise NotFound(f"no employee {employee_id}")
    return employee


async def _manager(uow: OrgUnitOfWork, manager_id: str, field: str = "employee.manager_id") -> Employee:
    manager = await uow.employees.get(manager_id)
    if manager is None:
        raise NotFound(f"no employee {manager_id} ({field})")
    return manager


def _require_active(employee: Employee) -> None:
    if not employee.active:
        raise FailedPrecondition(
            f"{employee.display_name} has left", [FieldViolation("employee_id", "is not an active employee")]
        )


async def _check_unique(
    uow: OrgUnitOfWork, employee_number: str | None, email: str | None, except_id: str | None = None
) -> None:
    if (
        employee_number
        and (other := await uow.employees.by_number(employee_number))
        and other.id != except_id
    ):
        raise AlreadyExists(
            f"employee number {employee_number} is taken",
            [FieldViolation("employee.employee_number", "is taken")],
        )
    if email and (other := await uow.employees.by_email(email)) and other.id != except_id:
        raise AlreadyExists(f"e-mail {email} is taken", [FieldViolation("employee.email", "is taken")])


def _date(value: str) -> date:
    parsed = parse_date(value)
    assert parsed is not None, "checked by _check_employee_fields"
    return parsed
