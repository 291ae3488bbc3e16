"""Strategy progress (G6): the goal trees with progress and status, what is at risk worst first, for the
tenant or for what is owned inside one unit's subtree; status is computed from today's date."""

from __future__ import annotations

from datetime import timedelta

import grpc
from fulcrum.goals.v1 import goals_pb2

from tests.integration.goals.helpers import as_person, build_plant
from tests.integration.goals.objectives_helpers import (
    ALIGNED,
    EMPLOYEE,
    TEAM,
    UNIT,
    create_key_result,
    create_objective,
    get_objective,
    record,
    today,
)
from tests.support.calls import Metadata, rpc_error
from tests.support.goals import GoalsHarness
from tests.support.org import OrgHarness, new_tenant

ON_TRACK = goals_pb2.GOAL_STATUS_ON_TRACK
AT_RISK = goals_pb2.GOAL_STATUS_AT_RISK
OFF_TRACK = goals_pb2.GOAL_STATUS_OFF_TRACK
DONE = goals_pb2.GOAL_STATUS_DONE
EXPIRED = goals_pb2.GOAL_STATUS_EXPIRED


def days_from_today(start: int, end: int) -> tuple[str, str]:
    return ((today() + timedelta(days=start)).isoformat(), (today() + timedelta(days=end)).isoformat())


async def strategy(
    goals: GoalsHarness, metadata: Metadata, unit_id: str = ""
) -> goals_pb2.GetStrategyProgressResponse:
    request = goals_pb2.GetStrategyProgressRequest(unit_id=unit_id)
    return await goals.stub.GetStrategyProgress(request, metadata=metadata)


async def test_status_follows_the_calendar_and_the_worst_comes_first(goals: GoalsHarness) -> None:
    admin = goals.admin(new_tenant())
    half_elapsed = days_from_today(-50, 50)
    progress_by_title = {"on track": 0.45, "at risk": 0.35, "off track": 0.2, "stalled": 0.0, "done": 1.0}
    made = {}
    for title, progress in progress_by_title.items():
        made[title] = await create_objective(goals, admin, title, period=half_elapsed)
        key_result = await create_key_result(goals, admin, made[title].id, f"{title} measure")
        await record(goals, admin, key_result.id, progress)
    made["expired"] = await create_objective(goals, admin, "expired", period=days_from_today(-60, -1))
    late = await create_key_result(goals, admin, made["expired"].id, "late measure")
    await record(goals, admin, late.id, 0.9)
    made["not started"] = await create_objective(goals, admin, "not started", period=days_from_today(1, 30))

    view = await strategy(goals, admin)

    statuses = {node.objective.title: node.objective.status for node in view.nodes}
    assert statuses == {
        "on track": ON_TRACK,
        "at risk": AT_RISK,
        "off track": OFF_TRACK,
        "stalled": OFF_TRACK,
        "done": DONE,
        "expired": EXPIRED,
        "not started": ON_TRACK,
    }
    assert list(view.at_risk_objective_ids) == [
        made[title].id for title in ("stalled", "off track", "expired", "at risk")
    ]
    assert {count.status: count.objectives for count in view.status_counts} == {
        ON_TRACK: 2,
        AT_RISK: 1,
        OFF_TRACK: 2,
        DONE: 1,
        EXPIRED: 1,
    }
    assert (await get_objective(goals, admin, made["expired"].id)).objective.status == EXPIRED


async def test_the_forest_for_the_tenant_and_for_a_units_subtree(
    org: OrgHarness, goals: GoalsHarness
) -> None:
    plant = await build_plant(org, goals)
    admin = goals.admin(plant.tenant)
    quality = await create_objective(goals, admin, "Raise quality")
    production = await create_objective(
        goals,
        admin,
        "Defect rate to 5%",
        UNIT,
        unit_id=plant.units["production"],
        parent_objective_id=quality.id,
    )
    line = await create_objective(
        goals, admin, "Line 1 below 5%", TEAM, unit_id=plant.units["line1"], parent_objective_id=production.id
    )
    operators = await create_key_result(goals, admin, line.id, "Every operator below 3%", measure=ALIGNED)
    operator = await create_objective(
        goals,
        as_person(goals, plant, "operator_a"),
        "Below 3%",
        EMPLOYEE,
        owner_employee_id=plant.employees["operator_a"],
        parent_key_result_id=operators.id,
    )
    inspection = await create_objective(
        goals,
        admin,
        "Detection accuracy 100%",
        UNIT,
        unit_id=plant.units["quality"],
        parent_objective_id=quality.id,
    )

    tenant_view = await strategy(goals, admin)
    by_id = {node.objective.id: node for node in tenant_view.nodes}
    assert {i: (n.rolls_up_to_objective_id, n.depth) for i, n in by_id.items()} == {
        quality.id: ("", 0),
        production.id: (quality.id, 1),
        line.id: (production.id, 2),
        operator.id: (line.id, 3),
        inspection.id: (quality.id, 1),
    }
    order = [node.objective.id for node in tenant_view.nodes]
    for node in tenant_view.nodes:
        if node.rolls_up_to_objective_id:
            assert order.index(node.rolls_up_to_objective_id) < order.index(node.objective.id)
    assert [kr.id for kr in by_id[line.id].key_results] == [operators.id]

    production_view = await strategy(
        goals, as_person(goals, plant, "production_manager"), plant.units["production"]
    )
    assert [(n.objective.id, n.rolls_up_to_objective_id, n.depth) for n in production_view.nodes] == [
        (production.id, "", 0),
        (line.id, production.id, 1),
        (operator.id, line.id, 2),
    ]
    # The same subtree seen by someone who may not read the operator's own objective.
    inspector_view = await strategy(goals, as_person(goals, plant, "inspector"), plant.units["production"])
    assert [n.objective.id for n in inspector_view.nodes] == [production.id, line.id]
    await rpc_error(strategy(goals, admin, "no-such-unit"), grpc.StatusCode.NOT_FOUND)


async def test_a_period_that_ended_unfinished_is_expired_until_it_is_done(goals: GoalsHarness) -> None:
    admin = goals.admin(new_tenant())
    last_year = days_from_today(-400, -35)
    objective = await create_objective(goals, admin, "Last year's", period=last_year)
    key_result = await create_key_result(goals, admin, objective.id, "Measure")
    await record(goals, admin, key_result.id, 0.5)
    assert (await get_objective(goals, admin, objective.id)).objective.status == EXPIRED
    await record(goals, admin, key_result.id, 1)
    assert (await get_objective(goals, admin, objective.id)).objective.status == DONE
