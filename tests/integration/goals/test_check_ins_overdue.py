"""Overdue check-ins (G5): a team's cadence, inherited by the units below it, says when each employee's
next check-in is due; managers and HR see who is past due, most overdue first.

The first check-in of an employee who has had none is due one interval after the cadence began. No call
sets a cadence in the past, so these tests move the day a cadence began back in the database rather than
wait weeks.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, date, datetime, timedelta

from fulcrum.goals.v1 import goals_pb2
from fulcrum.org.v1 import org_pb2
from sqlalchemy import update

from services.chassis.context import ROLE_HR
from services.chassis.database import create_engine
from services.goals.adapters import tables
from tests.integration.goals.helpers import Plant, as_person, build_plant
from tests.support.calls import Metadata, every_page
from tests.support.goals import GoalsHarness
from tests.support.org import OrgHarness

TODAY = datetime.now(UTC).date()
DIRECTORY_TIMEOUT_SECONDS = 20


def day(days_ago: int) -> str:
    return (TODAY - timedelta(days=days_ago)).isoformat()


async def set_cadence(goals: GoalsHarness, plant: Plant, who: Metadata, unit: str, cadence: int) -> None:
    await goals.stub.SetCheckInCadence(
        goals_pb2.SetCheckInCadenceRequest(
            cadence=goals_pb2.CheckInCadence(unit_id=plant.units[unit], cadence=cadence)
        ),
        metadata=who,
    )


async def cadence_began(goals: GoalsHarness, plant: Plant, unit: str, days_ago: int) -> None:
    cadences = tables.check_in_cadences
    engine = create_engine(goals.settings.database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                update(cadences)
                .where(cadences.c.tenant_id == plant.tenant, cadences.c.unit_id == plant.units[unit])
                .values(started_on=TODAY - timedelta(days=days_ago))
            )
    finally:
        await engine.dispose()


async def record(goals: GoalsHarness, plant: Plant, manager: str, employee: str, days_ago: int) -> None:
    await goals.stub.RecordCheckIn(
        goals_pb2.RecordCheckInRequest(
            check_in=goals_pb2.CheckIn(
                employee_id=plant.employees[employee], held_on=day(days_ago), progress="Caught up"
            )
        ),
        metadata=as_person(goals, plant, manager),
    )


async def overdue(goals: GoalsHarness, who: Metadata, unit_id: str = "") -> list[goals_pb2.OverdueCheckIn]:
    response = await goals.stub.ListOverdueCheckIns(
        goals_pb2.ListOverdueCheckInsRequest(unit_id=unit_id, page_size=1000), metadata=who
    )
    return list(response.overdue)


def names(plant: Plant, items: list[goals_pb2.OverdueCheckIn]) -> list[str]:
    by_id = {employee_id: name for name, employee_id in plant.employees.items()}
    return [by_id[item.employee_id] for item in items]


async def weekly_production(org: OrgHarness, goals: GoalsHarness) -> Plant:
    """Production checks in weekly since 30 days ago (line 1 has no cadence of its own); operator A had
    a check-in 10 days ago, nobody else in production has had one."""
    plant = await build_plant(org, goals)
    await set_cadence(
        goals, plant, as_person(goals, plant, "production_manager"), "production", goals_pb2.CADENCE_WEEKLY
    )
    await cadence_began(goals, plant, "production", 30)
    await record(goals, plant, "line_lead", "operator_a", 10)
    return plant


async def test_overdue_counts_from_the_last_check_in_or_else_from_when_the_cadence_began(
    org: OrgHarness, goals: GoalsHarness
):
    plant = await weekly_production(org, goals)

    found = await overdue(goals, as_person(goals, plant, "line_lead"))

    assert found == [
        goals_pb2.OverdueCheckIn(
            employee_id=plant.employees["operator_b"],
            manager_id=plant.employees["line_lead"],
            cadence=goals_pb2.CADENCE_WEEKLY,
            last_held_on="",
            due_on=day(23),
            days_overdue=23,
        ),
        goals_pb2.OverdueCheckIn(
            employee_id=plant.employees["operator_a"],
            manager_id=plant.employees["line_lead"],
            cadence=goals_pb2.CADENCE_WEEKLY,
            last_held_on=day(10),
            due_on=day(3),
            days_overdue=3,
        ),
    ]


async def test_each_manager_sees_the_overdue_people_they_manage_and_a_unit_narrows_it(
    org: OrgHarness, goals: GoalsHarness
):
    plant = await weekly_production(org, goals)

    as_production_manager = names(plant, await overdue(goals, as_person(goals, plant, "production_manager")))
    as_ceo = await overdue(goals, as_person(goals, plant, "ceo"))

    assert sorted(as_production_manager[:2]) == ["line_lead", "operator_b"]
    assert as_production_manager[2:] == ["operator_a"]
    assert sorted(names(plant, as_ceo[:3])) == ["line_lead", "operator_b", "production_manager"]
    assert names(plant, as_ceo[3:]) == ["operator_a"]
    assert {item.employee_id: item.manager_id for item in as_ceo}[plant.employees["production_manager"]] == (
        plant.employees["ceo"]
    )
    line1 = await overdue(goals, as_person(goals, plant, "ceo"), plant.units["line1"])
    assert sorted(names(plant, line1)) == ["line_lead", "operator_a", "operator_b"]
    assert await overdue(goals, as_person(goals, plant, "operator_a")) == []
    assert await overdue(goals, as_person(goals, plant, "quality_manager")) == []
    assert await overdue(goals, as_person(goals, plant, "line_lead"), plant.units["production"]) == [
        item
        for item in as_ceo
        if item.employee_id in {plant.employees["operator_a"], plant.employees["operator_b"]}
    ]


async def test_a_units_own_cadence_overrides_the_one_it_would_inherit(org: OrgHarness, goals: GoalsHarness):
    plant = await weekly_production(org, goals)

    await set_cadence(goals, plant, as_person(goals, plant, "line_lead"), "line1", goals_pb2.CADENCE_MONTHLY)

    assert names(plant, await overdue(goals, as_person(goals, plant, "ceo"))) == ["production_manager"]
    listed = await goals.stub.ListCheckInCadences(
        goals_pb2.ListCheckInCadencesRequest(), metadata=as_person(goals, plant, "operator_a")
    )
    assert {(c.unit_id, c.cadence) for c in listed.cadences} == {
        (plant.units["production"], goals_pb2.CADENCE_WEEKLY),
        (plant.units["line1"], goals_pb2.CADENCE_MONTHLY),
    }


async def test_a_cadence_on_the_top_unit_reaches_every_team_but_nobody_is_due_without_someone_to_hold_it(
    org: OrgHarness, goals: GoalsHarness
):
    plant = await weekly_production(org, goals)
    admin = goals.admin(plant.tenant)
    await set_cadence(goals, plant, admin, "company", goals_pb2.CADENCE_QUARTERLY)
    await cadence_began(goals, plant, "company", 200)

    found = {item.employee_id: item for item in await overdue(goals, admin)}

    assert set(found) == {plant.employees[name] for name in plant.employees if name != "ceo"}
    inspector = found[plant.employees["inspector"]]
    assert inspector.cadence == goals_pb2.CADENCE_QUARTERLY
    assert date.fromisoformat(inspector.due_on) < TODAY - timedelta(days=100)
    assert inspector.manager_id == plant.employees["quality_manager"]
    assert found[plant.employees["operator_b"]].cadence == goals_pb2.CADENCE_WEEKLY


async def test_hr_sees_the_overdue_of_their_scope_page_by_page_and_a_new_check_in_clears_one(
    org: OrgHarness, goals: GoalsHarness
):
    plant = await weekly_production(org, goals)
    hr = goals.as_(plant.tenant, "hr-everyone", (ROLE_HR,))
    everything = await overdue(goals, hr)

    pages = await every_page(
        goals.stub.ListOverdueCheckIns, goals_pb2.ListOverdueCheckInsRequest(page_size=1), "overdue", hr
    )

    assert len(everything) == 4
    assert [item for page in pages for item in page] == everything
    assert [item.days_overdue for item in everything] == [23, 23, 23, 3]
    line1_hr = goals.as_(plant.tenant, "hr-line1", (ROLE_HR,), (plant.units["line1"],))
    assert sorted(names(plant, await overdue(goals, line1_hr))) == ["line_lead", "operator_a", "operator_b"]
    quality_hr = goals.as_(plant.tenant, "hr-quality", (ROLE_HR,), (plant.units["quality"],))
    assert await overdue(goals, quality_hr) == []

    await record(goals, plant, "line_lead", "operator_b", 1)

    assert "operator_b" not in names(plant, await overdue(goals, hr))


async def test_a_manager_outside_the_unit_sees_the_overdue_of_everyone_reporting_to_them_directly_or_not(
    org: OrgHarness, goals: GoalsHarness
):
    plant = await weekly_production(org, goals)
    operator_b, inspector = plant.employees["operator_b"], plant.employees["inspector"]
    await org.stub.ChangeManager(
        org_pb2.ChangeManagerRequest(employee_id=operator_b, new_manager_id=inspector),
        metadata=org.admin(plant.tenant),
    )
    deadline = time.monotonic() + DIRECTORY_TIMEOUT_SECONDS
    while not (found := await overdue(goals, as_person(goals, plant, "inspector"))):
        assert time.monotonic() < deadline, "goals never learned that operator B reports to the inspector"
        await asyncio.sleep(0.1)

    assert [(item.employee_id, item.manager_id, item.days_overdue) for item in found] == [
        (operator_b, inspector, 23)
    ]
    assert await overdue(goals, as_person(goals, plant, "quality_manager")) == found
    assert names(plant, await overdue(goals, as_person(goals, plant, "line_lead"))) == [
        "operator_b",
        "operator_a",
    ]
