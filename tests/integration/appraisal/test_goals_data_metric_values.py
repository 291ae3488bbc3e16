"""Appraisal reads goals' metric values for a cycle's period from its own copy, filled from goals'
events: the month, quarter or year whose dates the cycle has, per employee or unit, newest value
winning, and nothing for a half year."""

from __future__ import annotations

from datetime import date

import pytest
from fulcrum.goals.v1 import goals_pb2

from services.chassis.context import ROLE_PARTNER
from tests.integration.appraisal.goals_data_helpers import now_answers, settled
from tests.integration.goals.helpers import Plant, build_plant
from tests.integration.goals.metrics_helpers import create_metric, defect_rate
from tests.integration.goals.readings_helpers import UNIT, at, record, shift
from tests.support.appraisal import AppraisalHarness
from tests.support.calls import Metadata
from tests.support.goals import GoalsHarness
from tests.support.org import OrgHarness, new_tenant

METRIC = "defect_rate"
MARCH = (date(2025, 3, 1), date(2025, 3, 31))
FIRST_QUARTER = (date(2025, 1, 1), date(2025, 3, 31))
YEAR = (date(2025, 1, 1), date(2025, 12, 31))
FIRST_HALF = (date(2025, 1, 1), date(2025, 6, 30))


async def plant_with_metric(org: OrgHarness, goals: GoalsHarness) -> tuple[Plant, Metadata]:
    plant = await build_plant(org, goals)
    await create_metric(goals, goals.admin(plant.tenant), defect_rate(METRIC))
    return plant, goals.as_(plant.tenant, "mes-partner", (ROLE_PARTNER,))


async def stream(goals: GoalsHarness, partner: Metadata, *messages: list[goals_pb2.Reading]) -> None:
    call = goals.stub.StreamReadings(metadata=partner)
    for readings in messages:
        await call.write(goals_pb2.StreamReadingsRequest(readings=readings))
    await call.done_writing()
    assert (await call).messages == len(messages)


def values_for(scope_kind: str, scope_ids: list[str], period: tuple[date, date]):
    return lambda repository: repository.metric_values(METRIC, scope_kind, scope_ids, *period)


async def test_a_cycle_reads_the_month_quarter_or_year_goals_computed_for_its_dates(
    org: OrgHarness, goals: GoalsHarness, appraisal: AppraisalHarness
):
    plant, partner = await plant_with_metric(org, goals)
    tenant = plant.tenant
    operator_a, operator_b = plant.employees["operator_a"], plant.employees["operator_b"]
    inspector = plant.employees["inspector"]

    await stream(
        goals,
        partner,
        shift(100, 2, at("2025-03-03T14:00"), operator_a),
        shift(300, 12, at("2025-03-04T14:00"), operator_a),
        shift(100, 1, at("2025-02-10T14:00"), operator_a),
    )
    await record(goals, partner, shift(500, 5, at("2025-11-05T14:00"), operator_a))
    # Nothing produced: goals has the month but no value for it (a division by zero).
    await record(goals, partner, shift(0, 0, at("2025-03-05T14:00"), operator_b))

    employees = [operator_a, operator_b, inspector]
    # March: 14 defects of 400; the first quarter adds February's 1 of 100; the year November's 5 of 500.
    assert await settled(
        appraisal,
        tenant,
        values_for("employee", employees, YEAR),
        {
            operator_a: pytest.approx(2.0),
            operator_b: None,
            inspector: None,
        },
    )
    assert await now_answers(appraisal, tenant, values_for("employee", employees, MARCH)) == {
        operator_a: pytest.approx(3.5),
        operator_b: None,
        inspector: None,
    }
    assert await now_answers(appraisal, tenant, values_for("employee", employees, FIRST_QUARTER)) == {
        operator_a: pytest.approx(3.0),
        operator_b: None,
        inspector: None,
    }
    # Goals has no half-year period: a half-year cycle finds no value rather than one made up of months.
    assert await now_answers(appraisal, tenant, values_for("employee", [operator_a], FIRST_HALF)) == {
        operator_a: None
    }


async def test_a_unit_has_its_own_values_apart_from_its_employees(
    org: OrgHarness, goals: GoalsHarness, appraisal: AppraisalHarness
):
    plant, partner = await plant_with_metric(org, goals)
    line, operator = plant.units["line1"], plant.employees["operator_a"]

    await record(
        goals,
        partner,
        [
            *shift(1000, 20, at("2025-03-03T08:00"), line, UNIT),
            *shift(100, 4, at("2025-03-03T08:00"), operator),
        ],
    )

    assert await settled(
        appraisal, plant.tenant, values_for("employee", [operator], MARCH), {operator: pytest.approx(4.0)}
    )
    assert await now_answers(appraisal, plant.tenant, values_for("unit", [line], MARCH)) == {
        line: pytest.approx(2.0)
    }
    # The line's id asked as an employee, or the operator's as a unit, names no value.
    assert await now_answers(appraisal, plant.tenant, values_for("employee", [line], MARCH)) == {line: None}
    assert await now_answers(appraisal, plant.tenant, values_for("unit", [operator], MARCH)) == {
        operator: None
    }


async def test_late_readings_replace_the_value_of_their_period(
    org: OrgHarness, goals: GoalsHarness, appraisal: AppraisalHarness
):
    plant, partner = await plant_with_metric(org, goals)
    operator = plant.employees["operator_a"]
    await record(goals, partner, shift(100, 2, at("2025-03-03T14:00"), operator))
    assert await settled(
        appraisal, plant.tenant, values_for("employee", [operator], MARCH), {operator: pytest.approx(2.0)}
    )

    await stream(goals, partner, shift(100, 6, at("2025-03-20T14:00"), operator))

    assert await settled(
        appraisal, plant.tenant, values_for("employee", [operator], MARCH), {operator: pytest.approx(4.0)}
    )
    assert await now_answers(appraisal, plant.tenant, values_for("employee", [operator], FIRST_QUARTER)) == {
        operator: pytest.approx(4.0)
    }


async def test_another_tenant_sees_none_of_the_values(
    org: OrgHarness, goals: GoalsHarness, appraisal: AppraisalHarness
):
    plant, partner = await plant_with_metric(org, goals)
    operator = plant.employees["operator_a"]
    await record(goals, partner, shift(100, 2, at("2025-03-03T14:00"), operator))
    assert await settled(
        appraisal, plant.tenant, values_for("employee", [operator], MARCH), {operator: pytest.approx(2.0)}
    )

    assert await now_answers(appraisal, new_tenant(), values_for("employee", [operator], MARCH)) == {
        operator: None
    }
