"""Redemptions racing at the real server (R5, R6): for the last points of a balance, or for the last
slots of an item's budget, exactly as many win as there is room for; the others are refused cleanly
(FAILED_PRECONDITION, never INTERNAL), and the ledger still adds up."""

from __future__ import annotations

import asyncio

import grpc
from fulcrum.rewards.v1 import rewards_pb2

from tests.integration.rewards.points_helpers import (
    balance_of,
    bonus_item,
    build_points_org,
    create_item,
    create_tag,
    earn,
    ledger_of,
    redeem,
)
from tests.support.org import OrgHarness
from tests.support.rewards import RewardsHarness

RACERS = 4


async def _race(calls: list) -> tuple[list[rewards_pb2.RedeemResponse], list[grpc.StatusCode]]:
    outcomes = await asyncio.gather(*calls, return_exceptions=True)
    won = [outcome for outcome in outcomes if isinstance(outcome, rewards_pb2.RedeemResponse)]
    lost = [outcome.code() for outcome in outcomes if isinstance(outcome, grpc.aio.AioRpcError)]
    assert len(won) + len(lost) == len(outcomes), outcomes
    return won, lost


async def test_redemptions_racing_for_the_last_points_of_a_balance_spend_only_what_is_there(
    org: OrgHarness, rewards: RewardsHarness
):
    company = await build_points_org(org, rewards)
    tag = await create_tag(rewards, company.tenant)
    await earn(rewards, company, "dev_a", tag.id, times=2)
    item = await create_item(rewards, company, bonus_item(points=50, budget=100))

    won, lost = await _race([redeem(rewards, company, "dev_a", item.id) for _ in range(RACERS)])

    assert len(won) == 2
    assert lost == [grpc.StatusCode.FAILED_PRECONDITION] * (RACERS - 2)
    assert sorted(response.balance for response in won) == [0, 50]
    balance = await balance_of(rewards, company, "dev_a")
    assert (balance.balance, balance.spent) == (0, 100)
    entries = await ledger_of(rewards, company, "dev_a")
    assert sum(entry.amount for entry in entries) == balance.balance
    assert [entry.balance_after for entry in entries] == [50, 100, 50, 0]


async def test_redemptions_racing_for_the_last_slots_of_a_budget_take_only_those(
    org: OrgHarness, rewards: RewardsHarness
):
    company = await build_points_org(org, rewards)
    tag = await create_tag(rewards, company.tenant, points=100)
    racers = ["dev_a", "dev_b", "clerk", "accountant"]
    for name in racers:
        await earn(rewards, company, name, tag.id)
    item = await create_item(rewards, company, bonus_item(points=100, budget=2))

    won, lost = await _race([redeem(rewards, company, name, item.id) for name in racers])

    assert len(won) == 2
    assert lost == [grpc.StatusCode.FAILED_PRECONDITION] * 2
    balances = [(await balance_of(rewards, company, name)).balance for name in racers]
    assert sorted(balances) == [0, 0, 100, 100]
    catalog = await rewards.stub.ListRedemptionItems(
        rewards_pb2.ListRedemptionItemsRequest(), metadata=rewards.admin(company.tenant)
    )
    assert [listed.used_this_period for listed in catalog.items] == [2]


async def test_retries_of_one_redemption_racing_each_other_spend_once(
    org: OrgHarness, rewards: RewardsHarness
):
    company = await build_points_org(org, rewards)
    tag = await create_tag(rewards, company.tenant, points=100)
    await earn(rewards, company, "dev_a", tag.id, times=3)
    item = await create_item(rewards, company, bonus_item(points=100, budget=10))

    won, lost = await _race(
        [redeem(rewards, company, "dev_a", item.id, request_id="once") for _ in range(RACERS)]
    )

    assert lost == []
    assert len({response.redemption.id for response in won}) == 1
    assert {response.balance for response in won} == {200}
    assert (await balance_of(rewards, company, "dev_a")).balance == 200
