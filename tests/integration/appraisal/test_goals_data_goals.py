"""Appraisal's copy of goals' objectives, key results and metric catalog follows goals' changes: what is
created appears, updates replace it, deletions remove it, and each tenant sees only its own."""

from __future__ import annotations

from fulcrum.goals.v1 import goals_pb2

from services.appraisal.domain.goals_data import KeyResultActual, MetricRef
from services.appraisal.domain.model import Direction
from tests.integration.appraisal.goals_data_helpers import now_answers, settled
from tests.integration.goals.helpers import build_plant
from tests.integration.goals.metrics_helpers import create_metric, defect_rate
from tests.integration.goals.objectives_helpers import LOWER, create_key_result, create_objective, record
from tests.support.appraisal import AppraisalHarness
from tests.support.calls import mask
from tests.support.goals import GoalsHarness
from tests.support.org import OrgHarness, new_tenant


async def test_key_results_follow_their_values_updates_and_deletions(
    org: OrgHarness, goals: GoalsHarness, appraisal: AppraisalHarness
):
    plant = await build_plant(org, goals)
    admin = goals.admin(plant.tenant)
    objective = await create_objective(goals, admin, "Cut scrap")
    scrap = await create_key_result(
        goals, admin, objective.id, "Scrap rate", start=5.0, target=2.0, direction=LOWER
    )
    output = await create_key_result(goals, admin, objective.id, "Units a shift", start=100.0, target=150.0)
    both = [scrap.id, output.id, "no-such-key-result"]

    # No value yet: the current value is unknown, not zero.
    assert await settled(
        appraisal,
        plant.tenant,
        lambda goals_data: goals_data.key_results(both),
        {
            scrap.id: KeyResultActual(None, 5.0, 2.0, Direction.LOWER_IS_BETTER),
            output.id: KeyResultActual(None, 100.0, 150.0, Direction.HIGHER_IS_BETTER),
        },
    )

    await record(goals, admin, scrap.id, 3.5)
    await goals.stub.UpdateKeyResult(
        goals_pb2.UpdateKeyResultRequest(
            key_result=goals_pb2.KeyResult(id=scrap.id, target_value=1.5), update_mask=mask("target_value")
        ),
        metadata=admin,
    )
    await goals.stub.DeleteKeyResult(
        goals_pb2.DeleteKeyResultRequest(key_result_id=output.id), metadata=admin
    )

    assert await settled(
        appraisal,
        plant.tenant,
        lambda goals_data: goals_data.key_results(both),
        {scrap.id: KeyResultActual(3.5, 5.0, 1.5, Direction.LOWER_IS_BETTER)},
    )
    assert await now_answers(appraisal, new_tenant(), lambda goals_data: goals_data.key_results(both)) == {}


async def test_objectives_exist_until_deleted_with_their_key_results(
    org: OrgHarness, goals: GoalsHarness, appraisal: AppraisalHarness
):
    plant = await build_plant(org, goals)
    admin = goals.admin(plant.tenant)
    strategy = await create_objective(goals, admin, "Best quality in the region")
    quarter = await create_objective(goals, admin, "Fewer defects this year")
    key_result = await create_key_result(
        goals, admin, quarter.id, "Defect rate", start=4.0, target=2.0, direction=LOWER
    )
    asked = [strategy.id, quarter.id, "no-such-objective"]

    assert await settled(
        appraisal,
        plant.tenant,
        lambda goals_data: goals_data.objective_exists(asked),
        {strategy.id, quarter.id},
    )

    await goals.stub.DeleteObjective(
        goals_pb2.DeleteObjectiveRequest(objective_id=quarter.id), metadata=admin
    )

    assert await settled(
        appraisal, plant.tenant, lambda goals_data: goals_data.objective_exists(asked), {strategy.id}
    )
    assert (
        await now_answers(appraisal, plant.tenant, lambda goals_data: goals_data.key_results([key_result.id]))
        == {}
    )
    assert (
        await now_answers(appraisal, new_tenant(), lambda goals_data: goals_data.objective_exists(asked))
        == set()
    )


async def test_metrics_carry_their_formula_and_data_source_through_changes(
    org: OrgHarness, goals: GoalsHarness, appraisal: AppraisalHarness
):
    plant = await build_plant(org, goals)
    admin = goals.admin(plant.tenant)
    await create_metric(goals, admin, defect_rate("defect_rate"))
    await create_metric(
        goals, admin, defect_rate("rework_rate", formula="defects / produced", data_source="")
    )
    asked = ["defect_rate", "rework_rate", "no_such_metric"]

    assert await settled(
        appraisal,
        plant.tenant,
        lambda goals_data: goals_data.metrics(asked),
        {
            "defect_rate": MetricRef("defect_rate", "defects / produced * 100", "MES"),
            "rework_rate": MetricRef("rework_rate", "defects / produced", ""),
        },
    )

    await goals.stub.UpdateMetric(
        goals_pb2.UpdateMetricRequest(
            metric=goals_pb2.Metric(code="rework_rate", data_source="IoT line sensors"),
            update_mask=mask("data_source"),
        ),
        metadata=admin,
    )
    await goals.stub.DeleteMetric(goals_pb2.DeleteMetricRequest(metric_code="defect_rate"), metadata=admin)

    assert await settled(
        appraisal,
        plant.tenant,
        lambda goals_data: goals_data.metrics(asked),
        {"rework_rate": MetricRef("rework_rate", "defects / produced", "IoT line sensors")},
    )

    # A deleted code may be defined again: the new definition is the one appraisal keeps.
    await create_metric(goals, admin, defect_rate("defect_rate", formula="defects / produced * 1000"))

    assert await settled(
        appraisal,
        plant.tenant,
        lambda goals_data: goals_data.metrics(asked),
        {
            "defect_rate": MetricRef("defect_rate", "defects / produced * 1000", "MES"),
            "rework_rate": MetricRef("rework_rate", "defects / produced", "IoT line sensors"),
        },
    )
    assert await now_answers(appraisal, new_tenant(), lambda goals_data: goals_data.metrics(asked)) == {}
