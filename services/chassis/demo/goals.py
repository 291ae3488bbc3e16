"""The goals side of the worked scenarios, loaded through GoalsService as a customer and their partner
systems would: metric templates, the strategy cascade, alert rules and a stream of IoT readings.

The data lives in services/goals/demo/<tenant>.json. Every call carries a request id or a reading
source id, so loading again changes nothing; readings are for the last full days (UTC), so a load on
a later day adds those days.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import grpc
from fulcrum.goals.v1 import goals_pb2, goals_pb2_grpc
from fulcrum.org.v1 import org_pb2, org_pb2_grpc
from google.protobuf.timestamp_pb2 import Timestamp

from services.chassis.auth import TokenIssuer
from services.chassis.context import ROLE_ADMIN
from services.chassis.demo.org import (
    LOADER_SUBJECT,
    PAGE_SIZE,
    LoadedTenant,
    bearer_metadata,
    employees_by_number,
)

DEMO_DATA_DIR = Path(__file__).resolve().parents[2] / "goals" / "demo"
READINGS_PER_MESSAGE = 1000
CALL_TIMEOUT_SECONDS = 60.0
# Goals learns the org from org's events a moment after the import: calls naming people wait that long.
ORG_ARRIVAL_SECONDS = 60.0
SHIFT_HOUR = 14

LEVELS = {
    "tenant": goals_pb2.OBJECTIVE_LEVEL_TENANT,
    "unit": goals_pb2.OBJECTIVE_LEVEL_UNIT,
    "team": goals_pb2.OBJECTIVE_LEVEL_TEAM,
    "employee": goals_pb2.OBJECTIVE_LEVEL_EMPLOYEE,
}
MEASURES = {
    "manual": goals_pb2.MEASURE_MANUAL,
    "metric": goals_pb2.MEASURE_METRIC,
    "aligned": goals_pb2.MEASURE_ALIGNED_OBJECTIVES,
}
DIRECTIONS = {"higher": goals_pb2.DIRECTION_HIGHER_IS_BETTER, "lower": goals_pb2.DIRECTION_LOWER_IS_BETTER}
PERIODS = {
    "day": goals_pb2.PERIOD_KIND_DAY,
    "week": goals_pb2.PERIOD_KIND_WEEK,
    "month": goals_pb2.PERIOD_KIND_MONTH,
    "quarter": goals_pb2.PERIOD_KIND_QUARTER,
    "year": goals_pb2.PERIOD_KIND_YEAR,
}
RULE_SCOPES = {
    "employee": goals_pb2.ALERT_RULE_SCOPE_EMPLOYEE,
    "unit": goals_pb2.ALERT_RULE_SCOPE_UNIT,
    "each_employee_of_unit": goals_pb2.ALERT_RULE_SCOPE_EACH_EMPLOYEE_OF_UNIT,
}
COMPARISONS = {
    "gt": goals_pb2.COMPARISON_GREATER_THAN,
    "ge": goals_pb2.COMPARISON_GREATER_OR_EQUAL,
    "lt": goals_pb2.COMPARISON_LESS_THAN,
    "le": goals_pb2.COMPARISON_LESS_OR_EQUAL,
}

Reply = TypeVar("Reply")
Metadata = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class LoadedGoals:
    tenant_id: str
    metrics: int
    objectives: int
    readings_accepted: int
    open_alerts: int


def demo_file(tenant_id: str) -> dict[str, Any]:
    return json.loads((DEMO_DATA_DIR / f"{tenant_id}.json").read_text())


async def load_goals_demo(
    goals_channel: grpc.aio.Channel,
    org_channel: grpc.aio.Channel,
    issuer: TokenIssuer,
    tenants: list[LoadedTenant],
    today: date | None = None,
) -> list[LoadedGoals]:
    today = today or datetime.now(UTC).date()
    loaded = []
    for tenant in tenants:
        tenant_id = tenant.tenant.tenant_id
        token = issuer.issue(tenant_id, LOADER_SUBJECT, [ROLE_ADMIN], ttl=timedelta(minutes=10))
        loader = _TenantLoader(
            goals_pb2_grpc.GoalsServiceStub(goals_channel),
            org_pb2_grpc.OrgServiceStub(org_channel),
            bearer_metadata(token),
            demo_file(tenant_id),
        )
        loaded.append(await loader.load(tenant_id, today))
    return loaded


class _TenantLoader:
    def __init__(
        self,
        goals: goals_pb2_grpc.GoalsServiceStub,
        org: org_pb2_grpc.OrgServiceStub,
        metadata: Metadata,
        data: dict[str, Any],
    ) -> None:
        self.goals = goals
        self.org = org
        self.metadata = metadata
        self.data = data
        self.objective_ids: dict[str, str] = {}
        self.key_result_ids: dict[str, str] = {}
        self.org_deadline = time.monotonic() + ORG_ARRIVAL_SECONDS

    async def load(self, tenant_id: str, today: date) -> LoadedGoals:
        self.employees = await employees_by_number(self.org, self.metadata)
        self.units = await self._units_by_code()
        for template in self.data.get("templates", []):
            request = goals_pb2.ApplyMetricTemplateRequest(template=template)
            await self.goals.ApplyMetricTemplate(
                request, metadata=self.metadata, timeout=CALL_TIMEOUT_SECONDS
            )
        catalog = await self.goals.ListMetrics(
            goals_pb2.ListMetricsRequest(page_size=PAGE_SIZE),
            metadata=self.metadata,
            timeout=CALL_TIMEOUT_SECONDS,
        )
        for spec in self.data.get("objectives", []):
            await self._objective(spec)
        if "line_objectives" in self.data:
            await self._line_and_operator_objectives()
        for spec in self.data.get("alert_rules", []):
            await self._alert_rule(spec)
        accepted = await self._stream_readings(today) if "iot" in self.data else 0
        alerts = await self.goals.ListAlerts(
            goals_pb2.ListAlertsRequest(state=goals_pb2.ALERT_STATE_OPEN, page_size=PAGE_SIZE),
            metadata=self.metadata,
            timeout=CALL_TIMEOUT_SECONDS,
        )
        return LoadedGoals(
            tenant_id, len(catalog.metrics), len(self.objective_ids), accepted, len(alerts.alerts)
        )

    async def _units_by_code(self) -> dict[str, org_pb2.Unit]:
        units: dict[str, org_pb2.Unit] = {}
        page_token = ""
        while True:
            response = await self.org.ListUnits(
                org_pb2.ListUnitsRequest(page_size=PAGE_SIZE, page_token=page_token),
                metadata=self.metadata,
                timeout=CALL_TIMEOUT_SECONDS,
            )
            units.update((unit.code, unit) for unit in response.units)
            page_token = response.next_page_token
            if not page_token:
                return units

    async def _once_org_arrived(self, call: Callable[[], Awaitable[Reply]]) -> Reply:
        """Makes a call naming people or units, retried while goals has not yet learned them from org."""
        while True:
            try:
                return await call()
            except grpc.aio.AioRpcError as error:
                if error.code() != grpc.StatusCode.INVALID_ARGUMENT or time.monotonic() > self.org_deadline:
                    raise
            await asyncio.sleep(0.25)

    async def _objective(self, spec: dict[str, Any]) -> str:
        period = self.data["period"]
        objective = goals_pb2.Objective(
            title=spec["title"],
            level=LEVELS[spec["level"]],
            unit_id=self.units[spec["unit"]].id if "unit" in spec else "",
            owner_employee_id=self.employees[spec["owner"]].id if "owner" in spec else "",
            parent_objective_id=self.objective_ids.get(spec.get("parent_objective", ""), ""),
            parent_key_result_id=self.key_result_ids.get(spec.get("parent_key_result", ""), ""),
            weight=spec.get("weight", 1),
            period_start=period["start"],
            period_end=period["end"],
        )
        request = goals_pb2.CreateObjectiveRequest(objective=objective, request_id=f"demo:{spec['key']}")
        response = await self._once_org_arrived(
            lambda: self.goals.CreateObjective(request, metadata=self.metadata, timeout=CALL_TIMEOUT_SECONDS)
        )
        objective_id = response.objective.id
        self.objective_ids[spec["key"]] = objective_id
        for key_result in spec.get("key_results", []):
            await self._key_result(objective_id, key_result)
        return objective_id

    async def _key_result(
        self, objective_id: str, spec: dict[str, Any], scope: MetricScope | None = None
    ) -> str:
        key_result = goals_pb2.KeyResult(
            objective_id=objective_id,
            title=spec["title"],
            start_value=spec["start"],
            target_value=spec["target"],
            unit=spec.get("unit", ""),
            direction=DIRECTIONS[spec["direction"]],
            weight=spec.get("weight", 1),
            measure=MEASURES[spec["measure"]],
        )
        if spec["measure"] == "metric":
            metric = spec["metric"]
            scope = scope or MetricScope(goals_pb2.SCOPE_KIND_UNIT, self.units[metric["unit"]].id)
            key_result.metric.CopyFrom(
                goals_pb2.MetricBinding(
                    metric_code=metric["code"],
                    scope_kind=scope.kind,
                    scope_id=scope.id,
                    period=PERIODS[metric["period"]],
                )
            )
        key = spec["key"]
        request = goals_pb2.CreateKeyResultRequest(key_result=key_result, request_id=f"demo:{key}")
        response = await self._once_org_arrived(
            lambda: self.goals.CreateKeyResult(request, metadata=self.metadata, timeout=CALL_TIMEOUT_SECONDS)
        )
        key_result_id = response.key_result.id
        self.key_result_ids[key] = key_result_id
        for index, value in enumerate(spec.get("values", [])):
            await self.goals.RecordKeyResultValue(
                goals_pb2.RecordKeyResultValueRequest(
                    key_result_id=key_result_id, value=value, request_id=f"demo:{key}:value:{index}"
                ),
                metadata=self.metadata,
                timeout=CALL_TIMEOUT_SECONDS,
            )
        return key_result_id

    async def _line_and_operator_objectives(self) -> None:
        lines = self.data["line_objectives"]
        operators = self.data["operator_objectives"]
        for code in lines["units"]:
            unit = self.units[code]
            line_key = f"line:{code}"
            line_spec = {
                "key": line_key,
                "title": lines["title"].format(unit_name=unit.name),
                "level": "team",
                "unit": code,
                "parent_key_result": lines["parent_key_result"],
                "key_results": [{**lines["key_result"], "key": f"{line_key}:defect_rate"}],
            }
            if unit.head_employee_id:
                line_spec["owner"] = self._number_of(unit.head_employee_id)
            await self._objective_with_metric_scope(
                line_spec, MetricScope(goals_pb2.SCOPE_KIND_UNIT, unit.id)
            )
            for employee in self._operators_of(unit):
                operator_key = f"operator:{employee.employee_number}"
                operator_spec = {
                    "key": operator_key,
                    "title": operators["title"],
                    "level": "employee",
                    "owner": employee.employee_number,
                    "parent_objective": line_key,
                    "key_results": [{**operators["key_result"], "key": f"{operator_key}:defect_rate"}],
                }
                scope = MetricScope(goals_pb2.SCOPE_KIND_EMPLOYEE, employee.id)
                await self._objective_with_metric_scope(operator_spec, scope)

    async def _objective_with_metric_scope(self, spec: dict[str, Any], scope: MetricScope) -> None:
        key_results = spec.pop("key_results")
        objective_id = await self._objective(spec)
        for key_result in key_results:
            await self._key_result(objective_id, key_result, scope)

    def _operators_of(self, unit: org_pb2.Unit) -> list[org_pb2.Employee]:
        return sorted(
            (
                employee
                for employee in self.employees.values()
                if employee.unit_id == unit.id
                and employee.id != unit.head_employee_id
                and employee.status == org_pb2.EMPLOYMENT_STATUS_ACTIVE
            ),
            key=lambda employee: employee.employee_number,
        )

    def _number_of(self, employee_id: str) -> str:
        return next(number for number, employee in self.employees.items() if employee.id == employee_id)

    async def _alert_rule(self, spec: dict[str, Any]) -> None:
        rule = goals_pb2.AlertRule(
            name=spec["name"],
            metric_code=spec["metric"],
            scope=RULE_SCOPES[spec["scope"]],
            scope_id=self.units[spec["unit"]].id if "unit" in spec else self.employees[spec["employee"]].id,
            comparison=COMPARISONS[spec["comparison"]],
            threshold=spec["threshold"],
            period=PERIODS[spec["period"]],
        )
        request = goals_pb2.CreateAlertRuleRequest(rule=rule, request_id=f"demo:rule:{spec['name']}")
        await self._once_org_arrived(
            lambda: self.goals.CreateAlertRule(request, metadata=self.metadata, timeout=CALL_TIMEOUT_SECONDS)
        )

    async def _stream_readings(self, today: date) -> int:
        readings = list(self._iot_readings(today))

        async def messages() -> AsyncIterator[goals_pb2.StreamReadingsRequest]:
            for start in range(0, len(readings), READINGS_PER_MESSAGE):
                yield goals_pb2.StreamReadingsRequest(readings=readings[start : start + READINGS_PER_MESSAGE])

        response = await self.goals.StreamReadings(
            messages(), metadata=self.metadata, timeout=CALL_TIMEOUT_SECONDS * 5
        )
        return response.accepted

    def _iot_readings(self, today: date) -> Iterator[goals_pb2.Reading]:
        """Hourly readings from each line's sensors and a reading per operator's shift, for the last full
        days, in time order: seeded, so the same day always yields the same readings."""
        iot = self.data["iot"]
        operators = iot["operators"]
        line_units = [self.units[code] for code in iot["lines"]]
        for offset in range(iot["days"], 0, -1):
            day = today - timedelta(days=offset)
            for hour in range(24):
                for unit in line_units:
                    line = iot["lines"][unit.code]
                    seed = f"{unit.code}:{day}:{hour}"
                    produced = _jittered(line["produced_per_hour"], seed)
                    defects = round(produced * line["defect_percent"] / 100 * _jitter(seed + ":defects"))
                    moment = datetime(day.year, day.month, day.day, hour, 30, tzinfo=UTC)
                    scope = MetricScope(goals_pb2.SCOPE_KIND_UNIT, unit.id)
                    yield from self._pair(iot, scope, moment, seed, defects, produced)
                if hour != SHIFT_HOUR:
                    continue
                for unit in line_units:
                    for employee in self._operators_of(unit):
                        number = employee.employee_number
                        percent = operators["exceptions"].get(number, operators["defect_percent"])
                        seed = f"{number}:{day}"
                        produced = _jittered(operators["produced_per_shift"], seed)
                        defects = round(produced * percent / 100 * _jitter(seed + ":defects"))
                        moment = datetime(day.year, day.month, day.day, SHIFT_HOUR, tzinfo=UTC)
                        scope = MetricScope(goals_pb2.SCOPE_KIND_EMPLOYEE, employee.id)
                        yield from self._pair(iot, scope, moment, seed, defects, produced)

    def _pair(
        self,
        iot: dict[str, Any],
        scope: MetricScope,
        moment: datetime,
        seed: str,
        defects: int,
        produced: int,
    ) -> Iterator[goals_pb2.Reading]:
        measure_time = Timestamp()
        measure_time.FromDatetime(moment)
        for name, value in (("defects", defects), ("produced", produced)):
            yield goals_pb2.Reading(
                metric_code=iot["metric"],
                input=name,
                scope_kind=scope.kind,
                scope_id=scope.id,
                value=value,
                measure_time=measure_time,
                source=iot["source"],
                source_id=f"{seed}:{name}",
            )


@dataclass(frozen=True)
class MetricScope:
    kind: int
    id: str


def _jitter(seed: str) -> float:
    """A factor between 0.85 and 1.15, the same for the same seed."""
    return random.Random(seed).uniform(0.85, 1.15)


def _jittered(base: int, seed: str) -> int:
    return round(base * _jitter(seed))
