"""Every RPC of the rewards service, called from another tenant with this tenant's ids, finds nothing and
changes nothing: its admin, its HR and a token carrying one of our employees' ids get NOT_FOUND or an
empty list, our ids inside their own requests are unknown references, our page tokens are not theirs, and
what they set up with our codes and our request ids is theirs alone."""

from __future__ import annotations

from dataclasses import dataclass

from fulcrum.rewards.v1 import rewards_pb2 as P
from google.protobuf.message import Message

from services.chassis.context import ROLE_EMPLOYEE
from services.rewards.adapters import tables
from tests.integration.appraisal.setup_helpers import Org, as_hr, as_person
from tests.integration.rewards.isolation_helpers import (
    COURSE,
    CYCLE,
    ELIGIBILITY_RULE,
    LISTS,
    REQUEST_ID,
    RPC_STATE,
    TAG_CODE,
    Ours,
    TheirCalls,
    known_org,
    our_eligibility_rule,
    our_tenant,
    outcome,
    tenant_unchanged,
)
from tests.integration.rewards.points_helpers import bonus_item, money
from tests.support.calls import Metadata, mask, state_unchanged
from tests.support.nats import JetStreamClient
from tests.support.org import OrgHarness
from tests.support.rewards import RewardsHarness
from tests.support.services import new_tenant

NOT_FOUND = "NOT_FOUND"
EMPTY = "empty"
DENIED = "PERMISSION_DENIED"
VALUE = P.ValueCreated(amount=money("1000"))


def invalid(field: str, description: str) -> str:
    """The outcome of an INVALID_ARGUMENT naming one field."""
    return "INVALID_ARGUMENT " + str({field: description})


FOREIGN_TOKEN = invalid("page_token", "belongs to another query; start again without a token")


@dataclass(frozen=True)
class Case:
    request: Message
    expected: str
    # What a token of an employee gets instead, when the role is refused before any lookup: the tenant's
    # setup and its tenant-wide views are for HR and admins.
    as_employee: str = ""


def cases_on_our_ids(ours: Ours) -> dict[str, list[Case]]:
    """Requests naming what our tenant holds, or listing the caller's tenant, by RPC."""
    people, units, pip = ours.org.employees, ours.org.units, ours.pip
    rep_a = people["rep_a"]
    for_hr = {"as_employee": DENIED}
    cases = {
        "GetPolicy": [
            Case(P.GetPolicyRequest(version=1), NOT_FOUND),
            Case(P.GetPolicyRequest(as_of="2026-12-31"), NOT_FOUND),
            Case(P.GetPolicyRequest(), NOT_FOUND),
        ],
        "ListPolicyVersions": [Case(P.ListPolicyVersionsRequest(), EMPTY)],
        "ListDecisions": [
            Case(P.ListDecisionsRequest(cycle_id=CYCLE, include_superseded=True), EMPTY),
            Case(P.ListDecisionsRequest(employee_id=rep_a), EMPTY),
            Case(P.ListDecisionsRequest(unit_id=units["east"]), NOT_FOUND),
            Case(P.ListDecisionsRequest(), EMPTY),
        ],
        "ListActions": [
            Case(P.ListActionsRequest(cycle_id=CYCLE), EMPTY),
            Case(P.ListActionsRequest(employee_id=rep_a), EMPTY),
            Case(P.ListActionsRequest(), EMPTY),
        ],
        "DecideCycle": [Case(P.DecideCycleRequest(cycle_id=CYCLE), NOT_FOUND, **for_hr)],
        "ListPromotionCandidates": [
            Case(P.ListPromotionCandidatesRequest(unit_id=units["company"]), NOT_FOUND),
            Case(P.ListPromotionCandidatesRequest(), EMPTY, **for_hr),
        ],
        "ExplainEligibility": [Case(P.ExplainEligibilityRequest(employee_id=rep_a), NOT_FOUND)],
        "CreatePip": [Case(P.CreatePipRequest(employee_id=people["rep_b"], reason="slow"), NOT_FOUND)],
        "GetPip": [Case(P.GetPipRequest(pip_id=pip.id), NOT_FOUND)],
        "ListPips": [Case(P.ListPipsRequest(employee_id=rep_a), NOT_FOUND), Case(P.ListPipsRequest(), EMPTY)],
        "UpdatePip": [
            Case(
                P.UpdatePipRequest(
                    pip=P.Pip(id=pip.id, reason="mine", goals=pip.goals), update_mask=mask("reason", "goals")
                ),
                NOT_FOUND,
            )
        ],
        "AddPipCheckIn": [
            Case(
                P.AddPipCheckInRequest(
                    pip_id=pip.id, note="met", met_goal_ids=[goal.id for goal in pip.goals]
                ),
                NOT_FOUND,
            )
        ],
        "ClosePip": [
            Case(P.ClosePipRequest(pip_id=pip.id, outcome=P.PIP_OUTCOME_ESCALATED, note="x"), NOT_FOUND)
        ],
        "UpdateCourse": [
            Case(
                P.UpdateCourseRequest(course=P.Course(code=COURSE, title="Mine"), update_mask=mask("title")),
                NOT_FOUND,
                **for_hr,
            )
        ],
        "ListCourses": [Case(P.ListCoursesRequest(include_inactive=True), EMPTY)],
        "GetTrainingRecommendations": [
            Case(P.GetTrainingRecommendationsRequest(employee_id=rep_a), NOT_FOUND),
            Case(P.GetTrainingRecommendationsRequest(employee_id=rep_a, cycle_id=CYCLE), NOT_FOUND),
        ],
        "RequestEnrolment": [
            Case(P.RequestEnrolmentRequest(employee_id=rep_a, course_code=COURSE), NOT_FOUND)
        ],
        "UpdateValueTag": [
            Case(
                P.UpdateValueTagRequest(
                    value_tag=P.ValueTag(id=tag_id, points=1), update_mask=mask("points")
                ),
                NOT_FOUND,
                **for_hr,
            )
            for tag_id in ours.tag_ids[:2]
        ],
        "ListValueTags": [Case(P.ListValueTagsRequest(include_inactive=True), EMPTY)],
        # Only the tenant's active employees claim and redeem, so none of these callers reaches the id;
        # their own people do in _their_people_name_our_ids.
        "SubmitClaim": [
            Case(P.SubmitClaimRequest(tag_id=ours.tag_ids[0], evidence="mine", value=VALUE), DENIED)
        ],
        "GetClaim": [Case(P.GetClaimRequest(claim_id=claim_id), NOT_FOUND) for claim_id in ours.claim_ids],
        "ListClaims": [
            Case(P.ListClaimsRequest(employee_id=rep_a), NOT_FOUND),
            Case(P.ListClaimsRequest(awaiting_me=True), EMPTY),
            Case(P.ListClaimsRequest(), EMPTY),
        ],
        "DecideClaim": [
            Case(P.DecideClaimRequest(claim_id=ours.claim_ids[1], approve=True), NOT_FOUND),
            Case(P.DecideClaimRequest(claim_id=ours.claim_ids[0], approve=False, reason="no"), NOT_FOUND),
        ],
        "GetPointBalance": [Case(P.GetPointBalanceRequest(employee_id=rep_a), NOT_FOUND)],
        "ListLedgerEntries": [Case(P.ListLedgerEntriesRequest(employee_id=rep_a), NOT_FOUND)],
        "GetLeaderboard": [
            Case(P.GetLeaderboardRequest(unit_id=units["company"]), NOT_FOUND),
            Case(P.GetLeaderboardRequest(period_start="2020-01-01", period_end="2030-12-31"), EMPTY),
        ],
        "GetTagRarity": [Case(P.GetTagRarityRequest(unit_id=units["east"]), NOT_FOUND, **for_hr)],
        "CreateRedemptionItem": [
            Case(
                P.CreateRedemptionItemRequest(
                    item=P.RedemptionItem(
                        name="Quality control",
                        kind=P.REDEMPTION_KIND_COURSE,
                        points=150,
                        course_code=COURSE,
                        budget_period=P.BUDGET_PERIOD_QUARTER,
                        budget=5,
                    )
                ),
                invalid("item.course_code", f"no active course {COURSE} in the catalog"),
                **for_hr,
            )
        ],
        "UpdateRedemptionItem": [
            Case(
                P.UpdateRedemptionItemRequest(
                    item=P.RedemptionItem(id=ours.item_id, budget=1), update_mask=mask("budget")
                ),
                NOT_FOUND,
                **for_hr,
            )
        ],
        "ListRedemptionItems": [Case(P.ListRedemptionItemsRequest(include_inactive=True), EMPTY)],
        "Redeem": [Case(P.RedeemRequest(item_id=ours.item_id), DENIED)],
        "ListRedemptions": [
            Case(P.ListRedemptionsRequest(employee_id=rep_a), NOT_FOUND),
            Case(P.ListRedemptionsRequest(), EMPTY),
        ],
    }
    for rpc, (request_type, _) in LISTS.items():
        cases[rpc].append(Case(request_type(page_token=ours.page_tokens[rpc]), FOREIGN_TOKEN))
    return cases


def their_callers(rewards: RewardsHarness, theirs: Org, ours: Ours) -> dict[str, Metadata]:
    return {
        "admin": rewards.admin(theirs.tenant),
        "hr": as_hr(rewards, theirs),
        # Our employee's id under their tenant: the id alone opens nothing of ours, not even "their own".
        "impostor": rewards.as_(theirs.tenant, ours.org.employees["rep_a"], (ROLE_EMPLOYEE,)),
    }


async def test_every_rpc_from_another_tenant_finds_nothing_of_ours_and_changes_nothing(
    org: OrgHarness, rewards: RewardsHarness, jetstream: JetStreamClient
) -> None:
    ours = await our_tenant(org, rewards, jetstream)
    theirs = await known_org(org, rewards)
    call = TheirCalls(rewards.stub)
    callers = their_callers(rewards, theirs, ours)
    cases = cases_on_our_ids(ours)

    observed: dict[tuple[str, str, int], str] = {}
    expected: dict[tuple[str, str, int], str] = {}
    async with state_unchanged(rewards.settings.database_url, RPC_STATE, tables.chassis.outbox):
        for who, metadata in callers.items():
            for rpc, rpc_cases in cases.items():
                for number, case in enumerate(rpc_cases):
                    observed[(who, rpc, number)] = await outcome(call(case.request, metadata))
                    refused = who == "impostor" and case.as_employee
                    expected[(who, rpc, number)] = refused or case.expected
        assert observed == expected
        await _their_people_name_our_ids(rewards, call, ours, theirs)
        await _tenant_wide_reads_hold_nothing_of_ours(rewards, call, ours, callers)
    async with tenant_unchanged(rewards, ours.tenant):
        await _their_setup_with_our_codes_and_request_ids_is_theirs(rewards, call, ours, theirs)

    assert call.uncalled() == set(), "RPCs of the service without a case in this test"


async def _their_people_name_our_ids(
    rewards: RewardsHarness, call: TheirCalls, ours: Ours, theirs: Org
) -> None:
    """Their own employees and managers, naming our ids inside requests about themselves and their people."""
    their_rep, their_lead = as_person(rewards, theirs, "rep_a"), as_person(rewards, theirs, "east_lead")
    admin = rewards.admin(theirs.tenant)
    requests = [
        (P.SubmitClaimRequest(tag_id=ours.tag_ids[0], evidence="mine", value=VALUE), their_rep),
        (P.RedeemRequest(item_id=ours.item_id), their_rep),
        (P.CreatePipRequest(employee_id=ours.org.employees["rep_b"], reason="slow"), their_lead),
        (P.RequestEnrolmentRequest(employee_id=theirs.employees["rep_a"], course_code=COURSE), their_lead),
        (P.GetTrainingRecommendationsRequest(employee_id=theirs.employees["rep_a"], cycle_id=CYCLE), admin),
        (P.ListPromotionCandidatesRequest(rule_id=ELIGIBILITY_RULE), admin),
        (P.ListDecisionsRequest(cycle_id=CYCLE, unit_id=theirs.units["company"]), admin),
    ]
    observed = [await outcome(call(request, metadata)) for request, metadata in requests]
    assert observed == [
        invalid("tag_id", "no such value tag"),
        NOT_FOUND,
        NOT_FOUND,
        NOT_FOUND,
        NOT_FOUND,
        # Their own rules, which ours are not among.
        invalid("rule_id", "is not one of the tenant's rules (manager, next-level)"),
        EMPTY,
    ]


async def _tenant_wide_reads_hold_nothing_of_ours(
    rewards: RewardsHarness, call: TheirCalls, ours: Ours, callers: dict[str, Metadata]
) -> None:
    """The templates are the service's, the same for every tenant; their eligibility rules are the
    defaults a new tenant has, not ours."""
    our_admin, newcomer = rewards.admin(ours.tenant), rewards.admin(new_tenant())
    templates = await rewards.stub.ListPolicyTemplates(P.ListPolicyTemplatesRequest(), metadata=our_admin)
    defaults = await rewards.stub.GetEligibilityRules(P.GetEligibilityRulesRequest(), metadata=newcomer)
    assert defaults.version == 0
    for metadata in callers.values():
        assert await call(P.ListPolicyTemplatesRequest(), metadata) == templates
        assert await call(P.GetEligibilityRulesRequest(), metadata) == defaults


async def _their_setup_with_our_codes_and_request_ids_is_theirs(
    rewards: RewardsHarness, call: TheirCalls, ours: Ours, theirs: Org
) -> None:
    """What they set up with our course code, tag code and request ids is new and theirs: a request id
    names the caller's own earlier call, never ours."""
    admin = rewards.admin(theirs.tenant)
    course = await call(
        P.CreateCourseRequest(
            course=P.Course(code=COURSE, title="Their quality course"), request_id=REQUEST_ID
        ),
        admin,
    )
    assert (course.course.title, course.course.version) == ("Their quality course", 1)
    policy = (
        await call(
            P.PublishPolicyRequest(
                policy=P.OutcomePolicy(effective_from="2027-01-01", note="theirs"),
                template_name="manufacturer",
                request_id=REQUEST_ID,
            ),
            admin,
        )
    ).policy
    assert (policy.version, policy.note) == (1, "theirs")
    # The A rule's training takes its title from their catalog.
    trainings = [
        action.training for rule in policy.rules for action in rule.actions if action.HasField("training")
    ]
    assert (trainings[0].course_code, trainings[0].course_title) == (COURSE, "Their quality course")
    their_rule = P.EligibilityRule(id="their-rule", required_grade="B", consecutive=2)
    rules = await call(
        P.SetEligibilityRulesRequest(rules=[their_rule, our_eligibility_rule()], request_id=REQUEST_ID),
        admin,
    )
    assert (rules.version, [rule.id for rule in rules.rules]) == (1, ["their-rule", ELIGIBILITY_RULE])
    tag = (
        await call(
            P.CreateValueTagRequest(
                value_tag=P.ValueTag(code=TAG_CODE, name="Their close", points=7), request_id=REQUEST_ID
            ),
            admin,
        )
    ).value_tag
    assert (tag.name, tag.points) == ("Their close", 7)
    added = (await call(P.ApplyValueTagTemplateRequest(request_id=REQUEST_ID), admin)).added
    item = (
        await call(
            P.CreateRedemptionItemRequest(item=bonus_item(name="Their bonus"), request_id=REQUEST_ID), admin
        )
    ).item
    assert item.name == "Their bonus"
    # Every tag of the template is new to them, though we applied it under the same request id.
    assert len(added) == 10
    assert not {tag.id, item.id, *(added_tag.id for added_tag in added)} & {*ours.tag_ids, ours.item_id}
