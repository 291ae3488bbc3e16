"""Check-ins (G5): a manager's 1:1s with an employee, which together are the employee's communication
log, and the cadence a team should hold them at.

When the next check-in is due: one cadence interval after the last one held. Before the first, one
interval after the cadence began for the employee's team (the day a cadence was first set on the unit
the team takes it from), so a new cadence gives managers a full interval for the first round instead of
making everyone overdue at once. Monthly and quarterly intervals keep the day of the month, clamped to
the end of a shorter month (31 January + 1 month = 28 or 29 February).
"""

from __future__ import annotations

import calendar
import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from services.chassis.errors import FieldViolation

MAX_NOTE_LENGTH = 4000
MAX_OBJECTIVES = 20
NOTE_FIELDS = ("progress", "problems", "support_needed", "next_steps")

# Dates are the calendar dates of the people in the meeting. The furthest-ahead time zone (UTC+14) is
# the first to reach a date, so a date is in the future only once it is later than the date there.
_FURTHEST_AHEAD_UTC_OFFSET = timedelta(hours=14)


class Cadence(enum.Enum):
    WEEKLY = "weekly"
    BIWEEKLY = "biweekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"


_INTERVAL_DAYS = {Cadence.WEEKLY: 7, Cadence.BIWEEKLY: 14}
_INTERVAL_MONTHS = {Cadence.MONTHLY: 1, Cadence.QUARTERLY: 3}


@dataclass(frozen=True)
class CheckIn:
    id: str
    tenant_id: str
    employee_id: str
    manager_id: str
    held_on: date
    progress: str
    problems: str
    support_needed: str
    next_steps: str
    objective_ids: tuple[str, ...]
    created_at: datetime


@dataclass(frozen=True)
class CheckInCadence:
    """How often the employees of a unit (and of the units below it without their own) meet their manager."""

    tenant_id: str
    unit_id: str
    cadence: Cadence
    # The day the unit first got a cadence: its employees without any check-in are due one interval later.
    started_on: date
    updated_at: datetime


@dataclass(frozen=True)
class CheckInRecorded:
    check_in: CheckIn


@dataclass(frozen=True)
class OverdueCheckIn:
    employee_id: str
    manager_id: str
    cadence: Cadence
    last_held_on: date | None
    due_on: date
    days_overdue: int


def after_interval(cadence: Cadence, day: date) -> date:
    if cadence in _INTERVAL_DAYS:
        return day + timedelta(days=_INTERVAL_DAYS[cadence])
    months = day.year * 12 + day.month - 1 + _INTERVAL_MONTHS[cadence]
    year, month = divmod(months, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def due_on(cadence: CheckInCadence, last_held_on: date | None) -> date:
    return after_interval(cadence.cadence, last_held_on or cadence.started_on)


def overdue_check_in(
    employee_id: str, manager_id: str, cadence: CheckInCadence, last_held_on: date | None, today: date
) -> OverdueCheckIn | None:
    """The employee's overdue check-in, or None when the next one is not past due yet."""
    due = due_on(cadence, last_held_on)
    if today <= due:
        return None
    return OverdueCheckIn(
        employee_id=employee_id,
        manager_id=manager_id,
        cadence=cadence.cadence,
        last_held_on=last_held_on,
        due_on=due,
        days_overdue=(today - due).days,
    )


def cadence_for(unit_line: Sequence[str], cadences: Mapping[str, CheckInCadence]) -> CheckInCadence | None:
    """The cadence of the first unit of `unit_line` (a unit, then the units above it, nearest first)
    that has one; None means nobody in the unit is ever due."""
    for unit_id in unit_line:
        if unit_id in cadences:
            return cadences[unit_id]
    return None


def latest_date_anywhere(now: datetime) -> date:
    """Today's date in the time zone furthest ahead: no meeting can have been held later than this."""
    return (now.astimezone(UTC) + _FURTHEST_AHEAD_UTC_OFFSET).date()


def check_in_violations(
    *, employee_id: str, held_on: str, notes: Mapping[str, str], objective_ids: Sequence[str], latest: date
) -> list[FieldViolation]:
    """What is wrong with a check-in as recorded (fields named as in RecordCheckInRequest); `notes` maps
    each of NOTE_FIELDS to its text; `latest` is the latest date a meeting can have been held on."""
    problems: dict[str, str | None] = {
        "check_in.employee_id": id_problem(employee_id),
        "check_in.held_on": _held_on_problem(held_on, latest),
    }
    for name, text in notes.items():
        problems[f"check_in.{name}"] = _text_problem(text, MAX_NOTE_LENGTH)
    if not any(text.strip() for text in notes.values()):
        problems["check_in"] = f"say something in at least one of {', '.join(NOTE_FIELDS)}"
    if len(objective_ids) > MAX_OBJECTIVES:
        problems["check_in.objective_ids"] = f"must name at most {MAX_OBJECTIVES} objectives"
    else:
        for index, objective_id in enumerate(objective_ids):
            repeated = objective_id in objective_ids[:index]
            problems[f"check_in.objective_ids[{index}]"] = (
                "names the same objective twice" if repeated else id_problem(objective_id)
            )
    return [FieldViolation(name, problem) for name, problem in problems.items() if problem]


def id_problem(value: str) -> str | None:
    return None if value else "is required"


def parse_date(value: str) -> date | None:
    """A YYYY-MM-DD date, or None when the text is not one."""
    if len(value) != 10:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _held_on_problem(value: str, latest: date) -> str | None:
    if not value:
        return "is required"
    held_on = parse_date(value)
    if held_on is None:
        return "must be a date as YYYY-MM-DD"
    if held_on > latest:
        return "is in the future: record a check-in once it has been held"
    return None


def _text_problem(value: str, limit: int) -> str | None:
    return f"must be at most {limit} characters" if len(value) > limit else None
