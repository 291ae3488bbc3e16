"""Use cases on results (A5, A6): computing every member's score and grade, reading results,
calibrating grades within the cycle's quotas, and the audit of every change.

Computing a cycle loads its members, scorecards, reviews and goals figures in a few queries and writes
every result and audit row in bulk: its cost follows the number of distinct metrics, not of members.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from services.appraisal.domain import grading, quotas, scoring
from services.appraisal.domain.model import (
    Cycle,
    CycleMember,
    GradeScale,
    GradeSource,
    ItemKind,
    MeasuredScope,
    Phase,
    Result,
    ResultChange,
    Review,
    ReviewKind,
    Scorecard,
    ScorecardStatus,
)
from services.appraisal.service_layer.cycles import locked_cycle
from services.appraisal.service_layer.ports import (
    AppraisalUnitOfWork,
    ResultFilter,
    ResultVisibility,
    UnitOfWorkFactory,
)
from services.chassis.context import Principal
from services.chassis.directory.access import is_tenant_wide_hr, managed_unit_ids
from services.chassis.errors import Aborted, FailedPrecondition, FieldViolation, NotFound, check_fields
from services.chassis.paging import PageRequest
from services.chassis.timestamps import utc_now

COMPUTED = "computed"
MAX_REASON = 2000
# Phases in which managers and HR read results; the employee reads their own once it is finalized.
RESULT_PHASES = (Phase.CALIBRATION, Phase.FINALIZED)


async def review_gaps(uow: AppraisalUnitOfWork, cycle: Cycle) -> list[FieldViolation]:
    """One violation per member whose scorecard has qualitative items but no manager review yet."""
    reviewed = await uow.reviews.managers_reviewed(cycle.id)
    rated = {
        scorecard.employee_id
        for scorecard in await uow.scorecards.of_cycle(cycle.id)
        if any(item.kind is ItemKind.QUALITATIVE for item in scorecard.items)
    }
    return [
        FieldViolation(f"employee:{member.employee_id}", "has no manager review of the qualitative items")
        for member in await uow.cycles.members(cycle.id)
        if member.employee_id in rated and member.employee_id not in reviewed
    ]


async def compute_results(uow: AppraisalUnitOfWork, cycle: Cycle, principal: Principal) -> None:
    """Scores and grades every member with a confirmed scorecard, in the caller's transaction, with one
    "computed" audit row each."""
    members = await uow.cycles.members(cycle.id)
    scorecards = {
        scorecard.employee_id: scorecard
        for scorecard in await uow.scorecards.of_cycle(cycle.id)
        if scorecard.status is ScorecardStatus.CONFIRMED
    }
    scored = [
        (member, scorecards[member.employee_id]) for member in members if member.employee_id in scorecards
    ]
    ratings = _ratings(await uow.reviews.of_cycle(cycle.id, (ReviewKind.MANAGER, ReviewKind.PEER)))
    figures = await _Figures.load(uow, cycle, scored)
    scale = await uow.grade_scales.current()
    at = utc_now()
    results, changes = [], []
    for member, scorecard in scored:
        result = _result(cycle, scale, member, scorecard, ratings, figures, at)
        results.append(result)
        changes.append(
            ResultChange(
                tenant_id=uow.tenant_id,
                cycle_id=cycle.id,
                employee_id=member.employee_id,
                changed_by=principal.subject,
                changed_at=at,
                source=result.grade_source,
                reason=COMPUTED,
                old_grade="",
                new_grade=result.grade,
                old_score=0.0,
                new_score=result.score,
            )
        )
    await uow.results.add_many(results)
    await uow.results.add_changes(changes)


async def get_result(
    uows: UnitOfWorkFactory, principal: Principal, cycle_id: str, employee_id: str
) -> Result:
    async with uows(principal.tenant_id) as uow:
        cycle = await _cycle(uow, cycle_id)
        return await _visible_result(uow, principal, cycle, employee_id)


async def list_results(
    uows: UnitOfWorkFactory,
    principal: Principal,
    *,
    cycle_id: str,
    unit_id: str,
    grade: str,
    page: PageRequest,
) -> tuple[list[Result], str]:
    """The results the caller may read, by employee id; `unit_id` narrows them to that unit's subtree."""
    async with uows(principal.tenant_id) as uow:
        cycle = await _cycle(uow, cycle_id)
        unit_ids = None
        if unit_id:
            unit_ids = tuple(await uow.directory.unit_subtree_ids(unit_id))
            if not unit_ids:
                raise NotFound(f"no unit {unit_id}")
        wanted = ResultFilter(cycle.id, await _visibility(uow, principal, cycle), unit_ids, grade or None)
        results = await uow.results.matching(wanted, page.after, page.size)
        return results, page.next_token(results, lambda result: result.employee_id)


async def calibrate_grade(
    uows: UnitOfWorkFactory,
    principal: Principal,
    *,
    cycle_id: str,
    employee_id: str,
    grade: str,
    reason: str,
    expected_version: int,
    request_id: str,
) -> Result:
    """HR covering the employee or someone who manages them moves their grade during CALIBRATION, with a
    reason, as long as the new grade stays within the cycle's quotas."""
    check_fields(
        {
            "grade": None if grade else "is required",
            "reason": _reason_problem(reason),
        }
    )
    async with uows(principal.tenant_id) as uow:
        if await uow.recall(principal, "CalibrateGrade", request_id) is not None:
            return await _stored(uow, cycle_id, employee_id)
        cycle = await locked_cycle(uow, cycle_id)
        result = await _visible_result(uow, principal, cycle, employee_id)
        if cycle.phase is not Phase.CALIBRATION:
            raise FailedPrecondition(
                f"grades are calibrated only in calibration; cycle {cycle.id} is in {cycle.phase.value}",
                [FieldViolation(f"cycle:{cycle.id}", f"is in {cycle.phase.value}, not calibration")],
            )
        codes = [known.code for known in grading.grades_of(await uow.grade_scales.current())]
        check_fields(
            {"grade": None if grade in codes else f"is not a grade of the scale ({', '.join(codes)})"}
        )
        if expected_version and expected_version != result.version:
            raise Aborted(
                f"the result of {employee_id} is at version {result.version}, not {expected_version}: "
                "read it again and retry"
            )
        if grade != result.grade:
            grades = await uow.results.grades(cycle.id)
            if not quotas.allows_move(cycle.quotas, grades, employee_id, grade):
                broken = quotas.quota_violations(cycle.quotas, {**grades, employee_id: grade})
                raise FailedPrecondition(
                    f"grade {grade} for {employee_id} breaks the cycle's quota: {'; '.join(broken)}",
                    [FieldViolation(f"quota:{grade}", violation) for violation in broken],
                )
            at = utc_now()
            calibrated = replace(
                result,
                grade=grade,
                grade_source=GradeSource.CALIBRATION,
                version=result.version + 1,
                updated_at=at,
            )
            await uow.results.save(calibrated)
            await uow.results.add_changes(
                [
                    ResultChange(
                        tenant_id=uow.tenant_id,
                        cycle_id=cycle.id,
                        employee_id=employee_id,
                        changed_by=principal.subject,
                        changed_at=at,
                        source=GradeSource.CALIBRATION,
                        reason=reason,
                        old_grade=result.grade,
                        new_grade=grade,
                        old_score=result.score,
                        new_score=result.score,
                    )
                ]
            )
            result = calibrated
        await uow.remember(principal, "CalibrateGrade", request_id, employee_id)
        await uow.commit()
        return result


async def list_result_changes(
    uows: UnitOfWorkFactory, principal: Principal, cycle_id: str, employee_id: str
) -> list[ResultChange]:
    """Every change of the result the caller may read, oldest first."""
    async with uows(principal.tenant_id) as uow:
        cycle = await _cycle(uow, cycle_id)
        result = await _visible_result(uow, principal, cycle, employee_id)
        return await uow.results.changes(cycle.id, result.employee_id)


class _Figures:
    """The goals figures a cycle's quantitative items and metric grading read, loaded once per metric."""

    def __init__(self) -> None:
        self.metric_values: dict[tuple[str, str], dict[str, float | None]] = {}
        self.key_results: dict[str, float | None] = {}

    @classmethod
    async def load(
        cls, uow: AppraisalUnitOfWork, cycle: Cycle, scored: Sequence[tuple[CycleMember, Scorecard]]
    ) -> _Figures:
        wanted: dict[tuple[str, str], set[str]] = defaultdict(set)
        key_result_ids: set[str] = set()
        for member, scorecard in scored:
            for item in scorecard.items:
                quantitative = item.quantitative
                if item.kind is not ItemKind.QUANTITATIVE or quantitative is None:
                    continue
                if quantitative.metric_code:
                    kind, scope_id = _scope(quantitative.measured_scope, member)
                    wanted[(quantitative.metric_code, kind)].add(scope_id)
                elif quantitative.key_result_id:
                    key_result_ids.add(quantitative.key_result_id)
            if cycle.metric_grading is not None:
                kind, scope_id = _scope(cycle.metric_grading.measured_scope, member)
                wanted[(cycle.metric_grading.metric_code, kind)].add(scope_id)
        figures = cls()
        for (code, kind), scope_ids in wanted.items():
            figures.metric_values[(code, kind)] = await uow.goals_data.metric_values(
                code, kind, sorted(scope_ids), cycle.period_start, cycle.period_end
            )
        if key_result_ids:
            actuals = await uow.goals_data.key_results(sorted(key_result_ids))
            figures.key_results = {key: actual.current_value for key, actual in actuals.items()}
        return figures

    def metric(self, code: str, scope: MeasuredScope, member: CycleMember) -> float | None:
        kind, scope_id = _scope(scope, member)
        return self.metric_values.get((code, kind), {}).get(scope_id)


def _scope(scope: MeasuredScope, member: CycleMember) -> tuple[str, str]:
    if scope is MeasuredScope.EMPLOYEE_UNIT:
        return "unit", member.unit_id
    return "employee", member.employee_id


def _ratings(reviews: Sequence[Review]) -> dict[tuple[str, str], list[int]]:
    """(employee, item) -> the ratings the item scores from; the manager's counts twice."""
    ratings: dict[tuple[str, str], list[int]] = defaultdict(list)
    for review in reviews:
        times = 2 if review.kind is ReviewKind.MANAGER else 1
        for rating in review.ratings:
            ratings[(review.employee_id, rating.item_id)].extend([rating.rating] * times)
    return ratings


def _result(
    cycle: Cycle,
    scale: GradeScale,
    member: CycleMember,
    scorecard: Scorecard,
    ratings: dict[tuple[str, str], list[int]],
    figures: _Figures,
    at: datetime,
) -> Result:
    item_scores = []
    for item in scorecard.items:
        actual = None
        quantitative = item.quantitative
        if item.kind is ItemKind.QUANTITATIVE and quantitative is not None:
            if quantitative.metric_code:
                actual = figures.metric(quantitative.metric_code, quantitative.measured_scope, member)
            elif quantitative.key_result_id:
                actual = figures.key_results.get(quantitative.key_result_id)
        item_scores.append(scoring.score_item(item, actual, ratings.get((member.employee_id, item.id), [])))
    score = scoring.total(item_scores)
    grade, source = None, GradeSource.SCORE_BANDS
    if cycle.metric_grading is not None:
        value = figures.metric(cycle.metric_grading.metric_code, cycle.metric_grading.measured_scope, member)
        grade = grading.grade_from_metric(cycle.metric_grading, scale, value)
        source = GradeSource.METRIC_THRESHOLDS
    if grade is None:
        # Without the grading metric's value for the member, the score bands decide.
        grade, source = grading.grade_from_score(scale, score), GradeSource.SCORE_BANDS
    return Result(
        tenant_id=cycle.tenant_id,
        cycle_id=cycle.id,
        employee_id=member.employee_id,
        unit_id=member.unit_id,
        score=score,
        items=tuple(item_scores),
        grade=grade,
        grade_source=source,
        computed_grade=grade,
        updated_at=at,
    )


async def _visibility(uow: AppraisalUnitOfWork, principal: Principal, cycle: Cycle) -> ResultVisibility:
    caller = principal.subject
    own = caller if cycle.phase is Phase.FINALIZED else None
    if cycle.phase not in RESULT_PHASES:
        return ResultVisibility(own=own, caller=caller)
    if is_tenant_wide_hr(principal):
        return ResultVisibility(everyone=True, own=own, caller=caller)
    units = await managed_unit_ids(uow.directory, principal)
    return ResultVisibility(unit_ids=tuple(units), reports_to=caller, own=own, caller=caller)


async def _visible_result(
    uow: AppraisalUnitOfWork, principal: Principal, cycle: Cycle, employee_id: str
) -> Result:
    """The result when the caller may read it; otherwise as unknown as a result that does not exist."""
    result = await uow.results.get(cycle.id, employee_id) if employee_id else None
    if result is None or not await _may_read(uow, principal, cycle, result):
        raise NotFound(f"no result of {employee_id} in cycle {cycle.id}")
    return result


async def _may_read(uow: AppraisalUnitOfWork, principal: Principal, cycle: Cycle, result: Result) -> bool:
    visibility = await _visibility(uow, principal, cycle)
    if result.employee_id == visibility.caller:
        return result.employee_id == visibility.own
    return (
        visibility.everyone
        or result.employee_id == visibility.own
        or result.unit_id in visibility.unit_ids
        or (
            visibility.reports_to is not None
            and await uow.directory.is_manager_above(visibility.reports_to, result.employee_id)
        )
    )


async def _cycle(uow: AppraisalUnitOfWork, cycle_id: str) -> Cycle:
    cycle = await uow.cycles.get(cycle_id) if cycle_id else None
    if cycle is None:
        raise NotFound(f"no cycle {cycle_id}")
    return cycle


async def _stored(uow: AppraisalUnitOfWork, cycle_id: str, employee_id: str) -> Result:
    result = await uow.results.get(cycle_id, employee_id)
    if result is None:
        raise NotFound(f"no result of {employee_id} in cycle {cycle_id}")
    return result


def _reason_problem(reason: str) -> str | None:
    if not reason.strip():
        return "is required"
    return f"must be at most {MAX_REASON} characters" if len(reason) > MAX_REASON else None
