"""Use cases on the tenant's grade scale (A6), and what the setup use cases share: who may change the
setup, versions, ids and the clock.

Everyone of the tenant reads the scale; only an admin or HR for the whole tenant sets it, and never
while a cycle is being calibrated (its grades come from the scale).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import replace

from services.appraisal.domain.grading import scale_problems
from services.appraisal.domain.model import Grade, GradeScale, Phase
from services.appraisal.service_layer.ports import AppraisalUnitOfWork, UnitOfWorkFactory
from services.chassis.context import Principal
from services.chassis.directory.access import is_tenant_wide_hr
from services.chassis.errors import Aborted, FailedPrecondition, FieldViolation, PermissionDenied, refuse
from services.chassis.timestamps import utc_now


def new_id() -> str:
    return str(uuid.uuid4())


def require_setup_writer(principal: Principal, what: str) -> None:
    if not is_tenant_wide_hr(principal):
        raise PermissionDenied(f"only an admin or HR for the whole tenant may change {what}")


def check_version(what: str, current: int, expected: int) -> None:
    """An expected version of 0 asks for no check."""
    if expected and expected != current:
        raise Aborted(f"{what} is at version {current}, not {expected}: read it again and retry")


def prefixed(prefix: str, violations: Iterable[FieldViolation]) -> list[FieldViolation]:
    """The domain names fields from the item or grade list down; requests name them from the message."""
    return [FieldViolation(f"{prefix}{violation.field}", violation.description) for violation in violations]


async def lock_grade_scale(uow: AppraisalUnitOfWork) -> None:
    """Taken by every change of the scale, and by a cycle entering calibration (which grades by it)."""
    await uow.serialize(f"grade_scale:{uow.tenant_id}")


async def get_grade_scale(uows: UnitOfWorkFactory, principal: Principal) -> GradeScale:
    """The tenant's scale, best grade first; the default A/B/C/D at version 0 until one is set."""
    async with uows(principal.tenant_id) as uow:
        return await uow.grade_scales.current()


async def set_grade_scale(
    uows: UnitOfWorkFactory,
    principal: Principal,
    *,
    grades: tuple[Grade, ...],
    expected_version: int,
    request_id: str,
) -> GradeScale:
    require_setup_writer(principal, "the grade scale")
    refuse(prefixed("scale.", scale_problems(grades)))
    async with uows(principal.tenant_id) as uow:
        await lock_grade_scale(uow)
        if await uow.recall(principal, "SetGradeScale", request_id) is not None:
            return await uow.grade_scales.current()
        scale = await uow.grade_scales.current()
        check_version("the grade scale", scale.version, expected_version)
        if scale.version and scale.grades == grades:
            updated = scale
        else:
            calibrating = await uow.cycles.in_phase(Phase.CALIBRATION)
            if calibrating:
                raise FailedPrecondition(
                    "the grade scale cannot change while a cycle is in calibration: "
                    + ", ".join(cycle.name for cycle in calibrating),
                    [FieldViolation(f"cycle:{cycle.id}", "is in calibration") for cycle in calibrating],
                )
            updated = replace(scale, grades=grades, version=scale.version + 1, updated_at=utc_now())
            await uow.grade_scales.save(updated)
        await uow.remember(principal, "SetGradeScale", request_id, str(updated.version))
        await uow.commit()
        return updated
