"""Who may act on whom, by relationship, answered from the directory: self, reporting line, unit head,
HR scope, admin. Services build their rules from these; an unknown id is simply not covered, and the
caller decides whether that is NOT_FOUND or PERMISSION_DENIED."""

from __future__ import annotations

from services.chassis.context import ROLE_ADMIN, ROLE_HR, Principal
from services.chassis.directory.model import DirectoryUnit
from services.chassis.directory.reader import Directory


def is_tenant_wide_hr(principal: Principal) -> bool:
    return principal.has_role(ROLE_ADMIN) or (principal.has_role(ROLE_HR) and not principal.hr_unit_ids)


async def hr_covers_unit(directory: Directory, principal: Principal, unit_id: str) -> bool:
    """An admin, HR for the whole tenant, or HR whose units include this one or one above it."""
    if not _same_tenant(directory, principal) or not principal.has_role(ROLE_HR, ROLE_ADMIN):
        return False
    unit = await directory.unit(unit_id)
    return unit is not None and _hr_scope_includes(principal, unit)


async def hr_covers_employee(directory: Directory, principal: Principal, employee_id: str) -> bool:
    if not _same_tenant(directory, principal) or not principal.has_role(ROLE_HR, ROLE_ADMIN):
        return False
    employee = await directory.employee(employee_id)
    if employee is None:
        return False
    return is_tenant_wide_hr(principal) or await hr_covers_unit(directory, principal, employee.unit_id)


async def manages_employee(directory: Directory, principal: Principal, employee_id: str) -> bool:
    """The caller is above the employee in their reporting line, or heads their unit or a unit above it."""
    if not _same_tenant(directory, principal) or principal.subject == employee_id:
        return False
    employee = await directory.employee(employee_id)
    if employee is None:
        return False
    if await directory.is_manager_above(principal.subject, employee.id):
        return True
    unit = await directory.unit(employee.unit_id)
    return unit is not None and await _heads_unit_or_above(directory, principal, unit)


async def may_manage_employee(directory: Directory, principal: Principal, employee_id: str) -> bool:
    return await manages_employee(directory, principal, employee_id) or await hr_covers_employee(
        directory, principal, employee_id
    )


async def may_act_for_employee(directory: Directory, principal: Principal, employee_id: str) -> bool:
    """The employee themself, someone who manages them, or HR covering them."""
    if _same_tenant(directory, principal) and principal.subject == employee_id:
        return await directory.employee(employee_id) is not None
    return await may_manage_employee(directory, principal, employee_id)


async def managed_unit_ids(directory: Directory, principal: Principal) -> list[str]:
    """The units whose people the caller manages without being their manager in the reporting line:
    the units they head and, for HR, the units of their scope, each with every unit below it. Admins
    and HR of the whole tenant reach everyone besides: callers ask is_tenant_wide_hr first."""
    if not _same_tenant(directory, principal):
        return []
    roots = set(await directory.headed_unit_ids(principal.subject))
    if principal.has_role(ROLE_HR):
        roots.update(principal.hr_unit_ids)
    return await directory.subtrees_ids(roots) if roots else []


async def may_manage_unit(directory: Directory, principal: Principal, unit_id: str) -> bool:
    """The head of the unit or of a unit above it, or HR covering it."""
    if not _same_tenant(directory, principal):
        return False
    unit = await directory.unit(unit_id)
    if unit is None:
        return False
    if principal.has_role(ROLE_HR, ROLE_ADMIN) and _hr_scope_includes(principal, unit):
        return True
    return await _heads_unit_or_above(directory, principal, unit)


def _same_tenant(directory: Directory, principal: Principal) -> bool:
    return principal.tenant_id == directory.tenant_id


def _hr_scope_includes(principal: Principal, unit: DirectoryUnit) -> bool:
    if is_tenant_wide_hr(principal):
        return True
    return principal.has_role(ROLE_HR) and not set(principal.hr_unit_ids).isdisjoint(
        [unit.id, *unit.ancestor_ids]
    )


async def _heads_unit_or_above(directory: Directory, principal: Principal, unit: DirectoryUnit) -> bool:
    headed = await directory.headed_unit_ids(principal.subject)
    return not set(headed).isdisjoint([unit.id, *unit.ancestor_ids])
