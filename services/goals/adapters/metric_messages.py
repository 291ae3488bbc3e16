"""The metric catalog as the contract's protobuf messages, for requests, responses and events alike."""

from __future__ import annotations

from fulcrum.goals.v1 import events_pb2, goals_pb2
from google.protobuf.message import Message

from services.chassis.timestamps import timestamp_message
from services.goals.adapters.events import event_message
from services.goals.domain.metrics import InputDraft, Metric, MetricDraft, MetricsChanged, MetricTemplate
from services.goals.domain.periods import Aggregation
from services.goals.domain.progress import Direction

DIRECTION_TO_PROTO = {
    Direction.HIGHER_IS_BETTER: goals_pb2.DIRECTION_HIGHER_IS_BETTER,
    Direction.LOWER_IS_BETTER: goals_pb2.DIRECTION_LOWER_IS_BETTER,
}
DIRECTION_FROM_PROTO = {value: direction for direction, value in DIRECTION_TO_PROTO.items()}
AGGREGATION_TO_PROTO = {
    Aggregation.SUM: goals_pb2.INPUT_AGGREGATION_SUM,
    Aggregation.LAST: goals_pb2.INPUT_AGGREGATION_LAST,
    Aggregation.AVERAGE: goals_pb2.INPUT_AGGREGATION_AVERAGE,
    Aggregation.MAX: goals_pb2.INPUT_AGGREGATION_MAX,
    Aggregation.MIN: goals_pb2.INPUT_AGGREGATION_MIN,
}
# An input without an aggregation adds up, as the contract says.
AGGREGATION_FROM_PROTO = {
    goals_pb2.INPUT_AGGREGATION_UNSPECIFIED: Aggregation.SUM,
    **{value: aggregation for aggregation, value in AGGREGATION_TO_PROTO.items()},
}


def metric_message(metric: Metric) -> goals_pb2.Metric:
    return goals_pb2.Metric(
        code=metric.code,
        name=metric.name,
        description=metric.description,
        unit=metric.unit,
        direction=DIRECTION_TO_PROTO[metric.direction],
        formula=metric.formula,
        inputs=[
            goals_pb2.MetricInput(
                name=i.name, description=i.description, aggregation=AGGREGATION_TO_PROTO[i.aggregation]
            )
            for i in metric.inputs
        ],
        data_source=metric.data_source,
        owner_position_id=metric.owner_position_id or "",
        category=metric.category,
        template=metric.template or "",
        version=metric.version,
        update_time=timestamp_message(metric.updated_at),
    )


def template_message(template: MetricTemplate) -> goals_pb2.MetricTemplate:
    return goals_pb2.MetricTemplate(
        name=template.name,
        description=template.description,
        metrics=[metric_message(metric) for metric in template.metrics],
    )


def metric_draft(metric: goals_pb2.Metric) -> MetricDraft:
    """The definition a request sends; enum values the contract does not know become None (refused)."""
    return MetricDraft(
        name=metric.name,
        description=metric.description,
        unit=metric.unit,
        direction=DIRECTION_FROM_PROTO.get(metric.direction),
        formula=metric.formula,
        inputs=tuple(
            InputDraft(i.name, i.description, AGGREGATION_FROM_PROTO.get(i.aggregation))
            for i in metric.inputs
        ),
        data_source=metric.data_source,
        owner_position_id=metric.owner_position_id,
        category=metric.category,
    )


@event_message.register
def _(event: MetricsChanged) -> Message:
    return events_pb2.MetricsChanged(
        metrics=[metric_message(metric) for metric in event.metrics],
        deleted_metric_codes=list(event.deleted_codes),
    )
