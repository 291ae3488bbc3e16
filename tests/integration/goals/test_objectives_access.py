"""Who reads and changes objectives: the strategy is everyone's to read; a person's objectives are theirs,
their managers' and HR's in scope; changes belong to those who answer for the level; partner systems only
read; and another tenant's objectives do not exist."""

from __future__ import annotations

import grpc
from fulcrum.goals.v1 import goals_pb2

from services.chassis.context import ROLE_HR, ROLE_PARTNER
from tests.integration.goals.helpers import Plant, as_person, build_plant
from tests.integration.goals.objectives_helpers import (
    ALIGNED,
    EMPLOYEE,
    TEAM,
    create_key_result,
    create_objective,
    get_objective,
    nothing_changes,
    record,
)
from tests.support.calls import Metadata, every_page, field_violations, mask, rpc_error
from tests.support.goals import GoalsHarness
from tests.support.org import OrgHarness, new_tenant


def hr(goals: GoalsHarness, plant: Plant, *units: str) -> Metadata:
    """HR covering these units of the plant (the whole tenant when none is named)."""
    return goals.as_(plant.tenant, "hr-person", (ROLE_HR,), [plant.units[unit] for unit in units])


def partner(goals: GoalsHarness, plant: Plant) -> Metadata:
    return goals.as_(plant.tenant, "mes-partner", (ROLE_PARTNER,))


async def retitled(
    goals: GoalsHarness, metadata: Metadata, objective_id: str, title: str
) -> goals_pb2.Objective:
    request = goals_pb2.UpdateObjectiveRequest(
        objective=goals_pb2.Objective(id=objective_id, title=title), update_mask=mask("title")
    )
    return (await goals.stub.UpdateObjective(request, metadata=metadata)).objective


async def visible_ids(goals: GoalsHarness, metadata: Metadata) -> set[str]:
    pages = await every_page(
        goals.stub.ListObjectives, goals_pb2.ListObjectivesRequest(page_size=2), "objectives", metadata
    )
    return {objective.id for page in pages for objective in page}


async def test_an_employees_objective_is_seen_and_changed_only_along_their_reporting_line_and_hr_scope(
    org: OrgHarness, goals: GoalsHarness
) -> None:
    plant = await build_plant(org, goals)
    mine = await create_objective(
        goals,
        as_person(goals, plant, "operator_a"),
        "Below 3% defects",
        EMPLOYEE,
        owner_employee_id=plant.employees["operator_a"],
    )
    line = await create_objective(
        goals, as_person(goals, plant, "line_lead"), "Line 1 runs clean", TEAM, unit_id=plant.units["line1"]
    )

    readers = {
        "self": as_person(goals, plant, "operator_a"),
        "manager": as_person(goals, plant, "line_lead"),
        "manager's manager": as_person(goals, plant, "production_manager"),
        "HR of production": hr(goals, plant, "production"),
        "partner": partner(goals, plant),
        "admin": goals.admin(plant.tenant),
    }
    strangers = {
        "colleague": as_person(goals, plant, "operator_b"),
        "other department's head": as_person(goals, plant, "quality_manager"),
        "HR of quality": hr(goals, plant, "quality"),
    }
    for who, metadata in readers.items():
        assert (await get_objective(goals, metadata, mine.id)).objective.id == mine.id, who
        assert {mine.id, line.id} <= await visible_ids(goals, metadata), who
    for who, metadata in strangers.items():
        await rpc_error(get_objective(goals, metadata, mine.id), grpc.StatusCode.NOT_FOUND)
        assert await visible_ids(goals, metadata) == {line.id}, who
        async with nothing_changes(goals):
            await rpc_error(retitled(goals, metadata, mine.id, "Taken over"), grpc.StatusCode.NOT_FOUND)
        strategy = await goals.stub.GetStrategyProgress(
            goals_pb2.GetStrategyProgressRequest(), metadata=metadata
        )
        assert [node.objective.id for node in strategy.nodes] == [line.id], who

    for who in ("self", "manager", "HR of production", "admin"):
        assert (await retitled(goals, readers[who], mine.id, f"Set by {who}")).title == f"Set by {who}"
    async with nothing_changes(goals):
        await rpc_error(
            retitled(goals, readers["partner"], mine.id, "Partner"), grpc.StatusCode.PERMISSION_DENIED
        )


async def test_a_teams_objectives_are_read_by_all_and_changed_by_its_heads_and_hr_in_scope(
    org: OrgHarness, goals: GoalsHarness
) -> None:
    plant = await build_plant(org, goals)
    line = await create_objective(
        goals, as_person(goals, plant, "line_lead"), "Line 1 runs clean", TEAM, unit_id=plant.units["line1"]
    )
    key_result = await create_key_result(goals, hr(goals, plant, "production"), line.id, "Scrap halved")

    for metadata in (as_person(goals, plant, "inspector"), partner(goals, plant)):
        assert [kr.id for kr in (await get_objective(goals, metadata, line.id)).key_results] == [
            key_result.id
        ]
    for allowed in (
        as_person(goals, plant, "line_lead"),
        as_person(goals, plant, "production_manager"),
        as_person(goals, plant, "ceo"),
        hr(goals, plant, "line1"),
    ):
        await record(goals, allowed, key_result.id, 0.5)
    for refused in (
        as_person(goals, plant, "operator_a"),
        as_person(goals, plant, "quality_manager"),
        hr(goals, plant, "quality"),
        partner(goals, plant),
    ):
        async with nothing_changes(goals):
            await rpc_error(record(goals, refused, key_result.id, 1), grpc.StatusCode.PERMISSION_DENIED)
            await rpc_error(retitled(goals, refused, line.id, "Mine now"), grpc.StatusCode.PERMISSION_DENIED)
            await rpc_error(
                create_objective(goals, refused, "Another", TEAM, unit_id=plant.units["line1"]),
                grpc.StatusCode.PERMISSION_DENIED,
            )


async def test_the_strategy_is_set_by_admins_and_hr_of_the_whole_tenant_only(
    org: OrgHarness, goals: GoalsHarness
) -> None:
    plant = await build_plant(org, goals)
    assert (await create_objective(goals, goals.admin(plant.tenant), "By the admin")).title == "By the admin"
    assert (await create_objective(goals, hr(goals, plant), "By HR")).title == "By HR"
    for refused in (hr(goals, plant, "company"), as_person(goals, plant, "ceo"), partner(goals, plant)):
        async with nothing_changes(goals):
            await rpc_error(
                create_objective(goals, refused, "Not allowed"), grpc.StatusCode.PERMISSION_DENIED
            )


async def test_aligning_under_an_objective_one_may_not_read_is_as_if_it_did_not_exist(
    org: OrgHarness, goals: GoalsHarness
) -> None:
    plant = await build_plant(org, goals)
    private = await create_objective(
        goals,
        as_person(goals, plant, "operator_a"),
        "Private",
        EMPLOYEE,
        owner_employee_id=plant.employees["operator_a"],
    )
    colleague = as_person(goals, plant, "operator_b")
    async with nothing_changes(goals):
        error = await rpc_error(
            create_objective(
                goals,
                colleague,
                "Riding along",
                EMPLOYEE,
                owner_employee_id=plant.employees["operator_b"],
                parent_objective_id=private.id,
            ),
            grpc.StatusCode.INVALID_ARGUMENT,
        )
    assert field_violations(error) == {"objective.parent_objective_id": "no such objective"}


async def test_another_tenants_objectives_and_key_results_are_not_found_by_any_call(
    org: OrgHarness, goals: GoalsHarness
) -> None:
    plant = await build_plant(org, goals)
    admin = goals.admin(plant.tenant)
    theirs = await create_objective(goals, admin, "Theirs", TEAM, unit_id=plant.units["line1"])
    their_key_result = await create_key_result(goals, admin, theirs.id, "Their key result", measure=ALIGNED)
    outsider = goals.admin(new_tenant())
    stub = goals.stub
    ours = await create_objective(goals, outsider, "Ours")

    calls = {
        "GetObjective": lambda: stub.GetObjective(
            goals_pb2.GetObjectiveRequest(objective_id=theirs.id), metadata=outsider
        ),
        "UpdateObjective": lambda: retitled(goals, outsider, theirs.id, "Taken"),
        "AlignObjective": lambda: stub.AlignObjective(
            goals_pb2.AlignObjectiveRequest(objective_id=theirs.id), metadata=outsider
        ),
        "DeleteObjective": lambda: stub.DeleteObjective(
            goals_pb2.DeleteObjectiveRequest(objective_id=theirs.id), metadata=outsider
        ),
        "CreateKeyResult": lambda: create_key_result(goals, outsider, theirs.id, "Planted"),
        "UpdateKeyResult": lambda: stub.UpdateKeyResult(
            goals_pb2.UpdateKeyResultRequest(
                key_result=goals_pb2.KeyResult(id=their_key_result.id, title="Taken"),
                update_mask=mask("title"),
            ),
            metadata=outsider,
        ),
        "DeleteKeyResult": lambda: stub.DeleteKeyResult(
            goals_pb2.DeleteKeyResultRequest(key_result_id=their_key_result.id), metadata=outsider
        ),
        "RecordKeyResultValue": lambda: record(goals, outsider, their_key_result.id, 1),
        "ListKeyResultValues": lambda: stub.ListKeyResultValues(
            goals_pb2.ListKeyResultValuesRequest(key_result_id=their_key_result.id), metadata=outsider
        ),
        "GetStrategyProgress": lambda: stub.GetStrategyProgress(
            goals_pb2.GetStrategyProgressRequest(unit_id=plant.units["line1"]), metadata=outsider
        ),
    }
    async with nothing_changes(goals):
        for call in calls.values():
            await rpc_error(call(), grpc.StatusCode.NOT_FOUND)
        for parent in ({"parent_objective_id": theirs.id}, {"parent_key_result_id": their_key_result.id}):
            error = await rpc_error(
                stub.AlignObjective(
                    goals_pb2.AlignObjectiveRequest(objective_id=ours.id, **parent), metadata=outsider
                ),
                grpc.StatusCode.INVALID_ARGUMENT,
            )
            assert set(field_violations(error)) == set(parent)
        error = await rpc_error(
            create_objective(goals, outsider, "Theirs to us", TEAM, unit_id=plant.units["line1"]),
            grpc.StatusCode.INVALID_ARGUMENT,
        )
        assert field_violations(error) == {"objective.unit_id": "no such unit"}

    assert await visible_ids(goals, outsider) == {ours.id}
    strategy = await stub.GetStrategyProgress(goals_pb2.GetStrategyProgressRequest(), metadata=outsider)
    assert [node.objective.id for node in strategy.nodes] == [ours.id]
    assert (await get_objective(goals, admin, theirs.id)).objective.title == "Theirs"
