"""The org's things as the contract's protobuf messages, for responses and events alike."""

from __future__ import annotations

from datetime import date
from functools import singledispatch

from fulcrum.org.v1 import events_pb2, org_pb2
from google.protobuf.message import Message

from services.chassis.timestamps import timestamp_message
from services.org.domain.model import (
    Employee,
    EmployeesChanged,
    EmploymentStatus,
    Position,
    PositionsChanged,
    ResponsibilitiesChanged,
    Responsibility,
    Role,
    RoleGrant,
    RoleGrantsChanged,
    SubjectKind,
    Unit,
    UnitsChanged,
)

STATUS_TO_PROTO = {
    EmploymentStatus.ACTIVE: org_pb2.EMPLOYMENT_STATUS_ACTIVE,
    EmploymentStatus.TERMINATED: org_pb2.EMPLOYMENT_STATUS_TERMINATED,
}
ROLE_TO_PROTO = {Role.HR: org_pb2.ROLE_HR, Role.ADMIN: org_pb2.ROLE_ADMIN}
ROLE_FROM_PROTO = {value: role for role, value in ROLE_TO_PROTO.items()}
KIND_TO_PROTO = {SubjectKind.METRIC: org_pb2.SUBJECT_KIND_METRIC, SubjectKind.GOAL: org_pb2.SUBJECT_KIND_GOAL}
KIND_FROM_PROTO = {value: kind for kind, value in KIND_TO_PROTO.items()}


def _date(day: date | None) -> str:
    return day.isoformat() if day else ""


def unit_message(unit: Unit) -> org_pb2.Unit:
    return org_pb2.Unit(
        id=unit.id,
        code=unit.code,
        name=unit.name,
        parent_id=unit.parent_id or "",
        head_employee_id=unit.head_employee_id or "",
        version=unit.version,
        update_time=timestamp_message(unit.updated_at),
    )


def position_message(position: Position) -> org_pb2.Position:
    return org_pb2.Position(
        id=position.id,
        code=position.code,
        title=position.title,
        unit_id=position.unit_id,
        job_description=position.job_description,
        responsibilities=list(position.responsibilities),
        assessor_position_id=position.assessor_position_id or "",
        version=position.version,
        update_time=timestamp_message(position.updated_at),
    )


def employee_message(employee: Employee) -> org_pb2.Employee:
    return org_pb2.Employee(
        id=employee.id,
        employee_number=employee.employee_number,
        display_name=employee.display_name,
        email=employee.email,
        unit_id=employee.unit_id,
        position_id=employee.position_id or "",
        manager_id=employee.manager_id or "",
        hire_date=_date(employee.hire_date),
        status=STATUS_TO_PROTO[employee.status],
        termination_date=_date(employee.termination_date),
        version=employee.version,
        update_time=timestamp_message(employee.updated_at),
    )


def grant_message(grant: RoleGrant) -> org_pb2.RoleGrant:
    return org_pb2.RoleGrant(
        id=grant.id,
        employee_id=grant.employee_id,
        role=ROLE_TO_PROTO[grant.role],
        unit_ids=list(grant.unit_ids),
        create_time=timestamp_message(grant.created_at),
    )


def responsibility_message(row: Responsibility) -> org_pb2.Responsibility:
    return org_pb2.Responsibility(
        subject_id=row.subject_id,
        subject_kind=KIND_TO_PROTO[row.subject_kind],
        owner_position_id=row.owner_position_id,
        data_provider_unit_id=row.data_provider_unit_id or "",
        assessor_position_id=row.assessor_position_id or "",
        version=row.version,
    )


@singledispatch
def event_message(event: object) -> Message:
    raise TypeError(f"no protobuf message for {type(event).__name__}")


@event_message.register
def _(event: UnitsChanged) -> Message:
    return events_pb2.UnitsChanged(
        units=[unit_message(u) for u in event.units], deleted_unit_ids=list(event.deleted_unit_ids)
    )


@event_message.register
def _(event: PositionsChanged) -> Message:
    return events_pb2.PositionsChanged(
        positions=[position_message(p) for p in event.positions],
        deleted_position_ids=list(event.deleted_position_ids),
    )


@event_message.register
def _(event: EmployeesChanged) -> Message:
    return events_pb2.EmployeesChanged(employees=[employee_message(e) for e in event.employees])


@event_message.register
def _(event: RoleGrantsChanged) -> Message:
    return events_pb2.RoleGrantsChanged(
        granted=[grant_message(g) for g in event.granted], revoked_grant_ids=list(event.revoked_grant_ids)
    )


@event_message.register
def _(event: ResponsibilitiesChanged) -> Message:
    return events_pb2.ResponsibilitiesChanged(
        responsibilities=[responsibility_message(r) for r in event.responsibilities],
        deleted_subject_ids=list(event.deleted_subject_ids),
    )
