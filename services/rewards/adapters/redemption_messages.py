"""Redemption items and redemptions as the contract's protobuf messages.

Enum values the contract does not know, and unset enums, become None: the use cases refuse them.
"""

from __future__ import annotations

from typing import Any

from fulcrum.rewards.v1 import rewards_pb2

from services.chassis.timestamps import timestamp_message
from services.rewards.adapters.action_messages import action_message, money_message
from services.rewards.adapters.points_messages import money_field
from services.rewards.domain.calendar import CalendarPeriod
from services.rewards.domain.redemptions import RedemptionItem, RedemptionKind
from services.rewards.service_layer.redemptions import CatalogItem, RedemptionRecord

REDEMPTION_KIND_TO_PROTO = {
    RedemptionKind.BONUS: rewards_pb2.REDEMPTION_KIND_BONUS,
    RedemptionKind.LEAVE_DAYS: rewards_pb2.REDEMPTION_KIND_LEAVE_DAYS,
    RedemptionKind.COURSE: rewards_pb2.REDEMPTION_KIND_COURSE,
}
REDEMPTION_KIND_FROM_PROTO = {value: kind for kind, value in REDEMPTION_KIND_TO_PROTO.items()}
BUDGET_PERIOD_TO_PROTO = {
    CalendarPeriod.MONTH: rewards_pb2.BUDGET_PERIOD_MONTH,
    CalendarPeriod.QUARTER: rewards_pb2.BUDGET_PERIOD_QUARTER,
    CalendarPeriod.YEAR: rewards_pb2.BUDGET_PERIOD_YEAR,
}
BUDGET_PERIOD_FROM_PROTO = {value: period for period, value in BUDGET_PERIOD_TO_PROTO.items()}


def item_message(entry: CatalogItem) -> rewards_pb2.RedemptionItem:
    item = entry.item
    return rewards_pb2.RedemptionItem(
        id=item.id,
        name=item.name,
        kind=REDEMPTION_KIND_TO_PROTO.get(item.kind, rewards_pb2.REDEMPTION_KIND_UNSPECIFIED),
        points=item.points,
        bonus=money_message(item.bonus),
        leave_days=item.leave_days,
        course_code=item.course_code,
        budget_period=BUDGET_PERIOD_TO_PROTO.get(item.budget_period, rewards_pb2.BUDGET_PERIOD_UNSPECIFIED),
        budget=item.budget,
        used_this_period=entry.used_this_period,
        active=item.active,
        version=item.version,
    )


def item_from_message(message: rewards_pb2.RedemptionItem) -> RedemptionItem:
    return RedemptionItem(
        id=message.id, kind=REDEMPTION_KIND_FROM_PROTO.get(message.kind), **item_values(message)
    )


def item_values(message: rewards_pb2.RedemptionItem) -> dict[str, Any]:
    """The fields an update may change, as sent."""
    return {
        "name": message.name,
        "points": message.points,
        "bonus": money_field(message.bonus, "item.bonus") if message.HasField("bonus") else None,
        "leave_days": message.leave_days,
        "course_code": message.course_code,
        "budget_period": BUDGET_PERIOD_FROM_PROTO.get(message.budget_period),
        "budget": message.budget,
        "active": message.active,
    }


def redemption_message(record: RedemptionRecord) -> rewards_pb2.Redemption:
    redemption = record.redemption
    return rewards_pb2.Redemption(
        id=redemption.id,
        employee_id=redemption.employee_id,
        item_id=redemption.item_id,
        item_name=redemption.item_name,
        points=redemption.points,
        period_start=redemption.period_start.isoformat(),
        action=action_message(record.action) if record.action is not None else None,
        create_time=timestamp_message(redemption.created_at),
    )
