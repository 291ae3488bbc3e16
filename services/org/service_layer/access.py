"""Who may do what in the org (O5): HR and admins write, everyone reads the chart and their own
record, managers read their reporting line, HR limited to some units acts only inside them."""

from __future__ import annotations

from collections.abc import Iterable

from services.chassis.context import ROLE_ADMIN, ROLE_HR, ROLE_PARTNER, Principal
from services.chassis.errors import NotFound, PermissionDenied
from services.org.domain.model import Employee
from services.org.domain.paths import is_within
from services.org.service_layer.ports import EmployeeVisibility, OrgUnitOfWork


def is_tenant_wide_hr(principal: Principal) -> bool:
    return principal.has_role(ROLE_ADMIN) or (principal.has_role(ROLE_HR) and not principal.hr_unit_ids)


def require_admin(principal: Principal) -> None:
    if not principal.has_role(ROLE_ADMIN):
        raise PermissionDenied("only an admin may do this")


def require_tenant_wide_hr(principal: Principal) -> None:
    if not is_tenant_wide_hr(principal):
        raise PermissionDenied("only HR for the whole tenant or an admin may do this")


async def require_org_writer(
    uow: OrgUnitOfWork, principal: Principal, unit_ids: Iterable[str | None]
) -> None:
    """HR over every unit named (None: the tenant's top level), or an admin."""
    if is_tenant_wide_hr(principal):
        return
    if not principal.has_role(ROLE_HR):
        raise PermissionDenied("only HR and admins change the org")
    targets = list(unit_ids)
    scope_and_targets = await uow.units.get_many([*principal.hr_unit_ids, *(t for t in targets if t)])
    scope_paths = [scope_and_targets[u].path for u in principal.hr_unit_ids if u in scope_and_targets]
    for target in targets:
        unit = scope_and_targets.get(target) if target else None
        if unit is None or not any(is_within(unit.path, scope) for scope in scope_paths):
            raise PermissionDenied("this change is outside the units your HR role covers")


async def employee_visibility(uow: OrgUnitOfWork, principal: Principal) -> EmployeeVisibility:
    if is_tenant_wide_hr(principal) or principal.has_role(ROLE_PARTNER):
        return EmployeeVisibility(everyone=True)
    me = await uow.employees.get(principal.subject)
    reporting_paths = (me.path,) if me is not None else ()
    unit_ids: tuple[str, ...] = ()
    if principal.has_role(ROLE_HR):
        scope = await uow.units.get_many(principal.hr_unit_ids)
        unit_ids = tuple(await uow.units.subtree_ids(unit.path for unit in scope.values()))
    return EmployeeVisibility(reporting_paths=reporting_paths, unit_ids=unit_ids)


def can_see(visibility: EmployeeVisibility, employee: Employee) -> bool:
    return (
        visibility.everyone
        or employee.unit_id in visibility.unit_ids
        or any(is_within(employee.path, path) for path in visibility.reporting_paths)
    )


async def visible_employee(uow: OrgUnitOfWork, principal: Principal, employee_id: str) -> Employee:
    """The employee, if the caller may read them; NOT_FOUND otherwise, so existence does not leak."""
    employee = await uow.employees.get(employee_id)
    if employee is None or not can_see(await employee_visibility(uow, principal), employee):
        raise NotFound(f"no employee {employee_id}")
    return employee
