"""Claims (R5): an employee claims a value tag's points with evidence and the value created; their
manager (or HR covering them) approves or rejects it once, and the employee is told at once. A refused
call changes nothing."""

from __future__ import annotations

import asyncio

import grpc
import nats
from fulcrum.rewards.v1 import events_pb2, rewards_pb2

from services.chassis.messaging.envelope import stream_name
from tests.integration.rewards.points_helpers import (
    as_hr,
    as_person,
    balance_of,
    build_points_org,
    create_tag,
    decide,
    money,
    points_unchanged,
    stored_events,
    submit_claim,
)
from tests.support.calls import every_page, field_violations, mask, precondition_violations, rpc_error
from tests.support.org import OrgHarness
from tests.support.rewards import RewardsHarness
from tests.support.services import new_tenant

CLAIM_DECIDED = "fulcrum.rewards.v1.ClaimDecided"


async def test_an_approved_claim_credits_the_ledger_and_tells_the_claimant_at_once(
    org: OrgHarness, rewards: RewardsHarness
):
    company = await build_points_org(org, rewards)
    tag = await create_tag(rewards, company.tenant, "process-optimization", 100)
    connection = await nats.connect(rewards.settings.nats_url)
    try:
        told = await connection.jetstream().pull_subscribe(CLAIM_DECIDED, stream=stream_name("rewards"))
        claim = await submit_claim(
            rewards,
            company,
            "accountant",
            tag.id,
            value=rewards_pb2.ValueCreated(hours=1000, hourly_rate=money("50"), description="hours saved"),
        )
        approved = await decide(rewards, company, as_person(rewards, company, "fin_head"), claim.id)
        [message] = await told.fetch(1, timeout=10)
        await message.ack()
    finally:
        await connection.close()

    assert (claim.status, claim.points, claim.tag_code) == (
        rewards_pb2.CLAIM_STATUS_PENDING,
        100,
        "process-optimization",
    )
    assert claim.unit_id == company.units["finance"]
    assert claim.value.total == money("50000")
    assert (approved.status, approved.decided_by, approved.version) == (
        rewards_pb2.CLAIM_STATUS_APPROVED,
        company.employees["fin_head"],
        claim.version + 1,
    )
    event = events_pb2.ClaimDecided.FromString(message.data)
    assert (event.claim, event.balance) == (approved, 100)
    [submitted] = await stored_events(rewards, company.tenant, events_pb2.ClaimSubmitted)
    assert submitted.claim == claim
    balance = await balance_of(rewards, company, "accountant")
    assert (balance.balance, balance.earned, balance.spent) == (100, 100, 0)
    ledger = await rewards.stub.ListLedgerEntries(
        rewards_pb2.ListLedgerEntriesRequest(employee_id=company.employees["accountant"]),
        metadata=as_person(rewards, company, "fin_head"),
    )
    [entry] = ledger.entries
    assert (entry.amount, entry.balance_after, entry.kind, entry.reference_id, entry.recorded_by) == (
        100,
        100,
        rewards_pb2.LEDGER_ENTRY_KIND_CLAIM,
        claim.id,
        company.employees["fin_head"],
    )


async def test_a_rejection_says_why_credits_nothing_and_a_rejection_without_a_reason_is_refused(
    org: OrgHarness, rewards: RewardsHarness
):
    company = await build_points_org(org, rewards)
    tag = await create_tag(rewards, company.tenant)
    claim = await submit_claim(rewards, company, "dev_a", tag.id)
    manager = as_person(rewards, company, "tech_head")

    async with points_unchanged(rewards):
        error = await rpc_error(
            decide(rewards, company, manager, claim.id, approve=False, reason="  "),
            grpc.StatusCode.INVALID_ARGUMENT,
        )
    assert "reason" in field_violations(error)

    rejected = await decide(
        rewards, company, manager, claim.id, approve=False, reason="the project was our own department's"
    )

    assert rejected.status == rewards_pb2.CLAIM_STATUS_REJECTED
    assert rejected.decision_reason == "the project was our own department's"
    [told] = await stored_events(rewards, company.tenant, events_pb2.ClaimDecided)
    assert (told.claim, told.balance) == (rejected, 0)
    assert (await balance_of(rewards, company, "dev_a")).balance == 0


async def test_hr_covering_the_claimant_and_a_unit_head_above_them_may_decide(
    org: OrgHarness, rewards: RewardsHarness
):
    company = await build_points_org(org, rewards)
    tag = await create_tag(rewards, company.tenant)
    first = await submit_claim(rewards, company, "clerk", tag.id)
    second = await submit_claim(rewards, company, "clerk", tag.id)

    by_hr = await decide(rewards, company, as_hr(rewards, company, "admin"), first.id)
    by_ceo = await decide(rewards, company, as_person(rewards, company, "ceo"), second.id)

    assert by_hr.status == by_ceo.status == rewards_pb2.CLAIM_STATUS_APPROVED
    assert (await balance_of(rewards, company, "clerk")).balance == 100


async def test_nobody_decides_their_own_claim_or_one_outside_their_reach_and_nothing_changes(
    org: OrgHarness, rewards: RewardsHarness
):
    company = await build_points_org(org, rewards)
    tag = await create_tag(rewards, company.tenant)
    own = await submit_claim(rewards, company, "fin_head", tag.id)
    others = await submit_claim(rewards, company, "dev_a", tag.id)

    async with points_unchanged(rewards):
        await rpc_error(
            decide(rewards, company, as_person(rewards, company, "fin_head"), own.id),
            grpc.StatusCode.PERMISSION_DENIED,
        )
        await rpc_error(
            decide(rewards, company, as_person(rewards, company, "fin_head", "hr", "employee"), own.id),
            grpc.StatusCode.PERMISSION_DENIED,
        )
        for outsider in (
            as_person(rewards, company, "fin_head"),
            as_person(rewards, company, "dev_b"),
            as_hr(rewards, company, "finance"),
        ):
            await rpc_error(decide(rewards, company, outsider, others.id), grpc.StatusCode.PERMISSION_DENIED)


async def test_a_claim_is_decided_once_and_a_stale_version_is_aborted(
    org: OrgHarness, rewards: RewardsHarness
):
    company = await build_points_org(org, rewards)
    tag = await create_tag(rewards, company.tenant)
    claim = await submit_claim(rewards, company, "dev_a", tag.id)
    manager = as_person(rewards, company, "tech_head")
    await decide(rewards, company, manager, claim.id)

    async with points_unchanged(rewards):
        error = await rpc_error(
            decide(
                rewards, company, as_person(rewards, company, "ceo"), claim.id, approve=False, reason="no"
            ),
            grpc.StatusCode.FAILED_PRECONDITION,
        )
        assert precondition_violations(error) == {f"claim:{claim.id}": "is approved"}

    pending = await submit_claim(rewards, company, "dev_a", tag.id)
    async with points_unchanged(rewards):
        request = rewards_pb2.DecideClaimRequest(claim_id=pending.id, approve=True, expected_version=7)
        await rpc_error(rewards.stub.DecideClaim(request, metadata=manager), grpc.StatusCode.ABORTED)
    assert (await balance_of(rewards, company, "dev_a")).balance == 50


async def test_two_managers_approving_the_same_claim_at_once_credit_it_once(
    org: OrgHarness, rewards: RewardsHarness
):
    company = await build_points_org(org, rewards)
    tag = await create_tag(rewards, company.tenant)
    claim = await submit_claim(rewards, company, "dev_a", tag.id)

    outcomes = await asyncio.gather(
        decide(rewards, company, as_person(rewards, company, "tech_head"), claim.id),
        decide(rewards, company, as_person(rewards, company, "ceo"), claim.id),
        return_exceptions=True,
    )

    refused = [outcome for outcome in outcomes if isinstance(outcome, grpc.aio.AioRpcError)]
    assert [error.code() for error in refused] == [grpc.StatusCode.FAILED_PRECONDITION]
    assert (await balance_of(rewards, company, "dev_a")).balance == 50


async def test_a_claim_needs_a_known_active_tag_evidence_and_the_value_created(
    org: OrgHarness, rewards: RewardsHarness
):
    company = await build_points_org(org, rewards)
    tag = await create_tag(rewards, company.tenant)
    retired = await create_tag(rewards, company.tenant, "retired-tag")
    await rewards.stub.UpdateValueTag(
        rewards_pb2.UpdateValueTagRequest(
            value_tag=rewards_pb2.ValueTag(id=retired.id, active=False),
            update_mask=mask("active"),
        ),
        metadata=rewards.admin(company.tenant),
    )
    elsewhere = await create_tag(rewards, new_tenant())
    value = rewards_pb2.ValueCreated(amount=money("100000"))
    cases = {
        "tag_id": [
            rewards_pb2.SubmitClaimRequest(tag_id="no-such-tag", evidence="e", value=value),
            rewards_pb2.SubmitClaimRequest(tag_id=retired.id, evidence="e", value=value),
            rewards_pb2.SubmitClaimRequest(tag_id=elsewhere.id, evidence="e", value=value),
        ],
        "evidence": [
            rewards_pb2.SubmitClaimRequest(tag_id=tag.id, evidence=" ", value=value),
            rewards_pb2.SubmitClaimRequest(tag_id=tag.id, evidence="e" * 4001, value=value),
        ],
        "value": [rewards_pb2.SubmitClaimRequest(tag_id=tag.id, evidence="e")],
        "value.hourly_rate": [
            rewards_pb2.SubmitClaimRequest(
                tag_id=tag.id, evidence="e", value=rewards_pb2.ValueCreated(hours=3)
            )
        ],
        "value.hours": [
            rewards_pb2.SubmitClaimRequest(
                tag_id=tag.id, evidence="e", value=rewards_pb2.ValueCreated(hours=-3, hourly_rate=money("50"))
            )
        ],
        "value.amount": [
            rewards_pb2.SubmitClaimRequest(
                tag_id=tag.id,
                evidence="e",
                value=rewards_pb2.ValueCreated(amount=money("100"), hours=3, hourly_rate=money("50")),
            ),
            rewards_pb2.SubmitClaimRequest(
                tag_id=tag.id, evidence="e", value=rewards_pb2.ValueCreated(amount=money("ten thousand"))
            ),
        ],
    }
    claimant = as_person(rewards, company, "dev_a")

    async with points_unchanged(rewards):
        for field, requests in cases.items():
            for request in requests:
                error = await rpc_error(
                    rewards.stub.SubmitClaim(request, metadata=claimant), grpc.StatusCode.INVALID_ARGUMENT
                )
                assert field in field_violations(error), (field, error.details())
        await rpc_error(
            rewards.stub.SubmitClaim(
                rewards_pb2.SubmitClaimRequest(tag_id=tag.id, evidence="e", value=value),
                metadata=rewards.admin(company.tenant),
            ),
            grpc.StatusCode.PERMISSION_DENIED,
        )

    agreeing = rewards_pb2.ValueCreated(amount=money("150.5"), hours=3.01, hourly_rate=money("50"))
    claim = await submit_claim(rewards, company, "dev_a", tag.id, value=agreeing)
    assert claim.value.total == money("150.5")


async def test_claims_are_seen_by_the_claimant_their_managers_and_hr_covering_them(
    org: OrgHarness, rewards: RewardsHarness
):
    company = await build_points_org(org, rewards)
    tag = await create_tag(rewards, company.tenant)
    dev_claim = await submit_claim(rewards, company, "dev_a", tag.id)
    clerk_claim = await submit_claim(rewards, company, "clerk", tag.id)
    head_claim = await submit_claim(rewards, company, "tech_head", tag.id)

    async def listed(caller: tuple[tuple[str, str], ...], **filters: object) -> set[str]:
        request = rewards_pb2.ListClaimsRequest(page_size=1, **filters)
        pages = await every_page(rewards.stub.ListClaims, request, "claims", caller)
        return {claim.id for page in pages for claim in page}

    tech_head = as_person(rewards, company, "tech_head")
    assert await listed(as_person(rewards, company, "dev_a")) == {dev_claim.id}
    assert await listed(tech_head) == {dev_claim.id, head_claim.id}
    assert await listed(tech_head, awaiting_me=True) == {dev_claim.id}
    assert await listed(as_person(rewards, company, "ceo"), awaiting_me=True) == {
        dev_claim.id,
        clerk_claim.id,
        head_claim.id,
    }
    assert await listed(as_hr(rewards, company, "admin"), awaiting_me=True) == {clerk_claim.id}
    assert await listed(rewards.admin(company.tenant), employee_id=company.employees["clerk"]) == {
        clerk_claim.id
    }
    assert await listed(tech_head, status=rewards_pb2.CLAIM_STATUS_APPROVED) == set()

    got = await rewards.stub.GetClaim(rewards_pb2.GetClaimRequest(claim_id=dev_claim.id), metadata=tech_head)
    assert got.claim == dev_claim
    await rpc_error(
        rewards.stub.GetClaim(
            rewards_pb2.GetClaimRequest(claim_id=dev_claim.id), metadata=as_person(rewards, company, "clerk")
        ),
        grpc.StatusCode.NOT_FOUND,
    )
    await rpc_error(
        rewards.stub.ListClaims(
            rewards_pb2.ListClaimsRequest(employee_id=company.employees["dev_a"]),
            metadata=as_person(rewards, company, "clerk"),
        ),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    error = await rpc_error(
        rewards.stub.ListClaims(rewards_pb2.ListClaimsRequest(status=99), metadata=tech_head),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert field_violations(error) == {"status": "99 is not a claim status"}


async def test_another_tenants_claims_are_not_found(org: OrgHarness, rewards: RewardsHarness):
    company = await build_points_org(org, rewards)
    other = await build_points_org(org, rewards)
    tag = await create_tag(rewards, company.tenant)
    claim = await submit_claim(rewards, company, "dev_a", tag.id)
    their_ceo = as_person(rewards, other, "ceo")

    async with points_unchanged(rewards):
        await rpc_error(
            rewards.stub.GetClaim(rewards_pb2.GetClaimRequest(claim_id=claim.id), metadata=their_ceo),
            grpc.StatusCode.NOT_FOUND,
        )
        await rpc_error(decide(rewards, other, their_ceo, claim.id), grpc.StatusCode.NOT_FOUND)
        await rpc_error(
            decide(rewards, other, rewards.admin(other.tenant), claim.id), grpc.StatusCode.NOT_FOUND
        )
    listed = await rewards.stub.ListClaims(
        rewards_pb2.ListClaimsRequest(), metadata=rewards.admin(other.tenant)
    )
    assert list(listed.claims) == []


async def test_a_retried_submission_or_decision_with_the_same_request_id_happens_once(
    org: OrgHarness, rewards: RewardsHarness
):
    company = await build_points_org(org, rewards)
    tag = await create_tag(rewards, company.tenant)
    claimant = as_person(rewards, company, "dev_a")
    submit = rewards_pb2.SubmitClaimRequest(
        tag_id=tag.id, evidence="e", value=rewards_pb2.ValueCreated(amount=money("10")), request_id="claim-1"
    )
    first = (await rewards.stub.SubmitClaim(submit, metadata=claimant)).claim
    again = (await rewards.stub.SubmitClaim(submit, metadata=claimant)).claim
    approve = rewards_pb2.DecideClaimRequest(claim_id=first.id, approve=True, request_id="decide-1")
    manager = as_person(rewards, company, "tech_head")
    decided = (await rewards.stub.DecideClaim(approve, metadata=manager)).claim
    decided_again = (await rewards.stub.DecideClaim(approve, metadata=manager)).claim

    assert again == first
    assert decided_again == decided
    assert len(await stored_events(rewards, company.tenant, events_pb2.ClaimSubmitted)) == 1
    assert (await balance_of(rewards, company, "dev_a")).balance == 50
