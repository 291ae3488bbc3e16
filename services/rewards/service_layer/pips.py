"""Use cases of improvement plans (R3).

A manager of the employee or HR covering them opens a plan by hand (a C grade opens one through the
outcome policy), sets its goals, holds check-ins and closes it; the employee, their managers and HR
covering them read it. A plan is not opened by hand for an employee who has an active one.

Every change is written only if the plan is still active at the version it was read at, so two changes
racing (a manager closing a plan while the scheduler escalates it) cannot both land: the later one is
ABORTED, or skipped by the scheduler. Escalating raises the plan's HR alert through the action ledger
under the key "<tenant>/pip/<id>/escalation", so it is raised once whoever escalates.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import date, datetime
from enum import StrEnum

from services.chassis.context import Principal
from services.chassis.directory.access import may_act_for_employee
from services.chassis.errors import (
    Aborted,
    FailedPrecondition,
    FieldViolation,
    NotFound,
    check_fields,
    refuse,
)
from services.chassis.field_mask import checked_paths
from services.chassis.paging import PageRequest
from services.chassis.timestamps import utc_now
from services.rewards.domain.actions import HrAlertKind
from services.rewards.domain.pips import (
    Pip,
    PipChange,
    PipChanged,
    PipCheckIn,
    PipGoal,
    PipStatus,
    escalation_action,
    goal_problems,
    text_problem,
)
from services.rewards.service_layer.access import listed_reach, managed_employee
from services.rewards.service_layer.actions import record_actions
from services.rewards.service_layer.ports import RewardsUnitOfWork, UnitOfWorkFactory
from services.rewards.service_layer.records import (
    check_version,
    existing,
    new_id,
    require_short_id,
    utc_today,
)

UPDATABLE_PIP_FIELDS = ("goals", "reason")
# A change of a plan: applied to the plan as read, in the unit of work that writes it back.
PipChangeStep = Callable[[RewardsUnitOfWork, Pip, datetime], Awaitable[None]]
# Who escalates a plan whose deadline passed.
SCHEDULER = "system:pip-scheduler"
ESCALATION_BATCH_SIZE = 200


class PipOutcome(StrEnum):
    COMPLETED = "completed"
    EXTENDED = "extended"
    ESCALATED = "escalated"


async def create_pip(
    uows: UnitOfWorkFactory,
    principal: Principal,
    *,
    employee_id: str,
    reason: str,
    goals: Sequence[PipGoal],
    deadline: date | None,
    escalation: HrAlertKind | None,
    request_id: str,
) -> Pip:
    """`goals` as sent: each gets a new id and starts unmet. No deadline: DEFAULT_PLAN_DAYS from today."""
    today = utc_today()
    check_fields(
        {
            "reason": text_problem(reason, required=True),
            "deadline": "must not be in the past" if deadline is not None and deadline < today else None,
        }
    )
    refuse(goal_problems(list(goals), "goals"))
    require_short_id(employee_id, "employee")
    async with uows(principal.tenant_id) as uow:
        await uow.serialize(f"pips:{principal.tenant_id}:{employee_id}")
        if (prior := await uow.recall(principal, "CreatePip", request_id)) is not None:
            return existing(await uow.pips.get(prior), "improvement plan", prior)
        employee = await managed_employee(uow, principal, employee_id)
        if not employee.active:
            raise FailedPrecondition(
                f"employee {employee_id} has left", [FieldViolation(f"employee:{employee_id}", "has left")]
            )
        if active := await uow.pips.active_of(employee_id):
            raise FailedPrecondition(
                f"employee {employee_id} already has an active improvement plan",
                [FieldViolation(f"pip:{pip.id}", "is active") for pip in active],
            )
        pip = Pip.open(
            employee_id=employee_id,
            manager_id=await uow.directory.responsible_for_employee(employee_id) or "",
            cycle_id="",
            reason=reason,
            today=today,
            now=utc_now(),
            escalation=escalation,
            goals=[replace(goal, id=new_id(), met=False) for goal in goals],
        )
        if deadline is not None:
            pip.deadline = deadline
        await uow.pips.add([pip])
        uow.emit(uow.tenant_id, PipChanged(pip, PipChange.OPENED))
        await uow.remember(principal, "CreatePip", request_id, pip.id)
        await uow.commit()
        return pip


async def get_pip(uows: UnitOfWorkFactory, principal: Principal, pip_id: str) -> Pip:
    async with uows(principal.tenant_id) as uow:
        return await _readable(uow, principal, pip_id)


async def list_pips(
    uows: UnitOfWorkFactory,
    principal: Principal,
    *,
    employee_id: str,
    status: PipStatus | None,
    page: PageRequest,
) -> tuple[list[Pip], str]:
    """The plans the caller may read, by id; of one employee when `employee_id` names them."""
    async with uows(principal.tenant_id) as uow:
        reach = await listed_reach(uow, principal, employee_id)
        pips = await uow.pips.page(
            reach, employee_id=employee_id or None, status=status, after=page.after, limit=page.size
        )
        return pips, page.next_token(pips, lambda pip: pip.id)


async def update_pip(
    uows: UnitOfWorkFactory,
    principal: Principal,
    *,
    pip_id: str,
    reason: str,
    goals: Sequence[PipGoal],
    mask: list[str],
    expected_version: int,
    request_id: str,
) -> Pip:
    """Only the masked fields change. A goal sent with the id of one of the plan's goals keeps its id and
    whether it was met (check-ins mark goals met); any other goal is new."""
    paths = checked_paths(mask, UPDATABLE_PIP_FIELDS)
    if "reason" in paths:
        check_fields({"pip.reason": text_problem(reason, required=True)})
    if "goals" in paths:
        refuse(goal_problems(list(goals), "pip.goals"))

    async def revise(uow: RewardsUnitOfWork, pip: Pip, now: datetime) -> None:
        revised_goals = None
        if "goals" in paths:
            kept = {goal.id: goal for goal in pip.goals}
            revised_goals = [
                replace(goal, met=kept[goal.id].met)
                if goal.id in kept
                else replace(goal, id=new_id(), met=False)
                for goal in goals
            ]
        pip.revise(now=now, reason=reason if "reason" in paths else None, goals=revised_goals)

    return await _change(uows, principal, "UpdatePip", pip_id, expected_version, request_id, revise)


async def add_check_in(
    uows: UnitOfWorkFactory,
    principal: Principal,
    *,
    pip_id: str,
    note: str,
    met_goal_ids: Sequence[str],
    request_id: str,
) -> Pip:
    check_fields({"note": text_problem(note, required=True)})

    async def check_in(uow: RewardsUnitOfWork, pip: Pip, now: datetime) -> None:
        held = PipCheckIn(new_id(), principal.subject, note, tuple(dict.fromkeys(met_goal_ids)), now)
        pip.check_in(held)
        await uow.pips.add_check_in(pip.id, held)

    return await _change(uows, principal, "AddPipCheckIn", pip_id, 0, request_id, check_in)


async def close_pip(
    uows: UnitOfWorkFactory,
    principal: Principal,
    *,
    pip_id: str,
    outcome: PipOutcome | None,
    new_deadline: date | None,
    note: str,
    expected_version: int,
    request_id: str,
) -> Pip:
    """COMPLETED needs every goal met; EXTENDED moves the deadline later and keeps the plan active;
    ESCALATED raises the plan's HR alert."""
    extending = outcome is PipOutcome.EXTENDED
    check_fields(
        {
            "outcome": None if outcome is not None else "is required: completed, extended or escalated",
            "new_deadline": "is required to extend a plan" if extending and new_deadline is None else None,
            "note": text_problem(note, required=False),
        }
    )

    async def close(uow: RewardsUnitOfWork, pip: Pip, now: datetime) -> None:
        if outcome is PipOutcome.COMPLETED:
            pip.complete(note=note, now=now)
            uow.emit(uow.tenant_id, PipChanged(pip, PipChange.COMPLETED))
        elif outcome is PipOutcome.EXTENDED and new_deadline is not None:
            pip.extend(new_deadline=new_deadline, today=utc_today(), note=note, now=now)
            uow.emit(uow.tenant_id, PipChanged(pip, PipChange.EXTENDED))
        elif outcome is PipOutcome.ESCALATED:
            pip.escalate(note=note, now=now)
            await _announce_escalations(uow, [pip], escalated_by=principal.subject, now=now)

    return await _change(uows, principal, "ClosePip", pip_id, expected_version, request_id, close)


async def escalate_overdue_pips(
    uows: UnitOfWorkFactory, tenant_id: str, *, today: date, limit: int = ESCALATION_BATCH_SIZE
) -> list[Pip]:
    """Escalates up to `limit` of the tenant's active plans whose deadline is before `today`, in one
    transaction, as ClosePip(ESCALATED) would; returns the plans it escalated. A plan changed since it
    was read (by hand, or by another replica) is left alone."""
    async with uows(tenant_id) as uow:
        await uow.serialize(f"pip_escalations:{tenant_id}")
        now = utc_now()
        escalated = []
        for pip in await uow.pips.overdue(today, limit):
            read_at = pip.version
            pip.escalate(note=f"the deadline {pip.deadline.isoformat()} passed with the plan active", now=now)
            if await uow.pips.save_if_unchanged(pip, read_at):
                escalated.append(pip)
        await _announce_escalations(uow, escalated, escalated_by=SCHEDULER, now=now)
        await uow.commit()
        return escalated


async def _announce_escalations(
    uow: RewardsUnitOfWork, pips: Sequence[Pip], *, escalated_by: str, now: datetime
) -> None:
    alerts = [escalation_action(uow.tenant_id, pip, escalated_by=escalated_by, now=now) for pip in pips]
    await record_actions(uow, [alert for alert in alerts if alert is not None])
    for pip in pips:
        uow.emit(uow.tenant_id, PipChanged(pip, PipChange.ESCALATED))


async def _change(
    uows: UnitOfWorkFactory,
    principal: Principal,
    operation: str,
    pip_id: str,
    expected_version: int,
    request_id: str,
    change: PipChangeStep,
) -> Pip:
    """Loads a plan the caller manages, applies `change` and writes the plan back, unless it changed
    since it was read."""
    require_short_id(pip_id, "improvement plan")
    async with uows(principal.tenant_id) as uow:
        await uow.serialize(f"pip:{principal.tenant_id}:{pip_id}")
        if (prior := await uow.recall(principal, operation, request_id)) is not None:
            return existing(await uow.pips.get(prior), "improvement plan", prior)
        pip = await _readable(uow, principal, pip_id)
        await managed_employee(uow, principal, pip.employee_id)
        check_version(f"plan {pip.id}", pip.version, expected_version)
        read_at = pip.version
        await change(uow, pip, utc_now())
        if not await uow.pips.save_if_unchanged(pip, read_at):
            raise Aborted(f"plan {pip.id} changed while this request ran: read it again and retry")
        await uow.remember(principal, operation, request_id, pip.id)
        await uow.commit()
        return pip


async def _readable(uow: RewardsUnitOfWork, principal: Principal, pip_id: str) -> Pip:
    """The plan when the caller may read it; otherwise as unknown as a plan that does not exist."""
    pip = await uow.pips.get(pip_id) if pip_id else None
    if pip is None or not await may_act_for_employee(uow.directory, principal, pip.employee_id):
        raise NotFound(f"no improvement plan {pip_id}")
    return pip
