"""Outcome policies (R1) through the real service: templates, publishing versions, the version in force,
bad input and stale versions refused without a trace, who may publish, tenants apart."""

from __future__ import annotations

import grpc
from fulcrum.rewards.v1 import events_pb2, rewards_pb2

from services.chassis.context import ROLE_EMPLOYEE, ROLE_PARTNER
from tests.integration.rewards.career_helpers import announced
from tests.integration.rewards.decision_helpers import as_hr, decisions_unchanged, publish_template
from tests.support.calls import field_violations, rpc_error
from tests.support.rewards import RewardsHarness
from tests.support.services import new_tenant


def employee(rewards: RewardsHarness, tenant: str) -> tuple[tuple[str, str], ...]:
    return rewards.as_(tenant, "op-1", (ROLE_EMPLOYEE,))


async def test_hr_publishes_a_template_and_everyone_of_the_tenant_reads_it(rewards: RewardsHarness) -> None:
    tenant = new_tenant()
    templates = await rewards.stub.ListPolicyTemplates(
        rewards_pb2.ListPolicyTemplatesRequest(), metadata=employee(rewards, tenant)
    )
    assert [template.name for template in templates.templates] == ["general", "manufacturer"]

    published = await publish_template(rewards, tenant, note="the plant's first policy")

    assert (published.version, published.name, published.effective_from) == (1, "manufacturer", "2026-01-01")
    assert (published.note, published.published_by) == ("the plant's first policy", "hr-person")
    assert published.HasField("publish_time")
    assert [rule.grade for rule in published.rules] == ["A", "B", "C", "D"]
    salary = published.rules[0].actions[0].salary_adjustment
    assert salary.percent == 15
    read = await rewards.stub.GetPolicy(rewards_pb2.GetPolicyRequest(), metadata=employee(rewards, tenant))
    assert read.policy == published
    announcements = await announced(rewards, events_pb2.PolicyPublished)
    assert announcements == [(tenant, events_pb2.PolicyPublished(policy=published))]


async def test_training_actions_take_their_course_titles_from_the_catalog(rewards: RewardsHarness) -> None:
    tenant = new_tenant()
    course = rewards_pb2.Course(code="QC-101", title="Quality control", provider="plant academy", active=True)
    await rewards.stub.CreateCourse(
        rewards_pb2.CreateCourseRequest(course=course), metadata=as_hr(rewards, tenant)
    )

    published = await publish_template(rewards, tenant)

    training = {rule.grade: rule.actions[1].training for rule in published.rules if rule.grade in "AB"}
    assert (training["A"].course_code, training["A"].course_title) == ("QC-101", "Quality control")
    # Not in the catalog (yet): the title stays empty.
    assert (training["B"].course_code, training["B"].course_title) == ("OPS-101", "")


async def test_the_version_in_force_is_the_one_of_the_date_and_every_version_is_kept(
    rewards: RewardsHarness,
) -> None:
    tenant = new_tenant()
    first = await publish_template(rewards, tenant, "general", effective_from="2026-01-01")
    second = await publish_template(rewards, tenant, effective_from="2027-01-01", expected_version=1)
    reader = employee(rewards, tenant)

    async def policy(**request: object) -> rewards_pb2.OutcomePolicy:
        return (await rewards.stub.GetPolicy(rewards_pb2.GetPolicyRequest(**request), metadata=reader)).policy

    assert (await policy(as_of="2026-12-31")).version == 1
    assert (await policy(as_of="2027-01-01")).version == 2
    assert (await policy(version=1)) == first
    assert (await policy()) == second
    await rpc_error(policy(as_of="2025-12-31"), grpc.StatusCode.NOT_FOUND)
    await rpc_error(policy(version=3), grpc.StatusCode.NOT_FOUND)
    error = await rpc_error(policy(as_of="31/12/2026"), grpc.StatusCode.INVALID_ARGUMENT)
    assert "as_of" in field_violations(error)

    pages = []
    request = rewards_pb2.ListPolicyVersionsRequest(page_size=1)
    while True:
        response = await rewards.stub.ListPolicyVersions(request, metadata=reader)
        pages.append([listed.version for listed in response.policies])
        if not response.next_page_token:
            break
        request.page_token = response.next_page_token
    assert pages == [[2], [1], []]


async def test_a_stale_expected_version_is_aborted_and_changes_nothing(rewards: RewardsHarness) -> None:
    tenant = new_tenant()
    await publish_template(rewards, tenant)
    async with decisions_unchanged(rewards):
        await rpc_error(publish_template(rewards, tenant, expected_version=0), grpc.StatusCode.ABORTED)
        await rpc_error(publish_template(rewards, tenant, expected_version=2), grpc.StatusCode.ABORTED)


async def test_a_retried_publish_returns_the_version_it_published(rewards: RewardsHarness) -> None:
    tenant = new_tenant()
    request = rewards_pb2.PublishPolicyRequest(
        policy=rewards_pb2.OutcomePolicy(effective_from="2026-01-01"),
        template_name="general",
        request_id="publish-1",
    )
    first = await rewards.stub.PublishPolicy(request, metadata=as_hr(rewards, tenant))
    again = await rewards.stub.PublishPolicy(request, metadata=as_hr(rewards, tenant))
    assert again.policy == first.policy
    listed = await rewards.stub.ListPolicyVersions(
        rewards_pb2.ListPolicyVersionsRequest(), metadata=as_hr(rewards, tenant)
    )
    assert [policy.version for policy in listed.policies] == [1]


def _rule(rule_id: str, grade: str, *actions: rewards_pb2.ActionSpec, **conditions) -> rewards_pb2.PolicyRule:
    raise_ = rewards_pb2.ActionSpec(salary_adjustment=rewards_pb2.SalaryAdjustment(percent=5))
    return rewards_pb2.PolicyRule(
        id=rule_id,
        grade=grade,
        conditions=rewards_pb2.RuleConditions(**conditions),
        actions=list(actions) or [raise_],
    )


def _policy(*rules: rewards_pb2.PolicyRule, **fields) -> rewards_pb2.OutcomePolicy:
    values = {"name": "plant", "effective_from": "2026-01-01", "grades": ["A", "C"], **fields}
    return rewards_pb2.OutcomePolicy(rules=list(rules), **values)


async def test_a_bad_policy_is_refused_naming_the_rule_and_changes_nothing(rewards: RewardsHarness) -> None:
    tenant = new_tenant()
    plan = rewards_pb2.ActionSpec(improvement_plan=rewards_pb2.ImprovementPlan(duration_days=800))
    alert = rewards_pb2.ActionSpec(hr_alert=rewards_pb2.HrAlert(note="no kind"))
    bad_money = rewards_pb2.ActionSpec(
        bonus=rewards_pb2.Bonus(fixed=rewards_pb2.Money(currency_code="yuan", amount="5000"))
    )
    cases = [
        (_policy(_rule("A", "A"), _rule("C1", "C", position_ids=["op"])), "policy.grades[1]"),
        (_policy(_rule("A", "A"), _rule("C", "C"), _rule("C2", "C", position_ids=["op"])), "policy.rules[2]"),
        (_policy(_rule("A", "A", plan), _rule("C", "C")), "policy.rules[0].actions[0]"),
        (_policy(_rule("A", "A"), _rule("C", "C", alert)), "policy.rules[1].actions[0]"),
        (_policy(_rule("A", "A", rewards_pb2.ActionSpec()), _rule("C", "C")), "policy.rules[0].actions[0]"),
        (_policy(_rule("A", "A", bad_money), _rule("C", "C")), "policy.rules[0].actions[0]"),
        (_policy(_rule("A", "A"), _rule("A", "C")), "policy.rules[1].id"),
        (_policy(_rule("A", "A"), _rule("C", "C"), _rule("B", "B")), "policy.rules[2].grade"),
        (_policy(_rule("A", "A"), _rule("C", "C"), effective_from="2026-13-01"), "policy.effective_from"),
        (_policy(_rule("A", "A"), _rule("C", "C"), grades=["A", "C", "A"]), "policy.grades[2]"),
        (_policy(_rule("A", "A"), _rule("C", "C"), name=""), "policy.name"),
    ]
    async with decisions_unchanged(rewards):
        for sent, field in cases:
            request = rewards_pb2.PublishPolicyRequest(policy=sent)
            error = await rpc_error(
                rewards.stub.PublishPolicy(request, metadata=as_hr(rewards, tenant)),
                grpc.StatusCode.INVALID_ARGUMENT,
            )
            assert field in field_violations(error), (field, error.details())
        unknown = rewards_pb2.PublishPolicyRequest(policy=_policy(), template_name="bakery")
        error = await rpc_error(
            rewards.stub.PublishPolicy(unknown, metadata=as_hr(rewards, tenant)),
            grpc.StatusCode.INVALID_ARGUMENT,
        )
        assert "template_name" in field_violations(error)


async def test_only_an_admin_or_hr_for_the_whole_tenant_publishes(rewards: RewardsHarness) -> None:
    tenant = new_tenant()
    request = rewards_pb2.PublishPolicyRequest(
        policy=rewards_pb2.OutcomePolicy(effective_from="2026-01-01"), template_name="general"
    )
    callers = [
        employee(rewards, tenant),
        as_hr(rewards, tenant, "some-unit"),
        rewards.as_(tenant, "erp", (ROLE_PARTNER,)),
    ]
    async with decisions_unchanged(rewards):
        for caller in callers:
            await rpc_error(
                rewards.stub.PublishPolicy(request, metadata=caller), grpc.StatusCode.PERMISSION_DENIED
            )
    published = await rewards.stub.PublishPolicy(request, metadata=rewards.admin(tenant))
    assert published.policy.version == 1


async def test_another_tenant_sees_no_policy(rewards: RewardsHarness) -> None:
    tenant, other = new_tenant(), new_tenant()
    await publish_template(rewards, tenant)

    await rpc_error(
        rewards.stub.GetPolicy(rewards_pb2.GetPolicyRequest(version=1), metadata=as_hr(rewards, other)),
        grpc.StatusCode.NOT_FOUND,
    )
    listed = await rewards.stub.ListPolicyVersions(
        rewards_pb2.ListPolicyVersionsRequest(), metadata=as_hr(rewards, other)
    )
    assert list(listed.policies) == []
    first_of_other = await publish_template(rewards, other)
    assert first_of_other.version == 1
