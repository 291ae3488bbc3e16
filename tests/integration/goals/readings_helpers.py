"""What the readings and alerts integration tests share: the plant with its defect-rate metric, readings
to send, metric values and alerts to read back, and the stored state of readings and alerts."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import count

from fulcrum.goals.v1 import goals_pb2
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy import select

from services.chassis.context import ROLE_PARTNER
from services.chassis.database import create_engine
from services.goals.adapters import tables
from tests.integration.goals.helpers import Plant, build_plant
from tests.integration.goals.metrics_helpers import create_metric, defect_rate
from tests.support.calls import Metadata, every_page, state_unchanged
from tests.support.goals import GoalsHarness
from tests.support.org import OrgHarness

METRIC = "defect_rate"
EMPLOYEE = goals_pb2.SCOPE_KIND_EMPLOYEE
UNIT = goals_pb2.SCOPE_KIND_UNIT
DAY = goals_pb2.PERIOD_KIND_DAY
WEEK = goals_pb2.PERIOD_KIND_WEEK
MONTH = goals_pb2.PERIOD_KIND_MONTH

# Everything readings and alerts write besides the outbox.
STATE_TABLES = (
    tables.readings,
    tables.reading_totals,
    tables.metric_values,
    tables.alert_rules,
    tables.alert_watches,
    tables.alerts,
    tables.chassis.idempotency,
)

_source_ids = count(1)


@dataclass(frozen=True)
class Floor:
    """The plant with the defect-rate metric (defects / produced * 100) in its catalog, and a partner
    system's call metadata."""

    plant: Plant
    partner: Metadata

    @property
    def tenant(self) -> str:
        return self.plant.tenant

    def employee(self, name: str) -> str:
        return self.plant.employees[name]

    def unit(self, name: str) -> str:
        return self.plant.units[name]


async def build_floor(org: OrgHarness, goals: GoalsHarness, tenant: str | None = None) -> Floor:
    plant = await build_plant(org, goals, tenant)
    await create_metric(goals, goals.admin(plant.tenant), defect_rate(METRIC))
    return Floor(plant, goals.as_(plant.tenant, "mes-partner", (ROLE_PARTNER,)))


def at(text: str) -> datetime:
    """A UTC moment from "2025-03-03T08:00"."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def reading(
    input_name: str,
    value: float,
    moment: datetime,
    scope_id: str,
    scope_kind: int = EMPLOYEE,
    *,
    metric_code: str = METRIC,
    source: str = "mes-line-1",
    source_id: str | None = None,
) -> goals_pb2.Reading:
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return goals_pb2.Reading(
        metric_code=metric_code,
        input=input_name,
        scope_kind=scope_kind,  # type: ignore[arg-type]
        scope_id=scope_id,
        value=value,
        measure_time=stamp,
        source=source,
        source_id=source_id or f"reading-{next(_source_ids)}",
    )


def shift(produced: float, defects: float, moment: datetime, scope_id: str, scope_kind: int = EMPLOYEE):
    """The two readings a production system sends at the end of a shift."""
    return [
        reading("produced", produced, moment, scope_id, scope_kind),
        reading("defects", defects, moment, scope_id, scope_kind),
    ]


async def record(
    goals: GoalsHarness, metadata: Metadata, readings: Iterable[goals_pb2.Reading]
) -> goals_pb2.RecordReadingsResponse:
    request = goals_pb2.RecordReadingsRequest(readings=list(readings))
    return await goals.stub.RecordReadings(request, metadata=metadata)


async def metric_values(
    goals: GoalsHarness,
    metadata: Metadata,
    period: int,
    scope_id: str = "",
    scope_kind: int = EMPLOYEE,
    **bounds: str,
) -> dict[str, goals_pb2.MetricValue]:
    """The metric's values at one scope (or, without scope_id, every scope), by period key."""
    request = goals_pb2.ListMetricValuesRequest(
        metric_code=METRIC,
        period=period,  # type: ignore[arg-type]
        scope_kind=scope_kind if scope_id else goals_pb2.SCOPE_KIND_UNSPECIFIED,  # type: ignore[arg-type]
        scope_id=scope_id,
        **bounds,
    )
    pages = await every_page(goals.stub.ListMetricValues, request, "values", metadata)
    values = [value for page in pages for value in page]
    if not scope_id:
        return {f"{value.scope_id}/{value.period_key}": value for value in values}
    return {value.period_key: value for value in values}


@asynccontextmanager
async def readings_unchanged(goals: GoalsHarness) -> AsyncIterator[None]:
    """Asserts that what runs inside changes no reading, total, value, rule or alert and writes no event."""
    async with state_unchanged(goals.settings.database_url, STATE_TABLES, tables.chassis.outbox):
        yield


async def events_of(goals: GoalsHarness, message_type: type[Message], tenant: str) -> list[Message]:
    """The tenant's events of one type in the outbox, oldest first."""
    outbox = tables.chassis.outbox
    engine = create_engine(goals.settings.database_url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                select(outbox.c.payload)
                .where(
                    outbox.c.event_type == message_type.DESCRIPTOR.full_name,
                    outbox.c.tenant_id == tenant,
                )
                .order_by(outbox.c.seq)
            )
            return [message_type.FromString(payload) for (payload,) in rows]
    finally:
        await engine.dispose()


def alert_rule(
    name: str,
    scope: int,
    scope_id: str,
    threshold: float,
    *,
    comparison: int = goals_pb2.COMPARISON_GREATER_THAN,
    period: int = DAY,
    notify_employee_id: str = "",
) -> goals_pb2.AlertRule:
    return goals_pb2.AlertRule(
        name=name,
        metric_code=METRIC,
        scope=scope,  # type: ignore[arg-type]
        scope_id=scope_id,
        comparison=comparison,  # type: ignore[arg-type]
        threshold=threshold,
        period=period,  # type: ignore[arg-type]
        notify_employee_id=notify_employee_id,
    )


async def create_rule(
    goals: GoalsHarness, metadata: Metadata, rule: goals_pb2.AlertRule, request_id: str = ""
) -> goals_pb2.AlertRule:
    request = goals_pb2.CreateAlertRuleRequest(rule=rule, request_id=request_id)
    return (await goals.stub.CreateAlertRule(request, metadata=metadata)).rule


async def alerts(goals: GoalsHarness, metadata: Metadata, **filters: object) -> list[goals_pb2.Alert]:
    """Every alert the caller sees with these filters, newest first."""
    request = goals_pb2.ListAlertsRequest(**filters)  # type: ignore[arg-type]
    pages = await every_page(goals.stub.ListAlerts, request, "alerts", metadata)
    return [alert for page in pages for alert in page]
