"""What the rewards tenant isolation test shares: one tenant with something in every area of rewards,
made with request ids another tenant will send again; every table rewards' RPCs write, read back whole
or for one tenant; the outcome of a call in words; and another tenant's calls, recorded per RPC so the
test knows which RPCs of the service it called.

Our tenant is appraisal's default fintech organization (tests/integration/appraisal/setup_helpers.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import grpc
from fulcrum.rewards.v1 import rewards_pb2, rewards_pb2_grpc
from google.protobuf import text_format
from google.protobuf.message import Message
from sqlalchemy import select

from services.chassis.database import create_engine
from services.rewards.adapters import tables
from tests.integration.appraisal.setup_helpers import Org, as_person, build_org
from tests.integration.rewards.career_helpers import open_plan
from tests.integration.rewards.decision_helpers import consumed, wait_for_decisions
from tests.integration.rewards.points_helpers import bonus_item, decide, money
from tests.support.appraisal_events import grade_finalized, publish_appraisal_events
from tests.support.calls import Metadata, StoredState, field_violations
from tests.support.directory import wait_for_directory
from tests.support.nats import JetStreamClient
from tests.support.org import OrgHarness
from tests.support.rewards import RewardsHarness

SERVICE = rewards_pb2.DESCRIPTOR.services_by_name["RewardsService"]
# Every table rewards' RPCs write; grades come from appraisal's events, the directory from org's.
RPC_STATE = (
    tables.policy_versions,
    tables.grades,
    tables.decisions,
    tables.actions,
    tables.eligibility_rules,
    tables.pips,
    tables.pip_check_ins,
    tables.courses,
    tables.value_tags,
    tables.claims,
    tables.point_balances,
    tables.ledger_entries,
    tables.redemption_items,
    tables.redemption_budgets,
    tables.redemptions,
    tables.chassis.idempotency,
)
CYCLE = "annual-2026"
COURSE = "QC-101"
# Our tenant's request id of every change it made, which the other tenant sends again for its own.
REQUEST_ID = "first"
TAG_CODE = "month-end-close"
ELIGIBILITY_RULE = "plant-lead"
# The list RPCs whose pages our tenant's admin turns with page tokens, and the list each page holds.
LISTS = {
    "ListPolicyVersions": (rewards_pb2.ListPolicyVersionsRequest, "policies"),
    "ListDecisions": (rewards_pb2.ListDecisionsRequest, "decisions"),
    "ListActions": (rewards_pb2.ListActionsRequest, "actions"),
    "ListPromotionCandidates": (rewards_pb2.ListPromotionCandidatesRequest, "candidates"),
    "ListPips": (rewards_pb2.ListPipsRequest, "pips"),
    "ListCourses": (rewards_pb2.ListCoursesRequest, "courses"),
    "ListValueTags": (rewards_pb2.ListValueTagsRequest, "value_tags"),
    "ListClaims": (rewards_pb2.ListClaimsRequest, "claims"),
    "ListRedemptionItems": (rewards_pb2.ListRedemptionItemsRequest, "items"),
    "ListRedemptions": (rewards_pb2.ListRedemptionsRequest, "redemptions"),
}


@dataclass(frozen=True)
class Ours:
    """Our tenant and the ids of what it holds."""

    org: Org
    pip: rewards_pb2.Pip
    tag_ids: tuple[str, ...]
    claim_ids: tuple[str, ...]
    item_id: str
    # A token for the second page of each of LISTS, as our admin got it.
    page_tokens: dict[str, str]

    @property
    def tenant(self) -> str:
        return self.org.tenant


async def known_org(org: OrgHarness, rewards: RewardsHarness) -> Org:
    """The default organization, once rewards' directory knows its people and its units."""
    built = await build_org(org, rewards)
    await wait_for_directory(rewards, built.tenant, built.employees.values(), built.units.values())
    return built


async def our_tenant(org: OrgHarness, rewards: RewardsHarness, jetstream: JetStreamClient) -> Ours:
    """A tenant with a course, a policy, eligibility rules, decided grades (rep_a's A, analyst_e's C, which
    opened a plan), a plan of rep_a's with a check-in, value tags, an approved and a pending claim of
    rep_a's, a redemption item and rep_a's redemption, every change made by request id REQUEST_ID."""
    ours = await known_org(org, rewards)
    stub, admin = rewards.stub, rewards.admin(ours.tenant)
    await stub.CreateCourse(
        rewards_pb2.CreateCourseRequest(
            course=rewards_pb2.Course(code=COURSE, title="Quality control", skills=["defect"]),
            request_id=REQUEST_ID,
        ),
        metadata=admin,
    )
    await stub.PublishPolicy(
        rewards_pb2.PublishPolicyRequest(
            policy=rewards_pb2.OutcomePolicy(effective_from="2026-01-01"),
            template_name="manufacturer",
            request_id=REQUEST_ID,
        ),
        metadata=admin,
    )
    await stub.SetEligibilityRules(
        rewards_pb2.SetEligibilityRulesRequest(rules=[our_eligibility_rule()], request_id=REQUEST_ID),
        metadata=admin,
    )
    await _decided_grades(rewards, jetstream, ours)
    pip = await open_plan(rewards, ours, request_id=REQUEST_ID)
    pip = (
        await stub.AddPipCheckIn(
            rewards_pb2.AddPipCheckInRequest(
                pip_id=pip.id, note="first week", met_goal_ids=[pip.goals[0].id], request_id=REQUEST_ID
            ),
            metadata=as_person(rewards, ours, "east_lead"),
        )
    ).pip
    applied = await stub.ApplyValueTagTemplate(
        rewards_pb2.ApplyValueTagTemplateRequest(request_id=REQUEST_ID), metadata=admin
    )
    tag = (
        await stub.CreateValueTag(
            rewards_pb2.CreateValueTagRequest(
                value_tag=rewards_pb2.ValueTag(code=TAG_CODE, name="Month-end close", points=100),
                request_id=REQUEST_ID,
            ),
            metadata=admin,
        )
    ).value_tag
    approved = await _claim(rewards, ours, tag.id, REQUEST_ID)
    pending = await _claim(rewards, ours, tag.id, "")
    await decide(rewards, ours, as_person(rewards, ours, "east_lead"), approved.id)
    item = (
        await stub.CreateRedemptionItem(
            rewards_pb2.CreateRedemptionItemRequest(item=bonus_item(points=100), request_id=REQUEST_ID),
            metadata=admin,
        )
    ).item
    await stub.Redeem(
        rewards_pb2.RedeemRequest(item_id=item.id, request_id=REQUEST_ID),
        metadata=as_person(rewards, ours, "rep_a"),
    )
    await consumed(rewards, jetstream.js)
    return Ours(
        org=ours,
        pip=pip,
        tag_ids=(tag.id, *(added.id for added in applied.added)),
        claim_ids=(approved.id, pending.id),
        item_id=item.id,
        page_tokens=await _second_pages(rewards, admin),
    )


def our_eligibility_rule() -> rewards_pb2.EligibilityRule:
    return rewards_pb2.EligibilityRule(
        id=ELIGIBILITY_RULE, name="Plant lead", target="team lead", required_grade="A", consecutive=1
    )


async def _decided_grades(rewards: RewardsHarness, jetstream: JetStreamClient, ours: Org) -> None:
    east, position = ours.units["east"], ours.positions["rep"]
    grades = {"rep_a": "A", "analyst_e": "C"}
    events = [
        grade_finalized(CYCLE, ours.employees[name], grade, unit_id=east, position_id=position)
        for name, grade in grades.items()
    ]
    await publish_appraisal_events(jetstream.js, ours.tenant, events)
    await wait_for_decisions(rewards, ours.tenant, len(grades))


async def _claim(rewards: RewardsHarness, ours: Org, tag_id: str, request_id: str) -> rewards_pb2.Claim:
    request = rewards_pb2.SubmitClaimRequest(
        tag_id=tag_id,
        evidence="moved the month-end close to a shared checklist",
        value=rewards_pb2.ValueCreated(amount=money("100000")),
        request_id=request_id,
    )
    return (await rewards.stub.SubmitClaim(request, metadata=as_person(rewards, ours, "rep_a"))).claim


async def _second_pages(rewards: RewardsHarness, admin: Metadata) -> dict[str, str]:
    tokens = {}
    for rpc, (request_type, items) in LISTS.items():
        response = await getattr(rewards.stub, rpc)(request_type(page_size=1), metadata=admin)
        assert len(getattr(response, items)) == 1, f"{rpc} lists something"
        assert response.next_page_token, f"{rpc} has a second page"
        tokens[rpc] = response.next_page_token
    return tokens


class TheirCalls:
    """Calls of another tenant's callers, remembering which RPCs they called."""

    def __init__(self, stub: rewards_pb2_grpc.RewardsServiceStub) -> None:
        self._stub = stub
        self._rpc_of = {method.input_type.full_name: method.name for method in SERVICE.methods}
        self.called: set[str] = set()

    def __call__(self, request: Message, metadata: Metadata) -> Awaitable[Message]:
        rpc = self._rpc_of[request.DESCRIPTOR.full_name]
        self.called.add(rpc)
        return getattr(self._stub, rpc)(request, metadata=metadata)

    def uncalled(self) -> set[str]:
        return {method.name for method in SERVICE.methods} - self.called


async def outcome(call: Awaitable[Message]) -> str:
    """What a call came back with, in words: its status (with the fields an INVALID_ARGUMENT names),
    "empty" for a list answer holding nothing, or else the answer itself."""
    try:
        response = await call
    except grpc.aio.AioRpcError as error:
        if error.code() == grpc.StatusCode.INVALID_ARGUMENT:
            return f"INVALID_ARGUMENT {field_violations(error)}"
        return error.code().name
    lists = [field for field in response.DESCRIPTOR.fields if field.is_repeated]
    if lists and not any(getattr(response, field.name) for field in lists):
        return "empty"
    return f"answered {text_format.MessageToString(response, as_one_line=True)}"


async def tenant_state(rewards: RewardsHarness, tenant: str) -> StoredState:
    """The tenant's rows of every table rewards' RPCs write, and the ids of its events in the outbox."""
    outbox = tables.chassis.outbox
    engine = create_engine(rewards.settings.database_url)
    try:
        async with engine.connect() as connection:
            rows = {}
            for table in RPC_STATE:
                query = select(table).where(table.c.tenant_id == tenant).order_by(*table.primary_key.columns)
                rows[table.name] = [tuple(row) for row in await connection.execute(query)]
            events = select(outbox.c.event_id).where(outbox.c.tenant_id == tenant).order_by(outbox.c.seq)
            event_ids = list((await connection.execute(events)).scalars())
    finally:
        await engine.dispose()
    return StoredState(rows, event_ids)


@asynccontextmanager
async def tenant_unchanged(rewards: RewardsHarness, tenant: str) -> AsyncIterator[None]:
    """Asserts that what runs inside changes none of the tenant's rows and writes no event of the tenant."""
    before = await tenant_state(rewards, tenant)
    yield
    after = await tenant_state(rewards, tenant)
    assert after.event_ids == before.event_ids, "an event of the tenant was written"
    for table, rows in before.rows.items():
        assert after.rows[table] == rows, f"the tenant's {table} changed"
