"""Performance improvement plans (R3): goals set by the manager, check-ins, a deadline and an outcome.

A plan is ACTIVE until it is completed or escalated; only an active plan changes. Completing needs every
goal met (a check-in marks goals met): a plan whose goals are not all met is extended or escalated
instead, so "completed" always means the goals were reached. Escalating raises the plan's HR alert, if
it names one, and is announced either way; a deadline passing while the plan is active escalates it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from services.chassis.errors import FailedPrecondition, FieldViolation, InvalidArgument, refuse
from services.rewards.domain.actions import (
    DEFAULT_PLAN_DAYS,
    Action,
    ActionKind,
    ActionOrigin,
    ActionSpec,
    HrAlertKind,
)

MAX_GOALS = 20
MAX_TEXT = 4000
MAX_GOAL_TEXT = 1000


class PipStatus(StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"
    ESCALATED = "escalated"


class PipChange(StrEnum):
    OPENED = "opened"
    EXTENDED = "extended"
    COMPLETED = "completed"
    ESCALATED = "escalated"


@dataclass(frozen=True)
class PipGoal:
    id: str
    description: str
    measure: str = ""
    met: bool = False


@dataclass(frozen=True)
class PipCheckIn:
    id: str
    author_id: str
    note: str
    met_goal_ids: tuple[str, ...]
    created_at: datetime


@dataclass
class Pip:
    id: str
    employee_id: str
    manager_id: str
    cycle_id: str
    reason: str
    goals: list[PipGoal]
    start_date: date
    deadline: date
    status: PipStatus
    escalation: HrAlertKind | None
    extensions: int
    outcome_note: str
    version: int
    created_at: datetime
    updated_at: datetime
    check_ins: list[PipCheckIn] = field(default_factory=list)

    @classmethod
    def open(
        cls,
        *,
        employee_id: str,
        manager_id: str,
        cycle_id: str,
        reason: str,
        today: date,
        now: datetime,
        duration_days: int = 0,
        escalation: HrAlertKind | None = None,
        goals: list[PipGoal] | None = None,
        pip_id: str | None = None,
    ) -> Pip:
        return cls(
            id=pip_id or str(uuid.uuid4()),
            employee_id=employee_id,
            manager_id=manager_id,
            cycle_id=cycle_id,
            reason=reason,
            goals=list(goals or []),
            start_date=today,
            deadline=today + timedelta(days=duration_days or DEFAULT_PLAN_DAYS),
            status=PipStatus.ACTIVE,
            escalation=escalation,
            extensions=0,
            outcome_note="",
            version=1,
            created_at=now,
            updated_at=now,
        )

    @property
    def active(self) -> bool:
        return self.status is PipStatus.ACTIVE

    def revise(self, *, now: datetime, reason: str | None = None, goals: list[PipGoal] | None = None) -> None:
        """New goals or reason while the plan is active; a goal keeps whether it was met."""
        self._require_active("changed")
        if reason is not None:
            self.reason = reason
        if goals is not None:
            self.goals = list(goals)
        self._changed(now)

    def check_in(self, check_in: PipCheckIn) -> None:
        """Record a check-in; the goals it names are met from now on."""
        self._require_active("checked in on")
        known = {goal.id for goal in self.goals}
        refuse(
            FieldViolation(f"met_goal_ids[{index}]", f"{goal_id} is not a goal of plan {self.id}")
            for index, goal_id in enumerate(check_in.met_goal_ids)
            if goal_id not in known
        )
        met = set(check_in.met_goal_ids)
        self.goals = [
            PipGoal(goal.id, goal.description, goal.measure, True) if goal.id in met else goal
            for goal in self.goals
        ]
        self.check_ins.append(check_in)
        self._changed(check_in.created_at)

    def complete(self, *, note: str, now: datetime) -> None:
        self._require_active("completed")
        unmet = [goal for goal in self.goals if not goal.met]
        if unmet:
            raise FailedPrecondition(
                f"plan {self.id} cannot be completed while {len(unmet)} of its goals are not met: "
                "mark them met at a check-in, or extend or escalate the plan",
                [FieldViolation(f"goal:{goal.id}", f"is not met: {goal.description}") for goal in unmet],
            )
        self.status = PipStatus.COMPLETED
        self.outcome_note = note
        self._changed(now)

    def extend(self, *, new_deadline: date, today: date, note: str, now: datetime) -> None:
        """A later deadline, never one already past; the plan stays active."""
        self._require_active("extended")
        if new_deadline <= self.deadline or new_deadline < today:
            latest = max(self.deadline + timedelta(days=1), today)
            raise InvalidArgument(
                f"new_deadline must be after the plan's deadline {self.deadline} and not in the past",
                [FieldViolation("new_deadline", f"must be {latest.isoformat()} or later")],
            )
        self.deadline = new_deadline
        self.extensions += 1
        self.outcome_note = note
        self._changed(now)

    def escalate(self, *, note: str, now: datetime) -> None:
        self._require_active("escalated")
        self.status = PipStatus.ESCALATED
        self.outcome_note = note
        self._changed(now)

    def _require_active(self, what: str) -> None:
        if not self.active:
            raise FailedPrecondition(
                f"plan {self.id} is {self.status.value} and can no longer be {what}",
                [FieldViolation(f"pip:{self.id}", f"is {self.status.value}, not active")],
            )

    def _changed(self, now: datetime) -> None:
        self.version += 1
        self.updated_at = now


@dataclass(frozen=True)
class PipChanged:
    """Domain event: a plan opened, was extended, completed or escalated (R3 announces escalations)."""

    pip: Pip
    change: PipChange


def escalation_key(tenant_id: str, pip_id: str) -> str:
    return f"{tenant_id}/pip/{pip_id}/escalation"


def escalation_action(tenant_id: str, pip: Pip, *, escalated_by: str, now: datetime) -> Action | None:
    """The HR alert an escalated plan raises; None when the plan names no alert."""
    if pip.escalation is None:
        return None
    return Action(
        idempotency_key=escalation_key(tenant_id, pip.id),
        employee_id=pip.employee_id,
        cycle_id=pip.cycle_id,
        origin=ActionOrigin.PIP_ESCALATION,
        origin_id=pip.id,
        spec=ActionSpec(ActionKind.HR_ALERT, hr_alert=pip.escalation, label=pip.outcome_note),
        reason=f"improvement plan {pip.id} escalated by {escalated_by}: {pip.reason}",
        decided_at=now,
    )


def goal_problems(goals: list[PipGoal], prefix: str) -> list[FieldViolation]:
    problems = []
    if len(goals) > MAX_GOALS:
        problems.append(FieldViolation(prefix, f"holds {len(goals)} goals; at most {MAX_GOALS}"))
    for index, goal in enumerate(goals):
        if not goal.description.strip() or len(goal.description) > MAX_GOAL_TEXT:
            problems.append(
                FieldViolation(
                    f"{prefix}[{index}].description", f"is required, at most {MAX_GOAL_TEXT} characters"
                )
            )
        if len(goal.measure) > MAX_GOAL_TEXT:
            problems.append(
                FieldViolation(f"{prefix}[{index}].measure", f"is longer than {MAX_GOAL_TEXT} characters")
            )
    return problems


def text_problem(text: str, *, required: bool) -> str | None:
    if required and not text.strip():
        return "is required"
    if len(text) > MAX_TEXT:
        return f"is longer than {MAX_TEXT} characters"
    return None
