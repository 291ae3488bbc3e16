"""Who takes part in the points economy (R5) and whose points a caller sees.

Employees claim and redeem points for themselves. An employee's claims, balance, ledger and redemptions
are theirs, their managers' (reporting line and unit heads) and HR's covering them; admins and HR of the
whole tenant see everyone's. The leaderboard is public within the tenant: recognition is meant to be seen.
"""

from __future__ import annotations

import json
from datetime import datetime

from services.chassis.context import Principal
from services.chassis.directory.access import is_tenant_wide_hr, managed_unit_ids, may_manage_employee
from services.chassis.directory.model import DirectoryEmployee
from services.chassis.errors import FieldViolation, InvalidArgument, PermissionDenied
from services.chassis.paging import PageRequest
from services.rewards.service_layer.ports import PointsVisibility, RewardsUnitOfWork


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


async def may_see_points_of(uow: RewardsUnitOfWork, principal: Principal, employee_id: str) -> bool:
    return principal.subject == employee_id or await may_manage_employee(
        uow.directory, principal, employee_id
    )


async def points_visibility(uow: RewardsUnitOfWork, principal: Principal) -> PointsVisibility:
    if is_tenant_wide_hr(principal):
        return PointsVisibility(everyone=True, subject=principal.subject)
    units = await managed_unit_ids(uow.directory, principal)
    return PointsVisibility(everyone=False, subject=principal.subject, unit_ids=tuple(units))


def pair_key(first: str, second: str) -> str:
    """A page key for lists ordered by two columns (a moment or a name, then the id)."""
    return json.dumps([first, second])


def after_pair(page: PageRequest) -> tuple[str, str] | None:
    if page.after is None:
        return None
    try:
        first, second = json.loads(page.after)
    except (ValueError, TypeError):
        raise _foreign_token() from None
    return str(first), str(second)


def after_moment(page: PageRequest) -> tuple[datetime, str] | None:
    after = after_pair(page)
    if after is None:
        return None
    try:
        return datetime.fromisoformat(after[0]), after[1]
    except ValueError:
        raise _foreign_token() from None


def after_sequence(page: PageRequest) -> int | None:
    """The position after which a list ordered by a sequence number goes on."""
    if page.after is None:
        return None
    if not page.after.isdigit():
        raise _foreign_token()
    return int(page.after)


def _foreign_token() -> InvalidArgument:
    problem = "is not a page token this service made"
    return InvalidArgument(f"page_token {problem}", [FieldViolation("page_token", problem)])
