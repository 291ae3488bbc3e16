"""What points buy (R5): a catalog of items, each with a budget of redemptions per period across the
tenant, and the payroll, leave or training action a redemption becomes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from services.chassis.errors import FieldViolation
from services.rewards.domain.actions import Action, ActionKind, ActionOrigin, ActionSpec, Money
from services.rewards.domain.calendar import CalendarPeriod
from services.rewards.domain.points import amount_problem

MAX_NAME = 200
MAX_ITEM_POINTS = 10_000_000
MAX_LEAVE_DAYS = 365
MAX_BUDGET = 1_000_000
MAX_BONUS = Decimal(10) ** 12


class RedemptionKind(StrEnum):
    BONUS = "bonus"
    LEAVE_DAYS = "leave_days"
    COURSE = "course"


@dataclass(frozen=True)
class RedemptionItem:
    id: str
    name: str
    kind: RedemptionKind | None
    points: int
    budget_period: CalendarPeriod | None
    # Redemptions allowed per period across the tenant.
    budget: int
    bonus: Money | None = None
    leave_days: int = 0
    course_code: str = ""
    active: bool = True
    version: int = 1
    updated_at: datetime | None = None


def item_violations(item: RedemptionItem, prefix: str = "item.") -> list[FieldViolation]:
    """What is wrong with an item on its own; whether its course is in the catalog is asked elsewhere.
    Each kind takes its own detail and no other kind's."""
    checks: dict[str, str | None] = {
        "name": None
        if item.name.strip() and len(item.name) <= MAX_NAME
        else f"is required, at most {MAX_NAME}",
        "kind": None if item.kind is not None else "is required: BONUS, LEAVE_DAYS or COURSE",
        "points": None if 0 < item.points <= MAX_ITEM_POINTS else f"must be from 1 to {MAX_ITEM_POINTS}",
        "budget_period": None if item.budget_period is not None else "is required: MONTH, QUARTER or YEAR",
        "budget": None if 1 <= item.budget <= MAX_BUDGET else f"must be from 1 to {MAX_BUDGET} per period",
    }
    details = {
        RedemptionKind.BONUS: ("bonus", item.bonus is not None),
        RedemptionKind.LEAVE_DAYS: ("leave_days", item.leave_days != 0),
        RedemptionKind.COURSE: ("course_code", bool(item.course_code)),
    }
    for kind, (field, given) in details.items():
        if given and kind is not item.kind:
            checks[field] = f"is only for {kind.name} items"
    match item.kind:
        case RedemptionKind.BONUS:
            if item.bonus is None or amount_problem(item.bonus.amount, MAX_BONUS):
                checks["bonus"] = f"is required for a BONUS item: an amount above 0 and below {MAX_BONUS}"
        case RedemptionKind.LEAVE_DAYS:
            if not 0 < item.leave_days <= MAX_LEAVE_DAYS:
                checks["leave_days"] = f"must be from 1 to {MAX_LEAVE_DAYS} for a LEAVE_DAYS item"
        case RedemptionKind.COURSE:
            if not item.course_code:
                checks["course_code"] = "is required for a COURSE item: a course of the catalog"
    return [FieldViolation(f"{prefix}{name}", problem) for name, problem in checks.items() if problem]


@dataclass(frozen=True)
class Redemption:
    id: str
    employee_id: str
    item_id: str
    item_name: str
    points: int
    # The budget period it counted against.
    period_start: date
    action_key: str
    created_at: datetime


def redemption_key(tenant_id: str, redemption_id: str) -> str:
    return f"{tenant_id}/redemption/{redemption_id}"


def redemption_action(
    tenant_id: str, redemption: Redemption, item: RedemptionItem, course_title: str
) -> Action:
    """A bonus for payroll, leave days for HR, or an enrolment for the training system (`course_title` is
    the catalog's title of a COURSE item's course)."""
    match item.kind:
        case RedemptionKind.BONUS:
            spec = ActionSpec(ActionKind.BONUS, amount=item.bonus, label=item.name)
        case RedemptionKind.LEAVE_DAYS:
            spec = ActionSpec(ActionKind.LEAVE, days=item.leave_days)
        case RedemptionKind.COURSE:
            spec = ActionSpec(ActionKind.TRAINING, course_code=item.course_code, course_title=course_title)
        case _:
            raise ValueError(f"redemption item {item.id} has no kind")
    return Action(
        idempotency_key=redemption_key(tenant_id, redemption.id),
        employee_id=redemption.employee_id,
        cycle_id="",
        origin=ActionOrigin.REDEMPTION,
        origin_id=redemption.id,
        spec=spec,
        reason=f"redeemed {redemption.points} points for {item.name}",
        decided_at=redemption.created_at,
    )
