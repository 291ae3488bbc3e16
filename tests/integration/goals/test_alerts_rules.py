"""Alert rules: what a rule needs, who keeps rules on whom, retries with a request id, and tenants apart."""

from __future__ import annotations

import math

import grpc
import pytest
from fulcrum.goals.v1 import goals_pb2

from services.chassis.context import ROLE_EMPLOYEE, ROLE_HR
from tests.integration.goals.helpers import as_person
from tests.integration.goals.readings_helpers import (
    Floor,
    alert_rule,
    alerts,
    at,
    build_floor,
    create_rule,
    readings_unchanged,
    record,
    shift,
)
from tests.support.calls import Metadata, every_page, field_violations, rpc_error
from tests.support.goals import GoalsHarness
from tests.support.org import OrgHarness

EMPLOYEE_RULE = goals_pb2.ALERT_RULE_SCOPE_EMPLOYEE
UNIT_RULE = goals_pb2.ALERT_RULE_SCOPE_UNIT
EACH_EMPLOYEE_RULE = goals_pb2.ALERT_RULE_SCOPE_EACH_EMPLOYEE_OF_UNIT


@pytest.fixture
async def floor(org: OrgHarness, goals: GoalsHarness) -> Floor:
    return await build_floor(org, goals)


def hr_of(goals: GoalsHarness, floor: Floor, unit_name: str) -> Metadata:
    return goals.as_(
        floor.tenant, floor.employee("inspector"), (ROLE_EMPLOYEE, ROLE_HR), [floor.unit(unit_name)]
    )


async def test_a_rule_is_kept_as_made_and_listed_by_anyone(goals: GoalsHarness, floor: Floor):
    admin = goals.admin(floor.tenant)
    line = floor.unit("line1")
    made = await create_rule(
        goals,
        admin,
        alert_rule(
            "Line above 5%",
            UNIT_RULE,
            line,
            5,
            comparison=goals_pb2.COMPARISON_GREATER_OR_EQUAL,
            period=goals_pb2.PERIOD_KIND_WEEK,
            notify_employee_id=floor.employee("production_manager"),
        ),
    )
    others = [
        await create_rule(goals, admin, alert_rule(f"Operator {n}", EMPLOYEE_RULE, floor.employee(n), 3))
        for n in ("operator_a", "operator_b")
    ]

    assert made.id
    assert made.HasField("create_time")
    assert (made.name, made.metric_code, made.scope, made.scope_id) == (
        "Line above 5%",
        "defect_rate",
        UNIT_RULE,
        line,
    )
    assert (made.comparison, made.threshold, made.period) == (
        goals_pb2.COMPARISON_GREATER_OR_EQUAL,
        5.0,
        goals_pb2.PERIOD_KIND_WEEK,
    )
    assert made.notify_employee_id == floor.employee("production_manager")
    operator = as_person(goals, floor.plant, "operator_b")
    pages = await every_page(
        goals.stub.ListAlertRules, goals_pb2.ListAlertRulesRequest(page_size=2), "rules", operator
    )
    assert [len(page) for page in pages] == [2, 1]
    assert sorted(rule.id for page in pages for rule in page) == sorted(rule.id for rule in [made, *others])
    listed = await goals.stub.ListAlertRules(
        goals_pb2.ListAlertRulesRequest(metric_code="scrap_rate"), metadata=operator
    )
    assert list(listed.rules) == []


async def test_a_rule_missing_what_it_needs_is_refused_naming_each_field(goals: GoalsHarness, floor: Floor):
    bad = goals_pb2.AlertRule(name=" ", threshold=math.nan)

    async with readings_unchanged(goals):
        error = await rpc_error(
            goals.stub.CreateAlertRule(
                goals_pb2.CreateAlertRuleRequest(rule=bad), metadata=goals.admin(floor.tenant)
            ),
            grpc.StatusCode.INVALID_ARGUMENT,
        )

    assert field_violations(error) == {
        "rule.name": "is required",
        "rule.threshold": "must be a finite number, not nan",
        "rule.metric_code": "is required",
        "rule.scope_id": "is required",
        "rule.scope": "must be EMPLOYEE, UNIT or EACH_EMPLOYEE_OF_UNIT",
        "rule.comparison": "is required: greater or less than, or equal",
        "rule.period": "is required: day, week, month, quarter or year",
    }


async def test_a_rule_naming_what_does_not_exist_is_not_found(
    org: OrgHarness, goals: GoalsHarness, floor: Floor
):
    admin = goals.admin(floor.tenant)
    other = await build_floor(org, goals)
    line = floor.unit("line1")
    unknown_metric = alert_rule("x", UNIT_RULE, line, 5)
    unknown_metric.metric_code = "scrap_rate"
    unknown = [
        unknown_metric,
        alert_rule("x", UNIT_RULE, "no-such-unit", 5),
        alert_rule("x", UNIT_RULE, other.unit("line1"), 5),
        alert_rule("x", EMPLOYEE_RULE, line, 5),
        alert_rule("x", EACH_EMPLOYEE_RULE, other.unit("company"), 5),
        alert_rule("x", UNIT_RULE, line, 5, notify_employee_id=other.employee("ceo")),
    ]
    for rule in unknown:
        async with readings_unchanged(goals):
            await rpc_error(
                goals.stub.CreateAlertRule(goals_pb2.CreateAlertRuleRequest(rule=rule), metadata=admin),
                grpc.StatusCode.NOT_FOUND,
            )


@pytest.mark.parametrize(
    ("keeper", "scope", "subject"),
    [
        ("line_lead", UNIT_RULE, "line1"),
        ("production_manager", EACH_EMPLOYEE_RULE, "production"),
        ("line_lead", EMPLOYEE_RULE, "operator_a"),
        ("ceo", EMPLOYEE_RULE, "operator_b"),
    ],
)
async def test_who_manages_the_unit_or_employee_keeps_its_rules(
    goals: GoalsHarness, floor: Floor, keeper: str, scope: int, subject: str
):
    scope_id = floor.employee(subject) if scope == EMPLOYEE_RULE else floor.unit(subject)
    metadata = as_person(goals, floor.plant, keeper)

    rule = await create_rule(goals, metadata, alert_rule("Watch", scope, scope_id, 3))
    await goals.stub.DeleteAlertRule(goals_pb2.DeleteAlertRuleRequest(rule_id=rule.id), metadata=metadata)

    listed = await goals.stub.ListAlertRules(goals_pb2.ListAlertRulesRequest(), metadata=metadata)
    assert list(listed.rules) == []


async def test_hr_keeps_rules_in_their_units_and_admins_and_tenant_wide_hr_everywhere(
    goals: GoalsHarness, floor: Floor
):
    line_rule = alert_rule("Line", UNIT_RULE, floor.unit("line1"), 5)
    for metadata in (
        hr_of(goals, floor, "production"),
        goals.as_(floor.tenant, "hr", (ROLE_HR,)),
        goals.admin(floor.tenant),
    ):
        assert (await create_rule(goals, metadata, line_rule)).id


async def test_others_may_not_make_or_delete_rules_about_whom_they_do_not_manage(
    goals: GoalsHarness, floor: Floor
):
    admin = goals.admin(floor.tenant)
    line = floor.unit("line1")
    kept = await create_rule(goals, admin, alert_rule("Line", UNIT_RULE, line, 5))
    refusals = [
        (as_person(goals, floor.plant, "operator_a"), alert_rule("Line", UNIT_RULE, line, 5)),
        (
            as_person(goals, floor.plant, "operator_a"),
            alert_rule("Me", EMPLOYEE_RULE, floor.employee("operator_a"), 5),
        ),
        (
            as_person(goals, floor.plant, "line_lead"),
            alert_rule("QA", EMPLOYEE_RULE, floor.employee("inspector"), 5),
        ),
        (
            as_person(goals, floor.plant, "quality_manager"),
            alert_rule("All", EACH_EMPLOYEE_RULE, floor.unit("company"), 5),
        ),
        (hr_of(goals, floor, "quality"), alert_rule("Line", UNIT_RULE, line, 5)),
    ]
    for metadata, rule in refusals:
        async with readings_unchanged(goals):
            await rpc_error(
                goals.stub.CreateAlertRule(goals_pb2.CreateAlertRuleRequest(rule=rule), metadata=metadata),
                grpc.StatusCode.PERMISSION_DENIED,
            )
    for metadata in (as_person(goals, floor.plant, "operator_a"), hr_of(goals, floor, "quality")):
        async with readings_unchanged(goals):
            await rpc_error(
                goals.stub.DeleteAlertRule(
                    goals_pb2.DeleteAlertRuleRequest(rule_id=kept.id), metadata=metadata
                ),
                grpc.StatusCode.PERMISSION_DENIED,
            )


async def test_a_retried_rule_change_with_the_same_request_id_happens_once(goals: GoalsHarness, floor: Floor):
    admin = goals.admin(floor.tenant)
    rule = alert_rule("Line", UNIT_RULE, floor.unit("line1"), 5)

    first = await create_rule(goals, admin, rule, request_id="rule-1")
    again = await create_rule(goals, admin, rule, request_id="rule-1")
    delete = goals_pb2.DeleteAlertRuleRequest(rule_id=first.id, request_id="drop-1")
    await goals.stub.DeleteAlertRule(delete, metadata=admin)
    async with readings_unchanged(goals):
        await goals.stub.DeleteAlertRule(delete, metadata=admin)

    assert again == first
    await rpc_error(
        goals.stub.DeleteAlertRule(goals_pb2.DeleteAlertRuleRequest(rule_id=first.id), metadata=admin),
        grpc.StatusCode.NOT_FOUND,
    )


async def test_another_tenant_s_rules_and_alerts_are_not_found(
    org: OrgHarness, goals: GoalsHarness, floor: Floor
):
    admin = goals.admin(floor.tenant)
    operator = floor.employee("operator_a")
    rule = await create_rule(goals, admin, alert_rule("Operator", EMPLOYEE_RULE, operator, 3))
    await record(goals, floor.partner, shift(100, 9, at("2025-03-03T08:00"), operator))
    other = await build_floor(org, goals)
    theirs = goals.admin(other.tenant)

    async with readings_unchanged(goals):
        await rpc_error(
            goals.stub.DeleteAlertRule(goals_pb2.DeleteAlertRuleRequest(rule_id=rule.id), metadata=theirs),
            grpc.StatusCode.NOT_FOUND,
        )
    await rpc_error(
        goals.stub.ListAlerts(goals_pb2.ListAlertsRequest(rule_id=rule.id), metadata=theirs),
        grpc.StatusCode.NOT_FOUND,
    )
    await rpc_error(
        goals.stub.ListAlerts(goals_pb2.ListAlertsRequest(recipient_employee_id=operator), metadata=theirs),
        grpc.StatusCode.NOT_FOUND,
    )
    assert await alerts(goals, theirs) == []
    listed = await goals.stub.ListAlertRules(goals_pb2.ListAlertRulesRequest(), metadata=theirs)
    assert list(listed.rules) == []
    assert len(await alerts(goals, admin, rule_id=rule.id)) == 1
