"""Who may send readings and who may read metric values; another tenant's metrics and people are not found."""

from __future__ import annotations

import grpc
import pytest
from fulcrum.goals.v1 import goals_pb2

from services.chassis.context import ROLE_ADMIN, ROLE_EMPLOYEE, ROLE_HR, ROLE_PARTNER
from tests.integration.goals.helpers import as_person
from tests.integration.goals.readings_helpers import (
    DAY,
    EMPLOYEE,
    UNIT,
    Floor,
    at,
    build_floor,
    metric_values,
    readings_unchanged,
    record,
    shift,
)
from tests.support.calls import Metadata, rpc_error
from tests.support.goals import GoalsHarness
from tests.support.org import OrgHarness


@pytest.fixture
async def floor(org: OrgHarness, goals: GoalsHarness) -> Floor:
    floor = await build_floor(org, goals)
    await record(goals, floor.partner, shift(100, 5, at("2025-03-03T08:00"), floor.employee("operator_a")))
    await record(goals, floor.partner, shift(900, 9, at("2025-03-03T08:00"), floor.unit("line1"), UNIT))
    return floor


def hr_of(goals: GoalsHarness, floor: Floor, *unit_names: str) -> Metadata:
    units = [floor.unit(name) for name in unit_names]
    return goals.as_(floor.tenant, floor.employee("inspector"), (ROLE_EMPLOYEE, ROLE_HR), units)


async def test_people_other_than_admins_and_tenant_wide_hr_may_not_send_readings(
    goals: GoalsHarness, floor: Floor
):
    readings = shift(10, 1, at("2025-03-04T08:00"), floor.employee("operator_b"))
    for metadata in (
        as_person(goals, floor.plant, "line_lead"),
        as_person(goals, floor.plant, "ceo"),
        hr_of(goals, floor, "production"),
    ):
        async with readings_unchanged(goals):
            await rpc_error(record(goals, metadata, readings), grpc.StatusCode.PERMISSION_DENIED)


@pytest.mark.parametrize("roles", [(ROLE_PARTNER,), (ROLE_ADMIN,), (ROLE_HR,)])
async def test_partners_admins_and_tenant_wide_hr_send_readings(
    goals: GoalsHarness, floor: Floor, roles: tuple[str, ...]
):
    readings = shift(10, 1, at("2025-03-04T08:00"), floor.employee("operator_b"))

    response = await record(goals, goals.as_(floor.tenant, "sender", roles), readings)

    assert response.accepted == 2


async def test_everyone_of_the_tenant_reads_a_unit_s_values(goals: GoalsHarness, floor: Floor):
    line = floor.unit("line1")
    for name in ("operator_b", "inspector", "ceo"):
        days = await metric_values(goals, as_person(goals, floor.plant, name), DAY, line, UNIT)
        assert days["2025-03-03"].value == pytest.approx(1.0)


@pytest.mark.parametrize("reader", ["operator_a", "line_lead", "production_manager", "ceo"])
async def test_an_employee_s_values_are_theirs_and_their_managers(
    goals: GoalsHarness, floor: Floor, reader: str
):
    operator = floor.employee("operator_a")

    days = await metric_values(goals, as_person(goals, floor.plant, reader), DAY, operator, EMPLOYEE)

    assert days["2025-03-03"].value == pytest.approx(5.0)


async def test_hr_of_the_employee_s_units_admins_and_partners_read_an_employee_s_values(
    goals: GoalsHarness, floor: Floor
):
    operator = floor.employee("operator_a")
    for metadata in (hr_of(goals, floor, "production"), goals.admin(floor.tenant), floor.partner):
        assert list(await metric_values(goals, metadata, DAY, operator, EMPLOYEE)) == ["2025-03-03"]


async def test_others_may_not_read_an_employee_s_values(goals: GoalsHarness, floor: Floor):
    request = goals_pb2.ListMetricValuesRequest(
        metric_code="defect_rate", period=DAY, scope_kind=EMPLOYEE, scope_id=floor.employee("operator_a")
    )
    for metadata in (
        as_person(goals, floor.plant, "operator_b"),
        as_person(goals, floor.plant, "quality_manager"),
        hr_of(goals, floor, "quality"),
    ):
        await rpc_error(
            goals.stub.ListMetricValues(request, metadata=metadata), grpc.StatusCode.PERMISSION_DENIED
        )


async def test_every_scope_at_once_is_for_admins_tenant_wide_hr_and_partners(
    goals: GoalsHarness, floor: Floor
):
    request = goals_pb2.ListMetricValuesRequest(metric_code="defect_rate", period=DAY)
    for metadata in (as_person(goals, floor.plant, "ceo"), hr_of(goals, floor, "company")):
        await rpc_error(
            goals.stub.ListMetricValues(request, metadata=metadata), grpc.StatusCode.PERMISSION_DENIED
        )
    for metadata in (goals.admin(floor.tenant), goals.as_(floor.tenant, "hr", (ROLE_HR,)), floor.partner):
        assert len(await metric_values(goals, metadata, DAY)) == 2


async def test_another_tenant_s_metrics_people_and_values_are_not_found(
    org: OrgHarness, goals: GoalsHarness, floor: Floor
):
    other = await build_floor(org, goals)
    operator = floor.employee("operator_a")
    theirs = goals.admin(other.tenant)

    # Their catalog has a defect rate too, but none of our values show in it.
    assert await metric_values(goals, theirs, DAY) == {}
    await rpc_error(
        goals.stub.ListMetricValues(
            goals_pb2.ListMetricValuesRequest(
                metric_code="defect_rate", period=DAY, scope_kind=EMPLOYEE, scope_id=operator
            ),
            metadata=theirs,
        ),
        grpc.StatusCode.NOT_FOUND,
    )
    await rpc_error(
        goals.stub.ListMetricValues(
            goals_pb2.ListMetricValuesRequest(
                metric_code="defect_rate", period=DAY, scope_kind=UNIT, scope_id=floor.unit("line1")
            ),
            metadata=theirs,
        ),
        grpc.StatusCode.NOT_FOUND,
    )
    lonely = await build_floor(org, goals)
    await goals.stub.DeleteMetric(
        goals_pb2.DeleteMetricRequest(metric_code="defect_rate"), metadata=goals.admin(lonely.tenant)
    )
    await rpc_error(
        goals.stub.ListMetricValues(
            goals_pb2.ListMetricValuesRequest(metric_code="defect_rate", period=DAY),
            metadata=goals.admin(lonely.tenant),
        ),
        grpc.StatusCode.NOT_FOUND,
    )
    async with readings_unchanged(goals):
        await rpc_error(
            record(goals, other.partner, shift(1, 1, at("2025-03-04T08:00"), operator)),
            grpc.StatusCode.INVALID_ARGUMENT,
        )
