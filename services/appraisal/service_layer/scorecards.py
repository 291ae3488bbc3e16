"""Use cases of indicator setting (A3): a manager proposes an employee's scorecard, the compliance checks
run at once, HR approves or returns it, the employee confirms it.

A scorecard is read by its employee, by those who manage them and by HR covering them; to anyone else
it does not exist (NOT_FOUND). Writing it takes more: proposing is for those who manage the employee,
reviewing for HR, confirming for the employee alone (PERMISSION_DENIED for the other readers).
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import date

from services.appraisal.domain import compliance
from services.appraisal.domain.model import (
    Cycle,
    CycleMember,
    Item,
    ItemReturn,
    Phase,
    Scorecard,
    ScorecardStatus,
)
from services.appraisal.service_layer.cycles import active_cycle, locked_cycle
from services.appraisal.service_layer.ports import (
    AppraisalUnitOfWork,
    ScorecardFilter,
    ScorecardVisibility,
    UnitOfWorkFactory,
)
from services.chassis.context import Principal
from services.chassis.directory.access import (
    hr_covers_employee,
    is_tenant_wide_hr,
    managed_unit_ids,
    may_act_for_employee,
    may_manage_employee,
)
from services.chassis.errors import (
    Aborted,
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    check_fields,
    refuse,
)
from services.chassis.paging import PageRequest
from services.chassis.timestamps import utc_now

MAX_REASON = 1000
DONE = frozenset({ScorecardStatus.APPROVED, ScorecardStatus.CONFIRMED})
_STILL_MISSING = {
    None: "has no scorecard proposed yet",
    ScorecardStatus.PROPOSED: "has a scorecard waiting for HR review",
    ScorecardStatus.RETURNED: "has a scorecard HR returned, waiting to be proposed again",
    ScorecardStatus.APPROVED: "has an approved scorecard waiting for the employee's confirmation",
}


class Verdict(enum.Enum):
    APPROVE = "approve"
    RETURN = "return"


def today() -> date:
    """Deadlines are calendar days, compared with today in UTC."""
    return utc_now().date()


async def propose_scorecard(
    uows: UnitOfWorkFactory,
    principal: Principal,
    *,
    cycle_id: str,
    employee_id: str,
    template_id: str,
    items: Sequence[Item],
    expected_version: int,
    request_id: str,
) -> Scorecard:
    """The items sent, else the template's, else the employee's default template's: proposed anew,
    replacing a proposed or returned scorecard."""
    check_fields(_key_problems(cycle_id, employee_id))
    items = _with_ids(items)
    refuse(compliance.item_problems(items) if items else ())
    async with uows(principal.tenant_id) as uow:
        if (prior := await uow.recall(principal, "ProposeScorecard", request_id)) is not None:
            return await _remembered(uow, prior)
        cycle = await locked_cycle(uow, cycle_id)
        await _require_reader(uow, principal, employee_id)
        if not await may_manage_employee(uow.directory, principal, employee_id):
            raise PermissionDenied(f"only those who manage employee {employee_id} propose their scorecard")
        member = await _member(uow, cycle, employee_id)
        _require_phase(cycle, "scorecards are proposed")
        current = await uow.scorecards.get(cycle.id, employee_id)
        if current is not None and current.status in DONE:
            raise FailedPrecondition(
                f"the scorecard of {employee_id} is {current.status.value}: it cannot be proposed again",
                [FieldViolation(f"employee:{employee_id}", f"scorecard is {current.status.value}")],
            )
        _check_version(employee_id, current.version if current else 0, expected_version)
        template_id, items = await _items_to_propose(uow, member, template_id, items)
        known_objectives = await uow.goals_data.objective_exists(
            {item.aligned_objective_id for item in items if item.aligned_objective_id}
        )
        metric_codes = {item.quantitative.metric_code for item in items if item.quantitative}
        known_metrics = await uow.goals_data.metrics({code for code in metric_codes if code})
        scorecard = Scorecard(
            tenant_id=principal.tenant_id,
            cycle_id=cycle.id,
            employee_id=employee_id,
            status=ScorecardStatus.PROPOSED,
            items=tuple(items),
            findings=tuple(compliance.findings(items, known_objectives, known_metrics)),
            template_id=template_id,
            proposed_by=principal.subject,
            version=current.version + 1 if current else 1,
            updated_at=utc_now(),
        )
        if current is None:
            await uow.scorecards.add(scorecard)
        else:
            await uow.scorecards.save(scorecard)
        await uow.remember(principal, "ProposeScorecard", request_id, _key(scorecard))
        await uow.commit()
        return scorecard


async def get_scorecard(
    uows: UnitOfWorkFactory, principal: Principal, cycle_id: str, employee_id: str
) -> Scorecard:
    check_fields(_key_problems(cycle_id, employee_id))
    async with uows(principal.tenant_id) as uow:
        return await _readable_scorecard(uow, principal, await active_cycle(uow, cycle_id), employee_id)


async def list_scorecards(
    uows: UnitOfWorkFactory,
    principal: Principal,
    *,
    cycle_id: str,
    unit_id: str,
    status: ScorecardStatus | None,
    page: PageRequest,
) -> tuple[list[Scorecard], str]:
    """The cycle's scorecards the caller may read, of the unit's subtree when one is named."""
    check_fields({"cycle_id": None if cycle_id else "is required"})
    async with uows(principal.tenant_id) as uow:
        cycle = await active_cycle(uow, cycle_id)
        unit_ids = None
        if unit_id:
            unit_ids = tuple(await uow.directory.unit_subtree_ids(unit_id))
            if not unit_ids:
                raise NotFound(f"no unit {unit_id}")
        wanted = ScorecardFilter(
            cycle_id=cycle.id,
            visibility=await scorecard_visibility(uow, principal),
            status=status,
            unit_ids=unit_ids,
        )
        found = await uow.scorecards.matching(wanted, page.after, page.size)
        return found, page.next_token(found, lambda scorecard: scorecard.employee_id)


async def review_scorecard(
    uows: UnitOfWorkFactory,
    principal: Principal,
    *,
    cycle_id: str,
    employee_id: str,
    verdict: Verdict | None,
    returns: Sequence[ItemReturn],
    expected_version: int,
    request_id: str,
) -> Scorecard:
    """HR approves a proposed scorecard, findings or not (they stay on it), or returns it with reasons."""
    check_fields({**_key_problems(cycle_id, employee_id), "verdict": None if verdict else "is required"})
    refuse(_return_problems(verdict, returns))
    async with uows(principal.tenant_id) as uow:
        if (prior := await uow.recall(principal, "ReviewScorecard", request_id)) is not None:
            return await _remembered(uow, prior)
        cycle = await locked_cycle(uow, cycle_id)
        current = await _readable_scorecard(uow, principal, cycle, employee_id)
        if not await hr_covers_employee(uow.directory, principal, employee_id):
            raise PermissionDenied(f"only HR covering employee {employee_id} reviews their scorecard")
        _require_phase(cycle, "scorecards are reviewed")
        _require_status(current, ScorecardStatus.PROPOSED, "reviewed")
        _check_version(employee_id, current.version, expected_version)
        item_ids = {item.id for item in current.items}
        refuse(
            FieldViolation(f"returns[{index}].item_id", "is no item of the scorecard")
            for index, back in enumerate(returns)
            if back.item_id and back.item_id not in item_ids
        )
        approved = verdict is Verdict.APPROVE
        scorecard = replace(
            current,
            status=ScorecardStatus.APPROVED if approved else ScorecardStatus.RETURNED,
            reviewed_by=principal.subject,
            returns=() if approved else tuple(returns),
            version=current.version + 1,
            updated_at=utc_now(),
        )
        await uow.scorecards.save(scorecard)
        await uow.remember(principal, "ReviewScorecard", request_id, _key(scorecard))
        await uow.commit()
        return scorecard


async def confirm_scorecard(
    uows: UnitOfWorkFactory, principal: Principal, *, cycle_id: str, employee_id: str, request_id: str
) -> Scorecard:
    """The employee confirms their approved scorecard: it is in their performance file from then on."""
    check_fields(_key_problems(cycle_id, employee_id))
    async with uows(principal.tenant_id) as uow:
        if (prior := await uow.recall(principal, "ConfirmScorecard", request_id)) is not None:
            return await _remembered(uow, prior)
        cycle = await locked_cycle(uow, cycle_id)
        current = await _readable_scorecard(uow, principal, cycle, employee_id)
        if principal.subject != employee_id:
            raise PermissionDenied("only the employee confirms their own scorecard")
        _require_phase(cycle, "scorecards are confirmed")
        _require_status(current, ScorecardStatus.APPROVED, "confirmed")
        at = utc_now()
        scorecard = replace(
            current,
            status=ScorecardStatus.CONFIRMED,
            confirmed_at=at,
            version=current.version + 1,
            updated_at=at,
        )
        await uow.scorecards.save(scorecard)
        await uow.remember(principal, "ConfirmScorecard", request_id, _key(scorecard))
        await uow.commit()
        return scorecard


async def indicator_setting_gaps(uow: AppraisalUnitOfWork, cycle: Cycle) -> list[FieldViolation]:
    """One violation per member whose scorecard is not confirmed yet, saying what it still waits for."""
    scorecards = await uow.scorecards.of_cycle(cycle.id)
    statuses = {scorecard.employee_id: scorecard.status for scorecard in scorecards}
    return [
        FieldViolation(f"employee:{member.employee_id}", _STILL_MISSING[statuses.get(member.employee_id)])
        for member in await uow.cycles.members(cycle.id)
        if statuses.get(member.employee_id) is not ScorecardStatus.CONFIRMED
    ]


async def scorecard_visibility(uow: AppraisalUnitOfWork, principal: Principal) -> ScorecardVisibility:
    """The caller's own, their reporting line's, and the people of the units they head or cover as HR."""
    if is_tenant_wide_hr(principal):
        return ScorecardVisibility(everyone=True)
    units = await managed_unit_ids(uow.directory, principal)
    return ScorecardVisibility(viewer_id=principal.subject, unit_ids=tuple(units))


async def _readable_scorecard(
    uow: AppraisalUnitOfWork, principal: Principal, cycle: Cycle, employee_id: str
) -> Scorecard:
    await _require_reader(uow, principal, employee_id)
    scorecard = await uow.scorecards.get(cycle.id, employee_id)
    if scorecard is None:
        raise NotFound(f"no scorecard of {employee_id} in cycle {cycle.id}")
    return scorecard


async def _require_reader(uow: AppraisalUnitOfWork, principal: Principal, employee_id: str) -> None:
    if not await may_act_for_employee(uow.directory, principal, employee_id):
        raise NotFound(f"no employee {employee_id}")


async def _member(uow: AppraisalUnitOfWork, cycle: Cycle, employee_id: str) -> CycleMember:
    member = await uow.cycles.member(cycle.id, employee_id)
    if member is None:
        raise FailedPrecondition(
            f"employee {employee_id} is not a member of cycle {cycle.id}",
            [FieldViolation(f"employee:{employee_id}", "is not covered by the cycle")],
        )
    return member


def _require_phase(cycle: Cycle, what: str) -> None:
    if cycle.phase is not Phase.INDICATOR_SETTING:
        raise FailedPrecondition(
            f"{what} only while the cycle sets indicators; cycle {cycle.id} is in {cycle.phase.value}",
            [FieldViolation(f"cycle:{cycle.id}", f"is in {cycle.phase.value}, not indicator_setting")],
        )


def _require_status(scorecard: Scorecard, wanted: ScorecardStatus, action: str) -> None:
    if scorecard.status is not wanted:
        raise FailedPrecondition(
            f"only a {wanted.value} scorecard is {action}; the scorecard of {scorecard.employee_id} is "
            f"{scorecard.status.value}",
            [FieldViolation(f"employee:{scorecard.employee_id}", f"scorecard is {scorecard.status.value}")],
        )


def _check_version(employee_id: str, current: int, expected: int) -> None:
    """expected 0 means the caller does not care; anything else must match."""
    if expected and expected != current:
        raise Aborted(
            f"the scorecard of {employee_id} is at version {current}, not {expected}: read it again and retry"
        )


async def _items_to_propose(
    uow: AppraisalUnitOfWork, member: CycleMember, template_id: str, items: Sequence[Item]
) -> tuple[str | None, list[Item]]:
    """The template the scorecard comes from (if any) and its items."""
    if template_id:
        template = await uow.templates.get(template_id)
        if template is None:
            raise InvalidArgument(
                f"no template {template_id}", [FieldViolation("template_id", "no such template")]
            )
    elif not items:
        units = [member.unit_id, *await uow.directory.unit_ancestor_ids(member.unit_id)]
        template = await uow.templates.default_for(member.position_id, units)
        if template is None:
            raise InvalidArgument(
                f"employee {member.employee_id} has no default template: name a template or send items",
                [FieldViolation("items", "are required: the employee's position and units have no template")],
            )
    else:
        template = None
    if items:
        return (template.id if template else None), list(items)
    assert template is not None
    chosen = _with_ids(template.items)
    refuse(compliance.item_problems(chosen))
    return template.id, chosen


def _with_ids(items: Sequence[Item]) -> list[Item]:
    """Items keep the ids they come with (a template's, or those of the scorecard proposed before), so
    HR's returns and reviewers' ratings keep pointing at them; new items get new ids."""
    seen: set[str] = set()
    named: list[Item] = []
    for item in items:
        if not item.id or item.id in seen:
            item = replace(item, id=str(uuid.uuid4()))
        seen.add(item.id)
        named.append(item)
    return named


def _key_problems(cycle_id: str, employee_id: str) -> dict[str, str | None]:
    return {
        "cycle_id": None if cycle_id else "is required",
        "employee_id": None if employee_id else "is required",
    }


def _return_problems(verdict: Verdict | None, returns: Sequence[ItemReturn]) -> list[FieldViolation]:
    if verdict is Verdict.APPROVE and returns:
        return [FieldViolation("returns", "must be empty when approving")]
    if verdict is Verdict.RETURN and not returns:
        return [FieldViolation("returns", "need at least one reason when returning")]
    problems = []
    for index, back in enumerate(returns):
        reason = back.reason.strip()
        if not reason:
            problems.append(FieldViolation(f"returns[{index}].reason", "is required"))
        elif len(reason) > MAX_REASON:
            too_long = f"must be at most {MAX_REASON} characters"
            problems.append(FieldViolation(f"returns[{index}].reason", too_long))
    return problems


def _key(scorecard: Scorecard) -> str:
    return f"{scorecard.cycle_id}/{scorecard.employee_id}"


async def _remembered(uow: AppraisalUnitOfWork, key: str) -> Scorecard:
    cycle_id, employee_id = key.split("/", 1)
    scorecard = await uow.scorecards.get(cycle_id, employee_id)
    if scorecard is None:
        raise NotFound(f"no scorecard of {employee_id} in cycle {cycle_id}")
    return scorecard
