"""Decided actions and their specs as the contract's protobuf messages; and the ActionsDecided event."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from fulcrum.rewards.v1 import events_pb2, rewards_pb2
from google.protobuf.message import Message

from services.chassis.errors import InvalidArgument
from services.chassis.timestamps import timestamp_message
from services.rewards.adapters.events import event_message
from services.rewards.domain.actions import (
    Action,
    ActionKind,
    ActionOrigin,
    ActionsDecided,
    ActionSpec,
    HrAlertKind,
    Money,
)

ACTION_KIND_TO_PROTO = {
    ActionKind.SALARY_ADJUSTMENT: rewards_pb2.ACTION_KIND_SALARY_ADJUSTMENT,
    ActionKind.BONUS: rewards_pb2.ACTION_KIND_BONUS,
    ActionKind.TRAINING: rewards_pb2.ACTION_KIND_TRAINING,
    ActionKind.PROMOTION_CANDIDACY: rewards_pb2.ACTION_KIND_PROMOTION_CANDIDACY,
    ActionKind.IMPROVEMENT_PLAN: rewards_pb2.ACTION_KIND_IMPROVEMENT_PLAN,
    ActionKind.HR_ALERT: rewards_pb2.ACTION_KIND_HR_ALERT,
    ActionKind.LEAVE: rewards_pb2.ACTION_KIND_LEAVE,
}
ACTION_KIND_FROM_PROTO = {value: kind for kind, value in ACTION_KIND_TO_PROTO.items()}
ACTION_ORIGIN_TO_PROTO = {
    ActionOrigin.GRADE: rewards_pb2.ACTION_ORIGIN_GRADE,
    ActionOrigin.GRADE_REVISION: rewards_pb2.ACTION_ORIGIN_GRADE_REVISION,
    ActionOrigin.REDEMPTION: rewards_pb2.ACTION_ORIGIN_REDEMPTION,
    ActionOrigin.ENROLMENT_REQUEST: rewards_pb2.ACTION_ORIGIN_ENROLMENT_REQUEST,
    ActionOrigin.PIP_ESCALATION: rewards_pb2.ACTION_ORIGIN_PIP_ESCALATION,
}
HR_ALERT_KIND_TO_PROTO = {
    HrAlertKind.REASSIGNMENT: rewards_pb2.HR_ALERT_KIND_REASSIGNMENT,
    HrAlertKind.EXIT_REVIEW: rewards_pb2.HR_ALERT_KIND_EXIT_REVIEW,
}
HR_ALERT_KIND_FROM_PROTO = {value: kind for kind, value in HR_ALERT_KIND_TO_PROTO.items()}

# The oneof field of ActionSpec that carries each kind.
_SPEC_FIELD = {
    ActionKind.SALARY_ADJUSTMENT: "salary_adjustment",
    ActionKind.BONUS: "bonus",
    ActionKind.TRAINING: "training",
    ActionKind.PROMOTION_CANDIDACY: "promotion",
    ActionKind.IMPROVEMENT_PLAN: "improvement_plan",
    ActionKind.HR_ALERT: "hr_alert",
    ActionKind.LEAVE: "leave",
}
_KIND_OF_FIELD = {name: kind for kind, name in _SPEC_FIELD.items()}


def money_message(money: Money | None) -> rewards_pb2.Money | None:
    if money is None:
        return None
    return rewards_pb2.Money(currency_code=money.currency_code, amount=str(money.amount))


def money_from_message(message: rewards_pb2.Money, field: str) -> Money:
    """INVALID_ARGUMENT naming `field` unless the amount is decimal text and the currency three letters."""
    code = message.currency_code
    if len(code) != 3 or not code.isascii() or not code.isalpha() or not code.isupper():
        raise InvalidArgument(f"{field}.currency_code must be an ISO 4217 code such as CNY, not {code!r}")
    try:
        amount = Decimal(message.amount)
    except InvalidOperation:
        raise InvalidArgument(f"{field}.amount must be decimal text such as 5000 or 1234.50") from None
    if not amount.is_finite():
        raise InvalidArgument(f"{field}.amount must be a finite number")
    return Money(code, amount)


def action_spec_message(spec: ActionSpec) -> rewards_pb2.ActionSpec:
    message = rewards_pb2.ActionSpec()
    match spec.kind:
        case ActionKind.SALARY_ADJUSTMENT:
            message.salary_adjustment.percent = spec.percent or 0.0
        case ActionKind.BONUS:
            message.bonus.label = spec.label
            if spec.amount is not None:
                message.bonus.fixed.CopyFrom(money_message(spec.amount))
            else:
                message.bonus.percent_of_monthly_salary = spec.percent or 0.0
        case ActionKind.TRAINING:
            message.training.course_code = spec.course_code
            message.training.course_title = spec.course_title
        case ActionKind.PROMOTION_CANDIDACY:
            message.promotion.target = spec.label
        case ActionKind.IMPROVEMENT_PLAN:
            plan = message.improvement_plan
            plan.duration_days = spec.duration_days
            plan.pip_id = spec.pip_id
            if spec.escalation is not None:
                plan.escalation = HR_ALERT_KIND_TO_PROTO[spec.escalation]
        case ActionKind.HR_ALERT:
            message.hr_alert.note = spec.label
            if spec.hr_alert is not None:
                message.hr_alert.kind = HR_ALERT_KIND_TO_PROTO[spec.hr_alert]
        case ActionKind.LEAVE:
            message.leave.days = spec.days
    return message


def action_spec_from_message(message: rewards_pb2.ActionSpec, field: str) -> ActionSpec:
    """The spec a client wrote, checked for what it alone can tell (a kind, amounts that make sense)."""
    chosen = message.WhichOneof("spec")
    if chosen is None:
        raise InvalidArgument(f"{field} must set one of {', '.join(_KIND_OF_FIELD)}")
    kind = _KIND_OF_FIELD[chosen]
    match kind:
        case ActionKind.SALARY_ADJUSTMENT:
            return ActionSpec(kind, percent=message.salary_adjustment.percent)
        case ActionKind.BONUS:
            bonus = message.bonus
            if bonus.WhichOneof("amount") == "fixed":
                return ActionSpec(
                    kind, amount=money_from_message(bonus.fixed, f"{field}.bonus.fixed"), label=bonus.label
                )
            return ActionSpec(kind, percent=bonus.percent_of_monthly_salary, label=bonus.label)
        case ActionKind.TRAINING:
            return ActionSpec(kind, course_code=message.training.course_code)
        case ActionKind.PROMOTION_CANDIDACY:
            return ActionSpec(kind, label=message.promotion.target)
        case ActionKind.IMPROVEMENT_PLAN:
            plan = message.improvement_plan
            return ActionSpec(
                kind,
                duration_days=plan.duration_days,
                escalation=HR_ALERT_KIND_FROM_PROTO.get(plan.escalation),
            )
        case ActionKind.HR_ALERT:
            return ActionSpec(
                kind,
                hr_alert=HR_ALERT_KIND_FROM_PROTO.get(message.hr_alert.kind),
                label=message.hr_alert.note,
            )
        case ActionKind.LEAVE:
            return ActionSpec(kind, days=message.leave.days)


def action_message(action: Action) -> rewards_pb2.Action:
    return rewards_pb2.Action(
        idempotency_key=action.idempotency_key,
        kind=ACTION_KIND_TO_PROTO[action.kind],
        employee_id=action.employee_id,
        cycle_id=action.cycle_id,
        origin=ACTION_ORIGIN_TO_PROTO[action.origin],
        origin_id=action.origin_id,
        spec=action_spec_message(action.spec),
        cancels_idempotency_key=action.cancels_key,
        reason=action.reason,
        decide_time=timestamp_message(action.decided_at),
    )


@event_message.register
def _(event: ActionsDecided) -> Message:
    return events_pb2.ActionsDecided(actions=[action_message(action) for action in event.actions])
