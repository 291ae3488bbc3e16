"""Decided actions (R1, R6): what a grade, a redemption, an enrolment request or an escalation sets in
motion for payroll, the training system and HR. An action is never changed: a revised grade cancels it
with a compensating action, and every action's idempotency key is stable, so deciding again decides
nothing new and a partner can recognise a resend."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum


class ActionKind(StrEnum):
    SALARY_ADJUSTMENT = "salary_adjustment"
    BONUS = "bonus"
    TRAINING = "training"
    PROMOTION_CANDIDACY = "promotion_candidacy"
    IMPROVEMENT_PLAN = "improvement_plan"
    HR_ALERT = "hr_alert"
    LEAVE = "leave"


class ActionOrigin(StrEnum):
    GRADE = "grade"
    GRADE_REVISION = "grade_revision"
    REDEMPTION = "redemption"
    ENROLMENT_REQUEST = "enrolment_request"
    PIP_ESCALATION = "pip_escalation"


class HrAlertKind(StrEnum):
    REASSIGNMENT = "reassignment"
    EXIT_REVIEW = "exit_review"


@dataclass(frozen=True)
class Money:
    currency_code: str
    amount: Decimal


DEFAULT_PLAN_DAYS = 90


@dataclass(frozen=True)
class ActionSpec:
    """One action's details; which fields matter depends on the kind:

    salary_adjustment: percent; bonus: amount, or percent of the monthly salary, and label; training:
    course_code (course_title filled from the catalog); promotion_candidacy: label (the target);
    improvement_plan: duration_days, escalation and, once opened, pip_id; hr_alert: hr_alert and label
    (a note); leave: days.
    """

    kind: ActionKind
    percent: float | None = None
    amount: Money | None = None
    label: str = ""
    course_code: str = ""
    course_title: str = ""
    duration_days: int = 0
    escalation: HrAlertKind | None = None
    pip_id: str = ""
    hr_alert: HrAlertKind | None = None
    days: int = 0


@dataclass(frozen=True)
class Action:
    idempotency_key: str
    employee_id: str
    cycle_id: str
    origin: ActionOrigin
    origin_id: str
    spec: ActionSpec
    reason: str
    decided_at: datetime
    # Set on a compensating action: the key of the action it cancels (the spec repeats that action's).
    cancels_key: str = ""

    @property
    def kind(self) -> ActionKind:
        return self.spec.kind


def grade_action_key(tenant_id: str, cycle_id: str, employee_id: str, kind: ActionKind, revision: int) -> str:
    return f"{tenant_id}/{cycle_id}/{employee_id}/{kind.value}/r{revision}"


def cancellation_key(cancelled_key: str) -> str:
    return f"{cancelled_key}/cancel"


def cancellation_of(action: Action, origin_id: str, reason: str, decided_at: datetime) -> Action:
    """The compensating action that undoes `action` (a grade revised by an appeal)."""
    return Action(
        idempotency_key=cancellation_key(action.idempotency_key),
        employee_id=action.employee_id,
        cycle_id=action.cycle_id,
        origin=ActionOrigin.GRADE_REVISION,
        origin_id=origin_id,
        spec=action.spec,
        reason=reason,
        decided_at=decided_at,
        cancels_key=action.idempotency_key,
    )


@dataclass(frozen=True)
class ActionsDecided:
    """Domain event: actions decided in one transaction, announced together."""

    actions: tuple[Action, ...]
