"""Ids that name nothing in the caller's tenant: tenants never see each other's points (X1), and an
overlong id is as unknown as any other (never an error of the database, on PostgreSQL either); each such
call finds nothing and changes nothing."""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass

import grpc
from fulcrum.rewards.v1 import rewards_pb2, rewards_pb2_grpc

from tests.integration.rewards.points_helpers import (
    as_hr,
    as_person,
    bonus_item,
    build_points_org,
    create_item,
    create_tag,
    earn,
    money,
    points_unchanged,
    redeem,
    submit_claim,
)
from tests.support.calls import Metadata, field_violations, mask, rpc_error
from tests.support.org import OrgHarness
from tests.support.rewards import RewardsHarness


@dataclass(frozen=True)
class Named:
    """The ids a points call looks up."""

    tag_id: str
    claim_id: str
    item_id: str
    employee_id: str
    unit_id: str


def lookups(
    stub: rewards_pb2_grpc.RewardsServiceStub, named: Named, *, admin: Metadata, employee: Metadata
) -> list[Awaitable[object]]:
    """Every points call naming one of the ids, by an admin or, to claim and redeem, an employee."""
    return [
        stub.UpdateValueTag(
            rewards_pb2.UpdateValueTagRequest(
                value_tag=rewards_pb2.ValueTag(id=named.tag_id, points=1), update_mask=mask("points")
            ),
            metadata=admin,
        ),
        stub.GetClaim(rewards_pb2.GetClaimRequest(claim_id=named.claim_id), metadata=admin),
        stub.DecideClaim(
            rewards_pb2.DecideClaimRequest(claim_id=named.claim_id, approve=True), metadata=admin
        ),
        stub.ListClaims(rewards_pb2.ListClaimsRequest(employee_id=named.employee_id), metadata=admin),
        stub.GetPointBalance(
            rewards_pb2.GetPointBalanceRequest(employee_id=named.employee_id), metadata=admin
        ),
        stub.ListLedgerEntries(
            rewards_pb2.ListLedgerEntriesRequest(employee_id=named.employee_id), metadata=admin
        ),
        stub.ListRedemptions(
            rewards_pb2.ListRedemptionsRequest(employee_id=named.employee_id), metadata=admin
        ),
        stub.UpdateRedemptionItem(
            rewards_pb2.UpdateRedemptionItemRequest(
                item=rewards_pb2.RedemptionItem(id=named.item_id, budget=1), update_mask=mask("budget")
            ),
            metadata=admin,
        ),
        stub.Redeem(rewards_pb2.RedeemRequest(item_id=named.item_id), metadata=employee),
        stub.GetLeaderboard(rewards_pb2.GetLeaderboardRequest(unit_id=named.unit_id), metadata=admin),
        stub.GetTagRarity(rewards_pb2.GetTagRarityRequest(unit_id=named.unit_id), metadata=admin),
    ]


def claim_on(stub: rewards_pb2_grpc.RewardsServiceStub, tag_id: str, employee: Metadata) -> Awaitable[object]:
    request = rewards_pb2.SubmitClaimRequest(
        tag_id=tag_id, evidence="e", value=rewards_pb2.ValueCreated(amount=money("1"))
    )
    return stub.SubmitClaim(request, metadata=employee)


async def test_another_tenants_ids_are_not_found_and_its_lists_are_empty(
    org: OrgHarness, rewards: RewardsHarness
):
    company = await build_points_org(org, rewards)
    other = await build_points_org(org, rewards)
    tag = await create_tag(rewards, company.tenant, points=100)
    await earn(rewards, company, "dev_a", tag.id)
    claim = await submit_claim(rewards, company, "dev_a", tag.id)
    item = await create_item(rewards, company, bonus_item())
    await redeem(rewards, company, "dev_a", item.id)
    ours = Named(tag.id, claim.id, item.id, company.employees["dev_a"], company.units["tech"])
    their_ceo = as_person(rewards, other, "ceo")
    stub = rewards.stub

    async with points_unchanged(rewards):
        for call in lookups(stub, ours, admin=rewards.admin(other.tenant), employee=their_ceo):
            await rpc_error(call, grpc.StatusCode.NOT_FOUND)
        error = await rpc_error(claim_on(stub, tag.id, their_ceo), grpc.StatusCode.INVALID_ARGUMENT)
        assert field_violations(error) == {"tag_id": "no such value tag"}

    hr = as_hr(rewards, other)
    assert list((await stub.ListValueTags(rewards_pb2.ListValueTagsRequest(), metadata=hr)).value_tags) == []
    assert list((await stub.ListClaims(rewards_pb2.ListClaimsRequest(), metadata=hr)).claims) == []
    assert (
        list((await stub.ListRedemptionItems(rewards_pb2.ListRedemptionItemsRequest(), metadata=hr)).items)
        == []
    )
    assert (
        list((await stub.ListRedemptions(rewards_pb2.ListRedemptionsRequest(), metadata=hr)).redemptions)
        == []
    )
    assert list((await stub.GetLeaderboard(rewards_pb2.GetLeaderboardRequest(), metadata=hr)).entries) == []


async def test_overlong_ids_name_nothing_and_overlong_fields_are_refused(
    org: OrgHarness, rewards: RewardsHarness
):
    company = await build_points_org(org, rewards)
    tag = await create_tag(rewards, company.tenant)
    overlong = "x" * 5000
    admin = rewards.admin(company.tenant)
    dev_a = as_person(rewards, company, "dev_a")
    stub = rewards.stub

    async with points_unchanged(rewards):
        for call in lookups(stub, Named(*[overlong] * 5), admin=admin, employee=dev_a):
            await rpc_error(call, grpc.StatusCode.NOT_FOUND)
        invalid = {
            "tag_id": claim_on(stub, overlong, dev_a),
            "value_tag.code": stub.CreateValueTag(
                rewards_pb2.CreateValueTagRequest(
                    value_tag=rewards_pb2.ValueTag(code=overlong, name="n", points=1)
                ),
                metadata=admin,
            ),
            "value_tag.objective_id": stub.UpdateValueTag(
                rewards_pb2.UpdateValueTagRequest(
                    value_tag=rewards_pb2.ValueTag(id=tag.id, objective_id=overlong),
                    update_mask=mask("objective_id"),
                ),
                metadata=admin,
            ),
            "item.course_code": stub.CreateRedemptionItem(
                rewards_pb2.CreateRedemptionItemRequest(
                    item=rewards_pb2.RedemptionItem(
                        name="an external course",
                        kind=rewards_pb2.REDEMPTION_KIND_COURSE,
                        points=150,
                        course_code=overlong,
                        budget_period=rewards_pb2.BUDGET_PERIOD_QUARTER,
                        budget=5,
                    )
                ),
                metadata=admin,
            ),
        }
        for field, call in invalid.items():
            error = await rpc_error(call, grpc.StatusCode.INVALID_ARGUMENT)
            assert field in field_violations(error), (field, error.details())
