"""Finalizations, appeals, cases and grade distributions as the contract's protobuf messages; and the
GradeFinalized and GradeRevised events."""

from __future__ import annotations

from fulcrum.appraisal.v1 import appraisal_pb2, events_pb2
from google.protobuf.message import Message

from services.appraisal.adapters.events import event_message
from services.appraisal.adapters.result_messages import item_score_message
from services.appraisal.adapters.setup_messages import CYCLE_KIND_TO_PROTO
from services.appraisal.domain.model import Agreement
from services.appraisal.service_layer.appeals import Appeal, AppealState, GradeRevised
from services.appraisal.service_layer.cases import Case, CaseState
from services.appraisal.service_layer.distribution import UnitDistribution
from services.appraisal.service_layer.finalization import Finalization, FinalizationState, GradeFinalized
from services.chassis.timestamps import timestamp_message

FINALIZATION_STATE_TO_PROTO = {
    FinalizationState.RUNNING: appraisal_pb2.FINALIZATION_STATE_RUNNING,
    FinalizationState.DONE: appraisal_pb2.FINALIZATION_STATE_DONE,
}
APPEAL_STATE_TO_PROTO = {
    AppealState.OPEN: appraisal_pb2.APPEAL_STATE_OPEN,
    AppealState.UPHELD: appraisal_pb2.APPEAL_STATE_UPHELD,
    AppealState.CHANGED: appraisal_pb2.APPEAL_STATE_CHANGED,
}
APPEAL_STATE_FROM_PROTO = {value: state for state, value in APPEAL_STATE_TO_PROTO.items()}
CASE_STATE_TO_PROTO = {
    CaseState.DRAFT: appraisal_pb2.CASE_STATE_DRAFT,
    CaseState.PUBLISHED: appraisal_pb2.CASE_STATE_PUBLISHED,
}
AGREEMENT_FROM_PROTO = {
    appraisal_pb2.AGREEMENT_AGREE: Agreement.AGREE,
    appraisal_pb2.AGREEMENT_DISAGREE: Agreement.DISAGREE,
}


def finalization_message(finalization: Finalization) -> appraisal_pb2.Finalization:
    return appraisal_pb2.Finalization(
        cycle_id=finalization.cycle_id,
        state=FINALIZATION_STATE_TO_PROTO[finalization.state],
        employees=finalization.employees,
        finalized=finalization.finalized,
        start_time=timestamp_message(finalization.started_at),
        done_time=timestamp_message(finalization.done_at),
    )


def appeal_message(appeal: Appeal) -> appraisal_pb2.Appeal:
    return appraisal_pb2.Appeal(
        id=appeal.id,
        cycle_id=appeal.cycle_id,
        employee_id=appeal.employee_id,
        reason=appeal.reason,
        handler_employee_id=appeal.handler_employee_id or "",
        state=APPEAL_STATE_TO_PROTO[appeal.state],
        decided_by=appeal.decided_by,
        decision_reason=appeal.decision_reason,
        old_grade=appeal.old_grade,
        new_grade=appeal.new_grade,
        file_time=timestamp_message(appeal.filed_at),
        decide_time=timestamp_message(appeal.decided_at),
    )


def case_message(case: Case) -> appraisal_pb2.Case:
    return appraisal_pb2.Case(
        id=case.id,
        cycle_id=case.cycle_id,
        employee_id=case.employee_id,
        title=case.title,
        text=case.text,
        tags=list(case.tags),
        state=CASE_STATE_TO_PROTO[case.state],
        publish_time=timestamp_message(case.published_at),
    )


def distribution_message(units: list[UnitDistribution]) -> appraisal_pb2.GetGradeDistributionResponse:
    return appraisal_pb2.GetGradeDistributionResponse(
        units=[
            appraisal_pb2.UnitDistribution(
                unit_id=unit.unit_id,
                cycles=[
                    appraisal_pb2.CycleDistribution(
                        cycle_id=entry.cycle.id,
                        cycle_name=entry.cycle.name,
                        period_end=entry.cycle.period_end.isoformat(),
                        employees=entry.employees,
                        grades=[
                            appraisal_pb2.GradeCount(
                                grade=count.grade, employees=count.employees, percent=count.percent
                            )
                            for count in entry.grades
                        ],
                        weakest_items=list(entry.weakest_items),
                    )
                    for entry in unit.cycles
                ],
            )
            for unit in units
        ]
    )


@event_message.register
def _(event: GradeFinalized) -> Message:
    cycle, result = event.cycle, event.result
    return events_pb2.GradeFinalized(
        cycle_id=cycle.id,
        cycle_name=cycle.name,
        cycle_kind=CYCLE_KIND_TO_PROTO[cycle.kind],
        period_start=cycle.period_start.isoformat(),
        period_end=cycle.period_end.isoformat(),
        employee_id=result.employee_id,
        unit_id=result.unit_id,
        position_id=result.position_id or "",
        grade=result.grade,
        score=result.score,
        items=[item_score_message(item) for item in result.items],
    )


@event_message.register
def _(event: GradeRevised) -> Message:
    return events_pb2.GradeRevised(
        cycle_id=event.result.cycle_id,
        employee_id=event.result.employee_id,
        old_grade=event.old_grade,
        new_grade=event.result.grade,
        score=event.result.score,
        appeal_id=event.appeal.id,
        reason=event.appeal.decision_reason,
    )
