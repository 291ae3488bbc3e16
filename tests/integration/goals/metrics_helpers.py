"""What the metric catalog's integration tests share: a metric to send, and the catalog's stored state."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fulcrum.goals.v1 import events_pb2, goals_pb2
from sqlalchemy import select

from services.chassis.database import create_engine
from services.goals.adapters import tables
from tests.support.calls import Metadata, read_state, state_unchanged
from tests.support.goals import GoalsHarness

# What a catalog change writes besides the outbox.
STATE_TABLES = (tables.metrics, tables.chassis.idempotency)


def defect_rate(code: str = "defect_rate", **fields: Any) -> goals_pb2.Metric:
    """The G2 example, with any field replaced."""
    metric = goals_pb2.Metric(
        code=code,
        name="Defect rate",
        description="Defects over units produced",
        unit="%",
        direction=goals_pb2.DIRECTION_LOWER_IS_BETTER,
        formula="defects / produced * 100",
        inputs=[
            goals_pb2.MetricInput(name="defects", description="Defective units"),
            goals_pb2.MetricInput(
                name="produced", description="Units produced", aggregation=goals_pb2.INPUT_AGGREGATION_SUM
            ),
        ],
        data_source="MES",
        category="quality",
    )
    for name, value in fields.items():
        if isinstance(value, list):
            metric.ClearField(name)
            getattr(metric, name).extend(value)
        else:
            setattr(metric, name, value)
    return metric


async def create_metric(
    goals: GoalsHarness, metadata: Metadata, metric: goals_pb2.Metric
) -> goals_pb2.Metric:
    request = goals_pb2.CreateMetricRequest(metric=metric)
    return (await goals.stub.CreateMetric(request, metadata=metadata)).metric


@asynccontextmanager
async def catalog_unchanged(goals: GoalsHarness) -> AsyncIterator[None]:
    """Asserts that what runs inside changes no metric and writes no event."""
    async with state_unchanged(goals.settings.database_url, STATE_TABLES, tables.chassis.outbox):
        yield


async def event_count(goals: GoalsHarness) -> int:
    return len((await read_state(goals.settings.database_url, (), tables.chassis.outbox)).event_ids)


async def metric_events(goals: GoalsHarness) -> list[tuple[str, events_pb2.MetricsChanged]]:
    """Every MetricsChanged in the outbox, oldest first, with its tenant."""
    outbox = tables.chassis.outbox
    engine = create_engine(goals.settings.database_url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                select(outbox.c.tenant_id, outbox.c.payload)
                .where(outbox.c.event_type == "fulcrum.goals.v1.MetricsChanged")
                .order_by(outbox.c.seq)
            )
            return [(tenant, events_pb2.MetricsChanged.FromString(payload)) for tenant, payload in rows]
    finally:
        await engine.dispose()
