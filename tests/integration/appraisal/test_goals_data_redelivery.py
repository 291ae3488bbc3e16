"""Goals' events delivered again change nothing: a redelivered event is applied once (the consumer's
inbox), and an older state arriving late under a new event id does not replace a newer one or bring
back what goals deleted."""

from __future__ import annotations

from datetime import date

import pytest
from fulcrum.goals.v1 import goals_pb2

from services.appraisal.adapters.goals_data_projection import GOALS_DATA_SUBJECTS
from services.appraisal.adapters.goals_data_repository import GoalsDataRepository
from services.appraisal.domain.goals_data import KeyResultActual, MetricRef
from services.appraisal.domain.model import Direction
from services.chassis.context import ROLE_PARTNER
from services.chassis.nats_server import NatsServer
from tests.integration.appraisal.goals_data_helpers import (
    applied_event_count,
    now_answers,
    publish_again,
    published_events,
    settled,
)
from tests.integration.goals.helpers import build_plant
from tests.integration.goals.metrics_helpers import create_metric, defect_rate
from tests.integration.goals.objectives_helpers import create_key_result, create_objective, record
from tests.integration.goals.readings_helpers import at, shift
from tests.integration.goals.readings_helpers import record as record_readings
from tests.support.appraisal import AppraisalHarness
from tests.support.calls import mask
from tests.support.goals import GoalsHarness
from tests.support.org import OrgHarness

MARCH = (date(2025, 3, 1), date(2025, 3, 31))


async def test_events_delivered_again_change_nothing(
    org: OrgHarness, goals: GoalsHarness, appraisal: AppraisalHarness, nats_server: NatsServer
):
    plant = await build_plant(org, goals)
    tenant, admin = plant.tenant, goals.admin(plant.tenant)
    partner = goals.as_(tenant, "mes-partner", (ROLE_PARTNER,))
    operator = plant.employees["operator_a"]
    await create_metric(goals, admin, defect_rate("defect_rate"))
    await goals.stub.UpdateMetric(
        goals_pb2.UpdateMetricRequest(
            metric=goals_pb2.Metric(code="defect_rate", data_source="IoT line sensors"),
            update_mask=mask("data_source"),
        ),
        metadata=admin,
    )
    await record_readings(goals, partner, shift(100, 2, at("2025-03-03T14:00"), operator))
    await record_readings(goals, partner, shift(100, 6, at("2025-03-04T14:00"), operator))
    objective = await create_objective(goals, admin, "Cut scrap")
    kept = await create_key_result(goals, admin, objective.id, "Units a shift", start=100.0, target=150.0)
    await record(goals, admin, kept.id, 120.0)
    dropped = await create_key_result(goals, admin, objective.id, "Shifts staffed", start=0.0, target=10.0)
    await goals.stub.DeleteKeyResult(
        goals_pb2.DeleteKeyResultRequest(key_result_id=dropped.id), metadata=admin
    )

    async def snapshot(goals_data: GoalsDataRepository) -> tuple[object, ...]:
        return (
            await goals_data.metric_values("defect_rate", "employee", [operator], *MARCH),
            await goals_data.metrics(["defect_rate"]),
            await goals_data.objective_exists([objective.id]),
            await goals_data.key_results([kept.id, dropped.id]),
        )

    settled_state = await settled(appraisal, tenant, snapshot, _expected(operator, objective, kept))
    events = await published_events(goals, tenant)
    appraisal_events = [event for event in events if event.subject in GOALS_DATA_SUBJECTS]
    assert await applied_event_count(appraisal) == len(appraisal_events)

    # The same events again (a redelivery), then a new objective as a marker that everything before it
    # has been through the consumer.
    await publish_again(nats_server.url, events, same_event_ids=True)
    first_marker = await create_objective(goals, admin, "Marker one")
    await settled(
        appraisal,
        tenant,
        lambda goals_data: goals_data.objective_exists([first_marker.id]),
        {first_marker.id},
    )
    assert await now_answers(appraisal, tenant, snapshot) == settled_state
    assert await applied_event_count(appraisal) == len(appraisal_events) + 1

    # The old states again under new event ids: each is applied, and none replaces a newer state.
    await publish_again(nats_server.url, events, same_event_ids=False)
    second_marker = await create_objective(goals, admin, "Marker two")
    await settled(
        appraisal,
        tenant,
        lambda goals_data: goals_data.objective_exists([second_marker.id]),
        {second_marker.id},
    )
    assert await now_answers(appraisal, tenant, snapshot) == settled_state
    assert await applied_event_count(appraisal) == 2 * len(appraisal_events) + 2


def _expected(operator: str, objective: goals_pb2.Objective, kept: goals_pb2.KeyResult) -> tuple[object, ...]:
    """The newest state: the month's 8 defects of 200, the changed data source, the kept key result."""
    return (
        {operator: pytest.approx(4.0)},
        {"defect_rate": MetricRef("defect_rate", "defects / produced * 100", "IoT line sensors")},
        {objective.id},
        {kept.id: KeyResultActual(120.0, 100.0, 150.0, Direction.HIGHER_IS_BETTER)},
    )
