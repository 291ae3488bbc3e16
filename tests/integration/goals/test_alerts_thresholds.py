"""G4: a rule raises one alert per breach to the right person, found through org's data, and clears it
when the value recovers. Alerts are events."""

from __future__ import annotations

import pytest
from fulcrum.goals.v1 import events_pb2, goals_pb2

from tests.integration.goals.readings_helpers import (
    UNIT,
    Floor,
    alert_rule,
    alerts,
    at,
    build_floor,
    create_rule,
    events_of,
    record,
    shift,
)
from tests.support.goals import GoalsHarness
from tests.support.org import OrgHarness

EMPLOYEE_RULE = goals_pb2.ALERT_RULE_SCOPE_EMPLOYEE
UNIT_RULE = goals_pb2.ALERT_RULE_SCOPE_UNIT
EACH_EMPLOYEE_RULE = goals_pb2.ALERT_RULE_SCOPE_EACH_EMPLOYEE_OF_UNIT
OPEN = goals_pb2.ALERT_STATE_OPEN
CLEARED = goals_pb2.ALERT_STATE_CLEARED


@pytest.fixture
async def floor(org: OrgHarness, goals: GoalsHarness) -> Floor:
    return await build_floor(org, goals)


async def test_an_operator_above_three_percent_alerts_their_line_lead_once_until_they_recover(
    goals: GoalsHarness, floor: Floor
):
    admin = goals.admin(floor.tenant)
    operator = floor.employee("operator_a")
    rule = await create_rule(goals, admin, alert_rule("Operator above 3%", EMPLOYEE_RULE, operator, 3))

    await record(goals, floor.partner, shift(100, 5, at("2025-03-03T08:00"), operator))
    [raised] = await alerts(goals, admin)
    # Still breaching, the same day and the next: no new alert.
    await record(goals, floor.partner, shift(100, 6, at("2025-03-03T16:00"), operator))
    await record(goals, floor.partner, shift(100, 4, at("2025-03-04T08:00"), operator))
    assert await alerts(goals, admin) == [raised]
    # The next day's output brings the rate under 3%.
    await record(goals, floor.partner, shift(900, 0, at("2025-03-04T16:00"), operator))
    [cleared] = await alerts(goals, admin)

    assert (raised.rule_id, raised.rule_name, raised.metric_code) == (rule.id, rule.name, "defect_rate")
    assert (raised.scope_kind, raised.scope_id) == (goals_pb2.SCOPE_KIND_EMPLOYEE, operator)
    assert raised.recipient_employee_id == floor.employee("line_lead")
    assert (raised.state, raised.value, raised.period_key) == (OPEN, 5.0, "2025-03-03")
    assert (raised.comparison, raised.threshold, raised.period) == (
        goals_pb2.COMPARISON_GREATER_THAN,
        3.0,
        goals_pb2.PERIOD_KIND_DAY,
    )
    assert cleared.id == raised.id
    assert cleared.state == CLEARED
    assert cleared.cleared_value == pytest.approx(0.4)
    assert cleared.clear_time.ToDatetime() >= cleared.raise_time.ToDatetime()
    [raised_event] = await events_of(goals, events_pb2.AlertRaised, floor.tenant)
    [cleared_event] = await events_of(goals, events_pb2.AlertCleared, floor.tenant)
    assert raised_event.alert == raised
    assert cleared_event.alert == cleared


async def test_each_new_breach_raises_a_new_alert(goals: GoalsHarness, floor: Floor):
    admin = goals.admin(floor.tenant)
    operator = floor.employee("operator_b")
    await create_rule(goals, admin, alert_rule("Operator above 3%", EMPLOYEE_RULE, operator, 3))

    for day, defects in (("03", 5), ("04", 1), ("05", 7), ("06", 9), ("07", 2), ("08", 4)):
        await record(goals, floor.partner, shift(100, defects, at(f"2025-03-{day}T08:00"), operator))

    found = await alerts(goals, admin)
    assert [(alert.period_key, alert.state) for alert in found] == [
        ("2025-03-08", OPEN),
        ("2025-03-05", CLEARED),
        ("2025-03-03", CLEARED),
    ]
    assert [alert.cleared_value for alert in found[1:]] == [2.0, 1.0]
    assert len(await events_of(goals, events_pb2.AlertRaised, floor.tenant)) == 3
    assert len(await events_of(goals, events_pb2.AlertCleared, floor.tenant)) == 2


async def test_a_line_above_five_percent_alerts_the_line_s_head_and_whoever_the_rule_names(
    goals: GoalsHarness, floor: Floor
):
    admin = goals.admin(floor.tenant)
    line = floor.unit("line1")
    await create_rule(goals, admin, alert_rule("Line above 5%", UNIT_RULE, line, 5))
    production_manager = floor.employee("production_manager")
    await create_rule(
        goals,
        admin,
        alert_rule(
            "Line above 5%, weekly",
            UNIT_RULE,
            line,
            5,
            period=goals_pb2.PERIOD_KIND_WEEK,
            notify_employee_id=production_manager,
        ),
    )

    await record(goals, floor.partner, shift(1000, 60, at("2025-03-03T08:00"), line, UNIT))

    found = {alert.period: alert for alert in await alerts(goals, admin)}
    assert found[goals_pb2.PERIOD_KIND_DAY].recipient_employee_id == floor.employee("line_lead")
    assert found[goals_pb2.PERIOD_KIND_WEEK].recipient_employee_id == production_manager
    assert {(alert.scope_kind, alert.scope_id, alert.value) for alert in found.values()} == {
        (goals_pb2.SCOPE_KIND_UNIT, line, 6.0)
    }
    # An operator's own 6% is not the line's: the unit rules do not judge employees.
    await record(goals, floor.partner, shift(100, 6, at("2025-03-03T08:00"), floor.employee("operator_a")))
    assert len(await alerts(goals, admin)) == 2


async def test_a_rule_on_every_employee_of_a_unit_alerts_each_one_s_manager(
    goals: GoalsHarness, floor: Floor
):
    admin = goals.admin(floor.tenant)
    await create_rule(
        goals, admin, alert_rule("Production staff above 3%", EACH_EMPLOYEE_RULE, floor.unit("production"), 3)
    )
    moment = at("2025-03-03T08:00")

    for name in ("operator_a", "operator_b", "line_lead", "inspector"):
        await record(goals, floor.partner, shift(100, 4, moment, floor.employee(name)))
    # A good operator raises nothing.
    await record(goals, floor.partner, shift(100, 1, at("2025-03-04T08:00"), floor.employee("operator_a")))

    found = await alerts(goals, admin)
    subjects = {alert.scope_id: alert.recipient_employee_id for alert in found}
    assert subjects == {
        floor.employee("operator_a"): floor.employee("line_lead"),
        floor.employee("operator_b"): floor.employee("line_lead"),
        floor.employee("line_lead"): floor.employee("production_manager"),
    }


async def test_late_readings_of_an_older_period_move_no_alert(goals: GoalsHarness, floor: Floor):
    admin = goals.admin(floor.tenant)
    operator = floor.employee("operator_a")
    await create_rule(goals, admin, alert_rule("Operator above 3%", EMPLOYEE_RULE, operator, 3))
    await record(goals, floor.partner, shift(100, 1, at("2025-03-04T08:00"), operator))

    # Yesterday's shift arrives late and breached: today's value is what the rule watches.
    await record(goals, floor.partner, shift(100, 9, at("2025-03-03T08:00"), operator))
    assert await alerts(goals, admin) == []
    await record(goals, floor.partner, shift(100, 9, at("2025-03-04T16:00"), operator))
    [raised] = await alerts(goals, admin)
    # Last week's recovery, late too, does not clear today's breach.
    await record(goals, floor.partner, shift(10000, 0, at("2025-02-25T08:00"), operator))

    assert [(alert.period_key, alert.state) for alert in await alerts(goals, admin)] == [("2025-03-04", OPEN)]
    assert raised.value == pytest.approx(5.0)


async def test_a_period_without_a_value_neither_raises_nor_clears(goals: GoalsHarness, floor: Floor):
    admin = goals.admin(floor.tenant)
    line = floor.unit("line1")
    await create_rule(goals, admin, alert_rule("Line above 5%", UNIT_RULE, line, 5))
    await record(goals, floor.partner, shift(100, 10, at("2025-03-03T08:00"), line, UNIT))

    # A new day without output: its rate divides by zero and has no value.
    await record(goals, floor.partner, shift(0, 0, at("2025-03-04T08:00"), line, UNIT))

    [alert] = await alerts(goals, admin)
    assert (alert.period_key, alert.state) == ("2025-03-03", OPEN)


async def test_a_rule_made_while_the_value_breaches_acts_on_the_next_value(goals: GoalsHarness, floor: Floor):
    admin = goals.admin(floor.tenant)
    operator = floor.employee("operator_b")
    await record(goals, floor.partner, shift(100, 8, at("2025-03-03T08:00"), operator))

    await create_rule(goals, admin, alert_rule("Operator above 3%", EMPLOYEE_RULE, operator, 3))
    assert await alerts(goals, admin) == []
    await record(goals, floor.partner, shift(100, 8, at("2025-03-03T12:00"), operator))

    [alert] = await alerts(goals, admin)
    assert (alert.value, alert.state) == (8.0, OPEN)


async def test_deleting_a_rule_clears_its_open_alerts(goals: GoalsHarness, floor: Floor):
    admin = goals.admin(floor.tenant)
    operator = floor.employee("operator_a")
    rule = await create_rule(goals, admin, alert_rule("Operator above 3%", EMPLOYEE_RULE, operator, 3))
    await record(goals, floor.partner, shift(100, 5, at("2025-03-03T08:00"), operator))

    await goals.stub.DeleteAlertRule(goals_pb2.DeleteAlertRuleRequest(rule_id=rule.id), metadata=admin)
    await record(goals, floor.partner, shift(100, 50, at("2025-03-04T08:00"), operator))

    [alert] = await alerts(goals, admin)
    assert alert.state == CLEARED
    assert alert.HasField("clear_time")
    [cleared_event] = await events_of(goals, events_pb2.AlertCleared, floor.tenant)
    assert cleared_event.alert == alert
    listed = await goals.stub.ListAlertRules(goals_pb2.ListAlertRulesRequest(), metadata=admin)
    assert list(listed.rules) == []
