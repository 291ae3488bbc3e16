"""Check-ins and cadences as the contract's protobuf messages, for responses and events alike."""

from __future__ import annotations

from fulcrum.goals.v1 import events_pb2, goals_pb2
from google.protobuf.message import Message

from services.chassis.timestamps import timestamp_message
from services.goals.adapters.events import event_message
from services.goals.domain.check_ins import Cadence, CheckIn, CheckInCadence, CheckInRecorded, OverdueCheckIn

CADENCE_TO_PROTO = {
    Cadence.WEEKLY: goals_pb2.CADENCE_WEEKLY,
    Cadence.BIWEEKLY: goals_pb2.CADENCE_BIWEEKLY,
    Cadence.MONTHLY: goals_pb2.CADENCE_MONTHLY,
    Cadence.QUARTERLY: goals_pb2.CADENCE_QUARTERLY,
}
CADENCE_FROM_PROTO = {value: cadence for cadence, value in CADENCE_TO_PROTO.items()}


def check_in_message(check_in: CheckIn) -> goals_pb2.CheckIn:
    return goals_pb2.CheckIn(
        id=check_in.id,
        employee_id=check_in.employee_id,
        manager_id=check_in.manager_id,
        held_on=check_in.held_on.isoformat(),
        progress=check_in.progress,
        problems=check_in.problems,
        support_needed=check_in.support_needed,
        next_steps=check_in.next_steps,
        objective_ids=list(check_in.objective_ids),
        create_time=timestamp_message(check_in.created_at),
    )


def cadence_message(cadence: CheckInCadence) -> goals_pb2.CheckInCadence:
    return goals_pb2.CheckInCadence(
        unit_id=cadence.unit_id,
        cadence=CADENCE_TO_PROTO[cadence.cadence],
        update_time=timestamp_message(cadence.updated_at),
    )


def overdue_message(overdue: OverdueCheckIn) -> goals_pb2.OverdueCheckIn:
    return goals_pb2.OverdueCheckIn(
        employee_id=overdue.employee_id,
        manager_id=overdue.manager_id,
        cadence=CADENCE_TO_PROTO[overdue.cadence],
        last_held_on=overdue.last_held_on.isoformat() if overdue.last_held_on else "",
        due_on=overdue.due_on.isoformat(),
        days_overdue=overdue.days_overdue,
    )


@event_message.register
def _(event: CheckInRecorded) -> Message:
    return events_pb2.CheckInRecorded(check_in=check_in_message(event.check_in))
