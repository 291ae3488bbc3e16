"""Use cases on appraisal cycles (A1): create, read, list, update, and move through the phases.

Everyone of the tenant reads cycles; only an admin or HR for the whole tenant changes them. A cycle is
edited only in DRAFT, except its deadlines, which move until it is finalized. Every change of a cycle,
here or in the other areas, takes the cycle's lock (`locked_cycle`) before it reads the cycle.

Entering INDICATOR_SETTING takes the snapshot of who the cycle covers (its members); entering IN_PROGRESS
needs every member's scorecard confirmed, and CALIBRATION every manager review written, and computes
every score and grade in the same transaction. FinalizeCycle, not AdvanceCycle, enters FINALIZED.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import date
from operator import attrgetter
from typing import Any

from services.appraisal.domain.model import (
    DEFAULT_APPEAL_WINDOW_DAYS,
    PHASE_ORDER,
    Cycle,
    CycleMember,
    Direction,
    GradeScale,
    MetricGrading,
    Phase,
)
from services.appraisal.domain.phases import phase_name
from services.appraisal.service_layer.grade_scales import (
    check_version,
    new_id,
    require_setup_writer,
)
from services.appraisal.service_layer.ports import AppraisalUnitOfWork, UnitOfWorkFactory
from services.chassis.context import Principal
from services.chassis.errors import (
    FailedPrecondition,
    FieldViolation,
    NotFound,
    check_fields,
)
from services.chassis.field_mask import checked_paths
from services.chassis.paging import PageRequest
from services.chassis.timestamps import utc_now

CYCLE_FIELDS = (
    "name",
    "kind",
    "period_start",
    "period_end",
    "deadlines",
    "unit_ids",
    "position_ids",
    "metric_grading",
    "quotas",
    "appeal_window_days",
)
UPDATABLE_CYCLE_FIELDS = tuple(name for name in CYCLE_FIELDS if name != "kind")
# Fields that may change after DRAFT (until the cycle is finalized).
LATE_CYCLE_FIELDS = frozenset({"deadlines"})
MAX_NAME = 200
MAX_APPEAL_WINDOW_DAYS = 365


@dataclass(frozen=True)
class CyclePhaseChanged:
    cycle: Cycle


async def locked_cycle(uow: AppraisalUnitOfWork, cycle_id: str) -> Cycle:
    """The cycle, read once its lock is held for the rest of the transaction; NOT_FOUND when unknown.
    Every change of a cycle or of what its phase governs takes this lock first."""
    await uow.serialize(f"cycle:{uow.tenant_id}:{cycle_id}")
    return await active_cycle(uow, cycle_id)


async def active_cycle(uow: AppraisalUnitOfWork, cycle_id: str) -> Cycle:
    """The tenant's cycle; NOT_FOUND when unknown (another tenant's included)."""
    cycle = await uow.cycles.get(cycle_id) if cycle_id else None
    if cycle is None:
        raise NotFound(f"no cycle {cycle_id}")
    return cycle


async def members(uow: AppraisalUnitOfWork, cycle: Cycle) -> list[CycleMember]:
    """Who the cycle covers, as the directory described them when indicator setting began; nobody
    before that."""
    return await uow.cycles.members(cycle.id)


async def create_cycle(
    uows: UnitOfWorkFactory, principal: Principal, *, values: dict[str, Any], request_id: str
) -> Cycle:
    """`values`: name, kind (None when unknown), period_start and period_end (ISO text), deadlines
    ((phase or None, ISO text) pairs), unit_ids, position_ids, metric_grading (None, or a dict of
    metric_code, direction, measured_scope, thresholds), quotas, appeal_window_days (0 for the default)."""
    require_setup_writer(principal, "cycles")
    async with uows(principal.tenant_id) as uow:
        if (prior := await uow.recall(principal, "CreateCycle", request_id)) is not None:
            return await active_cycle(uow, prior)
        cycle = Cycle(
            id=new_id(),
            tenant_id=principal.tenant_id,
            name="",
            kind=values["kind"],
            period_start=date.min,
            period_end=date.min,
            unit_ids=(),
            updated_at=utc_now(),
        )
        cycle = await _with_values(uow, cycle, values, set(CYCLE_FIELDS))
        await uow.cycles.add(cycle)
        await uow.remember(principal, "CreateCycle", request_id, cycle.id)
        await uow.commit()
        return cycle


async def get_cycle(uows: UnitOfWorkFactory, principal: Principal, cycle_id: str) -> Cycle:
    async with uows(principal.tenant_id) as uow:
        return await active_cycle(uow, cycle_id)


async def list_cycles(
    uows: UnitOfWorkFactory, principal: Principal, *, phase: Phase | None, page: PageRequest
) -> tuple[list[Cycle], str]:
    """The tenant's cycles, in one phase when one is named."""
    async with uows(principal.tenant_id) as uow:
        cycles = await uow.cycles.page(phase, page.after, page.size)
        return cycles, page.next_token(cycles, attrgetter("id"))


async def update_cycle(
    uows: UnitOfWorkFactory,
    principal: Principal,
    *,
    cycle_id: str,
    values: dict[str, Any],
    mask: list[str],
    expected_version: int,
    request_id: str,
) -> Cycle:
    """`values` as for create_cycle; only the masked fields change."""
    require_setup_writer(principal, "cycles")
    paths = checked_paths(mask, UPDATABLE_CYCLE_FIELDS)
    async with uows(principal.tenant_id) as uow:
        if (prior := await uow.recall(principal, "UpdateCycle", request_id)) is not None:
            return await active_cycle(uow, prior)
        cycle = await locked_cycle(uow, cycle_id)
        check_version(f"cycle {cycle.id}", cycle.version, expected_version)
        if cycle.phase is Phase.FINALIZED:
            raise FailedPrecondition(
                f"cycle {cycle.id} is finalized and can no longer be edited",
                [FieldViolation(f"cycle:{cycle.id}", "is finalized")],
            )
        if cycle.phase is not Phase.DRAFT and (late := sorted(paths - LATE_CYCLE_FIELDS)):
            raise FailedPrecondition(
                f"cycle {cycle.id} is in {phase_name(cycle.phase)}: only its deadlines may change after "
                f"draft, not {', '.join(late)}",
                [FieldViolation(f"cycle.{name}", "may only change in draft") for name in late],
            )
        updated = await _with_values(uow, cycle, values, paths)
        if updated != cycle:
            updated = replace(updated, version=cycle.version + 1, updated_at=utc_now())
            await uow.cycles.save(updated)
        await uow.remember(principal, "UpdateCycle", request_id, cycle.id)
        await uow.commit()
        return updated


async def _with_values(
    uow: AppraisalUnitOfWork, cycle: Cycle, values: dict[str, Any], paths: set[str]
) -> Cycle:
    """The cycle with the named fields taken from `values`; INVALID_ARGUMENT names every bad one."""
    scale = await uow.grade_scales.current()
    problems: dict[str, str | None] = {}
    changes: dict[str, Any] = {}
    if "name" in paths:
        name = values["name"]
        problems["cycle.name"] = (
            f"is required, at most {MAX_NAME} characters"
            if not name.strip() or len(name) > MAX_NAME
            else None
        )
        changes["name"] = name
    if "kind" in paths and values["kind"] is None:
        problems["cycle.kind"] = "is required: annual, half-year, quarterly or monthly"
    for name in ("period_start", "period_end"):
        if name in paths:
            if (day := _date(values[name])) is None:
                problems[f"cycle.{name}"] = "must be a date (YYYY-MM-DD)"
            else:
                changes[name] = day
    if "deadlines" in paths:
        deadlines, deadline_problems = _deadlines(values["deadlines"])
        problems.update(deadline_problems)
        changes["deadlines"] = deadlines
    if "unit_ids" in paths:
        unit_ids = tuple(dict.fromkeys(values["unit_ids"]))
        known = await uow.directory.units(unit_ids)
        if not unit_ids:
            problems["cycle.unit_ids"] = "at least one unit is required"
        for index, unit_id in enumerate(unit_ids):
            if unit_id not in known:
                problems[f"cycle.unit_ids[{index}]"] = "no such unit"
        changes["unit_ids"] = unit_ids
    if "position_ids" in paths:
        changes["position_ids"] = tuple(dict.fromkeys(p for p in values["position_ids"] if p))
    if "metric_grading" in paths:
        grading = values["metric_grading"]
        if grading is not None:
            problems.update(_grading_problems(grading, scale))
            changes["metric_grading"] = MetricGrading(
                metric_code=grading["metric_code"],
                direction=grading["direction"],
                thresholds=grading["thresholds"],
                measured_scope=grading["measured_scope"],
            )
        else:
            changes["metric_grading"] = None
    if "quotas" in paths:
        problems.update(_quota_problems(values["quotas"], scale))
        changes["quotas"] = values["quotas"]
    if "appeal_window_days" in paths:
        days = values["appeal_window_days"] or DEFAULT_APPEAL_WINDOW_DAYS
        if not 1 <= days <= MAX_APPEAL_WINDOW_DAYS:
            problems["cycle.appeal_window_days"] = f"must be between 1 and {MAX_APPEAL_WINDOW_DAYS} days"
        changes["appeal_window_days"] = days
    check_fields(problems)
    updated = replace(cycle, **changes)
    check_fields(_whole_cycle_problems(updated))
    return updated


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _deadlines(sent: tuple[tuple[Phase | None, str], ...]) -> tuple[dict[Phase, date], dict[str, str | None]]:
    deadlines: dict[Phase, date] = {}
    problems: dict[str, str | None] = {}
    for index, (phase, due_on) in enumerate(sent):
        field = f"cycle.deadlines[{index}]"
        if phase is None or phase is Phase.DRAFT:
            problems[f"{field}.phase"] = "must be a phase after draft"
        elif phase in deadlines:
            problems[f"{field}.phase"] = f"{phase_name(phase)} has a deadline already"
        if (day := _date(due_on)) is None:
            problems[f"{field}.due_on"] = "must be a date (YYYY-MM-DD)"
        elif phase is not None and phase is not Phase.DRAFT:
            deadlines[phase] = day
    return deadlines, problems


def _grading_problems(grading: dict[str, Any], scale: GradeScale) -> dict[str, str | None]:
    field = "cycle.metric_grading"
    problems: dict[str, str | None] = {}
    if not grading["metric_code"].strip():
        problems[f"{field}.metric_code"] = "is required"
    if grading["direction"] is None:
        problems[f"{field}.direction"] = "is required: higher or lower is better"
    if grading["measured_scope"] is None:
        problems[f"{field}.measured_scope"] = "must be the employee or the employee's unit"
    thresholds = grading["thresholds"]
    if not thresholds:
        problems[f"{field}.thresholds"] = "at least one threshold is required"
    codes = [grade.code for grade in scale.grades]
    seen: set[str] = set()
    for index, threshold in enumerate(thresholds):
        at = f"{field}.thresholds[{index}]"
        if threshold.grade not in codes:
            problems[f"{at}.grade"] = f"is not a grade of the scale ({', '.join(codes)})"
        elif threshold.grade in seen:
            problems[f"{at}.grade"] = f"grade {threshold.grade} has a threshold already"
        seen.add(threshold.grade)
        if not math.isfinite(threshold.bound):
            problems[f"{at}.bound"] = "must be a finite number"
        elif index > 0 and grading["direction"] is not None:
            previous = thresholds[index - 1]
            ranks = [
                codes.index(grade) if grade in codes else -1 for grade in (previous.grade, threshold.grade)
            ]
            if min(ranks) >= 0 and ranks[1] <= ranks[0]:
                problems[f"{at}.grade"] = "thresholds go from the best grade to worse ones"
            if grading["direction"] is Direction.LOWER_IS_BETTER and threshold.bound <= previous.bound:
                problems[f"{at}.bound"] = "must be above the previous bound when lower is better"
            if grading["direction"] is Direction.HIGHER_IS_BETTER and threshold.bound >= previous.bound:
                problems[f"{at}.bound"] = "must be below the previous bound when higher is better"
    return problems


def _quota_problems(quotas: tuple[Any, ...], scale: GradeScale) -> dict[str, str | None]:
    codes = [grade.code for grade in scale.grades]
    problems: dict[str, str | None] = {}
    seen: set[str] = set()
    for index, quota in enumerate(quotas):
        at = f"cycle.quotas[{index}]"
        if quota.grade not in codes:
            problems[f"{at}.grade"] = f"is not a grade of the scale ({', '.join(codes)})"
        elif quota.grade in seen:
            problems[f"{at}.grade"] = f"grade {quota.grade} has a quota already"
        seen.add(quota.grade)
        if not (math.isfinite(quota.max_percent) and 0 < quota.max_percent <= 100):
            problems[f"{at}.max_percent"] = "must be above 0 and at most 100"
    return problems


def _whole_cycle_problems(cycle: Cycle) -> dict[str, str | None]:
    """What only the fields together can be wrong about: the period's order and the deadlines' order."""
    problems: dict[str, str | None] = {}
    if cycle.period_end < cycle.period_start:
        problems["cycle.period_end"] = "must not be before period_start"
    latest: tuple[Phase, date] | None = None
    for phase in PHASE_ORDER:
        if (due := cycle.deadlines.get(phase)) is None:
            continue
        if latest is not None and due < latest[1]:
            problems["cycle.deadlines"] = (
                f"the deadline of {phase_name(phase)} is before the deadline of {phase_name(latest[0])}"
            )
        latest = (phase, due)
    return problems
