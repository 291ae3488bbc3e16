"""AdvanceCycle (A1): a cycle moves one phase forward once the work of its phase is done, and entering a
phase does that phase's work: the members' snapshot for indicator setting, every score and grade for
calibration. Finalization is FinalizeCycle's (service_layer/finalization.py)."""

from __future__ import annotations

from dataclasses import replace
from operator import attrgetter

from services.appraisal.domain.model import Cycle, CycleMember, Phase
from services.appraisal.domain.phases import check_transition, phase_name
from services.appraisal.service_layer import results, scorecards
from services.appraisal.service_layer.cycles import CyclePhaseChanged, active_cycle, locked_cycle
from services.appraisal.service_layer.grade_scales import (
    check_version,
    lock_grade_scale,
    require_setup_writer,
)
from services.appraisal.service_layer.ports import AppraisalUnitOfWork, UnitOfWorkFactory
from services.chassis.context import Principal
from services.chassis.directory.model import EmployeeScope
from services.chassis.errors import FailedPrecondition, FieldViolation, InvalidArgument
from services.chassis.timestamps import utc_now


async def advance_cycle(
    uows: UnitOfWorkFactory,
    principal: Principal,
    *,
    cycle_id: str,
    to_phase: Phase | None,
    expected_version: int,
    request_id: str,
) -> Cycle:
    """Moves the cycle to the phase after its current one, once that phase's preconditions hold;
    FAILED_PRECONDITION lists what is missing, one violation per employee."""
    require_setup_writer(principal, "cycles")
    if to_phase is None:
        raise InvalidArgument("to_phase is required", [FieldViolation("to_phase", "is required")])
    async with uows(principal.tenant_id) as uow:
        if (prior := await uow.recall(principal, "AdvanceCycle", request_id)) is not None:
            return await active_cycle(uow, prior)
        cycle = await locked_cycle(uow, cycle_id)
        check_version(f"cycle {cycle.id}", cycle.version, expected_version)
        if to_phase is Phase.FINALIZED and cycle.phase is Phase.CALIBRATION:
            raise FailedPrecondition(
                "a cycle is finalized with FinalizeCycle, not AdvanceCycle: use FinalizeCycle",
                [FieldViolation("to_phase", "use FinalizeCycle")],
            )
        if (problem := check_transition(cycle.phase, to_phase)) is not None:
            raise FailedPrecondition(problem, [FieldViolation("to_phase", problem)])
        advanced = replace(cycle, phase=to_phase, version=cycle.version + 1, updated_at=utc_now())
        await _enter(uow, principal, advanced)
        await uow.cycles.save(advanced)
        uow.emit(principal.tenant_id, CyclePhaseChanged(advanced))
        await uow.remember(principal, "AdvanceCycle", request_id, cycle.id)
        await uow.commit()
        return advanced


async def _enter(uow: AppraisalUnitOfWork, principal: Principal, cycle: Cycle) -> None:
    """Checks the preconditions of the phase `cycle` is entering, and does the work entering it takes."""
    if cycle.phase is Phase.INDICATOR_SETTING:
        await uow.cycles.add_members(await _snapshot(uow, cycle))
    elif cycle.phase is Phase.IN_PROGRESS:
        _require_done(cycle, "indicator setting", await scorecards.indicator_setting_gaps(uow, cycle))
    elif cycle.phase is Phase.CALIBRATION:
        _require_done(cycle, "the reviews", await results.review_gaps(uow, cycle))
        await lock_grade_scale(uow)
        await results.compute_results(uow, cycle, principal)


def _require_done(cycle: Cycle, work: str, gaps: list[FieldViolation]) -> None:
    if gaps:
        raise FailedPrecondition(
            f"cycle {cycle.id} cannot enter {phase_name(cycle.phase)}: {work} is not done for "
            f"{len(gaps)} employees",
            gaps,
        )


async def _snapshot(uow: AppraisalUnitOfWork, cycle: Cycle) -> list[CycleMember]:
    """The active employees of the cycle's units' subtrees (of its positions, when it names any)."""
    unit_ids = await uow.directory.subtrees_ids(cycle.unit_ids)
    employees = (
        await uow.directory.active_employees(EmployeeScope(unit_ids=tuple(unit_ids))) if unit_ids else []
    )
    if cycle.position_ids:
        positions = set(cycle.position_ids)
        employees = [employee for employee in employees if employee.position_id in positions]
    if not employees:
        raise FailedPrecondition(
            f"the cycle covers nobody: no active employee in the subtrees of its units"
            f"{' with its positions' if cycle.position_ids else ''}",
            [FieldViolation("cycle.unit_ids", "the cycle covers nobody")],
        )
    return [
        CycleMember(
            cycle_id=cycle.id,
            employee_id=employee.id,
            unit_id=employee.unit_id,
            position_id=employee.position_id,
            manager_id=employee.manager_id,
        )
        for employee in sorted(employees, key=attrgetter("id"))
    ]
