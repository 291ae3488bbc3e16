"""What a request to objectives and key results gets: bad input is refused field by field with nothing
changed, retries return the first result, stale versions are refused, deletions wait for what is aligned,
and the value history comes back newest first."""

from __future__ import annotations

import math

import grpc
import pytest
from fulcrum.goals.v1 import events_pb2, goals_pb2

from tests.integration.goals.helpers import build_plant
from tests.integration.goals.objectives_helpers import (
    ALIGNED,
    EMPLOYEE,
    HIGHER,
    LOWER,
    MANUAL,
    TEAM,
    create_key_result,
    create_objective,
    get_objective,
    nothing_changes,
    progress_of,
    record,
    stored_events,
)
from tests.support.calls import every_page, field_violations, mask, precondition_violations, rpc_error
from tests.support.goals import GoalsHarness
from tests.support.org import OrgHarness, new_tenant


async def test_a_bad_objective_is_refused_with_every_problem_named_and_nothing_stored(
    goals: GoalsHarness,
) -> None:
    admin = goals.admin(new_tenant())
    strategy = await create_objective(goals, admin, "Strategy")
    bad = goals_pb2.Objective(
        title="x" * 201,
        level=goals_pb2.OBJECTIVE_LEVEL_UNSPECIFIED,
        parent_objective_id=strategy.id,
        parent_key_result_id="kr",
        weight=-1,
        period_start="2026-02-30",
        period_end="soon",
    )
    async with nothing_changes(goals):
        error = await rpc_error(
            goals.stub.CreateObjective(goals_pb2.CreateObjectiveRequest(objective=bad), metadata=admin),
            grpc.StatusCode.INVALID_ARGUMENT,
        )
    assert field_violations(error) == {
        "objective.title": "must be at most 200 characters",
        "objective.level": "is required",
        "objective.parent_key_result_id": "give at most one of parent_objective_id and parent_key_result_id",
        "objective.weight": "must not be negative",
        "objective.period_start": "must be a date as YYYY-MM-DD",
        "objective.period_end": "must be a date as YYYY-MM-DD",
    }

    cases = {
        "empty title": (goals_pb2.Objective(title=" "), {"objective.title": "is required"}),
        "period backwards": (
            goals_pb2.Objective(period_start="2026-12-31", period_end="2026-01-01"),
            {"objective.period_end": "must not be before period_start"},
        ),
        "unknown parent": (
            goals_pb2.Objective(parent_objective_id="no-such-objective"),
            {"objective.parent_objective_id": "no such objective"},
        ),
        "unknown parent key result": (
            goals_pb2.Objective(parent_key_result_id="no-such-key-result"),
            {"objective.parent_key_result_id": "no such key result"},
        ),
        "team without unit": (
            goals_pb2.Objective(level=TEAM),
            {"objective.unit_id": "is required for a team objective"},
        ),
        "unknown unit": (
            goals_pb2.Objective(level=TEAM, unit_id="no-such-unit"),
            {"objective.unit_id": "no such unit"},
        ),
        "employee without owner": (
            goals_pb2.Objective(level=EMPLOYEE),
            {"objective.owner_employee_id": "is required for an employee objective"},
        ),
        "employee objective in a unit": (
            goals_pb2.Objective(level=EMPLOYEE, owner_employee_id="someone", unit_id="a-unit"),
            {"objective.unit_id": "must be empty for an employee objective"},
        ),
        "unknown owner": (
            goals_pb2.Objective(level=EMPLOYEE, owner_employee_id="nobody"),
            {"objective.owner_employee_id": "no such employee"},
        ),
    }
    for case, (changes, expected) in cases.items():
        objective = goals_pb2.Objective(
            title="Fine",
            level=goals_pb2.OBJECTIVE_LEVEL_TENANT,
            period_start="2026-01-01",
            period_end="2026-12-31",
        )
        objective.MergeFrom(changes)
        async with nothing_changes(goals):
            error = await rpc_error(
                goals.stub.CreateObjective(
                    goals_pb2.CreateObjectiveRequest(objective=objective), metadata=admin
                ),
                grpc.StatusCode.INVALID_ARGUMENT,
            )
        assert field_violations(error) == expected, case


async def test_a_bad_key_result_or_value_is_refused_with_every_problem_named(goals: GoalsHarness) -> None:
    admin = goals.admin(new_tenant())
    objective = await create_objective(goals, admin, "Quality")
    rate = await create_key_result(goals, admin, objective.id, "Defect rate", 15, 5, direction=LOWER)
    bad = goals_pb2.KeyResult(
        objective_id=objective.id, title="", start_value=math.nan, target_value=math.inf, weight=-2
    )
    async with nothing_changes(goals):
        error = await rpc_error(
            goals.stub.CreateKeyResult(goals_pb2.CreateKeyResultRequest(key_result=bad), metadata=admin),
            grpc.StatusCode.INVALID_ARGUMENT,
        )
    assert field_violations(error) == {
        "key_result.title": "is required",
        "key_result.start_value": "must be a finite number",
        "key_result.target_value": "must be a finite number",
        "key_result.direction": "is required",
        "key_result.weight": "must not be negative",
        "key_result.measure": "is required",
    }
    async with nothing_changes(goals):
        error = await rpc_error(
            create_key_result(goals, admin, objective.id, "Backwards", 5, 15, direction=LOWER),
            grpc.StatusCode.INVALID_ARGUMENT,
        )
        [(field, description)] = field_violations(error).items()
        assert field == "key_result.target_value"
        assert description.startswith("target_value must be below start_value")
        error = await rpc_error(
            create_key_result(goals, admin, objective.id, "Unbound", measure=goals_pb2.MEASURE_METRIC),
            grpc.StatusCode.INVALID_ARGUMENT,
        )
        assert field_violations(error) == {
            "key_result.metric": "is required for a key result measured by a metric"
        }
        binding = goals_pb2.MetricBinding(
            metric_code="no_such_metric",
            scope_kind=goals_pb2.SCOPE_KIND_UNIT,
            scope_id="no-such-unit",
            period=goals_pb2.PERIOD_KIND_MONTH,
        )
        error = await rpc_error(
            create_key_result(
                goals, admin, objective.id, "Bound", measure=goals_pb2.MEASURE_METRIC, metric=binding
            ),
            grpc.StatusCode.INVALID_ARGUMENT,
        )
        assert field_violations(error) == {
            "key_result.metric.metric_code": "no such metric",
            "key_result.metric.scope_id": "no such unit",
        }
        for value in (math.nan, math.inf, -math.inf):
            error = await rpc_error(record(goals, admin, rate.id, value), grpc.StatusCode.INVALID_ARGUMENT)
            assert field_violations(error) == {"value": "must be a finite number"}
        await rpc_error(
            create_key_result(goals, admin, "no-such-objective", "Orphan"), grpc.StatusCode.NOT_FOUND
        )
        await rpc_error(record(goals, admin, "no-such-key-result", 1), grpc.StatusCode.NOT_FOUND)


async def test_a_weight_of_zero_means_the_default_when_created_and_zero_when_updated(
    goals: GoalsHarness,
) -> None:
    admin = goals.admin(new_tenant())
    objective = await create_objective(goals, admin, "Quality")
    done = await create_key_result(goals, admin, objective.id, "Done already", weight=0)
    await create_key_result(goals, admin, objective.id, "Not started", weight=3)
    assert done.weight == 1
    await record(goals, admin, done.id, 1)
    assert await progress_of(goals, admin, objective.id) == pytest.approx(1 / 4)

    request = goals_pb2.UpdateKeyResultRequest(
        key_result=goals_pb2.KeyResult(id=done.id, weight=0), update_mask=mask("weight")
    )
    assert (await goals.stub.UpdateKeyResult(request, metadata=admin)).key_result.weight == 0
    assert await progress_of(goals, admin, objective.id) == 0.0


async def test_a_retried_request_returns_the_first_result_and_changes_nothing_more(
    goals: GoalsHarness,
) -> None:
    admin = goals.admin(new_tenant())
    objective = goals_pb2.Objective(
        title="Once",
        level=goals_pb2.OBJECTIVE_LEVEL_TENANT,
        period_start="2026-01-01",
        period_end="2026-12-31",
    )
    request = goals_pb2.CreateObjectiveRequest(objective=objective, request_id="create-once")
    first = (await goals.stub.CreateObjective(request, metadata=admin)).objective
    key_result = await create_key_result(goals, admin, first.id, "Measured")
    value_request = goals_pb2.RecordKeyResultValueRequest(
        key_result_id=key_result.id, value=0.5, request_id="v-1"
    )
    await goals.stub.RecordKeyResultValue(value_request, metadata=admin)

    async with nothing_changes(goals):
        again = (await goals.stub.CreateObjective(request, metadata=admin)).objective
        assert again.id == first.id
        retried = (await goals.stub.RecordKeyResultValue(value_request, metadata=admin)).key_result
        assert retried.current_value == 0.5

    listed = await goals.stub.ListObjectives(goals_pb2.ListObjectivesRequest(), metadata=admin)
    assert [o.id for o in listed.objectives] == [first.id]
    values = await goals.stub.ListKeyResultValues(
        goals_pb2.ListKeyResultValuesRequest(key_result_id=key_result.id), metadata=admin
    )
    assert [v.value for v in values.values] == [0.5]


async def test_every_change_retried_with_its_request_id_changes_nothing_more(goals: GoalsHarness) -> None:
    admin = goals.admin(new_tenant())
    strategy = await create_objective(goals, admin, "Strategy")
    child = await create_objective(goals, admin, "Child")
    child_key_result = await create_key_result(goals, admin, child.id, "Child's")
    await record(goals, admin, child_key_result.id, 1)
    stub = goals.stub
    create = goals_pb2.CreateKeyResultRequest(
        key_result=goals_pb2.KeyResult(
            objective_id=strategy.id, title="Once", target_value=1, direction=HIGHER, measure=MANUAL
        ),
        request_id="create-kr",
    )
    reweigh = goals_pb2.UpdateKeyResultRequest(
        key_result=goals_pb2.KeyResult(weight=3), update_mask=mask("weight"), request_id="reweigh-kr"
    )
    realign = goals_pb2.AlignObjectiveRequest(
        objective_id=child.id, parent_objective_id=strategy.id, request_id="align-child"
    )
    retitle = goals_pb2.UpdateObjectiveRequest(
        objective=goals_pb2.Objective(id=child.id, title="Renamed"), update_mask=mask("title"), request_id="t"
    )
    drop_key_result = goals_pb2.DeleteKeyResultRequest(request_id="drop-kr")
    drop_child = goals_pb2.DeleteObjectiveRequest(objective_id=child.id, request_id="drop-child")

    created = (await stub.CreateKeyResult(create, metadata=admin)).key_result
    reweigh.key_result.id = drop_key_result.key_result_id = created.id
    reweighed = (await stub.UpdateKeyResult(reweigh, metadata=admin)).key_result
    aligned = (await stub.AlignObjective(realign, metadata=admin)).objective
    assert await progress_of(goals, admin, strategy.id) == pytest.approx(0.25)
    retitled = (await stub.UpdateObjective(retitle, metadata=admin)).objective
    async with nothing_changes(goals):
        assert (await stub.CreateKeyResult(create, metadata=admin)).key_result.id == created.id
        assert (await stub.UpdateKeyResult(reweigh, metadata=admin)).key_result == reweighed
        assert (await stub.AlignObjective(realign, metadata=admin)).objective.version == retitled.version
        assert (await stub.UpdateObjective(retitle, metadata=admin)).objective == retitled
    assert aligned.parent_objective_id == strategy.id
    assert [kr.id for kr in (await get_objective(goals, admin, strategy.id)).key_results] == [created.id]

    await stub.DeleteKeyResult(drop_key_result, metadata=admin)
    await stub.DeleteObjective(drop_child, metadata=admin)
    async with nothing_changes(goals):
        await stub.DeleteKeyResult(drop_key_result, metadata=admin)
        await stub.DeleteObjective(drop_child, metadata=admin)
    assert (await get_objective(goals, admin, strategy.id)).key_results == []
    assert await progress_of(goals, admin, strategy.id) == 0.0


async def test_an_update_against_a_stale_version_is_aborted(goals: GoalsHarness) -> None:
    admin = goals.admin(new_tenant())
    objective = await create_objective(goals, admin, "Versioned")
    key_result = await create_key_result(goals, admin, objective.id, "Measured")
    await record(goals, admin, key_result.id, 0.5)
    current = (await get_objective(goals, admin, objective.id)).objective
    assert current.version > objective.version

    async with nothing_changes(goals):
        await rpc_error(
            goals.stub.UpdateObjective(
                goals_pb2.UpdateObjectiveRequest(
                    objective=goals_pb2.Objective(id=objective.id, title="Stale"),
                    update_mask=mask("title"),
                    expected_version=objective.version,
                ),
                metadata=admin,
            ),
            grpc.StatusCode.ABORTED,
        )
        await rpc_error(
            goals.stub.UpdateKeyResult(
                goals_pb2.UpdateKeyResultRequest(
                    key_result=goals_pb2.KeyResult(id=key_result.id, title="Stale"),
                    update_mask=mask("title"),
                    expected_version=key_result.version,
                ),
                metadata=admin,
            ),
            grpc.StatusCode.ABORTED,
        )
    fresh = await goals.stub.UpdateObjective(
        goals_pb2.UpdateObjectiveRequest(
            objective=goals_pb2.Objective(id=objective.id, title="Fresh"),
            update_mask=mask("title"),
            expected_version=current.version,
        ),
        metadata=admin,
    )
    assert (fresh.objective.title, fresh.objective.version) == ("Fresh", current.version + 1)


async def test_nothing_is_deleted_while_objectives_are_aligned_to_it(goals: GoalsHarness) -> None:
    admin = goals.admin(new_tenant())
    strategy = await create_objective(goals, admin, "Strategy")
    measured = await create_key_result(goals, admin, strategy.id, "Measured below", measure=ALIGNED)
    typed = await create_key_result(goals, admin, strategy.id, "Typed in")
    await record(goals, admin, typed.id, 1)
    below = await create_objective(goals, admin, "Below", parent_key_result_id=measured.id)
    below_key_result = await create_key_result(goals, admin, below.id, "Below's")
    await record(goals, admin, below_key_result.id, 0.5)
    assert await progress_of(goals, admin, strategy.id) == pytest.approx(0.75)

    async with nothing_changes(goals):
        for call in (
            goals.stub.DeleteObjective(
                goals_pb2.DeleteObjectiveRequest(objective_id=strategy.id), metadata=admin
            ),
            goals.stub.DeleteKeyResult(
                goals_pb2.DeleteKeyResultRequest(key_result_id=measured.id), metadata=admin
            ),
        ):
            error = await rpc_error(call, grpc.StatusCode.FAILED_PRECONDITION)
            assert below.id in (error.details() or "")
            assert set(precondition_violations(error)) == {f"objectives/{below.id}"}
        error = await rpc_error(record(goals, admin, measured.id, 1), grpc.StatusCode.FAILED_PRECONDITION)

    await goals.stub.DeleteObjective(goals_pb2.DeleteObjectiveRequest(objective_id=below.id), metadata=admin)
    assert await progress_of(goals, admin, strategy.id) == pytest.approx(0.5)
    await goals.stub.DeleteKeyResult(
        goals_pb2.DeleteKeyResultRequest(key_result_id=measured.id), metadata=admin
    )
    assert await progress_of(goals, admin, strategy.id) == pytest.approx(1.0)
    await goals.stub.DeleteObjective(
        goals_pb2.DeleteObjectiveRequest(objective_id=strategy.id), metadata=admin
    )
    await rpc_error(get_objective(goals, admin, strategy.id), grpc.StatusCode.NOT_FOUND)
    await rpc_error(record(goals, admin, typed.id, 1), grpc.StatusCode.NOT_FOUND)
    [*_, last_objectives] = await stored_events(goals, events_pb2.ObjectivesChanged)
    [*_, last_key_results] = await stored_events(goals, events_pb2.KeyResultsChanged)
    assert list(last_objectives.message.deleted_objective_ids) == [strategy.id]
    assert list(last_key_results.message.deleted_key_result_ids) == [typed.id]


async def test_the_value_history_comes_newest_first_page_by_page(
    org: OrgHarness, goals: GoalsHarness
) -> None:
    plant = await build_plant(org, goals)
    lead = goals.as_(plant.tenant, plant.employees["line_lead"])
    objective = await create_objective(goals, lead, "Line 1 output", TEAM, unit_id=plant.units["line1"])
    output = await create_key_result(goals, lead, objective.id, "Units a day", 100, 150)
    for value in (110, 120, 125, 140, 150):
        await record(goals, lead, output.id, value, note=f"reached {value}")

    request = goals_pb2.ListKeyResultValuesRequest(key_result_id=output.id, page_size=2)
    pages = await every_page(goals.stub.ListKeyResultValues, request, "values", lead)

    assert [[v.value for v in page] for page in pages] == [[150, 140], [125, 120], [110]]
    newest = pages[0][0]
    assert (newest.recorded_by, newest.note) == (plant.employees["line_lead"], "reached 150")
    times = [v.record_time.ToDatetime() for page in pages for v in page]
    assert times == sorted(times, reverse=True)
