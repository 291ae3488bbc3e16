"""Reading decisions and the ledger of decided actions (R1, R6).

Who sees whose: an employee their own; a manager everyone in their reporting line and in the units
they head; HR the units of their scope; an admin, HR for the whole tenant and partner systems (which
act on the actions) everyone of the tenant. A filter on someone the caller may not see lists nothing.
"""

from __future__ import annotations

import json

from services.chassis.context import ROLE_PARTNER, Principal
from services.chassis.directory.access import is_tenant_wide_hr, managed_unit_ids, may_manage_employee
from services.chassis.directory.model import EmployeeScope
from services.chassis.errors import FieldViolation, InvalidArgument, NotFound
from services.chassis.paging import PageRequest
from services.rewards.domain.actions import Action, ActionKind
from services.rewards.service_layer.ports import (
    DecisionFilter,
    DecisionKey,
    GradeDecision,
    RewardsUnitOfWork,
    UnitOfWorkFactory,
)


async def list_decisions(
    uows: UnitOfWorkFactory,
    principal: Principal,
    *,
    cycle_id: str,
    employee_id: str,
    unit_id: str,
    include_superseded: bool,
    page: PageRequest,
) -> tuple[list[tuple[GradeDecision, list[Action]]], str]:
    """Decisions by cycle, employee and revision, each with its actions (a revision's cancellations
    first); `unit_id` narrows them to grades in that unit's subtree."""
    after = _decision_key(page.after) if page.after is not None else None
    async with uows(principal.tenant_id) as uow:
        unit_ids = None
        if unit_id:
            unit_ids = tuple(await uow.directory.unit_subtree_ids(unit_id))
            if not unit_ids:
                raise NotFound(f"no unit {unit_id}")
        employee_ids = await _visible_employees(uow, principal, employee_id)
        if employee_ids == ():
            return [], ""
        wanted = DecisionFilter(cycle_id or None, employee_ids, unit_ids, include_superseded)
        found = await uow.decisions.page(wanted, after, page.size)
        actions = await uow.actions.for_origin(decided.decision.id for decided in found)
        token = page.next_token(
            found,
            lambda decided: json.dumps(
                [decided.decision.cycle_id, decided.decision.employee_id, decided.decision.revision]
            ),
        )
        return [(decided, actions.get(decided.decision.id, [])) for decided in found], token


async def list_actions(
    uows: UnitOfWorkFactory,
    principal: Principal,
    *,
    cycle_id: str,
    employee_id: str,
    kind: ActionKind | None,
    page: PageRequest,
) -> tuple[list[Action], str]:
    """The ledger in the order actions were decided, oldest first."""
    after = None
    if page.after is not None:
        if not page.after.isdigit():
            raise _foreign_token()
        after = int(page.after)
    async with uows(principal.tenant_id) as uow:
        employee_ids = await _visible_employees(uow, principal, employee_id)
        if employee_ids == ():
            return [], ""
        found = await uow.actions.page(
            cycle_id=cycle_id or None, employee_ids=employee_ids, kind=kind, after=after, limit=page.size
        )
        token = page.next_token(found, lambda item: str(item[0]))
        return [action for _, action in found], token


async def _visible_employees(
    uow: RewardsUnitOfWork, principal: Principal, employee_id: str
) -> tuple[str, ...] | None:
    """The employees whose records the caller lists: None for anyone."""
    if is_tenant_wide_hr(principal) or principal.has_role(ROLE_PARTNER):
        return (employee_id,) if employee_id else None
    if employee_id:
        if employee_id == principal.subject or await may_manage_employee(
            uow.directory, principal, employee_id
        ):
            return (employee_id,)
        return ()
    units = await managed_unit_ids(uow.directory, principal)
    people = await uow.directory.active_employees(
        EmployeeScope(unit_ids=tuple(units), reports_to=principal.subject)
    )
    return tuple(dict.fromkeys([principal.subject, *(person.id for person in people)]))


def _decision_key(token_key: str) -> DecisionKey:
    try:
        cycle_id, employee_id, revision = json.loads(token_key)
    except (ValueError, TypeError):
        raise _foreign_token() from None
    if not (isinstance(cycle_id, str) and isinstance(employee_id, str) and isinstance(revision, int)):
        raise _foreign_token()
    return cycle_id, employee_id, revision


def _foreign_token() -> InvalidArgument:
    return InvalidArgument(
        "page_token is not a page token this service made",
        [FieldViolation("page_token", "is not a page token this service made")],
    )
