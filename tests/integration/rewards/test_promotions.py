"""Promotion eligibility (R2) through the real service, with grades arriving as appraisal's events: the
tenant's rules, the candidates of a unit, and why an employee is or is not eligible; who may see them,
and bad rules that change nothing."""

from __future__ import annotations

import asyncio
import time

import grpc
from fulcrum.appraisal.v1 import appraisal_pb2
from fulcrum.rewards.v1 import rewards_pb2

from services.chassis.context import ROLE_ADMIN
from tests.integration.appraisal.setup_helpers import Org, as_hr, as_person
from tests.integration.rewards.career_helpers import annual, career_org, careers_unchanged, grade, quarter
from tests.support.appraisal_events import grade_revised, publish_appraisal_events
from tests.support.calls import Metadata, every_page, field_violations, rpc_error
from tests.support.nats import JetStreamClient
from tests.support.org import OrgHarness, new_tenant
from tests.support.rewards import RewardsHarness

ANNUAL = appraisal_pb2.CYCLE_KIND_ANNUAL
EXPLAIN_TIMEOUT_SECONDS = 20


async def graded_org(org: OrgHarness, rewards: RewardsHarness, jetstream: JetStreamClient) -> Org:
    """rep_a: three annual A; rep_b: two; analyst_e: A after a B; analyst (risk): two A; ceo: quarterly A."""
    ours = await career_org(org, rewards)
    await grade(
        rewards,
        jetstream.js,
        ours.tenant,
        [
            *(annual(ours, year, "rep_a", "A") for year in (2024, 2025, 2026)),
            *(annual(ours, year, "rep_b", "A") for year in (2025, 2026)),
            annual(ours, 2025, "analyst_e", "B"),
            annual(ours, 2026, "analyst_e", "A"),
            *(annual(ours, year, "analyst", "A") for year in (2025, 2026)),
            quarter(ours, 2026, 3, "ceo", "A"),
            quarter(ours, 2026, 4, "ceo", "A"),
        ],
    )
    return ours


async def candidates(
    rewards: RewardsHarness, metadata: Metadata, unit_id: str = "", rule_id: str = ""
) -> dict[str, list[str]]:
    """Employee id -> the ids of the rules they meet."""
    request = rewards_pb2.ListPromotionCandidatesRequest(unit_id=unit_id, rule_id=rule_id)
    found: dict[str, list[str]] = {}
    for page in await every_page(rewards.stub.ListPromotionCandidates, request, "candidates", metadata):
        for candidate in page:
            found.setdefault(candidate.employee_id, []).append(candidate.verdict.rule.id)
    return found


async def explain(
    rewards: RewardsHarness, metadata: Metadata, employee_id: str
) -> dict[str, tuple[bool, str]]:
    """Rule id -> (eligible, explanation)."""
    request = rewards_pb2.ExplainEligibilityRequest(employee_id=employee_id)
    verdicts = (await rewards.stub.ExplainEligibility(request, metadata=metadata)).verdicts
    return {verdict.rule.id: (verdict.eligible, verdict.explanation) for verdict in verdicts}


async def test_candidates_of_a_unit_meet_the_default_rules_after_their_grades_arrive(
    org: OrgHarness, rewards: RewardsHarness, jetstream: JetStreamClient
):
    ours = await graded_org(org, rewards, jetstream)
    people = ours.employees
    sales = ours.units["sales"]

    assert await candidates(rewards, as_person(rewards, ours, "sales_head"), sales) == {
        people["rep_a"]: ["manager", "next-level"],
        people["rep_b"]: ["next-level"],
    }
    assert await candidates(
        rewards, as_person(rewards, ours, "east_lead"), ours.units["east"], "manager"
    ) == {people["rep_a"]: ["manager"]}
    everyone = await candidates(rewards, as_hr(rewards, ours))
    assert set(everyone) == {people[name] for name in ("rep_a", "rep_b", "analyst", "ceo")}
    assert everyone[people["ceo"]] == ["next-level"]
    assert set(await candidates(rewards, as_hr(rewards, ours, "risk"))) == {people["analyst"]}
    assert set(await candidates(rewards, as_person(rewards, ours, "risk_head"))) == {people["analyst"]}

    request = rewards_pb2.ListPromotionCandidatesRequest(unit_id=sales, page_size=1)
    pages = await every_page(
        rewards.stub.ListPromotionCandidates, request, "candidates", as_hr(rewards, ours)
    )
    assert [len({candidate.employee_id for candidate in page}) for page in pages if page] == [1, 1]
    listed = {
        candidate.employee_id: (candidate.display_name, candidate.unit_id)
        for page in pages
        for candidate in page
    }
    assert listed == {
        people["rep_a"]: ("rep_a", ours.units["east"]),
        people["rep_b"]: ("rep_b", ours.units["east"]),
    }


async def test_the_verdicts_say_why_in_words_and_follow_a_revised_grade(
    org: OrgHarness, rewards: RewardsHarness, jetstream: JetStreamClient
):
    ours = await graded_org(org, rewards, jetstream)
    people = ours.employees
    lead = as_person(rewards, ours, "east_lead")

    assert await explain(rewards, as_person(rewards, ours, "rep_a"), people["rep_a"]) == {
        "manager": (True, "3 consecutive annual A: 2026 A, 2025 A, 2024 A"),
        "next-level": (True, "2 consecutive A: 2026 A, 2025 A"),
    }
    assert await explain(rewards, lead, people["rep_b"]) == {
        "manager": (False, "needs 3 consecutive annual A; only 2 graded annual cycles"),
        "next-level": (True, "2 consecutive A: 2026 A, 2025 A"),
    }
    assert await explain(rewards, lead, people["analyst_e"]) == {
        "manager": (False, "needs 3 consecutive annual A; has 1 (2025 was B)"),
        "next-level": (False, "needs 2 consecutive A; has 1 (2025 was B)"),
    }
    request = rewards_pb2.ExplainEligibilityRequest(employee_id=people["rep_a"])
    [manager, _] = (await rewards.stub.ExplainEligibility(request, metadata=lead)).verdicts
    assert [(record.cycle_name, record.cycle_kind, record.grade) for record in manager.grades] == [
        ("2026", ANNUAL, "A"),
        ("2025", ANNUAL, "A"),
        ("2024", ANNUAL, "A"),
    ]

    await publish_appraisal_events(
        jetstream.js, ours.tenant, [grade_revised("annual-2025", people["analyst_e"], "B", "A")]
    )
    deadline = time.monotonic() + EXPLAIN_TIMEOUT_SECONDS
    while not (verdicts := await explain(rewards, lead, people["analyst_e"]))["next-level"][0]:
        assert time.monotonic() < deadline, "the revised grade did not reach the history"
        await asyncio.sleep(0.1)
    assert verdicts["next-level"] == (True, "2 consecutive A: 2026 A, 2025 A")
    request = rewards_pb2.ExplainEligibilityRequest(employee_id=people["analyst_e"])
    [_, next_level] = (await rewards.stub.ExplainEligibility(request, metadata=lead)).verdicts
    assert [record.revised for record in next_level.grades] == [False, True]


async def test_hr_sets_the_tenants_own_rules_in_versions(
    org: OrgHarness, rewards: RewardsHarness, jetstream: JetStreamClient
):
    ours = await graded_org(org, rewards, jetstream)
    hr = as_hr(rewards, ours)
    defaults = await rewards.stub.GetEligibilityRules(
        rewards_pb2.GetEligibilityRulesRequest(), metadata=as_person(rewards, ours, "rep_a")
    )
    assert defaults.version == 0
    assert [(rule.id, rule.consecutive, rule.cycle_kind) for rule in defaults.rules] == [
        ("manager", 3, ANNUAL),
        ("next-level", 2, appraisal_pb2.CYCLE_KIND_UNSPECIFIED),
    ]
    team_lead = rewards_pb2.EligibilityRule(
        id="team-lead",
        name="Team lead",
        target="team lead",
        required_grade="A",
        consecutive=1,
        cycle_kind=ANNUAL,
        position_ids=[ours.positions["rep"]],
    )
    request = rewards_pb2.SetEligibilityRulesRequest(
        rules=[team_lead], expected_version=0, request_id="rules-1"
    )

    first = await rewards.stub.SetEligibilityRules(request, metadata=hr)
    retried = await rewards.stub.SetEligibilityRules(request, metadata=hr)

    assert (first.version, list(first.rules)) == (1, [team_lead])
    assert retried == first
    assert await candidates(rewards, hr) == {
        ours.employees["rep_a"]: ["team-lead"],
        ours.employees["rep_b"]: ["team-lead"],
    }
    stale = rewards_pb2.SetEligibilityRulesRequest(rules=list(defaults.rules), expected_version=5)
    async with careers_unchanged(rewards):
        await rpc_error(rewards.stub.SetEligibilityRules(stale, metadata=hr), grpc.StatusCode.ABORTED)
    second = await rewards.stub.SetEligibilityRules(
        rewards_pb2.SetEligibilityRulesRequest(rules=list(defaults.rules), expected_version=1), metadata=hr
    )
    assert second.version == 2
    current = await rewards.stub.GetEligibilityRules(rewards_pb2.GetEligibilityRulesRequest(), metadata=hr)
    assert (current.version, list(current.rules)) == (2, list(defaults.rules))


async def test_bad_rules_are_refused_naming_the_field_and_change_nothing(
    org: OrgHarness, rewards: RewardsHarness
):
    ours = await career_org(org, rewards)
    hr = as_hr(rewards, ours)

    def rule(**fields) -> rewards_pb2.EligibilityRule:
        return rewards_pb2.EligibilityRule(
            **{"id": "r", "name": "r", "target": "t", "required_grade": "A", "consecutive": 2, **fields}
        )

    refusals = [
        ([rule(id="")], "rules[0].id"),
        ([rule(), rule()], "rules[1].id"),
        ([rule(consecutive=0)], "rules[0].consecutive"),
        ([rule(consecutive=11)], "rules[0].consecutive"),
        ([rule(required_grade="")], "rules[0].required_grade"),
        ([rule(cycle_kind=9)], "rules[0].cycle_kind"),
        ([], "rules"),
    ]
    async with careers_unchanged(rewards):
        for rules, field in refusals:
            error = await rpc_error(
                rewards.stub.SetEligibilityRules(
                    rewards_pb2.SetEligibilityRulesRequest(rules=rules), metadata=hr
                ),
                grpc.StatusCode.INVALID_ARGUMENT,
            )
            assert field in field_violations(error)
        for not_allowed in (as_hr(rewards, ours, "sales"), as_person(rewards, ours, "ceo")):
            await rpc_error(
                rewards.stub.SetEligibilityRules(
                    rewards_pb2.SetEligibilityRulesRequest(rules=[rule()]), metadata=not_allowed
                ),
                grpc.StatusCode.PERMISSION_DENIED,
            )


async def test_only_the_employee_their_managers_and_hr_covering_them_see_their_eligibility(
    org: OrgHarness, rewards: RewardsHarness
):
    ours = await career_org(org, rewards)
    rep_a = ours.employees["rep_a"]
    east = ours.units["east"]
    for reader in (
        as_person(rewards, ours, "rep_a"),
        as_person(rewards, ours, "sales_head"),
        as_hr(rewards, ours, "sales"),
    ):
        assert set(await explain(rewards, reader, rep_a)) == {"manager", "next-level"}

    for stranger in (
        as_person(rewards, ours, "rep_b"),
        as_person(rewards, ours, "risk_head"),
        as_hr(rewards, ours, "risk"),
    ):
        await rpc_error(
            rewards.stub.ExplainEligibility(
                rewards_pb2.ExplainEligibilityRequest(employee_id=rep_a), metadata=stranger
            ),
            grpc.StatusCode.PERMISSION_DENIED,
        )
        await rpc_error(
            rewards.stub.ListPromotionCandidates(
                rewards_pb2.ListPromotionCandidatesRequest(unit_id=east), metadata=stranger
            ),
            grpc.StatusCode.PERMISSION_DENIED,
        )
    await rpc_error(
        rewards.stub.ListPromotionCandidates(
            rewards_pb2.ListPromotionCandidatesRequest(), metadata=as_person(rewards, ours, "rep_a")
        ),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    error = await rpc_error(
        rewards.stub.ListPromotionCandidates(
            rewards_pb2.ListPromotionCandidatesRequest(rule_id="no-such-rule"), metadata=as_hr(rewards, ours)
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert "rule_id" in field_violations(error)


async def test_another_tenant_finds_neither_our_people_nor_our_units_nor_our_rules(
    org: OrgHarness, rewards: RewardsHarness, jetstream: JetStreamClient
):
    ours = await graded_org(org, rewards, jetstream)
    theirs = new_tenant()
    for caller in (rewards.admin(theirs), rewards.as_(theirs, ours.employees["ceo"], (ROLE_ADMIN,))):
        await rpc_error(
            rewards.stub.ExplainEligibility(
                rewards_pb2.ExplainEligibilityRequest(employee_id=ours.employees["rep_a"]), metadata=caller
            ),
            grpc.StatusCode.NOT_FOUND,
        )
        await rpc_error(
            rewards.stub.ListPromotionCandidates(
                rewards_pb2.ListPromotionCandidatesRequest(unit_id=ours.units["company"]), metadata=caller
            ),
            grpc.StatusCode.NOT_FOUND,
        )
        assert await candidates(rewards, caller) == {}
    await rewards.stub.SetEligibilityRules(
        rewards_pb2.SetEligibilityRulesRequest(
            rules=[rewards_pb2.EligibilityRule(id="x", required_grade="B", consecutive=1)]
        ),
        metadata=rewards.admin(theirs),
    )
    ours_now = await rewards.stub.GetEligibilityRules(
        rewards_pb2.GetEligibilityRulesRequest(), metadata=as_hr(rewards, ours)
    )
    assert ours_now.version == 0
