"""Messages that arrive at the same time for the same line and day add up: no update is lost, and the
alert they leave open is one."""

from __future__ import annotations

import asyncio

import pytest
from fulcrum.goals.v1 import goals_pb2

from tests.integration.goals.readings_helpers import (
    DAY,
    MONTH,
    UNIT,
    alert_rule,
    alerts,
    at,
    build_floor,
    create_rule,
    metric_values,
    reading,
    record,
)
from tests.support.goals import GoalsHarness
from tests.support.org import OrgHarness

SENDERS = 8


async def test_concurrent_messages_for_the_same_periods_all_count(org: OrgHarness, goals: GoalsHarness):
    floor = await build_floor(org, goals)
    line = floor.unit("line1")
    admin = goals.admin(floor.tenant)
    await create_rule(goals, admin, alert_rule("Line above 5%", goals_pb2.ALERT_RULE_SCOPE_UNIT, line, 5))

    # Half the senders count output, half count defects: each message finds the other input's total
    # in the database, where another message may be adding to it at the same moment.
    def message(sender: int) -> list[goals_pb2.Reading]:
        moment = at(f"2025-03-03T08:{sender:02d}")
        if sender % 2:
            return [reading("defects", 20, moment, line, UNIT, source=f"sensor-{sender}")]
        return [reading("produced", 10, moment, line, UNIT, source=f"sensor-{sender}") for _ in range(25)]

    responses = await asyncio.gather(*(record(goals, floor.partner, message(n)) for n in range(SENDERS)))

    assert sum(response.accepted for response in responses) == 26 * SENDERS // 2
    for period in (DAY, MONTH):
        [value] = (await metric_values(goals, floor.partner, period, line, UNIT)).values()
        assert dict(value.inputs) == {"produced": 250.0 * SENDERS / 2, "defects": 20.0 * SENDERS / 2}
        assert value.reading_count == 26 * SENDERS // 2
        assert value.value == pytest.approx(8.0)
    # The rate rose and fell as the messages came in; it ends breaching, with one alert open about it.
    [alert] = await alerts(goals, admin, state=goals_pb2.ALERT_STATE_OPEN)
    assert alert.recipient_employee_id == floor.employee("line_lead")
