"""Objectives and key results as the contract's protobuf messages, for responses and events alike."""

from __future__ import annotations

from typing import Any

from fulcrum.goals.v1 import events_pb2, goals_pb2
from google.protobuf.message import Message

from services.chassis.timestamps import timestamp_message
from services.goals.adapters.events import event_message
from services.goals.adapters.metric_messages import DIRECTION_FROM_PROTO, DIRECTION_TO_PROTO
from services.goals.adapters.reading_messages import (
    PERIOD_KIND_FROM_PROTO,
    PERIOD_KIND_TO_PROTO,
    SCOPE_KIND_FROM_PROTO,
    SCOPE_KIND_TO_PROTO,
)
from services.goals.domain.objectives import (
    KeyResult,
    KeyResultsChanged,
    KeyResultValue,
    Measure,
    Objective,
    ObjectiveLevel,
    ObjectivesChanged,
)
from services.goals.domain.progress import GoalStatus
from services.goals.service_layer.goal_trees import today
from services.goals.service_layer.key_results import BindingDraft
from services.goals.service_layer.strategy import StrategyProgress

LEVEL_TO_PROTO = {
    ObjectiveLevel.TENANT: goals_pb2.OBJECTIVE_LEVEL_TENANT,
    ObjectiveLevel.UNIT: goals_pb2.OBJECTIVE_LEVEL_UNIT,
    ObjectiveLevel.TEAM: goals_pb2.OBJECTIVE_LEVEL_TEAM,
    ObjectiveLevel.EMPLOYEE: goals_pb2.OBJECTIVE_LEVEL_EMPLOYEE,
}
LEVEL_FROM_PROTO = {value: level for level, value in LEVEL_TO_PROTO.items()}
STATUS_TO_PROTO = {
    GoalStatus.ON_TRACK: goals_pb2.GOAL_STATUS_ON_TRACK,
    GoalStatus.AT_RISK: goals_pb2.GOAL_STATUS_AT_RISK,
    GoalStatus.OFF_TRACK: goals_pb2.GOAL_STATUS_OFF_TRACK,
    GoalStatus.DONE: goals_pb2.GOAL_STATUS_DONE,
    GoalStatus.EXPIRED: goals_pb2.GOAL_STATUS_EXPIRED,
}
MEASURE_TO_PROTO = {
    Measure.MANUAL: goals_pb2.MEASURE_MANUAL,
    Measure.METRIC: goals_pb2.MEASURE_METRIC,
    Measure.ALIGNED_OBJECTIVES: goals_pb2.MEASURE_ALIGNED_OBJECTIVES,
}
MEASURE_FROM_PROTO = {value: measure for measure, value in MEASURE_TO_PROTO.items()}


def objective_message(objective: Objective, status: GoalStatus | None = None) -> goals_pb2.Objective:
    """The objective with its status as of today, unless the status is given."""
    return goals_pb2.Objective(
        id=objective.id,
        title=objective.title,
        description=objective.description,
        level=LEVEL_TO_PROTO[objective.level],
        unit_id=objective.unit_id or "",
        owner_employee_id=objective.owner_employee_id or "",
        parent_objective_id=objective.parent_objective_id or "",
        parent_key_result_id=objective.parent_key_result_id or "",
        weight=objective.weight,
        period_start=objective.period_start.isoformat(),
        period_end=objective.period_end.isoformat(),
        progress=objective.progress,
        status=STATUS_TO_PROTO[status or objective.status(today())],
        version=objective.version,
        update_time=timestamp_message(objective.updated_at),
    )


def key_result_message(key_result: KeyResult) -> goals_pb2.KeyResult:
    binding = key_result.metric
    return goals_pb2.KeyResult(
        id=key_result.id,
        objective_id=key_result.objective_id,
        title=key_result.title,
        start_value=key_result.start_value,
        target_value=key_result.target_value,
        current_value=key_result.current_value or 0.0,
        has_current_value=key_result.current_value is not None,
        unit=key_result.unit,
        direction=DIRECTION_TO_PROTO[key_result.direction],
        weight=key_result.weight,
        measure=MEASURE_TO_PROTO[key_result.measure],
        metric=goals_pb2.MetricBinding(
            metric_code=binding.metric_code,
            scope_kind=SCOPE_KIND_TO_PROTO[binding.scope_kind],
            scope_id=binding.scope_id,
            period=PERIOD_KIND_TO_PROTO[binding.period_kind],
        )
        if binding
        else None,
        progress=key_result.progress,
        version=key_result.version,
        update_time=timestamp_message(key_result.updated_at),
    )


def key_result_value_message(value: KeyResultValue) -> goals_pb2.KeyResultValue:
    return goals_pb2.KeyResultValue(
        value=value.value,
        recorded_by=value.recorded_by,
        note=value.note,
        record_time=timestamp_message(value.recorded_at),
    )


@event_message.register
def _(event: ObjectivesChanged) -> Message:
    on = today()
    return events_pb2.ObjectivesChanged(
        objectives=[objective_message(objective, objective.status(on)) for objective in event.objectives],
        deleted_objective_ids=list(event.deleted_objective_ids),
    )


@event_message.register
def _(event: KeyResultsChanged) -> Message:
    return events_pb2.KeyResultsChanged(
        key_results=[key_result_message(key_result) for key_result in event.key_results],
        deleted_key_result_ids=list(event.deleted_key_result_ids),
    )


def objective_values(objective: goals_pb2.Objective) -> dict[str, Any]:
    """What a request says of an objective, for create_objective and update_objective."""
    return {
        "title": objective.title,
        "description": objective.description,
        "level": LEVEL_FROM_PROTO.get(objective.level),
        "unit_id": objective.unit_id,
        "owner_employee_id": objective.owner_employee_id,
        "parent_objective_id": objective.parent_objective_id,
        "parent_key_result_id": objective.parent_key_result_id,
        "weight": objective.weight,
        "period_start": objective.period_start,
        "period_end": objective.period_end,
    }


def key_result_values(key_result: goals_pb2.KeyResult) -> dict[str, Any]:
    """What a request says of a key result, for create_key_result and update_key_result."""
    binding = key_result.metric
    return {
        "objective_id": key_result.objective_id,
        "title": key_result.title,
        "start_value": key_result.start_value,
        "target_value": key_result.target_value,
        "unit": key_result.unit,
        "direction": DIRECTION_FROM_PROTO.get(key_result.direction),
        "weight": key_result.weight,
        "measure": MEASURE_FROM_PROTO.get(key_result.measure),
        "metric": BindingDraft(
            metric_code=binding.metric_code,
            scope_kind=SCOPE_KIND_FROM_PROTO.get(binding.scope_kind),
            scope_id=binding.scope_id,
            period_kind=PERIOD_KIND_FROM_PROTO.get(binding.period),
        )
        if key_result.HasField("metric")
        else None,
    }


def strategy_message(progress: StrategyProgress) -> goals_pb2.GetStrategyProgressResponse:
    return goals_pb2.GetStrategyProgressResponse(
        nodes=[
            goals_pb2.StrategyNode(
                objective=objective_message(node.objective, node.status),
                key_results=[key_result_message(key_result) for key_result in node.key_results],
                rolls_up_to_objective_id=node.rolls_up_to_objective_id or "",
                depth=node.depth,
            )
            for node in progress.nodes
        ],
        at_risk_objective_ids=list(progress.at_risk_objective_ids),
        status_counts=[
            goals_pb2.StatusCount(status=STATUS_TO_PROTO[status], objectives=count)
            for status, count in progress.status_counts.items()
        ],
    )
