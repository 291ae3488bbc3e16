"""Scorecards, the rollout and tasks as the contract's protobuf messages."""

from __future__ import annotations

from fulcrum.appraisal.v1 import appraisal_pb2

from services.appraisal.adapters.result_messages import REVIEW_KIND_TO_PROTO
from services.appraisal.adapters.setup_messages import item_message
from services.appraisal.domain.model import ItemReturn, Scorecard, ScorecardStatus
from services.appraisal.service_layer.rollout import Rollout, UnitRollout
from services.appraisal.service_layer.scorecards import Verdict
from services.appraisal.service_layer.tasks import Task, TaskKind
from services.chassis.timestamps import timestamp_message

STATUS_TO_PROTO = {
    ScorecardStatus.PROPOSED: appraisal_pb2.SCORECARD_STATUS_PROPOSED,
    ScorecardStatus.RETURNED: appraisal_pb2.SCORECARD_STATUS_RETURNED,
    ScorecardStatus.APPROVED: appraisal_pb2.SCORECARD_STATUS_APPROVED,
    ScorecardStatus.CONFIRMED: appraisal_pb2.SCORECARD_STATUS_CONFIRMED,
}
STATUS_FROM_PROTO = {value: status for status, value in STATUS_TO_PROTO.items()}
VERDICT_FROM_PROTO = {
    appraisal_pb2.VERDICT_APPROVE: Verdict.APPROVE,
    appraisal_pb2.VERDICT_RETURN: Verdict.RETURN,
}
TASK_KIND_TO_PROTO = {
    TaskKind.PROPOSE_SCORECARD: appraisal_pb2.TASK_KIND_PROPOSE_SCORECARD,
    TaskKind.REVIEW_SCORECARD: appraisal_pb2.TASK_KIND_REVIEW_SCORECARD,
    TaskKind.CONFIRM_SCORECARD: appraisal_pb2.TASK_KIND_CONFIRM_SCORECARD,
    TaskKind.WRITE_REVIEW: appraisal_pb2.TASK_KIND_WRITE_REVIEW,
}


def scorecard_message(scorecard: Scorecard) -> appraisal_pb2.Scorecard:
    return appraisal_pb2.Scorecard(
        cycle_id=scorecard.cycle_id,
        employee_id=scorecard.employee_id,
        status=STATUS_TO_PROTO[scorecard.status],
        template_id=scorecard.template_id or "",
        items=[item_message(item) for item in scorecard.items],
        findings=[
            appraisal_pb2.ComplianceFinding(item_id=f.item_id or "", check=f.check, problem=f.problem)
            for f in scorecard.findings
        ],
        proposed_by=scorecard.proposed_by,
        reviewed_by=scorecard.reviewed_by,
        returns=[
            appraisal_pb2.ItemReturn(item_id=r.item_id or "", reason=r.reason) for r in scorecard.returns
        ],
        confirm_time=timestamp_message(scorecard.confirmed_at),
        version=scorecard.version,
        update_time=timestamp_message(scorecard.updated_at),
    )


def item_returns(returns: list[appraisal_pb2.ItemReturn]) -> list[ItemReturn]:
    return [ItemReturn(reason=sent.reason.strip(), item_id=sent.item_id or None) for sent in returns]


def _unit_rollout_message(unit: UnitRollout) -> appraisal_pb2.UnitRollout:
    return appraisal_pb2.UnitRollout(
        unit_id=unit.unit_id,
        employees=unit.employees,
        done=unit.done,
        waiting_for_review=unit.waiting_for_review,
        returned=unit.returned,
        not_started=unit.not_started,
        overdue=unit.overdue,
        non_compliant_items=unit.non_compliant_items,
    )


def rollout_message(rollout: Rollout) -> appraisal_pb2.GetRolloutResponse:
    return appraisal_pb2.GetRolloutResponse(
        units=[_unit_rollout_message(unit) for unit in rollout.units],
        total=_unit_rollout_message(rollout.total),
        units_done_percent=rollout.units_done_percent,
    )


def task_message(task: Task) -> appraisal_pb2.Task:
    return appraisal_pb2.Task(
        kind=TASK_KIND_TO_PROTO[task.kind],
        cycle_id=task.cycle_id,
        employee_id=task.employee_id,
        due_on=task.due_on.isoformat() if task.due_on else "",
        overdue=task.overdue,
        review_kind=REVIEW_KIND_TO_PROTO[task.review_kind] if task.review_kind else 0,
    )
