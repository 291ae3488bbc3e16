"""What the career use cases (eligibility, improvement plans, training) share: who may read or act on an
employee's records, who may change the tenant's setup, versions, ids and today's date.

An employee reads their own records, their managers and HR covering them read them too; an employee
not in the directory is NOT_FOUND, one the caller may not see PERMISSION_DENIED.
"""

from __future__ import annotations

import uuid
from datetime import date

from services.chassis.context import Principal
from services.chassis.directory.access import is_tenant_wide_hr, may_act_for_employee, may_manage_employee
from services.chassis.directory.model import DirectoryEmployee
from services.chassis.errors import Aborted, NotFound, PermissionDenied
from services.chassis.timestamps import utc_now
from services.rewards.service_layer.ports import RewardsUnitOfWork

# Ids and codes are at most this long; a longer one names nothing, and never reaches a lock's name.
MAX_ID = 64


def require_short_id(identifier: str, what: str) -> None:
    if len(identifier) > MAX_ID:
        raise NotFound(f"no {what} {identifier[:MAX_ID]}...")


def new_id() -> str:
    return str(uuid.uuid4())


def utc_today() -> date:
    return utc_now().date()


def require_setup_writer(principal: Principal, what: str) -> None:
    if not is_tenant_wide_hr(principal):
        raise PermissionDenied(f"only an admin or HR for the whole tenant may change {what}")


def check_version(what: str, current: int, expected: int) -> None:
    """An expected version of 0 asks for no check."""
    if expected and expected != current:
        raise Aborted(f"{what} is at version {current}, not {expected}: read it again and retry")


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


async def _known_employee(uow: RewardsUnitOfWork, employee_id: str) -> DirectoryEmployee:
    employee = await uow.directory.employee(employee_id) if employee_id else None
    if employee is None:
        raise NotFound(f"no employee {employee_id}")
    return employee
