"""One bad reading rejects its whole message with INVALID_ARGUMENT, naming every problem, and nothing of
the message is recorded."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from fulcrum.goals.v1 import goals_pb2

from tests.integration.goals.readings_helpers import (
    DAY,
    UNIT,
    Floor,
    at,
    build_floor,
    metric_values,
    reading,
    readings_unchanged,
    record,
    shift,
)
from tests.support.calls import field_violations, rpc_error
from tests.support.goals import GoalsHarness
from tests.support.org import OrgHarness


async def refused(goals: GoalsHarness, floor: Floor, bad: goals_pb2.Reading) -> dict[str, str]:
    """The violations of a message whose second reading is `bad`, after proving it changed nothing."""
    good = reading("produced", 100, at("2025-03-03T10:00"), floor.employee("operator_a"))
    async with readings_unchanged(goals):
        error = await rpc_error(record(goals, floor.partner, [good, bad]), grpc.StatusCode.INVALID_ARGUMENT)
    return field_violations(error)


@pytest.fixture
async def floor(org: OrgHarness, goals: GoalsHarness) -> Floor:
    return await build_floor(org, goals)


async def test_every_problem_of_every_reading_is_named_at_once(goals: GoalsHarness, floor: Floor):
    operator = floor.employee("operator_a")
    moment = at("2025-03-03T10:00")
    readings = [
        reading("produced", 100, moment, operator),
        reading("produced", 1, moment, operator, metric_code="scrap_rate"),
        reading("rejects", 1, moment, operator),
        reading("produced", math.nan, moment, operator, source=""),
    ]

    async with readings_unchanged(goals):
        error = await rpc_error(record(goals, floor.partner, readings), grpc.StatusCode.INVALID_ARGUMENT)

    assert field_violations(error) == {
        "readings[1].metric_code": 'no metric "scrap_rate"',
        "readings[2].input": '"rejects" is not an input of defect_rate (defects, produced)',
        "readings[3].value": "must be a finite number, not nan",
        "readings[3].source": "is required",
    }
    assert "nothing was recorded" in (error.details() or "")
    assert await metric_values(goals, floor.partner, DAY, operator) == {}


async def test_a_reading_for_nobody_known_is_refused(org: OrgHarness, goals: GoalsHarness, floor: Floor):
    moment = at("2025-03-03T10:00")
    other = await build_floor(org, goals)

    assert await refused(goals, floor, reading("produced", 1, moment, "no-such-employee")) == {
        "readings[1].scope_id": 'no employee "no-such-employee"'
    }
    assert await refused(goals, floor, reading("produced", 1, moment, "no-such-line", UNIT)) == {
        "readings[1].scope_id": 'no unit "no-such-line"'
    }
    # Another tenant's employee, and a unit id sent as an employee, are unknown too.
    their_operator = other.employee("operator_a")
    assert await refused(goals, floor, reading("produced", 1, moment, their_operator)) == {
        "readings[1].scope_id": f'no employee "{their_operator}"'
    }
    line = floor.unit("line1")
    assert await refused(goals, floor, reading("produced", 1, moment, line)) == {
        "readings[1].scope_id": f'no employee "{line}"'
    }
    unspecified = reading("produced", 1, moment, line, goals_pb2.SCOPE_KIND_UNSPECIFIED)
    assert await refused(goals, floor, unspecified) == {
        "readings[1].scope_kind": "must be SCOPE_KIND_EMPLOYEE or SCOPE_KIND_UNIT"
    }


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
async def test_a_value_that_is_not_a_finite_number_is_refused(
    goals: GoalsHarness, floor: Floor, value: float
):
    bad = reading("defects", value, at("2025-03-03T10:00"), floor.employee("operator_b"))

    assert await refused(goals, floor, bad) == {"readings[1].value": f"must be a finite number, not {value}"}


async def test_a_reading_without_a_time_or_from_the_future_is_refused(goals: GoalsHarness, floor: Floor):
    operator = floor.employee("operator_b")
    untimed = reading("defects", 1, at("2025-03-03T10:00"), operator)
    untimed.ClearField("measure_time")
    ahead = datetime.now(UTC) + timedelta(minutes=10)

    assert await refused(goals, floor, untimed) == {"readings[1].measure_time": "is required"}
    violations = await refused(goals, floor, reading("defects", 1, ahead, operator))
    assert list(violations) == ["readings[1].measure_time"]
    assert violations["readings[1].measure_time"].endswith(
        "is more than 5 minutes ahead of the server's clock"
    )


async def test_a_reading_needs_its_source_and_the_source_s_own_id(goals: GoalsHarness, floor: Floor):
    operator = floor.employee("operator_b")
    moment = at("2025-03-03T10:00")

    assert await refused(goals, floor, reading("defects", 1, moment, operator, source="")) == {
        "readings[1].source": "is required"
    }
    nameless = reading("defects", 1, moment, operator)
    nameless.source_id = ""
    assert await refused(goals, floor, nameless) == {"readings[1].source_id": "is required"}
    long_id = reading("defects", 1, moment, operator, source_id="r" * 201)
    assert await refused(goals, floor, long_id) == {
        "readings[1].source_id": "is 201 characters long; the limit is 200"
    }


async def test_a_message_of_more_than_ten_thousand_readings_is_refused(goals: GoalsHarness, floor: Floor):
    readings = shift(10, 1, at("2025-03-03T10:00"), floor.employee("operator_a")) * 5001

    async with readings_unchanged(goals):
        error = await rpc_error(record(goals, floor.partner, readings), grpc.StatusCode.INVALID_ARGUMENT)

    assert field_violations(error) == {"readings": "has 10002 readings; the limit is 10000 a message"}


async def test_an_empty_message_changes_nothing(goals: GoalsHarness, floor: Floor):
    async with readings_unchanged(goals):
        response = await record(goals, floor.partner, [])

    assert (response.accepted, response.duplicates) == (0, 0)


@pytest.mark.parametrize(
    ("request_fields", "violations"),
    [
        ({"period": DAY}, {"metric_code": "is required"}),
        ({"metric_code": "defect_rate"}, {"period": "is required: day, week, month, quarter or year"}),
        (
            {"metric_code": "defect_rate", "period": DAY, "scope_id": "x"},
            {"scope_kind": "and scope_id go together: both or neither"},
        ),
        (
            {"metric_code": "defect_rate", "period": DAY, "from_period_key": "2025-W10"},
            {"from_period_key": "'2025-W10' is not a day key; expected one such as 2026-11-23"},
        ),
    ],
)
async def test_listing_values_needs_a_metric_a_period_and_well_formed_bounds(
    goals: GoalsHarness, floor: Floor, request_fields: dict[str, object], violations: dict[str, str]
):
    request = goals_pb2.ListMetricValuesRequest(**request_fields)  # type: ignore[arg-type]

    error = await rpc_error(
        goals.stub.ListMetricValues(request, metadata=floor.partner), grpc.StatusCode.INVALID_ARGUMENT
    )

    assert field_violations(error) == violations
