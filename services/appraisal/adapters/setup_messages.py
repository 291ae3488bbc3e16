"""Grade scales, items, templates and cycles as the contract's protobuf messages, for requests,
responses and events alike. Every area converts items with `item_message` and `item_from_message`.

Enum values the contract does not know, and unset enums, become None: the use cases refuse them.
"""

from __future__ import annotations

from typing import Any

from fulcrum.appraisal.v1 import appraisal_pb2, events_pb2
from google.protobuf.message import Message

from services.appraisal.adapters.events import event_message
from services.appraisal.domain.model import (
    BandScoring,
    Cycle,
    CycleKind,
    Direction,
    Grade,
    GradeQuota,
    GradeScale,
    Item,
    ItemKind,
    LinearScoring,
    MeasuredScope,
    MetricThreshold,
    Phase,
    Qualitative,
    Quantitative,
    ScoreBand,
    Template,
)
from services.appraisal.service_layer.cycles import CyclePhaseChanged
from services.chassis.timestamps import timestamp_message

ITEM_KIND_TO_PROTO = {
    ItemKind.QUANTITATIVE: appraisal_pb2.ITEM_KIND_QUANTITATIVE,
    ItemKind.QUALITATIVE: appraisal_pb2.ITEM_KIND_QUALITATIVE,
}
ITEM_KIND_FROM_PROTO = {value: kind for kind, value in ITEM_KIND_TO_PROTO.items()}
DIRECTION_TO_PROTO = {
    Direction.HIGHER_IS_BETTER: appraisal_pb2.DIRECTION_HIGHER_IS_BETTER,
    Direction.LOWER_IS_BETTER: appraisal_pb2.DIRECTION_LOWER_IS_BETTER,
}
DIRECTION_FROM_PROTO = {value: direction for direction, value in DIRECTION_TO_PROTO.items()}
SCOPE_TO_PROTO = {
    MeasuredScope.EMPLOYEE: appraisal_pb2.MEASURED_SCOPE_EMPLOYEE,
    MeasuredScope.EMPLOYEE_UNIT: appraisal_pb2.MEASURED_SCOPE_EMPLOYEE_UNIT,
}
# The contract reads a metric for the employee themself unless a unit is named.
SCOPE_FROM_PROTO = {
    appraisal_pb2.MEASURED_SCOPE_UNSPECIFIED: MeasuredScope.EMPLOYEE,
    **{value: scope for scope, value in SCOPE_TO_PROTO.items()},
}
CYCLE_KIND_TO_PROTO = {
    CycleKind.ANNUAL: appraisal_pb2.CYCLE_KIND_ANNUAL,
    CycleKind.HALF_YEAR: appraisal_pb2.CYCLE_KIND_HALF_YEAR,
    CycleKind.QUARTERLY: appraisal_pb2.CYCLE_KIND_QUARTERLY,
    CycleKind.MONTHLY: appraisal_pb2.CYCLE_KIND_MONTHLY,
}
CYCLE_KIND_FROM_PROTO = {value: kind for kind, value in CYCLE_KIND_TO_PROTO.items()}
PHASE_TO_PROTO = {
    Phase.DRAFT: appraisal_pb2.PHASE_DRAFT,
    Phase.INDICATOR_SETTING: appraisal_pb2.PHASE_INDICATOR_SETTING,
    Phase.IN_PROGRESS: appraisal_pb2.PHASE_IN_PROGRESS,
    Phase.REVIEW: appraisal_pb2.PHASE_REVIEW,
    Phase.CALIBRATION: appraisal_pb2.PHASE_CALIBRATION,
    Phase.FINALIZED: appraisal_pb2.PHASE_FINALIZED,
}
PHASE_FROM_PROTO = {value: phase for phase, value in PHASE_TO_PROTO.items()}
# proto3 cannot tell an unset number from 0: these stand for the contract's defaults.
DEFAULT_LINEAR_CAP = 100.0
DEFAULT_SCALE_MAX = 5


def grade_scale_message(scale: GradeScale) -> appraisal_pb2.GradeScale:
    return appraisal_pb2.GradeScale(
        grades=[appraisal_pb2.Grade(code=g.code, name=g.name, min_score=g.min_score) for g in scale.grades],
        version=scale.version,
        update_time=timestamp_message(scale.updated_at),
    )


def grades_from_message(scale: appraisal_pb2.GradeScale) -> tuple[Grade, ...]:
    return tuple(Grade(g.code, g.name, g.min_score) for g in scale.grades)


def item_message(item: Item) -> appraisal_pb2.Item:
    message = appraisal_pb2.Item(
        id=item.id,
        title=item.title,
        kind=ITEM_KIND_TO_PROTO.get(item.kind, appraisal_pb2.ITEM_KIND_UNSPECIFIED),
        weight=item.weight,
        aligned_objective_id=item.aligned_objective_id or "",
    )
    if (quantitative := item.quantitative) is not None:
        message.quantitative.CopyFrom(
            appraisal_pb2.Quantitative(
                metric_code=quantitative.metric_code or "",
                key_result_id=quantitative.key_result_id or "",
                measured_scope=SCOPE_TO_PROTO[quantitative.measured_scope],
                direction=DIRECTION_TO_PROTO.get(quantitative.direction, appraisal_pb2.DIRECTION_UNSPECIFIED),
                target=quantitative.target,
                data_source=quantitative.data_source,
            )
        )
        scoring = quantitative.scoring
        if isinstance(scoring, LinearScoring):
            message.quantitative.linear.CopyFrom(
                appraisal_pb2.LinearScoring(floor=scoring.floor, cap=scoring.cap)
            )
        else:
            message.quantitative.bands.CopyFrom(
                appraisal_pb2.BandScoring(
                    bands=[
                        appraisal_pb2.ScoreBand(score=band.score, **{"from": band.bound})
                        for band in scoring.bands
                    ]
                )
            )
    if (qualitative := item.qualitative) is not None:
        message.qualitative.CopyFrom(
            appraisal_pb2.Qualitative(scale_max=qualitative.scale_max, guidance=qualitative.guidance)
        )
    return message


def item_from_message(message: appraisal_pb2.Item, item_id: str) -> Item:
    """The item a request sends, under the id the service gives it. Its kind decides which of the
    quantitative and qualitative parts count; what is missing or unknown is None, for
    `compliance.item_problems` to name."""
    kind: Any = ITEM_KIND_FROM_PROTO.get(message.kind)
    quantitative = None
    if kind is ItemKind.QUANTITATIVE and message.HasField("quantitative"):
        sent = message.quantitative
        scoring: Any = None
        if sent.WhichOneof("scoring") == "linear":
            scoring = LinearScoring(floor=sent.linear.floor, cap=sent.linear.cap or DEFAULT_LINEAR_CAP)
        elif sent.WhichOneof("scoring") == "bands":
            scoring = BandScoring(
                tuple(ScoreBand(getattr(band, "from"), band.score) for band in sent.bands.bands)
            )
        direction: Any = DIRECTION_FROM_PROTO.get(sent.direction)
        quantitative = Quantitative(
            direction=direction,
            target=sent.target,
            scoring=scoring,
            metric_code=sent.metric_code or None,
            key_result_id=sent.key_result_id or None,
            measured_scope=SCOPE_FROM_PROTO.get(sent.measured_scope, MeasuredScope.EMPLOYEE),
            data_source=sent.data_source,
        )
    qualitative = None
    if kind is ItemKind.QUALITATIVE:
        qualitative = Qualitative(
            scale_max=message.qualitative.scale_max or DEFAULT_SCALE_MAX,
            guidance=message.qualitative.guidance,
        )
    return Item(
        id=item_id,
        title=message.title,
        kind=kind,
        weight=message.weight,
        quantitative=quantitative,
        qualitative=qualitative,
        aligned_objective_id=message.aligned_objective_id or None,
    )


def template_message(template: Template) -> appraisal_pb2.Template:
    return appraisal_pb2.Template(
        id=template.id,
        name=template.name,
        position_ids=list(template.position_ids),
        unit_ids=list(template.unit_ids),
        items=[item_message(item) for item in template.items],
        version=template.version,
        update_time=timestamp_message(template.updated_at),
    )


def template_values(template: appraisal_pb2.Template) -> dict[str, Any]:
    """What a request says of a template; each item keeps the id it was sent with (empty for a new one)."""
    return {
        "name": template.name,
        "position_ids": tuple(template.position_ids),
        "unit_ids": tuple(template.unit_ids),
        "items": tuple(item_from_message(sent, sent.id) for sent in template.items),
    }


def cycle_message(cycle: Cycle) -> appraisal_pb2.Cycle:
    grading = cycle.metric_grading
    message = appraisal_pb2.Cycle(
        id=cycle.id,
        name=cycle.name,
        kind=CYCLE_KIND_TO_PROTO[cycle.kind],
        period_start=cycle.period_start.isoformat(),
        period_end=cycle.period_end.isoformat(),
        phase=PHASE_TO_PROTO[cycle.phase],
        deadlines=[
            appraisal_pb2.PhaseDeadline(phase=PHASE_TO_PROTO[phase], due_on=due.isoformat())
            for phase, due in sorted(cycle.deadlines.items(), key=lambda entry: _phase_rank(entry[0]))
        ],
        unit_ids=list(cycle.unit_ids),
        position_ids=list(cycle.position_ids),
        quotas=[appraisal_pb2.GradeQuota(grade=q.grade, max_percent=q.max_percent) for q in cycle.quotas],
        appeal_window_days=cycle.appeal_window_days,
        version=cycle.version,
        update_time=timestamp_message(cycle.updated_at),
    )
    if grading is not None:
        message.metric_grading.CopyFrom(
            appraisal_pb2.MetricGrading(
                metric_code=grading.metric_code,
                measured_scope=SCOPE_TO_PROTO[grading.measured_scope],
                direction=DIRECTION_TO_PROTO[grading.direction],
                thresholds=[
                    appraisal_pb2.MetricThreshold(grade=t.grade, bound=t.bound) for t in grading.thresholds
                ],
            )
        )
    return message


def cycle_values(cycle: appraisal_pb2.Cycle) -> dict[str, Any]:
    """What a request says of a cycle: dates stay text and enums may be None, for the use case to check."""
    grading = None
    if cycle.HasField("metric_grading"):
        sent = cycle.metric_grading
        grading = {
            "metric_code": sent.metric_code,
            "direction": DIRECTION_FROM_PROTO.get(sent.direction),
            "measured_scope": SCOPE_FROM_PROTO.get(sent.measured_scope),
            "thresholds": tuple(MetricThreshold(t.grade, t.bound) for t in sent.thresholds),
        }
    return {
        "name": cycle.name,
        "kind": CYCLE_KIND_FROM_PROTO.get(cycle.kind),
        "period_start": cycle.period_start,
        "period_end": cycle.period_end,
        "deadlines": tuple((PHASE_FROM_PROTO.get(d.phase), d.due_on) for d in cycle.deadlines),
        "unit_ids": tuple(cycle.unit_ids),
        "position_ids": tuple(cycle.position_ids),
        "metric_grading": grading,
        "quotas": tuple(GradeQuota(q.grade, q.max_percent) for q in cycle.quotas),
        "appeal_window_days": cycle.appeal_window_days,
    }


def _phase_rank(phase: Phase) -> int:
    return list(Phase).index(phase)


@event_message.register
def _(event: CyclePhaseChanged) -> Message:
    return events_pb2.CyclePhaseChanged(cycle=cycle_message(event.cycle))
