"""Improvement plans (R3) through the real service: opened by a manager or HR, goals and check-ins, an
extension, completion once every goal is met, escalation by hand with its HR alert announced once; bad
input, stale versions, strangers and other tenants change nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import grpc
from fulcrum.rewards.v1 import events_pb2, rewards_pb2

from services.chassis.context import ROLE_ADMIN
from tests.integration.appraisal.setup_helpers import as_hr, as_person
from tests.integration.rewards.career_helpers import (
    announced,
    career_org,
    careers_unchanged,
    goals,
    open_plan,
    pip_changes,
    stored_actions,
)
from tests.support.calls import field_violations, mask, precondition_violations, rpc_error
from tests.support.org import OrgHarness, new_tenant
from tests.support.rewards import RewardsHarness

OPENED, EXTENDED, COMPLETED, ESCALATED = (
    events_pb2.PIP_CHANGE_OPENED,
    events_pb2.PIP_CHANGE_EXTENDED,
    events_pb2.PIP_CHANGE_COMPLETED,
    events_pb2.PIP_CHANGE_ESCALATED,
)


def today() -> datetime:
    return datetime.now(UTC)


async def test_a_manager_runs_a_plan_through_check_ins_an_extension_and_completion(
    org: OrgHarness, rewards: RewardsHarness
):
    ours = await career_org(org, rewards)
    lead = as_person(rewards, ours, "east_lead")
    stub = rewards.stub

    pip = await open_plan(rewards, ours)
    assert (pip.status, pip.version, pip.extensions) == (rewards_pb2.PIP_STATUS_ACTIVE, 1, 0)
    assert pip.manager_id == ours.employees["east_lead"]
    assert pip.start_date == today().date().isoformat()
    assert pip.deadline == (today().date() + timedelta(days=90)).isoformat()
    assert pip.escalation == rewards_pb2.HR_ALERT_KIND_EXIT_REVIEW
    first, second = pip.goals
    assert (bool(first.id), bool(second.id), first.met) == (True, True, False)

    checked = (
        await stub.AddPipCheckIn(
            rewards_pb2.AddPipCheckInRequest(pip_id=pip.id, note="conversion at 9%", met_goal_ids=[first.id]),
            metadata=lead,
        )
    ).pip
    assert [goal.met for goal in checked.goals] == [True, False]
    [held] = checked.check_ins
    assert (held.author_id, held.note, list(held.met_goal_ids)) == (
        ours.employees["east_lead"],
        "conversion at 9%",
        [first.id],
    )

    sent = rewards_pb2.Pip(id=pip.id, goals=[first, *goals("shadow a senior rep")])
    revised = (
        await stub.UpdatePip(
            rewards_pb2.UpdatePipRequest(
                pip=sent, update_mask=mask("goals"), expected_version=checked.version
            ),
            metadata=lead,
        )
    ).pip
    kept, added = revised.goals
    assert (kept.id, kept.met, added.met) == (first.id, True, False)
    assert added.id not in (first.id, second.id)

    refused = await rpc_error(
        stub.ClosePip(
            rewards_pb2.ClosePipRequest(pip_id=pip.id, outcome=rewards_pb2.PIP_OUTCOME_COMPLETED),
            metadata=lead,
        ),
        grpc.StatusCode.FAILED_PRECONDITION,
    )
    assert list(precondition_violations(refused)) == [f"goal:{added.id}"]

    new_deadline = (today().date() + timedelta(days=120)).isoformat()
    extended = (
        await stub.ClosePip(
            rewards_pb2.ClosePipRequest(
                pip_id=pip.id,
                outcome=rewards_pb2.PIP_OUTCOME_EXTENDED,
                new_deadline=new_deadline,
                note="a month",
            ),
            metadata=lead,
        )
    ).pip
    assert (extended.deadline, extended.extensions, extended.status) == (
        new_deadline,
        1,
        rewards_pb2.PIP_STATUS_ACTIVE,
    )

    await stub.AddPipCheckIn(
        rewards_pb2.AddPipCheckInRequest(pip_id=pip.id, note="shadowed Ann", met_goal_ids=[added.id]),
        metadata=lead,
    )
    done = (
        await stub.ClosePip(
            rewards_pb2.ClosePipRequest(
                pip_id=pip.id, outcome=rewards_pb2.PIP_OUTCOME_COMPLETED, note="back on track"
            ),
            metadata=lead,
        )
    ).pip
    assert (done.status, done.outcome_note, len(done.check_ins)) == (
        rewards_pb2.PIP_STATUS_COMPLETED,
        "back on track",
        2,
    )

    await rpc_error(
        stub.AddPipCheckIn(rewards_pb2.AddPipCheckInRequest(pip_id=pip.id, note="late"), metadata=lead),
        grpc.StatusCode.FAILED_PRECONDITION,
    )
    own = (
        await stub.GetPip(
            rewards_pb2.GetPipRequest(pip_id=pip.id), metadata=as_person(rewards, ours, "rep_a")
        )
    ).pip
    assert own == done
    assert await pip_changes(rewards, pip.id) == [OPENED, EXTENDED, COMPLETED]
    assert await stored_actions(rewards, ours.tenant) == []


async def test_escalating_by_hand_raises_the_plans_hr_alert_once_and_announces_it(
    org: OrgHarness, rewards: RewardsHarness
):
    ours = await career_org(org, rewards)
    hr = as_hr(rewards, ours, "sales")
    pip = await open_plan(rewards, ours, "rep_b", by="sales_head")
    close = rewards_pb2.ClosePipRequest(
        pip_id=pip.id,
        outcome=rewards_pb2.PIP_OUTCOME_ESCALATED,
        note="no progress after 90 days",
        expected_version=pip.version,
        request_id="escalate-rep-b",
    )

    escalated = (await rewards.stub.ClosePip(close, metadata=hr)).pip
    again = (await rewards.stub.ClosePip(close, metadata=hr)).pip

    assert escalated.status == rewards_pb2.PIP_STATUS_ESCALATED
    assert again == escalated
    key = f"{ours.tenant}/pip/{pip.id}/escalation"
    assert await stored_actions(rewards, ours.tenant) == [(key, "hr_alert", "pip_escalation")]
    [(tenant, decided)] = await announced(rewards, events_pb2.ActionsDecided)
    [alert] = decided.actions
    assert tenant == ours.tenant
    assert (alert.idempotency_key, alert.kind, alert.origin, alert.origin_id) == (
        key,
        rewards_pb2.ACTION_KIND_HR_ALERT,
        rewards_pb2.ACTION_ORIGIN_PIP_ESCALATION,
        pip.id,
    )
    assert (alert.spec.hr_alert.kind, alert.spec.hr_alert.note) == (
        rewards_pb2.HR_ALERT_KIND_EXIT_REVIEW,
        "no progress after 90 days",
    )
    assert await pip_changes(rewards, pip.id) == [OPENED, ESCALATED]
    await rpc_error(
        rewards.stub.ClosePip(
            rewards_pb2.ClosePipRequest(pip_id=pip.id, outcome=rewards_pb2.PIP_OUTCOME_ESCALATED), metadata=hr
        ),
        grpc.StatusCode.FAILED_PRECONDITION,
    )


async def test_bad_input_is_refused_naming_the_field_and_changes_nothing(
    org: OrgHarness, rewards: RewardsHarness
):
    ours = await career_org(org, rewards)
    lead = as_person(rewards, ours, "east_lead")
    pip = await open_plan(rewards, ours)
    rep_b = ours.employees["rep_b"]
    yesterday = (today().date() - timedelta(days=1)).isoformat()
    create = rewards_pb2.CreatePipRequest
    close = rewards_pb2.ClosePipRequest
    refusals = [
        (rewards.stub.CreatePip, create(employee_id=rep_b, reason=" "), "reason"),
        (rewards.stub.CreatePip, create(employee_id=rep_b, reason="r", deadline=yesterday), "deadline"),
        (rewards.stub.CreatePip, create(employee_id=rep_b, reason="r", deadline="next May"), "deadline"),
        (rewards.stub.CreatePip, create(employee_id=rep_b, reason="r", escalation=9), "escalation"),
        (
            rewards.stub.CreatePip,
            create(employee_id=rep_b, reason="r", goals=goals("")),
            "goals[0].description",
        ),
        (rewards.stub.CreatePip, create(employee_id=rep_b, reason="r", goals=goals(*"x" * 21)), "goals"),
        (rewards.stub.ClosePip, close(pip_id=pip.id), "outcome"),
        (
            rewards.stub.ClosePip,
            close(pip_id=pip.id, outcome=rewards_pb2.PIP_OUTCOME_EXTENDED),
            "new_deadline",
        ),
        (
            rewards.stub.ClosePip,
            close(pip_id=pip.id, outcome=rewards_pb2.PIP_OUTCOME_EXTENDED, new_deadline=pip.deadline),
            "new_deadline",
        ),
        (
            rewards.stub.AddPipCheckIn,
            rewards_pb2.AddPipCheckInRequest(pip_id=pip.id, note="ok", met_goal_ids=["not-a-goal"]),
            "met_goal_ids[0]",
        ),
        (rewards.stub.AddPipCheckIn, rewards_pb2.AddPipCheckInRequest(pip_id=pip.id, note=""), "note"),
        (rewards.stub.ListPips, rewards_pb2.ListPipsRequest(status=9), "status"),
        (
            rewards.stub.UpdatePip,
            rewards_pb2.UpdatePipRequest(pip=rewards_pb2.Pip(id=pip.id), update_mask=mask("deadline")),
            "update_mask",
        ),
        (
            rewards.stub.UpdatePip,
            rewards_pb2.UpdatePipRequest(pip=rewards_pb2.Pip(id=pip.id), update_mask=mask("reason")),
            "pip.reason",
        ),
    ]
    async with careers_unchanged(rewards):
        for method, request, field in refusals:
            error = await rpc_error(method(request, metadata=lead), grpc.StatusCode.INVALID_ARGUMENT)
            assert field in field_violations(error), (request, error.details())


async def test_a_stale_version_is_aborted_and_a_second_active_plan_refused(
    org: OrgHarness, rewards: RewardsHarness
):
    ours = await career_org(org, rewards)
    lead = as_person(rewards, ours, "east_lead")
    pip = await open_plan(rewards, ours)
    await rewards.stub.AddPipCheckIn(
        rewards_pb2.AddPipCheckInRequest(pip_id=pip.id, note="week 1"), metadata=lead
    )

    async with careers_unchanged(rewards):
        await rpc_error(
            rewards.stub.UpdatePip(
                rewards_pb2.UpdatePipRequest(
                    pip=rewards_pb2.Pip(id=pip.id, reason="new"),
                    update_mask=mask("reason"),
                    expected_version=1,
                ),
                metadata=lead,
            ),
            grpc.StatusCode.ABORTED,
        )
        refused = await rpc_error(open_plan(rewards, ours), grpc.StatusCode.FAILED_PRECONDITION)
        assert list(precondition_violations(refused)) == [f"pip:{pip.id}"]


async def test_managers_and_hr_covering_the_employee_open_plans_the_employee_and_strangers_do_not(
    org: OrgHarness, rewards: RewardsHarness
):
    ours = await career_org(org, rewards)
    for opener in ("east_lead", "sales_head", "ceo"):
        pip = await open_plan(rewards, ours, "rep_a", by=opener)
        await rewards.stub.ClosePip(
            rewards_pb2.ClosePipRequest(pip_id=pip.id, outcome=rewards_pb2.PIP_OUTCOME_ESCALATED),
            metadata=as_person(rewards, ours, opener),
        )
    await rewards.stub.CreatePip(
        rewards_pb2.CreatePipRequest(employee_id=ours.employees["rep_a"], reason="r"),
        metadata=as_hr(rewards, ours, "sales"),
    )

    async with careers_unchanged(rewards):
        for stranger in ("rep_a", "rep_b", "risk_head"):
            await rpc_error(open_plan(rewards, ours, "rep_b", by=stranger), grpc.StatusCode.PERMISSION_DENIED)
        await rpc_error(
            rewards.stub.CreatePip(
                rewards_pb2.CreatePipRequest(employee_id=ours.employees["rep_b"], reason="r"),
                metadata=as_hr(rewards, ours, "risk"),
            ),
            grpc.StatusCode.PERMISSION_DENIED,
        )
        await rpc_error(
            rewards.stub.CreatePip(
                rewards_pb2.CreatePipRequest(employee_id="no-such-employee", reason="r"),
                metadata=rewards.admin(ours.tenant),
            ),
            grpc.StatusCode.NOT_FOUND,
        )


async def test_a_plan_is_read_by_the_employee_their_managers_and_hr_covering_them_only(
    org: OrgHarness, rewards: RewardsHarness
):
    ours = await career_org(org, rewards)
    pip = await open_plan(rewards, ours)
    other = await open_plan(rewards, ours, "analyst", by="risk_head")

    async def listed(metadata, **filters) -> list[str]:
        request = rewards_pb2.ListPipsRequest(**filters)
        return sorted(found.id for found in (await rewards.stub.ListPips(request, metadata=metadata)).pips)

    for reader in ("rep_a", "east_lead", "sales_head", "ceo"):
        metadata = as_person(rewards, ours, reader)
        assert (
            await rewards.stub.GetPip(rewards_pb2.GetPipRequest(pip_id=pip.id), metadata=metadata)
        ).pip == pip
        assert pip.id in await listed(metadata)
    assert await listed(as_person(rewards, ours, "rep_a")) == [pip.id]
    assert await listed(as_person(rewards, ours, "risk_head")) == [other.id]
    assert await listed(as_hr(rewards, ours, "sales")) == [pip.id]
    assert await listed(as_hr(rewards, ours)) == sorted([pip.id, other.id])
    assert await listed(as_hr(rewards, ours), status=rewards_pb2.PIP_STATUS_COMPLETED) == []
    assert await listed(as_person(rewards, ours, "ceo"), employee_id=ours.employees["analyst"]) == [other.id]

    for stranger in (
        as_person(rewards, ours, "rep_b"),
        as_person(rewards, ours, "risk_head"),
        as_hr(rewards, ours, "risk"),
    ):
        await rpc_error(
            rewards.stub.GetPip(rewards_pb2.GetPipRequest(pip_id=pip.id), metadata=stranger),
            grpc.StatusCode.NOT_FOUND,
        )
        await rpc_error(
            rewards.stub.ListPips(
                rewards_pb2.ListPipsRequest(employee_id=ours.employees["rep_a"]), metadata=stranger
            ),
            grpc.StatusCode.PERMISSION_DENIED,
        )
    await rpc_error(
        rewards.stub.AddPipCheckIn(
            rewards_pb2.AddPipCheckInRequest(pip_id=pip.id, note="I am fine"),
            metadata=as_person(rewards, ours, "rep_a"),
        ),
        grpc.StatusCode.PERMISSION_DENIED,
    )


async def test_another_tenant_finds_no_plan_and_no_employee(org: OrgHarness, rewards: RewardsHarness):
    ours = await career_org(org, rewards)
    pip = await open_plan(rewards, ours)
    theirs = new_tenant()
    admin = rewards.admin(theirs)
    impostor = rewards.as_(theirs, ours.employees["east_lead"], (ROLE_ADMIN,))

    async with careers_unchanged(rewards):
        for caller in (admin, impostor):
            for call in (
                rewards.stub.GetPip(rewards_pb2.GetPipRequest(pip_id=pip.id), metadata=caller),
                rewards.stub.AddPipCheckIn(
                    rewards_pb2.AddPipCheckInRequest(pip_id=pip.id, note="x"), metadata=caller
                ),
                rewards.stub.ClosePip(
                    rewards_pb2.ClosePipRequest(pip_id=pip.id, outcome=rewards_pb2.PIP_OUTCOME_ESCALATED),
                    metadata=caller,
                ),
                rewards.stub.UpdatePip(
                    rewards_pb2.UpdatePipRequest(
                        pip=rewards_pb2.Pip(id=pip.id, reason="x"), update_mask=mask("reason")
                    ),
                    metadata=caller,
                ),
                rewards.stub.CreatePip(
                    rewards_pb2.CreatePipRequest(employee_id=ours.employees["rep_b"], reason="x"),
                    metadata=caller,
                ),
                rewards.stub.ListPips(
                    rewards_pb2.ListPipsRequest(employee_id=ours.employees["rep_a"]), metadata=caller
                ),
            ):
                await rpc_error(call, grpc.StatusCode.NOT_FOUND)
            assert not (await rewards.stub.ListPips(rewards_pb2.ListPipsRequest(), metadata=caller)).pips


async def test_overlong_ids_name_nothing_and_overlong_fields_are_refused(
    org: OrgHarness, rewards: RewardsHarness
):
    ours = await career_org(org, rewards)
    admin = rewards.admin(ours.tenant)
    overlong = "x" * 5000
    pip = await open_plan(rewards, ours)

    async with careers_unchanged(rewards):
        for call in (
            rewards.stub.UpdatePip(
                rewards_pb2.UpdatePipRequest(
                    pip=rewards_pb2.Pip(id=overlong, reason="r"), update_mask=mask("reason")
                ),
                metadata=admin,
            ),
            rewards.stub.AddPipCheckIn(
                rewards_pb2.AddPipCheckInRequest(pip_id=overlong, note="n"), metadata=admin
            ),
            rewards.stub.ListPips(rewards_pb2.ListPipsRequest(employee_id=overlong), metadata=admin),
            rewards.stub.GetTrainingRecommendations(
                rewards_pb2.GetTrainingRecommendationsRequest(employee_id=overlong), metadata=admin
            ),
            rewards.stub.GetTrainingRecommendations(
                rewards_pb2.GetTrainingRecommendationsRequest(
                    employee_id=ours.employees["rep_a"], cycle_id=overlong
                ),
                metadata=admin,
            ),
            rewards.stub.ListPromotionCandidates(
                rewards_pb2.ListPromotionCandidatesRequest(unit_id=overlong), metadata=admin
            ),
            rewards.stub.CreatePip(
                rewards_pb2.CreatePipRequest(employee_id=overlong, reason="r"), metadata=admin
            ),
            rewards.stub.GetPip(rewards_pb2.GetPipRequest(pip_id=overlong), metadata=admin),
            rewards.stub.ClosePip(
                rewards_pb2.ClosePipRequest(pip_id=overlong, outcome=rewards_pb2.PIP_OUTCOME_ESCALATED),
                metadata=admin,
            ),
            rewards.stub.UpdateCourse(
                rewards_pb2.UpdateCourseRequest(
                    course=rewards_pb2.Course(code=overlong, title="t"), update_mask=mask("title")
                ),
                metadata=admin,
            ),
            rewards.stub.RequestEnrolment(
                rewards_pb2.RequestEnrolmentRequest(employee_id=overlong, course_code=overlong),
                metadata=admin,
            ),
            rewards.stub.ExplainEligibility(
                rewards_pb2.ExplainEligibilityRequest(employee_id=overlong), metadata=admin
            ),
        ):
            await rpc_error(call, grpc.StatusCode.NOT_FOUND)
        invalid = {
            "met_goal_ids[0]": rewards.stub.AddPipCheckIn(
                rewards_pb2.AddPipCheckInRequest(pip_id=pip.id, note="n", met_goal_ids=[overlong]),
                metadata=as_person(rewards, ours, "east_lead"),
            ),
            "course.code": rewards.stub.CreateCourse(
                rewards_pb2.CreateCourseRequest(course=rewards_pb2.Course(code=overlong, title="t")),
                metadata=admin,
            ),
            "rule_id": rewards.stub.ListPromotionCandidates(
                rewards_pb2.ListPromotionCandidatesRequest(rule_id=overlong), metadata=admin
            ),
            "rules[0].id": rewards.stub.SetEligibilityRules(
                rewards_pb2.SetEligibilityRulesRequest(
                    rules=[rewards_pb2.EligibilityRule(id=overlong, required_grade="A", consecutive=2)]
                ),
                metadata=admin,
            ),
            "rules[0].position_ids[0]": rewards.stub.SetEligibilityRules(
                rewards_pb2.SetEligibilityRulesRequest(
                    rules=[
                        rewards_pb2.EligibilityRule(
                            id="r", required_grade="A", consecutive=2, position_ids=[overlong]
                        )
                    ]
                ),
                metadata=admin,
            ),
        }
        for field, call in invalid.items():
            error = await rpc_error(call, grpc.StatusCode.INVALID_ARGUMENT)
            assert field in field_violations(error), (field, error.details())
