"""Metric values per period come from the readings: the formula over each input summed over the whole
period, whatever order and however late the readings arrive, and a resend changes nothing."""

from __future__ import annotations

import pytest
from fulcrum.goals.v1 import events_pb2, goals_pb2

from tests.integration.goals.readings_helpers import (
    DAY,
    MONTH,
    UNIT,
    WEEK,
    at,
    build_floor,
    events_of,
    metric_values,
    reading,
    readings_unchanged,
    record,
    shift,
)
from tests.support.goals import GoalsHarness
from tests.support.org import OrgHarness


async def test_the_defect_rate_of_a_week_or_month_is_its_defects_over_its_output(
    org: OrgHarness, goals: GoalsHarness
):
    floor = await build_floor(org, goals)
    operator = floor.employee("operator_a")

    first = await record(goals, floor.partner, shift(100, 2, at("2025-03-03T14:00"), operator))
    second = await record(goals, floor.partner, shift(300, 12, at("2025-03-04T14:00"), operator))

    assert (first.accepted, first.duplicates, second.accepted, second.duplicates) == (2, 0, 2, 0)
    days = await metric_values(goals, floor.partner, DAY, operator)
    assert {key: value.value for key, value in days.items()} == {
        "2025-03-03": pytest.approx(2.0),
        "2025-03-04": pytest.approx(4.0),
    }
    # 14 defects of 400 made: 3.5%, not the 3% average of the two days' rates.
    [week] = (await metric_values(goals, floor.partner, WEEK, operator)).values()
    [month] = (await metric_values(goals, floor.partner, MONTH, operator)).values()
    assert (week.period_key, week.period_start, week.period_end) == ("2025-W10", "2025-03-03", "2025-03-09")
    assert (month.period_key, month.period_start, month.period_end) == ("2025-03", "2025-03-01", "2025-03-31")
    for value in (week, month):
        assert value.has_value
        assert value.value == pytest.approx(3.5)
        assert dict(value.inputs) == {"defects": 14.0, "produced": 400.0}
        assert value.reading_count == 4
        assert (value.metric_code, value.scope_kind, value.scope_id) == (
            "defect_rate",
            goals_pb2.SCOPE_KIND_EMPLOYEE,
            operator,
        )


async def test_one_message_can_carry_a_line_and_its_operators(org: OrgHarness, goals: GoalsHarness):
    floor = await build_floor(org, goals)
    line = floor.unit("line1")
    operator = floor.employee("operator_a")
    moment = at("2025-03-03T14:00")

    response = await record(
        goals, floor.partner, [*shift(1000, 20, moment, line, UNIT), *shift(100, 4, moment, operator)]
    )

    assert response.accepted == 4
    assert (await metric_values(goals, floor.partner, DAY, line, UNIT))["2025-03-03"].value == pytest.approx(
        2.0
    )
    assert (await metric_values(goals, floor.partner, DAY, operator))["2025-03-03"].value == pytest.approx(
        4.0
    )


async def test_late_and_out_of_order_readings_land_in_their_own_periods(org: OrgHarness, goals: GoalsHarness):
    floor = await build_floor(org, goals)
    line = floor.unit("line1")
    await record(goals, floor.partner, shift(1000, 30, at("2025-03-10T08:00"), line, UNIT))

    # February's last shift arrives after March's, and in the wrong order: defects before output.
    await record(goals, floor.partner, [reading("defects", 5, at("2025-02-28T22:00"), line, UNIT)])
    february_so_far = (await metric_values(goals, floor.partner, MONTH, line, UNIT))["2025-02"]
    await record(goals, floor.partner, [reading("produced", 50, at("2025-02-28T21:00"), line, UNIT)])

    months = await metric_values(goals, floor.partner, MONTH, line, UNIT)
    assert not february_so_far.has_value
    assert february_so_far.unavailable_reason == "no readings of produced"
    assert months["2025-02"].value == pytest.approx(10.0)
    assert months["2025-03"].value == pytest.approx(3.0)
    assert months["2025-03"].reading_count == 2


async def test_a_resend_changes_no_value_and_announces_nothing(org: OrgHarness, goals: GoalsHarness):
    floor = await build_floor(org, goals)
    operator = floor.employee("operator_b")
    readings = shift(200, 9, at("2025-03-05T10:00"), operator)
    await record(goals, floor.partner, readings)
    before = await metric_values(goals, floor.partner, DAY, operator)

    async with readings_unchanged(goals):
        resent = await record(goals, floor.partner, readings)
        # The same reading twice in one message, and again after it was recorded.
        repeated = await record(goals, floor.partner, [readings[0], readings[0], readings[1]])

    assert (resent.accepted, resent.duplicates) == (0, 2)
    assert (repeated.accepted, repeated.duplicates) == (0, 3)
    assert await metric_values(goals, floor.partner, DAY, operator) == before


async def test_a_reading_repeated_inside_one_message_counts_once(org: OrgHarness, goals: GoalsHarness):
    floor = await build_floor(org, goals)
    operator = floor.employee("operator_a")
    produced, defects = shift(100, 4, at("2025-03-05T10:00"), operator)

    response = await record(goals, floor.partner, [produced, produced, defects])

    assert (response.accepted, response.duplicates) == (2, 1)
    [day] = (await metric_values(goals, floor.partner, DAY, operator)).values()
    assert dict(day.inputs) == {"defects": 4.0, "produced": 100.0}


async def test_a_period_that_divides_by_zero_has_no_value_and_says_why(org: OrgHarness, goals: GoalsHarness):
    floor = await build_floor(org, goals)
    operator = floor.employee("operator_a")

    await record(goals, floor.partner, shift(0, 0, at("2025-03-06T10:00"), operator))

    [day] = (await metric_values(goals, floor.partner, DAY, operator)).values()
    assert not day.has_value
    assert day.unavailable_reason == "produced is 0: division by zero"
    assert dict(day.inputs) == {"defects": 0.0, "produced": 0.0}


async def test_each_message_announces_the_values_it_changed(org: OrgHarness, goals: GoalsHarness):
    floor = await build_floor(org, goals)
    operator = floor.employee("operator_a")

    await record(goals, floor.partner, shift(100, 2, at("2025-03-03T14:00"), operator))

    [event] = await events_of(goals, events_pb2.MetricValuesChanged, floor.tenant)
    announced = {(value.period, value.period_key): value for value in event.values}
    assert sorted(announced) == [
        (goals_pb2.PERIOD_KIND_DAY, "2025-03-03"),
        (goals_pb2.PERIOD_KIND_WEEK, "2025-W10"),
        (goals_pb2.PERIOD_KIND_MONTH, "2025-03"),
        (goals_pb2.PERIOD_KIND_QUARTER, "2025-Q1"),
        (goals_pb2.PERIOD_KIND_YEAR, "2025"),
    ]
    stored = await metric_values(goals, floor.partner, DAY, operator)
    assert announced[(goals_pb2.PERIOD_KIND_DAY, "2025-03-03")] == stored["2025-03-03"]


async def test_values_of_every_scope_page_by_scope_then_period(org: OrgHarness, goals: GoalsHarness):
    floor = await build_floor(org, goals)
    operators = [floor.employee("operator_a"), floor.employee("operator_b")]
    for day in ("2025-03-03", "2025-03-04", "2025-03-05"):
        for operator in operators:
            await record(goals, floor.partner, shift(100, 1, at(f"{day}T10:00"), operator))

    request = goals_pb2.ListMetricValuesRequest(
        metric_code="defect_rate",
        period=DAY,
        page_size=4,
        from_period_key="2025-03-04",
        to_period_key="2025-03-05",
    )
    first = await goals.stub.ListMetricValues(request, metadata=floor.partner)
    request.page_token = first.next_page_token
    second = await goals.stub.ListMetricValues(request, metadata=floor.partner)

    listed = [(value.scope_id, value.period_key) for value in [*first.values, *second.values]]
    assert listed == [
        (operator, day) for operator in sorted(operators) for day in ("2025-03-04", "2025-03-05")
    ]
    assert second.next_page_token == ""
