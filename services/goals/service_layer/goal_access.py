"""Who may read and change which objectives (and their key results).

The strategy is for everyone to see: tenant, unit and team objectives are read by anyone of the tenant.
An employee's objectives are read by the employee, those who manage them, HR covering them, admins and
partner systems; to anyone else they do not exist. Changing an objective is for those who answer for its
level: the tenant's strategy for admins and HR of the whole tenant, a unit's or team's objectives for the
heads of the unit or above and HR covering it, an employee's for the employee, their managers and HR
covering them. Partner systems never change objectives.
"""

from __future__ import annotations

from services.chassis.context import ROLE_ADMIN, ROLE_PARTNER, Principal
from services.chassis.directory.access import (
    is_tenant_wide_hr,
    managed_unit_ids,
    may_act_for_employee,
    may_manage_employee,
    may_manage_unit,
)
from services.chassis.errors import NotFound, PermissionDenied
from services.goals.domain.objectives import KeyResult, Objective, ObjectiveLevel, ObjectiveVisibility
from services.goals.service_layer.ports import GoalsUnitOfWork


async def may_read(uow: GoalsUnitOfWork, principal: Principal, objective: Objective) -> bool:
    if objective.level is not ObjectiveLevel.EMPLOYEE or principal.has_role(ROLE_ADMIN, ROLE_PARTNER):
        return True
    owner = objective.owner_employee_id or ""
    return owner == principal.subject or await may_manage_employee(uow.directory, principal, owner)


async def readable_objective(uow: GoalsUnitOfWork, principal: Principal, objective_id: str) -> Objective:
    """The objective, if the caller may read it; NOT_FOUND otherwise, so existence does not leak."""
    objective = await uow.objectives.get(objective_id) if objective_id else None
    if objective is None or not await may_read(uow, principal, objective):
        raise NotFound(f"no objective {objective_id}")
    return objective


async def readable_key_result(
    uow: GoalsUnitOfWork, principal: Principal, key_result_id: str
) -> tuple[KeyResult, Objective]:
    """The key result and its objective, if the caller may read the objective; NOT_FOUND otherwise."""
    key_result = await uow.key_results.get(key_result_id) if key_result_id else None
    objective = await uow.objectives.get(key_result.objective_id) if key_result else None
    if key_result is None or objective is None or not await may_read(uow, principal, objective):
        raise NotFound(f"no key result {key_result_id}")
    return key_result, objective


async def may_write(
    uow: GoalsUnitOfWork,
    principal: Principal,
    level: ObjectiveLevel,
    unit_id: str | None,
    owner_employee_id: str | None,
) -> bool:
    if principal.has_role(ROLE_PARTNER):
        return False
    if level is ObjectiveLevel.TENANT:
        return is_tenant_wide_hr(principal)
    if level is ObjectiveLevel.EMPLOYEE:
        return await may_act_for_employee(uow.directory, principal, owner_employee_id or "")
    return await may_manage_unit(uow.directory, principal, unit_id or "")


async def require_writer(
    uow: GoalsUnitOfWork,
    principal: Principal,
    level: ObjectiveLevel,
    unit_id: str | None,
    owner_employee_id: str | None,
) -> None:
    if await may_write(uow, principal, level, unit_id, owner_employee_id):
        return
    if principal.has_role(ROLE_PARTNER):
        raise PermissionDenied("a partner system reads objectives but does not change them")
    raise PermissionDenied(
        {
            ObjectiveLevel.TENANT: "only admins and HR of the whole tenant may change the tenant's strategy",
            ObjectiveLevel.UNIT: "only the unit's heads, those of the units above it and HR covering it may "
            "change its objectives",
            ObjectiveLevel.TEAM: "only the team's heads, those of the units above it and HR covering it may "
            "change its objectives",
            ObjectiveLevel.EMPLOYEE: "only the employee, their managers and HR covering them may change "
            "their objectives",
        }[level]
    )


async def require_objective_writer(uow: GoalsUnitOfWork, principal: Principal, objective: Objective) -> None:
    await require_writer(uow, principal, objective.level, objective.unit_id, objective.owner_employee_id)


async def objective_visibility(uow: GoalsUnitOfWork, principal: Principal) -> ObjectiveVisibility:
    """The objectives the caller may read, as a filter for lists: the same rule as may_read."""
    if is_tenant_wide_hr(principal) or principal.has_role(ROLE_ADMIN, ROLE_PARTNER):
        return ObjectiveVisibility(everyone=True)
    unit_ids = await managed_unit_ids(uow.directory, principal)
    return ObjectiveVisibility(viewer_id=principal.subject, unit_ids=tuple(unit_ids))
