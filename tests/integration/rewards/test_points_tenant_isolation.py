"""Tenants never see each other's points (X1): every points RPC, called by another tenant's admin with the
first tenant's ids, finds nothing and changes nothing."""

from __future__ import annotations

import grpc
from fulcrum.rewards.v1 import rewards_pb2

from tests.integration.rewards.points_helpers import (
    as_hr,
    bonus_item,
    build_points_org,
    create_item,
    create_tag,
    earn,
    points_unchanged,
    redeem,
)
from tests.support.calls import field_violations, mask, rpc_error
from tests.support.org import OrgHarness
from tests.support.rewards import RewardsHarness


async def test_another_tenants_ids_are_not_found_and_its_lists_are_empty(
    org: OrgHarness, rewards: RewardsHarness
):
    company = await build_points_org(org, rewards)
    other = await build_points_org(org, rewards)
    tag = await create_tag(rewards, company.tenant, points=100)
    await earn(rewards, company, "dev_a", tag.id)
    item = await create_item(rewards, company, bonus_item())
    await redeem(rewards, company, "dev_a", item.id)
    dev_a = company.employees["dev_a"]
    stranger = rewards.admin(other.tenant)
    stub = rewards.stub

    async with points_unchanged(rewards):
        not_found = [
            stub.UpdateValueTag(
                rewards_pb2.UpdateValueTagRequest(
                    value_tag=rewards_pb2.ValueTag(id=tag.id, points=1), update_mask=mask("points")
                ),
                metadata=stranger,
            ),
            stub.GetPointBalance(rewards_pb2.GetPointBalanceRequest(employee_id=dev_a), metadata=stranger),
            stub.ListLedgerEntries(
                rewards_pb2.ListLedgerEntriesRequest(employee_id=dev_a), metadata=stranger
            ),
            stub.ListClaims(rewards_pb2.ListClaimsRequest(employee_id=dev_a), metadata=stranger),
            stub.ListRedemptions(rewards_pb2.ListRedemptionsRequest(employee_id=dev_a), metadata=stranger),
            stub.UpdateRedemptionItem(
                rewards_pb2.UpdateRedemptionItemRequest(
                    item=rewards_pb2.RedemptionItem(id=item.id, budget=1), update_mask=mask("budget")
                ),
                metadata=stranger,
            ),
            stub.Redeem(
                rewards_pb2.RedeemRequest(item_id=item.id),
                metadata=rewards.as_(other.tenant, other.employees["ceo"]),
            ),
            stub.GetLeaderboard(
                rewards_pb2.GetLeaderboardRequest(unit_id=company.units["company"]), metadata=stranger
            ),
            stub.GetTagRarity(
                rewards_pb2.GetTagRarityRequest(unit_id=company.units["tech"]), metadata=stranger
            ),
        ]
        for call in not_found:
            await rpc_error(call, grpc.StatusCode.NOT_FOUND)
        error = await rpc_error(
            stub.SubmitClaim(
                rewards_pb2.SubmitClaimRequest(
                    tag_id=tag.id,
                    evidence="e",
                    value=rewards_pb2.ValueCreated(amount=rewards_pb2.Money(currency_code="CNY", amount="1")),
                ),
                metadata=rewards.as_(other.tenant, other.employees["ceo"]),
            ),
            grpc.StatusCode.INVALID_ARGUMENT,
        )
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
