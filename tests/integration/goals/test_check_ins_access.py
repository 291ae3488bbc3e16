"""Who may record, read and schedule check-ins (G5, W2): a check-in is the manager's record, the log is
the employee's and their managers' and HR's to read, and another tenant sees none of it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import grpc
from fulcrum.goals.v1 import goals_pb2

from services.chassis.context import ROLE_HR, ROLE_PARTNER
from services.goals.adapters import tables
from tests.integration.goals.helpers import Plant, as_person, build_plant
from tests.support.calls import Metadata, rpc_error, state_unchanged
from tests.support.goals import GoalsHarness
from tests.support.org import OrgHarness

YESTERDAY = (datetime.now(UTC).date() - timedelta(days=1)).isoformat()


def callers(goals: GoalsHarness, plant: Plant) -> dict[str, Metadata]:
    """The plant's people, plus HR scoped to production or to quality, an admin and a partner system."""
    people = {name: as_person(goals, plant, name) for name in plant.employees}
    return {
        **people,
        "hr_production": goals.as_(plant.tenant, "hr-production", (ROLE_HR,), (plant.units["production"],)),
        "hr_quality": goals.as_(plant.tenant, "hr-quality", (ROLE_HR,), (plant.units["quality"],)),
        "hr": goals.as_(plant.tenant, "hr-everyone", (ROLE_HR,)),
        "admin": goals.admin(plant.tenant),
        "partner": goals.as_(plant.tenant, "mes-system", (ROLE_PARTNER,)),
    }


def unchanged(goals: GoalsHarness):
    return state_unchanged(
        goals.settings.database_url, [tables.check_ins, tables.check_in_cadences], tables.chassis.outbox
    )


def check_in_of(employee_id: str, held_on: str = YESTERDAY) -> goals_pb2.RecordCheckInRequest:
    return goals_pb2.RecordCheckInRequest(
        check_in=goals_pb2.CheckIn(employee_id=employee_id, held_on=held_on, progress="Talked it through")
    )


async def test_the_employees_managers_unit_heads_and_hr_covering_them_record_their_check_ins(
    org: OrgHarness, goals: GoalsHarness
):
    plant = await build_plant(org, goals)
    who = callers(goals, plant)
    operator = plant.employees["operator_a"]

    for name, subject in [
        ("line_lead", plant.employees["line_lead"]),
        ("production_manager", plant.employees["production_manager"]),
        ("ceo", plant.employees["ceo"]),
        ("hr_production", "hr-production"),
        ("admin", "admin"),
    ]:
        recorded = (await goals.stub.RecordCheckIn(check_in_of(operator), metadata=who[name])).check_in
        assert recorded.manager_id == subject, name

    async with unchanged(goals):
        for name in ["operator_a", "operator_b", "quality_manager", "inspector", "hr_quality", "partner"]:
            await rpc_error(
                goals.stub.RecordCheckIn(check_in_of(operator), metadata=who[name]),
                grpc.StatusCode.PERMISSION_DENIED,
            )
        await rpc_error(
            goals.stub.RecordCheckIn(check_in_of(str(uuid.uuid4())), metadata=who["admin"]),
            grpc.StatusCode.NOT_FOUND,
        )


async def test_the_log_is_read_by_the_employee_their_managers_and_hr_covering_them_only(
    org: OrgHarness, goals: GoalsHarness
):
    plant = await build_plant(org, goals)
    who = callers(goals, plant)
    operator = plant.employees["operator_a"]
    check_in = (await goals.stub.RecordCheckIn(check_in_of(operator), metadata=who["line_lead"])).check_in
    request = goals_pb2.ListCheckInsRequest(employee_id=operator)

    for name in ["operator_a", "line_lead", "production_manager", "ceo", "hr_production", "hr", "admin"]:
        listed = await goals.stub.ListCheckIns(request, metadata=who[name])
        assert list(listed.check_ins) == [check_in], name
    for name in ["operator_b", "quality_manager", "inspector", "hr_quality", "partner"]:
        await rpc_error(goals.stub.ListCheckIns(request, metadata=who[name]), grpc.StatusCode.NOT_FOUND)
    await rpc_error(
        goals.stub.ListCheckIns(
            goals_pb2.ListCheckInsRequest(employee_id=str(uuid.uuid4())), metadata=who["admin"]
        ),
        grpc.StatusCode.NOT_FOUND,
    )


async def test_a_units_cadence_is_set_by_the_heads_above_it_and_hr_covering_it_and_read_by_everyone(
    org: OrgHarness, goals: GoalsHarness
):
    plant = await build_plant(org, goals)
    who = callers(goals, plant)

    def cadence(unit: str, kind: int) -> goals_pb2.SetCheckInCadenceRequest:
        return goals_pb2.SetCheckInCadenceRequest(
            cadence=goals_pb2.CheckInCadence(unit_id=plant.units[unit], cadence=kind)
        )

    for name, unit, kind in [
        ("line_lead", "line1", goals_pb2.CADENCE_WEEKLY),
        ("production_manager", "line1", goals_pb2.CADENCE_BIWEEKLY),
        ("hr_quality", "quality", goals_pb2.CADENCE_MONTHLY),
        ("admin", "company", goals_pb2.CADENCE_QUARTERLY),
    ]:
        response = await goals.stub.SetCheckInCadence(cadence(unit, kind), metadata=who[name])
        assert (response.cadence.unit_id, response.cadence.cadence) == (plant.units[unit], kind), name

    async with unchanged(goals):
        for name, unit in [
            ("line_lead", "production"),
            ("operator_a", "line1"),
            ("quality_manager", "line1"),
            ("hr_quality", "production"),
            ("partner", "line1"),
        ]:
            await rpc_error(
                goals.stub.SetCheckInCadence(cadence(unit, goals_pb2.CADENCE_WEEKLY), metadata=who[name]),
                grpc.StatusCode.PERMISSION_DENIED,
            )
        await rpc_error(
            goals.stub.SetCheckInCadence(
                goals_pb2.SetCheckInCadenceRequest(
                    cadence=goals_pb2.CheckInCadence(
                        unit_id=str(uuid.uuid4()), cadence=goals_pb2.CADENCE_WEEKLY
                    )
                ),
                metadata=who["admin"],
            ),
            grpc.StatusCode.NOT_FOUND,
        )

    listed = await goals.stub.ListCheckInCadences(
        goals_pb2.ListCheckInCadencesRequest(), metadata=who["inspector"]
    )
    assert {(c.unit_id, c.cadence) for c in listed.cadences} == {
        (plant.units["line1"], goals_pb2.CADENCE_BIWEEKLY),
        (plant.units["quality"], goals_pb2.CADENCE_MONTHLY),
        (plant.units["company"], goals_pb2.CADENCE_QUARTERLY),
    }


async def test_another_tenants_check_ins_cadences_and_units_are_not_found(
    org: OrgHarness, goals: GoalsHarness
):
    plant = await build_plant(org, goals)
    other = await build_plant(org, goals)
    mine, theirs = goals.admin(plant.tenant), goals.admin(other.tenant)
    operator, line1 = plant.employees["operator_a"], plant.units["line1"]
    ten_days_ago = (datetime.now(UTC).date() - timedelta(days=10)).isoformat()
    await goals.stub.RecordCheckIn(
        check_in_of(operator, ten_days_ago), metadata=as_person(goals, plant, "line_lead")
    )
    await goals.stub.SetCheckInCadence(
        goals_pb2.SetCheckInCadenceRequest(
            cadence=goals_pb2.CheckInCadence(unit_id=line1, cadence=goals_pb2.CADENCE_WEEKLY)
        ),
        metadata=mine,
    )

    async with unchanged(goals):
        await rpc_error(
            goals.stub.RecordCheckIn(check_in_of(operator), metadata=theirs), grpc.StatusCode.NOT_FOUND
        )
        await rpc_error(
            goals.stub.ListCheckIns(goals_pb2.ListCheckInsRequest(employee_id=operator), metadata=theirs),
            grpc.StatusCode.NOT_FOUND,
        )
        await rpc_error(
            goals.stub.SetCheckInCadence(
                goals_pb2.SetCheckInCadenceRequest(
                    cadence=goals_pb2.CheckInCadence(unit_id=line1, cadence=goals_pb2.CADENCE_MONTHLY)
                ),
                metadata=theirs,
            ),
            grpc.StatusCode.NOT_FOUND,
        )
        await rpc_error(
            goals.stub.ListOverdueCheckIns(
                goals_pb2.ListOverdueCheckInsRequest(unit_id=line1), metadata=theirs
            ),
            grpc.StatusCode.NOT_FOUND,
        )
        cadences = await goals.stub.ListCheckInCadences(
            goals_pb2.ListCheckInCadencesRequest(), metadata=theirs
        )
        assert list(cadences.cadences) == []
        overdue = await goals.stub.ListOverdueCheckIns(
            goals_pb2.ListOverdueCheckInsRequest(), metadata=theirs
        )
        assert list(overdue.overdue) == []
    overdue = await goals.stub.ListOverdueCheckIns(goals_pb2.ListOverdueCheckInsRequest(), metadata=mine)
    assert [item.employee_id for item in overdue.overdue] == [operator]
