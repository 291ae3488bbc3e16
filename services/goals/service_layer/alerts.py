"""Use cases of threshold alerts (G4): rules on a metric at a scope, and the alerts they raise.

Rules are judged inside the transaction that changed the metric values (evaluate_alerts), so an
alert is raised or cleared together with the value that caused it, and its event with it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from services.chassis.context import ROLE_HR, Principal
from services.chassis.directory.access import is_tenant_wide_hr, may_manage_employee, may_manage_unit
from services.chassis.directory.model import DirectoryEmployee, DirectoryUnit
from services.chassis.errors import FieldViolation, InvalidArgument, NotFound, PermissionDenied
from services.chassis.paging import PageRequest
from services.chassis.timestamps import utc_now
from services.goals.domain.alert_rules import (
    Alert,
    AlertCleared,
    AlertRaised,
    AlertRule,
    AlertRuleScope,
    SubjectWatch,
    rule_problems,
)
from services.goals.domain.alerting import Comparison, Transition, observe
from services.goals.domain.periods import PeriodKind
from services.goals.domain.readings import MetricValue, ScopeKind
from services.goals.service_layer.ports import (
    AlertFilter,
    AlertVisibility,
    GoalsUnitOfWork,
    UnitOfWorkFactory,
)


@dataclass(frozen=True)
class RuleDraft:
    """A rule as the caller sent it; None where the caller left an enum unspecified."""

    name: str
    metric_code: str
    scope: AlertRuleScope | None
    scope_id: str
    comparison: Comparison | None
    threshold: float
    period_kind: PeriodKind | None
    notify_employee_id: str = ""


async def create_alert_rule(
    uows: UnitOfWorkFactory, principal: Principal, *, draft: RuleDraft, request_id: str
) -> AlertRule:
    scope, comparison, period_kind = _checked(draft)
    async with uows(principal.tenant_id) as uow:
        # DeleteMetric takes this lock too (service_layer/metrics.py): a metric cannot go while a rule
        # on it is being made.
        await uow.serialize(f"metric-catalog:{principal.tenant_id}")
        if (prior := await uow.recall(principal, "CreateAlertRule", request_id)) is not None:
            return await _existing_rule(uow, prior)
        if await uow.metrics.get(draft.metric_code) is None:
            raise NotFound(f"no metric {draft.metric_code} (rule.metric_code)")
        await _require_rule_keeper(uow, principal, scope, draft.scope_id)
        if draft.notify_employee_id and await uow.directory.employee(draft.notify_employee_id) is None:
            raise NotFound(f"no employee {draft.notify_employee_id} (rule.notify_employee_id)")
        rule = AlertRule(
            id=str(uuid.uuid4()),
            tenant_id=principal.tenant_id,
            name=draft.name,
            metric_code=draft.metric_code,
            scope=scope,
            scope_id=draft.scope_id,
            comparison=comparison,
            threshold=draft.threshold,
            period_kind=period_kind,
            notify_employee_id=draft.notify_employee_id or None,
            created_at=utc_now(),
        )
        await uow.alerts.add_rule(rule)
        await uow.remember(principal, "CreateAlertRule", request_id, rule.id)
        await uow.commit()
        return rule


def _checked(draft: RuleDraft) -> tuple[AlertRuleScope, Comparison, PeriodKind]:
    """The draft's enums, once every field is known to be right."""
    violations = [
        FieldViolation(field, problem) for field, problem in rule_problems(draft.name, draft.threshold)
    ]
    required = {
        "rule.metric_code": not draft.metric_code,
        "rule.scope_id": not draft.scope_id,
    }
    violations += [FieldViolation(field, "is required") for field, missing in required.items() if missing]
    if draft.scope is None:
        violations.append(FieldViolation("rule.scope", "must be EMPLOYEE, UNIT or EACH_EMPLOYEE_OF_UNIT"))
    if draft.comparison is None:
        violations.append(FieldViolation("rule.comparison", "is required: greater or less than, or equal"))
    if draft.period_kind is None:
        violations.append(FieldViolation("rule.period", "is required: day, week, month, quarter or year"))
    if draft.scope is None or draft.comparison is None or draft.period_kind is None or violations:
        raise InvalidArgument("; ".join(f"{v.field} {v.description}" for v in violations), violations)
    return draft.scope, draft.comparison, draft.period_kind


async def list_alert_rules(
    uows: UnitOfWorkFactory, principal: Principal, metric_code: str, page: PageRequest
) -> tuple[list[AlertRule], str]:
    """Anyone in the tenant may see the rules."""
    async with uows(principal.tenant_id) as uow:
        rules = await uow.alerts.page_rules(metric_code or None, page.after, page.size)
    return rules, page.next_token(rules, lambda rule: rule.id)


async def delete_alert_rule(
    uows: UnitOfWorkFactory, principal: Principal, *, rule_id: str, request_id: str
) -> None:
    """Removes the rule; its open alerts are cleared (without a recovering value) and stay listed."""
    if not rule_id:
        raise InvalidArgument("rule_id is required", [FieldViolation("rule_id", "is required")])
    async with uows(principal.tenant_id) as uow:
        if await uow.recall(principal, "DeleteAlertRule", request_id) is not None:
            return
        rule = await _existing_rule(uow, rule_id)
        await _require_rule_keeper(uow, principal, rule.scope, rule.scope_id)
        now = utc_now()
        cleared = [alert.cleared(None, now) for alert in await uow.alerts.open_alerts_of_rule(rule.id)]
        await uow.alerts.save_alerts(cleared)
        for alert in cleared:
            uow.emit(principal.tenant_id, AlertCleared(alert))
        await uow.alerts.remove_rule(rule.id)
        await uow.remember(principal, "DeleteAlertRule", request_id, rule.id)
        await uow.commit()


async def _existing_rule(uow: GoalsUnitOfWork, rule_id: str) -> AlertRule:
    rule = await uow.alerts.get_rule(rule_id)
    if rule is None:
        raise NotFound(f"no alert rule {rule_id}")
    return rule


async def _require_rule_keeper(
    uow: GoalsUnitOfWork, principal: Principal, scope: AlertRuleScope, scope_id: str
) -> None:
    """Admins and HR for the whole tenant keep every rule; otherwise who manages the rule's unit or
    employee keeps its rules. An unknown scope is NOT_FOUND."""
    directory = uow.directory
    if scope is AlertRuleScope.EMPLOYEE:
        if await directory.employee(scope_id) is None:
            raise NotFound(f"no employee {scope_id} (rule.scope_id)")
        allowed = await may_manage_employee(directory, principal, scope_id)  # type: ignore[arg-type]
    else:
        if await directory.unit(scope_id) is None:
            raise NotFound(f"no unit {scope_id} (rule.scope_id)")
        allowed = await may_manage_unit(directory, principal, scope_id)  # type: ignore[arg-type]
    if not (allowed or is_tenant_wide_hr(principal)):
        raise PermissionDenied(f"you may not keep alert rules on {scope.value} {scope_id}")


async def list_alerts(
    uows: UnitOfWorkFactory, principal: Principal, where: AlertFilter, page: PageRequest
) -> tuple[list[Alert], str]:
    """Alerts addressed to the caller or about them; HR also those about their units' people and units;
    admins and HR for the whole tenant every alert."""
    after = _alert_key_after(page.after)
    async with uows(principal.tenant_id) as uow:
        if where.rule_id is not None and not (
            await uow.alerts.get_rule(where.rule_id) or await uow.alerts.has_alerts_of_rule(where.rule_id)
        ):
            raise NotFound(f"no alert rule {where.rule_id}")
        if where.recipient_employee_id is not None and (
            await uow.directory.employee(where.recipient_employee_id) is None
        ):
            raise NotFound(f"no employee {where.recipient_employee_id} (recipient_employee_id)")
        visibility = await _visibility(uow, principal)
        alerts = await uow.alerts.page_alerts(where, visibility, after, page.size)
    return alerts, page.next_token(alerts, _alert_key)


async def _visibility(uow: GoalsUnitOfWork, principal: Principal) -> AlertVisibility:
    if is_tenant_wide_hr(principal):
        return AlertVisibility(everything=True)
    units: list[str] = []
    if principal.has_role(ROLE_HR):
        for unit_id in principal.hr_unit_ids:
            units += await uow.directory.unit_subtree_ids(unit_id)
    return AlertVisibility(person_id=principal.subject, unit_ids=tuple(dict.fromkeys(units)))


def _alert_key(alert: Alert) -> str:
    return f"{alert.raised_at.isoformat()}\n{alert.id}"


def _alert_key_after(after: str | None) -> tuple[datetime, str] | None:
    if after is None:
        return None
    raised_at, _, alert_id = after.partition("\n")
    try:
        return datetime.fromisoformat(raised_at).astimezone(UTC), alert_id
    except ValueError:
        raise InvalidArgument(
            "page_token is not a page token this service made",
            [FieldViolation("page_token", "is not a page token this service made")],
        ) from None


async def evaluate_alerts(
    uow: GoalsUnitOfWork,
    values: Sequence[MetricValue],
    employees: dict[str, DirectoryEmployee],
    units: dict[str, DirectoryUnit],
    now: datetime,
) -> None:
    """Judges the changed values against the rules on their metrics, in the caller's transaction.

    `employees` and `units` are the subjects of the values and the employees' units, already looked
    up by the caller. Each subject's values are observed in period order, so a batch spanning days
    raises and clears as the days did; a value of a period older than the latest one judged moves no
    alert.
    """
    rules = await uow.alerts.rules_for_metrics(
        {value.metric_code for value in values if value.value is not None}
    )
    if not rules:
        return
    observed = _observations(rules, values, _unit_lines(employees, units))
    if not observed:
        return
    watches = await uow.alerts.watches_for_update(observed)
    rules_by_id = {rule.id: rule for rule in rules}
    raised: dict[str, Alert] = {}
    transitions: list[tuple[Transition, str, float | None]] = []
    changed_watches = []
    for key, subject_values in observed.items():
        rule = rules_by_id[key[0]]
        before = watches[key]
        watch, alert_id = before.watch, before.open_alert_id
        for value in sorted(subject_values, key=lambda value: value.period.start):
            watch, transition = observe(watch, value.period.start, rule.breached_by(value.value))
            if transition is Transition.RAISE:
                recipient = await _recipient(uow, rule, value, employees, units)
                alert = Alert.raised(str(uuid.uuid4()), rule, value, recipient, now)
                raised[alert.id] = alert
                alert_id = alert.id
                transitions.append((transition, alert.id, value.value))
            elif transition is Transition.CLEAR and alert_id is not None:
                transitions.append((transition, alert_id, value.value))
                alert_id = None
        after = SubjectWatch(before.rule_id, before.subject_id, watch, alert_id)
        if after != before:
            changed_watches.append(after)
    await _record_transitions(uow, raised, transitions, now)
    await uow.alerts.save_watches(changed_watches)


def _observations(
    rules: Sequence[AlertRule], values: Sequence[MetricValue], lines: dict[str, list[str]]
) -> dict[tuple[str, str], list[MetricValue]]:
    """The values each rule judges, by (rule id, subject id)."""
    by_metric_and_kind: dict[tuple[str, PeriodKind], list[MetricValue]] = {}
    for value in values:
        by_metric_and_kind.setdefault((value.metric_code, value.period.kind), []).append(value)
    observed: dict[tuple[str, str], list[MetricValue]] = {}
    for rule in rules:
        for value in by_metric_and_kind.get((rule.metric_code, rule.period_kind), ()):
            if rule.covers(value, lines.get(value.scope_id, ())):
                observed.setdefault((rule.id, value.scope_id), []).append(value)
    return observed


async def _record_transitions(
    uow: GoalsUnitOfWork,
    raised: dict[str, Alert],
    transitions: Sequence[tuple[Transition, str, float | None]],
    now: datetime,
) -> None:
    """Stores the alerts raised and cleared, and emits their events in the order they happened."""
    cleared_ids = {alert_id for transition, alert_id, _ in transitions if transition is Transition.CLEAR}
    alerts = {**await uow.alerts.get_alerts(cleared_ids - raised.keys()), **raised}
    stored_before = alerts.keys() - raised.keys()
    for transition, alert_id, value in transitions:
        if transition is Transition.RAISE:
            uow.emit(alerts[alert_id].tenant_id, AlertRaised(alerts[alert_id]))
        elif alert_id in alerts:
            alerts[alert_id] = alerts[alert_id].cleared(value, now)
            uow.emit(alerts[alert_id].tenant_id, AlertCleared(alerts[alert_id]))
    # An alert raised and cleared by the same batch is stored as it ended.
    await uow.alerts.add_alerts([alerts[alert_id] for alert_id in raised])
    await uow.alerts.save_alerts([alerts[alert_id] for alert_id in stored_before])


def _unit_lines(
    employees: dict[str, DirectoryEmployee], units: dict[str, DirectoryUnit]
) -> dict[str, list[str]]:
    """Each employee's unit and the units above it, for rules on every employee of a unit."""
    return {
        employee.id: [employee.unit_id, *units[employee.unit_id].ancestor_ids]
        for employee in employees.values()
        if employee.unit_id in units
    }


async def _recipient(
    uow: GoalsUnitOfWork,
    rule: AlertRule,
    value: MetricValue,
    employees: dict[str, DirectoryEmployee],
    units: dict[str, DirectoryUnit],
) -> str | None:
    """Who the alert goes to: the rule's own choice, else the employee's manager or the unit's head
    (from what the batch already looked up; the directory is asked only when there is none)."""
    if rule.notify_employee_id:
        return rule.notify_employee_id
    if value.scope_kind is ScopeKind.EMPLOYEE:
        employee = employees.get(value.scope_id)
        if employee is not None and employee.manager_id is not None:
            return employee.manager_id
        return await uow.directory.responsible_for_employee(value.scope_id)
    unit = units.get(value.scope_id)
    if unit is not None and unit.head_employee_id is not None:
        return unit.head_employee_id
    return await uow.directory.responsible_for_unit(value.scope_id)
