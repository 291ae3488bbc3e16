"""Threshold rules on metric values and the alerts they raise (G4).

A rule watches a metric's value for one period kind at a scope: one employee, one unit (a production
line is a unit), or every employee of a unit's subtree, each on their own. Each subject has a Watch,
so an alert is raised once when the value starts breaching and cleared when it comes back.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from services.goals.domain.alerting import Comparison, Watch, breaches
from services.goals.domain.periods import PeriodKind
from services.goals.domain.readings import MetricValue, ScopeKind

MAX_NAME_LENGTH = 200


class AlertRuleScope(enum.Enum):
    EMPLOYEE = "employee"
    UNIT = "unit"
    EACH_EMPLOYEE_OF_UNIT = "each_employee_of_unit"

    @property
    def subject_kind(self) -> ScopeKind:
        """What the rule's alerts are about: an employee, or the unit itself."""
        return ScopeKind.UNIT if self is AlertRuleScope.UNIT else ScopeKind.EMPLOYEE


@dataclass(frozen=True)
class AlertRule:
    id: str
    tenant_id: str
    name: str
    metric_code: str
    scope: AlertRuleScope
    scope_id: str  # the employee, or the unit
    comparison: Comparison
    threshold: float
    period_kind: PeriodKind
    notify_employee_id: str | None = None  # instead of the manager or the head
    created_at: datetime | None = None

    def covers(self, value: MetricValue, subject_units: Sequence[str]) -> bool:
        """Whether the rule judges this value. `subject_units` are, for an employee's value, the
        employee's unit and the units above it (only rules on every employee of a unit need them).
        A period without a value says nothing about the threshold, so it neither raises nor clears."""
        if (
            value.value is None
            or value.metric_code != self.metric_code
            or value.period.kind is not self.period_kind
            or value.scope_kind is not self.scope.subject_kind
        ):
            return False
        if self.scope is AlertRuleScope.EACH_EMPLOYEE_OF_UNIT:
            return self.scope_id in subject_units
        return value.scope_id == self.scope_id

    def breached_by(self, value: float | None) -> bool:
        return breaches(self.comparison, self.threshold, value)


def rule_problems(name: str, threshold: float) -> Iterator[tuple[str, str]]:
    """What is wrong with a rule's own fields, as (field, description)."""
    if not name.strip():
        yield "rule.name", "is required"
    elif len(name) > MAX_NAME_LENGTH:
        yield "rule.name", f"is {len(name)} characters long; the limit is {MAX_NAME_LENGTH}"
    if not math.isfinite(threshold):
        yield "rule.threshold", f"must be a finite number, not {threshold}"


class AlertState(enum.Enum):
    OPEN = "open"
    CLEARED = "cleared"


@dataclass(frozen=True)
class Alert:
    """One breach of a rule by one subject, from the value that crossed the threshold to the value
    that came back. `recipient_employee_id` None: nobody could be found, so HR sees it."""

    id: str
    tenant_id: str
    rule_id: str
    rule_name: str
    metric_code: str
    scope_kind: ScopeKind
    scope_id: str
    recipient_employee_id: str | None
    state: AlertState
    comparison: Comparison
    threshold: float
    period_kind: PeriodKind
    period_key: str
    value: float
    raised_at: datetime
    cleared_value: float | None = None
    cleared_at: datetime | None = None

    @classmethod
    def raised(
        cls, alert_id: str, rule: AlertRule, value: MetricValue, recipient: str | None, now: datetime
    ) -> Alert:
        assert value.value is not None, "only a value breaches"
        return cls(
            id=alert_id,
            tenant_id=rule.tenant_id,
            rule_id=rule.id,
            rule_name=rule.name,
            metric_code=rule.metric_code,
            scope_kind=value.scope_kind,
            scope_id=value.scope_id,
            recipient_employee_id=recipient,
            state=AlertState.OPEN,
            comparison=rule.comparison,
            threshold=rule.threshold,
            period_kind=rule.period_kind,
            period_key=value.period.key,
            value=value.value,
            raised_at=now,
        )

    def cleared(self, value: float | None, now: datetime) -> Alert:
        """The alert closed by a recovering value, or with none when its rule is deleted."""
        return replace(self, state=AlertState.CLEARED, cleared_value=value, cleared_at=now)


@dataclass(frozen=True)
class SubjectWatch:
    """A rule's Watch over one subject, and the alert that is open about it, if any."""

    rule_id: str
    subject_id: str
    watch: Watch = field(default_factory=Watch)
    open_alert_id: str | None = None


@dataclass(frozen=True)
class AlertRaised:
    alert: Alert


@dataclass(frozen=True)
class AlertCleared:
    alert: Alert
