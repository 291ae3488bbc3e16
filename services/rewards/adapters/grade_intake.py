"""Appraisal's GradeFinalized and GradeRevised events as the commands that decide grades."""

from __future__ import annotations

from fulcrum.appraisal.v1 import appraisal_pb2, events_pb2

from services.chassis.messaging.consumer import IncomingEvent
from services.chassis.messaging.envelope import subject_for
from services.chassis.timestamps import utc_now
from services.rewards.domain.grades import CycleKind, GradeRecord, ItemScore
from services.rewards.domain.policies import parse_date
from services.rewards.service_layer.decisions import GradeEvent, GradeFinalized, GradeRevised

GRADE_FINALIZED = subject_for(events_pb2.GradeFinalized())
GRADE_REVISED = subject_for(events_pb2.GradeRevised())
GRADE_SUBJECTS = (GRADE_FINALIZED, GRADE_REVISED)

_CYCLE_KIND_FROM_PROTO = {
    appraisal_pb2.CYCLE_KIND_ANNUAL: CycleKind.ANNUAL,
    appraisal_pb2.CYCLE_KIND_HALF_YEAR: CycleKind.HALF_YEAR,
    appraisal_pb2.CYCLE_KIND_QUARTERLY: CycleKind.QUARTERLY,
    appraisal_pb2.CYCLE_KIND_MONTHLY: CycleKind.MONTHLY,
}


# The text fields each event must give, and the longest the grade history's columns hold.
_FINALIZED_FIELDS = {"cycle_id": 36, "employee_id": 36, "grade": 16}
_FINALIZED_OPTIONAL = {"unit_id": 36, "position_id": 36, "cycle_name": 200}
_REVISED_FIELDS = {"cycle_id": 36, "employee_id": 36, "new_grade": 16, "appeal_id": 64}


class UnreadableGradeEvent(ValueError):
    """An event that names no grade rewards can record: the consumer parks it as a dead letter."""


def grade_event(event: IncomingEvent) -> GradeEvent:
    if event.subject == GRADE_FINALIZED:
        return _finalized(event.decode(events_pb2.GradeFinalized))
    if event.subject == GRADE_REVISED:
        return _revised(event.decode(events_pb2.GradeRevised))
    raise UnreadableGradeEvent(f"rewards does not decide {event.subject} events")


def _finalized(message: events_pb2.GradeFinalized) -> GradeFinalized:
    _check(message, _FINALIZED_FIELDS, required=True)
    _check(message, _FINALIZED_OPTIONAL, required=False)
    period_start, period_end = parse_date(message.period_start), parse_date(message.period_end)
    if period_start is None or period_end is None:
        raise UnreadableGradeEvent(
            f"GradeFinalized of {message.employee_id} in cycle {message.cycle_id} has no period: "
            f"{message.period_start!r} to {message.period_end!r}"
        )
    return GradeFinalized(
        GradeRecord(
            cycle_id=message.cycle_id,
            employee_id=message.employee_id,
            revision=0,
            cycle_name=message.cycle_name,
            cycle_kind=_CYCLE_KIND_FROM_PROTO.get(message.cycle_kind, CycleKind.UNSPECIFIED),
            period_start=period_start,
            period_end=period_end,
            unit_id=message.unit_id,
            position_id=message.position_id,
            grade=message.grade,
            score=message.score,
            items=tuple(
                ItemScore(
                    item_id=item.item_id,
                    title=item.title,
                    score=item.score,
                    weight=item.weight,
                    explanation=item.explanation,
                )
                for item in message.items
            ),
            reason="finalized",
            received_at=utc_now(),
        )
    )


def _revised(message: events_pb2.GradeRevised) -> GradeRevised:
    _check(message, _REVISED_FIELDS, required=True)
    return GradeRevised(
        cycle_id=message.cycle_id,
        employee_id=message.employee_id,
        old_grade=message.old_grade,
        new_grade=message.new_grade,
        score=message.score,
        appeal_id=message.appeal_id,
        reason=message.reason,
    )


def _check(
    message: events_pb2.GradeFinalized | events_pb2.GradeRevised, fields: dict[str, int], *, required: bool
) -> None:
    for name, longest in fields.items():
        value = getattr(message, name)
        if required and not value:
            raise UnreadableGradeEvent(f"{message.DESCRIPTOR.name} without {name}")
        if len(value) > longest:
            raise UnreadableGradeEvent(f"{message.DESCRIPTOR.name} with a {name} over {longest} characters")
