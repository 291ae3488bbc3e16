"""Who sees which alerts: those addressed to them or about them; HR those about their units' people and
units; admins and HR for the whole tenant every alert. Filters narrow what one sees."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from fulcrum.goals.v1 import goals_pb2

from services.chassis.context import ROLE_EMPLOYEE, ROLE_HR
from tests.integration.goals.helpers import as_person
from tests.integration.goals.readings_helpers import (
    UNIT,
    Floor,
    alert_rule,
    alerts,
    at,
    build_floor,
    create_rule,
    record,
    shift,
)
from tests.support.goals import GoalsHarness
from tests.support.org import OrgHarness


@dataclass(frozen=True)
class Alerted:
    floor: Floor
    line_rule: goals_pb2.AlertRule
    # Alert ids by subject: "operator_a" and "line1" (both to line_lead), "inspector" (to quality_manager).
    ids: dict[str, str]


@pytest.fixture
async def alerted(org: OrgHarness, goals: GoalsHarness) -> Alerted:
    floor = await build_floor(org, goals)
    admin = goals.admin(floor.tenant)
    company = floor.unit("company")
    line = floor.unit("line1")
    await create_rule(
        goals,
        admin,
        alert_rule("Anyone above 3%", goals_pb2.ALERT_RULE_SCOPE_EACH_EMPLOYEE_OF_UNIT, company, 3),
    )
    line_rule = await create_rule(
        goals, admin, alert_rule("Line above 5%", goals_pb2.ALERT_RULE_SCOPE_UNIT, line, 5)
    )
    moment = at("2025-03-03T08:00")
    await record(goals, floor.partner, shift(100, 9, moment, floor.employee("operator_a")))
    await record(goals, floor.partner, shift(100, 9, moment, floor.employee("inspector")))
    await record(goals, floor.partner, shift(100, 9, moment, line, UNIT))
    subjects = {
        floor.employee("operator_a"): "operator_a",
        floor.employee("inspector"): "inspector",
        line: "line1",
    }
    ids = {subjects[alert.scope_id]: alert.id for alert in await alerts(goals, admin)}
    return Alerted(floor, line_rule, ids)


async def seen(goals: GoalsHarness, alerted: Alerted, metadata, **filters: object) -> set[str]:
    names = {alert_id: name for name, alert_id in alerted.ids.items()}
    return {names[alert.id] for alert in await alerts(goals, metadata, **filters)}


async def test_people_see_alerts_addressed_to_them_or_about_them(goals: GoalsHarness, alerted: Alerted):
    plant = alerted.floor.plant

    assert await seen(goals, alerted, as_person(goals, plant, "line_lead")) == {"operator_a", "line1"}
    assert await seen(goals, alerted, as_person(goals, plant, "quality_manager")) == {"inspector"}
    assert await seen(goals, alerted, as_person(goals, plant, "operator_a")) == {"operator_a"}
    assert await seen(goals, alerted, as_person(goals, plant, "operator_b")) == set()
    assert await seen(goals, alerted, as_person(goals, plant, "ceo")) == set()


async def test_hr_sees_the_alerts_about_their_units(goals: GoalsHarness, alerted: Alerted):
    floor = alerted.floor

    def hr(unit_name: str):
        return goals.as_(
            floor.tenant, floor.employee("ceo"), (ROLE_EMPLOYEE, ROLE_HR), [floor.unit(unit_name)]
        )

    assert await seen(goals, alerted, hr("production")) == {"operator_a", "line1"}
    assert await seen(goals, alerted, hr("quality")) == {"inspector"}
    assert await seen(goals, alerted, hr("company")) == {"operator_a", "inspector", "line1"}


async def test_admins_and_tenant_wide_hr_see_every_alert_newest_first(goals: GoalsHarness, alerted: Alerted):
    floor = alerted.floor
    for metadata in (goals.admin(floor.tenant), goals.as_(floor.tenant, "hr", (ROLE_HR,))):
        found = await alerts(goals, metadata)
        assert [alert.id for alert in found] == [
            alerted.ids[name] for name in ("line1", "inspector", "operator_a")
        ]


async def test_filters_narrow_the_alerts_and_pages_follow_each_other(goals: GoalsHarness, alerted: Alerted):
    floor = alerted.floor
    admin = goals.admin(floor.tenant)
    await record(goals, floor.partner, shift(1000, 0, at("2025-03-04T08:00"), floor.unit("line1"), UNIT))

    line_lead = floor.employee("line_lead")
    assert await seen(goals, alerted, admin, recipient_employee_id=line_lead) == {"operator_a", "line1"}
    assert await seen(goals, alerted, admin, rule_id=alerted.line_rule.id) == {"line1"}
    assert await seen(goals, alerted, admin, state=goals_pb2.ALERT_STATE_OPEN) == {"operator_a", "inspector"}
    assert await seen(goals, alerted, admin, state=goals_pb2.ALERT_STATE_CLEARED) == {"line1"}
    first = await goals.stub.ListAlerts(goals_pb2.ListAlertsRequest(page_size=2), metadata=admin)
    second = await goals.stub.ListAlerts(
        goals_pb2.ListAlertsRequest(page_size=2, page_token=first.next_page_token), metadata=admin
    )
    assert [alert.id for alert in [*first.alerts, *second.alerts]] == [
        alerted.ids[name] for name in ("line1", "inspector", "operator_a")
    ]
    assert second.next_page_token == ""
