"""Readings, metric values, alert rules and alerts as the contract's protobuf messages, both ways, and
the events of readings and alerts."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from fulcrum.goals.v1 import events_pb2, goals_pb2
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from services.goals.adapters.events import event_message
from services.goals.domain.alert_rules import (
    Alert,
    AlertCleared,
    AlertRaised,
    AlertRule,
    AlertRuleScope,
    AlertState,
)
from services.goals.domain.alerting import Comparison
from services.goals.domain.periods import PeriodKind
from services.goals.domain.readings import MetricValue, MetricValuesChanged, Reading, ScopeKind
from services.goals.service_layer.alerts import RuleDraft

SCOPE_KIND_TO_PROTO = {
    ScopeKind.EMPLOYEE: goals_pb2.SCOPE_KIND_EMPLOYEE,
    ScopeKind.UNIT: goals_pb2.SCOPE_KIND_UNIT,
}
SCOPE_KIND_FROM_PROTO = {value: kind for kind, value in SCOPE_KIND_TO_PROTO.items()}
PERIOD_KIND_TO_PROTO = {
    PeriodKind.DAY: goals_pb2.PERIOD_KIND_DAY,
    PeriodKind.WEEK: goals_pb2.PERIOD_KIND_WEEK,
    PeriodKind.MONTH: goals_pb2.PERIOD_KIND_MONTH,
    PeriodKind.QUARTER: goals_pb2.PERIOD_KIND_QUARTER,
    PeriodKind.YEAR: goals_pb2.PERIOD_KIND_YEAR,
}
PERIOD_KIND_FROM_PROTO = {value: kind for kind, value in PERIOD_KIND_TO_PROTO.items()}
COMPARISON_TO_PROTO = {
    Comparison.GREATER_THAN: goals_pb2.COMPARISON_GREATER_THAN,
    Comparison.GREATER_OR_EQUAL: goals_pb2.COMPARISON_GREATER_OR_EQUAL,
    Comparison.LESS_THAN: goals_pb2.COMPARISON_LESS_THAN,
    Comparison.LESS_OR_EQUAL: goals_pb2.COMPARISON_LESS_OR_EQUAL,
}
COMPARISON_FROM_PROTO = {value: comparison for comparison, value in COMPARISON_TO_PROTO.items()}
RULE_SCOPE_TO_PROTO = {
    AlertRuleScope.EMPLOYEE: goals_pb2.ALERT_RULE_SCOPE_EMPLOYEE,
    AlertRuleScope.UNIT: goals_pb2.ALERT_RULE_SCOPE_UNIT,
    AlertRuleScope.EACH_EMPLOYEE_OF_UNIT: goals_pb2.ALERT_RULE_SCOPE_EACH_EMPLOYEE_OF_UNIT,
}
RULE_SCOPE_FROM_PROTO = {value: scope for scope, value in RULE_SCOPE_TO_PROTO.items()}
ALERT_STATE_TO_PROTO = {
    AlertState.OPEN: goals_pb2.ALERT_STATE_OPEN,
    AlertState.CLEARED: goals_pb2.ALERT_STATE_CLEARED,
}
ALERT_STATE_FROM_PROTO = {value: state for state, value in ALERT_STATE_TO_PROTO.items()}

# A timestamp beyond what datetime holds is as far as it goes: far ahead is refused as ahead of the
# clock, far back is merely an old reading.
_LATEST = datetime.max.replace(tzinfo=UTC)
_EARLIEST = datetime.min.replace(tzinfo=UTC)


def readings_from_messages(messages: Iterable[goals_pb2.Reading]) -> list[Reading]:
    # Positional, in Reading's field order: this runs for every reading of every message.
    return [
        Reading(
            message.metric_code,
            message.input,
            SCOPE_KIND_FROM_PROTO.get(message.scope_kind),
            message.scope_id,
            message.value,
            _moment(message.measure_time) if message.HasField("measure_time") else None,
            message.source,
            message.source_id,
        )
        for message in messages
    ]


def _moment(stamp: Timestamp) -> datetime:
    seconds, nanos = stamp.seconds, stamp.nanos
    try:
        # fromtimestamp, then the fraction: half the time of adding a timedelta to the epoch.
        moment = datetime.fromtimestamp(seconds, UTC)
        return moment + timedelta(microseconds=nanos // 1000) if nanos else moment
    except (OverflowError, OSError, ValueError):
        return _LATEST if seconds > 0 else _EARLIEST


def _timestamp(moment: datetime | None) -> Timestamp | None:
    if moment is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def metric_value_message(value: MetricValue) -> goals_pb2.MetricValue:
    return goals_pb2.MetricValue(
        metric_code=value.metric_code,
        scope_kind=SCOPE_KIND_TO_PROTO[value.scope_kind],
        scope_id=value.scope_id,
        period=PERIOD_KIND_TO_PROTO[value.period.kind],
        period_key=value.period.key,
        period_start=value.period.start.isoformat(),
        period_end=value.period.end.isoformat(),
        has_value=value.value is not None,
        value=value.value or 0.0,
        unavailable_reason=value.reason,
        inputs=dict(value.inputs),
        reading_count=value.reading_count,
        update_time=_timestamp(value.updated_at),
    )


def rule_draft(message: goals_pb2.AlertRule) -> RuleDraft:
    return RuleDraft(
        name=message.name,
        metric_code=message.metric_code,
        scope=RULE_SCOPE_FROM_PROTO.get(message.scope),
        scope_id=message.scope_id,
        comparison=COMPARISON_FROM_PROTO.get(message.comparison),
        threshold=message.threshold,
        period_kind=PERIOD_KIND_FROM_PROTO.get(message.period),
        notify_employee_id=message.notify_employee_id,
    )


def rule_message(rule: AlertRule) -> goals_pb2.AlertRule:
    return goals_pb2.AlertRule(
        id=rule.id,
        name=rule.name,
        metric_code=rule.metric_code,
        scope=RULE_SCOPE_TO_PROTO[rule.scope],
        scope_id=rule.scope_id,
        comparison=COMPARISON_TO_PROTO[rule.comparison],
        threshold=rule.threshold,
        period=PERIOD_KIND_TO_PROTO[rule.period_kind],
        notify_employee_id=rule.notify_employee_id or "",
        create_time=_timestamp(rule.created_at),
    )


def alert_message(alert: Alert) -> goals_pb2.Alert:
    return goals_pb2.Alert(
        id=alert.id,
        rule_id=alert.rule_id,
        rule_name=alert.rule_name,
        metric_code=alert.metric_code,
        scope_kind=SCOPE_KIND_TO_PROTO[alert.scope_kind],
        scope_id=alert.scope_id,
        recipient_employee_id=alert.recipient_employee_id or "",
        state=ALERT_STATE_TO_PROTO[alert.state],
        comparison=COMPARISON_TO_PROTO[alert.comparison],
        threshold=alert.threshold,
        period=PERIOD_KIND_TO_PROTO[alert.period_kind],
        period_key=alert.period_key,
        value=alert.value,
        raise_time=_timestamp(alert.raised_at),
        cleared_value=alert.cleared_value or 0.0,
        clear_time=_timestamp(alert.cleared_at),
    )


@event_message.register
def _(event: MetricValuesChanged) -> Message:
    return events_pb2.MetricValuesChanged(values=[metric_value_message(value) for value in event.values])


@event_message.register
def _(event: AlertRaised) -> Message:
    return events_pb2.AlertRaised(alert=alert_message(event.alert))


@event_message.register
def _(event: AlertCleared) -> Message:
    return events_pb2.AlertCleared(alert=alert_message(event.alert))
