"""Strategy to individuals (G1): objectives cascade across units and people, and progress rolls up by
weight to the strategy as values are recorded, as weights change and as subtrees move."""

from __future__ import annotations

import grpc
import pytest
from fulcrum.goals.v1 import events_pb2, goals_pb2

from tests.integration.goals.helpers import as_person, build_plant
from tests.integration.goals.objectives_helpers import (
    ALIGNED,
    EMPLOYEE,
    LOWER,
    UNIT,
    add_unit,
    align,
    create_key_result,
    create_objective,
    get_objective,
    hire,
    last_objectives_changed,
    progress_of,
    record,
    stored_events,
)
from tests.support.calls import field_violations, mask, rpc_error
from tests.support.goals import GoalsHarness
from tests.support.org import OrgHarness


async def test_the_technology_leader_strategy_moves_exactly_as_the_weights_say(
    org: OrgHarness, goals: GoalsHarness
) -> None:
    plant = await build_plant(org, goals)
    admin = goals.admin(plant.tenant)
    await add_unit(org, plant, "rnd", "RND")
    await add_unit(org, plant, "sales", "SALES")
    engineer = await hire(org, goals, plant, "engineer", "rnd")

    strategy = await create_objective(goals, admin, "Become the technology leader")
    ships = await create_key_result(
        goals, admin, strategy.id, "R&D ships 3 core-technology products", measure=ALIGNED
    )
    defects = await create_key_result(
        goals, admin, strategy.id, "New-product defect rate down to 5%", measure=ALIGNED
    )
    rnd = await create_objective(
        goals,
        admin,
        "Ship core-technology products",
        UNIT,
        unit_id=plant.units["rnd"],
        parent_key_result_id=ships.id,
    )
    shipped = await create_key_result(goals, admin, rnd.id, "Products shipped", 0, 3)
    production = await create_objective(
        goals,
        admin,
        "Quality of new products",
        UNIT,
        unit_id=plant.units["production"],
        parent_key_result_id=defects.id,
    )
    defect_rate = await create_key_result(
        goals, admin, production.id, "New-product defect rate", 15, 5, direction=LOWER, unit="%"
    )
    sales = await create_objective(
        goals,
        admin,
        "Sell the new products",
        UNIT,
        unit_id=plant.units["sales"],
        parent_objective_id=strategy.id,
        weight=2,
    )
    revenue_share = await create_key_result(goals, admin, sales.id, "New products' share of revenue", 0, 30)
    overseas = await create_key_result(goals, admin, sales.id, "Overseas sales share", 0, 15, unit="%")
    module = await create_objective(
        goals,
        as_person(goals, plant, "engineer"),
        "Design one module",
        EMPLOYEE,
        owner_employee_id=engineer,
        parent_objective_id=rnd.id,
    )
    modules = await create_key_result(goals, admin, module.id, "Modules designed", 0, 1)

    assert await progress_of(goals, admin, strategy.id) == 0.0
    await record(goals, admin, modules.id, 1)
    events = await last_objectives_changed(goals)
    # The engineer's objective, R&D's and the strategy: every objective above the value moved.
    assert {o.id: o.progress for o in events.objectives} == pytest.approx(
        {module.id: 1.0, rnd.id: 0.5, strategy.id: 0.5 / 4}
    )
    [key_results_event] = [e.message for e in await stored_events(goals, events_pb2.KeyResultsChanged)][-1:]
    assert {kr.id: kr.progress for kr in key_results_event.key_results} == pytest.approx(
        {modules.id: 1.0, ships.id: 0.5}
    )

    await record(goals, admin, shipped.id, 1)
    # Lower is better: from 15% down to 10% is half the way to 5%.
    assert (await record(goals, admin, defect_rate.id, 10)).progress == pytest.approx(0.5)
    await record(goals, admin, revenue_share.id, 15)
    assert (await record(goals, admin, overseas.id, 10)).progress == pytest.approx(2 / 3)

    assert await progress_of(goals, admin, rnd.id) == pytest.approx((1 / 3 + 1) / 2)
    assert await progress_of(goals, admin, production.id) == pytest.approx(0.5)
    assert await progress_of(goals, admin, sales.id) == pytest.approx((0.5 + 2 / 3) / 2)
    expected = (2 / 3 + 0.5 + 2 * (0.5 + 2 / 3) / 2) / 4
    view = await get_objective(goals, admin, strategy.id)
    assert view.objective.progress == pytest.approx(expected)
    assert {kr.id: kr.progress for kr in view.key_results} == pytest.approx(
        {ships.id: 2 / 3, defects.id: 0.5}
    )

    # Sales weighs less: the strategy follows at once.
    request = goals_pb2.UpdateObjectiveRequest(
        objective=goals_pb2.Objective(id=sales.id, weight=1), update_mask=mask("weight")
    )
    await goals.stub.UpdateObjective(request, metadata=admin)
    assert await progress_of(goals, admin, strategy.id) == pytest.approx(
        (2 / 3 + 0.5 + (0.5 + 2 / 3) / 2) / 3
    )


async def test_an_operator_aligns_to_the_line_leads_key_result_and_moves_it(
    org: OrgHarness, goals: GoalsHarness
) -> None:
    plant = await build_plant(org, goals)
    lead = as_person(goals, plant, "line_lead")
    operator = as_person(goals, plant, "operator_a")
    line = await create_objective(goals, lead, "Line 1 runs clean", UNIT, unit_id=plant.units["line1"])
    clean = await create_key_result(goals, lead, line.id, "Operators below 3% defects", measure=ALIGNED)
    mine = await create_objective(
        goals,
        operator,
        "My defect rate below 3%",
        EMPLOYEE,
        owner_employee_id=plant.employees["operator_a"],
        parent_key_result_id=clean.id,
    )
    rate = await create_key_result(goals, operator, mine.id, "My defect rate", 6, 3, direction=LOWER)

    await record(goals, operator, rate.id, 4.5)

    assert await progress_of(goals, lead, line.id) == pytest.approx(0.5)
    listed = await goals.stub.ListObjectives(
        goals_pb2.ListObjectivesRequest(parent_key_result_id=clean.id), metadata=lead
    )
    assert [o.id for o in listed.objectives] == [mine.id]


async def test_moving_a_subtree_fixes_the_progress_of_the_old_and_the_new_ancestors(
    org: OrgHarness, goals: GoalsHarness
) -> None:
    plant = await build_plant(org, goals)
    admin = goals.admin(plant.tenant)
    quality = await create_objective(goals, admin, "Raise quality")
    satisfaction = await create_objective(goals, admin, "Raise customer satisfaction")
    complaints = await create_key_result(
        goals, admin, satisfaction.id, "Complaints down", 100, 20, direction=LOWER
    )
    await record(goals, admin, complaints.id, 60)
    production = await create_objective(
        goals,
        admin,
        "Defect rate to 5%",
        UNIT,
        unit_id=plant.units["production"],
        parent_objective_id=quality.id,
    )
    line = await create_objective(
        goals, admin, "Line 1 below 5%", UNIT, unit_id=plant.units["line1"], parent_objective_id=production.id
    )
    rate = await create_key_result(goals, admin, line.id, "Line 1 defect rate", 15, 5, direction=LOWER)
    await record(goals, admin, rate.id, 5)
    assert await progress_of(goals, admin, quality.id) == pytest.approx(1.0)
    assert await progress_of(goals, admin, satisfaction.id) == pytest.approx(0.5)

    moved = await align(goals, admin, production.id, parent_objective_id=satisfaction.id)

    assert moved.parent_objective_id == satisfaction.id
    assert await progress_of(goals, admin, quality.id) == 0.0
    assert await progress_of(goals, admin, satisfaction.id) == pytest.approx((0.5 + 1.0) / 2)
    # What lies below the moved objective moved with it: a new value reaches the new ancestors only.
    await record(goals, admin, rate.id, 10)
    assert await progress_of(goals, admin, satisfaction.id) == pytest.approx((0.5 + 0.5) / 2)
    assert await progress_of(goals, admin, quality.id) == 0.0

    root = await align(goals, admin, production.id)
    assert root.parent_objective_id == root.parent_key_result_id == ""
    assert await progress_of(goals, admin, satisfaction.id) == pytest.approx(0.5)
    assert await progress_of(goals, admin, production.id) == pytest.approx(0.5)


async def test_an_alignment_that_would_make_a_cycle_is_refused(org: OrgHarness, goals: GoalsHarness) -> None:
    plant = await build_plant(org, goals)
    admin = goals.admin(plant.tenant)
    top = await create_objective(goals, admin, "Top")
    measured = await create_key_result(goals, admin, top.id, "Measured by below", measure=ALIGNED)
    middle = await create_objective(goals, admin, "Middle", parent_key_result_id=measured.id)
    bottom = await create_objective(goals, admin, "Bottom", parent_objective_id=middle.id)
    bottom_kr = await create_key_result(goals, admin, bottom.id, "Bottom's own")

    for parent in ({"parent_objective_id": bottom.id}, {"parent_key_result_id": bottom_kr.id}):
        error = await rpc_error(align(goals, admin, top.id, **parent), grpc.StatusCode.INVALID_ARGUMENT)
        [(field, description)] = field_violations(error).items()
        assert field == next(iter(parent))
        assert "cycle" in description
    error = await rpc_error(
        align(goals, admin, middle.id, parent_objective_id=middle.id), grpc.StatusCode.INVALID_ARGUMENT
    )
    assert "cycle" in field_violations(error)["parent_objective_id"]
    assert (await get_objective(goals, admin, top.id)).objective.parent_objective_id == ""
