"""A continuous feed: each message of a StreamReadings call is applied as it arrives, and a bad message
ends the stream with INVALID_ARGUMENT while the messages before it stay applied."""

from __future__ import annotations

import asyncio
import time

import grpc
import pytest
from fulcrum.goals.v1 import goals_pb2

from tests.integration.goals.readings_helpers import (
    DAY,
    UNIT,
    WEEK,
    Floor,
    at,
    build_floor,
    metric_values,
    reading,
    shift,
)
from tests.support.calls import field_violations
from tests.support.goals import GoalsHarness
from tests.support.org import OrgHarness

APPLIED_TIMEOUT_SECONDS = 10


async def wait_for_day(goals: GoalsHarness, floor: Floor, line: str, day: str) -> goals_pb2.MetricValue:
    """The line's value for the day, once it is there."""
    deadline = time.monotonic() + APPLIED_TIMEOUT_SECONDS
    while True:
        values = await metric_values(goals, floor.partner, DAY, line, UNIT)
        if day in values:
            return values[day]
        assert time.monotonic() < deadline, f"{day} was not applied while the stream stayed open"
        await asyncio.sleep(0.05)


async def test_each_message_of_a_stream_is_applied_before_the_stream_ends(
    org: OrgHarness, goals: GoalsHarness
):
    floor = await build_floor(org, goals)
    line = floor.unit("line1")
    call = goals.stub.StreamReadings(metadata=floor.partner)

    await call.write(
        goals_pb2.StreamReadingsRequest(readings=shift(500, 10, at("2025-03-03T08:00"), line, UNIT))
    )
    monday = await wait_for_day(goals, floor, line, "2025-03-03")
    second = [
        *shift(500, 20, at("2025-03-04T08:00"), line, UNIT),
        *shift(500, 10, at("2025-03-03T08:00"), line, UNIT),
    ]
    await call.write(goals_pb2.StreamReadingsRequest(readings=second))
    await call.write(goals_pb2.StreamReadingsRequest(readings=second[:2]))
    await call.done_writing()
    response = await call

    assert monday.value == pytest.approx(2.0)
    assert (response.messages, response.accepted, response.duplicates) == (3, 6, 2)
    [week] = (await metric_values(goals, floor.partner, WEEK, line, UNIT)).values()
    assert week.value == pytest.approx(40 / 1500 * 100)


async def test_a_bad_message_ends_the_stream_and_the_earlier_ones_stay(org: OrgHarness, goals: GoalsHarness):
    floor = await build_floor(org, goals)
    line = floor.unit("line1")
    messages = [
        goals_pb2.StreamReadingsRequest(readings=shift(400, 4, at("2025-03-03T08:00"), line, UNIT)),
        goals_pb2.StreamReadingsRequest(
            readings=[
                *shift(400, 40, at("2025-03-04T08:00"), line, UNIT),
                reading("produced", 1, at("2025-03-04T09:00"), "no-such-line", UNIT),
            ]
        ),
        goals_pb2.StreamReadingsRequest(readings=shift(400, 8, at("2025-03-05T08:00"), line, UNIT)),
    ]

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await goals.stub.StreamReadings(iter(messages), metadata=floor.partner)

    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field_violations(caught.value) == {"readings[2].scope_id": 'no unit "no-such-line"'}
    days = await metric_values(goals, floor.partner, DAY, line, UNIT)
    assert list(days) == ["2025-03-03"]
    assert days["2025-03-03"].value == pytest.approx(1.0)


async def test_only_partners_admins_and_hr_may_stream(org: OrgHarness, goals: GoalsHarness):
    floor = await build_floor(org, goals)
    line = floor.unit("line1")
    request = goals_pb2.StreamReadingsRequest(readings=shift(10, 1, at("2025-03-03T08:00"), line, UNIT))
    line_lead = goals.as_(floor.tenant, floor.employee("line_lead"))

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await goals.stub.StreamReadings(iter([request]), metadata=line_lead)

    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert await metric_values(goals, floor.partner, DAY, line, UNIT) == {}
