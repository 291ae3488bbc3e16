"""Who may read or act on whose rewards records (careers and points alike), and who changes the tenant's
setup.

An employee's records (verdicts, plans, recommendations, claims, balance, ledger, redemptions) are theirs,
their managers' (reporting line and unit heads) and HR's covering them; admins and HR of the whole tenant
reach everyone. An employee not in the directory is NOT_FOUND, one the caller may not see
PERMISSION_DENIED. Only an admin or HR for the whole tenant changes the tenant's setup (rules, catalogs,
tags). Only active employees take part in the points economy, for themselves.
"""

from __future__ import annotations

from services.chassis.context import Principal
from services.chassis.directory.access import (
    is_tenant_wide_hr,
    managed_unit_ids,
    may_act_for_employee,
    may_manage_employee,
)
from services.chassis.directory.model import DirectoryEmployee
from services.chassis.errors import NotFound, PermissionDenied
from services.rewards.service_layer.ports import Reach, RewardsUnitOfWork


def require_setup_writer(principal: Principal, what: str) -> None:
    if not is_tenant_wide_hr(principal):
        raise PermissionDenied(f"only an admin or HR for the whole tenant may change {what}")


async def readable_employee(
    uow: RewardsUnitOfWork, principal: Principal, employee_id: str
) -> DirectoryEmployee:
    """The employee, when the caller is them, manages them or is HR covering them."""
    employee = await _known_employee(uow, employee_id)
    if not await may_act_for_employee(uow.directory, principal, employee_id):
        raise PermissionDenied(f"you may not see the records of employee {employee_id}")
    return employee


async def managed_employee(
    uow: RewardsUnitOfWork, principal: Principal, employee_id: str
) -> DirectoryEmployee:
    """The employee, when the caller manages them or is HR covering them; never the employee themself."""
    employee = await _known_employee(uow, employee_id)
    if principal.subject == employee_id or not await may_manage_employee(
        uow.directory, principal, employee_id
    ):
        raise PermissionDenied(f"only a manager of employee {employee_id} or HR covering them may do this")
    return employee


async def listed_reach(uow: RewardsUnitOfWork, principal: Principal, employee_id: str) -> Reach:
    """Whose records a list call shows: everyone's when it names an employee the caller may read (the
    call's own filter then narrows it to them), otherwise those of everyone the caller reaches."""
    if employee_id:
        await readable_employee(uow, principal, employee_id)
        return Reach(everyone=True)
    if is_tenant_wide_hr(principal):
        return Reach(everyone=True)
    units = await managed_unit_ids(uow.directory, principal)
    return Reach(everyone=False, subject=principal.subject, unit_ids=tuple(units))


async def participant(uow: RewardsUnitOfWork, principal: Principal) -> DirectoryEmployee:
    """The caller as an active employee of the directory."""
    employee = await uow.directory.employee(principal.subject)
    if employee is None or not employee.active:
        raise PermissionDenied(
            "only an active employee of the tenant claims and redeems points, for themself"
        )
    return employee


async def lock_points_of_caller(uow: RewardsUnitOfWork, principal: Principal) -> None:
    """A person's own claims and redemptions run one at a time, so a retried request finds the first
    one's result. Taken before anything the change reads."""
    await uow.serialize(f"points:{principal.tenant_id}:{principal.subject}")


async def _known_employee(uow: RewardsUnitOfWork, employee_id: str) -> DirectoryEmployee:
    employee = await uow.directory.employee(employee_id) if employee_id else None
    if employee is None:
        raise NotFound(f"no employee {employee_id}")
    return employee
