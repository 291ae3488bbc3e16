"""Check-ins (G5): a manager records 1:1s with an employee; the employee's log lists them newest first;
each one is announced; a retry changes nothing; bad input changes nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import grpc
from fulcrum.goals.v1 import events_pb2, goals_pb2
from sqlalchemy import select

from services.chassis.database import create_engine
from services.goals.adapters import tables
from tests.integration.goals.helpers import Plant, as_person, build_plant
from tests.support.calls import every_page, field_violations, read_state, rpc_error, state_unchanged
from tests.support.goals import GoalsHarness
from tests.support.org import OrgHarness

CHECK_IN_RECORDED = "fulcrum.goals.v1.CheckInRecorded"


def days_ago(days: int) -> str:
    return (datetime.now(UTC).date() - timedelta(days=days)).isoformat()


async def record(
    goals: GoalsHarness, plant: Plant, manager: str, employee: str, held_on: str, progress: str, **more
) -> goals_pb2.CheckIn:
    request = goals_pb2.RecordCheckInRequest(
        check_in=goals_pb2.CheckIn(
            employee_id=plant.employees[employee], held_on=held_on, progress=progress, **more
        )
    )
    response = await goals.stub.RecordCheckIn(request, metadata=as_person(goals, plant, manager))
    return response.check_in


async def recorded_events(goals: GoalsHarness) -> list[tuple[str, events_pb2.CheckInRecorded]]:
    """The CheckInRecorded events in the outbox, oldest first, with their tenants."""
    outbox = tables.chassis.outbox
    engine = create_engine(goals.settings.database_url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                select(outbox.c.tenant_id, outbox.c.payload)
                .where(outbox.c.event_type == CHECK_IN_RECORDED)
                .order_by(outbox.c.seq)
            )
            return [(tenant, events_pb2.CheckInRecorded.FromString(payload)) for tenant, payload in rows]
    finally:
        await engine.dispose()


def unchanged(goals: GoalsHarness):
    return state_unchanged(
        goals.settings.database_url, [tables.check_ins, tables.check_in_cadences], tables.chassis.outbox
    )


async def test_the_log_lists_an_employees_check_ins_newest_first_page_by_page(
    org: OrgHarness, goals: GoalsHarness
):
    plant = await build_plant(org, goals)
    oldest = await record(goals, plant, "line_lead", "operator_a", days_ago(20), "Learning the press")
    first_of_day = await record(
        goals,
        plant,
        "line_lead",
        "operator_a",
        days_ago(5),
        "Defect rate 4%",
        problems="Worn die on press 2",
        support_needed="A new die",
        next_steps="Swap the die, measure again",
    )
    newest = await record(goals, plant, "line_lead", "operator_a", days_ago(1), "Defect rate 2.5%")
    second_of_day = await record(goals, plant, "production_manager", "operator_a", days_ago(5), "Skip-level")
    await record(goals, plant, "line_lead", "operator_b", days_ago(1), "Someone else's log")

    pages = await every_page(
        goals.stub.ListCheckIns,
        goals_pb2.ListCheckInsRequest(employee_id=plant.employees["operator_a"], page_size=2),
        "check_ins",
        as_person(goals, plant, "operator_a"),
    )

    assert [len(page) for page in pages] == [2, 2, 0]
    assert [check_in for page in pages for check_in in page] == [newest, second_of_day, first_of_day, oldest]
    assert first_of_day.manager_id == plant.employees["line_lead"]
    assert second_of_day.manager_id == plant.employees["production_manager"]
    assert (first_of_day.problems, first_of_day.support_needed, first_of_day.next_steps) == (
        "Worn die on press 2",
        "A new die",
        "Swap the die, measure again",
    )
    assert first_of_day.held_on == days_ago(5)
    assert first_of_day.create_time.ToDatetime() <= datetime.now(UTC).replace(tzinfo=None)


async def test_a_check_in_can_be_held_today_and_names_the_objectives_discussed(
    org: OrgHarness, goals: GoalsHarness
):
    plant = await build_plant(org, goals)
    objective = (
        await goals.stub.CreateObjective(
            goals_pb2.CreateObjectiveRequest(
                objective=goals_pb2.Objective(
                    title="Defect rate below 3%",
                    level=goals_pb2.OBJECTIVE_LEVEL_EMPLOYEE,
                    owner_employee_id=plant.employees["operator_a"],
                    period_start=days_ago(30),
                    period_end=days_ago(-60),
                )
            ),
            metadata=as_person(goals, plant, "line_lead"),
        )
    ).objective

    check_in = await record(
        goals, plant, "line_lead", "operator_a", days_ago(0), "On track", objective_ids=[objective.id]
    )

    assert check_in.held_on == days_ago(0)
    assert list(check_in.objective_ids) == [objective.id]
    listed = await goals.stub.ListCheckIns(
        goals_pb2.ListCheckInsRequest(employee_id=plant.employees["operator_a"]),
        metadata=as_person(goals, plant, "line_lead"),
    )
    assert list(listed.check_ins) == [check_in]


async def test_each_check_in_is_announced_with_the_whole_record(org: OrgHarness, goals: GoalsHarness):
    plant = await build_plant(org, goals)

    check_in = await record(
        goals,
        plant,
        "line_lead",
        "operator_b",
        days_ago(3),
        "Met the output target",
        next_steps="Train on QA",
    )

    assert (await recorded_events(goals))[-1] == (plant.tenant, events_pb2.CheckInRecorded(check_in=check_in))


async def test_a_check_in_recorded_again_with_its_request_id_is_recorded_once(
    org: OrgHarness, goals: GoalsHarness
):
    plant = await build_plant(org, goals)
    request = goals_pb2.RecordCheckInRequest(
        check_in=goals_pb2.CheckIn(
            employee_id=plant.employees["operator_a"], held_on=days_ago(2), progress="Going well"
        ),
        request_id="weekly-1on1-" + uuid.uuid4().hex,
    )
    lead = as_person(goals, plant, "line_lead")

    first = await goals.stub.RecordCheckIn(request, metadata=lead)
    after_first = await read_state(goals.settings.database_url, [tables.check_ins], tables.chassis.outbox)
    again = await goals.stub.RecordCheckIn(request, metadata=lead)
    after_again = await read_state(goals.settings.database_url, [tables.check_ins], tables.chassis.outbox)

    assert again == first
    assert after_again == after_first
    assert len(after_first.rows["check_ins"]) == 1
    assert [event.check_in for _, event in await recorded_events(goals)] == [first.check_in]


async def test_a_cadence_set_again_with_its_request_id_changes_nothing(org: OrgHarness, goals: GoalsHarness):
    plant = await build_plant(org, goals)
    request = goals_pb2.SetCheckInCadenceRequest(
        cadence=goals_pb2.CheckInCadence(unit_id=plant.units["line1"], cadence=goals_pb2.CADENCE_WEEKLY),
        request_id="cadence-" + uuid.uuid4().hex,
    )
    lead = as_person(goals, plant, "line_lead")

    first = await goals.stub.SetCheckInCadence(request, metadata=lead)
    async with unchanged(goals):
        again = await goals.stub.SetCheckInCadence(request, metadata=lead)

    assert again == first
    assert first.cadence.cadence == goals_pb2.CADENCE_WEEKLY


async def test_bad_check_ins_are_refused_field_by_field_and_change_nothing(
    org: OrgHarness, goals: GoalsHarness
):
    plant = await build_plant(org, goals)
    lead = as_person(goals, plant, "line_lead")
    operator = plant.employees["operator_a"]

    def check_in(**values) -> goals_pb2.RecordCheckInRequest:
        fields = {"employee_id": operator, "held_on": days_ago(1), "progress": "Fine"}
        fields.update(values)
        return goals_pb2.RecordCheckInRequest(check_in=goals_pb2.CheckIn(**fields))

    cases = {
        "check_in.employee_id": (check_in(employee_id=""), "is required"),
        "check_in.held_on": (check_in(held_on=days_ago(-2)), "is in the future"),
        "check_in": (check_in(progress=" "), "say something in at least one of"),
        "check_in.problems": (check_in(problems="x" * 4001), "must be at most 4000 characters"),
        "check_in.objective_ids": (
            check_in(objective_ids=[str(uuid.uuid4()) for _ in range(21)]),
            "must name at most 20 objectives",
        ),
        "check_in.objective_ids[0]": (check_in(objective_ids=[str(uuid.uuid4())]), "no such objective"),
    }
    async with unchanged(goals):
        for field, (request, description) in cases.items():
            error = await rpc_error(
                goals.stub.RecordCheckIn(request, metadata=lead), grpc.StatusCode.INVALID_ARGUMENT
            )
            assert description in field_violations(error)[field], field

        error = await rpc_error(
            goals.stub.RecordCheckIn(check_in(held_on="2026-02-30", progress=""), metadata=lead),
            grpc.StatusCode.INVALID_ARGUMENT,
        )
        assert set(field_violations(error)) == {"check_in.held_on", "check_in"}

        error = await rpc_error(
            goals.stub.SetCheckInCadence(
                goals_pb2.SetCheckInCadenceRequest(
                    cadence=goals_pb2.CheckInCadence(unit_id=plant.units["line1"])
                ),
                metadata=lead,
            ),
            grpc.StatusCode.INVALID_ARGUMENT,
        )
        assert field_violations(error) == {
            "cadence.cadence": "is required: weekly, biweekly, monthly or quarterly"
        }

        error = await rpc_error(
            goals.stub.ListCheckIns(
                goals_pb2.ListCheckInsRequest(employee_id=operator, page_token="not-a-token"), metadata=lead
            ),
            grpc.StatusCode.INVALID_ARGUMENT,
        )
        assert "page_token" in field_violations(error)
