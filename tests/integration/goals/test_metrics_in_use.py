"""A metric that key results are measured by or alert rules watch is not retired until nothing uses it."""

from __future__ import annotations

import grpc
from fulcrum.goals.v1 import goals_pb2

from tests.integration.goals.helpers import build_plant
from tests.integration.goals.metrics_helpers import catalog_unchanged, create_metric, defect_rate
from tests.support.calls import precondition_violations, rpc_error
from tests.support.goals import GoalsHarness
from tests.support.org import OrgHarness


async def test_a_metric_in_use_is_not_deleted_until_nothing_uses_it(org: OrgHarness, goals: GoalsHarness):
    plant = await build_plant(org, goals)
    admin = goals.admin(plant.tenant)
    stub = goals.stub
    await create_metric(goals, admin, defect_rate())
    line = plant.units["line1"]
    rule = (
        await stub.CreateAlertRule(
            goals_pb2.CreateAlertRuleRequest(
                rule=goals_pb2.AlertRule(
                    name="Line 1 defect rate above 5%",
                    metric_code="defect_rate",
                    scope=goals_pb2.ALERT_RULE_SCOPE_UNIT,
                    scope_id=line,
                    comparison=goals_pb2.COMPARISON_GREATER_THAN,
                    threshold=5,
                    period=goals_pb2.PERIOD_KIND_DAY,
                )
            ),
            metadata=admin,
        )
    ).rule
    objective = (
        await stub.CreateObjective(
            goals_pb2.CreateObjectiveRequest(
                objective=goals_pb2.Objective(
                    title="Raise quality on line 1",
                    level=goals_pb2.OBJECTIVE_LEVEL_UNIT,
                    unit_id=line,
                    period_start="2026-07-01",
                    period_end="2026-12-31",
                )
            ),
            metadata=admin,
        )
    ).objective
    key_result = (
        await stub.CreateKeyResult(
            goals_pb2.CreateKeyResultRequest(
                key_result=goals_pb2.KeyResult(
                    objective_id=objective.id,
                    title="Defect rate to 5%",
                    start_value=15,
                    target_value=5,
                    unit="%",
                    direction=goals_pb2.DIRECTION_LOWER_IS_BETTER,
                    measure=goals_pb2.MEASURE_METRIC,
                    metric=goals_pb2.MetricBinding(
                        metric_code="defect_rate",
                        scope_kind=goals_pb2.SCOPE_KIND_UNIT,
                        scope_id=line,
                        period=goals_pb2.PERIOD_KIND_MONTH,
                    ),
                )
            ),
            metadata=admin,
        )
    ).key_result
    delete = goals_pb2.DeleteMetricRequest(metric_code="defect_rate", request_id="retire")

    async with catalog_unchanged(goals):
        error = await rpc_error(
            stub.DeleteMetric(delete, metadata=admin), grpc.StatusCode.FAILED_PRECONDITION
        )
    assert precondition_violations(error) == {
        "key_results": "1 key results are measured by it",
        "alert_rules": "1 alert rules watch it",
    }

    await stub.DeleteAlertRule(goals_pb2.DeleteAlertRuleRequest(rule_id=rule.id), metadata=admin)
    async with catalog_unchanged(goals):
        error = await rpc_error(
            stub.DeleteMetric(delete, metadata=admin), grpc.StatusCode.FAILED_PRECONDITION
        )
    assert precondition_violations(error) == {"key_results": "1 key results are measured by it"}

    await stub.DeleteKeyResult(goals_pb2.DeleteKeyResultRequest(key_result_id=key_result.id), metadata=admin)
    await stub.DeleteMetric(delete, metadata=admin)
    await rpc_error(
        stub.GetMetric(goals_pb2.GetMetricRequest(metric_code="defect_rate"), metadata=admin),
        grpc.StatusCode.NOT_FOUND,
    )
