"""Another tenant's ids named inside a request (a stream of readings, an alert rule's scope, a key
result's metric binding, a check-in's objectives, a parent objective) are as unknown as ids that never
existed: the call is refused and nothing changes on either side."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import grpc
from fulcrum.goals.v1 import goals_pb2

from services.goals.adapters import tables
from tests.integration.goals.helpers import as_person
from tests.integration.goals.objectives_helpers import ALIGNED, TEAM, create_key_result, create_objective
from tests.integration.goals.readings_helpers import (
    DAY,
    EMPLOYEE,
    METRIC,
    UNIT,
    Floor,
    alert_rule,
    at,
    build_floor,
    shift,
)
from tests.support.calls import field_violations, rpc_error, state_unchanged
from tests.support.goals import GoalsHarness
from tests.support.org import OrgHarness

GOALS_STATE = (
    tables.objectives,
    tables.key_results,
    tables.key_result_values,
    tables.metrics,
    tables.readings,
    tables.reading_totals,
    tables.metric_values,
    tables.alert_rules,
    tables.alert_watches,
    tables.alerts,
    tables.check_ins,
    tables.check_in_cadences,
    tables.chassis.idempotency,
)


@asynccontextmanager
async def nothing_changes(goals: GoalsHarness) -> AsyncIterator[None]:
    async with state_unchanged(goals.settings.database_url, GOALS_STATE, tables.chassis.outbox):
        yield


async def two_floors(org: OrgHarness, goals: GoalsHarness) -> tuple[Floor, Floor]:
    """Ours and theirs: two manufacturers with the same org chart and the same metric code."""
    return await build_floor(org, goals), await build_floor(org, goals)


async def test_a_stream_naming_another_tenants_line_or_people_records_nothing(
    org: OrgHarness, goals: GoalsHarness
) -> None:
    ours, theirs = await two_floors(org, goals)
    for scope_id, scope_kind in ((ours.unit("line1"), UNIT), (ours.employee("operator_a"), EMPLOYEE)):
        async with nothing_changes(goals):
            call = goals.stub.StreamReadings(metadata=theirs.partner)
            await call.write(
                goals_pb2.StreamReadingsRequest(
                    readings=shift(100, 9, at("2025-03-03T08:00"), scope_id, scope_kind)
                )
            )
            await call.done_writing()
            error = await rpc_error(call, grpc.StatusCode.INVALID_ARGUMENT)
            assert set(field_violations(error)) == {"readings[0].scope_id", "readings[1].scope_id"}


async def test_an_alert_rule_on_another_tenants_people_or_lines_is_not_found(
    org: OrgHarness, goals: GoalsHarness
) -> None:
    ours, theirs = await two_floors(org, goals)
    their_admin = goals.admin(theirs.tenant)
    rules = (
        alert_rule(
            "Their eye on our operator", goals_pb2.ALERT_RULE_SCOPE_EMPLOYEE, ours.employee("operator_a"), 3
        ),
        alert_rule("Their eye on our line", goals_pb2.ALERT_RULE_SCOPE_UNIT, ours.unit("line1"), 5),
        alert_rule(
            "Their eye on our floor", goals_pb2.ALERT_RULE_SCOPE_EACH_EMPLOYEE_OF_UNIT, ours.unit("line1"), 3
        ),
    )
    async with nothing_changes(goals):
        for rule in rules:
            await rpc_error(
                goals.stub.CreateAlertRule(goals_pb2.CreateAlertRuleRequest(rule=rule), metadata=their_admin),
                grpc.StatusCode.NOT_FOUND,
            )


async def test_a_key_result_bound_to_another_tenants_line_is_refused(
    org: OrgHarness, goals: GoalsHarness
) -> None:
    ours, theirs = await two_floors(org, goals)
    their_admin = goals.admin(theirs.tenant)
    their_objective = await create_objective(goals, their_admin, "Quality")
    binding = goals_pb2.MetricBinding(
        metric_code=METRIC, scope_kind=UNIT, scope_id=ours.unit("line1"), period=DAY
    )
    async with nothing_changes(goals):
        error = await rpc_error(
            create_key_result(
                goals,
                their_admin,
                their_objective.id,
                "Our line's defect rate",
                start=10,
                target=5,
                direction=goals_pb2.DIRECTION_LOWER_IS_BETTER,
                measure=goals_pb2.MEASURE_METRIC,
                metric=binding,
            ),
            grpc.StatusCode.INVALID_ARGUMENT,
        )
    assert field_violations(error) == {"key_result.metric.scope_id": "no such unit"}


async def test_another_tenants_objectives_are_neither_parents_nor_discussed_in_check_ins(
    org: OrgHarness, goals: GoalsHarness
) -> None:
    ours, theirs = await two_floors(org, goals)
    our_objective = await create_objective(goals, goals.admin(ours.tenant), "Ours")
    our_key_result = await create_key_result(
        goals, goals.admin(ours.tenant), our_objective.id, "KR", measure=ALIGNED
    )
    their_lead = as_person(goals, theirs.plant, "line_lead")
    yesterday = (datetime.now(UTC).date() - timedelta(days=1)).isoformat()
    check_in = goals_pb2.CheckIn(
        employee_id=theirs.employee("operator_a"),
        held_on=yesterday,
        progress="On plan",
        objective_ids=[our_objective.id],
    )

    async with nothing_changes(goals):
        for parent in (
            {"parent_objective_id": our_objective.id},
            {"parent_key_result_id": our_key_result.id},
        ):
            error = await rpc_error(
                create_objective(
                    goals, their_lead, "Aligned across tenants", TEAM, unit_id=theirs.unit("line1"), **parent
                ),
                grpc.StatusCode.INVALID_ARGUMENT,
            )
            assert set(field_violations(error)) == {f"objective.{name}" for name in parent}
        error = await rpc_error(
            goals.stub.RecordCheckIn(goals_pb2.RecordCheckInRequest(check_in=check_in), metadata=their_lead),
            grpc.StatusCode.INVALID_ARGUMENT,
        )
        assert field_violations(error) == {"check_in.objective_ids[0]": "no such objective"}
