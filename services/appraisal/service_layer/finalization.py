"""Finalization (A7): FinalizeCycle locks the cycle at once; a background worker then finalizes its
results in batches, announcing one GradeFinalized per employee through the outbox.

The request only moves the cycle to FINALIZED and records a RUNNING finalization, so finalizing a
100k-employee cycle returns in the time of one small transaction. Each batch of the worker marks results
finalized and writes their events in one transaction, choosing only results not finalized yet: a crash
between batches resumes where it stopped and never announces an employee twice.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from services.appraisal.domain.model import Cycle, ItemScore, Phase
from services.appraisal.domain.quotas import quota_violations
from services.appraisal.service_layer.cycles import CyclePhaseChanged, locked_cycle
from services.appraisal.service_layer.ports import AppraisalUnitOfWork, UnitOfWorkFactory
from services.chassis.context import Principal
from services.chassis.directory.access import is_tenant_wide_hr
from services.chassis.errors import FailedPrecondition, FieldViolation, NotFound, PermissionDenied

# Big enough that a batch's fixed cost (the cycle's lock, the commit) is spread over many results: a 100k
# cycle takes twenty transactions; small enough that one holds the lock only a fraction of a second.
BATCH_SIZE = 5000


class FinalizationState(enum.Enum):
    RUNNING = "running"
    DONE = "done"


@dataclass
class Finalization:
    tenant_id: str
    cycle_id: str
    state: FinalizationState
    employees: int
    finalized: int
    started_by: str
    started_at: datetime
    done_at: datetime | None = None


@dataclass(frozen=True)
class FinalizedResult:
    """What the worker announces of a result, with the position the member held in the cycle: read
    without the rest of the result, as a batch holds thousands."""

    employee_id: str
    unit_id: str
    position_id: str | None
    grade: str
    score: float
    items: tuple[ItemScore, ...]


@dataclass(frozen=True)
class GradeFinalized:
    cycle: Cycle
    result: FinalizedResult


async def finalize_cycle(
    uows: UnitOfWorkFactory,
    principal: Principal,
    *,
    cycle_id: str,
    request_id: str,
    started: Callable[[], None],
) -> Finalization:
    """Admins and HR of the whole tenant finalize a cycle in CALIBRATION whose grades keep its quotas.
    Calls `started` after the commit, to wake the worker; finalizing again returns the finalization
    already there and changes nothing."""
    async with uows(principal.tenant_id) as uow:
        if (prior := await uow.recall(principal, "FinalizeCycle", request_id)) is not None:
            return await _finalization(uow, prior)
        cycle = await locked_cycle(uow, cycle_id)
        if not is_tenant_wide_hr(principal):
            raise PermissionDenied("only admins and HR of the whole tenant finalize cycles")
        existing = await uow.finalizations.get(cycle.id)
        if existing is not None:
            return existing
        if cycle.phase is not Phase.CALIBRATION:
            raise FailedPrecondition(
                f"cycle {cycle.id} is in {cycle.phase.value}; only a cycle in calibration is finalized",
                [FieldViolation("cycle.phase", f"is {cycle.phase.value}, not calibration")],
            )
        violations = quota_violations(cycle.quotas, await uow.results.grades(cycle.id))
        if violations:
            raise FailedPrecondition(
                f"cycle {cycle.id} breaks its grade quotas: {'; '.join(violations)}",
                [FieldViolation("cycle.quotas", violation) for violation in violations],
            )
        at = _now()
        finalized_cycle = replace(cycle, phase=Phase.FINALIZED, version=cycle.version + 1, updated_at=at)
        await uow.cycles.save(finalized_cycle)
        uow.emit(principal.tenant_id, CyclePhaseChanged(finalized_cycle))
        finalization = Finalization(
            tenant_id=principal.tenant_id,
            cycle_id=cycle.id,
            state=FinalizationState.RUNNING,
            employees=await uow.finalizations.member_count(cycle.id),
            finalized=0,
            started_by=principal.subject,
            started_at=at,
        )
        await uow.finalizations.add(finalization)
        await uow.remember(principal, "FinalizeCycle", request_id, cycle.id)
        await uow.commit()
    started()
    return finalization


async def get_finalization(uows: UnitOfWorkFactory, principal: Principal, cycle_id: str) -> Finalization:
    """Progress of a cycle's finalization, for anyone of the tenant (cycles are the tenant's to read)."""
    async with uows(principal.tenant_id) as uow:
        if await uow.cycles.get(cycle_id) is None:
            raise NotFound(f"no cycle {cycle_id}")
        finalization = await uow.finalizations.get(cycle_id)
        if finalization is None:
            raise NotFound(f"cycle {cycle_id} has not been finalized")
        return finalization


async def finalize_next_batch(
    uows: UnitOfWorkFactory, tenant_id: str, cycle_id: str, batch_size: int = BATCH_SIZE
) -> bool:
    """Finalizes up to `batch_size` results not finalized yet, with their events, in one transaction;
    True while results are left. Takes the cycle's lock, so two workers never take the same results."""
    async with uows(tenant_id) as uow:
        cycle = await locked_cycle(uow, cycle_id)
        finalization = await uow.finalizations.get(cycle_id)
        if finalization is None or finalization.state is FinalizationState.DONE:
            return False
        batch = await uow.finalizations.unfinalized(cycle_id, batch_size)
        if batch:
            await uow.finalizations.mark_finalized(cycle_id, batch)
            for item in batch:
                uow.emit(tenant_id, GradeFinalized(cycle, item))
            finalization.finalized += len(batch)
        if len(batch) < batch_size:
            finalization.state = FinalizationState.DONE
            finalization.done_at = _now()
        await uow.finalizations.save(finalization)
        await uow.commit()
        return finalization.state is FinalizationState.RUNNING


async def _finalization(uow: AppraisalUnitOfWork, cycle_id: str) -> Finalization:
    finalization = await uow.finalizations.get(cycle_id)
    if finalization is None:
        raise NotFound(f"cycle {cycle_id} has not been finalized")
    return finalization


def _now() -> datetime:
    return datetime.now(UTC)
