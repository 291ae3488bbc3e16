"""What the points tests share (R5, R6): the support functions of a company built through org's ImportOrg
(scenario 3 of the requirements), requests made as its people, and the points tables read back.

    company CO (head: ceo)
    ├── finance FIN (head: fin_head)     accountant, auditor (report to fin_head)
    ├── tech TECH (head: tech_head)      dev_a, dev_b (report to tech_head)
    └── admin ADM (head: adm_head)       clerk (reports to adm_head)
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fulcrum.rewards.v1 import rewards_pb2
from google.protobuf.message import Message

from services.rewards.adapters import tables
from tests.integration.appraisal.setup_helpers import Org, as_hr, as_person, build_org
from tests.integration.rewards.career_helpers import announced
from tests.support.calls import Metadata, every_page, state_unchanged
from tests.support.directory import wait_for_directory
from tests.support.org import OrgHarness
from tests.support.rewards import RewardsHarness

UNITS = (
    # name, code, parent code, head
    ("company", "CO", "", "ceo"),
    ("finance", "FIN", "CO", "fin_head"),
    ("tech", "TECH", "CO", "tech_head"),
    ("admin", "ADM", "CO", "adm_head"),
)
POSITIONS = (("accountant", "ACC", "Accountant", "FIN"),)
EMPLOYEES = (
    # name, unit code, manager, position
    ("ceo", "CO", "", ""),
    ("fin_head", "FIN", "ceo", ""),
    ("accountant", "FIN", "fin_head", "accountant"),
    ("auditor", "FIN", "fin_head", ""),
    ("tech_head", "TECH", "ceo", ""),
    ("dev_a", "TECH", "tech_head", ""),
    ("dev_b", "TECH", "tech_head", ""),
    ("adm_head", "ADM", "ceo", ""),
    ("clerk", "ADM", "adm_head", ""),
)
# What the points area writes besides the outbox.
POINTS_TABLES = (
    tables.value_tags,
    tables.claims,
    tables.point_balances,
    tables.ledger_entries,
    tables.redemption_items,
    tables.redemption_budgets,
    tables.redemptions,
    tables.actions,
    tables.chassis.idempotency,
)


async def build_points_org(org: OrgHarness, rewards: RewardsHarness, tenant: str | None = None) -> Org:
    """The company, once rewards' directory knows its people and its units."""
    built = await build_org(org, rewards, tenant, units=UNITS, positions=POSITIONS, employees=EMPLOYEES)
    await wait_for_directory(rewards, built.tenant, built.employees.values(), built.units.values())
    return built


def money(amount: str, currency: str = "CNY") -> rewards_pb2.Money:
    return rewards_pb2.Money(currency_code=currency, amount=amount)


async def create_tag(
    rewards: RewardsHarness,
    tenant: str,
    code: str = "cross-department-support",
    points: int = 50,
    **fields: Any,
) -> rewards_pb2.ValueTag:
    tag = rewards_pb2.ValueTag(
        code=code, name=fields.pop("name", code.replace("-", " ")), points=points, **fields
    )
    request = rewards_pb2.CreateValueTagRequest(value_tag=tag)
    return (await rewards.stub.CreateValueTag(request, metadata=rewards.admin(tenant))).value_tag


async def submit_claim(
    rewards: RewardsHarness,
    org: Org,
    name: str,
    tag_id: str,
    *,
    evidence: str = "moved the month-end close to a shared checklist",
    value: rewards_pb2.ValueCreated | None = None,
) -> rewards_pb2.Claim:
    request = rewards_pb2.SubmitClaimRequest(
        tag_id=tag_id,
        evidence=evidence,
        value=value or rewards_pb2.ValueCreated(amount=money("100000"), description="cost down"),
    )
    return (await rewards.stub.SubmitClaim(request, metadata=as_person(rewards, org, name))).claim


async def decide(
    rewards: RewardsHarness,
    org: Org,
    decider: Metadata,
    claim_id: str,
    *,
    approve: bool = True,
    reason: str = "",
) -> rewards_pb2.Claim:
    request = rewards_pb2.DecideClaimRequest(claim_id=claim_id, approve=approve, reason=reason)
    return (await rewards.stub.DecideClaim(request, metadata=decider)).claim


async def earn(rewards: RewardsHarness, org: Org, name: str, tag_id: str, times: int = 1) -> None:
    """`name` claims the tag `times` times and their manager approves each."""
    manager = dict((person, boss) for person, _, boss, _ in EMPLOYEES)[name] or name
    for _ in range(times):
        claim = await submit_claim(rewards, org, name, tag_id)
        await decide(rewards, org, as_person(rewards, org, manager), claim.id)


async def balance_of(rewards: RewardsHarness, org: Org, name: str) -> rewards_pb2.GetPointBalanceResponse:
    request = rewards_pb2.GetPointBalanceRequest(employee_id=org.employees[name])
    return await rewards.stub.GetPointBalance(request, metadata=as_person(rewards, org, name))


def bonus_item(points: int = 100, budget: int = 10, **fields: object) -> rewards_pb2.RedemptionItem:
    return rewards_pb2.RedemptionItem(
        name=str(fields.pop("name", "¥5,000 bonus")),
        kind=rewards_pb2.REDEMPTION_KIND_BONUS,
        points=points,
        bonus=money("5000"),
        budget_period=rewards_pb2.BUDGET_PERIOD_QUARTER,
        budget=budget,
        **fields,
    )


async def create_item(
    rewards: RewardsHarness, org: Org, item: rewards_pb2.RedemptionItem
) -> rewards_pb2.RedemptionItem:
    request = rewards_pb2.CreateRedemptionItemRequest(item=item)
    return (await rewards.stub.CreateRedemptionItem(request, metadata=as_hr(rewards, org))).item


async def redeem(
    rewards: RewardsHarness, org: Org, name: str, item_id: str, request_id: str = ""
) -> rewards_pb2.RedeemResponse:
    request = rewards_pb2.RedeemRequest(item_id=item_id, request_id=request_id)
    return await rewards.stub.Redeem(request, metadata=as_person(rewards, org, name))


async def ledger_of(rewards: RewardsHarness, org: Org, name: str) -> list[rewards_pb2.LedgerEntry]:
    request = rewards_pb2.ListLedgerEntriesRequest(employee_id=org.employees[name], page_size=2)
    pages = await every_page(
        rewards.stub.ListLedgerEntries, request, "entries", as_person(rewards, org, name)
    )
    return [entry for page in pages for entry in page]


@asynccontextmanager
async def points_unchanged(rewards: RewardsHarness) -> AsyncIterator[None]:
    """Asserts that what runs inside changes no tag, claim, balance, ledger entry, redemption or action
    and writes no event."""
    async with state_unchanged(rewards.settings.database_url, POINTS_TABLES, tables.chassis.outbox):
        yield


async def stored_events(rewards: RewardsHarness, tenant: str, event_type: type[Message]) -> list[Any]:
    """The tenant's events of this type in the outbox, oldest first."""
    return [event for owner, event in await announced(rewards, event_type) if owner == tenant]
