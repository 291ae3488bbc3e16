"""Performance improvement plans (R3): goals set by the manager, check-ins, a deadline and an outcome."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from services.rewards.domain.actions import DEFAULT_PLAN_DAYS, HrAlertKind


class PipStatus(StrEnum):
    ACTIVE = "active"
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
