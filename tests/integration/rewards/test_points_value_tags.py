"""Value tags (R5): HR defines them from the strategic goals, each with its points; everyone reads them;
the ten tags of the requirements come as a template that adds only what the tenant lacks."""

from __future__ import annotations

import grpc
from fulcrum.rewards.v1 import rewards_pb2

from tests.integration.rewards.points_helpers import (
    as_hr,
    as_person,
    build_points_org,
    create_tag,
    points_unchanged,
)
from tests.support.calls import every_page, field_violations, mask, rpc_error
from tests.support.org import OrgHarness
from tests.support.rewards import RewardsHarness
from tests.support.services import new_tenant

# The examples of R5, by the template's codes.
R5_POINTS = {
    "process-optimization": 100,
    "cross-department-support": 50,
    "major-problem-solved": 200,
    "data-driven-decision": 150,
    "meeting-time-halved": 120,
    "technology-enablement": 200,
    "recruitment-match": 100,
    "employee-development": 120,
    "budget-deviation-under-5": 50,
    "cost-cut-over-10": 100,
}


async def test_hr_creates_updates_and_retires_tags_and_everyone_reads_them(
    org: OrgHarness, rewards: RewardsHarness
):
    company = await build_points_org(org, rewards)
    hr = as_hr(rewards, company)
    created = (
        await rewards.stub.CreateValueTag(
            rewards_pb2.CreateValueTagRequest(
                value_tag=rewards_pb2.ValueTag(
                    code="data-driven-decision",
                    name="Data-driven decision",
                    points=150,
                    objective_id="objective-efficiency",
                    active=False,
                )
            ),
            metadata=hr,
        )
    ).value_tag
    assert (created.active, created.version, created.objective_id) == (True, 1, "objective-efficiency")

    updated = (
        await rewards.stub.UpdateValueTag(
            rewards_pb2.UpdateValueTagRequest(
                value_tag=rewards_pb2.ValueTag(id=created.id, points=160, name="ignored", code="ignored"),
                update_mask=mask("points"),
                expected_version=1,
            ),
            metadata=hr,
        )
    ).value_tag
    assert (updated.points, updated.name, updated.code, updated.version) == (
        160,
        "Data-driven decision",
        "data-driven-decision",
        2,
    )
    async with points_unchanged(rewards):
        await rpc_error(
            rewards.stub.UpdateValueTag(
                rewards_pb2.UpdateValueTagRequest(
                    value_tag=rewards_pb2.ValueTag(id=created.id, points=170),
                    update_mask=mask("points"),
                    expected_version=1,
                ),
                metadata=hr,
            ),
            grpc.StatusCode.ABORTED,
        )
        await rpc_error(
            rewards.stub.UpdateValueTag(
                rewards_pb2.UpdateValueTagRequest(
                    value_tag=rewards_pb2.ValueTag(id=created.id, code="renamed"), update_mask=mask("code")
                ),
                metadata=hr,
            ),
            grpc.StatusCode.INVALID_ARGUMENT,
        )
    other = await create_tag(rewards, company.tenant, "cost-cut-over-10", 100)
    await rewards.stub.UpdateValueTag(
        rewards_pb2.UpdateValueTagRequest(
            value_tag=rewards_pb2.ValueTag(id=other.id), update_mask=mask("active")
        ),
        metadata=hr,
    )

    employee = as_person(rewards, company, "clerk")
    active = await every_page(
        rewards.stub.ListValueTags, rewards_pb2.ListValueTagsRequest(page_size=1), "value_tags", employee
    )
    everything = await rewards.stub.ListValueTags(
        rewards_pb2.ListValueTagsRequest(include_inactive=True), metadata=employee
    )
    assert [tag.code for page in active for tag in page] == ["data-driven-decision"]
    assert [(tag.code, tag.active) for tag in everything.value_tags] == [
        ("cost-cut-over-10", False),
        ("data-driven-decision", True),
    ]


async def test_a_tag_code_is_unique_in_its_tenant_only(org: OrgHarness, rewards: RewardsHarness):
    company = await build_points_org(org, rewards)
    await create_tag(rewards, company.tenant, "cross-department-support")

    async with points_unchanged(rewards):
        error = await rpc_error(
            create_tag(rewards, company.tenant, "cross-department-support", 80),
            grpc.StatusCode.ALREADY_EXISTS,
        )
    assert "value_tag.code" in field_violations(error)
    assert (await create_tag(rewards, new_tenant(), "cross-department-support")).points == 50


async def test_bad_tags_are_refused_naming_each_field_and_change_nothing(
    org: OrgHarness, rewards: RewardsHarness
):
    company = await build_points_org(org, rewards)
    cases = {
        "value_tag.code": rewards_pb2.ValueTag(code="", name="n", points=5),
        "value_tag.name": rewards_pb2.ValueTag(code="c", name=" ", points=5),
        "value_tag.points": rewards_pb2.ValueTag(code="c", name="n", points=0),
    }
    async with points_unchanged(rewards):
        for field, tag in cases.items():
            error = await rpc_error(
                rewards.stub.CreateValueTag(
                    rewards_pb2.CreateValueTagRequest(value_tag=tag), metadata=rewards.admin(company.tenant)
                ),
                grpc.StatusCode.INVALID_ARGUMENT,
            )
            assert list(field_violations(error)) == [field]
        error = await rpc_error(
            create_tag(rewards, company.tenant, "too-many", 100_001), grpc.StatusCode.INVALID_ARGUMENT
        )
        assert list(field_violations(error)) == ["value_tag.points"]


async def test_only_tenant_wide_hr_or_an_admin_writes_tags(org: OrgHarness, rewards: RewardsHarness):
    company = await build_points_org(org, rewards)
    tag = await create_tag(rewards, company.tenant)
    create = rewards_pb2.CreateValueTagRequest(value_tag=rewards_pb2.ValueTag(code="c", name="n", points=5))
    update = rewards_pb2.UpdateValueTagRequest(
        value_tag=rewards_pb2.ValueTag(id=tag.id, points=5), update_mask=mask("points")
    )
    async with points_unchanged(rewards):
        for caller in (as_person(rewards, company, "ceo"), as_hr(rewards, company, "finance")):
            await rpc_error(
                rewards.stub.CreateValueTag(create, metadata=caller), grpc.StatusCode.PERMISSION_DENIED
            )
            await rpc_error(
                rewards.stub.UpdateValueTag(update, metadata=caller), grpc.StatusCode.PERMISSION_DENIED
            )
            await rpc_error(
                rewards.stub.ApplyValueTagTemplate(
                    rewards_pb2.ApplyValueTagTemplateRequest(), metadata=caller
                ),
                grpc.StatusCode.PERMISSION_DENIED,
            )
    await rpc_error(
        rewards.stub.UpdateValueTag(update, metadata=rewards.admin(new_tenant())), grpc.StatusCode.NOT_FOUND
    )


async def test_the_template_adds_the_ten_tags_of_the_requirements_that_the_tenant_lacks_once(
    org: OrgHarness, rewards: RewardsHarness
):
    company = await build_points_org(org, rewards)
    hr = as_hr(rewards, company)
    own = await create_tag(rewards, company.tenant, "cross-department-support", 70)
    apply = rewards_pb2.ApplyValueTagTemplateRequest(request_id="template-1")

    added = (await rewards.stub.ApplyValueTagTemplate(apply, metadata=hr)).added
    replayed = (await rewards.stub.ApplyValueTagTemplate(apply, metadata=hr)).added
    again = (
        await rewards.stub.ApplyValueTagTemplate(rewards_pb2.ApplyValueTagTemplateRequest(), metadata=hr)
    ).added

    assert {tag.code: tag.points for tag in added} == {
        code: points for code, points in R5_POINTS.items() if code != "cross-department-support"
    }
    assert all(tag.name and tag.description and tag.active for tag in added)
    assert list(replayed) == list(added)
    assert list(again) == []
    listed = await rewards.stub.ListValueTags(rewards_pb2.ListValueTagsRequest(), metadata=hr)
    assert {tag.code: tag.points for tag in listed.value_tags} == {**R5_POINTS, own.code: 70}
