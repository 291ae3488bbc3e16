"""A catalog change repeated with its request_id returns the first result and changes nothing: no second
row, version or event. Clients retry after timeouts; a retry must never apply a change twice."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import grpc
from fulcrum.goals.v1 import goals_pb2

from services.goals.adapters import tables
from tests.integration.goals.metrics_helpers import STATE_TABLES, catalog_unchanged, defect_rate
from tests.support.calls import mask, read_state, rpc_error
from tests.support.goals import GoalsHarness
from tests.support.services import new_tenant

Response = TypeVar("Response")


async def retried(goals: GoalsHarness, call: Callable[[], Awaitable[Response]]) -> Response:
    """Makes the call, then again; asserts the retry answered the same and changed nothing."""
    first = await call()
    async with catalog_unchanged(goals):
        again = await call()
    assert again == first
    return first


async def test_every_catalog_change_retried_with_its_request_id_changes_nothing(goals: GoalsHarness):
    admin = goals.admin(new_tenant())
    stub = goals.stub
    before = await read_state(goals.settings.database_url, STATE_TABLES, tables.chassis.outbox)

    created = await retried(
        goals,
        lambda: stub.CreateMetric(
            goals_pb2.CreateMetricRequest(metric=defect_rate(), request_id="create"), metadata=admin
        ),
    )
    assert created.metric.version == 1
    updated = await retried(
        goals,
        lambda: stub.UpdateMetric(
            goals_pb2.UpdateMetricRequest(
                metric=defect_rate(unit="ppm"),
                update_mask=mask("unit"),
                expected_version=1,
                request_id="update",
            ),
            metadata=admin,
        ),
    )
    assert updated.metric.version == 2
    applied = await retried(
        goals,
        lambda: stub.ApplyMetricTemplate(
            goals_pb2.ApplyMetricTemplateRequest(template="manufacturing", request_id="apply"), metadata=admin
        ),
    )
    assert len(applied.added) == 4, "the retry returns what the first call added, not what it would add now"
    await retried(
        goals,
        lambda: stub.DeleteMetric(
            goals_pb2.DeleteMetricRequest(metric_code="output", request_id="delete"), metadata=admin
        ),
    )

    after = await read_state(goals.settings.database_url, STATE_TABLES, tables.chassis.outbox)
    assert len(after.event_ids) - len(before.event_ids) == 4, "one event per change"


async def test_a_request_id_is_the_callers_own(goals: GoalsHarness):
    tenant = new_tenant()
    first_admin, second_admin = goals.admin(tenant), goals.as_(tenant, "admin-2", ("admin",))
    request = goals_pb2.CreateMetricRequest(metric=defect_rate(), request_id="same-id")
    await goals.stub.CreateMetric(request, metadata=first_admin)
    async with catalog_unchanged(goals):
        await rpc_error(
            goals.stub.CreateMetric(request, metadata=second_admin), grpc.StatusCode.ALREADY_EXISTS
        )
