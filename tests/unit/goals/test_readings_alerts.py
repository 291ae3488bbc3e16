"""Alert rules judged against the metric values a batch of readings changed (service layer, on fakes):
one alert per breach whatever the batches, to the right person, and late periods ignored."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.chassis.directory.model import DirectoryEmployee, DirectoryUnit
from services.goals.domain.alert_rules import (
    Alert,
    AlertCleared,
    AlertRaised,
    AlertRule,
    AlertRuleScope,
    AlertState,
    SubjectWatch,
)
from services.goals.domain.alerting import Comparison
from services.goals.domain.periods import PeriodKind, period_on
from services.goals.domain.readings import MetricValue, ScopeKind
from services.goals.service_layer.alerts import evaluate_alerts

FAST = settings(max_examples=100, deadline=None)
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
FIRST_DAY = date(2026, 11, 2)
TENANT = "tenant"

UNITS = {
    "plant": DirectoryUnit("plant", "P", "Plant", None, "director", "/plant/"),
    "line-1": DirectoryUnit("line-1", "L1", "Line 1", "plant", "lead", "/plant/line-1/"),
    "lab": DirectoryUnit("lab", "Q", "Lab", None, None, "/lab/"),
}
EMPLOYEES = {
    "ana": DirectoryEmployee("ana", "E1", "Ana", "line-1", None, "lead", True),
    "bo": DirectoryEmployee("bo", "E2", "Bo", "line-1", None, None, True),
    "cy": DirectoryEmployee("cy", "E3", "Cy", "lab", None, "head-of-lab", True),
}


class FakeAlerts:
    def __init__(self, rules: Sequence[AlertRule]) -> None:
        self.rules = list(rules)
        self.watches: dict[tuple[str, str], SubjectWatch] = {}
        self.stored: dict[str, Alert] = {}

    async def rules_for_metrics(self, metric_codes: Iterable[str]) -> list[AlertRule]:
        codes = set(metric_codes)
        return [rule for rule in self.rules if rule.metric_code in codes]

    async def watches_for_update(
        self, keys: Iterable[tuple[str, str]]
    ) -> dict[tuple[str, str], SubjectWatch]:
        return {key: self.watches.get(key, SubjectWatch(*key)) for key in keys}

    async def save_watches(self, watches: Sequence[SubjectWatch]) -> None:
        self.watches.update({(watch.rule_id, watch.subject_id): watch for watch in watches})

    async def add_alerts(self, alerts: Sequence[Alert]) -> None:
        assert not {alert.id for alert in alerts} & self.stored.keys()
        self.stored.update({alert.id: alert for alert in alerts})

    async def save_alerts(self, alerts: Sequence[Alert]) -> None:
        assert {alert.id for alert in alerts} <= self.stored.keys()
        self.stored.update({alert.id: alert for alert in alerts})

    async def get_alerts(self, alert_ids: Iterable[str]) -> dict[str, Alert]:
        return {alert_id: self.stored[alert_id] for alert_id in alert_ids if alert_id in self.stored}


class FakeDirectory:
    """Only what the batch did not already know is asked here: nobody's manager, a unit without a head."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    async def responsible_for_employee(self, employee_id: str) -> str | None:
        self.asked.append(employee_id)
        return "director" if employee_id == "bo" else None

    async def responsible_for_unit(self, unit_id: str) -> str | None:
        self.asked.append(unit_id)
        return None


class FakeUnitOfWork:
    def __init__(self, rules: Sequence[AlertRule]) -> None:
        self.tenant_id = TENANT
        self.alerts = FakeAlerts(rules)
        self.directory = FakeDirectory()
        self.events: list[Any] = []

    def emit(self, tenant_id: str, event: Any) -> None:
        assert tenant_id == TENANT
        self.events.append(event)


def rule(scope: AlertRuleScope, scope_id: str, threshold: float = 3.0, **fields: Any) -> AlertRule:
    values: dict[str, Any] = {
        "id": f"rule-{scope.value}-{scope_id}",
        "tenant_id": TENANT,
        "name": "Defect rate",
        "metric_code": "defect_rate",
        "scope": scope,
        "scope_id": scope_id,
        "comparison": Comparison.GREATER_THAN,
        "threshold": threshold,
        "period_kind": PeriodKind.DAY,
    }
    values.update(fields)
    return AlertRule(**values)


def value(subject: str, day: int, amount: float | None, kind: ScopeKind = ScopeKind.EMPLOYEE) -> MetricValue:
    return MetricValue(
        tenant_id=TENANT,
        metric_code="defect_rate",
        scope_kind=kind,
        scope_id=subject,
        period=period_on(PeriodKind.DAY, FIRST_DAY + timedelta(days=day)),
        value=amount,
        reason="" if amount is not None else "produced is 0: division by zero",
    )


async def evaluate(uow: FakeUnitOfWork, values: Sequence[MetricValue]) -> None:
    await evaluate_alerts(uow, values, EMPLOYEES, UNITS, NOW)  # type: ignore[arg-type]


def transitions(uow: FakeUnitOfWork) -> list[tuple[str, str, float | None]]:
    """Each alert event: raised or cleared, about whom, and the value that breached or recovered."""
    return [
        ("raise", event.alert.scope_id, event.alert.value)
        if isinstance(event, AlertRaised)
        else ("clear", event.alert.scope_id, event.alert.cleared_value)
        for event in uow.events
    ]


async def test_a_breach_raises_once_and_recovery_clears_it_with_the_recovering_value():
    uow = FakeUnitOfWork([rule(AlertRuleScope.EMPLOYEE, "ana")])

    await evaluate(uow, [value("ana", 0, 5.0)])
    await evaluate(uow, [value("ana", 0, 6.0)])
    await evaluate(uow, [value("ana", 1, 4.0)])
    await evaluate(uow, [value("ana", 1, 2.5)])

    assert transitions(uow) == [("raise", "ana", 5.0), ("clear", "ana", 2.5)]
    [alert] = uow.alerts.stored.values()
    assert (alert.state, alert.value, alert.cleared_value, alert.cleared_at) == (
        AlertState.CLEARED,
        5.0,
        2.5,
        NOW,
    )
    assert alert.recipient_employee_id == "lead"


async def test_values_of_older_periods_and_periods_without_a_value_move_nothing():
    uow = FakeUnitOfWork([rule(AlertRuleScope.EMPLOYEE, "ana")])

    await evaluate(uow, [value("ana", 3, 1.0)])
    await evaluate(uow, [value("ana", 2, 9.0), value("ana", 4, None)])

    assert uow.events == []
    assert uow.alerts.stored == {}


async def test_recipients_come_from_the_rule_the_manager_or_the_unit_head():
    rules = [
        rule(AlertRuleScope.EMPLOYEE, "ana"),
        rule(AlertRuleScope.EMPLOYEE, "bo"),
        rule(AlertRuleScope.UNIT, "line-1"),
        rule(AlertRuleScope.UNIT, "lab"),
        rule(AlertRuleScope.EMPLOYEE, "cy", notify_employee_id="safety-officer"),
    ]
    uow = FakeUnitOfWork(rules)

    await evaluate(
        uow,
        [
            value("ana", 0, 9.0),
            value("bo", 0, 9.0),
            value("cy", 0, 9.0),
            value("line-1", 0, 9.0, ScopeKind.UNIT),
            value("lab", 0, 9.0, ScopeKind.UNIT),
        ],
    )

    recipients = {alert.scope_id: alert.recipient_employee_id for alert in uow.alerts.stored.values()}
    assert recipients == {
        "ana": "lead",
        "bo": "director",
        "cy": "safety-officer",
        "line-1": "lead",
        "lab": None,
    }
    # Ana's manager and line 1's head were known from the batch; the directory was asked for the rest.
    assert sorted(uow.directory.asked) == ["bo", "lab"]


async def test_a_rule_on_every_employee_of_a_unit_watches_its_whole_subtree_each_on_their_own():
    uow = FakeUnitOfWork([rule(AlertRuleScope.EACH_EMPLOYEE_OF_UNIT, "plant")])

    await evaluate(uow, [value("ana", 0, 9.0), value("bo", 0, 9.0), value("cy", 0, 9.0)])
    await evaluate(uow, [value("ana", 1, 1.0), value("bo", 1, 9.0)])

    assert transitions(uow) == [("raise", "ana", 9.0), ("raise", "bo", 9.0), ("clear", "ana", 1.0)]


async def test_a_batch_spanning_days_raises_and_clears_as_the_days_did():
    uow = FakeUnitOfWork([rule(AlertRuleScope.EMPLOYEE, "ana")])

    await evaluate(
        uow, [value("ana", 2, 5.0), value("ana", 1, 1.0), value("ana", 0, 7.0), value("ana", 3, 1.0)]
    )

    assert transitions(uow) == [
        ("raise", "ana", 7.0),
        ("clear", "ana", 1.0),
        ("raise", "ana", 5.0),
        ("clear", "ana", 1.0),
    ]
    assert sorted(alert.period_key for alert in uow.alerts.stored.values()) == ["2026-11-02", "2026-11-04"]
    assert {alert.state for alert in uow.alerts.stored.values()} == {AlertState.CLEARED}
    assert isinstance(uow.events[1], AlertCleared)
    assert uow.events[1].alert.id == uow.events[0].alert.id


rates = st.lists(st.one_of(st.none(), st.sampled_from([1.0, 2.0, 3.0, 4.0, 8.0])), min_size=1, max_size=25)


@FAST
@given(rates, st.data())
def test_alerts_fire_once_per_breach_however_the_values_are_batched(
    daily: list[float | None], data: st.DataObject
):
    cuts = sorted(data.draw(st.sets(st.integers(min_value=1, max_value=len(daily)), max_size=len(daily))))
    values = [value("ana", day, rate) for day, rate in enumerate(daily)]
    batches = [values[start:end] for start, end in zip([0, *cuts], [*cuts, len(values)], strict=True)]
    uow = FakeUnitOfWork([rule(AlertRuleScope.EMPLOYEE, "ana", threshold=3.0)])

    async def run() -> None:
        for batch in batches:
            await evaluate(uow, batch)

    asyncio.run(run())

    judged = [rate > 3.0 for rate in daily if rate is not None]
    runs = sum(
        1 for index, breaching in enumerate(judged) if breaching and (index == 0 or not judged[index - 1])
    )
    kinds = [kind for kind, _, _ in transitions(uow)]
    assert kinds.count("raise") == runs
    assert kinds == ["raise", "clear"] * (len(kinds) // 2) + (["raise"] if len(kinds) % 2 else [])
    open_alerts = [alert for alert in uow.alerts.stored.values() if alert.state is AlertState.OPEN]
    assert len(open_alerts) == (1 if judged and judged[-1] else 0)


@pytest.mark.parametrize("comparison", list(Comparison))
async def test_every_comparison_breaches_on_its_side_of_the_threshold(comparison: Comparison):
    uow = FakeUnitOfWork([rule(AlertRuleScope.EMPLOYEE, "ana", comparison=comparison)])

    await evaluate(uow, [value("ana", 0, 3.0)])

    breaches_at_threshold = comparison in (Comparison.GREATER_OR_EQUAL, Comparison.LESS_OR_EQUAL)
    assert bool(uow.alerts.stored) == breaches_at_threshold
