"""Two-way feedback and appeals (A8): the employee agrees or disagrees with their finalized result, or
appeals it within the cycle's window; the manager's manager (or HR) upholds or changes the grade.

Appeals come after finalization, when calibration is over: distribution quotas bind calibration only,
so a grade changed on appeal is never refused for a quota.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from services.appraisal.domain.model import (
    Agreement,
    Cycle,
    GradeSource,
    Phase,
    Result,
    ResultChange,
)
from services.appraisal.service_layer.finalization import Finalization
from services.appraisal.service_layer.ports import AppraisalUnitOfWork, UnitOfWorkFactory
from services.chassis.context import Principal
from services.chassis.directory.access import (
    hr_covers_employee,
    is_tenant_wide_hr,
    managed_unit_ids,
    may_manage_employee,
)
from services.chassis.errors import (
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    check_fields,
)
from services.chassis.paging import PageRequest
from services.chassis.timestamps import utc_now

MAX_COMMENT = 4000
MAX_REASON = 4000


class AppealState(enum.Enum):
    OPEN = "open"
    UPHELD = "upheld"
    CHANGED = "changed"


@dataclass
class Appeal:
    id: str
    tenant_id: str
    cycle_id: str
    employee_id: str
    reason: str
    handler_employee_id: str | None
    state: AppealState
    old_grade: str
    filed_at: datetime
    new_grade: str = ""
    decided_by: str = ""
    decision_reason: str = ""
    decided_at: datetime | None = None


@dataclass(frozen=True)
class AppealVisibility:
    """The appeals a caller may list: everyone's, or their own, those they handle and those of the
    employees sitting in `unit_ids`."""

    everyone: bool
    subject: str
    unit_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class GradeRevised:
    result: Result
    old_grade: str
    appeal: Appeal


async def respond_to_result(
    uows: UnitOfWorkFactory,
    principal: Principal,
    *,
    cycle_id: str,
    employee_id: str,
    agreement: Agreement | None,
    comment: str,
    request_id: str,
) -> Result:
    """The employee agrees or disagrees with their finalized result; a new response replaces the last."""
    check_fields(
        {
            "agreement": None if agreement is not None else "is required",
            "comment": _text_problem(comment, MAX_COMMENT, required=False),
        }
    )
    async with uows(principal.tenant_id) as uow:
        if await uow.recall(principal, "RespondToResult", request_id) is not None:
            return await _result(uow, cycle_id, employee_id)
        await uow.serialize(_result_lock(principal.tenant_id, cycle_id, employee_id))
        result, _ = await _own_finalized_result(uow, principal, cycle_id, employee_id)
        responded = replace(
            result,
            agreement=agreement,
            agreement_comment=comment,
            version=result.version + 1,
            updated_at=utc_now(),
        )
        await uow.results.save(responded)
        await uow.remember(principal, "RespondToResult", request_id, employee_id)
        await uow.commit()
        return responded


async def file_appeal(
    uows: UnitOfWorkFactory,
    principal: Principal,
    *,
    cycle_id: str,
    employee_id: str,
    reason: str,
    request_id: str,
) -> Appeal:
    """The employee appeals their finalized result within the cycle's appeal window, counted from the
    end of finalization; one open appeal per result. It goes to their manager's manager, or to HR."""
    check_fields({"reason": _text_problem(reason, MAX_REASON, required=True)})
    async with uows(principal.tenant_id) as uow:
        if (prior := await uow.recall(principal, "FileAppeal", request_id)) is not None:
            return await _appeal(uow, prior)
        await uow.serialize(_result_lock(principal.tenant_id, cycle_id, employee_id))
        result, cycle = await _own_finalized_result(uow, principal, cycle_id, employee_id)
        at = utc_now()
        finalization = await uow.finalizations.get(cycle_id)
        closes = _window_closes(cycle, finalization)
        if closes is not None and at > closes:
            raise FailedPrecondition(
                f"the appeal window of cycle {cycle_id} closed on {closes.isoformat()}",
                [FieldViolation("cycle.appeal_window_days", f"the window closed on {closes.isoformat()}")],
            )
        if await uow.appeals.open_of(cycle_id, employee_id) is not None:
            raise FailedPrecondition(
                f"the result of employee {employee_id} in cycle {cycle_id} already has an open appeal",
                [FieldViolation(f"employee:{employee_id}", "already has an open appeal")],
            )
        chain = await uow.directory.manager_chain(employee_id)
        appeal = Appeal(
            id=_new_id(),
            tenant_id=principal.tenant_id,
            cycle_id=cycle_id,
            employee_id=employee_id,
            reason=reason,
            handler_employee_id=chain[1] if len(chain) > 1 else None,
            state=AppealState.OPEN,
            old_grade=result.grade,
            filed_at=at,
        )
        await uow.appeals.add(appeal)
        await uow.remember(principal, "FileAppeal", request_id, appeal.id)
        await uow.commit()
        return appeal


async def list_appeals(
    uows: UnitOfWorkFactory,
    principal: Principal,
    *,
    cycle_id: str,
    state: AppealState | None,
    page: PageRequest,
) -> tuple[list[Appeal], str]:
    """The caller's own appeals, those they handle and, for HR, those of their scope; oldest first."""
    async with uows(principal.tenant_id) as uow:
        if is_tenant_wide_hr(principal):
            visibility = AppealVisibility(everyone=True, subject=principal.subject)
        else:
            scope = await managed_unit_ids(uow.directory, principal) if principal.hr_unit_ids else []
            visibility = AppealVisibility(everyone=False, subject=principal.subject, unit_ids=tuple(scope))
        appeals = await uow.appeals.matching(visibility, cycle_id or None, state, page.after, page.size)
        return appeals, page.next_token(appeals, _appeal_key)


async def decide_appeal(
    uows: UnitOfWorkFactory,
    principal: Principal,
    *,
    appeal_id: str,
    new_grade: str,
    reason: str,
    request_id: str,
) -> Appeal:
    """The handler, or HR covering the employee, upholds the grade (no new grade) or changes it. A change
    is audited like any grade change and announced as GradeRevised. No quota applies after finalization."""
    check_fields({"reason": _text_problem(reason, MAX_REASON, required=True)})
    async with uows(principal.tenant_id) as uow:
        if (prior := await uow.recall(principal, "DecideAppeal", request_id)) is not None:
            return await _appeal(uow, prior)
        appeal = await uow.appeals.get(appeal_id)
        if appeal is None:
            raise NotFound(f"no appeal {appeal_id}")
        await uow.serialize(_result_lock(principal.tenant_id, appeal.cycle_id, appeal.employee_id))
        appeal = await _appeal(uow, appeal_id)
        deciders = await _may_decide(uow, principal, appeal)
        if not deciders:
            if principal.subject == appeal.employee_id or await may_manage_employee(
                uow.directory, principal, appeal.employee_id
            ):
                raise PermissionDenied(
                    "only the manager's manager the appeal went to, or HR covering the employee, decides it"
                )
            raise NotFound(f"no appeal {appeal_id}")
        if appeal.state is not AppealState.OPEN:
            raise FailedPrecondition(
                f"appeal {appeal_id} was already decided ({appeal.state.value})",
                [FieldViolation(f"appeal:{appeal_id}", f"is {appeal.state.value}")],
            )
        result = await _result(uow, appeal.cycle_id, appeal.employee_id)
        if new_grade:
            scale = await uow.grade_scales.current()
            codes = [grade.code for grade in scale.grades]
            if new_grade not in codes:
                raise InvalidArgument(
                    f"new_grade {new_grade} is not in the grade scale",
                    [FieldViolation("new_grade", f"must be one of {', '.join(codes)}")],
                )
            if new_grade == result.grade:
                raise InvalidArgument(
                    f"new_grade {new_grade} is the current grade",
                    [FieldViolation("new_grade", "is the current grade; leave it empty to uphold it")],
                )
        at = utc_now()
        decided = replace(
            appeal,
            state=AppealState.CHANGED if new_grade else AppealState.UPHELD,
            new_grade=new_grade or result.grade,
            decided_by=principal.subject,
            decision_reason=reason,
            decided_at=at,
        )
        await uow.appeals.save(decided)
        if new_grade:
            revised = replace(
                result,
                grade=new_grade,
                grade_source=GradeSource.APPEAL,
                version=result.version + 1,
                updated_at=at,
            )
            await uow.results.save(revised)
            await uow.results.add_changes(
                [
                    ResultChange(
                        tenant_id=principal.tenant_id,
                        cycle_id=result.cycle_id,
                        employee_id=result.employee_id,
                        changed_by=principal.subject,
                        changed_at=at,
                        source=GradeSource.APPEAL,
                        reason=reason,
                        old_grade=result.grade,
                        new_grade=new_grade,
                        old_score=result.score,
                        new_score=result.score,
                    )
                ]
            )
            uow.emit(principal.tenant_id, GradeRevised(revised, result.grade, decided))
        await uow.remember(principal, "DecideAppeal", request_id, appeal.id)
        await uow.commit()
        return decided


async def _may_decide(uow: AppraisalUnitOfWork, principal: Principal, appeal: Appeal) -> bool:
    if appeal.handler_employee_id is not None and principal.subject == appeal.handler_employee_id:
        return True
    return await hr_covers_employee(uow.directory, principal, appeal.employee_id)


async def _own_finalized_result(
    uow: AppraisalUnitOfWork, principal: Principal, cycle_id: str, employee_id: str
) -> tuple[Result, Cycle]:
    """The caller's own result of a finalized cycle; someone else's they may read is PERMISSION_DENIED."""
    cycle = await uow.cycles.get(cycle_id)
    result = await uow.results.get(cycle_id, employee_id) if cycle is not None else None
    if cycle is None or result is None:
        raise NotFound(f"no result of employee {employee_id} in cycle {cycle_id}")
    if principal.subject != employee_id:
        if await may_manage_employee(uow.directory, principal, employee_id):
            raise PermissionDenied("only the employee responds to or appeals their result")
        raise NotFound(f"no result of employee {employee_id} in cycle {cycle_id}")
    if cycle.phase is not Phase.FINALIZED or not result.finalized:
        raise FailedPrecondition(
            f"the result of employee {employee_id} in cycle {cycle_id} is not finalized yet",
            [FieldViolation(f"employee:{employee_id}", "the result is not finalized yet")],
        )
    return result, cycle


def _window_closes(cycle: Cycle, finalization: Finalization | None) -> datetime | None:
    """The end of the appeal window; None while finalization is still running (the window has not
    started)."""
    if finalization is None or finalization.done_at is None:
        return None
    return finalization.done_at + timedelta(days=cycle.appeal_window_days)


async def _result(uow: AppraisalUnitOfWork, cycle_id: str, employee_id: str) -> Result:
    result = await uow.results.get(cycle_id, employee_id)
    if result is None:
        raise NotFound(f"no result of employee {employee_id} in cycle {cycle_id}")
    return result


async def _appeal(uow: AppraisalUnitOfWork, appeal_id: str) -> Appeal:
    appeal = await uow.appeals.get(appeal_id)
    if appeal is None:
        raise NotFound(f"no appeal {appeal_id}")
    return appeal


def _appeal_key(appeal: Appeal) -> str:
    return f"{appeal.filed_at.isoformat()}|{appeal.id}"


def _result_lock(tenant_id: str, cycle_id: str, employee_id: str) -> str:
    return f"result:{tenant_id}:{cycle_id}:{employee_id}"


def _text_problem(text: str, limit: int, *, required: bool) -> str | None:
    if required and not text.strip():
        return "is required"
    if len(text) > limit:
        return f"must be at most {limit} characters"
    return None


def _new_id() -> str:
    return str(uuid.uuid4())
